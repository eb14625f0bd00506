"""The living charter's services: drafts numbered one after the other, a draft changes until it
is put to the vote and an adopted version never does, adoption by a decision of the KPA only
(the previous version superseded, the members told), one acknowledgement per person of the
version in force, who has not read it (coopérants first, in few queries), the structure's rule,
and the differences between two texts, line by line."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Kpa, RoleKind
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.governance import charter, eligibility
from kpa.governance.models import (
    CharterAcknowledgement,
    CharterPolicy,
    CharterVersion,
    Decision,
    Method,
    Proposal,
)

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
ADOPTED_TEXT = "# Notre charte\n\nOn se respecte.\nOn partage les outils.\n"


def decision_for(kpa: Kpa, *, outcome: str = Proposal.Outcome.ADOPTED,
                 decided_on: dt.date = TODAY) -> Decision:
    """A register entry written with the ORM: the register's own rules are not tested here."""
    last = Decision.objects.filter(kpa=kpa).aggregate(n=Max("number"))["n"] or 0
    return Decision.objects.create(kpa=kpa, number=last + 1, title="Charte",
                                   source=Decision.Source.SHOW_OF_HANDS, method=Method.MAJORITY,
                                   outcome=outcome, decided_on=decided_on)


def draft(cast: Cast, body: str = ADOPTED_TEXT, persona: str = "cooperant") -> CharterVersion:
    return charter.draft_charter_version(cast.home, actor=cast.user(persona), body=body,
                                         today=TODAY)


def adopted(cast: Cast, body: str = ADOPTED_TEXT,
            decided_on: dt.date = TODAY) -> CharterVersion:
    return charter.adopt_charter_version(draft(cast, body),
                                         decision=decision_for(cast.home, decided_on=decided_on),
                                         actor=None)


# -- drafts -------------------------------------------------------------------------------------


def test_each_draft_takes_the_number_after_the_highest_version_of_its_kpa(cast: Cast) -> None:
    first = adopted(cast)
    second = draft(cast, "v2")
    third = draft(cast, "v3", persona="benevole")
    assert (first.number, second.number, third.number) == (1, 2, 3)
    assert third.status == CharterVersion.Status.DRAFT
    assert third.created_by == cast.benevole
    other = charter.draft_charter_version(cast.elsewhere, actor=cast.user("outsider"),
                                          body="Ailleurs", today=TODAY)
    assert other.number == 1
    event = AuditEvent.objects.get(action="governance.charter_version.drafted",
                                   target_id=str(third.pk))
    assert event.data == {"kpa": cast.home.pk, "number": 3}


def test_a_blank_draft_is_refused_with_words_that_say_what_to_do(cast: Cast) -> None:
    with pytest.raises(ValidationError) as refused:
        draft(cast, "  \n \n")
    assert refused.value.message_dict["body"] == [
        "Écris le texte de la charte : il ne peut pas être vide."]
    assert not CharterVersion.objects.exists()


def test_only_members_of_the_kpa_draft_its_charter(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        charter.draft_charter_version(cast.home, actor=cast.user("outsider"), body="x",
                                      today=TODAY)
    with pytest.raises(PermissionDenied):  # the structure's staff is not in the KPA
        charter.draft_charter_version(cast.home, actor=cast.user("gestionnaire"), body="x",
                                      today=TODAY)
    assert not CharterVersion.objects.exists()


def test_a_draft_changes_and_an_adopted_version_never_does(cast: Cast) -> None:
    version = draft(cast, "Premier jet")
    charter.edit_charter_draft(version, actor=cast.user("referent"), body="Second jet",
                               today=TODAY)
    version.refresh_from_db()
    assert version.body == "Second jet\n"
    assert AuditEvent.objects.filter(action="governance.charter_version.edited",
                                     target_id=str(version.pk)).count() == 1
    charter.adopt_charter_version(version, decision=decision_for(cast.home), actor=None)
    with pytest.raises(ValidationError) as refused:
        charter.edit_charter_draft(version, actor=cast.user("referent"), body="Retouche",
                                   today=TODAY)
    assert refused.value.messages == [
        "Une version adoptée ne change plus : rédige une nouvelle version."]
    version.refresh_from_db()
    assert version.body == "Second jet\n"


def test_a_superseded_version_is_refused_like_an_adopted_one(cast: Cast) -> None:
    first = adopted(cast)
    adopted(cast, "v2")
    with pytest.raises(ValidationError, match="Une version adoptée ne change plus"):
        charter.edit_charter_draft(first, actor=cast.user("cooperant"), body="x", today=TODAY)


def test_an_outsider_cannot_edit_a_draft(cast: Cast) -> None:
    version = draft(cast)
    with pytest.raises(PermissionDenied):
        charter.edit_charter_draft(version, actor=cast.user("outsider"), body="x", today=TODAY)


def test_a_draft_put_to_the_vote_keeps_the_text_people_vote_on(cast: Cast) -> None:
    version = draft(cast)
    proposal = charter.propose_charter_version(version, actor=cast.user("cooperant"), now=NOW)
    # While the proposal is itself a draft, its text may still be put right.
    charter.edit_charter_draft(version, actor=cast.user("cooperant"), body="Corrigé",
                               today=TODAY)
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.OPEN)
    with pytest.raises(ValidationError, match="soumise au vote"):
        charter.edit_charter_draft(version, actor=cast.user("cooperant"), body="Encore",
                                   today=TODAY)


