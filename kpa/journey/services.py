"""Every write of the journey before the contract: settings, inscription, documents, validation,
the insurance list, career steps. Keyword-only, takes the acting user and `today`, atomic,
audited (`journey.<thing>.<verb>`); gates are checked here, so forms, the API and tests get the
same answers. Contract writes are in `contracts.py`, privacy writes in `privacy.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory import services as directory_services
from kpa.directory.models import Kpa, Person, Structure
from kpa.directory.permissions import reach_of
from kpa.journey import notices, permissions, rules
from kpa.journey.models import (
    CareerStep,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    JourneyStatus,
    RetentionLog,
)
from kpa.journey.uploads import check_upload

DEFAULT_CHECKLIST: tuple[tuple[str, str, bool, bool], ...] = (
    # kind, label, required, minors only
    (DocumentRequirement.Kind.IDENTITY, "Pièce d'identité (carte, passeport, titre de séjour)",
     True, False),
    (DocumentRequirement.Kind.ADDRESS, "Justificatif de domicile de moins de 3 mois", True, False),
    (DocumentRequirement.Kind.BANK, "RIB à votre nom", True, False),
    (DocumentRequirement.Kind.FRANCE_TRAVAIL, "Attestation France Travail (si inscrit·e)",
     False, False),
    (DocumentRequirement.Kind.PARENTAL_CONSENT, "Autorisation parentale signée", True, True),
)

INSCRIPTION_FIELDS = (
    "birth_date", "address", "postcode", "city", "iban", "france_travail_registered",
    "receives_are", "receives_ass", "receives_rsa", "lives_in_qpv", "activity_idea",
)


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def set_status(journey: Journey, status: str) -> None:
    journey.status = status
    journey.status_since = timezone.now()
    journey.save(update_fields=["status", "status_since"])


def policy_for(structure: Structure) -> JourneyPolicy:
    """The structure's settings, created with the default checklist the first time, for the
    writes that need them saved (reads use `JourneyPolicy.of`)."""
    policy, created = JourneyPolicy.objects.get_or_create(structure=structure)
    if created and not structure.document_requirements.exists():
        DocumentRequirement.objects.bulk_create(
            DocumentRequirement(structure=structure, kind=kind, label=label, required=required,
                                minors_only=minors_only, position=position)
            for position, (kind, label, required, minors_only) in enumerate(DEFAULT_CHECKLIST)
        )
    return policy


@transaction.atomic
def update_policy(*, actor: AnyUser, structure: Structure, today: dt.date,
                  **fields: Any) -> JourneyPolicy:
    require(permissions.can_configure_structure(actor, structure, today=today))
    policy = policy_for(structure)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.full_clean()
    try:
        offsets = policy.reminder_offsets
    except ValueError:
        offsets = []
    if not offsets or any(not 0 < days <= 365 for days in offsets):
        raise ValidationError({"reminder_days": _(
            "Écrivez des nombres de jours entre 1 et 365 séparés par des virgules, par exemple "
            "60,30,7."
        )})
    policy.save()
    audit.record(actor=actor, action="journey.policy.updated", target=policy,
                 data={"fields": sorted(fields)})
    return policy


@transaction.atomic
def add_requirement(*, actor: AnyUser, structure: Structure, kind: str, label: str,
                    required: bool = True, minors_only: bool = False,
                    today: dt.date) -> DocumentRequirement:
    require(permissions.can_configure_structure(actor, structure, today=today))
    policy_for(structure)
    position = structure.document_requirements.count()
    requirement = DocumentRequirement(structure=structure, kind=kind, label=label.strip(),
                                      required=required, minors_only=minors_only,
                                      position=position)
    requirement.full_clean()
    requirement.save()
    audit.record(actor=actor, action="journey.requirement.added", target=requirement)
    return requirement


def clean_iban(value: str) -> str:
    """The IBAN in its compact form, checked by schwifty (country format and check digits)."""
    if not value.strip():
        return ""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException:
        raise ValidationError({"iban": _(
            "Cet IBAN n'est pas valide : recopiez-le depuis votre RIB (27 caractères en France, "
            "commençant par FR76)."
        )}) from None


def _check_inscription(fields: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    cleaned = dict(fields)
    problems: dict[str, list[str]] = {}
    birth_date = cleaned.get("birth_date")
    if birth_date is None:
        problems["birth_date"] = [_("Indiquez la date de naissance.")]
    else:
        problems.update(rules.birth_date_problems(birth_date, today))
    try:
        cleaned["iban"] = clean_iban(cleaned.get("iban", ""))
    except ValidationError as error:
        problems.update(error.message_dict)
    if problems:
        raise ValidationError(problems)
    return cleaned


@transaction.atomic
def register(*, actor: AnyUser, kpa: Kpa, first_name: str, last_name: str, email: str = "",
             phone: str = "", person: Person | None = None, today: dt.date,
             **fields: Any) -> Journey:
    """Open a journey from the inscription form.

    Anyone may register themself (the public form, or a logged-in person without a journey in
    that KPA); a référent, animateur or gestionnaire may register someone with them — the
    assisted mode, recorded in `assisted_by`. With an e-mail, a new person gets an account
    without a password; the caller sends the invitation after the commit.
    """
    unknown = set(fields) - set(INSCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown inscription fields: {sorted(unknown)}")
    if kpa.carrying_structure_id is None:
        raise ValidationError(_(
            "Ce KPA n'a pas encore de structure porteuse : les inscriptions ouvriront quand "
            "elle sera choisie."
        ))
    reach = reach_of(actor, today)
    assisting = actor.is_authenticated and permissions.can_advance_kpa(actor, kpa, today=today)
    acting_person = Person.objects.filter(pk=reach.person_id).first() if reach.person_id else None
    if person is not None:
        # An existing person: oneself, or someone the assisting staff registers.
        require(person.pk == reach.person_id or assisting)
    elif acting_person is not None and not assisting:
        person = acting_person
    cleaned = _check_inscription(fields, today)
    if person is None:
        person = directory_services.create_person(
            first_name=first_name, last_name=last_name, email=email, phone=phone,
            proxy=acting_person if assisting else None,
            email_taken=_("Un compte existe déjà avec cet e-mail : connectez-vous pour vous "
                          "inscrire, ou demandez à votre référent·e."))
    if Journey.objects.filter(person=person, kpa=kpa).exclude(status=JourneyStatus.ENDED).exists():
        raise ValidationError(_(
            "Cette personne a déjà un parcours en cours dans ce KPA : complétez-le plutôt."
        ))
    policy_for(kpa.carrying_structure)
    journey = Journey(person=person, kpa=kpa, structure_id=kpa.carrying_structure_id,
                      status_since=timezone.now(),
                      assisted_by=acting_person if assisting and acting_person != person else None,
                      **cleaned)
    journey.full_clean(exclude=["person"])
    journey.save()
    audit.record(actor=actor, action="journey.journey.registered", target=journey, data={
        "kpa": kpa.pk, "assisted": journey.assisted_by_id is not None,
        "has_account": person.user_id is not None,
    })
    notices.tell(journey, today=today, topic="journey.journey.registered", to_person=False,
                 subject=_("Nouvelle inscription au %(kpa)s") % {"kpa": kpa.name},
                 body=_("%(name)s s'est inscrit·e. Vérifiez ses pièces.")
                 % {"name": person.full_name})
    return journey


@transaction.atomic
def update_inscription(*, actor: AnyUser, journey: Journey, today: dt.date,
                       **fields: Any) -> Journey:
    require(permissions.can_upload_document(actor, journey, today=today))
    if journey.status == JourneyStatus.ENDED:
        raise ValidationError(_("Ce parcours est terminé : il ne se modifie plus."))
    unknown = set(fields) - set(INSCRIPTION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown inscription fields: {sorted(unknown)}")
    merged = {name: getattr(journey, name) for name in INSCRIPTION_FIELDS} | fields
    cleaned = _check_inscription(merged, today)
    for name in fields:
        setattr(journey, name, cleaned[name])
    journey.full_clean()
    journey.save()
    audit.record(actor=actor, action="journey.journey.updated", target=journey,
                 data={"fields": sorted(fields)})
    return journey


def requirements_for(journey: Journey, today: dt.date) -> list[DocumentRequirement]:
    """The checklist that applies: minors-only lines only for a minor."""
    minor = journey.birth_date is not None and rules.is_minor(journey.birth_date, today)
    return [r for r in journey.structure.document_requirements.all()
            if minor or not r.minors_only]


def missing_requirements(journey: Journey, today: dt.date) -> list[DocumentRequirement]:
    provided = {d.requirement_id for d in journey.documents.all()}
    return [r for r in requirements_for(journey, today) if r.required and r.pk not in provided]


def unchecked_requirements(journey: Journey, today: dt.date) -> list[DocumentRequirement]:
    checked = {d.requirement_id for d in journey.documents.all() if d.checked_at is not None}
    return [r for r in requirements_for(journey, today) if r.required and r.pk not in checked]


def lacks_parental_consent(journey: Journey, today: dt.date) -> bool:
    """A minor needs a checked parental consent, whatever the structure's checklist says."""
    minor = journey.birth_date is not None and rules.is_minor(journey.birth_date, today)
    return minor and not any(
        d.requirement.kind == DocumentRequirement.Kind.PARENTAL_CONSENT
        and d.checked_at is not None
        for d in journey.documents.select_related("requirement")
    )


