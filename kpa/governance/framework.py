"""The network's framework (cadre) as versioned data.

One version is current per network. It changes only through a network proposal: a coordinator
copies the current version into a draft, edits it while no vote runs on it, submits it to the
network, and when that proposal is adopted ("un KPA = une voix") the closing calls
`adopt_framework_version` with the decision. No other path makes a version current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils.translation import gettext as _

from kpa.core import audit, dates
from kpa.core.auth import AnyUser
from kpa.directory.models import Network
from kpa.governance import framework_2024, permissions
from kpa.governance.models import (
    Decision,
    FrameworkCriterion,
    FrameworkPillar,
    FrameworkVersion,
    Proposal,
)

# A proposal in these states carries the draft to a vote, or has carried it: the text is frozen.
_VOTING = (Proposal.Status.OPEN, Proposal.Status.CLOSED)


def locked_message() -> str:
    return _("Cette version du cadre est en vote ou adoptée : elle ne change plus.")


def _gate_draft(actor: AnyUser | None, network: Network, today: dt.date | None) -> None:
    if actor is None or not permissions.can_draft_framework(
            actor, network, today=today or dates.local_today()):
        raise PermissionDenied


def current_version(network: Network | int) -> FrameworkVersion | None:
    network_id = network if isinstance(network, int) else network.pk
    return FrameworkVersion.objects.filter(
        network_id=network_id, status=FrameworkVersion.Status.CURRENT).first()


def pillars_of(version: FrameworkVersion) -> list[FrameworkPillar]:
    """The version's pillars each with its criteria, in two queries whatever their number."""
    return list(version.pillars.prefetch_related(
        Prefetch("criteria", queryset=FrameworkCriterion.objects.order_by("position"))))


def evidence_keys(criterion: FrameworkCriterion) -> list[str]:
    return criterion.evidence_key.split()


def _proposal_of(version: FrameworkVersion) -> Proposal | None:
    return Proposal.objects.filter(framework_version=version).first()


def is_editable(version: FrameworkVersion) -> bool:
    """A draft that no vote runs or ran on."""
    if version.status != FrameworkVersion.Status.DRAFT:
        return False
    proposal = _proposal_of(version)
    return proposal is None or proposal.status not in _VOTING


def _check_editable(version: FrameworkVersion) -> None:
    if not is_editable(version):
        raise ValidationError(locked_message())


def _clean_text(text: str, *, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({what: _("Écrivez le texte : il ne peut pas être vide.")})
    return text


def _clean_keys(evidence_key: str) -> str:
    keys = evidence_key.split()
    unknown = [k for k in keys if k not in framework_2024.EVIDENCE_KEYS]
    if unknown:
        raise ValidationError({"evidence_key": _(
            "Preuve inconnue : %(keys)s. Choisissez parmi : %(known)s.") % {
            "keys": ", ".join(unknown), "known": ", ".join(framework_2024.EVIDENCE_KEYS)}})
    joined = " ".join(dict.fromkeys(keys))
    if len(joined) > FrameworkCriterion._meta.get_field("evidence_key").max_length:  # type: ignore[operator]
        raise ValidationError({"evidence_key": _("Trop de preuves pour un seul critère.")})
    return joined


# -- installing and amending ------------------------------------------------------------------

@transaction.atomic
def install_framework(network: Network, *, actor: AnyUser | None,
                      today: dt.date | None = None) -> FrameworkVersion:
    """The framework of 6 December 2024 as the network's current version. `actor` None is the
    demo or seed, which installs it when the network is created."""
    if actor is not None:
        _gate_draft(actor, network, today)
    if FrameworkVersion.objects.select_for_update().filter(network=network).exists():
        raise ValidationError(_("Ce réseau a déjà un cadre : il ne change plus que par une "
                                "proposition du réseau."))
    version = FrameworkVersion.objects.create(
        network=network, label=framework_2024.LABEL, adopted_on=framework_2024.ADOPTED_ON,
        status=FrameworkVersion.Status.CURRENT)
    criteria: list[FrameworkCriterion] = []
    for position, title, rows in framework_2024.coded():
        pillar = FrameworkPillar.objects.create(version=version, position=position, title=title)
        criteria.extend(FrameworkCriterion(pillar=pillar, position=c_pos, code=code, text=text,
                                           evidence_key=key)
                        for c_pos, code, text, key in rows)
    FrameworkCriterion.objects.bulk_create(criteria)
    audit.record(actor=actor, action="governance.framework.installed", target=version,
                 data={"network": network.pk, "criteria": len(criteria)})
    return version


@transaction.atomic
def draft_framework_amendment(network: Network, *, actor: AnyUser, label: str,
                              today: dt.date | None = None) -> FrameworkVersion:
    """A draft copying the current version's pillars and criteria, to edit then submit."""
    _gate_draft(actor, network, today)
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": _("Donnez un nom à ce projet de cadre, par exemple "
                                          "« Cadre 2026 : soutien financier ».")})
    current = current_version(network)
    if current is None:
        raise ValidationError(_("Le réseau n'a pas encore de cadre en vigueur : installez "
                                "d'abord le cadre du 6 décembre 2024."))
    draft = FrameworkVersion.objects.create(network=network, label=label, based_on=current)
    criteria: list[FrameworkCriterion] = []
    for pillar in current.pillars.prefetch_related("criteria"):
        copy = FrameworkPillar.objects.create(version=draft, position=pillar.position,
                                              title=pillar.title)
        criteria.extend(FrameworkCriterion(pillar=copy, position=c.position, code=c.code,
                                           text=c.text, evidence_key=c.evidence_key)
                        for c in pillar.criteria.all())
    FrameworkCriterion.objects.bulk_create(criteria)
    audit.record(actor=actor, action="governance.framework.drafted", target=draft,
                 data={"based_on": current.pk})
    return draft