def test_proposing_a_version_makes_a_week_long_consent_proposal_that_carries_it(
        cast: Cast) -> None:
    version = draft(cast)
    proposal = charter.propose_charter_version(version, actor=cast.user("benevole"), now=NOW)
    assert proposal.charter_version == version
    assert proposal.method == Method.CONSENT
    assert proposal.kpa == cast.home
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.closes_at == NOW + dt.timedelta(days=7)
    assert ADOPTED_TEXT.strip() in proposal.body
    with pytest.raises(ValidationError, match="déjà proposée au vote"):
        charter.propose_charter_version(version, actor=cast.user("benevole"), now=NOW)


def test_an_adopted_version_is_not_proposed_again(cast: Cast) -> None:
    version = adopted(cast)
    with pytest.raises(ValidationError, match="ne change plus"):
        charter.propose_charter_version(version, actor=cast.user("cooperant"), now=NOW)
    assert not Proposal.objects.exists()


# -- adoption -----------------------------------------------------------------------------------


def test_adopting_a_version_supersedes_the_one_in_force_and_links_the_decision(
        cast: Cast) -> None:
    first = adopted(cast, decided_on=dt.date(2026, 3, 2))
    assert charter.current_charter(cast.home) == first
    assert first.adopted_on == dt.date(2026, 3, 2)
    second = draft(cast, "v2")
    decision = decision_for(cast.home)
    charter.adopt_charter_version(second, decision=decision, actor=cast.user("animateur"))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CharterVersion.Status.SUPERSEDED
    assert (second.status, second.decision, second.adopted_on) == (
        CharterVersion.Status.ADOPTED, decision, decision.decided_on)
    assert charter.current_charter(cast.home) == second
    event = AuditEvent.objects.get(action="governance.charter_version.adopted",
                                   target_id=str(second.pk))
    assert event.data == {"kpa": cast.home.pk, "number": 2, "decision": decision.pk,
                          "previous": first.pk}
    assert AuditEvent.objects.filter(action="governance.charter_version.superseded",
                                     target_id=str(first.pk)).exists()


def test_adoption_tells_every_current_member_with_a_login(cast: Cast) -> None:
    version = adopted(cast)
    notes = Notification.objects.filter(topic="governance.charter.adopted")
    recipients = set(notes.values_list("recipient__username", flat=True))
    assert recipients == {"cooperant", "referent", "animateur", "accompagnateur", "benevole"}
    note = notes.first()
    assert note is not None
    assert note.subject == "La charte v1 est adoptée : prends-en connaissance"
    assert note.url == f"/gouvernance/charte/kpa/{cast.home.pk}/"
    assert version.status == CharterVersion.Status.ADOPTED


@pytest.mark.parametrize("case", ["other_kpa", "rejected", "not_a_draft", "decision_used"])
def test_adoption_is_refused_without_an_adopted_decision_of_the_same_kpa(
        cast: Cast, case: str) -> None:
    version = draft(cast)
    decision = decision_for(cast.home)
    expected = {
        "other_kpa": "un autre KPA",
        "rejected": "n'adopte rien",
        "not_a_draft": "n'est plus un projet",
        "decision_used": "déjà adopté une autre version",
    }[case]
    if case == "other_kpa":
        decision = decision_for(cast.elsewhere)
    elif case == "rejected":
        decision = decision_for(cast.home, outcome=Proposal.Outcome.REJECTED)
    elif case == "not_a_draft":
        charter.adopt_charter_version(version, decision=decision, actor=None)
        decision = decision_for(cast.home)
    else:
        charter.adopt_charter_version(draft(cast, "autre"), decision=decision, actor=None)
    with pytest.raises(ValidationError, match=expected):
        charter.adopt_charter_version(version, decision=decision, actor=None)
    version.refresh_from_db()
    assert version.decision_id != decision.pk


def test_no_charter_is_in_force_before_the_first_adoption(cast: Cast) -> None:
    draft(cast)
    assert charter.current_charter(cast.home) is None
    assert charter.pending_acknowledgements(cast.home, today=TODAY) == []


# -- acknowledgement ------------------------------------------------------------------------


def test_a_member_acknowledges_the_charter_in_force_once(cast: Cast) -> None:
    version = adopted(cast)
    first = charter.acknowledge_charter(version, actor=cast.user("cooperant"), now=NOW)
    assert (first.person, first.acknowledged_at) == (cast.cooperant, NOW)
    again = charter.acknowledge_charter(version, actor=cast.user("cooperant"),
                                        now=NOW + dt.timedelta(hours=2))
    assert again.pk == first.pk
    assert again.acknowledged_at == NOW
    assert CharterAcknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="governance.charter.acknowledged").count() == 1


