"""Meeting pages: the meetings of a KPA or of the network, planning and editing one, its page
(agenda, attendance, minutes, decisions by show of hands, linked proposals), the .ics download
and "Mon agenda" with the personal feed address.

Thin views: gate → one service or selector → render. Out of reach is 404; a visible meeting the
user may not manage answers 403 (and its buttons are hidden). The feed at
`agenda/<token>.ics` needs no session: calendar applications have none; the token is the key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.notifications import absolute_url
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, Network
from kpa.governance import ical, meetings, permissions, scoping
from kpa.governance.decision_views import figures_sentence
from kpa.governance.meeting_forms import (
    AttendanceForm,
    MeetingForm,
    MinutesForm,
    ShowOfHandsForm,
)
from kpa.governance.models import (
    Attendance,
    CalendarFeed,
    CharterVersion,
    Meeting,
    Proposal,
)
from kpa.governance.view_helpers import form_data, form_page, require, submit

PAST_PER_PAGE = 25


def _meeting(request: HttpRequest, pk: int, today: dt.date) -> Meeting:
    return get_in_scope(scoping.meetings_visible_to(request.user, today=today)
                        .select_related("kpa", "network", "created_by"), pk=pk)


def _kpa(request: HttpRequest, pk: int, today: dt.date) -> Kpa:
    return get_in_scope(scoping.governed_kpas(request.user, today=today), pk=pk)


def _network(request: HttpRequest, pk: int, today: dt.date) -> Network:
    return get_in_scope(scoping.networks_of(request.user, today=today), pk=pk)


def meeting_url(meeting: Meeting) -> str:
    return reverse("governance:meeting_detail", args=[meeting.pk])


def _list_url(meeting: Meeting) -> str:
    if meeting.kpa_id is not None:
        return reverse("governance:meeting_list", args=[meeting.kpa_id])
    return reverse("governance:meeting_list_network", args=[meeting.network_id])


def _linkable(kpa: Kpa | None, network: Network | None) -> QuerySet[Proposal]:
    found = (Proposal.objects.filter(kpa=kpa) if kpa is not None
             else Proposal.objects.filter(network=network))
    return found.exclude(status=Proposal.Status.CANCELLED).order_by("-created_at", "-pk")


# -- lists -----------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_index(request: HttpRequest) -> HttpResponse:
    """The user's next meetings and the places where meetings are held."""
    today, now = dates.local_today(), dates.current_time()
    visible = scoping.meetings_visible_to(request.user, today=today)
    upcoming, _past = meetings.upcoming_and_past(visible, now=now)
    return render(request, "governance/meeting_index.html", {
        "upcoming": list(upcoming.select_related("kpa", "network")[:20]),
        "kpas": list(scoping.governed_kpas(request.user, today=today).order_by("name")),
        "networks": list(scoping.networks_of(request.user, today=today).order_by("name")),
    })


def _list_page(request: HttpRequest, found: QuerySet[Meeting], context: dict[str, Any],
               now: dt.datetime) -> HttpResponse:
    upcoming, past = meetings.upcoming_and_past(found, now=now)
    page = Paginator(past, PAST_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "governance/meeting_list.html", {
        **context, "upcoming": list(upcoming), "page": page, "past": list(page.object_list)})


