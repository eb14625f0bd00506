"""Meetings of a KPA or of the network: planning, agenda, attendance, minutes and the decisions
taken there by show of hands.

Who may do what (see `permissions.can_plan_meeting_in` / `can_manage_meeting`): a KPA's leads,
and its coopérants when the KPA is autonomous; the network's coordinators for network meetings.
Every change a calendar application should notice (time, place, title, agenda, cancellation)
bumps `Meeting.sequence`, as RFC 5545 asks, so that subscribed calendars replace their copy.
A show of hands goes into the decision register through `register.record_decision`, with the
counts as figures: {"for", "against", "abstain", "present" (None when no attendance was
recorded), "threshold"}.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit, dates
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.directory.models import Kpa, Network, Person, Role
from kpa.directory.permissions import reach_of
from kpa.governance import permissions, tally
from kpa.governance.models import (
    Attendance,
    CharterVersion,
    Decision,
    Meeting,
    Method,
    Proposal,
    Threshold,
)

EDITABLE_FIELDS = ("title", "starts_at", "ends_at", "location", "agenda", "proposal_ids")
# Changes that a subscribed calendar shows; linking a proposal is not one of them.
CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "location", "agenda")


def _person_id(actor: AnyUser, today: dt.date) -> int:
    person_id = reach_of(actor, today).person_id
    if person_id is None:
        raise PermissionDenied
    return person_id


def participants(meeting: Meeting, *, today: dt.date) -> QuerySet[Person]:
    """Who may be on the attendance list: the KPA's current members; for a network meeting,
    the network's coordinators and the current members of its KPAs."""
    roles = Role.objects.current(today)
    if meeting.kpa_id is not None:
        roles = roles.filter(kpa_id=meeting.kpa_id)
    else:
        roles = roles.filter(Q(network_id=meeting.network_id)
                             | Q(kpa__network_id=meeting.network_id))
    return Person.objects.filter(pk__in=roles.values("person_id")).order_by(
        "last_name", "first_name", "pk")


def _recipients(meeting: Meeting, *, today: dt.date, actor: AnyUser) -> list[User]:
    users = User.objects.filter(person__in=participants(meeting, today=today), is_active=True)
    return [user for user in users if user.pk != actor.pk]


def _clean_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _check_times(starts_at: Any, ends_at: Any) -> None:
    if not isinstance(starts_at, dt.datetime) or timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": _("Indiquez le jour et l'heure du début.")})
    if not isinstance(ends_at, dt.datetime) or timezone.is_naive(ends_at):
        raise ValidationError({"ends_at": _("Indiquez le jour et l'heure de la fin.")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("La fin doit venir après le début : "
                                            "corrigez l'heure de fin.")})