def test_only_the_version_in_force_is_acknowledged(cast: Cast) -> None:
    first = adopted(cast)
    with pytest.raises(ValidationError, match="n'est pas la charte en vigueur"):
        charter.acknowledge_charter(draft(cast, "v2"), actor=cast.user("cooperant"), now=NOW)
    adopted(cast, "v3")
    with pytest.raises(ValidationError, match="n'est pas la charte en vigueur"):
        charter.acknowledge_charter(first, actor=cast.user("cooperant"), now=NOW)
    assert not CharterAcknowledgement.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "gestionnaire", "coordinateur", "admin"])
def test_only_a_current_member_of_the_kpa_acknowledges(cast: Cast, persona: str) -> None:
    version = adopted(cast)
    with pytest.raises(PermissionDenied):
        charter.acknowledge_charter(version, actor=cast.user(persona), now=NOW)
    assert not CharterAcknowledgement.objects.exists()


def test_pending_lists_members_who_have_not_read_coopérants_first_in_few_queries(
        cast: Cast, django_assert_max_num_queries: Any) -> None:
    version = adopted(cast)
    for persona in ("referent", "benevole"):
        charter.acknowledge_charter(version, actor=cast.user(persona), now=NOW)
    ended = person_with_login("ancienne", first_name="Ancienne", last_name="Partie")
    give_role(ended, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 1, 5),
              ends_on=dt.date(2026, 6, 1))
    with django_assert_max_num_queries(3):
        pending = charter.pending_acknowledgements(cast.home, today=TODAY)
    names = [p.first_name for p in pending]
    # Coopérants first (with or without a login), then the staff who have not read it.
    assert set(names[:2]) == {"Cooperant", "Quentin"}
    assert set(names[2:]) == {"Animateur", "Accompagnateur"}
    assert [p.is_cooperant for p in pending] == [True, True, False, False]  # type: ignore[attr-defined]
    assert "Ancienne" not in names
    assert "Referent" not in names
    assert "Benevole" not in names


def test_a_new_version_must_be_read_again(cast: Cast) -> None:
    first = adopted(cast)
    charter.acknowledge_charter(first, actor=cast.user("cooperant"), now=NOW)
    assert cast.cooperant not in charter.pending_acknowledgements(cast.home, today=TODAY)
    adopted(cast, "v2")
    assert cast.cooperant in charter.pending_acknowledgements(cast.home, today=TODAY)


# -- the structure's rule -------------------------------------------------------------------


def test_the_gestionnaire_makes_reading_the_charter_a_condition_of_the_vote(cast: Cast) -> None:
    version = adopted(cast)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    policy = charter.set_charter_policy(cast.cae, actor=cast.user("gestionnaire"),
                                        required=True, today=TODAY)
    assert policy.acknowledgement_required
    assert charter.charter_policy_required(cast.cae.pk)
    assert eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    charter.acknowledge_charter(version, actor=cast.user("cooperant"), now=NOW)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    charter.set_charter_policy(cast.cae, actor=cast.user("gestionnaire"), required=False,
                               today=TODAY)
    assert CharterPolicy.objects.get(structure=cast.cae).acknowledgement_required is False
    events = AuditEvent.objects.filter(action="governance.charter_policy.set").order_by("id")
    assert [e.data["to"] for e in events] == [True, False]


@pytest.mark.parametrize("persona", ["comptable", "referent", "outsider", "cooperant"])
def test_only_the_structures_gestionnaire_sets_its_rule(cast: Cast, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        charter.set_charter_policy(cast.cae, actor=cast.user(persona), required=True,
                                   today=TODAY)
    assert not CharterPolicy.objects.exists()


# -- differences --------------------------------------------------------------------------------


def test_the_differences_between_two_texts_line_by_line() -> None:
    old = "# Charte\nOn se respecte.\nOn range l'atelier.\nOn vote.\n"
    new = "# Charte\nOn se respecte.\nOn range l'atelier le soir.\nOn vote.\nOn fête.\n"
    assert charter.diff_lines(old, new) == [
        ("same", "# Charte"),
        ("same", "On se respecte."),
        ("removed", "On range l'atelier."),
        ("added", "On range l'atelier le soir."),
        ("same", "On vote."),
        ("added", "On fête."),
    ]


def test_the_differences_of_a_removed_line_and_of_empty_texts() -> None:
    assert charter.diff_lines("a\nb\nc", "a\nc") == [
        ("same", "a"), ("removed", "b"), ("same", "c")]
    assert charter.diff_lines("", "Nouveau") == [("added", "Nouveau")]
    assert charter.diff_lines("Pareil\n", "Pareil") == [("same", "Pareil")]


@pytest.mark.parametrize(("numbers", "current", "expected"), [
    ([3, 2, 1], 2, (1, 2)),      # in force against the one before
    ([3, 2, 1], None, (2, 3)),   # nothing in force: the last two
    ([2, 1], 1, (1, 2)),         # the first in force: what came after it
    ([1], 1, None),
])
def test_the_default_comparison(cast: Cast, numbers: list[int], current: int | None,
                                expected: tuple[int, int] | None) -> None:
    version = CharterVersion(number=current) if current is not None else None
    assert charter.default_pair(numbers, version) == expected
