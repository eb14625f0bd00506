"""The person's rights: export, erasure, retention of the pieces, a purpose for each field."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.directory.models import Person
from kpa.journey import contracts, privacy, services
from kpa.journey.models import (
    PERSONAL_DATA_PURPOSES,
    Contract,
    Journey,
    JourneyDocument,
    RetentionLog,
)
from kpa.journey.tests.conftest import activate, complete, register

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]

# Everything else on a journey or a person is personal and must say what it is kept for. A new
# field lands in one list or the other on purpose: by default it needs a purpose.
NOT_PERSONAL_JOURNEY_FIELDS = {
    "id", "person", "kpa", "structure", "status", "status_since", "created_at",
    "assisted_by",  # the staff member who helped, not the person's own data
    "exited_on", "treasury_payout_pending", "erased_at",
}
NOT_PERSONAL_PERSON_FIELDS = {"id", "user", "proxy", "created_at"}


def field_names(model: type[models.Model]) -> list[str]:
    return [field.name for field in model._meta.concrete_fields]


PERSONAL_FIELDS = sorted(
    {name for name in field_names(Journey) if name not in NOT_PERSONAL_JOURNEY_FIELDS}
    | {name for name in field_names(Person) if name not in NOT_PERSONAL_PERSON_FIELDS})


@pytest.mark.parametrize("name", PERSONAL_FIELDS)
def test_every_personal_field_says_what_it_is_kept_for(name: str) -> None:
    assert str(PERSONAL_DATA_PURPOSES.get(name, "")).strip()


def test_every_purpose_names_a_real_personal_field() -> None:
    assert set(PERSONAL_DATA_PURPOSES) <= set(PERSONAL_FIELDS)
    assert {"first_name", "last_name", "email", "phone", *services.INSCRIPTION_FIELDS} <= set(
        PERSONAL_FIELDS)


# ---- export ----

# Where each journey field is in the export when not under its own name.
EXPORTED_AS = {
    "status_since": ("since",), "created_at": ("registered_at",), "exited_on": ("exit", "on"),
    "exit_kind": ("exit", "kind"), "exit_destination": ("exit", "destination"),
}
NOT_EXPORTED = {"id", "person"}  # the export is the person's


def lookup(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        assert key in data, f"{path} missing from the export"
        data = data[key]
    return data


def test_the_export_holds_every_journey_field_and_the_purposes(cast: Cast) -> None:
    journey = register(cast, email="awa@exemple.org", phone="06 12 34 56 78",
                       receives_rsa=True, lives_in_qpv=False)
    activate(cast, journey)
    user = journey.person.user
    assert user is not None
    data = privacy.export_person_data(actor=user, journey=journey, today=TODAY)
    json.dumps(data)  # plain JSON, nothing the person cannot open
    exported = data["journeys"][0]
    for name in field_names(Journey):
        if name not in NOT_EXPORTED:
            lookup(exported, EXPORTED_AS.get(name, (name,)))
    assert exported["birth_date"] == "1990-05-17"
    assert exported["receives_rsa"] is True
    assert exported["iban"] == journey.iban
    assert exported["assisted_by"] == "Referent Zorglubreferent"
    assert exported["kpa"] == cast.home.name
    assert exported["structure"] == cast.cae.name
    assert data["person"] == {"first_name": "Awa", "last_name": "Diallo",
                              "email": "awa@exemple.org", "phone": "06 12 34 56 78"}
    assert [c["period"] for c in exported["contracts"]] == [1]
    assert exported["contracts"][0]["pdf_sha256"] == journey.contracts.get().pdf_sha256
    assert len(exported["documents"]) == 3
    assert "file" not in exported["documents"][0]
    assert exported["insurance"][0]["answer"] == "Accepté"
    assert data["purposes"] == {k: str(v) for k, v in PERSONAL_DATA_PURPOSES.items()}
    event = AuditEvent.objects.get(action="journey.person_data.exported")
    assert event.actor == user
    assert event.target_id == str(journey.person_id)


def test_the_referent_exports_and_others_may_not(cast: Cast, journey: Journey) -> None:
    privacy.export_person_data(actor=cast.user("referent"), journey=journey, today=TODAY)
    assert AuditEvent.objects.filter(action="journey.person_data.exported").count() == 1
    for persona in ("outsider", "comptable", "coordinateur", "cooperant", "accompagnateur"):
        with pytest.raises(PermissionDenied):
            privacy.export_person_data(actor=cast.user(persona), journey=journey, today=TODAY)
    assert AuditEvent.objects.filter(action="journey.person_data.exported").count() == 1


# ---- erasure ----

def test_erasure_waits_for_the_end_of_every_journey(cast: Cast, journey: Journey) -> None:
    with pytest.raises(ValidationError, match="enregistrez d'abord sa sortie"):
        privacy.erase_person_data(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)
    journey.person.refresh_from_db()
    assert journey.person.last_name == "Diallo"
    with pytest.raises(PermissionDenied):
        privacy.erase_person_data(actor=cast.user("referent"), journey=journey, today=TODAY)


def test_an_open_journey_in_another_kpa_also_holds_the_erasure(cast: Cast,
                                                               journey: Journey) -> None:
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                          exit_kind=Journey.ExitKind.NONE, today=TODAY)
    services.register(actor=cast.user("admin"), kpa=cast.elsewhere, first_name="",
                      last_name="", person=journey.person, birth_date=dt.date(1990, 5, 17),
                      today=TODAY)
    with pytest.raises(ValidationError, match="parcours en cours"):
        privacy.erase_person_data(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)


def test_erasure_pseudonymises_and_keeps_what_the_law_requires(
        cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    journey = register(cast, email="awa@exemple.org", phone="06 12 34 56 78")
    activate(cast, journey)
    day = dt.date(2027, 6, 30)
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=day,
                          exit_kind=Journey.ExitKind.EMPLOYMENT, destination="Boulangerie",
                          today=day)
    contract = journey.contracts.get()
    stored = [(d.file.storage, d.file.name) for d in journey.documents.all() if d.has_file]
    assert stored  # the address proof and the RIB are still there
    events_before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        person = privacy.erase_person_data(actor=cast.user("gestionnaire"), journey=journey,
                                           today=day)

    person.refresh_from_db()
    assert person.first_name == "Personne"
    assert len(person.last_name) == 8
    assert "Diallo" not in person.full_name
    assert person.email == ""
    assert person.phone == ""
    journey.refresh_from_db()
    for name in services.INSCRIPTION_FIELDS:
        assert getattr(journey, name) in (None, ""), name
    assert journey.exit_destination == ""
    assert journey.erased_at is not None
    assert journey.exit_kind == Journey.ExitKind.EMPLOYMENT  # the network's figures remain
    for storage, name in stored:
        assert not storage.exists(name)
    assert not any(d.has_file for d in JourneyDocument.objects.filter(journey=journey))
    assert not JourneyDocument.objects.filter(journey=journey).exclude(check_note="").exists()
    assert RetentionLog.objects.filter(journey=journey, reason="effacement demandé").count() == len(
        stored)
    user = person.user
    assert user is not None
    user.refresh_from_db()
    assert not user.is_active
    assert not user.has_usable_password()
    assert user.email == ""
    assert user.username.startswith("efface-")
    kept = Contract.objects.get(pk=contract.pk)
    assert kept.pdf_sha256 == contract.pdf_sha256
    assert bytes(kept.pdf) == bytes(contract.pdf)
    assert kept.signed_copy is None
    assert AuditEvent.objects.count() == events_before + 1
    event = AuditEvent.objects.get(action="journey.person_data.erased")
    assert event.data["pseudonym"] == person.last_name
    exported = json.dumps(privacy.person_data(person), ensure_ascii=False)
    for secret in ("Diallo", "awa@exemple.org", "06 12 34 56 78", "FR76", "Lilas",
                   "Boulangerie", "CNI"):
        assert secret not in exported


# ---- retention ----

def ended_with_pieces(cast: Cast) -> Journey:
    journey = complete(cast, register(cast))
    return contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                                 exit_kind=Journey.ExitKind.NONE, today=TODAY)


def stored_files(journey: Journey) -> list[tuple[Any, str]]:
    return [(d.file.storage, d.file.name) for d in journey.documents.all() if d.has_file]


def test_pieces_are_purged_once_the_retention_after_the_end_is_over(
        cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    ended = ended_with_pieces(cast)
    still_open = complete(cast, register(cast, first_name="Binta", last_name="Sow"))
    ended_files, open_files = stored_files(ended), stored_files(still_open)
    assert len(ended_files) == 3
    assert len(open_files) == 3
    last_day_kept = TODAY + dt.timedelta(days=729)
    assert privacy.purge_documents(today=last_day_kept) == []

    due = TODAY + dt.timedelta(days=730)
    planned = privacy.purge_documents(today=due, dry_run=True)
    assert {item.journey_id for item in planned} == {ended.pk}
    assert len(planned) == 3
    assert all(storage.exists(name) for storage, name in ended_files)
    assert not RetentionLog.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        purged = privacy.purge_documents(today=due)
    assert purged == planned
    assert not any(storage.exists(name) for storage, name in ended_files)
    assert all(storage.exists(name) for storage, name in open_files)
    assert RetentionLog.objects.filter(journey=ended,
                                       reason="durée de conservation écoulée").count() == 3
    assert AuditEvent.objects.filter(action="journey.document.purged").count() == 3
    assert privacy.purge_documents(today=due) == []


def test_the_retention_is_the_carrying_structure_own(cast: Cast) -> None:
    services.update_policy(actor=cast.user("gestionnaire"), structure=cast.cae,
                           document_retention_days=30, today=TODAY)
    ended = ended_with_pieces(cast)
    assert privacy.purge_documents(today=TODAY + dt.timedelta(days=29)) == []
    assert {i.journey_id for i in privacy.purge_documents(
        today=TODAY + dt.timedelta(days=30), dry_run=True)} == {ended.pk}
