"""Meeting services: who plans, times and titles refused plainly, linked proposals of the same
KPA only, revisions for calendars, cancellation, attendance of members only, minutes after the
start, a show of hands into the register (abstentions not counted, never more votes than
persons present), a charter adopted by a show of hands."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Kpa
from kpa.governance import meetings
from kpa.governance.models import Attendance, CharterVersion, Decision, Meeting
from kpa.governance.tests.factories import NOW, make_autonomous, make_proposal

START = NOW + dt.timedelta(days=3)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def plan(cast: Cast, *, persona: str = "referent", kpa: Kpa | None = None,
         starts_at: dt.datetime = START, **fields: Any) -> Meeting:
    fields.setdefault("title", "Réunion du collectif")
    return meetings.plan_meeting(
        actor=cast.user(persona), now=NOW, kpa=kpa or cast.home, starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=2), **fields)


def held(cast: Cast, **fields: Any) -> Meeting:
    """A meeting that has begun an hour before NOW."""
    return plan(cast, starts_at=NOW - dt.timedelta(hours=1), **fields)


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_referent_plans_a_meeting_and_the_members_are_told(cast: Cast) -> None:
    meeting = plan(cast, location="Atelier", agenda="- Le budget")
    assert meeting.kpa == cast.home
    assert meeting.created_by == cast.referent
    assert meeting.sequence == 0
    assert meeting.location == "Atelier"
    assert AuditEvent.objects.filter(action="governance.meeting.planned",
                                     target_id=str(meeting.pk)).exists()
    told = set(Notification.objects.filter(topic="governance.meeting.planned")
               .values_list("recipient__username", flat=True))
    assert "cooperant" in told
    assert "animateur" in told
    assert "referent" not in told
    assert "outsider" not in told


def test_a_cooperant_plans_only_when_the_kpa_is_autonomous(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        plan(cast, persona="cooperant")
    make_autonomous(cast.home)
    assert plan(cast, persona="cooperant").created_by == cast.cooperant
    with pytest.raises(PermissionDenied):
        plan(cast, persona="outsider")


def test_a_meeting_needs_a_title_and_an_end_after_its_start(cast: Cast) -> None:
    with pytest.raises(ValidationError) as error:
        plan(cast, title="  ")
    assert "Donnez un titre" in messages_of(error.value)
    with pytest.raises(ValidationError) as error:
        meetings.plan_meeting(actor=cast.user("referent"), now=NOW, kpa=cast.home,
                              title="Réunion", starts_at=START, ends_at=START)
    assert "La fin doit venir après le début" in messages_of(error.value)
    assert not Meeting.objects.exists()


def test_only_proposals_of_the_same_kpa_can_be_linked(cast: Cast) -> None:
    ours = make_proposal(cast, method="majority", opened=False)
    theirs = make_proposal(cast.elsewhere, method="majority", opened=False,
                           actor=cast.user("outsider"))
    meeting = plan(cast, proposal_ids=[ours.pk])
    assert list(meeting.proposals.all()) == [ours]
    with pytest.raises(ValidationError) as error:
        plan(cast, proposal_ids=[ours.pk, theirs.pk])
    assert "propre KPA" in messages_of(error.value)


def test_calendar_changes_bump_the_revision_and_linking_does_not(cast: Cast) -> None:
    meeting = plan(cast)
    proposal = make_proposal(cast, method="majority", opened=False)
    meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW,
                            proposal_ids=[proposal.pk])
    assert meeting.sequence == 0
    assert list(meeting.proposals.all()) == [proposal]
    meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW,
                            location="Salle des fêtes", title="Réunion du collectif")
    meeting.refresh_from_db()
    assert meeting.sequence == 1
    assert meeting.location == "Salle des fêtes"
    meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW, location="Salle "
                            "des fêtes")
    assert meeting.sequence == 1  # nothing changed: calendars keep their copy
    with pytest.raises(ValidationError):
        meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW,
                                ends_at=meeting.starts_at - dt.timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        meetings.update_meeting(meeting, actor=cast.user("cooperant"), now=NOW, title="X")


def test_a_cancelled_meeting_is_a_new_revision_and_changes_no_more(cast: Cast) -> None:
    meeting = plan(cast)
    meetings.cancel_meeting(meeting, actor=cast.user("animateur"), now=NOW)
    meeting.refresh_from_db()
    assert meeting.cancelled_at == NOW
    assert meeting.sequence == 1
    with pytest.raises(ValidationError) as error:
        meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW, title="Autre")
    assert "annulée" in messages_of(error.value)
    assert Notification.objects.filter(topic="governance.meeting.cancelled",
                                       recipient__username="cooperant").exists()


def test_attendance_lists_only_current_members_of_the_kpa(cast: Cast) -> None:
    meeting = held(cast)
    with pytest.raises(ValidationError) as error:
        meetings.record_attendance(meeting, actor=cast.user("referent"),
                                   statuses={cast.outsider.pk: "present"}, today=NOW.date())
    assert "membres actuel·les du KPA" in messages_of(error.value)
    result = meetings.record_attendance(
        meeting, actor=cast.user("referent"), today=NOW.date(),
        statuses={cast.cooperant.pk: "present", cast.quiet_cooperant.pk: "excused",
                  cast.referent.pk: "present"})
    assert result == {cast.cooperant.pk: "present", cast.quiet_cooperant.pk: "excused",
                      cast.referent.pk: "present"}
    assert meetings.present_count(meeting) == 2
    meetings.record_attendance(meeting, actor=cast.user("referent"), today=NOW.date(),
                               statuses={cast.quiet_cooperant.pk: ""})
    assert not Attendance.objects.filter(meeting=meeting,
                                         person=cast.quiet_cooperant).exists()
    with pytest.raises(ValidationError):
        meetings.record_attendance(meeting, actor=cast.user("referent"), today=NOW.date(),
                                   statuses={cast.cooperant.pk: "sleeping"})


def test_minutes_are_written_once_the_meeting_has_begun(cast: Cast) -> None:
    coming = plan(cast)
    with pytest.raises(ValidationError) as error:
        meetings.publish_minutes(coming, actor=cast.user("referent"), now=NOW, minutes="Vu.")
    assert "pas encore commencé" in messages_of(error.value)
    meeting = held(cast)
    meetings.publish_minutes(meeting, actor=cast.user("referent"), now=NOW,
                             minutes="## Points\n- budget voté")
    meeting.refresh_from_db()
    assert meeting.minutes_published_at == NOW
    assert "budget" in meeting.minutes
    assert AuditEvent.objects.filter(action="governance.meeting.minutes_published").exists()


def test_a_show_of_hands_goes_into_the_register_without_counting_abstentions(
        cast: Cast) -> None:
    meeting = held(cast)
    decision = meetings.record_show_of_hands(
        meeting, actor=cast.user("referent"), now=NOW, title="Ouvrir le samedi",
        summary="L'atelier ouvre le samedi matin.", votes_for=3, against=2, abstain=10)
    assert decision.outcome == "adopted"  # 3 of the 5 counted votes
    assert decision.source == Decision.Source.SHOW_OF_HANDS
    assert decision.method == "majority"
    assert decision.meeting == meeting
    assert decision.kpa == cast.home
    assert decision.number == 1
    assert decision.decided_on == meeting.starts_at.date()
    assert decision.figures == {"for": 3, "against": 2, "abstain": 10, "present": None,
                                "threshold": "simple"}
    tie = meetings.record_show_of_hands(
        meeting, actor=cast.user("referent"), now=NOW, title="Changer de nom", summary="",
        votes_for=2, against=2, abstain=0)
    assert tie.outcome == "rejected"
    assert tie.number == 2
    two_thirds = meetings.record_show_of_hands(
        meeting, actor=cast.user("referent"), now=NOW, title="Acheter un four", summary="",
        votes_for=6, against=3, abstain=0, threshold="two_thirds")
    assert two_thirds.outcome == "adopted"


def test_there_are_never_more_votes_than_persons_present(cast: Cast) -> None:
    meeting = held(cast)
    meetings.record_attendance(meeting, actor=cast.user("referent"), today=NOW.date(),
                               statuses={cast.cooperant.pk: "present",
                                         cast.referent.pk: "present",
                                         cast.quiet_cooperant.pk: "absent"})
    with pytest.raises(ValidationError) as error:
        meetings.record_show_of_hands(meeting, actor=cast.user("referent"), now=NOW,
                                      title="Trop de voix", summary="", votes_for=2,
                                      against=1, abstain=0)
    assert messages_of(error.value) == "Il y a plus de voix que de personnes présentes."
    decision = meetings.record_show_of_hands(meeting, actor=cast.user("referent"), now=NOW,
                                             title="Juste assez", summary="", votes_for=1,
                                             against=0, abstain=1)
    assert decision.figures["present"] == 2
    with pytest.raises(ValidationError):
        meetings.record_show_of_hands(meeting, actor=cast.user("referent"), now=NOW,
                                      title="Négatif", summary="", votes_for=-1, against=0,
                                      abstain=0)


def test_a_show_of_hands_needs_a_begun_meeting_and_a_manager(cast: Cast) -> None:
    coming = plan(cast)
    with pytest.raises(ValidationError):
        meetings.record_show_of_hands(coming, actor=cast.user("referent"), now=NOW,
                                      title="Trop tôt", summary="", votes_for=1, against=0,
                                      abstain=0)
    with pytest.raises(PermissionDenied):
        meetings.record_show_of_hands(held(cast), actor=cast.user("cooperant"), now=NOW,
                                      title="Pas à moi", summary="", votes_for=1, against=0,
                                      abstain=0)
    assert not Decision.objects.exists()


def test_a_meeting_with_decisions_cannot_be_cancelled(cast: Cast) -> None:
    meeting = held(cast)
    meetings.record_show_of_hands(meeting, actor=cast.user("referent"), now=NOW,
                                  title="Voté", summary="", votes_for=1, against=0, abstain=0)
    with pytest.raises(ValidationError):
        meetings.cancel_meeting(meeting, actor=cast.user("referent"), now=NOW)


def test_the_network_meets_through_its_coordinators(cast: Cast) -> None:
    meeting = meetings.plan_meeting(actor=cast.user("coordinateur"), now=NOW,
                                    network=cast.network, title="Inter-KPA", starts_at=START,
                                    ends_at=START + dt.timedelta(hours=3))
    assert meeting.network == cast.network
    assert meeting.kpa is None
    with pytest.raises(PermissionDenied):
        meetings.plan_meeting(actor=cast.user("referent"), now=NOW, network=cast.network,
                              title="Inter-KPA", starts_at=START,
                              ends_at=START + dt.timedelta(hours=3))
    # Members of the network's KPAs may attend a network meeting.
    assert set(meetings.participants(meeting, today=NOW.date())) >= {
        cast.coordinateur, cast.cooperant, cast.outsider}


def test_an_autonomous_kpa_adopts_its_charter_by_show_of_hands(cast: Cast) -> None:
    from kpa.governance import charter

    make_autonomous(cast.home)
    version = charter.draft_charter_version(cast.home, actor=cast.user("cooperant"),
                                            body="# Charte\nOn s'entraide.",
                                            today=NOW.date())
    decision = meetings.record_show_of_hands(
        held(cast), actor=cast.user("referent"), now=NOW, title="Adopter la charte",
        summary="", votes_for=5, against=1, abstain=0, charter_version=version)
    version.refresh_from_db()
    assert version.status == CharterVersion.Status.ADOPTED
    assert version.decision == decision


def test_in_a_supervised_kpa_only_an_animateur_votes_the_charter_and_ratifies_it(
        cast: Cast) -> None:
    from kpa.governance import charter

    version = charter.draft_charter_version(cast.home, actor=cast.user("cooperant"),
                                            body="Charte v1", today=NOW.date())
    meeting = held(cast)
    with pytest.raises(ValidationError):
        meetings.record_show_of_hands(meeting, actor=cast.user("referent"), now=NOW,
                                      title="Charte", summary="", votes_for=5, against=0,
                                      abstain=0, charter_version=version)
    decision = meetings.record_show_of_hands(
        meeting, actor=cast.user("animateur"), now=NOW, title="Charte", summary="",
        votes_for=5, against=0, abstain=0, charter_version=version)
    decision.refresh_from_db()
    version.refresh_from_db()
    assert decision.ratified_by == cast.animateur
    assert version.status == CharterVersion.Status.ADOPTED