def _linkable(meeting_kpa_id: int | None, meeting_network_id: int | None,
              proposal_ids: Iterable[int]) -> list[Proposal]:
    """Proposals of the meeting's own scope only: linking one of another KPA would leak it."""
    wanted = sorted(set(proposal_ids))
    if not wanted:
        return []
    scope = (Q(kpa_id=meeting_kpa_id) if meeting_kpa_id is not None
             else Q(network_id=meeting_network_id))
    found = list(Proposal.objects.filter(scope, pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({"proposal_ids": _(
            "Une réunion ne peut être liée qu'à des propositions de son propre KPA "
            "(ou du réseau pour une réunion du réseau).")})
    return found


def _notify(meeting: Meeting, *, today: dt.date, actor: AnyUser, subject: str,
            body: str, topic: str) -> None:
    recipients = _recipients(meeting, today=today, actor=actor)
    if recipients:
        notify(recipients=recipients, subject=subject, body=body,
               url=meeting.get_absolute_url(), topic=topic)


def _when(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.starts_at)
    return start.strftime("%d/%m/%Y %H:%M")


@transaction.atomic
def plan_meeting(*, actor: AnyUser, now: dt.datetime, kpa: Kpa | None = None,
                 network: Network | None = None, title: str, starts_at: dt.datetime,
                 ends_at: dt.datetime, location: str = "", agenda: str = "",
                 proposal_ids: Iterable[int] = ()) -> Meeting:
    today = timezone.localdate(now)
    if (kpa is None) == (network is None):
        raise ValidationError(_("Une réunion a lieu dans un KPA ou dans le réseau : "
                                "choisissez l'un des deux."))
    if kpa is not None and not permissions.can_plan_meeting_in(actor, kpa, today=today):
        raise PermissionDenied
    if network is not None and not permissions.coordinates(actor, network.pk, today=today):
        raise PermissionDenied
    title = _clean_text(title, "title", _("Donnez un titre à la réunion."))
    _check_times(starts_at, ends_at)
    proposals = _linkable(kpa.pk if kpa else None, network.pk if network else None,
                          proposal_ids)
    meeting = Meeting.objects.create(
        kpa=kpa, network=network, title=title, starts_at=starts_at, ends_at=ends_at,
        location=(location or "").strip(), agenda=agenda or "",
        created_by_id=_person_id(actor, today))
    meeting.proposals.set(proposals)
    audit.record(actor=actor, action="governance.meeting.planned", target=meeting, data={
        "starts_at": starts_at.isoformat(), "proposals": [p.pk for p in proposals]})
    _notify(meeting, today=today, actor=actor,
            subject=_("Nouvelle réunion : %(title)s") % {"title": title},
            body=_("Réunion « %(title)s » le %(when)s.") % {"title": title,
                                                             "when": _when(meeting)},
            topic="governance.meeting.planned")
    return meeting


def _manage(meeting: Meeting, actor: AnyUser, today: dt.date) -> None:
    if not permissions.can_manage_meeting(actor, meeting, today=today):
        raise PermissionDenied


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée : elle ne peut plus être "
                                "modifiée."))


