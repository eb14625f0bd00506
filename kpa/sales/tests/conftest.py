"""A shop ready to sell: the cast's CAE with open books, the cast's coopérant holding a signed,
insured CAPE since 2026-03-02 and an individual activity ("Couture Awa"), a collective
friperie, two customers (a company and a private person), and a catalogue item."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from conftest import TODAY, Cast
from kpa.directory import services as directory_services
from kpa.directory.models import Activity, Person
from kpa.journey.models import (
    Contract,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyStatus,
)
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Books
from kpa.sales.models import CatalogItem, Customer

CAPE_START = dt.date(2026, 3, 2)
CAPE_END = dt.date(2027, 3, 2)
VALID_SIREN = "732829320"
VALID_SIRET = "73282932000074"
VALID_VAT = "FR44732829320"


def give_cape(cast: Cast, person: Person, *, insured: bool = True,
              starts_on: dt.date = CAPE_START, ends_on: dt.date = CAPE_END) -> Journey:
    """A running CAPE, written straight to the tables: the journey's own tests prove the way
    there; here only the result matters."""
    journey = Journey.objects.create(person=person, kpa=cast.home, structure=cast.cae,
                                     status=JourneyStatus.ACTIVE, status_since=timezone.now())
    Contract.objects.create(
        journey=journey, period_number=1, starts_on=starts_on, ends_on=ends_on,
        status=Contract.Status.SIGNED, pdf=b"%PDF-1.4", pdf_sha256="0" * 64,
        issued_at=timezone.now(), issued_by=cast.user("gestionnaire"),
        signed_at=timezone.now(),
    )
    insurance = InsuranceList.objects.create(kpa=cast.home, insurer="MAIF")
    InsuranceEntry.objects.create(
        insurance_list=insurance, journey=journey, activity="Couture",
        answer=InsuranceEntry.Answer.ACCEPTED if insured else InsuranceEntry.Answer.PENDING)
    return journey


@dataclass
class Shop:
    cast: Cast
    books: Books
    activity: Activity
    friperie: Activity
    company: Customer
    person_customer: Customer
    item: CatalogItem
    today: dt.date

    @property
    def seller(self) -> User:
        return self.cast.user("cooperant")

    @property
    def manager(self) -> User:
        return self.cast.user("gestionnaire")


@pytest.fixture
def shop(cast: Cast) -> Shop:
    return build_shop(cast)


def build_shop(cast: Cast) -> Shop:
    manager = cast.user("gestionnaire")
    books = ledger_services.open_books(
        actor=cast.user("comptable"), structure=cast.cae,
        first_year_starts_on=dt.date(2026, 1, 1), first_year_ends_on=dt.date(2027, 1, 1),
        today=TODAY)
    give_cape(cast, cast.cooperant)
    activity = directory_services.create_activity(
        actor=manager, kpa=cast.home, name="Couture Awa", kind=Activity.Kind.INDIVIDUAL,
        started_on=CAPE_START, today=TODAY, members=[cast.cooperant])
    friperie = directory_services.create_activity(
        actor=manager, kpa=cast.home, name="La Friperie", kind=Activity.Kind.COLLECTIVE,
        started_on=CAPE_START, today=TODAY, members=[cast.cooperant])
    company = Customer.objects.create(
        structure=cast.cae, kind=Customer.Kind.COMPANY, name="Mairie de Roubaix",
        siren=VALID_SIREN, siret=VALID_SIRET, vat_number=VALID_VAT, email="achats@mairie.test",
        address="17 Grand Place", postcode="59100", city="Roubaix")
    person_customer = Customer.objects.create(
        structure=cast.cae, kind=Customer.Kind.INDIVIDUAL, name="Jeanne Martin",
        email="jeanne@example.test", address="2 rue Pierre", postcode="59100", city="Roubaix")
    item = CatalogItem.objects.create(
        activity=activity, is_service=True, name="Retouche d'ourlet",
        unit=CatalogItem.Unit.PIECE, unit_price=Decimal("12.50"), vat_rate="20.00")
    return Shop(cast=cast, books=books, activity=activity, friperie=friperie, company=company,
                person_customer=person_customer, item=item, today=TODAY)