@transaction.atomic
def upload_document(*, actor: AnyUser, journey: Journey, requirement: DocumentRequirement,
                    content: bytes, today: dt.date) -> JourneyDocument:
    require(permissions.can_upload_document(actor, journey, today=today))
    # Fresh and locked: the completeness check below must see this piece and not a list
    # prefetched before it, and two uploads at once must not both miss each other's.
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if requirement.structure_id != journey.structure_id:
        raise ValidationError({"requirement": _("Cette pièce n'est pas demandée ici.")})
    if journey.status == JourneyStatus.ENDED:
        raise ValidationError(_("Ce parcours est terminé : on n'y dépose plus de pièce."))
    upload = check_upload(content)
    document = JourneyDocument(journey=journey, requirement=requirement,
                               content_type=upload.content_type, size=upload.size,
                               sha256=upload.sha256,
                               uploaded_by=actor if actor.is_authenticated else None)
    document.file.save("piece", ContentFile(upload.content), save=False)
    document.save()
    audit.record(actor=actor, action="journey.document.uploaded", target=document, data={
        "requirement": requirement.label, "size": upload.size, "sha256": upload.sha256,
    })
    if journey.status == JourneyStatus.RECEIVED and not missing_requirements(journey, today):
        set_status(journey, JourneyStatus.COMPLETE)
    return document


