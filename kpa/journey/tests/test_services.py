"""The journey's services before the contract: inscription, documents, validation, insurance.

Every refusal is checked twice: the plain French message, and that nothing was half-written.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from PIL import Image

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Person
from kpa.journey import services
from kpa.journey.models import (
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyStatus,
    RetentionLog,
)
from kpa.journey.tests.conftest import (
    VALID_IBAN,
    complete,
    insure,
    pdf_bytes,
    png_bytes,
    register,
    validate,
)

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
NOTE = "CNI n° 123, valable jusqu'au 01/01/2030"


def register_with(cast: Cast, **overrides: Any) -> Journey:
    """The fixtures' inscription by the référent, with some fields changed."""
    fields: dict[str, Any] = {
        "first_name": "Awa", "last_name": "Diallo", "birth_date": dt.date(1990, 5, 17),
        "address": "3 rue des Lilas", "postcode": "59100", "city": "Roubaix",
        "iban": VALID_IBAN, "activity_idea": "Retouches et couture sur mesure",
    } | overrides
    return services.register(actor=cast.user("referent"), kpa=cast.home, today=TODAY, **fields)


def rows() -> tuple[int, int, int]:
    return Person.objects.count(), Journey.objects.count(), User.objects.count()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=kind)
    return buffer.getvalue()


def requirement(journey: Journey, kind: str) -> DocumentRequirement:
    return journey.structure.document_requirements.get(kind=kind)


def upload(cast: Cast, journey: Journey, kind: str, content: bytes | None = None
           ) -> JourneyDocument:
    return services.upload_document(actor=cast.user("referent"), journey=journey,
                                    requirement=requirement(journey, kind),
                                    content=content or png_bytes(), today=TODAY)


def check_all(cast: Cast, journey: Journey, *, skip: str = "") -> None:
    for document in journey.documents.select_related("requirement"):
        if document.requirement.kind != skip and document.checked_at is None:
            services.check_document(actor=cast.user("referent"), document=document, note=NOTE,
                                    today=TODAY)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def recipients(topic: str) -> set[str]:
    return set(Notification.objects.filter(topic=topic)
               .values_list("recipient__username", flat=True))


# ---- inscription ----

def test_a_person_registers_alone_on_the_public_form(cast: Cast) -> None:
    journey = services.register(
        actor=AnonymousUser(), kpa=cast.home, first_name=" Awa ", last_name="Diallo",
        birth_date=dt.date(1990, 5, 17), iban="fr76 3000 6000 0112 3456 7890 189",
        activity_idea="Couture", today=TODAY)
    assert journey.status == JourneyStatus.RECEIVED
    assert journey.structure == cast.cae
    assert journey.assisted_by is None
    assert journey.person.first_name == "Awa"
    assert journey.person.user is None
    assert journey.person.proxy is None
    assert journey.iban == VALID_IBAN  # compact, upper case: what schwifty checked
    event = AuditEvent.objects.get(action="journey.journey.registered")
    assert event.actor is None
    assert event.data["assisted"] is False


def test_a_referent_registers_someone_with_them_and_the_help_is_recorded(cast: Cast) -> None:
    journey = register(cast)
    assert journey.assisted_by == cast.referent
    assert journey.person.proxy == cast.referent  # no e-mail: the référent acts for them
    event = AuditEvent.objects.get(action="journey.journey.registered")
    assert event.actor == cast.user("referent")
    assert event.data["assisted"] is True
    assert recipients("journey.journey.registered") == {"referent", "gestionnaire"}


def test_a_logged_in_person_registers_themself(cast: Cast) -> None:
    journey = services.register(actor=cast.user("cooperant"), kpa=cast.home, first_name="X",
                                last_name="Y", birth_date=dt.date(1990, 5, 17), today=TODAY)
    assert journey.person == cast.cooperant
    assert journey.assisted_by is None


def test_an_e_mail_gives_the_new_person_an_account_without_a_usable_password(cast: Cast) -> None:
    journey = register(cast, email="  Awa.Diallo@Exemple.org ")
    user = journey.person.user
    assert user is not None
    assert user.email == "awa.diallo@exemple.org"
    assert journey.person.email == user.email
    assert not user.has_usable_password()
    assert journey.person.proxy is None
    assert AuditEvent.objects.get(action="journey.journey.registered").data["has_account"]


