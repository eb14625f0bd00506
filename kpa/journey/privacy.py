"""The person's rights and the retention rules (RGPD; CNIL référentiels, see research §5).

- Export: everything the platform holds about a person's journeys, as JSON, for the person or
  their référent.
- Retention: a piece's copy is deleted once the retention period after the journey's end has
  passed (an identity copy as soon as it is checked, see `services.check_document`); each
  deletion is logged without personal data. `purge_documents` runs daily, with a dry run.
- Erasure: personal fields and pieces are deleted; the name is replaced by a pseudonym, because
  the books and issued invoices must keep pointing to someone (art. 17(3)(b)); contract dates,
  decisions and the audit trail stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory.models import Person
from kpa.journey import permissions
from kpa.journey.models import (
    PERSONAL_DATA_PURPOSES,
    Contract,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    JourneyStatus,
)
from kpa.journey.services import INSCRIPTION_FIELDS, delete_document_file, require


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def person_data(person: Person) -> dict[str, Any]:
    """The export's content: the person, each journey with its documents (metadata, not the
    files), contracts (dates, signatures), steps and insurance answers, and the purposes."""
    journeys = []
    held = person.journeys.select_related("kpa", "structure", "assisted_by")
    for journey in held.order_by("created_at"):
        journeys.append({
            "kpa": journey.kpa.name, "structure": journey.structure.name,
            "status": journey.get_status_display(), "since": _value(journey.status_since),
            "registered_at": _value(journey.created_at),
            "assisted_by": journey.assisted_by.full_name if journey.assisted_by else None,
            **{name: _value(getattr(journey, name)) for name in INSCRIPTION_FIELDS},
            "exit": {"on": _value(journey.exited_on), "kind": journey.exit_kind,
                     "destination": journey.exit_destination},
            "treasury_payout_pending": journey.treasury_payout_pending,
            "erased_at": _value(journey.erased_at),
            "documents": [{
                "piece": d.requirement.label, "uploaded_at": _value(d.uploaded_at),
                "checked_at": _value(d.checked_at), "check_note": d.check_note,
                "file_kept": d.has_file, "sha256": d.sha256,
            } for d in journey.documents.select_related("requirement")],
            "contracts": [{
                "period": c.period_number, "starts_on": _value(c.starts_on),
                "ends_on_exclusive": _value(c.ends_on), "status": c.get_status_display(),
                "pdf_sha256": c.pdf_sha256, "signed_at": _value(c.signed_at),
                "signature_method": c.signature_method, "decision": c.decision,
            } for c in journey.contracts.all()],
            "steps": [{"kind": s.get_kind_display(), "on": _value(s.on), "note": s.note}
                      for s in journey.steps.all()],
            "insurance": [{"insurer": e.insurance_list.insurer, "activity": e.activity,
                           "answer": e.get_answer_display()}
                          for e in journey.insurance_entries.select_related("insurance_list")],
            "deletions": [{"what": log.what, "reason": log.reason, "at": _value(log.at)}
                          for log in journey.retention_logs.all()],
        })
    return {
        "exported_at": _value(timezone.now()),
        "person": {"first_name": person.first_name, "last_name": person.last_name,
                   "email": person.email, "phone": person.phone},
        "journeys": journeys,
        "purposes": {name: str(purpose) for name, purpose in PERSONAL_DATA_PURPOSES.items()},
    }


def export_person_data(*, actor: AnyUser, journey: Journey, today: dt.date) -> dict[str, Any]:
    """A read, but one the person has a right to know about: it is audited."""
    require(permissions.can_export_person_data(actor, journey, today=today))
    audit.record(actor=actor, action="journey.person_data.exported", target=journey.person)
    return person_data(journey.person)


@transaction.atomic
def erase_person_data(*, actor: AnyUser, journey: Journey, today: dt.date) -> Person:
    """Erase what the law does not oblige us to keep; the journey must be over."""
    require(permissions.can_erase_person_data(actor, journey, today=today))
    person = Person.objects.select_for_update().get(pk=journey.person_id)
    open_journeys = person.journeys.exclude(status=JourneyStatus.ENDED)
    if open_journeys.exists():
        raise ValidationError(_(
            "Cette personne a un parcours en cours : enregistrez d'abord sa sortie, puis "
            "effacez ses données."
        ))
    for document in JourneyDocument.objects.filter(journey__person=person).select_related(
            "requirement", "journey"):
        if document.has_file:
            delete_document_file(document, reason=_("effacement demandé"))
    blank: dict[str, Any] = {name: None if name.startswith(("receives", "lives", "france",
                                                             "birth")) else ""
                             for name in INSCRIPTION_FIELDS}
    person.journeys.update(**blank, exit_destination="", erased_at=timezone.now())
    JourneyDocument.objects.filter(journey__person=person).update(check_note="")
    Contract.objects.filter(journey__person=person).update(signed_copy=None)
    pseudonym = hashlib.sha256(f"kpa-person-{person.pk}".encode()).hexdigest()[:8].upper()
    person.first_name = _("Personne")
    person.last_name = pseudonym
    person.email = ""
    person.phone = ""
    person.save(update_fields=["first_name", "last_name", "email", "phone"])
    if person.user is not None:
        user = person.user
        user.is_active = False
        user.email = user.first_name = user.last_name = ""
        user.username = f"efface-{pseudonym.lower()}-{person.pk}"
        user.set_unusable_password()
        user.save()
    audit.record(actor=actor, action="journey.person_data.erased", target=person,
                 data={"pseudonym": pseudonym})
    return person


@dataclass(frozen=True)
class PurgeItem:
    document_id: int
    journey_id: int
    what: str
    ended_on: dt.date


def documents_past_retention(today: dt.date) -> list[PurgeItem]:
    """Pieces still stored whose journey ended more than the structure's retention ago."""
    items = []
    documents = (JourneyDocument.objects.filter(journey__status=JourneyStatus.ENDED,
                                                file_deleted_at__isnull=True)
                 .exclude(file="")
                 .select_related("journey__structure__journey_policy", "requirement"))
    for document in documents:
        journey = document.journey
        ended_on = journey.exited_on or timezone.localdate(journey.status_since)
        keep_days = JourneyPolicy.of(journey.structure).document_retention_days
        if ended_on + dt.timedelta(days=keep_days) <= today:
            items.append(PurgeItem(document.pk, journey.pk, document.requirement.label, ended_on))
    return items


@transaction.atomic
def purge_documents(*, today: dt.date, dry_run: bool = False) -> list[PurgeItem]:
    """Delete the copies past retention (the daily run; nobody's action, so no actor)."""
    items = documents_past_retention(today)
    if dry_run:
        return items
    for item in items:
        document = JourneyDocument.objects.select_related("journey", "requirement").get(
            pk=item.document_id)
        delete_document_file(document, reason=_("durée de conservation écoulée"))
        audit.record(actor=None, action="journey.document.purged", target=document)
    return items