@transaction.atomic
def check_document(*, actor: AnyUser, document: JourneyDocument, note: str = "",
                   today: dt.date) -> JourneyDocument:
    """Record that the piece was checked; an identity copy is then deleted (CNIL), its note
    ("carte n° …, valable jusqu'au …") standing for it."""
    journey = document.journey
    require(permissions.can_advance_journey(actor, journey, today=today))
    if document.checked_at is not None:
        raise ValidationError(_("Cette pièce est déjà vérifiée."))
    if not document.has_file:
        raise ValidationError(_("Le fichier de cette pièce n'existe plus : demandez-en un autre."))
    if document.requirement.is_deleted_once_checked and not note.strip():
        raise ValidationError({"check_note": _(
            "Notez le type, le numéro et la date de validité de la pièce : la copie sera "
            "supprimée après vérification."
        )})
    document.checked_at = timezone.now()
    document.checked_by = actor  # type: ignore[assignment]
    document.check_note = note.strip()
    document.save(update_fields=["checked_at", "checked_by", "check_note"])
    audit.record(actor=actor, action="journey.document.checked", target=document)
    if document.requirement.is_deleted_once_checked:
        delete_document_file(document, reason=_("pièce d'identité vérifiée"))
    return document


def delete_document_file(document: JourneyDocument, *, reason: str) -> None:
    """Delete the stored file (after the transaction commits, so a rollback keeps it) and log
    what was deleted and why."""
    name = document.file.name
    storage = document.file.storage
    document.file = ""
    document.file_deleted_at = timezone.now()
    document.save(update_fields=["file", "file_deleted_at"])
    RetentionLog.objects.create(journey=document.journey, what=document.requirement.label,
                                reason=reason)
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def validate_journey(*, actor: AnyUser, journey: Journey, today: dt.date) -> Journey:
    """The structure accepts the inscription: every required piece is there and checked."""
    require(permissions.can_validate_journey(actor, journey, today=today))
    journey = Journey.objects.select_for_update().get(pk=journey.pk)
    if journey.status != JourneyStatus.COMPLETE:
        raise ValidationError(_(
            "Seul un dossier complet se valide. Étape actuelle : %(status)s."
        ) % {"status": journey.get_status_display()})
    if journey.birth_date is not None:
        problems = rules.birth_date_problems(journey.birth_date, today)
        if problems:
            raise ValidationError(problems)
    if lacks_parental_consent(journey, today):
        raise ValidationError(_(
            "Cette personne est mineure : il faut une autorisation parentale déposée et "
            "vérifiée avant de valider (ajoutez la pièce « autorisation parentale » à la liste "
            "de la structure si elle n'y est pas)."
        ))
    unchecked = unchecked_requirements(journey, today)
    if unchecked:
        raise ValidationError(_(
            "Vérifiez d'abord ces pièces : %(labels)s."
        ) % {"labels": ", ".join(r.label for r in unchecked)})
    set_status(journey, JourneyStatus.VALIDATED)
    audit.record(actor=actor, action="journey.journey.validated", target=journey)
    notices.tell(journey, today=today, topic="journey.journey.validated",
                 subject=_("Inscription validée"),
                 body=_("L'inscription de %(name)s est validée. Prochaine étape : l'assurance.")
                 % {"name": journey.person.full_name})
    return journey


