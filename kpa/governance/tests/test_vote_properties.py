"""Properties of the vote, through the real services and the real closing: consent adopts iff no
objection stays open and the quorum took part; a majority follows a plain fraction rule for each
threshold and abstention policy; in the network no KPA ever counts twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY, Cast
from kpa.directory.models import Kpa, RoleKind
from kpa.directory.tests.factories import KpaFactory, give_role
from kpa.governance import ballots, closing, delegates
from kpa.governance.models import Ballot, Elector, Method, Objection, Proposal
from kpa.governance.tests import factories as gf
from kpa.governance.tests.test_ballots import LATER, to_objection_round

PROPERTY_SETTINGS = settings(max_examples=30, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])
NAMES = ("alice", "bruno", "chloe", "driss", "emma", "farid", "gaelle", "hugo", "ines")


@contextmanager
def rolled_back() -> Iterator[None]:
    """One hypothesis example inside a savepoint that is always undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def crowd(cast: Cast, count: int) -> list[User]:
    users = []
    for name in NAMES[:count]:
        person = gf.add_cooperant(cast.home, name)
        assert person.user is not None
        users.append(person.user)
    return users


# -- consent ----------------------------------------------------------------------------------

@dataclass
class ConsentVote:
    proposal: Proposal
    voters: list[User]  # electors with a login; the quiet coopérant never takes part
    lead: User
    electors: int


@pytest.fixture
def consent_vote(cast: Cast) -> ConsentVote:
    voters = [cast.user("cooperant"), *crowd(cast, 3)]
    proposal = to_objection_round(cast, gf.make_proposal(cast, method=Method.CONSENT))
    electors = Elector.objects.filter(proposal=proposal).count()
    assert electors == len(voters) + 1
    return ConsentVote(proposal, voters, cast.user("referent"), electors)


@dataclass
class Someone:
    voted: bool = False
    ballot: str = ""
    open_objection: Objection | None = None


@dataclass
class Expected:
    people: list[Someone] = field(default_factory=list)


ACTIONS = st.lists(st.tuples(st.integers(0, 3),
                             st.sampled_from(["consent", "object", "withdraw", "integrate"])),
                   max_size=12)


@PROPERTY_SETTINGS
@given(actions=ACTIONS, quorum=st.sampled_from([0, 40, 60, 80, 100]))
def test_consent_adopts_iff_no_open_objection_and_the_quorum(
        consent_vote: ConsentVote, actions: list[tuple[int, str]], quorum: int) -> None:
    with rolled_back():
        proposal = consent_vote.proposal
        Proposal.objects.filter(pk=proposal.pk).update(quorum_percent=quorum)
        people = [Someone() for _ in consent_vote.voters]
        for step, (who, action) in enumerate(actions):
            me, user = people[who], consent_vote.voters[who]
            if action == "consent":
                allowed = not me.voted or (me.ballot == "objection"
                                           and me.open_objection is None)
                try:
                    ballots.cast_vote(proposal, actor=user, now=LATER, choice="consent")
                except ValidationError:
                    assert not allowed
                else:
                    assert allowed
                    me.voted, me.ballot = True, "consent"
            elif action == "object":
                try:
                    objection = ballots.raise_objection(proposal, actor=user, now=LATER,
                                                        argument=f"Risque n° {step}")
                except ValidationError:
                    assert me.open_objection is not None
                else:
                    assert me.open_objection is None
                    me.voted, me.ballot, me.open_objection = True, "objection", objection
            elif me.open_objection is not None and action == "withdraw":
                ballots.withdraw_objection(me.open_objection, actor=user, now=LATER)
                me.open_objection = None
            elif me.open_objection is not None:
                ballots.integrate_objection(me.open_objection, actor=consent_vote.lead,
                                            now=LATER, resolution=f"Intégrée ({step})",
                                            title=f"Version {step}", body="Texte amendé.")
                me.open_objection = None

        decision = closing.close_proposal(proposal, actor=None, now=LATER)

        participants = sum(1 for me in people if me.voted)
        still_open = sum(1 for me in people if me.open_objection is not None)
        quorum_met = participants * 100 >= quorum * consent_vote.electors
        proposal.refresh_from_db()
        assert (proposal.outcome == Proposal.Outcome.ADOPTED) == (still_open == 0 and quorum_met)
        assert decision.outcome == proposal.outcome
        assert proposal.results["participants"] == participants
        assert proposal.results["objections_open"] == still_open


# -- majority ---------------------------------------------------------------------------------

@pytest.fixture
def majority_voters(cast: Cast) -> tuple[Proposal, list[User]]:
    voters = [cast.user("cooperant"), *crowd(cast, len(NAMES))]
    return gf.make_proposal(cast, method=Method.MAJORITY), voters


