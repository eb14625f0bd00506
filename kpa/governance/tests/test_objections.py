"""Consent objections: argued, raised by an elector during the objection round, one open at a
time each; withdrawn by their author or integrated by whoever may edit the proposal (which
amends it); never once the proposal is closed."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import Cast
from kpa.core.models import AuditEvent, Notification
from kpa.governance import ballots
from kpa.governance.models import (
    Ballot,
    Elector,
    Method,
    Objection,
    Proposal,
    ProposalRevision,
)
from kpa.governance.tests import factories as gf
from kpa.governance.tests.test_ballots import LATER, close_by_hand, messages, to_objection_round

ARGUMENT = "Le local ferme à 18 h : les mamans ne pourront pas venir."


def consent_in_objections(cast: Cast) -> Proposal:
    return to_objection_round(cast, gf.make_proposal(cast, method=Method.CONSENT))


def test_an_argued_objection_counts_as_taking_part(cast: Cast) -> None:
    proposal = consent_in_objections(cast)

    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=f"  {ARGUMENT}  ")

    elector = Elector.objects.get(proposal=proposal, person=cast.cooperant)
    assert objection.status == Objection.Status.OPEN
    assert objection.argument == ARGUMENT
    assert objection.elector == elector
    assert elector.has_voted
    assert Ballot.objects.get(elector=elector).choice == Ballot.Choice.OBJECTION
    assert AuditEvent.objects.filter(action="governance.objection.raised").count() == 1
    assert Notification.objects.filter(recipient=cast.user("referent"),
                                       topic="governance.objection.raised").exists()


@pytest.mark.parametrize("argument", ["", "   \n "])
def test_an_objection_without_argument_is_refused(cast: Cast, argument: str) -> None:
    proposal = consent_in_objections(cast)

    with pytest.raises(ValidationError) as refused:
        ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                argument=argument)

    assert messages(refused.value) == ("Une objection doit être argumentée : explique quel "
                                       "risque tu vois pour le collectif.")
    assert not Objection.objects.exists()


def test_objections_wait_for_the_objection_round(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.CONSENT)

    with pytest.raises(ValidationError, match="Le tour d'objections n'a pas encore commencé"):
        ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                argument=ARGUMENT)


def test_objections_belong_to_consent_only(cast: Cast) -> None:
    proposal = gf.make_proposal(cast, method=Method.MAJORITY)

    with pytest.raises(ValidationError, match="consentement"):
        ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                argument=ARGUMENT)


def test_only_an_elector_objects(cast: Cast) -> None:
    proposal = consent_in_objections(cast)

    with pytest.raises(ValidationError, match="Tu n'es pas inscrit·e"):
        ballots.raise_objection(proposal, actor=cast.user("referent"), now=LATER,
                                argument=ARGUMENT)
    with pytest.raises(PermissionDenied):
        ballots.raise_objection(proposal, actor=cast.user("outsider"), now=LATER,
                                argument=ARGUMENT)


def test_one_open_objection_at_a_time_then_again_after_withdrawal(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    first = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                    argument=ARGUMENT)

    with pytest.raises(ValidationError, match="Tu as déjà une objection ouverte"):
        ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                argument="Et aussi le prix.")
    ballots.withdraw_objection(first, actor=cast.user("cooperant"), now=LATER)
    second = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                     argument="Et aussi le prix.")

    first.refresh_from_db()
    assert first.status == Objection.Status.WITHDRAWN
    assert first.resolved_at == LATER
    assert second.status == Objection.Status.OPEN
    assert Ballot.objects.filter(proposal=proposal).count() == 1


def test_only_its_author_withdraws_an_objection_and_only_once(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)

    with pytest.raises(PermissionDenied):
        ballots.withdraw_objection(objection, actor=cast.user("referent"), now=LATER)
    ballots.withdraw_objection(objection, actor=cast.user("cooperant"), now=LATER)
    with pytest.raises(ValidationError, match="Cette objection est déjà retirée"):
        ballots.withdraw_objection(objection, actor=cast.user("cooperant"), now=LATER)


def test_integrating_an_objection_amends_the_proposal(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    before = proposal.title
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)

    integrated = ballots.integrate_objection(
        objection, actor=cast.user("referent"), now=LATER,
        resolution="On ouvre jusqu'à 19 h le jeudi.", title="Horaires élargis",
        body="Le local ouvre jusqu'à 19 h le jeudi.")

    proposal.refresh_from_db()
    assert integrated.status == Objection.Status.INTEGRATED
    assert integrated.resolution == "On ouvre jusqu'à 19 h le jeudi."
    assert integrated.resolved_at == LATER
    assert proposal.title == "Horaires élargis"
    revision = ProposalRevision.objects.get(proposal=proposal)
    assert revision.title == before
    assert "19 h" in revision.reason
    assert Notification.objects.filter(recipient=cast.user("cooperant"),
                                       topic="governance.objection.integrated").exists()


def test_an_elector_who_may_not_edit_does_not_integrate(cast: Cast) -> None:
    gf.voter(cast, "benevole")
    proposal = consent_in_objections(cast)
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)

    with pytest.raises(PermissionDenied):
        ballots.integrate_objection(objection, actor=cast.user("benevole"), now=LATER,
                                    resolution="Réglé", title="Autre", body="Autre")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN


def test_an_integration_says_how(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)

    with pytest.raises(ValidationError, match="Écris comment l'objection est prise en compte"):
        ballots.integrate_objection(objection, actor=cast.user("referent"), now=LATER,
                                    resolution=" ", title="Autre", body="Autre")


def test_an_objector_may_consent_once_their_objection_is_integrated(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)

    with pytest.raises(ValidationError, match="Ton objection est encore ouverte"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="consent")
    ballots.integrate_objection(objection, actor=cast.user("referent"), now=LATER,
                                resolution="Horaires élargis", title="Horaires élargis",
                                body="Jusqu'à 19 h.")
    ballot = ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER,
                               choice="consent")

    assert ballot.choice == Ballot.Choice.CONSENT
    assert Ballot.objects.filter(proposal=proposal).count() == 1
    with pytest.raises(ValidationError, match="Tu as déjà voté"):
        ballots.cast_vote(proposal, actor=cast.user("cooperant"), now=LATER, choice="consent")


def test_nothing_moves_on_a_closed_proposal(cast: Cast) -> None:
    proposal = consent_in_objections(cast)
    objection = ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                        argument=ARGUMENT)
    close_by_hand(proposal)

    with pytest.raises(ValidationError, match="Le vote est clos"):
        ballots.raise_objection(proposal, actor=cast.user("cooperant"), now=LATER,
                                argument="Encore une.")
    with pytest.raises(ValidationError, match="Le vote est clos"):
        ballots.withdraw_objection(objection, actor=cast.user("cooperant"), now=LATER)
    with pytest.raises(ValidationError, match="Le vote est clos"):
        ballots.integrate_objection(objection, actor=cast.user("referent"), now=LATER,
                                    resolution="Trop tard", title="Autre", body="Autre")
    objection.refresh_from_db()
    assert objection.status == Objection.Status.OPEN