@login_required
@require_GET
def meeting_list(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    kpa = _kpa(request, kpa_pk, today)
    found = scoping.meetings_visible_to(request.user, today=today).filter(kpa=kpa)
    return _list_page(request, found, {
        "scope_name": kpa.name, "kpa": kpa,
        "can_plan": permissions.can_plan_meeting_in(request.user, kpa, today=today),
        "new_url": reverse("governance:meeting_new", args=[kpa.pk])}, now)


@login_required
@require_GET
def meeting_list_network(request: HttpRequest, network_pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    network = _network(request, network_pk, today)
    found = scoping.meetings_visible_to(request.user, today=today).filter(network=network)
    return _list_page(request, found, {
        "scope_name": network.name, "network": network,
        "can_plan": permissions.coordinates(request.user, network.pk, today=today),
        "new_url": reverse("governance:meeting_new_network", args=[network.pk])}, now)


# -- plan and edit ---------------------------------------------------------------------------


def _plan(request: HttpRequest, kpa: Kpa | None, network: Network | None,
          back: str) -> HttpResponse:
    now = dates.current_time()
    form = MeetingForm(form_data(request), proposals=_linkable(kpa, network))

    def save() -> Meeting:
        data = form.cleaned_data
        return meetings.plan_meeting(
            actor=request.user, now=now, kpa=kpa, network=network, title=data["title"],
            starts_at=data["starts_at"], ends_at=data["ends_at"], location=data["location"],
            agenda=data["agenda"], proposal_ids=[p.pk for p in data.get("proposals") or ()])

    done = submit(request, form, save, _("La réunion est prévue."), meeting_url)
    return done or form_page(request, "governance/meeting_form.html", {
        "form": form, "scope_name": (kpa or network), "back": back, "meeting": None})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    require(permissions.can_plan_meeting_in(request.user, kpa, today=today))
    return _plan(request, kpa, None, reverse("governance:meeting_list", args=[kpa.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new_network(request: HttpRequest, network_pk: int) -> HttpResponse:
    today = dates.local_today()
    network = _network(request, network_pk, today)
    require(permissions.coordinates(request.user, network.pk, today=today))
    return _plan(request, None, network,
                 reverse("governance:meeting_list_network", args=[network.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    meeting = _meeting(request, pk, today)
    require(permissions.can_manage_meeting(request.user, meeting, today=today))
    if meeting.cancelled_at is not None:
        messages.error(request, _("Cette réunion est annulée : elle ne peut plus être "
                                  "modifiée."))
        return redirect(meeting_url(meeting))
    initial = {"title": meeting.title, "starts_at": timezone.localtime(meeting.starts_at),
               "ends_at": timezone.localtime(meeting.ends_at), "location": meeting.location,
               "agenda": meeting.agenda, "proposals": list(meeting.proposals.all())}
    form = MeetingForm(form_data(request), initial=initial,
                       proposals=_linkable(meeting.kpa, meeting.network))

    def save() -> Meeting:
        data = form.cleaned_data
        return meetings.update_meeting(
            meeting, actor=request.user, now=now, title=data["title"],
            starts_at=data["starts_at"], ends_at=data["ends_at"], location=data["location"],
            agenda=data["agenda"],
            proposal_ids=[p.pk for p in data.get("proposals") or ()])

    done = submit(request, form, save, _("La réunion est modifiée."), meeting_url)
    return done or form_page(request, "governance/meeting_form.html", {
        "form": form, "scope_name": meeting.kpa or meeting.network,
        "back": meeting_url(meeting), "meeting": meeting})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    meeting = _meeting(request, pk, today)
    require(permissions.can_manage_meeting(request.user, meeting, today=today))
    if request.method == "POST":
        try:
            meetings.cancel_meeting(meeting, actor=request.user, now=now)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("La réunion est annulée : les personnes du KPA sont "
                                        "prévenues."))
        return redirect(meeting_url(meeting))
    return render(request, "governance/meeting_cancel.html", {"meeting": meeting})


# -- the meeting page ------------------------------------------------------------------------


@login_required
@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    meeting = _meeting(request, pk, today)
    manages = permissions.can_manage_meeting(request.user, meeting, today=today)
    attendances = list(Attendance.objects.filter(meeting=meeting).select_related("person")
                       .order_by("person__last_name", "person__first_name", "pk"))
    attendance_form = None
    if manages and meeting.cancelled_at is None:
        attendance_form = AttendanceForm(
            persons=meetings.participants(meeting, today=today),
            current={a.person_id: a.status for a in attendances})
    counts = {status: sum(1 for a in attendances if a.status == status)
              for status in Attendance.Status.values}
    return render(request, "governance/meeting_detail.html", {
        "meeting": meeting, "manages": manages and meeting.cancelled_at is None,
        "attendances": attendances, "counts": counts, "attendance_form": attendance_form,
        "proposals": list(meeting.proposals.order_by("-created_at", "-pk")),
        "decisions": [{"decision": d, "figures": figures_sentence(d)}
                      for d in meeting.decisions.order_by("number")],
    })


@login_required
@require_POST
def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    meeting = _meeting(request, pk, today)
    require(permissions.can_manage_meeting(request.user, meeting, today=today))
    form = AttendanceForm(request.POST, persons=meetings.participants(meeting, today=today),
                          current={})
    if not form.is_valid():
        messages.error(request, _("La liste de présence n'a pas été enregistrée : choisissez "
                                  "une présence dans la liste pour chaque personne."))
        return redirect(meeting_url(meeting))
    try:
        meetings.record_attendance(meeting, actor=request.user, statuses=form.statuses(),
                                   today=today)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("La liste de présence est enregistrée."))
    return redirect(meeting_url(meeting))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    meeting = _meeting(request, pk, today)
    require(permissions.can_manage_meeting(request.user, meeting, today=today))
    form = MinutesForm(form_data(request), initial={"minutes": meeting.minutes})
    done = submit(request, form, lambda: meetings.publish_minutes(
        meeting, actor=request.user, now=now, minutes=form.cleaned_data["minutes"]),
        _("Le compte rendu est publié."), meeting_url)
    return done or form_page(request, "governance/meeting_minutes.html",
                             {"form": form, "meeting": meeting})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_show_of_hands(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    meeting = _meeting(request, pk, today)
    require(permissions.can_manage_meeting(request.user, meeting, today=today))
    drafts = (CharterVersion.objects.filter(kpa_id=meeting.kpa_id,
                                            status=CharterVersion.Status.DRAFT)
              .order_by("-number") if meeting.kpa_id is not None else None)
    form = ShowOfHandsForm(form_data(request), charter_drafts=drafts)

    def save() -> Any:
        data = form.cleaned_data
        return meetings.record_show_of_hands(
            meeting, actor=request.user, now=now, title=data["title"],
            summary=data["summary"], votes_for=data["votes_for"], against=data["against"],
            abstain=data["abstain"], threshold=data["threshold"],
            review_on=data["review_on"], charter_version=data.get("charter_version"))

    done = submit(request, form, save, _("Le vote est inscrit au registre des décisions."),
                  lambda decision: meeting_url(meeting))
    return done or form_page(request, "governance/meeting_show_of_hands.html", {
        "form": form, "meeting": meeting, "present": meetings.present_count(meeting)})


# -- calendars -------------------------------------------------------------------------------


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk, dates.local_today())
    return _ics(ical.meeting_calendar([meeting], stamp=dates.current_time()),
                f"reunion-{meeting.pk}.ics")


def _feed_url(feed: CalendarFeed | None) -> str:
    if feed is None:
        return ""
    return absolute_url(reverse("governance:calendar_feed_ics", args=[feed.token]))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed(request: HttpRequest) -> HttpResponse:
    """Mon agenda: the next meetings and the secret address for a calendar application."""
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        existed = ical.feed_of(user) is not None
        ical.reset_feed(actor=user)
        messages.success(request, _("Nouvelle adresse créée : l'ancienne ne marche plus.")
                         if existed else _("Votre adresse d'agenda est prête."))
        return redirect(reverse("governance:calendar_feed"))
    today, now = dates.local_today(), dates.current_time()
    feed = ical.feed_of(user)
    upcoming = ical.feed_meetings(user, today=today).filter(ends_at__gte=now)
    url = _feed_url(feed)
    return render(request, "governance/meeting_agenda.html", {
        "feed": feed, "feed_url": url,
        "webcal_url": url.replace("https://", "webcal://").replace("http://", "webcal://"),
        "upcoming": list(upcoming.select_related("kpa", "network")[:20]),
    })


@require_GET
def calendar_feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    found = ical.feed_meetings(feed.user, today=dates.local_today())
    return _ics(ical.meeting_calendar(found, name=_("Réunions KPA-Cité"),
                                      stamp=dates.current_time()), "reunions.ics")
