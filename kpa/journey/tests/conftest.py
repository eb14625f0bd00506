"""Journey fixtures: a person registered in the cast's home KPA, and helpers that walk a
journey forward through the services, so each test starts at the step it is about."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from conftest import TODAY, Cast
from kpa.journey import contracts, services
from kpa.journey.models import Contract, InsuranceEntry, Journey

VALID_IBAN = "FR7630006000011234567890189"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def register(cast: Cast, *, birth_date: dt.date = dt.date(1990, 5, 17), email: str = "",
             first_name: str = "Awa", last_name: str = "Diallo", **fields: object) -> Journey:
    return services.register(
        actor=cast.user("referent"), kpa=cast.home, first_name=first_name, last_name=last_name,
        email=email, birth_date=birth_date, address="3 rue des Lilas", postcode="59100",
        city="Roubaix", iban=VALID_IBAN, activity_idea="Retouches et couture sur mesure",
        today=TODAY, **fields,
    )


def complete(cast: Cast, journey: Journey) -> Journey:
    for requirement in services.requirements_for(journey, TODAY):
        if requirement.required:
            services.upload_document(actor=cast.user("referent"), journey=journey,
                                     requirement=requirement, content=png_bytes(), today=TODAY)
    journey.refresh_from_db()
    return journey


def validate(cast: Cast, journey: Journey) -> Journey:
    complete(cast, journey)
    for document in journey.documents.all():
        services.check_document(actor=cast.user("referent"), document=document,
                                note="CNI n° 123, valable jusqu'au 01/01/2030", today=TODAY)
    return services.validate_journey(actor=cast.user("gestionnaire"), journey=journey,
                                     today=TODAY)


def insure(cast: Cast, journey: Journey) -> Journey:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    services.mark_insurance_list_sent(actor=cast.user("referent"),
                                      insurance_list=insurance_list, sent_on=TODAY, today=TODAY)
    services.record_insurance_answer(
        actor=cast.user("referent"), insurance_list=insurance_list,
        answers={e.pk: InsuranceEntry.Answer.ACCEPTED for e in insurance_list.entries.all()},
        answered_on=TODAY, today=TODAY)
    journey.refresh_from_db()
    return journey


def issue(cast: Cast, journey: Journey, *, starts_on: dt.date = TODAY,
          ends_on: dt.date = dt.date(2027, 11, 28)) -> Contract:
    insure(cast, journey)
    return contracts.issue_contract(actor=cast.user("referent"), journey=journey,
                                    starts_on=starts_on, ends_on=ends_on, today=TODAY)


def sign_by_scan(cast: Cast, contract: Contract) -> Contract:
    return contracts.upload_signed_copy(actor=cast.user("referent"), contract=contract,
                                        content=pdf_bytes(), today=TODAY)


def activate(cast: Cast, journey: Journey) -> Journey:
    contract = issue(cast, journey)
    sign_by_scan(cast, contract)
    return contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)


@pytest.fixture(autouse=True)
def media_in_tmp(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def journey(cast: Cast) -> Journey:
    return register(cast)
