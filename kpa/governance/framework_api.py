"""The framework, self-assessment and delegate API, under /api/v1/governance/:
`/framework/networks/{id}/current` (the framework in force), `/framework/versions/{id}` (a
version, its differences with another), `/framework/networks/{id}/drafts` (a new draft) and the
draft's criteria and pillars; `/assessments` (start, read, answer a criterion, the suggested
evidence of a KPA); `/delegates/kpa/{kpa}` (who casts the KPA's vote, designate the next).

No route makes a version current: that happens only when the network adopts the proposal that
carries the draft. Out of reach is 404; visible but not allowed is 403; refused input is 422
with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the annotations at run time.
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Status

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, Network, Person
from kpa.governance import assessment, delegates, evidence, framework, permissions, scoping
from kpa.governance.api_common import NOT_FOUND, WRITE_ERRORS, api_user
from kpa.governance.framework_schemas import (
    FrameworkAnswerIn,
    FrameworkAnswerOut,
    FrameworkAssessmentIn,
    FrameworkAssessmentOut,
    FrameworkChangedOut,
    FrameworkCriterionIn,
    FrameworkCriterionOut,
    FrameworkCriterionPatch,
    FrameworkDelegateIn,
    FrameworkDelegatePeriodOut,
    FrameworkDelegatesOut,
    FrameworkDiffOut,
    FrameworkDraftIn,
    FrameworkPillarOut,
    FrameworkPillarPatch,
    FrameworkRenamedOut,
    FrameworkSummaryOut,
    FrameworkVersionOut,
)
from kpa.governance.models import (
    Decision,
    FrameworkCriterion,
    FrameworkPillar,
    FrameworkVersion,
    NetworkDelegate,
    Proposal,
    SelfAssessment,
)

router = Router()

def _network(user: User, network_id: int, today: dt.date) -> Network:
    return get_in_scope(scoping.networks_of(user, today=today), pk=network_id)


def _version(user: User, version_id: int, today: dt.date) -> FrameworkVersion:
    return get_in_scope(scoping.framework_versions_visible_to(user, today=today)
                        .select_related("network"), pk=version_id)


def _kpa(user: User, kpa_id: int, today: dt.date) -> Kpa:
    return get_in_scope(scoping.governed_kpas(user, today=today), pk=kpa_id)


def _criterion_out(criterion: FrameworkCriterion) -> FrameworkCriterionOut:
    return FrameworkCriterionOut(id=criterion.pk, code=criterion.code,
                                 position=criterion.position, text=criterion.text,
                                 evidence_keys=framework.evidence_keys(criterion))


def _version_out(version: FrameworkVersion) -> FrameworkVersionOut:
    proposal_id = (Proposal.objects.filter(framework_version=version)
                   .values_list("pk", flat=True).first())
    return FrameworkVersionOut(
        id=version.pk, network_id=version.network_id, label=version.label,
        status=version.status, adopted_on=version.adopted_on, decision_id=version.decision_id,
        based_on_id=version.based_on_id, proposal_id=proposal_id,
        editable=framework.is_editable(version),
        pillars=[FrameworkPillarOut(id=p.pk, position=p.position, title=p.title,
                                    criteria=[_criterion_out(c) for c in p.criteria.all()])
                 for p in framework.pillars_of(version)])


# -- the framework ----------------------------------------------------------------------------

@router.get("/framework/networks/{int:network_id}/current",
            response={200: FrameworkVersionOut, **NOT_FOUND},
            summary="Le cadre en vigueur d'un réseau, pilier par pilier")
def current_framework(request: HttpRequest, network_id: int) -> FrameworkVersionOut:
    user, today = api_user(request), dates.local_today()
    network = _network(user, network_id, today)
    version = get_in_scope(FrameworkVersion.objects.filter(
        network=network, status=FrameworkVersion.Status.CURRENT))
    return _version_out(version)


@router.get("/framework/versions/{int:version_id}",
            response={200: FrameworkVersionOut, **NOT_FOUND},
            summary="Une version du cadre (en vigueur, remplacée ou en projet)")
def get_version(request: HttpRequest, version_id: int) -> FrameworkVersionOut:
    user, today = api_user(request), dates.local_today()
    return _version_out(_version(user, version_id, today))


@router.get("/framework/versions/{int:version_id}/diff/{int:other_id}",
            response={200: FrameworkDiffOut, **WRITE_ERRORS},
            summary="Ce que la seconde version change dans la première")
def diff_versions(request: HttpRequest, version_id: int, other_id: int) -> FrameworkDiffOut:
    user, today = api_user(request), dates.local_today()
    old, new = _version(user, version_id, today), _version(user, other_id, today)
    if old.network_id != new.network_id:
        raise PermissionDenied
    diff = framework.framework_diff(old, new)
    return FrameworkDiffOut(
        from_id=old.pk, to_id=new.pk,
        added=[_criterion_out(c) for c in diff.added],
        removed=[_criterion_out(c) for c in diff.removed],
        changed=[FrameworkChangedOut(code=b.code, before=a.text, after=b.text)
                 for a, b in diff.changed],
        renamed_pillars=[FrameworkRenamedOut(position=b.position, before=a.title, after=b.title)
                         for a, b in diff.renamed_pillars])


@router.post("/framework/networks/{int:network_id}/drafts",
             response={201: FrameworkVersionOut, **WRITE_ERRORS},
             summary="Préparer une modification du cadre (coordination du réseau)")
def create_draft(request: HttpRequest, network_id: int,
                 payload: FrameworkDraftIn) -> Status[FrameworkVersionOut]:
    user, today = api_user(request), dates.local_today()
    network = _network(user, network_id, today)
    draft = framework.draft_framework_amendment(network, actor=user, label=payload.label,
                                                today=today)
    return Status(201, _version_out(draft))


def _draft_criterion(user: User, version_id: int, criterion_id: int,
                     today: dt.date) -> FrameworkCriterion:
    version = _version(user, version_id, today)
    return get_in_scope(FrameworkCriterion.objects.filter(pillar__version=version)
                        .select_related("pillar"), pk=criterion_id)


@router.patch("/framework/versions/{int:version_id}/criteria/{int:criterion_id}",
              response={200: FrameworkCriterionOut, **WRITE_ERRORS},
              summary="Changer le texte ou les preuves d'un critère d'un projet")
def patch_criterion(request: HttpRequest, version_id: int, criterion_id: int,
                    payload: FrameworkCriterionPatch) -> FrameworkCriterionOut:
    user, today = api_user(request), dates.local_today()
    criterion = _draft_criterion(user, version_id, criterion_id, today)
    text = criterion.text if payload.text is None else payload.text
    changed = framework.edit_criterion(criterion, actor=user, text=text,
                                       evidence_key=payload.evidence_key, today=today)
    return _criterion_out(changed)


@router.delete("/framework/versions/{int:version_id}/criteria/{int:criterion_id}",
               response={204: None, **WRITE_ERRORS},
               summary="Retirer un critère d'un projet")
def delete_criterion(request: HttpRequest, version_id: int,
                     criterion_id: int) -> Status[None]:
    user, today = api_user(request), dates.local_today()
    criterion = _draft_criterion(user, version_id, criterion_id, today)
    framework.remove_criterion(criterion, actor=user, today=today)
    return Status(204, None)


def _draft_pillar(user: User, version_id: int, pillar_id: int,
                  today: dt.date) -> FrameworkPillar:
    version = _version(user, version_id, today)
    return get_in_scope(FrameworkPillar.objects.filter(version=version), pk=pillar_id)


@router.post("/framework/versions/{int:version_id}/pillars/{int:pillar_id}/criteria",
             response={201: FrameworkCriterionOut, **WRITE_ERRORS},
             summary="Ajouter un critère à un pilier d'un projet")
def add_criterion(request: HttpRequest, version_id: int, pillar_id: int,
                  payload: FrameworkCriterionIn) -> Status[FrameworkCriterionOut]:
    user, today = api_user(request), dates.local_today()
    pillar = _draft_pillar(user, version_id, pillar_id, today)
    added = framework.add_criterion(pillar, actor=user, text=payload.text,
                                    evidence_key=payload.evidence_key, today=today)
    return Status(201, _criterion_out(added))


@router.patch("/framework/versions/{int:version_id}/pillars/{int:pillar_id}",
              response={200: FrameworkPillarOut, **WRITE_ERRORS},
              summary="Renommer un pilier d'un projet")
def rename_pillar(request: HttpRequest, version_id: int, pillar_id: int,
                  payload: FrameworkPillarPatch) -> FrameworkPillarOut:
    user, today = api_user(request), dates.local_today()
    pillar = framework.rename_pillar(_draft_pillar(user, version_id, pillar_id, today),
                                     actor=user, title=payload.title, today=today)
    return FrameworkPillarOut(id=pillar.pk, position=pillar.position, title=pillar.title,
                              criteria=[_criterion_out(c) for c in pillar.criteria.all()])


# -- self-assessment --------------------------------------------------------------------------

def _assessment_out(found: SelfAssessment) -> FrameworkAssessmentOut:
    counted = assessment.summary(found)
    answers = found.answers.select_related("criterion").order_by(
        "criterion__pillar__position", "criterion__position")
    return FrameworkAssessmentOut(
        id=found.pk, kpa_id=found.kpa_id, version_id=found.version_id,
        created_by_id=found.created_by_id, created_at=found.created_at,
        updated_at=found.updated_at,
        summary=FrameworkSummaryOut(met=counted.met, in_progress=counted.in_progress,
                                    not_yet=counted.not_yet, unanswered=counted.unanswered,
                                    total=counted.total),
        answers=[FrameworkAnswerOut(criterion_id=a.criterion_id, code=a.criterion.code,
                                    status=a.status, evidence=a.evidence) for a in answers])


def _assessment(user: User, assessment_id: int, today: dt.date) -> SelfAssessment:
    return get_in_scope(scoping.assessments_visible_to(user, today=today)
                        .select_related("kpa", "version"), pk=assessment_id)


@router.post("/assessments", response={200: FrameworkAssessmentOut,
                                       201: FrameworkAssessmentOut, **WRITE_ERRORS},
             summary="Commencer l'auto-évaluation d'un KPA (ou retrouver celle en cours)")
def start_assessment(request: HttpRequest,
                     payload: FrameworkAssessmentIn) -> Status[FrameworkAssessmentOut]:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, payload.kpa_id, today)
    before = SelfAssessment.objects.filter(kpa=kpa).count()
    found = assessment.start_assessment(kpa, actor=user, today=today)
    created = SelfAssessment.objects.filter(kpa=kpa).count() > before
    return Status(201 if created else 200, _assessment_out(found))


@router.get("/assessments/{int:assessment_id}",
            response={200: FrameworkAssessmentOut, **NOT_FOUND},
            summary="Une auto-évaluation : où en est le KPA, critère par critère")
def get_assessment(request: HttpRequest, assessment_id: int) -> FrameworkAssessmentOut:
    user, today = api_user(request), dates.local_today()
    return _assessment_out(_assessment(user, assessment_id, today))


@router.put("/assessments/{int:assessment_id}/criteria/{int:criterion_id}",
            response={200: FrameworkAnswerOut, **WRITE_ERRORS},
            summary="Répondre pour un critère : rempli, en cours ou pas encore, et les preuves")
def answer_criterion(request: HttpRequest, assessment_id: int, criterion_id: int,
                     payload: FrameworkAnswerIn) -> FrameworkAnswerOut:
    user, today = api_user(request), dates.local_today()
    found = _assessment(user, assessment_id, today)
    answer = assessment.answer_criterion(found, actor=user, criterion_id=criterion_id,
                                         status=payload.status, evidence=payload.evidence,
                                         today=today)
    return FrameworkAnswerOut(criterion_id=answer.criterion_id, code=answer.criterion.code,
                              status=answer.status, evidence=answer.evidence)


@router.get("/assessments/evidence/{int:kpa_id}",
            response={200: dict[str, str], **NOT_FOUND},
            summary="Ce que la plateforme sait montrer d'un KPA, par clé de preuve")
def suggested_evidence(request: HttpRequest, kpa_id: int) -> dict[str, str]:
    user, today = api_user(request), dates.local_today()
    return evidence.suggest_evidence(_kpa(user, kpa_id, today), today=today)


# -- delegates --------------------------------------------------------------------------------

def _period_out(period: NetworkDelegate) -> FrameworkDelegatePeriodOut:
    return FrameworkDelegatePeriodOut(
        id=period.pk, person_id=period.person_id, person_name=period.person.full_name,
        starts_on=period.starts_on, ends_on=period.ends_on, decision_id=period.decision_id)


def _delegates_out(kpa: Kpa, today: dt.date) -> FrameworkDelegatesOut:
    periods = delegates.delegate_history(kpa)
    current = next((p for p in periods if p.starts_on <= today
                    and (p.ends_on is None or p.ends_on > today)), None)
    return FrameworkDelegatesOut(kpa_id=kpa.pk,
                                 current=_period_out(current) if current else None,
                                 periods=[_period_out(p) for p in periods])


@router.get("/delegates/kpa/{int:kpa_id}", response={200: FrameworkDelegatesOut, **NOT_FOUND},
            summary="Qui donne la voix du KPA au réseau, et depuis quand")
def get_delegates(request: HttpRequest, kpa_id: int) -> FrameworkDelegatesOut:
    user, today = api_user(request), dates.local_today()
    return _delegates_out(_kpa(user, kpa_id, today), today)


@router.post("/delegates/kpa/{int:kpa_id}", response={201: FrameworkDelegatesOut, **WRITE_ERRORS},
             summary="Désigner le ou la délégué·e du KPA au réseau")
def designate(request: HttpRequest, kpa_id: int,
              payload: FrameworkDelegateIn) -> Status[FrameworkDelegatesOut]:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, kpa_id, today)
    if not permissions.can_designate_delegate(user, kpa, today=today):
        raise PermissionDenied
    # A person or a decision out of the KPA does not exist for this route (404).
    person = get_in_scope(Person.objects.filter(roles__kpa=kpa).distinct(),
                          pk=payload.person_id)
    decision = (None if payload.decision_id is None
                else get_in_scope(Decision.objects.filter(kpa=kpa), pk=payload.decision_id))
    delegates.designate_delegate(kpa, actor=user, person=person, starts_on=payload.starts_on,
                                 decision=decision, today=today)
    return Status(201, _delegates_out(kpa, today))
