"""Schemas of the journey's REST API. Dates are ISO ("2026-11-28"); every status comes as its code
with a French label beside it; contract periods end exclusively, as everywhere in the platform.

Lists leave the personal fields out: they are in the detail of one journey only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from kpa.core import dates
from kpa.directory.schemas import StructureRef
from kpa.journey import services
from kpa.journey.models import (
    CareerStep,
    Contract,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
)
from kpa.journey.progress import Progress, progress_of

JourneyStatusCode = Literal["received", "complete", "validated", "insured", "contract_sent",
                            "signed", "active", "ended"]

END_EXCLUDED = "Premier jour sans contrat : fin exclue (un an à partir du 1er mars finit le " \
               "1er mars suivant)."


def _today() -> dt.date:
    # Lists are serialised by the paginator after the view returns, so the schema asks for the
    # day itself, the same way the views do.
    return dates.local_today()


class KpaRef(Schema):
    id: int
    name: str


class PersonRef(Schema):
    id: int
    first_name: str
    last_name: str


class DeadlineOut(Schema):
    on: dt.date
    what: str


class ProgressOut(Schema):
    next_actor: str = Field(description="Qui doit agir maintenant, en clair.")
    blockers: list[str] = Field(description="Ce qui bloque, et depuis quand.")
    next_deadline: DeadlineOut | None
    missing: list[str] = Field(description="Les pièces obligatoires pas encore déposées.")

    @staticmethod
    def resolve_next_deadline(obj: Progress) -> dict[str, Any] | None:
        if obj.next_deadline is None:
            return None
        on, what = obj.next_deadline
        return {"on": on, "what": str(what)}


class JourneyOut(Schema):
    id: int
    person: PersonRef
    kpa: KpaRef
    structure: StructureRef
    status: str = Field(description="received, complete, validated, insured, contract_sent, "
                                    "signed, active, ended")
    status_label: str
    status_since: dt.datetime
    created_at: dt.datetime
    assisted_by_id: int | None = Field(
        description="La personne (référent·e) avec qui l'inscription a été faite.")
    progress: ProgressOut

    @staticmethod
    def resolve_status_label(obj: Journey) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_progress(obj: Journey) -> Progress:
        return progress_of(obj, _today())


class RequirementOut(Schema):
    id: int
    kind: str = Field(description="identity, address, bank, france_travail, parental_consent, "
                                  "other")
    kind_label: str
    label: str
    required: bool

    @staticmethod
    def resolve_kind_label(obj: DocumentRequirement) -> str:
        return str(obj.get_kind_display())


class JourneyDocumentOut(Schema):
    """A piece's record; the file itself never leaves through the API."""

    id: int
    journey_id: int
    requirement_id: int
    requirement_label: str
    content_type: str
    size: int = Field(description="En octets.")
    sha256: str
    uploaded_at: dt.datetime
    checked_at: dt.datetime | None
    check_note: str
    has_file: bool = Field(description="Faux quand la copie a été supprimée (pièce d'identité "
                                       "vérifiée, durée de conservation écoulée).")
    file_deleted_at: dt.datetime | None

    @staticmethod
    def resolve_requirement_label(obj: JourneyDocument) -> str:
        return obj.requirement.label


class ContractBase(Schema):
    id: int
    journey_id: int
    period_number: int = Field(description="1, puis 2 et 3 pour les renouvellements.")
    starts_on: dt.date
    ends_on: dt.date = Field(description=END_EXCLUDED)
    last_day: dt.date = Field(description="Dernier jour travaillé sous ce contrat.")
    status: str = Field(description="sent, signed, void")
    status_label: str
    replaces_id: int | None = Field(description="Le contrat annulé que celui-ci réémet.")
    pdf_sha256: str
    issued_at: dt.datetime
    signature_method: str = Field(description="platform, scan, ou vide")
    signature_method_label: str
    signed_at: dt.datetime | None
    signed_name: str
    signed_copy_sha256: str
    decision: str = Field(description="renew, exit, cesa, ou vide tant que rien n'est décidé")
    decision_label: str
    decided_on: dt.date | None

    @staticmethod
    def resolve_status_label(obj: Contract) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_signature_method_label(obj: Contract) -> str:
        return str(obj.get_signature_method_display()) if obj.signature_method else ""

    @staticmethod
    def resolve_decision_label(obj: Contract) -> str:
        return str(obj.get_decision_display()) if obj.decision else ""