def _locked_version(version_id: int) -> FrameworkVersion:
    return FrameworkVersion.objects.select_for_update().select_related("network").get(
        pk=version_id)


@transaction.atomic
def edit_criterion(criterion: FrameworkCriterion, *, actor: AnyUser, text: str,
                   evidence_key: str | None = None,
                   today: dt.date | None = None) -> FrameworkCriterion:
    version = _locked_version(criterion.pillar.version_id)
    _gate_draft(actor, version.network, today)
    _check_editable(version)
    before = criterion.text
    criterion.text = _clean_text(text, what="text")
    if evidence_key is not None:
        criterion.evidence_key = _clean_keys(evidence_key)
    criterion.save(update_fields=["text", "evidence_key"])
    audit.record(actor=actor, action="governance.framework_criterion.changed", target=criterion,
                 data={"version": version.pk, "code": criterion.code, "before": before})
    return criterion


@transaction.atomic
def add_criterion(pillar: FrameworkPillar, *, actor: AnyUser, text: str, evidence_key: str = "",
                  today: dt.date | None = None) -> FrameworkCriterion:
    """A new criterion at the end of the pillar, with a code no earlier version used there."""
    version = _locked_version(pillar.version_id)
    _gate_draft(actor, version.network, today)
    _check_editable(version)
    text = _clean_text(text, what="text")
    keys = _clean_keys(evidence_key)
    used = [c.code for c in FrameworkCriterion.objects.filter(pillar=pillar)]
    if version.based_on_id is not None:
        used += FrameworkCriterion.objects.filter(
            pillar__version_id=version.based_on_id,
            pillar__position=pillar.position).values_list("code", flat=True)
    numbers = [int(code.rsplit(".", 1)[-1]) for code in used
               if code.rsplit(".", 1)[-1].isdigit()]
    position = (FrameworkCriterion.objects.filter(pillar=pillar)
                .aggregate(top=Max("position"))["top"] or 0) + 1
    criterion = FrameworkCriterion.objects.create(
        pillar=pillar, position=position, code=f"{pillar.position}.{max(numbers, default=0) + 1}",
        text=text, evidence_key=keys)
    audit.record(actor=actor, action="governance.framework_criterion.added", target=criterion,
                 data={"version": version.pk, "code": criterion.code})
    return criterion


@transaction.atomic
def remove_criterion(criterion: FrameworkCriterion, *, actor: AnyUser,
                     today: dt.date | None = None) -> None:
    version = _locked_version(criterion.pillar.version_id)
    _gate_draft(actor, version.network, today)
    _check_editable(version)
    audit.record(actor=actor, action="governance.framework_criterion.removed", target=criterion,
                 data={"version": version.pk, "code": criterion.code, "text": criterion.text})
    criterion.delete()


@transaction.atomic
def rename_pillar(pillar: FrameworkPillar, *, actor: AnyUser, title: str,
                  today: dt.date | None = None) -> FrameworkPillar:
    version = _locked_version(pillar.version_id)
    _gate_draft(actor, version.network, today)
    _check_editable(version)
    before = pillar.title
    pillar.title = _clean_text(title, what="title")
    pillar.save(update_fields=["title"])
    audit.record(actor=actor, action="governance.framework_pillar.renamed", target=pillar,
                 data={"version": version.pk, "before": before})
    return pillar


# -- adoption ---------------------------------------------------------------------------------

