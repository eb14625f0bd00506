"""What an adopted proposal changes — charter, autonomy, framework — at once when the KPA is
autonomous (or in the network), after ratification otherwise; and an internal proposal's
outcome as the KPA's one vote in the network."""

from __future__ import annotations

import datetime as dt

from conftest import TODAY
from kpa.directory.models import Kpa
from kpa.governance import charter, closing, framework, register
from kpa.governance.models import Ballot, CharterVersion, FrameworkVersion, Objection
from kpa.governance.tests.factories import (
    NOW,
    add_cooperant,
    cast_ballot,
    make_autonomous,
    make_proposal,
    object_to,
)

LATER = NOW + dt.timedelta(days=7)


def draft_charter(cast):
    return charter.draft_charter_version(cast.home, actor=cast.user("cooperant"),
                                         body="# Notre charte\n\nOn s'entraide.", today=TODAY)


def test_autonomous_kpa_adopts_its_charter_at_closing(cast):
    make_autonomous(cast.home)
    version = draft_charter(cast)
    proposal = make_proposal(cast, method="consent", charter_version=version)
    cast_ballot(proposal, cast.cooperant, choice="consent")
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    version.refresh_from_db()
    assert version.status == CharterVersion.Status.ADOPTED
    assert version.decision == decision
    assert charter.current_charter(cast.home) == version


def test_rejected_charter_stays_a_draft(cast):
    make_autonomous(cast.home)
    version = draft_charter(cast)
    proposal = make_proposal(cast, method="consent", charter_version=version)
    object_to(proposal, cast.cooperant, status=Objection.Status.OPEN)
    closing.close_proposal(proposal, actor=None, now=LATER)
    version.refresh_from_db()
    assert proposal.outcome == "rejected"
    assert version.status == CharterVersion.Status.DRAFT


def test_accompanied_kpa_changes_only_after_ratification(cast):
    cast.home.autonomy = Kpa.Autonomy.ACCOMPANIED
    cast.home.save(update_fields=["autonomy"])
    proposal = make_proposal(cast, method="majority",
                             autonomy_target=Kpa.Autonomy.AUTONOMOUS)
    cast_ballot(proposal, cast.cooperant, choice="for")
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    assert decision.outcome == "adopted"
    cast.home.refresh_from_db()
    assert cast.home.autonomy == Kpa.Autonomy.ACCOMPANIED  # waits for the animateur
    register.ratify_decision(decision, actor=cast.user("animateur"), now=LATER)
    cast.home.refresh_from_db()
    assert cast.home.autonomy == Kpa.Autonomy.AUTONOMOUS


def test_supervised_charter_adopted_by_ratification(cast):
    version = draft_charter(cast)
    proposal = make_proposal(cast, method="majority", charter_version=version)
    cast_ballot(proposal, cast.cooperant, choice="for")
    decision = closing.close_proposal(proposal, actor=cast.user("animateur"), now=NOW)
    version.refresh_from_db()
    assert version.status == CharterVersion.Status.DRAFT
    register.ratify_decision(decision, actor=cast.user("animateur"), now=NOW)
    version.refresh_from_db()
    assert version.status == CharterVersion.Status.ADOPTED
    assert version.adopted_on == NOW.date()


def test_network_adopts_a_framework_amendment_with_one_vote_per_kpa(cast):
    current = framework.install_framework(cast.network, actor=None)
    draft = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                label="Cadre 2027", today=TODAY)
    proposal = make_proposal(cast, method="majority", network=cast.network,
                             framework_version=draft)
    cast_ballot(proposal, cast.home, choice="for")
    cast_ballot(proposal, cast.elsewhere, choice="for")
    decision = closing.close_proposal(proposal, actor=None, now=LATER)
    draft.refresh_from_db()
    current.refresh_from_db()
    assert draft.status == FrameworkVersion.Status.CURRENT
    assert draft.decision == decision
    assert current.status == FrameworkVersion.Status.SUPERSEDED


def network_and_internal(cast, method, options=()):
    make_autonomous(cast.home)
    network_vote = make_proposal(cast, method=method, network=cast.network, options=options,
                                 closes_at=NOW + dt.timedelta(days=14))
    internal = make_proposal(cast, method=method, options=options, network_proposal=network_vote)
    return network_vote, internal


def kpa_ballot(network_vote, kpa):
    return Ballot.objects.get(proposal=network_vote, elector__kpa=kpa)


def test_internal_majority_becomes_the_kpa_vote(cast):
    network_vote, internal = network_and_internal(cast, "majority")
    cast_ballot(internal, cast.cooperant, choice="against")
    decision = closing.close_proposal(internal, actor=None, now=LATER)
    assert kpa_ballot(network_vote, cast.home).choice == "against"
    assert "vote du KPA au réseau" in decision.summary


def test_internal_majority_without_quorum_abstains(cast):
    network_vote, internal = network_and_internal(cast, "majority")
    internal.quorum_percent = 100
    internal.save(update_fields=["quorum_percent"])
    cast_ballot(internal, cast.cooperant, choice="for")
    closing.close_proposal(internal, actor=None, now=LATER)
    assert kpa_ballot(network_vote, cast.home).choice == "abstain"


def test_internal_choice_votes_for_its_winner_by_label(cast):
    network_vote, internal = network_and_internal(cast, "choice", ["Anna", "Bilal"])
    cast_ballot(internal, cast.cooperant, chosen=["Bilal"])
    closing.close_proposal(internal, actor=None, now=LATER)
    ballot = kpa_ballot(network_vote, cast.home)
    assert list(ballot.selections.values_list("option__label", flat=True)) == ["Bilal"]


def test_internal_choice_tie_casts_no_vote(cast):
    network_vote, internal = network_and_internal(cast, "choice", ["Anna", "Bilal"])
    cast_ballot(internal, cast.cooperant, chosen=["Bilal"])
    cast_ballot(internal, cast.quiet_cooperant, chosen=["Anna"])
    decision = closing.close_proposal(internal, actor=None, now=LATER)
    assert not Ballot.objects.filter(proposal=network_vote).exists()
    assert "n'a pas voté au réseau" in decision.summary


def test_internal_judgment_grades_each_option_with_its_majority_grade(cast):
    add_cooperant(cast.home, "ann")
    network_vote, internal = network_and_internal(cast, "judgment", ["Four", "Frigo"])
    cast_ballot(internal, cast.cooperant, grades={"Four": 6, "Frigo": 1})
    cast_ballot(internal, cast.quiet_cooperant, grades={"Four": 4, "Frigo": 2})
    closing.close_proposal(internal, actor=None, now=LATER)
    ballot = kpa_ballot(network_vote, cast.home)
    assert dict(ballot.grades.values_list("option__label", "grade")) == {"Four": 4, "Frigo": 1}


def test_kpa_that_already_voted_keeps_its_vote(cast):
    network_vote, internal = network_and_internal(cast, "majority")
    cast_ballot(network_vote, cast.home, choice="for")  # its delegate voted first
    cast_ballot(internal, cast.cooperant, choice="against")
    decision = closing.close_proposal(internal, actor=None, now=LATER)
    assert kpa_ballot(network_vote, cast.home).choice == "for"
    assert "avait déjà voté" in decision.summary