class ContractOut(ContractBase):
    person: PersonRef
    kpa: KpaRef
    structure: StructureRef
    journey_status: str

    @staticmethod
    def resolve_person(obj: Contract) -> Any:
        return obj.journey.person

    @staticmethod
    def resolve_kpa(obj: Contract) -> Any:
        return obj.journey.kpa

    @staticmethod
    def resolve_structure(obj: Contract) -> Any:
        return obj.journey.structure

    @staticmethod
    def resolve_journey_status(obj: Contract) -> str:
        return obj.journey.status


class StepOut(Schema):
    id: int
    kind: str = Field(description="diagnostic, cape, renewal, cesa, exit")
    kind_label: str
    on: dt.date
    note: str

    @staticmethod
    def resolve_kind_label(obj: CareerStep) -> str:
        return str(obj.get_kind_display())


class JourneyDetailOut(JourneyOut):
    birth_date: dt.date | None
    address: str
    postcode: str
    city: str
    iban: str
    france_travail_registered: bool | None
    receives_are: bool | None
    receives_ass: bool | None
    receives_rsa: bool | None
    lives_in_qpv: bool | None
    activity_idea: str
    exited_on: dt.date | None
    exit_kind: str = Field(description="employment, training, cesa, own_business, "
                                       "other_structure, none, ou vide")
    exit_kind_label: str
    exit_destination: str
    treasury_payout_pending: bool
    requirements: list[RequirementOut] = Field(
        description="La liste des pièces qui s'applique à cette personne.")
    documents: list[JourneyDocumentOut]
    contracts: list[ContractBase]
    steps: list[StepOut]

    @staticmethod
    def resolve_exit_kind_label(obj: Journey) -> str:
        return str(obj.get_exit_kind_display()) if obj.exit_kind else ""

    @staticmethod
    def resolve_requirements(obj: Journey) -> list[DocumentRequirement]:
        return services.requirements_for(obj, _today())

    @staticmethod
    def resolve_documents(obj: Journey) -> list[JourneyDocument]:
        return list(obj.documents.all())

    @staticmethod
    def resolve_contracts(obj: Journey) -> list[Contract]:
        return list(obj.contracts.all())

    @staticmethod
    def resolve_steps(obj: Journey) -> list[CareerStep]:
        return list(obj.steps.all())


class InsuranceListOut(Schema):
    id: int
    kpa: KpaRef
    insurer: str
    status: str = Field(description="draft, sent, answered")
    status_label: str
    created_at: dt.datetime
    sent_on: dt.date | None
    answered_on: dt.date | None

    @staticmethod
    def resolve_status_label(obj: InsuranceList) -> str:
        return str(obj.get_status_display())


class InsuranceEntryOut(Schema):
    id: int
    journey_id: int
    person: PersonRef
    activity: str
    answer: str = Field(description="pending, accepted, refused")
    answer_label: str

    @staticmethod
    def resolve_person(obj: InsuranceEntry) -> Any:
        return obj.journey.person

    @staticmethod
    def resolve_answer_label(obj: InsuranceEntry) -> str:
        return str(obj.get_answer_display())


class InsuranceListDetailOut(InsuranceListOut):
    entries: list[InsuranceEntryOut]

    @staticmethod
    def resolve_entries(obj: InsuranceList) -> list[InsuranceEntry]:
        return list(obj.entries.select_related("journey__person").order_by(
            "journey__person__last_name", "journey__person__first_name", "pk"))


