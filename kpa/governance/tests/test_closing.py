"""Closing: the count per method, read from the database, stored once with its decision."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpa.core.models import AuditEvent, Notification
from kpa.governance import closing
from kpa.governance.models import Ballot, Decision, Objection, Proposal
from kpa.governance.tests.factories import (
    NOW,
    add_cooperant,
    cast_ballot,
    make_autonomous,
    make_proposal,
    object_to,
    option,
)

LATER = NOW + dt.timedelta(days=7)


@pytest.fixture
def four(cast):
    """An autonomous home KPA with four coopérants: cooperant, quiet_cooperant, ann, bob."""
    make_autonomous(cast.home)
    return [cast.cooperant, cast.quiet_cooperant, add_cooperant(cast.home, "ann"),
            add_cooperant(cast.home, "bob")]


def test_majority_counts_and_adopts(cast, four):
    proposal = make_proposal(cast, method="majority", review_on=dt.date(2027, 6, 1))
    for person, choice in zip(four, ["for", "for", "against", "abstain"], strict=True):
        cast_ballot(proposal, person, choice=choice)
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.CLOSED
    assert proposal.closed_at == LATER
    assert proposal.outcome == "adopted"
    assert proposal.results == {
        "method": "majority", "electors": 4, "participants": 4, "quorum_percent": 0,
        "quorum_reached": True, "for": 2, "against": 1, "abstain": 1, "threshold": "simple",
        "abstentions_count": False}
    assert decision.figures == proposal.results
    assert (decision.kpa, decision.number, decision.source, decision.method) == (
        cast.home, 1, "proposal", "majority")
    assert decision.decided_on == LATER.date()
    assert decision.review_on == dt.date(2027, 6, 1)
    assert decision.proposal == proposal
    assert "2 pour, 1 contre, 1 abstention" in decision.summary


def test_majority_with_abstentions_counted_is_rejected(cast, four):
    proposal = make_proposal(cast, method="majority", abstentions_count=True)
    for person, choice in zip(four, ["for", "for", "against", "abstain"], strict=True):
        cast_ballot(proposal, person, choice=choice)
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "rejected"  # 2 of 4 is not more than half


def test_two_thirds_threshold(cast, four):
    proposal = make_proposal(cast, method="majority", threshold="two_thirds")
    for person, choice in zip(four[:3], ["for", "for", "against"], strict=True):
        cast_ballot(proposal, person, choice=choice)
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "adopted"  # 2/3 reaches two thirds


def test_quorum_missed_is_no_quorum(cast, four):
    proposal = make_proposal(cast, method="majority", quorum_percent=75)
    cast_ballot(proposal, four[0], choice="for")
    cast_ballot(proposal, four[1], choice="for")
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == decision.outcome == "no_quorum"
    assert proposal.results["quorum_reached"] is False
    assert proposal.results["participants"] == 2
    assert "Quorum non atteint" in decision.summary


def test_consent_with_an_open_objection_is_rejected(cast, four):
    proposal = make_proposal(cast, method="consent")
    cast_ballot(proposal, four[0], choice="consent")
    cast_ballot(proposal, four[1], choice="consent")
    object_to(proposal, four[2])
    object_to(proposal, four[3], status=Objection.Status.WITHDRAWN)
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "rejected"
    assert proposal.results["consents"] == 2
    assert proposal.results["objections_open"] == 1
    assert proposal.results["objections_withdrawn"] == 1
    assert proposal.results["participants"] == 4  # an objection is taking part


def test_consent_without_open_objection_is_adopted(cast, four):
    proposal = make_proposal(cast, method="consent", quorum_percent=50)
    cast_ballot(proposal, four[0], choice="consent")
    object_to(proposal, four[1], status=Objection.Status.INTEGRATED)
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "adopted"
    assert proposal.results["objections_integrated"] == 1


def test_consent_quorum_missed(cast, four):
    proposal = make_proposal(cast, method="consent", quorum_percent=50)
    cast_ballot(proposal, four[0], choice="consent")
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "no_quorum"


def test_judgment_ranks_and_pads_ungraded_options(cast, four):
    proposal = make_proposal(cast, method="judgment", options=["A", "B", "C"])
    cast_ballot(proposal, four[0], grades={"A": 5, "B": 3})  # C left ungraded: "À rejeter"
    cast_ballot(proposal, four[1], grades={"A": 4, "B": 4, "C": 2})
    cast_ballot(proposal, four[2], grades={"A": 2, "B": 5, "C": 6})
    assert closing.judgment_tallies(proposal) == [
        [0, 0, 1, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1, 0], [1, 0, 1, 0, 0, 0, 1]]
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    rows = {row["label"]: row for row in proposal.results["options"]}
    # A and B share the majority grade "Bien"; without their medians B stays higher.
    assert {label: row["rank"] for label, row in rows.items()} == {"A": 2, "B": 1, "C": 3}
    assert rows["B"]["majority_grade"] == 4
    assert rows["B"]["majority_grade_label"] == "Bien"
    assert (rows["B"]["above"], rows["B"]["below"]) == (1, 1)
    assert rows["C"]["tally"] == [1, 0, 1, 0, 0, 0, 1]
    assert proposal.results["winners"] == [option(proposal, "B").pk]
    assert proposal.outcome == "elected"
    assert "Option retenue : « B », mention majoritaire « Bien »" in decision.summary


def test_judgment_tie(cast, four):
    proposal = make_proposal(cast, method="judgment", options=["A", "B"])
    cast_ballot(proposal, four[0], grades={"A": 3, "B": 3})
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "tie"
    assert len(proposal.results["winners"]) == 2


def test_judgment_tallies_take_a_fixed_number_of_queries(cast, four,
                                                         django_assert_max_num_queries):
    proposal = make_proposal(cast, method="judgment",
                             options=[f"Option {i}" for i in range(8)])
    for person in four:
        cast_ballot(proposal, person, grades={f"Option {i}": i % 7 for i in range(8)})
    with django_assert_max_num_queries(3):  # options, ONE grouped count, ballots
        tallies = closing.judgment_tallies(proposal)
    assert tallies[1] == [0, 4, 0, 0, 0, 0, 0]


def test_choice_elects_the_most_chosen(cast, four):
    proposal = make_proposal(cast, method="choice", options=["Anna", "Bilal", "Chloé"])
    cast_ballot(proposal, four[0], chosen=["Anna"])
    cast_ballot(proposal, four[1], chosen=["Anna"])
    cast_ballot(proposal, four[2], chosen=["Bilal"])
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "elected"
    assert [(row["label"], row["votes"], row["rank"]) for row in proposal.results["options"]] == [
        ("Anna", 2, 1), ("Bilal", 1, 2), ("Chloé", 0, 3)]
    assert proposal.results["winners"] == [option(proposal, "Anna").pk]


def test_choice_tie_and_approval(cast, four):
    proposal = make_proposal(cast, method="choice", options=["Anna", "Bilal"],
                             choice_mode="approval")
    cast_ballot(proposal, four[0], chosen=["Anna", "Bilal"])
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "tie"
    assert proposal.results["participants"] == 1


def test_choice_without_any_vote_is_no_quorum(cast, four):
    proposal = make_proposal(cast, method="choice")
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert proposal.outcome == "no_quorum"
    assert proposal.results["winners"] == []


def test_secret_ballots_are_counted(cast, four):
    proposal = make_proposal(cast, method="majority", secret=True)
    for person in four[:3]:
        cast_ballot(proposal, person, choice="for")
    assert not Ballot.objects.filter(proposal=proposal, elector__isnull=False).exists()
    closing.close_proposal(proposal, actor=None, now=LATER)
    assert (proposal.results["for"], proposal.results["participants"]) == (3, 3)
    closed = AuditEvent.objects.get(action="governance.proposal.closed")
    assert set(closed.data) == {"outcome", "participants", "electors", "early"}


def test_results_never_change(cast, four):
    proposal = make_proposal(cast, method="majority")
    cast_ballot(proposal, four[0], choice="for")
    closing.close_proposal(proposal, actor=None, now=LATER)
    stored = dict(proposal.results)
    cast_ballot(proposal, four[1], choice="against")  # a late row changes nothing
    with pytest.raises(ValidationError) as exc:
        closing.close_proposal(proposal, actor=None, now=LATER)
    assert "déjà clos" in " ".join(exc.value.messages)
    proposal.refresh_from_db()
    assert proposal.results == stored
    assert Decision.objects.filter(proposal=proposal).count() == 1


def test_closing_a_draft_is_refused(cast):
    proposal = make_proposal(cast, method="majority", opened=False)
    with pytest.raises(ValidationError):
        closing.close_proposal(proposal, actor=None, now=LATER)


def test_early_closing_gate(cast):
    proposal = make_proposal(cast, method="majority")  # supervised KPA
    with pytest.raises(PermissionDenied):
        closing.close_proposal(proposal, actor=cast.user("referent"), now=NOW)
    with pytest.raises(PermissionDenied):
        closing.close_proposal(proposal, actor=cast.user("outsider"), now=NOW)
    closing.close_proposal(proposal, actor=cast.user("animateur"), now=NOW)
    assert proposal.status == Proposal.Status.CLOSED


def test_electors_are_told_the_result(cast, four):
    proposal = make_proposal(cast, method="majority")
    closing.close_proposal(proposal, actor=None, now=LATER)
    told = set(Notification.objects.filter(topic="governance.proposal.closed")
               .values_list("recipient__username", flat=True))
    assert told == {"cooperant", "ann", "bob"}  # quiet_cooperant has no login


def test_close_due_and_ensure_closed(cast, four):
    soon = make_proposal(cast, method="majority", closes_at=NOW + dt.timedelta(days=1))
    late = make_proposal(cast, method="majority", closes_at=NOW + dt.timedelta(days=3))
    assert closing.close_due(now=NOW + dt.timedelta(hours=23)) == 0
    assert closing.close_due(now=NOW + dt.timedelta(days=1)) == 1
    soon.refresh_from_db()
    late.refresh_from_db()
    assert soon.status == Proposal.Status.CLOSED
    assert late.status == Proposal.Status.OPEN
    assert closing.ensure_closed(late, now=NOW + dt.timedelta(days=2)).status == "open"
    assert closing.ensure_closed(late, now=NOW + dt.timedelta(days=3)).status == "closed"
    assert Decision.objects.get(proposal=late).recorded_by is None


def test_network_proposal_counts_kpas_into_the_network_register(cast):
    proposal = make_proposal(cast, method="majority", network=cast.network, quorum_percent=50)
    cast_ballot(proposal, cast.home, choice="for")
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    assert (decision.network, decision.kpa, decision.number) == (cast.network, None, 1)
    assert proposal.results["electors"] == 2
    assert proposal.results["participants"] == 1
    assert proposal.outcome == "adopted"


def test_count_results_reads_the_database_without_closing(cast, four):
    proposal = make_proposal(cast, method="majority")
    cast_ballot(proposal, four[0], choice="against")
    results = closing.count_results(proposal)
    assert results["against"] == 1
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


@pytest.mark.django_db(transaction=True)
def test_closing_is_all_or_nothing(monkeypatch):
    """Closing writes the result, the audit, the register and the effects in one transaction
    (and holds the proposal's row lock for all of it): a failure half-way leaves the vote open,
    uncounted, with no decision — here outside any test transaction, as the clock's command
    runs it."""
    from conftest import build_cast
    from kpa.governance import register

    cast = build_cast()
    proposal = make_proposal(cast, method="majority")

    def broken(**kwargs):
        raise RuntimeError("the register is unavailable")

    monkeypatch.setattr(register, "record_decision", broken)
    with pytest.raises(RuntimeError):
        closing.close_proposal(proposal, actor=None, now=proposal.closes_at)

    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    assert proposal.results == {}
    assert proposal.outcome == ""
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action="governance.proposal.closed").exists()
