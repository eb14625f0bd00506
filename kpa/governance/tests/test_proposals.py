"""A proposal's life: written, amended, opened (after approval when the KPA is not
autonomous), scheduled, cancelled, consent rounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Kpa
from kpa.governance import closing, proposals
from kpa.governance.models import (
    CharterVersion,
    FrameworkVersion,
    Proposal,
    ProposalRevision,
    WorkingGroup,
)
from kpa.governance.tests.factories import NOW, make_autonomous, make_proposal

LATER = NOW + dt.timedelta(days=7)


def create(cast, persona="cooperant", **fields):
    fields.setdefault("title", "Acheter un four")
    fields.setdefault("body", "Pour le fournil.")
    fields.setdefault("method", "majority")
    if "network" not in fields:
        fields.setdefault("kpa", cast.home)
    fields.setdefault("closes_at", LATER)
    return proposals.create_proposal(actor=cast.user(persona), now=NOW, **fields)


def refusal(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# -- creation ----------------------------------------------------------------------------------

def test_create_draft_with_options_in_order(cast):
    proposal = create(cast, method="choice", options=["  Lundi ", "Mardi", ""])
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.author == cast.cooperant
    assert list(proposal.options.values_list("label", "position")) == [("Lundi", 0), ("Mardi", 1)]
    assert AuditEvent.objects.filter(action="governance.proposal.created",
                                     target_id=str(proposal.pk)).exists()


def test_create_refuses_an_empty_title(cast):
    with pytest.raises(ValidationError) as exc:
        create(cast, title="   ")
    assert "titre" in refusal(exc)


@pytest.mark.parametrize("method", ["judgment", "choice"])
def test_create_refuses_fewer_than_two_options(cast, method):
    with pytest.raises(ValidationError) as exc:
        create(cast, method=method, options=["Seule"])
    assert "deux options" in refusal(exc)


def test_create_refuses_duplicate_labels(cast):
    with pytest.raises(ValidationError) as exc:
        create(cast, method="judgment", options=["Four", "four ", "Frigo"])
    assert "deux fois" in refusal(exc)


@pytest.mark.parametrize("method", ["majority", "consent"])
def test_create_refuses_options_for_yes_no_methods(cast, method):
    with pytest.raises(ValidationError) as exc:
        create(cast, method=method, options=["A", "B"])
    assert "pas d'options" in refusal(exc)


def test_consent_is_neither_secret_nor_by_proxy(cast):
    with pytest.raises(ValidationError) as exc:
        create(cast, method="consent", secret=True)
    assert "vote secret" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        create(cast, method="consent", max_proxies=1)
    assert "procuration" in refusal(exc)


def test_create_refuses_a_group_of_another_kpa(cast):
    group = WorkingGroup.objects.create(kpa=cast.elsewhere, name="Cuisine")
    with pytest.raises(ValidationError) as exc:
        create(cast, group=group)
    assert "groupe" in refusal(exc)


def test_create_refuses_closing_before_opening_and_bad_quorum(cast):
    with pytest.raises(ValidationError) as exc:
        create(cast, opens_at=LATER, closes_at=LATER - dt.timedelta(hours=1))
    assert "après l'ouverture" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        create(cast, quorum_percent=101)
    assert "entre 0 et 100" in refusal(exc)
    with pytest.raises(ValidationError):
        create(cast, closes_at=NOW - dt.timedelta(minutes=1))


def test_network_proposals_by_coordinators_with_allowed_methods(cast):
    with pytest.raises(PermissionDenied):
        create(cast, "referent", network=cast.network)
    with pytest.raises(ValidationError) as exc:
        create(cast, "coordinateur", network=cast.network, method="consent")
    assert "consentement" in refusal(exc)
    proposal = create(cast, "coordinateur", network=cast.network)
    assert proposal.network == cast.network
    assert proposal.kpa is None


def test_outsider_cannot_propose_in_the_kpa(cast):
    with pytest.raises(PermissionDenied):
        create(cast, "outsider")


def test_autonomy_and_charter_only_in_a_kpa_with_majority_or_consent(cast):
    with pytest.raises(ValidationError):
        create(cast, "coordinateur", network=cast.network,
               autonomy_target=Kpa.Autonomy.AUTONOMOUS)
    with pytest.raises(ValidationError) as exc:
        create(cast, method="choice", options=["A", "B"],
               autonomy_target=Kpa.Autonomy.AUTONOMOUS)
    assert "majorité ou par consentement" in refusal(exc)
    assert create(cast, autonomy_target=Kpa.Autonomy.AUTONOMOUS).autonomy_target == "autonomous"


def test_charter_version_must_be_a_draft_of_that_kpa(cast):
    theirs = CharterVersion.objects.create(kpa=cast.elsewhere, number=1, body="Charte",
                                           created_by=cast.outsider)
    with pytest.raises(ValidationError) as exc:
        create(cast, method="consent", charter_version=theirs)
    assert "projet de charte de ce KPA" in refusal(exc)
    ours = CharterVersion.objects.create(kpa=cast.home, number=1, body="Charte",
                                         created_by=cast.cooperant)
    assert create(cast, method="consent", charter_version=ours).charter_version == ours


def test_framework_version_only_in_the_network_as_a_majority(cast):
    draft = FrameworkVersion.objects.create(network=cast.network, label="Cadre v2")
    with pytest.raises(ValidationError):
        create(cast, framework_version=draft)
    with pytest.raises(ValidationError) as exc:
        create(cast, "coordinateur", network=cast.network, method="choice",
               options=["A", "B"], framework_version=draft)
    assert "majorité" in refusal(exc)
    current = FrameworkVersion.objects.create(network=cast.network, label="Cadre v1",
                                              status=FrameworkVersion.Status.CURRENT)
    with pytest.raises(ValidationError):
        create(cast, "coordinateur", network=cast.network, framework_version=current)
    assert create(cast, "coordinateur", network=cast.network,
                  framework_version=draft).framework_version == draft


def test_internal_proposal_must_match_its_network_proposal(cast):
    network_vote = make_proposal(cast, method="choice", network=cast.network,
                                 options=["Anna", "Bilal"])
    with pytest.raises(ValidationError) as exc:
        create(cast, method="majority", network_proposal=network_vote)
    assert "mode de décision" in refusal(exc)
    with pytest.raises(ValidationError) as exc:
        create(cast, method="choice", options=["Anna", "Chloé"], network_proposal=network_vote)
    assert "Anna, Bilal" in refusal(exc)
    internal = create(cast, method="choice", options=["Bilal", "Anna"],
                      network_proposal=network_vote)
    assert internal.network_proposal == network_vote
    closing.close_proposal(network_vote, actor=None, now=NOW)
    with pytest.raises(ValidationError) as exc:
        create(cast, method="choice", options=["Anna", "Bilal"], network_proposal=network_vote)
    assert "close ou annulée" in refusal(exc)


# -- amendments --------------------------------------------------------------------------------

def test_amend_keeps_each_previous_text_numbered(cast):
    proposal = create(cast, method="choice", options=["A", "B"])
    proposals.amend_proposal(proposal, actor=cast.user("cooperant"), now=NOW, title="V2",
                             body="Texte 2", reason="Plus clair", options=["A", "B", "C"])
    proposals.amend_proposal(proposal, actor=cast.user("referent"), now=NOW, title="V3",
                             body="Texte 3")
    proposal.refresh_from_db()
    assert proposal.title == "V3"
    assert list(ProposalRevision.objects.filter(proposal=proposal)
                .values_list("number", "title", "reason")) == [
        (1, "Acheter un four", "Plus clair"), (2, "V2", "")]
    assert list(proposal.options.values_list("label", flat=True)) == ["A", "B", "C"]


def test_amend_refused_once_closed(cast):
    make_autonomous(cast.home)
    proposal = make_proposal(cast, method="majority")
    closing.close_proposal(proposal, actor=None, now=NOW)
    with pytest.raises(ValidationError) as exc:
        proposals.amend_proposal(proposal, actor=cast.user("referent"), now=NOW, title="X",
                                 body="Y")
    assert refusal(exc) == "Cette proposition est close : elle ne peut plus être modifiée."
    assert not ProposalRevision.objects.filter(proposal=proposal).exists()


def test_open_consent_may_be_amended_but_open_options_may_not_change(cast):
    make_autonomous(cast.home)
    consent = make_proposal(cast, method="consent")
    proposals.amend_proposal(consent, actor=cast.user("referent"), now=NOW,
                             title="Objection intégrée", body="Nouveau texte")
    assert consent.revisions.count() == 1
    choice = make_proposal(cast, method="choice")
    with pytest.raises(PermissionDenied):  # an open majority/choice text is frozen
        proposals.amend_proposal(choice, actor=cast.user("referent"), now=NOW, title="X",
                                 body="Y", options=["A", "B"])


def test_amend_by_someone_else_refused(cast):
    proposal = create(cast, "cooperant")
    with pytest.raises(PermissionDenied):
        proposals.amend_proposal(proposal, actor=cast.user("benevole"), now=NOW, title="X",
                                 body="Y")


# -- opening -----------------------------------------------------------------------------------

def test_supervised_kpa_needs_an_animateur_to_open(cast):
    proposal = create(cast)
    proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    assert proposal.status == Proposal.Status.AWAITING_APPROVAL
    assert not proposal.electors.exists()
    assert Notification.objects.filter(recipient=cast.user("animateur"),
                                       topic="governance.proposal.submitted").exists()
    with pytest.raises(PermissionDenied):
        proposals.approve_opening(proposal, actor=cast.user("referent"), now=NOW)
    proposals.approve_opening(proposal, actor=cast.user("animateur"), now=NOW)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    assert proposal.approved_by == cast.animateur
    assert set(proposal.electors.values_list("person_id", flat=True)) == {
        cast.cooperant.pk, cast.quiet_cooperant.pk}


def test_autonomous_kpa_opens_directly_and_tells_electors(cast):
    make_autonomous(cast.home)
    proposal = create(cast)
    proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    assert proposal.status == Proposal.Status.OPEN
    assert proposal.opens_at == NOW
    told = Notification.objects.filter(topic="governance.proposal.opened")
    assert list(told.values_list("recipient__username", flat=True)) == ["cooperant"]
    assert told.get().subject == "Nouveau vote : Acheter un four"
    assert AuditEvent.objects.filter(action="governance.proposal.opened").count() == 1


def test_opening_needs_a_closing_time_in_the_future(cast):
    make_autonomous(cast.home)
    proposal = create(cast, closes_at=None)
    with pytest.raises(ValidationError) as exc:
        proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    assert "clôture" in refusal(exc)


def test_opening_refused_when_nobody_may_vote(cast):
    make_autonomous(cast.home)
    group = WorkingGroup.objects.create(kpa=cast.home, name="Cuisine")
    group.members.add(cast.referent)  # not a coopérant
    proposal = create(cast, group=group)
    with pytest.raises(ValidationError) as exc:
        proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    assert "Personne ne peut voter" in refusal(exc)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT


def test_scheduled_proposal_opens_with_start_due(cast):
    make_autonomous(cast.home)
    opens = NOW + dt.timedelta(days=1)
    proposal = create(cast, opens_at=opens, closes_at=opens + dt.timedelta(days=2))
    proposals.open_proposal(proposal, actor=cast.user("cooperant"), now=NOW)
    assert proposal.status == Proposal.Status.SCHEDULED
    assert not proposal.electors.exists()
    assert proposals.start_due(now=opens - dt.timedelta(minutes=1)) == 0
    assert proposals.start_due(now=opens) == 1
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN
    assert proposal.electors.count() == 2
    assert proposals.start_due(now=opens) == 0


def test_consent_starts_with_clarification_and_advances(cast):
    make_autonomous(cast.home)
    proposal = make_proposal(cast, method="consent")
    assert proposal.phase == Proposal.Phase.CLARIFICATION
    with pytest.raises(PermissionDenied):
        proposals.advance_phase(proposal, actor=cast.user("benevole"), now=NOW)
    proposals.advance_phase(proposal, actor=cast.user("referent"), now=NOW)
    assert proposal.phase == Proposal.Phase.REACTIONS
    proposals.advance_phase(proposal, actor=cast.user("referent"), now=NOW)
    assert proposal.phase == Proposal.Phase.OBJECTIONS
    with pytest.raises(ValidationError):
        proposals.advance_phase(proposal, actor=cast.user("referent"), now=NOW)


def test_cancel_needs_a_reason_and_is_final(cast):
    make_autonomous(cast.home)
    proposal = make_proposal(cast, method="majority")
    with pytest.raises(ValidationError):
        proposals.cancel_proposal(proposal, actor=cast.user("referent"), now=NOW, reason=" ")
    proposals.cancel_proposal(proposal, actor=cast.user("referent"), now=NOW,
                              reason="Mal posée")
    assert proposal.status == Proposal.Status.CANCELLED
    assert Notification.objects.filter(topic="governance.proposal.cancelled",
                                       recipient=cast.user("cooperant")).exists()
    with pytest.raises(ValidationError):
        proposals.cancel_proposal(proposal, actor=cast.user("referent"), now=NOW, reason="x")