@transaction.atomic
def adopt_framework_version(version: FrameworkVersion, *, decision: Decision,
                            actor: AnyUser | None) -> FrameworkVersion:
    """The draft becomes the network's framework: called by the closing of the network proposal
    that carried it, once adopted (`actor` None when the clock closed it)."""
    version = _locked_version(version.pk)
    if version.status != FrameworkVersion.Status.DRAFT:
        raise ValidationError(_("Seul un projet de cadre peut être adopté : cette version est "
                                "déjà en vigueur ou remplacée."))
    if decision.network_id != version.network_id:
        raise ValidationError(_("Le cadre d'un réseau ne change que par une décision de ce "
                                "réseau."))
    if decision.outcome != Proposal.Outcome.ADOPTED:
        raise ValidationError(_("La proposition n'a pas été adoptée : le cadre ne change pas."))
    if decision.proposal_id is None or not Proposal.objects.filter(
            pk=decision.proposal_id, framework_version=version).exists():
        raise ValidationError(_("Le cadre ne change que par la proposition du réseau qui "
                                "porte ce projet."))
    previous = current_version(version.network_id)
    if previous is not None:
        # Superseded first: the database allows one current version per network.
        previous.status = FrameworkVersion.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = FrameworkVersion.Status.CURRENT
    version.decision = decision
    version.adopted_on = decision.decided_on
    version.save(update_fields=["status", "decision", "adopted_on"])
    audit.record(actor=actor, action="governance.framework.adopted", target=version,
                 data={"decision": decision.pk,
                       "superseded": previous.pk if previous is not None else None})
    return version


# -- comparing --------------------------------------------------------------------------------

@dataclass
class FrameworkDiff:
    old: FrameworkVersion
    new: FrameworkVersion
    added: list[FrameworkCriterion] = field(default_factory=list)
    removed: list[FrameworkCriterion] = field(default_factory=list)
    changed: list[tuple[FrameworkCriterion, FrameworkCriterion]] = field(default_factory=list)
    renamed_pillars: list[tuple[FrameworkPillar, FrameworkPillar]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.renamed_pillars)


def _criteria_by_code(version: FrameworkVersion) -> dict[str, FrameworkCriterion]:
    return {c.code: c for c in FrameworkCriterion.objects.filter(pillar__version=version)
            .select_related("pillar")}


def framework_diff(old: FrameworkVersion, new: FrameworkVersion) -> FrameworkDiff:
    """What `new` changes in `old`: criteria compared by code, pillars by position."""
    before, after = _criteria_by_code(old), _criteria_by_code(new)
    diff = FrameworkDiff(old=old, new=new)
    diff.added = [after[code] for code in after if code not in before]
    diff.removed = [before[code] for code in before if code not in after]
    diff.changed = [(before[code], after[code]) for code in after
                    if code in before and (before[code].text != after[code].text
                                           or before[code].evidence_key
                                           != after[code].evidence_key)]
    old_pillars = {p.position: p for p in old.pillars.all()}
    diff.renamed_pillars = [(old_pillars[p.position], p) for p in new.pillars.all()
                            if p.position in old_pillars
                            and old_pillars[p.position].title != p.title]
    order = _code_order
    diff.added.sort(key=order)
    diff.removed.sort(key=order)
    diff.changed.sort(key=lambda pair: _code_order(pair[1]))
    return diff


def _code_order(criterion: FrameworkCriterion) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in criterion.code.split("."))


def diff_markdown(diff: FrameworkDiff) -> str:
    """The changes in plain words, as the body of the proposal that submits them."""
    lines = [_("Ce projet modifie « %(old)s ».") % {"old": diff.old.label}, ""]
    for old_pillar, new_pillar in diff.renamed_pillars:
        lines.append(_("- Pilier %(n)s renommé : « %(old)s » devient « %(new)s »")
                     % {"n": new_pillar.position, "old": old_pillar.title,
                        "new": new_pillar.title})
    for criterion in diff.added:
        lines.append(_("- Critère %(code)s ajouté : %(text)s")
                     % {"code": criterion.code, "text": criterion.text})
    for old_c, new_c in diff.changed:
        lines.append(_("- Critère %(code)s modifié : « %(old)s » devient « %(new)s »")
                     % {"code": new_c.code, "old": old_c.text, "new": new_c.text})
    for criterion in diff.removed:
        lines.append(_("- Critère %(code)s retiré : %(text)s")
                     % {"code": criterion.code, "text": criterion.text})
    if diff.is_empty:
        lines.append(_("Aucun changement pour l'instant."))
    return "\n".join(lines)
