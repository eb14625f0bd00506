"""The journey's REST API under /api/v1/journey/: thin like the views — scope through selectors,
write through services (`services`, `contracts`, `privacy`), which hold the gates and the rules.

A journey, piece, list or contract out of the token user's reach does not exist (404); one they
see but may not change answers 403, like the directory and the books; a refused input answers
422 with the services' French messages keyed by field (handlers in `config/api.py`).
"""

# No `from __future__ import annotations` here: ninja reads the query schemas' annotations
# through the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory import selectors as directory_selectors
from kpa.directory.invitations import send_invitation
from kpa.directory.models import Kpa
from kpa.directory.permissions import reach_of
from kpa.directory.schemas import ErrorOut
from kpa.journey import contracts, permissions, privacy, selectors, services
from kpa.journey.models import (
    CareerStep,
    Contract,
    InsuranceList,
    Journey,
    JourneyDocument,
)
from kpa.journey.schemas import (
    AnswerIn,
    CheckIn,
    ContractFilters,
    ContractIn,
    ContractOut,
    DecisionIn,
    ExitIn,
    InscriptionIn,
    InscriptionPatch,
    InsuranceListDetailOut,
    InsuranceListIn,
    InsuranceListOut,
    JourneyDetailOut,
    JourneyDocumentOut,
    JourneyFilters,
    JourneyOut,
    RenewIn,
    SentIn,
    SignIn,
    StepIn,
    StepOut,
)
from kpa.journey.uploads import MAX_UPLOAD_BYTES