# ---- insurance list ("fiche navette") ----

def _activity_to_insure(journey: Journey) -> str:
    return (journey.activity_idea.strip().splitlines() or [_("Activité à préciser")])[0][:255]


@transaction.atomic
def create_insurance_list(*, actor: AnyUser, kpa: Kpa, today: dt.date,
                          insurer: str = "") -> InsuranceList:
    """A list of everyone validated in the KPA and not yet on a list awaiting or accepted."""
    require(permissions.can_advance_kpa(actor, kpa, today=today))
    assert kpa.carrying_structure is not None
    policy = JourneyPolicy.of(kpa.carrying_structure)
    journeys = list(
        Journey.objects.filter(kpa=kpa, status=JourneyStatus.VALIDATED)
        .exclude(insurance_entries__answer__in=[InsuranceEntry.Answer.PENDING,
                                                InsuranceEntry.Answer.ACCEPTED])
        .select_related("person").order_by("person__last_name", "person__first_name")
    )
    if not journeys:
        raise ValidationError(_(
            "Personne n'attend d'être assuré·e : une inscription doit d'abord être validée par "
            "la structure."
        ))
    insurance_list = InsuranceList.objects.create(kpa=kpa, insurer=insurer.strip()
                                                  or policy.insurer)
    InsuranceEntry.objects.bulk_create(
        InsuranceEntry(insurance_list=insurance_list, journey=journey,
                       activity=_activity_to_insure(journey))
        for journey in journeys
    )
    audit.record(actor=actor, action="journey.insurance_list.created", target=insurance_list,
                 data={"journeys": [j.pk for j in journeys]})
    return insurance_list


