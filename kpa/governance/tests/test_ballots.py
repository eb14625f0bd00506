"""Casting a vote: only inside the window, once, by an elector frozen at opening, with a ballot
that fits the method (for/against/abstain, a grade for every option, one or several options,
consent during the objection round); audited on the proposal."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import Cast
from kpa.core.models import AuditEvent
from kpa.governance import ballots
from kpa.governance.models import (
    Ballot,
    BallotGrade,
    BallotSelection,
    Elector,
    Method,
    Proposal,
    ProposalOption,
)
from kpa.governance.tests import factories as gf
from kpa.governance.tests.factories import NOW

LATER = NOW + dt.timedelta(hours=1)


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def vote_events(proposal: Proposal) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="governance.ballot.cast",
                                          target_type="governance.proposal",
                                          target_id=str(proposal.pk)))


def option_ids(proposal: Proposal) -> list[int]:
    return list(ProposalOption.objects.filter(proposal=proposal)
                .order_by("position").values_list("pk", flat=True))


def to_objection_round(cast: Cast, proposal: Proposal) -> Proposal:
    """Consent rounds advance by whoever may close: the animateur of the (supervised) home KPA
    or, when the KPA is autonomous, its référent."""
    from kpa.governance import proposals

    actor = cast.user("animateur")
    while proposal.phase != Proposal.Phase.OBJECTIONS:
        proposal = proposals.advance_phase(proposal, actor=actor, now=NOW)
    return proposal


def close_by_hand(proposal: Proposal, *, at: dt.datetime = LATER) -> Proposal:
    """Marks the proposal closed without counting (the counting is closing.py's business)."""
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.CLOSED, closed_at=at)
    proposal.refresh_from_db()
    return proposal


# -- the window and the electors --------------------------------------------------------------

def test_a_nominal_majority_vote_is_stored_with_its_elector_and_audited(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")

    elector = Elector.objects.get(proposal=proposal, person=cast.cooperant)
    assert ballot.elector == elector
    assert ballot.choice == "for"
    assert not ballot.by_proxy
    assert elector.has_voted
    (event,) = vote_events(proposal)
    assert event.actor == cast.user("cooperant")
    assert event.data["choice"] == "for"
    assert event.data["ballot"] == str(ballot.pk)


def test_voting_twice_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")

    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="against")

    assert messages(refused.value) == "Tu as déjà voté."
    assert Ballot.objects.filter(proposal=proposal).count() == 1


