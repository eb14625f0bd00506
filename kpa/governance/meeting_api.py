"""`/api/v1/governance/meetings`: list and plan, read and change, cancel, attendance, minutes,
a show of hands into the register, and the meeting as iCalendar.

A meeting, KPA, network or proposal out of the token user's reach does not exist (404), also
when its id comes in a body; one they see but may not manage answers 403; refused input answers
422 with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.governance import ical, meetings, scoping
from kpa.governance.api_common import NOT_FOUND, WRITE_ERRORS, api_user
from kpa.governance.meeting_schemas import (
    MeetingAttendanceIn,
    MeetingDetailOut,
    MeetingFilters,
    MeetingIn,
    MeetingMinutesIn,
    MeetingOut,
    MeetingPatch,
    MeetingShowOfHandsIn,
    MeetingShowOfHandsOut,
)
from kpa.governance.models import CharterVersion, Decision, Meeting

router = Router()

def _meeting(user: User, meeting_id: int, today: dt.date) -> Meeting:
    return get_in_scope(scoping.meetings_visible_to(user, today=today)
                        .select_related("kpa", "network"), pk=meeting_id)


def _fresh(meeting: Meeting) -> Meeting:
    return Meeting.objects.prefetch_related("proposals").get(pk=meeting.pk)


@router.get("/meetings", response=list[MeetingOut],
            summary="Les réunions que vous voyez (par KPA, réseau, à venir)")
@paginate(LimitOffsetPagination)
def list_meetings(request: HttpRequest, filters: Query[MeetingFilters]) -> QuerySet[Meeting]:
    user, today = api_user(request), dates.local_today()
    found = scoping.meetings_visible_to(user, today=today)
    if filters.kpa is not None:
        found = found.filter(kpa_id=filters.kpa)
    if filters.network is not None:
        found = found.filter(network_id=filters.network)
    if filters.upcoming:
        found = found.filter(ends_at__gte=dates.current_time()).order_by("starts_at", "pk")
    else:
        found = found.order_by("-starts_at", "-pk")
    return found.prefetch_related("proposals")


@router.post("/meetings", response={201: MeetingDetailOut, **WRITE_ERRORS},
             summary="Prévoir une réunion dans un KPA ou dans le réseau")
def plan_meeting(request: HttpRequest, payload: MeetingIn) -> Status[Meeting]:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    kpa = network = None
    if payload.kpa_id is not None:
        kpa = get_in_scope(scoping.governed_kpas(user, today=today), pk=payload.kpa_id)
    if payload.network_id is not None:
        network = get_in_scope(scoping.networks_of(user, today=today), pk=payload.network_id)
    visible = scoping.proposals_visible_to(user, today=today)
    for proposal_id in payload.proposal_ids:
        get_in_scope(visible, pk=proposal_id)
    meeting = meetings.plan_meeting(
        actor=user, now=now, kpa=kpa, network=network, title=payload.title,
        starts_at=payload.starts_at, ends_at=payload.ends_at, location=payload.location,
        agenda=payload.agenda, proposal_ids=payload.proposal_ids)
    return Status(201, _fresh(meeting))


@router.get("/meetings/{int:meeting_id}", response={200: MeetingDetailOut, **NOT_FOUND},
            summary="Une réunion : ordre du jour, présences, compte rendu, décisions")
def get_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    user, today = api_user(request), dates.local_today()
    return _fresh(_meeting(user, meeting_id, today))


@router.patch("/meetings/{int:meeting_id}", response={200: MeetingDetailOut, **WRITE_ERRORS},
              summary="Changer l'heure, le lieu, l'ordre du jour, les propositions liées")
def update_meeting(request: HttpRequest, meeting_id: int, payload: MeetingPatch) -> Meeting:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    meeting = _meeting(user, meeting_id, today)
    fields: dict[str, Any] = payload.dict(exclude_unset=True)
    if fields.get("proposal_ids"):
        visible = scoping.proposals_visible_to(user, today=today)
        for proposal_id in fields["proposal_ids"]:
            get_in_scope(visible, pk=proposal_id)
    for name in ("title", "starts_at", "ends_at", "proposal_ids"):
        if name in fields and fields[name] is None:
            del fields[name]
    meetings.update_meeting(meeting, actor=user, now=now, **fields)
    return _fresh(meeting)


@router.post("/meetings/{int:meeting_id}/cancel",
             response={200: MeetingDetailOut, **WRITE_ERRORS}, summary="Annuler la réunion")
def cancel_meeting(request: HttpRequest, meeting_id: int) -> Meeting:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    meeting = meetings.cancel_meeting(_meeting(user, meeting_id, today), actor=user, now=now)
    return _fresh(meeting)


@router.post("/meetings/{int:meeting_id}/attendance",
             response={200: MeetingDetailOut, **WRITE_ERRORS},
             summary="Noter qui est présent·e, excusé·e ou absent·e")
def record_attendance(request: HttpRequest, meeting_id: int,
                      payload: MeetingAttendanceIn) -> Meeting:
    user, today = api_user(request), dates.local_today()
    meeting = _meeting(user, meeting_id, today)
    meetings.record_attendance(
        meeting, actor=user, today=today,
        statuses={line.person_id: line.status for line in payload.attendance})
    return _fresh(meeting)


@router.post("/meetings/{int:meeting_id}/minutes",
             response={200: MeetingDetailOut, **WRITE_ERRORS},
             summary="Publier (ou corriger) le compte rendu")
def publish_minutes(request: HttpRequest, meeting_id: int, payload: MeetingMinutesIn) -> Meeting:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    meeting = meetings.publish_minutes(_meeting(user, meeting_id, today), actor=user, now=now,
                                       minutes=payload.minutes)
    return _fresh(meeting)


@router.post("/meetings/{int:meeting_id}/show-of-hands",
             response={201: MeetingShowOfHandsOut, **WRITE_ERRORS},
             summary="Inscrire au registre un vote à main levée de la réunion")
def show_of_hands(request: HttpRequest, meeting_id: int,
                  payload: MeetingShowOfHandsIn) -> Status[Decision]:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    meeting = _meeting(user, meeting_id, today)
    version = None
    if payload.charter_version_id is not None:
        version = get_in_scope(scoping.charter_versions_visible_to(user, today=today),
                               pk=payload.charter_version_id)
    decision = meetings.record_show_of_hands(
        meeting, actor=user, now=now, title=payload.title, summary=payload.summary,
        votes_for=payload.votes_for, against=payload.against, abstain=payload.abstain,
        threshold=payload.threshold, review_on=payload.review_on,
        charter_version=version if isinstance(version, CharterVersion) else None)
    return Status(201, decision)


@router.get("/meetings/{int:meeting_id}/ics", response={200: None, **NOT_FOUND},
            summary="La réunion au format iCalendar (.ics)")
def meeting_ics(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user, today = api_user(request), dates.local_today()
    meeting = _meeting(user, meeting_id, today)
    response = HttpResponse(ical.meeting_calendar([meeting], stamp=dates.current_time()),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reunion-{meeting.pk}.ics"'
    return response