def plain_rule(votes_for: int, against: int, abstain: int, threshold: str,
               abstentions_count: bool) -> bool:
    """Integer arithmetic only: "pour" must exceed half (simple) or reach the share."""
    counted = votes_for + against + (abstain if abstentions_count else 0)
    if counted == 0:
        return False
    return {
        "simple": 2 * votes_for > counted,
        "two_thirds": 3 * votes_for >= 2 * counted,
        "three_quarters": 4 * votes_for >= 3 * counted,
        "unanimity": votes_for == counted,
    }[threshold]


@PROPERTY_SETTINGS
@given(counts=st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 3)),
       threshold=st.sampled_from(["simple", "two_thirds", "three_quarters", "unanimity"]),
       abstentions_count=st.booleans())
def test_a_majority_follows_the_plain_fraction_rule(
        majority_voters: tuple[Proposal, list[User]], counts: tuple[int, int, int],
        threshold: str, abstentions_count: bool) -> None:
    proposal, voters = majority_voters
    with rolled_back():
        Proposal.objects.filter(pk=proposal.pk).update(threshold=threshold,
                                                       abstentions_count=abstentions_count)
        choices = ["for"] * counts[0] + ["against"] * counts[1] + ["abstain"] * counts[2]
        for voter, choice in zip(voters, choices, strict=False):
            ballots.cast_vote(proposal, actor=voter, now=LATER, choice=choice)

        closing.close_proposal(proposal, actor=None, now=LATER)

        proposal.refresh_from_db()
        adopted = plain_rule(*counts, threshold=threshold, abstentions_count=abstentions_count)
        assert proposal.outcome == (Proposal.Outcome.ADOPTED if adopted
                                    else Proposal.Outcome.REJECTED)
        assert (proposal.results["for"], proposal.results["against"],
                proposal.results["abstain"]) == counts


# -- one KPA, one vote ------------------------------------------------------------------------

@dataclass
class NetworkVote:
    proposal: Proposal
    kpas: list[Kpa]
    delegates: list[User]
    internals: list[Proposal]


@pytest.fixture
def network_vote(cast: Cast) -> NetworkVote:
    third = KpaFactory.create(network=cast.network, name="KPA Troisième")
    third_person = gf.add_cooperant(third, "troisieme")
    give_role(cast.outsider, RoleKind.COOPERANT, cast.elsewhere, starts_on=TODAY)
    give_role(third_person, RoleKind.REFERENT, third, starts_on=TODAY)
    kpas = [cast.home, cast.elsewhere, third]
    people = [cast.cooperant, cast.outsider, third_person]
    leads = [cast.user("referent"), cast.user("outsider"), third_person.user]
    for kpa, person, lead in zip(kpas, people, leads, strict=True):
        assert lead is not None
        delegates.designate_delegate(kpa, actor=lead, person=person, starts_on=TODAY,
                                     today=TODAY)
    proposal = gf.make_proposal(cast.network, method=Method.MAJORITY, title="Cadre 2027")
    internals = [gf.make_proposal(kpa, method=Method.MAJORITY, network_proposal=proposal,
                                  title="Notre voix", actor=lead)
                 for kpa, lead in zip(kpas, leads, strict=True)]
    users = [person.user for person in people]
    assert all(user is not None for user in users)
    return NetworkVote(proposal, kpas, users, internals)  # type: ignore[arg-type]


EVENTS = st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["delegate", "internal"])),
                  unique=True, max_size=6).flatmap(st.permutations)


@PROPERTY_SETTINGS
@given(events=EVENTS, choices=st.lists(st.sampled_from(["for", "against", "abstain"]),
                                       min_size=6, max_size=6))
def test_no_kpa_ever_counts_twice_in_the_network(
        network_vote: NetworkVote, events: list[tuple[int, str]], choices: list[str]) -> None:
    proposal = network_vote.proposal
    with rolled_back():
        voted: set[int] = set()
        for (index, how), choice in zip(events, choices, strict=False):
            kpa = network_vote.kpas[index]
            if how == "delegate" and kpa.pk in voted:
                with pytest.raises(ValidationError, match=f"Le KPA {kpa.name} a déjà voté"):
                    ballots.cast_vote(proposal, actor=network_vote.delegates[index], now=LATER,
                                      choice=choice)
            elif how == "delegate":
                ballots.cast_vote(proposal, actor=network_vote.delegates[index], now=LATER,
                                  choice=choice)
            else:
                closing.close_proposal(network_vote.internals[index], actor=None, now=LATER)
            voted.add(kpa.pk)

        assert Ballot.objects.filter(proposal=proposal).count() == len(voted)
        assert set(Elector.objects.filter(proposal=proposal, has_voted=True)
                   .values_list("kpa_id", flat=True)) == voted
        results = closing.count_results(proposal)
        assert results["participants"] == len(voted)
        assert results["electors"] == 3
        assert results["for"] + results["against"] + results["abstain"] == len(voted)
