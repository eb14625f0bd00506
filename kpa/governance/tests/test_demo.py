"""The demo governance: open and closed proposals of each method with frozen results in the
register, a consent whose argued objection was integrated, merit profiles, a delegate elected by
a choice, an approval vote, a working group's vote, two charter versions (the second adopted last
month, not acknowledged by everyone), meetings, the network's framework amended by a network
vote counting KPAs — one answered by its delegate, one by its internal vote —, a second network
vote open, a self-assessment, one KPA autonomous and another accompanied with a decision waiting
for its animateur; the coopérant persona can still vote; idempotent.

Governance reads nothing of the ledger, journey, sales or treasury demos, so the module builds
the demo network and then the governance demo only (the whole `kpa seed_demo` takes minutes),
once, inside a transaction rolled back at the end; each test runs in its own savepoint within
it. The tests that need another state run first, before that module transaction exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.directory.demo import NETWORK_NAME, seed_demo_network
from kpa.directory.models import Kpa, Network, Role, RoleKind
from kpa.governance import ballots, charter, closing, delegates, framework, permissions
from kpa.governance.demo import seed_app_demo
from kpa.governance.models import (
    Attendance,
    Ballot,
    CharterAcknowledgement,
    CharterVersion,
    CriterionAssessment,
    Decision,
    Elector,
    FrameworkCriterion,
    FrameworkVersion,
    Meeting,
    Method,
    NetworkDelegate,
    Objection,
    Proposal,
    ProposalRevision,
    SelfAssessment,
    WorkingGroup,
)

pytestmark = pytest.mark.django_db

NOON = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12, 0)))
GOVERNANCE_MODELS = (Proposal, Elector, Ballot, Objection, ProposalRevision, Decision, Meeting,
                     Attendance, CharterVersion, CharterAcknowledgement, NetworkDelegate,
                     FrameworkVersion, FrameworkCriterion, SelfAssessment,
                     CriterionAssessment, WorkingGroup, User, AuditEvent)


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in GOVERNANCE_MODELS}


# -- before the demo exists (runs before the module's demo) -------------------------------------


def test_without_the_demo_network_the_governance_demo_does_nothing():
    line = seed_app_demo(today=TODAY)

    assert line == "Gouvernance : rien à faire (pas de réseau de démonstration)."
    assert not Proposal.objects.exists()


def test_a_story_that_would_start_before_the_team_arrived_is_not_played():
    seed_demo_network()
    users = User.objects.count()

    line = seed_app_demo(today=dt.date(2026, 5, 1))

    assert "rien à faire" in line
    assert "avant l'arrivée de l'équipe" in line
    assert not Proposal.objects.exists()
    assert not FrameworkVersion.objects.exists()
    assert User.objects.count() == users  # the accounts it was about to give are rolled back


# -- the demo as `kpa seed_demo` builds it --------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    output: str
    network: Network
    roubaix: Kpa
    lille: Kpa
    persona: User
    animateur: User


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[Demo]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_network()
        output = seed_app_demo(today=TODAY)
        yield Demo(output=output, network=Network.objects.get(name=NETWORK_NAME),
                   roubaix=Kpa.objects.get(name="KPA Roubaix"),
                   lille=Kpa.objects.get(name="KPA Lille-Moulins"),
                   persona=User.objects.get(username="cooperant"),
                   animateur=User.objects.get(username="animateur"))
        transaction.set_rollback(True)


def _kpa_proposals(demo: Demo) -> Q:
    return Q(kpa__network=demo.network) | Q(network=demo.network)


def test_the_hook_reports_what_it_built_in_one_french_line(demo):
    assert demo.output.startswith("Gouvernance créée : ")
    assert f"{Proposal.objects.count()} propositions" in demo.output
    assert f"{Decision.objects.count()} décisions au registre" in demo.output
    assert "\n" not in demo.output


def test_each_method_has_an_open_and_a_closed_proposal(demo):
    found = set(Proposal.objects.filter(_kpa_proposals(demo))
                .values_list("method", "status").distinct())

    for method in Method.values:
        assert (method, Proposal.Status.OPEN) in found, method
        assert (method, Proposal.Status.CLOSED) in found, method


def test_closed_proposals_have_frozen_results_and_a_register_entry(demo):
    closed = Proposal.objects.filter(status=Proposal.Status.CLOSED)

    assert closed.count() >= 8
    for proposal in closed:
        assert proposal.outcome, proposal
        assert proposal.closed_at is not None, proposal
        assert proposal.results == closing.count_results(proposal), proposal
        decision = Decision.objects.get(proposal=proposal)
        assert decision.figures == proposal.results
        assert decision.outcome == proposal.outcome
        assert (decision.kpa_id, decision.network_id) == (proposal.kpa_id, proposal.network_id)
    assert not Decision.objects.filter(proposal__status=Proposal.Status.OPEN).exists()


def test_registers_are_numbered_without_a_gap(demo):
    for scope in [{"kpa": kpa} for kpa in Kpa.objects.all()] + [{"network": demo.network}]:
        numbers = list(Decision.objects.filter(**scope).order_by("number")
                       .values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)), scope


def test_a_consent_adopted_after_an_argued_objection_was_integrated(demo):
    objection = Objection.objects.get()
    proposal = objection.proposal

    assert objection.status == Objection.Status.INTEGRATED
    assert objection.argument
    assert objection.resolution
    assert proposal.method == Method.CONSENT
    assert proposal.outcome == Proposal.Outcome.ADOPTED
    assert proposal.results["objections_integrated"] == 1
    assert proposal.results["objections_open"] == 0
    revision = proposal.revisions.get()
    assert revision.title != proposal.title  # the amended text, the former one kept
    assert Ballot.objects.get(elector=objection.elector).choice == Ballot.Choice.CONSENT


def test_a_closed_majority_judgment_shows_merit_profiles(demo):
    proposal = Proposal.objects.get(method=Method.JUDGMENT, status=Proposal.Status.CLOSED)
    rows = proposal.results["options"]

    assert proposal.outcome == Proposal.Outcome.ELECTED
    assert len(rows) >= 3
    for row in rows:
        assert sum(row["tally"]) == proposal.results["participants"]
        assert row["majority_grade_label"]
        assert row["above"] + row["below"] <= proposal.results["participants"]
    assert proposal.results["winners"] == [next(r["id"] for r in rows if r["rank"] == 1)]


def test_a_choice_elected_roubaix_s_delegate_who_is_the_persona(demo):
    decision = Decision.objects.get(proposal__method=Method.CHOICE,
                                    proposal__status=Proposal.Status.CLOSED, kpa=demo.roubaix)
    winner = next(row["label"] for row in decision.figures["options"]
                  if row["id"] in decision.figures["winners"])
    delegate = delegates.current_delegate(demo.roubaix, today=TODAY)

    assert decision.outcome == Proposal.Outcome.ELECTED
    assert delegate is not None
    assert delegate.user == demo.persona
    assert winner == delegate.full_name
    assert NetworkDelegate.objects.get(kpa=demo.roubaix, person=delegate).decision == decision


def test_an_approval_vote_is_open_with_ballots_choosing_several_options(demo):
    proposal = Proposal.objects.get(method=Method.CHOICE, kpa=demo.roubaix,
                                    status=Proposal.Status.OPEN)

    assert proposal.choice_mode == Proposal.ChoiceMode.APPROVAL
    assert proposal.closes_at is not None
    assert proposal.closes_at > NOON
    sizes = [ballot.selections.count() for ballot in proposal.ballots.all()]
    assert sizes
    assert max(sizes) >= 2


def test_a_working_group_votes_among_its_members_only(demo):
    group = WorkingGroup.objects.get(kpa=demo.roubaix)
    proposal = Proposal.objects.get(group=group)
    members = set(group.members.values_list("pk", flat=True))

    assert proposal.status == Proposal.Status.OPEN
    electors = set(proposal.electors.values_list("person_id", flat=True))
    assert electors
    assert electors <= members
    assert demo.persona.person.pk in electors  # type: ignore[attr-defined]


def test_the_charter_has_two_versions_the_second_adopted_by_consent_last_month(demo):
    first, second = CharterVersion.objects.filter(kpa=demo.roubaix).order_by("number")
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    assert charter.current_charter(demo.roubaix) == second
    assert first.status == CharterVersion.Status.SUPERSEDED
    assert first.decision is not None
    assert first.decision.source == Decision.Source.SHOW_OF_HANDS
    assert first.adopted_on is not None
    assert first.adopted_on < TODAY - dt.timedelta(days=90)
    assert second.decision is not None
    assert second.decision.proposal is not None
    assert second.decision.proposal.method == Method.CONSENT
    assert second.decision.ratified_by is not None  # Roubaix is accompanied
    assert second.adopted_on is not None
    assert second.adopted_on.replace(day=1) == last_month
    assert charter.diff_lines(first.body, second.body) != [
        ("same", line) for line in first.body.splitlines()]


def test_some_members_acknowledged_the_second_charter_and_others_not_the_persona_among_them(
        demo):
    second = charter.current_charter(demo.roubaix)
    pending = charter.pending_acknowledgements(demo.roubaix, today=TODAY)

    assert second is not None
    assert second.acknowledgements.count() >= 2
    assert demo.persona.person in pending  # type: ignore[attr-defined]
    assert CharterAcknowledgement.objects.filter(version__number=1,
                                                 person__user=demo.persona).exists()


def test_a_past_meeting_has_its_agenda_attendance_minutes_and_a_show_of_hands(demo):
    now = NOON
    past = Meeting.objects.filter(kpa=demo.roubaix, ends_at__lt=now).order_by("-starts_at")
    upcoming = Meeting.objects.filter(kpa=demo.roubaix, starts_at__gt=now, cancelled_at=None)
    last = past.first()

    assert last is not None
    assert last.agenda
    assert last.minutes
    assert last.minutes_published_at is not None
    statuses = set(last.attendances.values_list("status", flat=True))
    assert {Attendance.Status.PRESENT, Attendance.Status.EXCUSED} <= statuses
    decision = last.decisions.get()
    assert decision.source == Decision.Source.SHOW_OF_HANDS
    votes = decision.figures["for"] + decision.figures["against"] + decision.figures["abstain"]
    assert 0 < votes <= decision.figures["present"]
    assert last.proposals.exists()
    assert upcoming.filter(proposals__status=Proposal.Status.OPEN).exists()


def test_the_framework_in_force_is_the_amendment_adopted_by_a_network_vote_counting_kpas(demo):
    current = framework.current_version(demo.network)
    assert current is not None
    assert current.based_on is not None
    decision = current.decision

    assert current.based_on.status == FrameworkVersion.Status.SUPERSEDED
    assert decision is not None
    assert decision.network == demo.network
    assert decision.proposal is not None
    assert decision.proposal.framework_version == current
    electors = decision.proposal.electors
    assert not electors.filter(person__isnull=False).exists()
    assert decision.figures["electors"] == electors.count() == Kpa.objects.filter(
        network=demo.network).count()
    assert decision.figures["participants"] == electors.filter(has_voted=True).count() >= 3
    diff = framework.framework_diff(current.based_on, current)
    assert len(diff.added) + len(diff.changed) == 1


def test_the_amendment_was_answered_by_a_delegate_and_by_an_internal_vote(demo):
    network_vote = Proposal.objects.get(framework_version__isnull=False)
    cast = AuditEvent.objects.filter(action="governance.ballot.cast",
                                     target_id=str(network_vote.pk))
    internal = Proposal.objects.get(network_proposal=network_vote)

    ways = {event.data["by"] for event in cast}
    assert ways == {"delegate", "internal"}
    by_internal = cast.get(data__by="internal")
    assert by_internal.data["kpa"] == internal.kpa_id == demo.roubaix.pk
    assert by_internal.data["internal_proposal"] == internal.pk
    assert internal.status == Proposal.Status.CLOSED
    for event in cast.filter(data__by="delegate"):
        assert event.actor is not None
        kpa = Kpa.objects.get(pk=event.data["kpa"])
        assert NetworkDelegate.objects.filter(kpa=kpa, person__user=event.actor).exists()


def test_no_kpa_votes_twice_in_the_network(demo):
    for proposal in Proposal.objects.filter(network=demo.network):
        per_kpa = (Ballot.objects.filter(proposal=proposal).values("elector__kpa_id")
                   .annotate(n=Count("id")))
        assert all(row["n"] == 1 and row["elector__kpa_id"] for row in per_kpa), proposal
        assert len(per_kpa) == proposal.electors.filter(has_voted=True).count()


def test_a_second_network_proposal_is_open_and_the_persona_may_answer_for_roubaix(demo):
    open_ = Proposal.objects.get(network=demo.network, status=Proposal.Status.OPEN)
    elector = ballots.elector_of(open_, demo.persona, today=TODAY)

    assert open_.ballots.exists()
    assert elector is not None
    assert elector.kpa == demo.roubaix
    assert not elector.has_voted


def test_the_persona_can_vote_on_the_open_judgment_she_has_not_graded(demo):
    proposal = Proposal.objects.get(method=Method.JUDGMENT, status=Proposal.Status.OPEN)
    elector = ballots.elector_of(proposal, demo.persona, today=TODAY)
    assert elector is not None
    assert not elector.has_voted
    assert proposal.ballots.count() >= 2

    ballots.cast_vote(proposal, actor=demo.persona, now=NOON,
                      grades=dict.fromkeys(proposal.options.values_list("pk", flat=True), 4))

    elector.refresh_from_db()
    assert elector.has_voted


def test_roubaix_is_accompanied_with_a_decision_for_its_animateur_to_ratify(demo):
    waiting = Decision.objects.filter(kpa=demo.roubaix, ratified_at__isnull=True)

    assert demo.roubaix.autonomy == Kpa.Autonomy.ACCOMPANIED
    assert waiting.exists()
    assert all(permissions.can_ratify_decision(demo.animateur, d, today=TODAY)
               for d in waiting)
    assert Decision.objects.filter(kpa=demo.roubaix, ratified_by__user=demo.animateur).exists()


def test_lille_became_autonomous_by_a_ratified_decision(demo):
    decision = Decision.objects.get(kpa=demo.lille, proposal__autonomy_target="autonomous")

    assert demo.lille.autonomy == Kpa.Autonomy.AUTONOMOUS
    assert decision.outcome == Proposal.Outcome.ADOPTED
    assert decision.ratified_at is not None


def test_every_kpa_has_a_delegate_who_is_one_of_its_members(demo):
    for kpa in Kpa.objects.filter(network=demo.network):
        delegate = delegates.current_delegate(kpa, today=TODAY)
        assert delegate is not None, kpa
        assert Role.objects.current(TODAY).filter(kpa=kpa, person=delegate).exists(), kpa


def test_roubaix_assessed_itself_against_the_framework_in_force(demo):
    found = SelfAssessment.objects.get(kpa=demo.roubaix)
    answers = found.answers.all()

    assert found.version == framework.current_version(demo.network)
    assert answers.count() >= 5
    assert all(answer.evidence for answer in answers)
    assert {a.status for a in answers} == set(CriterionAssessment.Status.values)
    assert answers.filter(criterion__pillar__version=found.version).count() == answers.count()


def test_the_people_who_vote_online_are_cooperants_of_the_kpa(demo):
    for elector in Elector.objects.filter(proposal__kpa=demo.roubaix, has_voted=True):
        assert Role.objects.current(TODAY).filter(
            person=elector.person, kpa=demo.roubaix, kind=RoleKind.COOPERANT).exists()
    new_accounts = User.objects.filter(person__isnull=False).exclude(
        username__in=["cooperant", "referent", "animateur", "accompagnateur", "benevole",
                      "gestionnaire", "comptable", "coordinateur", "admin"])
    assert new_accounts.exists()
    assert not any(user.has_usable_password() for user in new_accounts)


def test_seeding_twice_changes_nothing(demo):
    before = _counts()

    line = seed_app_demo(today=TODAY)

    assert line.startswith("Gouvernance déjà présente : ")
    assert _counts() == before
