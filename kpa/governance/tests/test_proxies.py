"""Proxies: only when the vote allows them, from an elector who has not voted to another
elector who has not given theirs (no chains), within the cap per holder; the holder votes once
for the giver, who may take the proxy back until it is used."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Person
from kpa.governance import ballots
from kpa.governance.models import Ballot, Elector, Method, Proposal, Proxy
from kpa.governance.tests import factories as gf
from kpa.governance.tests.factories import NOW, user_of
from kpa.governance.tests.test_ballots import LATER, messages


def with_proxies(cast: Cast, max_proxies: int = 1, **fields: object) -> Proposal:
    return gf.make_proposal(cast, method=Method.MAJORITY, max_proxies=max_proxies, **fields)


def elector(proposal: Proposal, person: Person) -> Elector:
    return Elector.objects.get(proposal=proposal, person=person)


def test_the_holder_votes_once_for_the_giver(cast: Cast, crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast)
    alice, bruno = crowd["alice"], crowd["bruno"]
    proxy = ballots.give_proxy(proposal, actor=user_of(alice), holder=bruno, now=LATER)

    ballot = ballots.cast_vote(proposal, actor=user_of(bruno), now=LATER, choice="against",
                               on_behalf_of=proxy.giver)
    ballots.cast_vote(proposal, actor=user_of(bruno), now=LATER, choice="for")

    assert ballot.by_proxy
    assert ballot.elector == elector(proposal, alice)
    assert elector(proposal, alice).has_voted
    assert elector(proposal, bruno).has_voted
    assert Ballot.objects.filter(proposal=proposal).count() == 2
    with pytest.raises(ValidationError, match="Alice Test a déjà voté"):
        ballots.cast_vote(proposal, actor=user_of(bruno), now=LATER, choice="for",
                          on_behalf_of=proxy.giver)
    assert Notification.objects.filter(recipient=user_of(alice),
                                       topic="governance.ballot.by_proxy").count() == 1
    assert Notification.objects.filter(recipient=user_of(bruno),
                                       topic="governance.proxy.given").count() == 1
    assert AuditEvent.objects.filter(action="governance.proxy.given").count() == 1


def test_no_proxy_when_the_vote_does_not_allow_any(cast: Cast,
                                                   crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast, max_proxies=0)

    with pytest.raises(ValidationError) as refused:
        ballots.give_proxy(proposal, actor=user_of(crowd["alice"]), holder=crowd["bruno"],
                           now=LATER)
    assert messages(refused.value) == "Ce vote ne prévoit pas de procuration."


def test_a_giver_who_voted_or_already_gave_is_refused(cast: Cast,
                                                      crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast, max_proxies=2)
    alice, bruno, chloe = crowd["alice"], crowd["bruno"], crowd["chloe"]
    ballots.cast_vote(proposal, actor=user_of(chloe), now=LATER, choice="for")
    ballots.give_proxy(proposal, actor=user_of(alice), holder=bruno, now=LATER)

    with pytest.raises(ValidationError, match="Tu as déjà voté"):
        ballots.give_proxy(proposal, actor=user_of(chloe), holder=bruno, now=LATER)
    with pytest.raises(ValidationError, match="Tu as déjà donné ta procuration à Bruno Test"):
        ballots.give_proxy(proposal, actor=user_of(alice), holder=chloe, now=LATER)


def test_the_holder_must_be_another_elector(cast: Cast, crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast)
    alice = crowd["alice"]

    with pytest.raises(ValidationError, match="pas inscrit·e pour ce vote"):
        ballots.give_proxy(proposal, actor=user_of(alice), holder=cast.referent, now=LATER)
    with pytest.raises(ValidationError, match="une autre personne que toi"):
        ballots.give_proxy(proposal, actor=user_of(alice), holder=alice, now=LATER)
    assert not Proxy.objects.exists()


def test_proxies_do_not_chain(cast: Cast, crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast, max_proxies=2)
    alice, bruno, chloe = crowd["alice"], crowd["bruno"], crowd["chloe"]
    ballots.give_proxy(proposal, actor=user_of(alice), holder=bruno, now=LATER)

    with pytest.raises(ValidationError, match="a donné sa propre procuration"):
        ballots.give_proxy(proposal, actor=user_of(chloe), holder=alice, now=LATER)
    with pytest.raises(ValidationError, match="Tu portes déjà une procuration"):
        ballots.give_proxy(proposal, actor=user_of(bruno), holder=chloe, now=LATER)
    assert Proxy.objects.count() == 1


@pytest.mark.parametrize(("cap", "said"), [
    (1, "Chloe Test porte déjà 1 procuration : c'est le maximum pour ce vote."),
    (2, "Chloe Test porte déjà 2 procurations : c'est le maximum pour ce vote."),
])
def test_a_holder_carries_no_more_than_the_cap(cast: Cast, crowd: dict[str, Person],
                                               cap: int, said: str) -> None:
    proposal = with_proxies(cast, max_proxies=cap)
    chloe = crowd["chloe"]
    givers = [crowd["alice"], crowd["bruno"], cast.cooperant][:cap + 1]
    for giver in givers[:cap]:
        ballots.give_proxy(proposal, actor=user_of(giver), holder=chloe, now=LATER)

    with pytest.raises(ValidationError) as refused:
        ballots.give_proxy(proposal, actor=user_of(givers[cap]), holder=chloe, now=LATER)

    assert messages(refused.value) == said
    assert Proxy.objects.filter(holder=elector(proposal, chloe)).count() == cap


def test_the_giver_cannot_vote_while_the_proxy_stands(cast: Cast,
                                                      crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast)
    proxy = ballots.give_proxy(proposal, actor=user_of(crowd["alice"]), holder=crowd["bruno"],
                               now=LATER)

    with pytest.raises(ValidationError, match="retire-la d'abord"):
        ballots.cast_vote(proposal, actor=user_of(crowd["alice"]), now=LATER, choice="for")
    ballots.revoke_proxy(proxy, actor=user_of(crowd["alice"]), now=LATER)
    ballot = ballots.cast_vote(proposal, actor=user_of(crowd["alice"]), now=LATER,
                               choice="for")

    assert not ballot.by_proxy
    assert Notification.objects.filter(recipient=user_of(crowd["bruno"]),
                                       topic="governance.proxy.revoked").exists()


def test_voting_for_someone_without_their_proxy_is_refused(cast: Cast,
                                                           crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast)

    with pytest.raises(ValidationError, match="Tu ne portes pas la procuration de Alice Test"):
        ballots.cast_vote(proposal, actor=user_of(crowd["bruno"]), now=LATER, choice="for",
                          on_behalf_of=elector(proposal, crowd["alice"]))
    assert not elector(proposal, crowd["alice"]).has_voted


def test_only_the_giver_revokes_and_only_before_use(cast: Cast,
                                                    crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast)
    alice, bruno = crowd["alice"], crowd["bruno"]
    proxy = ballots.give_proxy(proposal, actor=user_of(alice), holder=bruno, now=LATER)

    with pytest.raises(PermissionDenied):
        ballots.revoke_proxy(proxy, actor=user_of(bruno), now=LATER)
    ballots.cast_vote(proposal, actor=user_of(bruno), now=LATER, choice="for",
                      on_behalf_of=proxy.giver)
    with pytest.raises(ValidationError, match="a déjà voté avec ta procuration"):
        ballots.revoke_proxy(proxy, actor=user_of(alice), now=LATER)
    assert Proxy.objects.filter(pk=proxy.pk).exists()


def test_proxies_are_given_only_while_the_vote_is_open(cast: Cast,
                                                       crowd: dict[str, Person]) -> None:
    proposal = with_proxies(cast, closes_at=NOW + dt.timedelta(days=1))

    with pytest.raises(ValidationError, match="Le vote est clos depuis le 29/11/2026"):
        ballots.give_proxy(proposal, actor=user_of(crowd["alice"]), holder=crowd["bruno"],
                           now=NOW + dt.timedelta(days=2))