def test_an_e_mail_already_used_is_refused_and_nothing_is_written(cast: Cast) -> None:
    before = rows()
    with pytest.raises(ValidationError) as refused:
        register(cast, email="COOPERANT@exemple.org")
    assert "Un compte existe déjà avec cet e-mail" in refused.value.message_dict["email"][0]
    assert rows() == before


def test_a_second_open_journey_in_the_same_kpa_is_refused(cast: Cast, journey: Journey) -> None:
    services.register(actor=cast.user("cooperant"), kpa=cast.home, first_name="", last_name="",
                      birth_date=dt.date(1990, 5, 17), today=TODAY)
    before = rows()
    with pytest.raises(ValidationError, match="déjà un parcours en cours dans ce KPA"):
        register(cast, person=journey.person)
    with pytest.raises(ValidationError, match="déjà un parcours en cours"):
        services.register(actor=cast.user("cooperant"), kpa=cast.home, first_name="", last_name="",
                          birth_date=dt.date(1990, 5, 17), today=TODAY)
    assert rows() == before


def test_a_person_may_come_back_once_the_first_journey_is_over(cast: Cast,
                                                               journey: Journey) -> None:
    from kpa.journey import contracts

    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                          exit_kind=Journey.ExitKind.NONE, today=TODAY)
    again = register(cast, person=journey.person)
    assert again.pk != journey.pk
    assert again.status == JourneyStatus.RECEIVED


def test_someone_of_fifteen_is_refused_and_told_when_to_come_back(cast: Cast) -> None:
    before = rows()
    with pytest.raises(ValidationError) as refused:
        register(cast, birth_date=dt.date(2011, 1, 10), email="jeune@exemple.org")
    message = refused.value.message_dict["birth_date"][0]
    assert "à partir de 16 ans" in message
    assert "10/01/2027" in message
    assert rows() == before


def test_a_wrong_iban_is_refused_and_nothing_is_half_written(cast: Cast) -> None:
    before = rows()
    with pytest.raises(ValidationError) as refused:
        register_with(cast, email="awa@exemple.org", iban="FR7630006000011234567890188")
    assert "IBAN n'est pas valide" in refused.value.message_dict["iban"][0]
    assert rows() == before
    assert not AuditEvent.objects.filter(action__startswith="journey.").exists()
    assert not Notification.objects.exists()


def test_a_kpa_without_carrying_structure_takes_no_inscription(cast: Cast) -> None:
    cast.home.carrying_structure = None
    with pytest.raises(ValidationError, match="pas encore de structure porteuse"):
        register(cast)


def test_an_unknown_inscription_field_is_a_programming_error(cast: Cast) -> None:
    with pytest.raises(TypeError):
        register(cast, status=JourneyStatus.ACTIVE)


# ---- minors and the parental consent ----

MINOR_BIRTH = dt.date(2009, 6, 1)  # 17 on TODAY


def test_a_minor_gets_the_parental_consent_on_the_checklist(cast: Cast) -> None:
    minor = register(cast, birth_date=MINOR_BIRTH)
    adult = register(cast, first_name="Binta")
    consent = DocumentRequirement.Kind.PARENTAL_CONSENT
    assert consent in {r.kind for r in services.requirements_for(minor, TODAY)}
    assert consent not in {r.kind for r in services.requirements_for(adult, TODAY)}
    assert consent in {r.kind for r in services.missing_requirements(minor, TODAY)}


def test_a_minor_is_validated_only_once_the_parental_consent_is_checked(cast: Cast) -> None:
    journey = complete(cast, register(cast, birth_date=MINOR_BIRTH))
    assert journey.status == JourneyStatus.COMPLETE
    check_all(cast, journey, skip=DocumentRequirement.Kind.PARENTAL_CONSENT)
    with pytest.raises(ValidationError, match="autorisation parentale déposée et vérifiée"):
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)
    check_all(cast, journey)
    journey = services.validate_journey(actor=cast.user("gestionnaire"), journey=journey,
                                        today=TODAY)
    assert journey.status == JourneyStatus.VALIDATED


def test_a_minor_cannot_be_validated_when_the_checklist_lacks_the_consent_line(
        cast: Cast) -> None:
    journey = register(cast, birth_date=MINOR_BIRTH)
    DocumentRequirement.objects.filter(
        structure=cast.cae, kind=DocumentRequirement.Kind.PARENTAL_CONSENT).delete()
    journey = complete(cast, journey)
    check_all(cast, journey)
    with pytest.raises(ValidationError) as refused:
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)
    assert "ajoutez la pièce « autorisation parentale »" in refused.value.messages[0]
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE


