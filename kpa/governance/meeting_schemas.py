"""Schemas of the meetings API. Every name starts with "Meeting": no two API schemas share a
name."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from kpa.governance.models import Attendance, Decision, Meeting
from kpa.sales.schemas import DbId


class MeetingDecisionRef(Schema):
    id: int
    number: int
    title: str
    outcome: str = Field(description="adopted, rejected…")
    figures: dict[str, object] = Field(
        description="Main levée : for, against, abstain, present (vide sans liste de "
                    "présence), threshold.")


class MeetingAttendanceOut(Schema):
    person_id: int
    name: str
    status: str = Field(description="present, excused, absent")

    @staticmethod
    def resolve_name(obj: Attendance) -> str:
        return obj.person.full_name


class MeetingOut(Schema):
    id: int
    kpa_id: int | None
    network_id: int | None
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    agenda: str = Field(description="Markdown.")
    minutes: str = Field(description="Markdown ; vide tant que le compte rendu n'est pas "
                                     "publié.")
    minutes_published_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    sequence: int = Field(description="Révision iCal : augmente à chaque changement visible "
                                      "dans un agenda.")
    uid: str = Field(description="Identifiant iCal (UID sans le domaine).")
    proposal_ids: list[int]

    @staticmethod
    def resolve_uid(obj: Meeting) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_proposal_ids(obj: Meeting) -> list[int]:
        # Read from the prefetched rows: a list costs the same queries for any length.
        return sorted(p.pk for p in obj.proposals.all())


class MeetingDetailOut(MeetingOut):
    attendance: list[MeetingAttendanceOut]
    decisions: list[MeetingDecisionRef]

    @staticmethod
    def resolve_attendance(obj: Meeting) -> list[Attendance]:
        return list(obj.attendances.select_related("person")
                    .order_by("person__last_name", "person__first_name", "pk"))

    @staticmethod
    def resolve_decisions(obj: Meeting) -> list[Decision]:
        return list(obj.decisions.order_by("number"))


class MeetingFilters(Schema):
    kpa: int | None = Field(None, description="Les réunions d'un KPA.")
    network: int | None = Field(None, description="Les réunions du réseau.")
    upcoming: bool = Field(False, description="Seulement celles qui ne sont pas finies, les "
                                              "plus proches d'abord.")


class MeetingIn(Schema):
    kpa_id: DbId | None = Field(None, description="Une réunion de ce KPA…")
    network_id: DbId | None = Field(None, description="…ou du réseau.")
    title: str
    starts_at: dt.datetime = Field(description="Avec son fuseau horaire.")
    ends_at: dt.datetime
    location: str = ""
    agenda: str = ""
    proposal_ids: list[DbId] = Field(default_factory=list,
                                     description="Des propositions du même KPA.")


class MeetingPatch(Schema):
    title: str | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    location: str | None = None
    agenda: str | None = None
    proposal_ids: list[DbId] | None = Field(None, description="Remplace la liste.")


class MeetingAttendanceLine(Schema):
    person_id: DbId
    status: str = Field(description="present, excused, absent ; vide : retirer de la liste.")


class MeetingAttendanceIn(Schema):
    attendance: list[MeetingAttendanceLine]


class MeetingMinutesIn(Schema):
    minutes: str = Field(description="Markdown.")


class MeetingShowOfHandsIn(Schema):
    title: str
    summary: str = ""
    votes_for: int = Field(description="Mains levées pour.")
    against: int
    abstain: int = 0
    threshold: str = Field("simple", description="simple, two_thirds, three_quarters, "
                                                 "unanimity")
    review_on: dt.date | None = None
    charter_version_id: DbId | None = Field(None, description="Une version en projet de la "
                                                              "charte que ce vote adopte.")


class MeetingShowOfHandsOut(Schema):
    id: int
    number: int
    title: str
    outcome: str
    figures: dict[str, object]
    decided_on: dt.date
    meeting_id: int | None
