"""A KPA's self-assessment against the network's current framework: per criterion met, in
progress or not yet, with evidence. Any member fills it in; the network's coordinators read
every KPA's and see the network's overview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kpa.core import audit, dates
from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Network
from kpa.directory.permissions import reach_of
from kpa.governance import framework, permissions
from kpa.governance.models import (
    CriterionAssessment,
    FrameworkCriterion,
    FrameworkVersion,
    SelfAssessment,
)

can_assess = permissions.can_assess
can_see_assessment = permissions.can_see_assessment

STATUSES = frozenset(CriterionAssessment.Status.values)


@dataclass(frozen=True)
class Summary:
    met: int
    in_progress: int
    not_yet: int
    total: int  # criteria of the version

    @property
    def unanswered(self) -> int:
        return self.total - self.met - self.in_progress - self.not_yet


@transaction.atomic
def start_assessment(kpa: Kpa, *, actor: AnyUser, today: dt.date) -> SelfAssessment:
    """The KPA's assessment against the current framework, started if it does not exist yet."""
    if not can_assess(actor, kpa, today=today):
        raise PermissionDenied
    version = framework.current_version(kpa.network_id)
    if version is None:
        raise ValidationError(_("Le réseau n'a pas encore de cadre en vigueur : il n'y a rien "
                                "à évaluer pour l'instant."))
    person_id = reach_of(actor, today).person_id
    existing = SelfAssessment.objects.filter(kpa=kpa, version=version).first()
    if existing is not None:
        return existing
    if person_id is None:
        raise ValidationError(_("Votre compte n'est lié à aucune personne : demandez à un·e "
                                "référent·e de le relier."))
    assessment = SelfAssessment.objects.create(kpa=kpa, version=version,
                                               created_by_id=person_id)
    audit.record(actor=actor, action="governance.assessment.started", target=assessment,
                 data={"kpa": kpa.pk, "version": version.pk})
    return assessment


def _check_answer(assessment: SelfAssessment, criterion_id: int, status: str) -> None:
    if status not in STATUSES:
        raise ValidationError({"status": _("Choisissez : rempli, en cours ou pas encore.")})
    if not FrameworkCriterion.objects.filter(pk=criterion_id,
                                             pillar__version_id=assessment.version_id).exists():
        raise ValidationError({"criterion_id": _(
            "Ce critère n'appartient pas à la version du cadre de cette auto-évaluation.")})


def _check_open(assessment: SelfAssessment, actor: AnyUser, today: dt.date) -> None:
    if not can_assess(actor, assessment.kpa, today=today):
        raise PermissionDenied
    if assessment.version.status != FrameworkVersion.Status.CURRENT:
        raise ValidationError(_("Cette version du cadre a été remplacée : commencez une "
                                "auto-évaluation sur le cadre en vigueur."))


@transaction.atomic
def answer_criterion(assessment: SelfAssessment, *, actor: AnyUser, criterion_id: int,
                     status: str, evidence: str,
                     today: dt.date | None = None) -> CriterionAssessment:
    today = today or dates.local_today()
    _check_open(assessment, actor, today)
    _check_answer(assessment, criterion_id, status)
    answer, created = CriterionAssessment.objects.update_or_create(
        assessment=assessment, criterion_id=criterion_id,
        defaults={"status": status, "evidence": (evidence or "").strip()})
    assessment.save(update_fields=["updated_at"])
    audit.record(actor=actor, action="governance.assessment.answered", target=assessment,
                 data={"criterion": criterion_id, "status": status, "new": created})
    return answer


@transaction.atomic
def answer_all(assessment: SelfAssessment, *, actor: AnyUser,
               answers: Mapping[int, tuple[str, str]], today: dt.date) -> int:
    """Save the page's answers (criterion id → (status, evidence)) together; returns how many."""
    for criterion_id, (status, evidence) in answers.items():
        answer_criterion(assessment, actor=actor, criterion_id=criterion_id, status=status,
                         evidence=evidence, today=today)
    return len(answers)


@transaction.atomic
def save_assessment(kpa: Kpa, *, actor: AnyUser, today: dt.date,
                    answers: Mapping[int, tuple[str, str]]) -> SelfAssessment:
    """The self-assessment page: start the KPA's assessment if needed and save its answers."""
    assessment = start_assessment(kpa, actor=actor, today=today)
    answer_all(assessment, actor=actor, answers=answers, today=today)
    return assessment


def answers_by_criterion(assessment: SelfAssessment | None) -> dict[int, CriterionAssessment]:
    if assessment is None:
        return {}
    return {a.criterion_id: a for a in assessment.answers.all()}


def summary(assessment: SelfAssessment) -> Summary:
    counts = assessment.answers.aggregate(**_count_kwargs(""))
    total = FrameworkCriterion.objects.filter(pillar__version_id=assessment.version_id).count()
    return Summary(met=counts["met"], in_progress=counts["in_progress"],
                   not_yet=counts["not_yet"], total=total)


def _count_kwargs(prefix: str) -> dict[str, Count]:
    return {status: Count(f"{prefix}pk", filter=Q(**{f"{prefix}status": status}))
            for status in CriterionAssessment.Status.values}


@dataclass(frozen=True)
class OverviewRow:
    kpa: Kpa
    assessment: SelfAssessment | None
    summary: Summary | None


def network_overview(network: Network) -> list[OverviewRow]:
    """Each KPA of the network with its latest self-assessment's counts (four queries)."""
    kpas = list(Kpa.objects.filter(network=network).order_by("name"))
    latest: dict[int, SelfAssessment] = {}
    assessments = (SelfAssessment.objects.filter(kpa__network=network)
                   .select_related("version")
                   .annotate(**_count_kwargs("answers__"))
                   .order_by("kpa_id", "-created_at", "-id"))
    for assessment in assessments:
        latest.setdefault(assessment.kpa_id, assessment)
    totals = dict(FrameworkCriterion.objects.filter(
        pillar__version_id__in={a.version_id for a in latest.values()})
        .values("pillar__version_id").annotate(n=Count("pk"))
        .values_list("pillar__version_id", "n"))
    rows = []
    for kpa in kpas:
        found = latest.get(kpa.pk)
        counted = None if found is None else Summary(
            met=found.met, in_progress=found.in_progress,  # type: ignore[attr-defined]
            not_yet=found.not_yet, total=totals.get(found.version_id, 0))  # type: ignore[attr-defined]
        rows.append(OverviewRow(kpa=kpa, assessment=found, summary=counted))
    return rows