def test_a_minor_cannot_be_validated_when_the_consent_line_is_optional(cast: Cast) -> None:
    journey = register(cast, birth_date=MINOR_BIRTH)
    DocumentRequirement.objects.filter(
        structure=cast.cae, kind=DocumentRequirement.Kind.PARENTAL_CONSENT).update(required=False)
    journey = complete(cast, journey)
    check_all(cast, journey)
    with pytest.raises(ValidationError):
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)


# ---- uploads ----

def forty_mb() -> bytes:
    return b"%PDF-1.4\n" + b"0" * (40 * 1024 * 1024)


@pytest.mark.parametrize(("content", "says"), [
    pytest.param(lambda: b"", "vide", id="empty"),
    pytest.param(forty_mb, "10 Mo au plus", id="40MB-pdf"),
    pytest.param(lambda: b"\x7fELF\x02\x01\x01" + b"\0" * 64, "ni un PDF ni une photo",
                 id="elf"),
    pytest.param(lambda: b"MZ\x90\x00\x03" + b"\0" * 64, "ni un PDF ni une photo",
                 id="windows-exe"),
    pytest.param(lambda: b"PK\x03\x04\x14\x00" + b"\0" * 64, "ni un PDF ni une photo",
                 id="zip"),
    pytest.param(lambda: b"<!DOCTYPE html><script>alert(1)</script>",
                 "ni un PDF ni une photo", id="html"),
    pytest.param(lambda: b"#!/bin/sh\nrm -rf /\n", "ni un PDF ni une photo", id="script"),
    pytest.param(lambda: b"RIFF\0\0\0\0AVI LIST", "ni un PDF ni une photo",
                 id="riff-not-webp"),
])
def test_an_upload_that_is_not_a_small_pdf_or_photo_is_refused(
        cast: Cast, journey: Journey, content: Callable[[], bytes], says: str) -> None:
    # The service never sees the file's name: a "facture.pdf" that is an executable is judged
    # by its first bytes only.
    with pytest.raises(ValidationError) as refused:
        services.upload_document(actor=cast.user("referent"), journey=journey,
                                 requirement=requirement(journey, "address"),
                                 content=content(), today=TODAY)
    assert says in refused.value.message_dict["file"][0]
    assert not JourneyDocument.objects.exists()
    assert not AuditEvent.objects.filter(action="journey.document.uploaded").exists()


@pytest.mark.parametrize(("content", "mime"), [
    pytest.param(pdf_bytes(), "application/pdf", id="pdf"),
    pytest.param(image_bytes("JPEG"), "image/jpeg", id="jpeg"),
    pytest.param(image_bytes("PNG"), "image/png", id="png"),
    pytest.param(image_bytes("WEBP"), "image/webp", id="webp"),
])
def test_a_pdf_or_a_photo_is_accepted_and_stored_under_a_neutral_name(
        cast: Cast, journey: Journey, content: bytes, mime: str) -> None:
    import hashlib

    document = upload(cast, journey, DocumentRequirement.Kind.ADDRESS, content)
    assert document.content_type == mime
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert str(document.file.name).startswith(f"parcours/{journey.pk}/")
    with document.file.open("rb") as stored:
        assert stored.read() == content
    event = AuditEvent.objects.get(action="journey.document.uploaded")
    assert event.data["sha256"] == document.sha256


def test_the_inscription_becomes_complete_when_every_required_piece_is_there(
        cast: Cast, journey: Journey) -> None:
    upload(cast, journey, DocumentRequirement.Kind.FRANCE_TRAVAIL)  # optional: changes nothing
    upload(cast, journey, DocumentRequirement.Kind.IDENTITY)
    upload(cast, journey, DocumentRequirement.Kind.ADDRESS)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.RECEIVED
    upload(cast, journey, DocumentRequirement.Kind.BANK)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE


def test_a_piece_of_another_structure_checklist_is_refused(cast: Cast, journey: Journey) -> None:
    services.policy_for(cast.other_structure)
    foreign = cast.other_structure.document_requirements.first()
    assert foreign is not None
    with pytest.raises(ValidationError, match="pas demandée ici"):
        services.upload_document(actor=cast.user("referent"), journey=journey,
                                 requirement=foreign, content=png_bytes(), today=TODAY)


