"""A KPA's autonomy level changes only by an adopted decision of that KPA (audited with where it
came from and where it goes), and a member proposes the change as a week-long majority vote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import Cast
from kpa.core.models import AuditEvent
from kpa.directory.models import Kpa
from kpa.governance import autonomy
from kpa.governance.models import Method, Proposal
from kpa.governance.tests.test_charter import NOW, decision_for


def test_an_adopted_decision_changes_the_level_and_the_audit_says_from_what_to_what(
        cast: Cast) -> None:
    decision = decision_for(cast.home)
    kpa = autonomy.change_autonomy(cast.home, level=Kpa.Autonomy.AUTONOMOUS, decision=decision,
                                   actor=None)
    assert kpa.autonomy == Kpa.Autonomy.AUTONOMOUS
    assert Kpa.objects.get(pk=cast.home.pk).autonomy == Kpa.Autonomy.AUTONOMOUS
    event = AuditEvent.objects.get(action="governance.kpa.autonomy_changed")
    assert event.target_id == str(cast.home.pk)
    assert event.data == {"from": "supervised", "to": "autonomous", "decision": decision.pk}


@pytest.mark.parametrize("case", ["other_kpa", "rejected", "unknown_level"])
def test_the_level_does_not_change_without_an_adopted_decision_of_the_kpa(
        cast: Cast, case: str) -> None:
    decision = {
        "other_kpa": lambda: decision_for(cast.elsewhere),
        "rejected": lambda: decision_for(cast.home, outcome=Proposal.Outcome.REJECTED),
        "unknown_level": lambda: decision_for(cast.home),
    }[case]()
    level = "anarchy" if case == "unknown_level" else Kpa.Autonomy.AUTONOMOUS
    with pytest.raises(ValidationError):
        autonomy.change_autonomy(cast.home, level=level, decision=decision, actor=None)
    assert Kpa.objects.get(pk=cast.home.pk).autonomy == Kpa.Autonomy.SUPERVISED
    assert not AuditEvent.objects.filter(action="governance.kpa.autonomy_changed").exists()


def test_a_member_proposes_another_level_as_a_week_long_majority_vote(cast: Cast) -> None:
    proposal = autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"),
                                                now=NOW, level=Kpa.Autonomy.AUTONOMOUS)
    assert proposal.kpa == cast.home
    assert proposal.method == Method.MAJORITY
    assert proposal.autonomy_target == Kpa.Autonomy.AUTONOMOUS
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.closes_at == NOW + dt.timedelta(days=7)
    assert "Autonome" in proposal.title
    assert autonomy.live_autonomy_proposal(cast.home) == proposal
    # The level itself waits for the vote.
    assert Kpa.objects.get(pk=cast.home.pk).autonomy == Kpa.Autonomy.SUPERVISED


def test_one_change_of_level_at_a_time_and_never_to_the_same_level(cast: Cast) -> None:
    with pytest.raises(ValidationError) as same:
        autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"), now=NOW,
                                         level=Kpa.Autonomy.SUPERVISED)
    assert same.value.message_dict["level"] == [
        "Le KPA est déjà à ce niveau : choisis-en un autre."]
    autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"), now=NOW,
                                     level=Kpa.Autonomy.ACCOMPANIED)
    with pytest.raises(ValidationError, match="déjà en cours"):
        autonomy.propose_autonomy_change(cast.home, actor=cast.user("referent"), now=NOW,
                                         level=Kpa.Autonomy.AUTONOMOUS)
    assert Proposal.objects.count() == 1


def test_a_closed_autonomy_proposal_no_longer_blocks_a_new_one(cast: Cast) -> None:
    first = autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"), now=NOW,
                                             level=Kpa.Autonomy.ACCOMPANIED)
    Proposal.objects.filter(pk=first.pk).update(status=Proposal.Status.CLOSED)
    assert autonomy.live_autonomy_proposal(cast.home) is None
    second = autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"), now=NOW,
                                              level=Kpa.Autonomy.AUTONOMOUS)
    assert second.pk != first.pk


def test_outsiders_do_not_propose_a_change_of_level(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        autonomy.propose_autonomy_change(cast.home, actor=cast.user("outsider"), now=NOW,
                                         level=Kpa.Autonomy.AUTONOMOUS)
    assert not Proposal.objects.exists()


def test_each_level_is_explained_with_what_it_means_for_votes(cast: Cast) -> None:
    supervised = autonomy.level_words(Kpa.Autonomy.SUPERVISED)
    autonomous = autonomy.level_words(Kpa.Autonomy.AUTONOMOUS)
    assert supervised.label == "Supervisé"
    assert "donne son accord avant que chaque vote s'ouvre" in supervised.votes
    assert "valide le résultat" in supervised.votes
    assert "ouvrent et ferment elles-mêmes et eux-mêmes leurs votes" in autonomous.votes
    others = [w.level for w in autonomy.other_levels(cast.home)]
    assert others == [Kpa.Autonomy.ACCOMPANIED, Kpa.Autonomy.AUTONOMOUS]


def test_a_proposed_change_takes_effect_when_the_vote_adopts_it(cast: Cast) -> None:
    """The whole way, through the proposal, ballot and closing services."""
    from kpa.governance import ballots, closing, proposals

    Kpa.objects.filter(pk=cast.home.pk).update(autonomy=Kpa.Autonomy.AUTONOMOUS)
    cast.home.refresh_from_db()
    proposal = autonomy.propose_autonomy_change(cast.home, actor=cast.user("cooperant"),
                                                now=NOW, level=Kpa.Autonomy.ACCOMPANIED)
    proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=NOW, choice="for")
    decision = closing.close_proposal(proposal, actor=None, now=NOW + dt.timedelta(days=8))
    assert decision.outcome == Proposal.Outcome.ADOPTED
    assert Kpa.objects.get(pk=cast.home.pk).autonomy == Kpa.Autonomy.ACCOMPANIED
    event = AuditEvent.objects.get(action="governance.kpa.autonomy_changed")
    assert event.data == {"from": "autonomous", "to": "accompanied", "decision": decision.pk}