@transaction.atomic
def update_meeting(meeting: Meeting, *, actor: AnyUser, now: dt.datetime,
                   **fields: Any) -> Meeting:
    """Change any of `EDITABLE_FIELDS`; calendars see a new revision when what they show
    changed."""
    today = timezone.localdate(now)
    _manage(meeting, actor, today)
    _not_cancelled(meeting)
    unknown = sorted(set(fields) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(_("Champs inconnus : %(names)s.") % {"names": ", ".join(unknown)})
    if "title" in fields:
        fields["title"] = _clean_text(fields["title"], "title",
                                      _("Donnez un titre à la réunion."))
    if "location" in fields:
        fields["location"] = (fields["location"] or "").strip()
    if "agenda" in fields:
        fields["agenda"] = fields["agenda"] or ""
    _check_times(fields.get("starts_at", meeting.starts_at),
                 fields.get("ends_at", meeting.ends_at))
    changed: list[str] = []
    for name in CALENDAR_FIELDS:
        if name in fields and fields[name] != getattr(meeting, name):
            setattr(meeting, name, fields[name])
            changed.append(name)
    linked: list[int] | None = None
    if "proposal_ids" in fields:
        proposals = _linkable(meeting.kpa_id, meeting.network_id, fields["proposal_ids"])
        linked = sorted(p.pk for p in proposals)
        if linked != sorted(meeting.proposals.values_list("pk", flat=True)):
            meeting.proposals.set(proposals)
            changed.append("proposals")
    if not changed:
        return meeting
    if set(changed) & set(CALENDAR_FIELDS):
        meeting.sequence += 1
    meeting.save()
    audit.record(actor=actor, action="governance.meeting.updated", target=meeting, data={
        "changed": changed, "sequence": meeting.sequence,
        **({"proposals": linked} if linked is not None else {})})
    return meeting


@transaction.atomic
def cancel_meeting(meeting: Meeting, *, actor: AnyUser, now: dt.datetime) -> Meeting:
    today = timezone.localdate(now)
    _manage(meeting, actor, today)
    _not_cancelled(meeting)
    if meeting.decisions.exists():
        raise ValidationError(_("Des décisions ont été prises pendant cette réunion : "
                                "elle a eu lieu et ne peut plus être annulée."))
    meeting.cancelled_at = now
    meeting.sequence += 1
    meeting.save(update_fields=["cancelled_at", "sequence"])
    audit.record(actor=actor, action="governance.meeting.cancelled", target=meeting,
                 data={"sequence": meeting.sequence})
    _notify(meeting, today=today, actor=actor,
            subject=_("Réunion annulée : %(title)s") % {"title": meeting.title},
            body=_("La réunion « %(title)s » du %(when)s est annulée.") % {
                "title": meeting.title, "when": _when(meeting)},
            topic="governance.meeting.cancelled")
    return meeting


@transaction.atomic
def record_attendance(meeting: Meeting, *, actor: AnyUser, statuses: Mapping[int, str],
                      today: dt.date | None = None) -> dict[int, str]:
    """Set the attendance of the persons given (person id → present / excused / absent; an
    empty status removes the person from the list). Others keep what they had. Membership is
    judged on `today` (the platform's today when not given). Returns the whole list after."""
    today = today or dates.local_today()
    _manage(meeting, actor, today)
    _not_cancelled(meeting)
    allowed = Attendance.Status.values
    for status in statuses.values():
        if status and status not in allowed:
            raise ValidationError({"statuses": _(
                "Présence inconnue : choisissez présent·e, excusé·e ou absent·e.")})
    wanted = {int(pid) for pid in statuses}
    members = set(participants(meeting, today=today).filter(pk__in=wanted)
                  .values_list("pk", flat=True))
    if wanted - members:
        raise ValidationError({"statuses": _(
            "La liste de présence ne contient que des membres actuel·les du KPA.")})
    existing = {a.person_id: a for a in Attendance.objects.filter(meeting=meeting)}
    for pid, status in statuses.items():
        row = existing.get(int(pid))
        if not status:
            if row is not None:
                row.delete()
        elif row is None:
            Attendance.objects.create(meeting=meeting, person_id=int(pid), status=status)
        elif row.status != status:
            row.status = status
            row.save(update_fields=["status"])
    result = dict(Attendance.objects.filter(meeting=meeting)
                  .values_list("person_id", "status"))
    audit.record(actor=actor, action="governance.meeting.attendance_recorded", target=meeting,
                 data={"statuses": {str(k): v for k, v in sorted(statuses.items())}})
    return result


@transaction.atomic
def publish_minutes(meeting: Meeting, *, actor: AnyUser, now: dt.datetime,
                    minutes: str) -> Meeting:
    today = timezone.localdate(now)
    _manage(meeting, actor, today)
    _not_cancelled(meeting)
    if now < meeting.starts_at:
        raise ValidationError(_("La réunion n'a pas encore commencé : le compte rendu "
                                "s'écrit pendant ou après la réunion."))
    text = _clean_text(minutes, "minutes", _("Écrivez le compte rendu avant de le publier."))
    first = meeting.minutes_published_at is None
    meeting.minutes = text
    meeting.minutes_published_at = now
    meeting.save(update_fields=["minutes", "minutes_published_at"])
    audit.record(actor=actor, action="governance.meeting.minutes_published", target=meeting,
                 data={"first": first, "length": len(text)})
    if first:
        _notify(meeting, today=today, actor=actor,
                subject=_("Compte rendu : %(title)s") % {"title": meeting.title},
                body=_("Le compte rendu de la réunion « %(title)s » est publié.") % {
                    "title": meeting.title},
                topic="governance.meeting.minutes_published")
    return meeting


def present_count(meeting: Meeting) -> int | None:
    """How many were present, or None while no attendance is recorded."""
    statuses = list(Attendance.objects.filter(meeting=meeting).values_list("status", flat=True))
    if not statuses:
        return None
    return sum(1 for status in statuses if status == Attendance.Status.PRESENT)


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError({field: _("Indiquez un nombre de voix (0 ou plus).")})
    return value


@transaction.atomic
def record_show_of_hands(meeting: Meeting, *, actor: AnyUser, now: dt.datetime, title: str,
                         summary: str, votes_for: int, against: int, abstain: int,
                         threshold: str = Threshold.SIMPLE, review_on: dt.date | None = None,
                         charter_version: CharterVersion | None = None) -> Decision:
    """A vote by show of hands taken in the meeting, into the register. Abstentions are not
    counted in the majority. With `charter_version` (a draft of the meeting's KPA), adopting
    the decision adopts that charter: at once in an autonomous KPA; in an accompanied one only
    when an animateur records it, which ratifies the decision by the same act."""
    from kpa.governance import register  # H1's module; imported late to keep this one light

    today = timezone.localdate(now)
    _manage(meeting, actor, today)
    _not_cancelled(meeting)
    if now < meeting.starts_at:
        raise ValidationError(_("La réunion n'a pas encore commencé : un vote à main levée se "
                                "note pendant ou après la réunion."))
    title = _clean_text(title, "title", _("Dites en quelques mots ce qui a été voté."))
    counts = {"for": _count(votes_for, "votes_for"), "against": _count(against, "against"),
              "abstain": _count(abstain, "abstain")}
    if threshold not in Threshold.values:
        raise ValidationError({"threshold": _("Majorité inconnue : choisissez simple, deux "
                                              "tiers, trois quarts ou unanimité.")})
    present = present_count(meeting)
    if present is not None and sum(counts.values()) > present:
        raise ValidationError(_("Il y a plus de voix que de personnes présentes."))
    if charter_version is not None:
        _check_charter(meeting, charter_version, actor, today)
    adopted = tally.majority_adopted(votes_for=counts["for"], against=counts["against"],
                                     abstain=counts["abstain"], threshold=threshold,
                                     abstentions_count=False)
    figures = {**counts, "present": present, "threshold": threshold}
    decision = register.record_decision(
        actor=actor, kpa=meeting.kpa, network=meeting.network, title=title,
        summary=(summary or "").strip(), source=Decision.Source.SHOW_OF_HANDS,
        method=Method.MAJORITY,
        outcome=Proposal.Outcome.ADOPTED if adopted else Proposal.Outcome.REJECTED,
        figures=figures, decided_on=timezone.localdate(meeting.starts_at), meeting=meeting,
        review_on=review_on)
    audit.record(actor=actor, action="governance.meeting.vote_recorded", target=meeting,
                 data={"decision": decision.pk, **figures, "adopted": adopted})
    if adopted and charter_version is not None:
        from kpa.governance import charter

        if meeting.kpa is not None and meeting.kpa.autonomy != Kpa.Autonomy.AUTONOMOUS:
            register.ratify_decision(decision, actor=actor, now=now)
        charter.adopt_charter_version(charter_version, decision=decision, actor=actor)
    return decision


def _check_charter(meeting: Meeting, version: CharterVersion, actor: AnyUser,
                   today: dt.date) -> None:
    if meeting.kpa_id is None or version.kpa_id != meeting.kpa_id:
        raise ValidationError({"charter_version": _(
            "Seule une version de la charte de ce KPA peut être votée dans sa réunion.")})
    if version.status != CharterVersion.Status.DRAFT:
        raise ValidationError({"charter_version": _(
            "Cette version de la charte n'est plus un projet : rédigez une nouvelle version.")})
    assert meeting.kpa is not None
    if (meeting.kpa.autonomy != Kpa.Autonomy.AUTONOMOUS
            and not permissions.is_animateur(actor, meeting.kpa_id, today=today)):
        raise ValidationError({"charter_version": _(
            "Dans un KPA accompagné, c'est un·e animateur·rice qui note le vote sur la charte "
            "(il ou elle le ratifie en même temps).")})


def upcoming_and_past(meetings: QuerySet[Meeting], *,
                      now: dt.datetime) -> tuple[QuerySet[Meeting], QuerySet[Meeting]]:
    """Meetings not yet over, soonest first; and the past ones, latest first."""
    return (meetings.filter(ends_at__gte=now).order_by("starts_at", "pk"),
            meetings.filter(ends_at__lt=now).order_by("-starts_at", "-pk"))