def test_the_person_may_upload_but_an_outsider_may_not(cast: Cast) -> None:
    journey = register(cast, email="awa@exemple.org")
    assert journey.person.user is not None
    services.upload_document(actor=journey.person.user, journey=journey,
                             requirement=requirement(journey, "address"), content=png_bytes(),
                             today=TODAY)
    for persona in ("outsider", "comptable", "benevole"):
        with pytest.raises(PermissionDenied):
            services.upload_document(actor=cast.user(persona), journey=journey,
                                     requirement=requirement(journey, "bank"),
                                     content=png_bytes(), today=TODAY)


# ---- checking pieces ----

def test_checking_an_identity_piece_needs_a_note_then_deletes_the_copy(
        cast: Cast, journey: Journey,
        django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    document = upload(cast, journey, DocumentRequirement.Kind.IDENTITY)
    name, storage = document.file.name, document.file.storage
    with pytest.raises(ValidationError) as refused:
        services.check_document(actor=cast.user("referent"), document=document, note="  ",
                                today=TODAY)
    assert "numéro et la date de validité" in refused.value.message_dict["check_note"][0]
    document.refresh_from_db()
    assert document.checked_at is None
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_document(actor=cast.user("referent"), document=document, note=NOTE,
                                today=TODAY)
    document.refresh_from_db()
    assert not storage.exists(name)
    assert not document.has_file
    assert document.file_deleted_at is not None
    assert document.check_note == NOTE
    assert document.checked_by == cast.user("referent")
    log = RetentionLog.objects.get(journey=journey)
    assert log.what == document.requirement.label
    assert "identité vérifiée" in log.reason
    assert "journey.document.checked" in actions()


def test_an_identity_copy_survives_when_the_check_is_rolled_back(
        cast: Cast, journey: Journey,
        django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    document = upload(cast, journey, DocumentRequirement.Kind.IDENTITY)
    name, storage = document.file.name, document.file.storage

    def check_then_fail() -> None:
        with transaction.atomic():
            services.check_document(actor=cast.user("referent"), document=document, note=NOTE,
                                    today=TODAY)
            raise RuntimeError("the request failed after the check")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        check_then_fail()
    assert storage.exists(name)
    assert not RetentionLog.objects.exists()


def test_other_pieces_are_kept_after_the_check_and_checked_once(
        cast: Cast, journey: Journey,
        django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    document = upload(cast, journey, DocumentRequirement.Kind.ADDRESS)
    with django_capture_on_commit_callbacks(execute=True):
        services.check_document(actor=cast.user("referent"), document=document, today=TODAY)
    document.refresh_from_db()
    assert document.has_file
    assert document.file.storage.exists(document.file.name)
    with pytest.raises(ValidationError, match="déjà vérifiée"):
        services.check_document(actor=cast.user("referent"), document=document, today=TODAY)


def test_only_the_staff_checks_a_piece(cast: Cast) -> None:
    journey = register(cast, email="awa@exemple.org")
    document = upload(cast, journey, DocumentRequirement.Kind.ADDRESS)
    assert journey.person.user is not None
    for user in (journey.person.user, cast.user("outsider"), cast.user("accompagnateur")):
        with pytest.raises(PermissionDenied):
            services.check_document(actor=user, document=document, today=TODAY)


# ---- validation ----

def test_only_a_complete_inscription_is_validated(cast: Cast, journey: Journey) -> None:
    with pytest.raises(ValidationError, match="Seul un dossier complet se valide"):
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)
    complete(cast, journey)
    with pytest.raises(ValidationError, match="Vérifiez d'abord ces pièces"):
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE


def test_only_the_structure_gestionnaire_validates(cast: Cast, journey: Journey) -> None:
    complete(cast, journey)
    check_all(cast, journey)
    for persona in ("referent", "animateur", "comptable", "coordinateur", "outsider"):
        with pytest.raises(PermissionDenied):
            services.validate_journey(actor=cast.user(persona), journey=journey, today=TODAY)
    journey = services.validate_journey(actor=cast.user("gestionnaire"), journey=journey,
                                        today=TODAY)
    assert journey.status == JourneyStatus.VALIDATED
    with pytest.raises(ValidationError, match="Seul un dossier complet"):
        services.validate_journey(actor=cast.user("gestionnaire"), journey=journey, today=TODAY)


def test_validation_is_audited_and_told_to_the_staff_and_the_person(
        cast: Cast, django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    journey = register(cast, email="awa@exemple.org")
    with django_capture_on_commit_callbacks(execute=True):
        validate(cast, journey)
    event = AuditEvent.objects.get(action="journey.journey.validated")
    assert event.actor == cast.user("gestionnaire")
    assert event.target_id == str(journey.pk)
    assert recipients("journey.journey.validated") == {"referent", "gestionnaire", "awa"}
    assert {m.to[0] for m in mail.outbox if "Inscription validée" in m.subject} == {
        "referent@exemple.org", "gestionnaire@exemple.org", "awa@exemple.org"}


# ---- insurance list ----

def validated_and_complete(cast: Cast) -> tuple[Journey, Journey]:
    ready = validate(cast, register_with(cast, activity_idea="Friperie\net retouches"))
    waiting = complete(cast, register(cast, first_name="Binta", last_name="Sow"))
    return ready, waiting


def test_an_insurance_list_holds_only_the_validated_people(cast: Cast) -> None:
    ready, waiting = validated_and_complete(cast)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    entry = insurance_list.entries.get()
    assert entry.journey == ready
    assert entry.activity == "Friperie"
    assert insurance_list.insurer == "MACIF"
    assert insurance_list.status == InsuranceList.Status.DRAFT
    # Nobody else waits: a second list would be empty, and is refused.
    with pytest.raises(ValidationError, match="Personne n'attend d'être assuré"):
        services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home, today=TODAY)
    assert waiting.insurance_entries.count() == 0


def test_nobody_validated_means_no_insurance_list(cast: Cast, journey: Journey) -> None:
    with pytest.raises(ValidationError, match="validée par la structure"):
        services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home, today=TODAY)
    assert not InsuranceList.objects.exists()
    with pytest.raises(PermissionDenied):
        services.create_insurance_list(actor=cast.user("outsider"), kpa=cast.home, today=TODAY)


def test_an_insurance_list_is_not_sent_in_the_future_nor_twice(cast: Cast,
                                                                journey: Journey) -> None:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    with pytest.raises(ValidationError) as refused:
        services.mark_insurance_list_sent(actor=cast.user("referent"),
                                          insurance_list=insurance_list,
                                          sent_on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert "futur" in refused.value.message_dict["sent_on"][0]
    insurance_list.refresh_from_db()
    assert insurance_list.status == InsuranceList.Status.DRAFT
    services.mark_insurance_list_sent(actor=cast.user("referent"), insurance_list=insurance_list,
                                      sent_on=TODAY, today=TODAY)
    with pytest.raises(ValidationError, match="déjà envoyée"):
        services.mark_insurance_list_sent(actor=cast.user("referent"),
                                          insurance_list=insurance_list, sent_on=TODAY,
                                          today=TODAY)


def sent_list(cast: Cast, *people: Journey, sent_on: dt.date = TODAY) -> InsuranceList:
    for journey in people:
        validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    return services.mark_insurance_list_sent(actor=cast.user("referent"),
                                             insurance_list=insurance_list, sent_on=sent_on,
                                             today=TODAY)


def answer(cast: Cast, insurance_list: InsuranceList, answers: dict[int, str],
           answered_on: dt.date = TODAY) -> InsuranceList:
    return services.record_insurance_answer(actor=cast.user("referent"),
                                            insurance_list=insurance_list, answers=answers,
                                            answered_on=answered_on, today=TODAY)


def test_the_insurer_answers_for_every_person_on_the_list(cast: Cast) -> None:
    awa = register(cast)
    binta = register(cast, first_name="Binta", last_name="Sow")
    insurance_list = sent_list(cast, awa, binta)
    entries = {e.journey_id: e.pk for e in insurance_list.entries.all()}
    accepted = InsuranceEntry.Answer.ACCEPTED
    with pytest.raises(ValidationError, match="pour chaque personne"):
        answer(cast, insurance_list, {entries[awa.pk]: accepted})
    with pytest.raises(ValidationError, match="pour chaque personne"):
        answer(cast, insurance_list, {entries[awa.pk]: accepted,
                                      entries[binta.pk]: InsuranceEntry.Answer.PENDING})
    awa.refresh_from_db()
    assert awa.status == JourneyStatus.VALIDATED
    assert not InsuranceEntry.objects.exclude(answer=InsuranceEntry.Answer.PENDING).exists()


def test_an_answer_dates_between_the_sending_and_today(cast: Cast, journey: Journey) -> None:
    insurance_list = sent_list(cast, journey, sent_on=TODAY - dt.timedelta(days=5))
    answers = {e.pk: InsuranceEntry.Answer.ACCEPTED for e in insurance_list.entries.all()}
    for day in (TODAY - dt.timedelta(days=6), TODAY + dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as refused:
            answer(cast, insurance_list, answers, answered_on=day)
        assert "answered_on" in refused.value.message_dict


def test_an_unsent_list_takes_no_answer(cast: Cast, journey: Journey) -> None:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    with pytest.raises(ValidationError, match="marquez d'abord la fiche comme envoyée"):
        answer(cast, insurance_list,
               {e.pk: InsuranceEntry.Answer.ACCEPTED for e in insurance_list.entries.all()})


def test_accepted_people_are_insured_and_refused_ones_wait_for_another_list(
        cast: Cast) -> None:
    awa = register(cast)
    binta = register(cast, first_name="Binta", last_name="Sow")
    insurance_list = sent_list(cast, awa, binta)
    entries = {e.journey_id: e.pk for e in insurance_list.entries.all()}
    answer(cast, insurance_list, {entries[awa.pk]: InsuranceEntry.Answer.ACCEPTED,
                                  entries[binta.pk]: InsuranceEntry.Answer.REFUSED})
    awa.refresh_from_db()
    binta.refresh_from_db()
    assert awa.status == JourneyStatus.INSURED
    assert services.is_insured(awa)
    assert binta.status == JourneyStatus.VALIDATED
    assert not services.is_insured(binta)
    insurance_list.refresh_from_db()
    assert insurance_list.status == InsuranceList.Status.ANSWERED
    assert insurance_list.answered_on == TODAY
    assert recipients("journey.journey.insured") == {"referent", "gestionnaire"}
    again = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                           today=TODAY)
    assert [e.journey for e in again.entries.all()] == [binta]


def test_every_write_of_the_way_to_insurance_is_audited_with_its_actor(cast: Cast,
                                                                        journey: Journey) -> None:
    insure(cast, journey)
    assert actions() == [
        "journey.journey.registered",
        *["journey.document.uploaded"] * 3,
        *["journey.document.checked"] * 3,
        "journey.journey.validated",
        "journey.insurance_list.created",
        "journey.insurance_list.sent",
        "journey.insurance_list.answered",
    ]
    assert not AuditEvent.objects.filter(action__startswith="journey.", actor=None).exists()


# ---- settings and steps ----

def test_the_gestionnaire_sets_the_reminders_and_nonsense_is_refused(cast: Cast) -> None:
    policy = services.update_policy(actor=cast.user("gestionnaire"), structure=cast.cae,
                                    reminder_days="7, 90,30", today=TODAY)
    assert policy.reminder_offsets == [90, 30, 7]
    for nonsense in ("", "abc", "0,30", "400", "30;7"):
        with pytest.raises(ValidationError) as refused:
            services.update_policy(actor=cast.user("gestionnaire"), structure=cast.cae,
                                   reminder_days=nonsense, today=TODAY)
        assert "reminder_days" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.update_policy(actor=cast.user("referent"), structure=cast.cae,
                               reminder_days="30", today=TODAY)
    policy.refresh_from_db()
    assert policy.reminder_days == "7, 90,30"


def test_the_gestionnaire_adds_a_line_to_the_checklist(cast: Cast) -> None:
    added = services.add_requirement(actor=cast.user("gestionnaire"), structure=cast.cae,
                                     kind=DocumentRequirement.Kind.OTHER,
                                     label=" Attestation CAF ", today=TODAY)
    assert added.label == "Attestation CAF"
    assert cast.cae.document_requirements.count() == len(services.DEFAULT_CHECKLIST) + 1
    with pytest.raises(PermissionDenied):
        services.add_requirement(actor=cast.user("referent"), structure=cast.cae,
                                 kind=DocumentRequirement.Kind.OTHER, label="X", today=TODAY)


def test_only_a_past_diagnostic_is_added_by_hand(cast: Cast, journey: Journey) -> None:
    step = services.add_career_step(actor=cast.user("referent"), journey=journey,
                                    kind="diagnostic", on=TODAY, note="Premier rendez-vous",
                                    today=TODAY)
    assert step.journey == journey
    with pytest.raises(ValidationError) as refused:
        services.add_career_step(actor=cast.user("referent"), journey=journey, kind="exit",
                                 on=TODAY, today=TODAY)
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_career_step(actor=cast.user("referent"), journey=journey,
                                 kind="diagnostic", on=TODAY + dt.timedelta(days=1), today=TODAY)
    assert "on" in refused.value.message_dict