@transaction.atomic
def mark_insurance_list_sent(*, actor: AnyUser, insurance_list: InsuranceList,
                             sent_on: dt.date, today: dt.date) -> InsuranceList:
    require(permissions.can_advance_kpa(actor, insurance_list.kpa, today=today))
    if insurance_list.status != InsuranceList.Status.DRAFT:
        raise ValidationError(_("Cette fiche est déjà envoyée."))
    if sent_on > today:
        raise ValidationError({"sent_on": _("La date d'envoi ne peut pas être dans le futur.")})
    insurance_list.status = InsuranceList.Status.SENT
    insurance_list.sent_on = sent_on
    insurance_list.save(update_fields=["status", "sent_on"])
    audit.record(actor=actor, action="journey.insurance_list.sent", target=insurance_list,
                 data={"sent_on": sent_on.isoformat()})
    return insurance_list


@transaction.atomic
def record_insurance_answer(*, actor: AnyUser, insurance_list: InsuranceList,
                            answers: Mapping[int, str], answered_on: dt.date,
                            today: dt.date) -> InsuranceList:
    """The insurer's answer, entry by entry (`answers`: entry id → accepted or refused). An
    accepted person moves to "assuré"."""
    require(permissions.can_advance_kpa(actor, insurance_list.kpa, today=today))
    if insurance_list.status != InsuranceList.Status.SENT:
        raise ValidationError(_(
            "Notez la réponse d'une fiche envoyée : marquez d'abord la fiche comme envoyée."
        ))
    if insurance_list.sent_on and not insurance_list.sent_on <= answered_on <= today:
        raise ValidationError({"answered_on": _(
            "La réponse date d'entre l'envoi (%(sent)s) et aujourd'hui."
        ) % {"sent": insurance_list.sent_on.strftime("%d/%m/%Y")}})
    entries = {e.pk: e for e in insurance_list.entries.select_related("journey__person")}
    valid = {InsuranceEntry.Answer.ACCEPTED, InsuranceEntry.Answer.REFUSED}
    if set(answers) != set(entries) or not set(answers.values()) <= valid:
        raise ValidationError(_(
            "Donnez une réponse (accepté ou refusé) pour chaque personne de la fiche."
        ))
    for entry_id, answer in answers.items():
        entry = entries[entry_id]
        entry.answer = answer
        entry.save(update_fields=["answer"])
        journey = entry.journey
        if answer == InsuranceEntry.Answer.ACCEPTED and journey.status == JourneyStatus.VALIDATED:
            set_status(journey, JourneyStatus.INSURED)
            notices.tell(journey, today=today, topic="journey.journey.insured",
                         subject=_("Assurance accordée"),
                         body=_("L'assureur accepte %(name)s. Le contrat CAPE peut être émis.")
                         % {"name": journey.person.full_name})
    insurance_list.status = InsuranceList.Status.ANSWERED
    insurance_list.answered_on = answered_on
    insurance_list.save(update_fields=["status", "answered_on"])
    audit.record(actor=actor, action="journey.insurance_list.answered", target=insurance_list,
                 data={"answers": {str(k): v for k, v in answers.items()},
                       "answered_on": answered_on.isoformat()})
    return insurance_list


def is_insured(journey: Journey) -> bool:
    return journey.insurance_entries.filter(answer=InsuranceEntry.Answer.ACCEPTED).exists()


@transaction.atomic
def add_career_step(*, actor: AnyUser, journey: Journey, kind: str, on: dt.date,
                    note: str = "", today: dt.date) -> CareerStep:
    require(permissions.can_advance_journey(actor, journey, today=today))
    if kind != CareerStep.Kind.DIAGNOSTIC:
        raise ValidationError({"kind": _(
            "Les étapes CAPE, renouvellement, CESA et sortie s'inscrivent d'elles-mêmes avec le "
            "contrat et la sortie ; ajoutez ici un diagnostic."
        )})
    if on > today:
        raise ValidationError({"on": _("Une étape passée ne peut pas être dans le futur.")})
    step = CareerStep(journey=journey, kind=kind, on=on, note=note.strip())
    step.full_clean()
    step.save()
    audit.record(actor=actor, action="journey.step.added", target=step)
    return step