router = Router(tags=["parcours"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}
HEAVY_FIELDS = ("pdf", "signed_copy", "replaces__pdf", "replaces__signed_copy")
PDF_RESPONSE = {"responses": {200: {
    "description": "Le contrat tel qu'il a été émis (PDF figé, son SHA-256 est pdf_sha256).",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


def _user(request: HttpRequest) -> User:
    """The token's user, set by `kpa.core.api_auth.ApiTokenAuth`."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _journey(user: User, journey_id: int, today: dt.date) -> Journey:
    journey = selectors.journey_for(user, journey_id, today=today)
    # The pieces' labels come from the checklist already prefetched, not one query each.
    requirements = {r.pk: r for r in journey.structure.document_requirements.all()}
    for document in journey.documents.all():
        if document.requirement_id in requirements:
            document.requirement = requirements[document.requirement_id]
    return journey


def _journey_to_change(user: User, journey_id: int, today: dt.date) -> Journey:
    """The journey handed to a service: scoped, without the lists the read endpoints
    prefetch — a write needs none of them (the services reload what they decide on)."""
    journeys = selectors.journeys_for(user, today=today).prefetch_related(None)
    return get_in_scope(journeys, pk=journey_id)


def _contracts(user: User, today: dt.date) -> QuerySet[Contract]:
    return selectors.contracts_for(user, today=today).defer(*HEAVY_FIELDS)


def _contract(user: User, contract_id: int, today: dt.date) -> Contract:
    return get_in_scope(_contracts(user, today), pk=contract_id)


def _insurance_list(user: User, list_id: int, today: dt.date) -> InsuranceList:
    return get_in_scope(selectors.insurance_lists_for(user, today=today), pk=list_id)


def _document(user: User, document_id: int, today: dt.date) -> JourneyDocument:
    journeys = selectors.journeys_for(user, today=today)
    documents = JourneyDocument.objects.filter(journey__in=journeys.values("pk")).select_related(
        "journey", "requirement")
    return get_in_scope(documents, pk=document_id)


def _followed_kpa(user: User, kpa_id: int, today: dt.date) -> Kpa:
    return get_in_scope(selectors.kpas_followed(user, today=today), pk=kpa_id)


# -- journeys -------------------------------------------------------------------------------


@router.get("/journeys", response=list[JourneyOut],
            summary="Les parcours que vous voyez, avec qui agit et ce qui bloque")
@paginate(LimitOffsetPagination)
def list_journeys(request: HttpRequest,
                  filters: Query[JourneyFilters]) -> QuerySet[Journey]:
    journeys = selectors.journeys_for(_user(request), today=dates.local_today())
    if filters.kpa is not None:
        journeys = journeys.filter(kpa_id=filters.kpa)
    if filters.status is not None:
        journeys = journeys.filter(status=filters.status)
    return journeys.order_by("-created_at", "-pk")


@router.get("/journeys/{int:journey_id}", response={200: JourneyDetailOut, **NOT_FOUND},
            summary="Un parcours : inscription, pièces, contrats, étapes et où il en est")
def get_journey(request: HttpRequest, journey_id: int) -> Journey:
    return _journey(_user(request), journey_id, dates.local_today())


def _kpa_for_inscription(user: User, kpa_id: int, today: dt.date) -> Kpa:
    """A KPA where the user registers people, or — for oneself — any KPA open to inscriptions,
    as the public form allows."""
    advanced = selectors.kpas_advanced(user, today=today).filter(pk=kpa_id).first()
    if advanced is not None:
        return advanced
    if reach_of(user, today).person_id is None:
        raise Http404
    return get_in_scope(selectors.open_kpas(), pk=kpa_id)


@router.post(
    "/journeys", response={201: JourneyDetailOut, **WRITE_ERRORS},
    summary="Inscrire une personne dans un KPA",
    description=(
        "Le ou la référent·e, l'animateur·rice ou la gestionnaire inscrit quelqu'un avec elle : "
        "une nouvelle personne (prénom, nom, e-mail facultatif) ou une personne déjà connue "
        "(person_id). Sans ce droit dans le KPA, vous vous inscrivez vous-même dans un KPA "
        "ouvert : prénom, nom, e-mail et téléphone sont alors ceux de votre fiche. "
        "422 si une règle est enfreinte (moins de 16 ans, IBAN faux…), rien n'est alors écrit."
    ),
)
def register(request: HttpRequest, payload: InscriptionIn) -> Status[Journey]:
    user, today = _user(request), dates.local_today()
    kpa = _kpa_for_inscription(user, payload.kpa_id, today)
    person = None
    if payload.person_id is not None:
        persons = directory_selectors.persons_visible_to(user, today=today)
        person = get_in_scope(persons, pk=payload.person_id)
    journey = services.register(
        actor=user, kpa=kpa, first_name=payload.first_name, last_name=payload.last_name,
        email=payload.email, phone=payload.phone, person=person, today=today,
        **payload.inscription_fields(),
    )
    new_person = journey.person
    if person is None and new_person.pk != reach_of(user, today).person_id:
        # A new person with an e-mail got an account: send them the link to choose a password.
        transaction.on_commit(lambda: send_invitation(request, new_person, kpa))
    return Status(201, _journey(user, journey.pk, today))


@router.patch(
    "/journeys/{int:journey_id}", response={200: JourneyDetailOut, **WRITE_ERRORS},
    summary="Compléter ou corriger l'inscription",
    description="Seuls les champs envoyés changent. 422 si une règle est enfreinte.",
)
def update_journey(request: HttpRequest, journey_id: int,
                   payload: InscriptionPatch) -> Journey:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    services.update_inscription(actor=user, journey=journey, today=today,
                                **payload.changed_fields())
    return _journey(user, journey.pk, today)


@router.post(
    "/journeys/{int:journey_id}/documents", response={201: JourneyDocumentOut, **WRITE_ERRORS},
    summary="Déposer une pièce (formulaire multipart : requirement_id et file)",
    description=("Un PDF ou une photo (JPEG, PNG, WebP) de 10 Mo au plus, reconnu par son "
                 "contenu. 422 avec un message en français pour un fichier trop lourd, vide ou "
                 "d'un autre type."),
)
def upload_document(request: HttpRequest, journey_id: int, requirement_id: Form[int],
                    file: File[UploadedFile]) -> Status[JourneyDocument]:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    if not permissions.can_upload_document(user, journey, today=today):
        raise PermissionDenied
    requirement = journey.structure.document_requirements.filter(pk=requirement_id).first()
    if requirement is None:
        raise ValidationError({"requirement_id": _("Cette pièce n'est pas demandée ici.")})
    # The size is known from the upload's headers: never read a file we refuse anyway.
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
            "scannez en qualité « document »."
        ) % {"size": round((file.size or 0) / 1024 / 1024)}})
    document = services.upload_document(actor=user, journey=journey, requirement=requirement,
                                        content=file.read(), today=today)
    return Status(201, document)


@router.post("/documents/{int:document_id}/check",
             response={200: JourneyDocumentOut, **WRITE_ERRORS},
             summary="Noter qu'une pièce est vérifiée",
             description="Une pièce d'identité vérifiée est aussitôt supprimée : sa note "
                         "(type, numéro, validité) en garde la trace.")
def check_document(request: HttpRequest, document_id: int, payload: CheckIn) -> JourneyDocument:
    user, today = _user(request), dates.local_today()
    document = _document(user, document_id, today)
    try:
        return services.check_document(actor=user, document=document, note=payload.note,
                                       today=today)
    except ValidationError as error:
        # The service names the model's field; the client sent `note`.
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError({"note" if field == "check_note" else field: messages
                               for field, messages in error.error_dict.items()}) from None


@router.get("/journeys/{int:journey_id}/export", response={200: dict[str, Any], **WRITE_ERRORS},
            summary="Les données de la personne (RGPD), en JSON",
            description="Pour la personne elle-même ou son référent·e ; l'export est noté au "
                        "journal d'audit.")
def export_person_data(request: HttpRequest, journey_id: int) -> dict[str, Any]:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    return privacy.export_person_data(actor=user, journey=journey, today=today)


@router.post("/journeys/{int:journey_id}/validate",
             response={200: JourneyDetailOut, **WRITE_ERRORS},
             summary="Valider l'inscription pour la structure (gestionnaire)",
             description="Le dossier doit être complet et chaque pièce obligatoire vérifiée.")
def validate_journey(request: HttpRequest, journey_id: int) -> Journey:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    services.validate_journey(actor=user, journey=journey, today=today)
    return _journey(user, journey.pk, today)


@router.post("/journeys/{int:journey_id}/activate",
             response={200: JourneyDetailOut, **WRITE_ERRORS},
             summary="Commencer l'activité",
             description="Contrat signé, accord de l'assureur et date de début atteinte ; la "
                         "personne devient coopérant·e du KPA.")
def activate(request: HttpRequest, journey_id: int) -> Journey:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    contracts.activate(actor=user, journey=journey, today=today)
    return _journey(user, journey.pk, today)


@router.post("/journeys/{int:journey_id}/exit", response={200: JourneyDetailOut, **WRITE_ERRORS},
             summary="Enregistrer la sortie",
             description="Date de sortie, suite du parcours et destination. Les contrats pas "
                         "encore signés sont annulés ; la trésorerie restante est à verser.")
def record_exit(request: HttpRequest, journey_id: int, payload: ExitIn) -> Journey:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    contracts.record_exit(actor=user, journey=journey, exited_on=payload.exited_on,
                          exit_kind=payload.exit_kind, destination=payload.destination,
                          today=today)
    return _journey(user, journey.pk, today)


@router.post("/journeys/{int:journey_id}/steps", response={201: StepOut, **WRITE_ERRORS},
             summary="Ajouter une étape de parcours (diagnostic)")
def add_step(request: HttpRequest, journey_id: int, payload: StepIn) -> Status[CareerStep]:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    step = services.add_career_step(actor=user, journey=journey, kind=payload.kind,
                                    on=payload.on, note=payload.note, today=today)
    return Status(201, step)


# -- insurance lists ("fiches navettes") ----------------------------------------------------


@router.get("/insurance-lists", response=list[InsuranceListOut],
            summary="Les fiches navettes d'assurance des KPA que vous suivez")
@paginate(LimitOffsetPagination)
def list_insurance_lists(request: HttpRequest) -> QuerySet[InsuranceList]:
    return selectors.insurance_lists_for(_user(request), today=dates.local_today())


@router.post("/insurance-lists", response={201: InsuranceListDetailOut, **WRITE_ERRORS},
             summary="Préparer la fiche navette d'un KPA",
             description="Toutes les personnes validées du KPA qui n'attendent pas déjà une "
                         "réponse de l'assureur et n'ont pas son accord.")
def create_insurance_list(request: HttpRequest,
                          payload: InsuranceListIn) -> Status[InsuranceList]:
    user, today = _user(request), dates.local_today()
    kpa = _followed_kpa(user, payload.kpa_id, today)
    insurance_list = services.create_insurance_list(actor=user, kpa=kpa, today=today,
                                                    insurer=payload.insurer)
    return Status(201, _insurance_list(user, insurance_list.pk, today))


@router.get("/insurance-lists/{int:list_id}", response={200: InsuranceListDetailOut, **NOT_FOUND},
            summary="Une fiche navette et ses lignes")
def get_insurance_list(request: HttpRequest, list_id: int) -> InsuranceList:
    return _insurance_list(_user(request), list_id, dates.local_today())


@router.post("/insurance-lists/{int:list_id}/sent",
             response={200: InsuranceListDetailOut, **WRITE_ERRORS},
             summary="Noter que la fiche est envoyée à l'assureur")
def mark_insurance_list_sent(request: HttpRequest, list_id: int,
                             payload: SentIn) -> InsuranceList:
    user, today = _user(request), dates.local_today()
    insurance_list = _insurance_list(user, list_id, today)
    services.mark_insurance_list_sent(actor=user, insurance_list=insurance_list,
                                      sent_on=payload.sent_on or today, today=today)
    return _insurance_list(user, list_id, today)


@router.post("/insurance-lists/{int:list_id}/answer",
             response={200: InsuranceListDetailOut, **WRITE_ERRORS},
             summary="Noter la réponse de l'assureur, ligne par ligne",
             description="Une réponse (accepted ou refused) pour chaque ligne ; une personne "
                         "acceptée passe à l'étape « assuré ».")
def record_insurance_answer(request: HttpRequest, list_id: int,
                            payload: AnswerIn) -> InsuranceList:
    user, today = _user(request), dates.local_today()
    insurance_list = _insurance_list(user, list_id, today)
    services.record_insurance_answer(actor=user, insurance_list=insurance_list,
                                     answers=payload.answers,
                                     answered_on=payload.answered_on or today, today=today)
    return _insurance_list(user, list_id, today)


# -- CAPE contracts -------------------------------------------------------------------------


@router.get("/contracts", response=list[ContractOut],
            summary="Les contrats CAPE que vous voyez")
@paginate(LimitOffsetPagination)
def list_contracts(request: HttpRequest,
                   filters: Query[ContractFilters]) -> QuerySet[Contract]:
    user, today = _user(request), dates.local_today()
    if filters.ending_within_days is not None:
        return selectors.contracts_ending_soon(
            user, today=today, within_days=filters.ending_within_days).defer(*HEAVY_FIELDS)
    return _contracts(user, today).order_by("-issued_at", "-pk")


@router.get("/contracts/{int:contract_id}", response={200: ContractOut, **NOT_FOUND},
            summary="Un contrat CAPE")
def get_contract(request: HttpRequest, contract_id: int) -> Contract:
    return _contract(_user(request), contract_id, dates.local_today())


@router.get("/contracts/{int:contract_id}/pdf", response=NOT_FOUND, openapi_extra=PDF_RESPONSE,
            summary="Le PDF du contrat")
def contract_pdf(request: HttpRequest, contract_id: int) -> HttpResponse:
    user, today = _user(request), dates.local_today()
    contract = get_in_scope(selectors.contracts_for(user, today=today), pk=contract_id)
    response = HttpResponse(bytes(contract.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="contrat-cape-{contract.pk}-periode-{contract.period_number}.pdf"')
    return response


@router.post(
    "/journeys/{int:journey_id}/contracts", response={201: ContractOut, **WRITE_ERRORS},
    summary="Émettre le contrat CAPE d'une personne assurée",
    description=("ends_on est le premier jour sans contrat (fin exclue) : 12 mois au plus après "
                 "starts_on. Le PDF est figé à l'émission."),
)
def issue_contract(request: HttpRequest, journey_id: int, payload: ContractIn) -> Status[Contract]:
    user, today = _user(request), dates.local_today()
    journey = _journey_to_change(user, journey_id, today)
    contract = contracts.issue_contract(actor=user, journey=journey, starts_on=payload.starts_on,
                                        ends_on=payload.ends_on, today=today)
    return Status(201, _contract(user, contract.pk, today))


@router.post("/contracts/{int:contract_id}/sign", response={200: ContractOut, **WRITE_ERRORS},
             summary="Signer son contrat (la personne seule)",
             description="Tapez votre prénom et votre nom : l'heure, le compte et le SHA-256 du "
                         "PDF sont scellés. Au plus tard le jour du début du contrat.")
def sign_contract(request: HttpRequest, contract_id: int, payload: SignIn) -> Contract:
    user, today = _user(request), dates.local_today()
    contract = _contract(user, contract_id, today)
    contracts.sign_contract(actor=user, contract=contract, typed_name=payload.typed_name,
                            today=today)
    return _contract(user, contract.pk, today)


@router.post("/contracts/{int:contract_id}/signed-copy",
             response={200: ContractOut, **WRITE_ERRORS},
             summary="Déposer la copie signée sur papier (formulaire multipart : file)",
             description="Un PDF ou une photo de 10 Mo au plus.")
def upload_signed_copy(request: HttpRequest, contract_id: int,
                       file: File[UploadedFile]) -> Contract:
    user, today = _user(request), dates.local_today()
    contract = _contract(user, contract_id, today)
    if not permissions.can_advance_journey(user, contract.journey, today=today):
        raise PermissionDenied
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
            "scannez en qualité « document »."
        ) % {"size": round((file.size or 0) / 1024 / 1024)}})
    contracts.upload_signed_copy(actor=user, contract=contract, content=file.read(),
                                 today=today)
    return _contract(user, contract.pk, today)


@router.post("/contracts/{int:contract_id}/reissue", response={201: ContractOut, **WRITE_ERRORS},
             summary="Réémettre un contrat pas signé à temps, avec de nouvelles dates",
             description="L'ancien contrat est gardé, annulé. ends_on : fin exclue.")
def reissue_contract(request: HttpRequest, contract_id: int,
                     payload: ContractIn) -> Status[Contract]:
    user, today = _user(request), dates.local_today()
    contract = _contract(user, contract_id, today)
    new = contracts.reissue_contract(actor=user, contract=contract, starts_on=payload.starts_on,
                                     ends_on=payload.ends_on, today=today)
    return Status(201, _contract(user, new.pk, today))


@router.post("/contracts/{int:contract_id}/renew", response={201: ContractOut, **WRITE_ERRORS},
             summary="Renouveler : émettre la période suivante",
             description="La nouvelle période commence le jour où celle-ci s'arrête ; 12 mois "
                         "au plus, deux renouvellements, 36 mois en tout. ends_on : fin exclue.")
def renew_contract(request: HttpRequest, contract_id: int, payload: RenewIn) -> Status[Contract]:
    user, today = _user(request), dates.local_today()
    contract = _contract(user, contract_id, today)
    renewal = contracts.renew_contract(actor=user, contract=contract, ends_on=payload.ends_on,
                                       today=today)
    return Status(201, _contract(user, renewal.pk, today))


@router.post("/contracts/{int:contract_id}/decision", response={200: ContractOut, **WRITE_ERRORS},
             summary="Décider de la suite : sortie ou CESA à la fin de la période",
             description="La sortie elle-même s'enregistre le jour venu (/journeys/{id}/exit).")
def decide_next_step(request: HttpRequest, contract_id: int, payload: DecisionIn) -> Contract:
    user, today = _user(request), dates.local_today()
    contract = _contract(user, contract_id, today)
    contracts.decide_next_step(actor=user, contract=contract, decision=payload.decision,
                               today=today)
    return _contract(user, contract.pk, today)
