"""The charter and autonomy API, under /api/v1/governance/: `/charter/kpa/{kpa}` (the charter
in force and every version, the differences between two versions, new drafts, who has not read
it yet), `/charter/versions/{id}` (read, change a draft, acknowledge, put to the vote),
`/charter/structures/{id}/policy` (the structure's rule) and `/autonomy/kpa/{kpa}` (the level
in plain words, propose another).

A KPA or a version out of the token user's reach does not exist (404); one they see but may not
change answers 403; refused input answers 422 with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the Query schema's annotations at run time.
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Query, Router, Status

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, Structure
from kpa.directory.permissions import reach_of
from kpa.governance import autonomy, charter, permissions, scoping
from kpa.governance.api_common import NOT_FOUND, WRITE_ERRORS, api_user
from kpa.governance.charter_schemas import (
    AutonomyLevelOut,
    AutonomyOut,
    AutonomyProposalOut,
    AutonomyProposeIn,
    CharterAcknowledgementOut,
    CharterDiffLineOut,
    CharterDiffOut,
    CharterDiffQuery,
    CharterDraftIn,
    CharterKpaOut,
    CharterPendingPersonOut,
    CharterPolicyIn,
    CharterPolicyOut,
    CharterProposalOut,
    CharterVersionOut,
    CharterVersionSummaryOut,
)
from kpa.governance.models import CharterAcknowledgement, CharterVersion, Proposal

router = Router()

def _kpa(user: User, kpa_id: int, today: dt.date) -> Kpa:
    return get_in_scope(scoping.governed_kpas(user, today=today), pk=kpa_id)


def _version(user: User, version_id: int, today: dt.date) -> CharterVersion:
    return get_in_scope(scoping.charter_versions_visible_to(user, today=today), pk=version_id)


def _version_out(version: CharterVersion, user: User, today: dt.date) -> CharterVersionOut:
    person_id = reach_of(user, today).person_id
    acknowledgement = (charter.acknowledgement_of(version, person_id)
                       if version.status == CharterVersion.Status.ADOPTED else None)
    proposal_id = (Proposal.objects.filter(charter_version=version)
                   .values_list("pk", flat=True).first())
    return CharterVersionOut(
        id=version.pk, number=version.number, status=version.status,
        adopted_on=version.adopted_on, decision_id=version.decision_id,
        created_at=version.created_at, kpa_id=version.kpa_id, body=version.body,
        created_by_id=version.created_by_id, proposal_id=proposal_id,
        acknowledged_at=acknowledgement.acknowledged_at if acknowledgement else None)


def _summary(version: CharterVersion) -> CharterVersionSummaryOut:
    return CharterVersionSummaryOut(
        id=version.pk, number=version.number, status=version.status,
        adopted_on=version.adopted_on, decision_id=version.decision_id,
        created_at=version.created_at)


@router.get("/charter/kpa/{int:kpa_id}", response={200: CharterKpaOut, **NOT_FOUND},
            summary="La charte en vigueur d'un KPA et toutes ses versions")
def get_charter(request: HttpRequest, kpa_id: int) -> CharterKpaOut:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, kpa_id, today)
    versions = list(CharterVersion.objects.filter(kpa=kpa).order_by("-number"))
    current = next((v for v in versions if v.status == CharterVersion.Status.ADOPTED), None)
    return CharterKpaOut(
        kpa_id=kpa.pk, kpa_name=kpa.name,
        current=_version_out(current, user, today) if current is not None else None,
        versions=[_summary(v) for v in versions])


@router.get("/charter/versions/{int:version_id}",
            response={200: CharterVersionOut, **NOT_FOUND},
            summary="Une version de la charte, avec son texte")
def get_version(request: HttpRequest, version_id: int) -> CharterVersionOut:
    user, today = api_user(request), dates.local_today()
    return _version_out(_version(user, version_id, today), user, today)


@router.get("/charter/kpa/{int:kpa_id}/diff", response={200: CharterDiffOut, **NOT_FOUND},
            summary="Ce qui a changé entre deux versions (par défaut : la version en vigueur "
                    "et celle d'avant)")
def get_diff(request: HttpRequest, kpa_id: int,
             query: Query[CharterDiffQuery]) -> CharterDiffOut:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, kpa_id, today)
    versions = list(CharterVersion.objects.filter(kpa=kpa).order_by("-number"))
    by_number = {v.number: v for v in versions}
    current = next((v for v in versions if v.status == CharterVersion.Status.ADOPTED), None)
    numbers = [v.number for v in versions]
    pair = charter.default_pair(numbers, current)
    to_number = query.to_number if query.to_number is not None else (
        pair[1] if pair else None)
    from_number = query.from_number
    if from_number is None and to_number is not None:
        from_number = next((n for n in numbers if n < to_number), None)
    if from_number is None or to_number is None \
            or from_number not in by_number or to_number not in by_number:
        raise Http404
    lines = charter.diff_lines(by_number[from_number].body, by_number[to_number].body)
    return CharterDiffOut(
        from_number=from_number, to_number=to_number,
        added=sum(1 for kind, _text in lines if kind == "added"),
        removed=sum(1 for kind, _text in lines if kind == "removed"),
        lines=[CharterDiffLineOut(kind=kind, text=text) for kind, text in lines])


@router.post("/charter/kpa/{int:kpa_id}/drafts",
             response={201: CharterVersionOut, **WRITE_ERRORS},
             summary="Rédiger une nouvelle version (un projet, à mettre au vote)")
def draft_version(request: HttpRequest, kpa_id: int,
                  payload: CharterDraftIn) -> Status[CharterVersionOut]:
    user, today = api_user(request), dates.local_today()
    version = charter.draft_charter_version(_kpa(user, kpa_id, today), actor=user,
                                            body=payload.body, today=today)
    return Status(201, _version_out(version, user, today))


@router.patch("/charter/versions/{int:version_id}",
              response={200: CharterVersionOut, **WRITE_ERRORS},
              summary="Changer le texte d'un projet (une version adoptée ne change plus)")
def edit_version(request: HttpRequest, version_id: int,
                 payload: CharterDraftIn) -> CharterVersionOut:
    user, today = api_user(request), dates.local_today()
    version = charter.edit_charter_draft(_version(user, version_id, today), actor=user,
                                         body=payload.body, today=today)
    return _version_out(version, user, today)


@router.post("/charter/versions/{int:version_id}/acknowledge",
             response={200: CharterAcknowledgementOut, **WRITE_ERRORS},
             summary="« J'ai lu la charte et je m'engage à la respecter » (une fois : la "
                     "seconde rend la première)")
def acknowledge(request: HttpRequest, version_id: int) -> CharterAcknowledgement:
    user, today = api_user(request), dates.local_today()
    return charter.acknowledge_charter(_version(user, version_id, today), actor=user,
                                       now=dates.current_time())


@router.post("/charter/versions/{int:version_id}/propose",
             response={201: CharterProposalOut, **WRITE_ERRORS},
             summary="Mettre un projet au vote (une proposition par consentement, en "
                     "brouillon)")
def propose_version(request: HttpRequest, version_id: int) -> Status[CharterProposalOut]:
    user, today = api_user(request), dates.local_today()
    proposal = charter.propose_charter_version(_version(user, version_id, today), actor=user,
                                               now=dates.current_time())
    return Status(201, CharterProposalOut(proposal_id=proposal.pk,
                                          url=proposal.get_absolute_url()))


@router.get("/charter/kpa/{int:kpa_id}/pending",
            response={200: list[CharterPendingPersonOut], **WRITE_ERRORS},
            summary="Qui n'a pas encore lu la charte en vigueur (coopérant·es d'abord ; "
                    "référent·es et animateur·rices)")
def pending(request: HttpRequest, kpa_id: int) -> list[CharterPendingPersonOut]:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, kpa_id, today)
    if not permissions.can_see_acknowledgements(user, kpa, today=today):
        raise PermissionDenied
    return [CharterPendingPersonOut(id=p.pk, name=p.full_name,
                                    is_cooperant=bool(getattr(p, "is_cooperant", False)))
            for p in charter.pending_acknowledgements(kpa, today=today)]


def _structure(user: User, structure_id: int, today: dt.date) -> Structure:
    reach = reach_of(user, today)
    structures = (Structure.objects.all() if reach.is_admin
                  else Structure.objects.filter(pk__in=sorted(reach.structures)))
    return get_in_scope(structures, pk=structure_id)


@router.put("/charter/structures/{int:structure_id}/policy",
            response={200: CharterPolicyOut, **WRITE_ERRORS},
            summary="La règle d'une structure : lire la charte avant de voter (gestionnaire)")
def set_policy(request: HttpRequest, structure_id: int,
               payload: CharterPolicyIn) -> CharterPolicyOut:
    user, today = api_user(request), dates.local_today()
    policy = charter.set_charter_policy(_structure(user, structure_id, today), actor=user,
                                        required=payload.required, today=today)
    return CharterPolicyOut(structure_id=policy.structure_id,
                            required=policy.acknowledgement_required)


# -- autonomy -------------------------------------------------------------------------------


def _level_out(words: autonomy.LevelWords) -> AutonomyLevelOut:
    return AutonomyLevelOut(level=words.level, label=words.label, summary=words.summary,
                            votes=words.votes)


@router.get("/autonomy/kpa/{int:kpa_id}", response={200: AutonomyOut, **NOT_FOUND},
            summary="Le niveau d'autonomie d'un KPA, et ce qu'il veut dire pour les votes")
def get_autonomy(request: HttpRequest, kpa_id: int) -> AutonomyOut:
    user, today = api_user(request), dates.local_today()
    kpa = _kpa(user, kpa_id, today)
    live = autonomy.live_autonomy_proposal(kpa)
    return AutonomyOut(kpa_id=kpa.pk, current=_level_out(autonomy.level_words(kpa.autonomy)),
                       others=[_level_out(w) for w in autonomy.other_levels(kpa)],
                       live_proposal_id=live.pk if live is not None else None)


@router.post("/autonomy/kpa/{int:kpa_id}/propose",
             response={201: AutonomyProposalOut, **WRITE_ERRORS},
             summary="Proposer de changer de niveau (une proposition à la majorité, en "
                     "brouillon)")
def propose_autonomy(request: HttpRequest, kpa_id: int,
                     payload: AutonomyProposeIn) -> Status[AutonomyProposalOut]:
    user, today = api_user(request), dates.local_today()
    proposal = autonomy.propose_autonomy_change(_kpa(user, kpa_id, today), actor=user,
                                                now=dates.current_time(), level=payload.level)
    return Status(201, AutonomyProposalOut(proposal_id=proposal.pk,
                                           url=proposal.get_absolute_url()))