# -- inputs ---------------------------------------------------------------------------------


class InscriptionFields(Schema):
    """What the inscription form asks; the situation at entry is optional (funder figures)."""

    birth_date: dt.date | None = Field(None, description="16 ans au moins.")
    address: str = ""
    postcode: str = ""
    city: str = ""
    iban: str = Field("", description="Vérifié (format du pays et clé).")
    france_travail_registered: bool | None = None
    receives_are: bool | None = None
    receives_ass: bool | None = None
    receives_rsa: bool | None = None
    lives_in_qpv: bool | None = None
    activity_idea: str = ""


class InscriptionIn(InscriptionFields):
    kpa_id: int
    person_id: int | None = Field(
        None, description="Une personne déjà connue, que vous inscrivez avec elle.")
    first_name: str = ""
    last_name: str = ""
    email: str = Field("", description="Facultatif ; avec lui, un compte est créé et un lien "
                                       "pour choisir le mot de passe est envoyé.")
    phone: str = ""

    def inscription_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in services.INSCRIPTION_FIELDS}


class InscriptionPatch(Schema):
    """Only the fields sent change; a field sent as null is emptied."""

    birth_date: dt.date | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    iban: str | None = None
    france_travail_registered: bool | None = None
    receives_are: bool | None = None
    receives_ass: bool | None = None
    receives_rsa: bool | None = None
    lives_in_qpv: bool | None = None
    activity_idea: str | None = None

    def changed_fields(self) -> dict[str, Any]:
        texts = {"address", "postcode", "city", "iban", "activity_idea"}
        return {name: "" if value is None and name in texts else value
                for name, value in self.dict(exclude_unset=True).items()}


class CheckIn(Schema):
    note: str = Field("", description="Obligatoire pour une pièce d'identité : type, numéro et "
                                      "date de validité (la copie est ensuite supprimée).")


class ExitIn(Schema):
    exited_on: dt.date
    exit_kind: str = Field(description="employment, training, cesa, own_business, "
                                       "other_structure, none")
    destination: str = ""


class StepIn(Schema):
    kind: str = Field("diagnostic", description="diagnostic (les autres étapes s'inscrivent "
                                                "d'elles-mêmes)")
    on: dt.date
    note: str = ""


class InsuranceListIn(Schema):
    kpa_id: int
    insurer: str = Field("", description="Vide : l'assureur des réglages de la structure.")


class SentIn(Schema):
    sent_on: dt.date | None = Field(None, description="Vide : aujourd'hui.")


class AnswerIn(Schema):
    answers: dict[int, str] = Field(
        description="Pour chaque ligne de la fiche (son id) : accepted ou refused.")
    answered_on: dt.date | None = Field(None, description="Vide : aujourd'hui.")


class JourneyFilters(Schema):
    kpa: int | None = Field(None, description="Seulement les parcours de ce KPA.")
    status: JourneyStatusCode | None = Field(None, description="Seulement cette étape.")


class ContractFilters(Schema):
    ending_within_days: int | None = Field(
        None, ge=1, le=3660,
        description="Seulement les contrats signés de personnes en activité qui finissent "
                    "dans ce nombre de jours, les plus proches d'abord.")


class ContractIn(Schema):
    starts_on: dt.date = Field(description="Aujourd'hui ou plus tard : le contrat se signe "
                                           "avant de commencer.")
    ends_on: dt.date = Field(description=END_EXCLUDED + " 12 mois au plus après le début.")


class SignIn(Schema):
    typed_name: str = Field(description="Votre prénom et votre nom, comme sur le contrat.")


class DecisionIn(Schema):
    decision: str = Field(description="exit ou cesa (renouveler : /renew)")


class RenewIn(Schema):
    ends_on: dt.date = Field(description=END_EXCLUDED + " La nouvelle période commence le jour "
                                                         "où la précédente s'arrête.")
