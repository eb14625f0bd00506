"""The framework of 6 December 2024 as data, word for word; drafts copied from the current
version and edited only while no vote runs on them; adoption only by the adopted network
proposal that carries the draft; differences by code."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.directory.models import Network
from kpa.directory.tests.factories import NetworkFactory
from kpa.governance import framework, framework_2024
from kpa.governance.models import (
    Decision,
    FrameworkCriterion,
    FrameworkVersion,
    Proposal,
)

SOURCE = Path(settings.BASE_DIR).parent / "shared" / "cadre-kpa.txt"


def source_text() -> str:
    for candidate in (SOURCE, Path("/work/shared/cadre-kpa.txt")):
        if candidate.exists():
            return candidate.read_text(encoding="utf-8")
    pytest.skip("cadre-kpa.txt is not beside the project")


def installed(cast: Cast) -> FrameworkVersion:
    return framework.install_framework(cast.network, actor=None)


def draft_of(cast: Cast, label: str = "Cadre 2027") -> FrameworkVersion:
    installed(cast)
    return framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                               label=label, today=TODAY)


def criterion(version: FrameworkVersion, code: str) -> FrameworkCriterion:
    return FrameworkCriterion.objects.get(pillar__version=version, code=code)


def carrying_proposal(cast: Cast, draft: FrameworkVersion, *,
                      status: str = Proposal.Status.CLOSED,
                      network: Network | None = None) -> Proposal:
    return Proposal.objects.create(
        network=network or cast.network, author=cast.coordinateur, title="Nouveau cadre",
        method="majority", status=status, framework_version=draft,
        closed_at=timezone.now() if status == Proposal.Status.CLOSED else None)


def network_decision(cast: Cast, proposal: Proposal | None, *, outcome: str = "adopted",
                     network: Network | None = None, number: int = 1) -> Decision:
    return Decision.objects.create(
        network=network or cast.network, number=number, title="Nouveau cadre",
        source=Decision.Source.PROPOSAL, method="majority", outcome=outcome,
        decided_on=dt.date(2026, 12, 12), proposal=proposal)


# -- the data ---------------------------------------------------------------------------------

def test_the_data_holds_the_five_pillars_and_the_twenty_one_criteria_word_for_word() -> None:
    text = source_text()
    bullets = [line.removeprefix("𑤑").strip() for line in text.splitlines()
               if line.startswith("𑤑")]
    headings = [line.split("[modifier")[0] for line in text.splitlines()
                if "[modifier | modifier le wikicode]" in line]
    assert len(framework_2024.PILLARS) == len(headings) == 5
    criteria = [c.text for p in framework_2024.PILLARS for c in p.criteria]
    # The brief announced 22; the source has 21 bullets, and the source decides.
    assert len(criteria) == len(bullets) == 21
    assert criteria == bullets
    assert [p.title for p in framework_2024.PILLARS] == headings
    assert "acté le 6 décembre 2024 à la rencontre Inter-KPA de Valenciennes" in text
    assert dt.date(2024, 12, 6) == framework_2024.ADOPTED_ON


def test_every_evidence_key_of_the_data_is_one_the_platform_computes() -> None:
    used = {key for p in framework_2024.PILLARS for c in p.criteria
            for key in c.evidence_key.split()}
    assert used == set(framework_2024.EVIDENCE_KEYS)
    for pillar in framework_2024.PILLARS:
        for c in pillar.criteria:
            assert len(c.evidence_key) <= 40


def test_installing_makes_the_cadre_of_december_2024_the_current_version(cast: Cast) -> None:
    version = installed(cast)
    assert (version.label, version.adopted_on, version.status) == (
        "Cadre d'un KPA — 6 décembre 2024", dt.date(2024, 12, 6), "current")
    pillars = framework.pillars_of(version)
    assert [p.position for p in pillars] == [1, 2, 3, 4, 5]
    codes = [c.code for p in pillars for c in p.criteria.all()]
    assert codes[:6] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1"]
    assert len(codes) == 21
    assert codes[-1] == "5.6"
    assert criterion(version, "2.3").evidence_key == "charter"
    assert "trésorerie individuelle" in criterion(version, "1.4").text
    assert AuditEvent.objects.filter(action="governance.framework.installed").count() == 1


def test_a_network_gets_its_framework_once_and_only_from_its_coordinators(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        framework.install_framework(cast.network, actor=cast.user("referent"), today=TODAY)
    framework.install_framework(cast.network, actor=cast.user("coordinateur"), today=TODAY)
    with pytest.raises(ValidationError, match="déjà un cadre"):
        installed(cast)
    assert FrameworkVersion.objects.filter(network=cast.network).count() == 1


# -- drafts -----------------------------------------------------------------------------------

def test_a_draft_copies_the_current_version_and_is_based_on_it(cast: Cast) -> None:
    draft = draft_of(cast)
    current = framework.current_version(cast.network)
    assert draft.status == "draft"
    assert draft.based_on == current
    assert [(c.code, c.text) for c in FrameworkCriterion.objects.filter(
        pillar__version=draft).order_by("pk")] == [
        (c.code, c.text) for c in FrameworkCriterion.objects.filter(
            pillar__version=current).order_by("pk")]
    assert framework.framework_diff(current, draft).is_empty  # type: ignore[arg-type]


def test_only_coordinators_draft_and_a_draft_needs_a_name(cast: Cast) -> None:
    installed(cast)
    with pytest.raises(PermissionDenied):
        framework.draft_framework_amendment(cast.network, actor=cast.user("referent"),
                                            label="X", today=TODAY)
    with pytest.raises(ValidationError, match="nom"):
        framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                            label="  ", today=TODAY)


def test_editing_a_draft_changes_adds_removes_and_renames_and_the_diff_says_so(
        cast: Cast) -> None:
    draft = draft_of(cast)
    coordinator = cast.user("coordinateur")
    framework.edit_criterion(criterion(draft, "2.4"), actor=coordinator,
                             text="Une formation à la régulation des conflits.", today=TODAY)
    framework.remove_criterion(criterion(draft, "1.5"), actor=coordinator, today=TODAY)
    pillar = draft.pillars.get(position=1)
    added = framework.add_criterion(pillar, actor=coordinator, text="Un nouveau critère.",
                                    evidence_key="books", today=TODAY)
    # 1.5 was removed: the new criterion never reuses a code of the version it amends.
    assert added.code == "1.6"
    framework.rename_pillar(draft.pillars.get(position=4), actor=coordinator,
                            title="En coopération territoriale", today=TODAY)

    diff = framework.framework_diff(draft.based_on, draft)  # type: ignore[arg-type]
    assert [c.code for c in diff.added] == ["1.6"]
    assert [c.code for c in diff.removed] == ["1.5"]
    assert [(old.code, new.text) for old, new in diff.changed] == [
        ("2.4", "Une formation à la régulation des conflits.")]
    assert [(old.title, new.title) for old, new in diff.renamed_pillars] == [
        ("En coopération territoriale locale", "En coopération territoriale")]
    body = framework.diff_markdown(diff)
    assert "Critère 1.6 ajouté" in body
    assert "Critère 1.5 retiré" in body
    assert AuditEvent.objects.filter(action__startswith="governance.framework_").count() == 4


def test_bad_edits_are_refused_plainly(cast: Cast) -> None:
    draft = draft_of(cast)
    coordinator = cast.user("coordinateur")
    with pytest.raises(ValidationError, match="vide"):
        framework.edit_criterion(criterion(draft, "1.1"), actor=coordinator, text=" ",
                                 today=TODAY)
    with pytest.raises(ValidationError, match="Preuve inconnue"):
        framework.add_criterion(draft.pillars.get(position=1), actor=coordinator, text="X",
                                evidence_key="horoscope", today=TODAY)
    with pytest.raises(PermissionDenied):
        framework.edit_criterion(criterion(draft, "1.1"), actor=cast.user("animateur"),
                                 text="Autre", today=TODAY)


def test_the_current_version_and_a_draft_in_vote_no_longer_change(cast: Cast) -> None:
    draft = draft_of(cast)
    coordinator = cast.user("coordinateur")
    current = draft.based_on
    assert current is not None
    with pytest.raises(ValidationError, match="en vote ou adoptée"):
        framework.edit_criterion(criterion(current, "1.1"), actor=coordinator, text="Autre",
                                 today=TODAY)
    proposal = carrying_proposal(cast, draft, status=Proposal.Status.DRAFT)
    assert framework.is_editable(draft)  # a proposal still in preparation leaves it open
    proposal.status = Proposal.Status.OPEN
    proposal.save()
    assert not framework.is_editable(draft)
    with pytest.raises(ValidationError, match="en vote ou adoptée"):
        framework.remove_criterion(criterion(draft, "1.1"), actor=coordinator, today=TODAY)
    with pytest.raises(ValidationError, match="en vote ou adoptée"):
        framework.rename_pillar(draft.pillars.get(position=1), actor=coordinator, title="X",
                                today=TODAY)
    assert criterion(draft, "1.1").text == criterion(current, "1.1").text


# -- adoption ---------------------------------------------------------------------------------

def test_the_adopted_network_proposal_makes_the_draft_current(cast: Cast) -> None:
    draft = draft_of(cast)
    previous = draft.based_on
    decision = network_decision(cast, carrying_proposal(cast, draft))
    framework.adopt_framework_version(draft, decision=decision, actor=None)
    draft.refresh_from_db()
    previous.refresh_from_db()  # type: ignore[union-attr]
    assert (draft.status, draft.decision, draft.adopted_on) == (
        "current", decision, dt.date(2026, 12, 12))
    assert previous.status == "superseded"  # type: ignore[union-attr]
    assert framework.current_version(cast.network) == draft
    assert AuditEvent.objects.filter(action="governance.framework.adopted",
                                     target_id=str(draft.pk)).exists()


def test_adoption_is_refused_without_the_adopted_proposal_of_this_network(cast: Cast) -> None:
    draft = draft_of(cast)
    other = NetworkFactory.create(name="Un autre réseau")
    with pytest.raises(ValidationError, match="ce réseau"):
        framework.adopt_framework_version(
            draft, decision=network_decision(cast, None, network=other), actor=None)
    with pytest.raises(ValidationError, match="pas été adoptée"):
        framework.adopt_framework_version(
            draft, decision=network_decision(cast, carrying_proposal(cast, draft),
                                             outcome="rejected"), actor=None)
    with pytest.raises(ValidationError, match="proposition du réseau"):
        framework.adopt_framework_version(
            draft, decision=network_decision(cast, None, number=2), actor=None)
    current = framework.current_version(cast.network)
    with pytest.raises(ValidationError, match="Seul un projet"):
        framework.adopt_framework_version(
            current, decision=network_decision(cast, None, number=3),  # type: ignore[arg-type]
            actor=None)
    assert FrameworkVersion.objects.get(pk=draft.pk).status == "draft"


WRITE_CURRENT = re.compile(
    r"(\.status\s*=\s*|update\([^)]*status\s*=\s*|"
    r"create\((?:[^()]|\([^()]*\))*status\s*=\s*)"
    r"(FrameworkVersion\.Status\.CURRENT|[\"']current[\"'])", re.S)


def test_nothing_but_adopt_framework_version_makes_a_version_current() -> None:
    """The framework is amended only through network proposals: no other service, view or API
    route of governance writes a current status."""
    root = Path(__file__).resolve().parents[1]
    writers: list[tuple[str, str]] = []
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in WRITE_CURRENT.finditer(text):
            function = re.findall(r"^def (\w+)", text[:match.start()], re.M)
            writers.append((path.name, function[-1] if function else ""))
    # Installing the first version (refused once the network has one) and adopting a draft.
    assert sorted(writers) == [("framework.py", "adopt_framework_version"),
                               ("framework.py", "install_framework")]


def test_the_network_adopts_a_draft_with_one_vote_per_kpa_through_the_closing(
        cast: Cast) -> None:
    from kpa.governance import closing
    from kpa.governance.tests.factories import NOW, cast_ballot, make_proposal

    draft = draft_of(cast)
    framework.edit_criterion(criterion(draft, "5.6"), actor=cast.user("coordinateur"),
                             text="Soutient le réseau par une cotisation votée.", today=TODAY)
    proposal = make_proposal(cast.network, method="majority", framework_version=draft)
    assert not framework.is_editable(draft)  # the vote is open: the text is frozen
    cast_ballot(proposal, cast.home, choice="for")
    cast_ballot(proposal, cast.elsewhere, choice="for")
    decision = closing.close_proposal(proposal, actor=None,
                                      now=NOW + dt.timedelta(days=8))
    assert decision.outcome == "adopted"
    draft.refresh_from_db()
    assert draft.status == "current"
    assert draft.decision == decision
    assert framework.current_version(cast.network) == draft
    assert criterion(draft, "5.6").text == "Soutient le réseau par une cotisation votée."