def test_a_stale_elector_object_does_not_let_anyone_vote_twice(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    stale = Proposal.objects.get(pk=proposal.pk)
    ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")

    with pytest.raises(ValidationError):
        ballots.cast_vote(stale, actor=cast.user("cooperant"), now=LATER, choice="for")
    assert Ballot.objects.filter(proposal=proposal).count() == 1


def test_voting_after_the_closing_time_is_refused_with_the_time(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY,
                                closes_at=NOW + dt.timedelta(days=2))

    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(proposal, actor=cast.user("cooperant"),
                          now=NOW + dt.timedelta(days=3), choice="for")

    assert messages(refused.value) == "Le vote est clos depuis le 30/11/2026 à 10 h 00."
    assert not Ballot.objects.filter(proposal=proposal).exists()


def test_voting_on_a_closed_proposal_is_refused(cast: Cast) -> None:
    proposal = close_by_hand(gf.make_proposal(cast, method=Method.MAJORITY))

    with pytest.raises(ValidationError, match="Le vote est clos depuis le 28/11/2026"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")


def test_voting_before_the_opening_is_refused(cast: Cast) -> None:
    gf.make_autonomous(cast.home)
    scheduled = gf.make_proposal(cast, method=Method.MAJORITY,
                                 opens_at=NOW + dt.timedelta(days=1))
    draft = gf.make_proposal(cast, method=Method.MAJORITY, opened=False)
    assert scheduled.status == Proposal.Status.SCHEDULED

    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(scheduled, actor=cast.user("cooperant"), now=LATER, choice="for")
    assert messages(refused.value) == "Le vote n'est pas ouvert : il ouvre le 29/11/2026 à 10 h 00."
    with pytest.raises(ValidationError, match="Le vote n'est pas ouvert"):
        ballots.cast_vote(draft, actor=cast.user("cooperant"), now=LATER, choice="for")


def test_voting_on_a_cancelled_proposal_is_refused(cast: Cast) -> None:
    from kpa.governance import proposals

    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    proposal = proposals.cancel_proposal(proposal, actor=cast.user("referent"), now=NOW,
                                         reason="Doublon")

    with pytest.raises(ValidationError, match="annulée"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")


def test_a_member_who_is_not_an_elector_is_told_why(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(proposal, actor=cast.user("referent"), now=LATER, choice="for")

    assert messages(refused.value).startswith("Tu n'es pas inscrit·e pour ce vote :")
    assert "28/11/2026" in messages(refused.value)


def test_a_cooperant_arriving_after_the_opening_does_not_vote(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    newcomer = gf.add_cooperant(cast.home, "nouvelle", starts_on=dt.date(2026, 11, 28))
    assert newcomer.user is not None

    with pytest.raises(ValidationError, match="Tu n'es pas inscrit·e"):
        ballots.cast_vote(proposal, actor=newcomer.user, now=LATER, choice="for")


def test_someone_who_cannot_see_the_proposal_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(PermissionDenied):
        ballots.cast_vote(proposal, actor=cast.user("outsider"), now=LATER, choice="for")


def test_elector_of_finds_the_users_own_row_only(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)
    today = NOW.date()

    mine = ballots.elector_of(proposal, cast.user("cooperant"), today=today)

    assert mine is not None
    assert mine.person_id == cast.cooperant.pk
    assert ballots.elector_of(proposal, cast.user("referent"), today=today) is None
    assert ballots.elector_of(proposal, cast.user("outsider"), today=today) is None


# -- what a ballot holds ----------------------------------------------------------------------

@pytest.mark.parametrize("choice", ["", "consent", "yes"])
def test_a_majority_ballot_must_be_for_against_or_abstain(cast: Cast, choice: str) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(ValidationError, match="« Pour », « Contre » ou « Abstention »"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice=choice)
    assert not Elector.objects.get(proposal=proposal, person=cast.cooperant).has_voted


def test_a_judgment_ballot_grades_every_option(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.JUDGMENT)
    first, second, third = option_ids(proposal)

    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                               grades={first: 6, second: 0, third: 3})

    assert dict(BallotGrade.objects.filter(ballot=ballot)
                .values_list("option_id", "grade")) == {first: 6, second: 0, third: 3}
    assert ballot.choice == ""


def test_a_judgment_ballot_missing_an_option_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.JUDGMENT)
    first, second, _third = option_ids(proposal)

    with pytest.raises(ValidationError) as refused:
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                          grades={first: 6, second: 2})

    assert messages(refused.value) == "Donne une mention à chaque option."
    assert not BallotGrade.objects.exists()


def test_a_judgment_ballot_with_an_unknown_option_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.JUDGMENT)
    other = gf.make_proposal(cast, method=Method.JUDGMENT, title="Une autre")
    grades = dict.fromkeys(option_ids(proposal), 4)
    grades[option_ids(other)[0]] = 4

    with pytest.raises(ValidationError, match="n'existe pas dans cette proposition"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, grades=grades)


@pytest.mark.parametrize("grade", [-1, 7])
def test_a_grade_outside_the_scale_is_refused(cast: Cast, grade: int) -> None:
    proposal = gf.make_proposal(cast, method=Method.JUDGMENT)
    grades = dict.fromkeys(option_ids(proposal), 3)
    grades[option_ids(proposal)[1]] = grade

    with pytest.raises(ValidationError, match="« À rejeter » à « Excellent »"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, grades=grades)


def test_a_single_choice_takes_exactly_one_option(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CHOICE)
    first, second, _third = option_ids(proposal)

    for chosen in ([], [first, second]):
        with pytest.raises(ValidationError, match="Choisis une option, une seule"):
            ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                              option_ids=chosen)
    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                               option_ids=[second])

    assert list(BallotSelection.objects.filter(ballot=ballot)
                .values_list("option_id", flat=True)) == [second]


def test_an_approval_choice_takes_one_option_or_more(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CHOICE, choice_mode="approval")
    first, _second, third = option_ids(proposal)

    with pytest.raises(ValidationError, match="Choisis au moins une option"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, option_ids=[])
    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                               option_ids=[third, first, third])

    assert sorted(BallotSelection.objects.filter(ballot=ballot)
                  .values_list("option_id", flat=True)) == sorted([first, third])


def test_a_choice_of_another_proposals_option_is_refused(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CHOICE)
    other = gf.make_proposal(cast, method=Method.CHOICE, title="Une autre")

    with pytest.raises(ValidationError, match="n'existe pas dans cette proposition"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                          option_ids=[option_ids(other)[0]])
    assert not Ballot.objects.exists()


def test_consent_is_given_only_during_the_objection_round(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CONSENT)
    assert proposal.phase == Proposal.Phase.CLARIFICATION

    with pytest.raises(ValidationError, match="tour d'objections"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="consent")
    proposal = to_objection_round(cast, proposal)
    with pytest.raises(ValidationError, match="Je consens"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="for")
    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                               choice="consent")

    assert ballot.choice == "consent"
    assert ballot.elector is not None
