"""One KPA = one vote: a network proposal is answered by each member KPA once, by its current
delegate or as the outcome of its internal proposal, whichever comes first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.governance import ballots, closing, delegates
from kpa.governance.models import Ballot, Elector, Method, NetworkDelegate, Proposal
from kpa.governance.tests import factories as gf
from kpa.governance.tests.test_ballots import LATER, messages, vote_events


@pytest.fixture
def network_vote(cast: Cast) -> Proposal:
    """A majority network proposal; the home KPA's delegate is the coopérant, the other KPA's
    is its référent (the outsider)."""
    delegates.designate_delegate(cast.home, actor=cast.user("referent"), person=cast.cooperant,
                                 starts_on=TODAY, today=TODAY)
    delegates.designate_delegate(cast.elsewhere, actor=cast.user("outsider"),
                                 person=cast.outsider, starts_on=TODAY, today=TODAY)
    return gf.make_proposal(cast.network, method=Method.MAJORITY, title="Cadre 2027")


def internal_for(cast: Cast, network_vote: Proposal) -> Proposal:
    return gf.make_proposal(cast, method=Method.MAJORITY, network_proposal=network_vote,
                            title="Notre réponse au réseau")


def kpa_elector(proposal: Proposal, cast: Cast) -> Elector:
    return Elector.objects.get(proposal=proposal, kpa=cast.home)


def test_the_electors_are_the_kpas(network_vote: Proposal, cast: Cast) -> None:
    assert set(Elector.objects.filter(proposal=network_vote)
               .values_list("kpa_id", flat=True)) == {cast.home.pk, cast.elsewhere.pk}


def test_the_delegate_votes_for_their_kpa(network_vote: Proposal, cast: Cast) -> None:
    elector = ballots.elector_of(network_vote, cast.user("cooperant"), today=TODAY)
    assert elector is not None
    assert elector.kpa_id == cast.home.pk

    ballot = ballots.cast_vote(network_vote, actor=cast.user("cooperant"), now=LATER,
                               choice="for")

    assert ballot.elector == kpa_elector(network_vote, cast)
    assert kpa_elector(network_vote, cast).has_voted
    (event,) = vote_events(network_vote)
    assert event.data["kpa"] == cast.home.pk
    assert event.data["by"] == "delegate"
    with pytest.raises(ValidationError, match="Le KPA KPA Zorglub a déjà voté"):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, actor=cast.user("cooperant"),
                              now=LATER, choice="against")


def test_a_member_who_is_not_the_delegate_does_not_vote(network_vote: Proposal,
                                                        cast: Cast) -> None:
    with pytest.raises(ValidationError, match="chaque KPA vote une fois"):
        ballots.cast_vote(network_vote, actor=cast.user("referent"), now=LATER, choice="for")
    with pytest.raises(PermissionDenied):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, actor=cast.user("referent"),
                              now=LATER, choice="for")
    with pytest.raises(PermissionDenied):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, now=LATER, choice="for")
    assert not Ballot.objects.filter(proposal=network_vote).exists()


def test_a_former_delegate_no_longer_votes(network_vote: Proposal, cast: Cast) -> None:
    NetworkDelegate.objects.filter(kpa=cast.home).update(
        starts_on=TODAY - dt.timedelta(days=30), ends_on=TODAY)

    assert ballots.elector_of(network_vote, cast.user("cooperant"), today=TODAY) is None
    with pytest.raises(PermissionDenied):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, actor=cast.user("cooperant"),
                              now=LATER, choice="for")


def test_the_internal_outcome_votes_and_the_delegate_then_cannot(network_vote: Proposal,
                                                                 cast: Cast) -> None:
    internal = internal_for(cast, network_vote)
    ballots.cast_vote(internal, actor=cast.user("cooperant"), now=LATER, choice="against")

    closing.close_proposal(internal, actor=None, now=LATER)

    (ballot,) = Ballot.objects.filter(proposal=network_vote)
    assert ballot.choice == "against"
    assert ballot.elector == kpa_elector(network_vote, cast)
    (event,) = vote_events(network_vote)
    assert event.data["internal_proposal"] == internal.pk
    assert event.data["by"] == "internal"
    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(network_vote, actor=cast.user("cooperant"), now=LATER, choice="for")
    assert messages(refused.value) == "Le KPA KPA Zorglub a déjà voté."


def test_the_delegate_first_then_the_internal_outcome_is_refused(network_vote: Proposal,
                                                                 cast: Cast) -> None:
    internal = internal_for(cast, network_vote)
    ballots.cast_kpa_vote(network_vote, kpa=cast.home, actor=cast.user("cooperant"),
                          now=LATER, choice="for")
    ballots.cast_vote(internal, actor=cast.user("cooperant"), now=LATER, choice="against")
    closing.close_proposal(internal, actor=None, now=LATER)

    with pytest.raises(ValidationError, match="Le KPA KPA Zorglub a déjà voté"):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, internal=internal, now=LATER,
                              choice="against")
    assert list(Ballot.objects.filter(proposal=network_vote)
                .values_list("choice", flat=True)) == ["for"]


def test_an_internal_proposal_must_be_linked_and_closed(network_vote: Proposal,
                                                        cast: Cast) -> None:
    internal = internal_for(cast, network_vote)
    unrelated = gf.make_proposal(cast, method=Method.MAJORITY, title="Autre sujet")

    with pytest.raises(ValidationError, match="n'est pas close"):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, internal=internal, now=LATER,
                              choice="for")
    with pytest.raises(ValidationError, match="ne répond pas à ce vote du réseau"):
        ballots.cast_kpa_vote(network_vote, kpa=cast.home, internal=unrelated, now=LATER,
                              choice="for")
    with pytest.raises(ValidationError, match="ne répond pas à ce vote du réseau"):
        ballots.cast_kpa_vote(network_vote, kpa=cast.elsewhere, internal=internal, now=LATER,
                              choice="for")
    assert not kpa_elector(network_vote, cast).has_voted


def test_no_proxy_in_the_network(network_vote: Proposal, cast: Cast) -> None:
    with pytest.raises(ValidationError, match="Pas de procuration au réseau"):
        ballots.give_proxy(network_vote, actor=cast.user("cooperant"), holder=cast.outsider,
                           now=LATER)


def test_each_kpa_is_counted_once_in_the_tally(network_vote: Proposal, cast: Cast) -> None:
    ballots.cast_vote(network_vote, actor=cast.user("cooperant"), now=LATER, choice="for")
    ballots.cast_vote(network_vote, actor=cast.user("outsider"), now=LATER, choice="against")
    for actor in ("cooperant", "outsider"):
        with pytest.raises(ValidationError):
            ballots.cast_vote(network_vote, actor=cast.user(actor), now=LATER, choice="for")

    results = closing.count_results(network_vote)

    assert (results["electors"], results["participants"]) == (2, 2)
    assert (results["for"], results["against"]) == (1, 1)
    assert AuditEvent.objects.filter(action="governance.ballot.cast").count() == 2
