"""Demo selling: customers, a catalogue, quotes, invoices, a credit note, payments and a shop
till in every KPA of the demo network where someone may sell.

Only a coopérant holding a running, signed and insured CAPE may sell (`eligibility`); the journey
demo creates them (in all six KPAs: several in Roubaix and Lille-Moulins, one first CAPE a few
weeks old in each other KPA), so this demo runs after it and after the ledger's (INSTALLED_APPS
order: ledger, journey, sales), whose books it posts into. Each seller gets an individual
activity when they have none, each KPA a collective shop: a friperie, or an épicerie in
Mons-en-Barœul (two VAT rates on its Z).

Everything goes through the selling services, with the demo's real people as actors: the
coopérant persona drafts her own invoices and submits them (one she issues herself, under her
self-validation ceiling), the carrying structure's gestionnaire drafts for the coopérants
without a login and validates, its comptable records the transfers and cheques. The association
of La Rochelle has no gestionnaire who logs in: the platform administrator acts for it, as in
its demo books; it is under the VAT franchise, so its prices carry no VAT and its documents the
"TVA non applicable, art. 293 B du CGI" mention. The story is
played over the last eight weeks with the journey demo's plan (`kpa.journey.demo.Plan`): each
step runs on its own day, with the clock set to that day, so issue dates, numbers, entries and
stamps tell one story. Numbers follow the issue dates, as the law wants.

In Roubaix and Lille-Moulins: a company, a public body, an association and two private
customers (valid SIREN, SIRET and VAT numbers computed with python-stdnum's checksums); quotes
drafted, sent, accepted through the customer's link (a deposit, then the final invoice) and
refused; invoices paid in full, partly paid, unpaid and overdue, one corrected by a partial
credit note; a submitted invoice waiting in the validation queue; the friperie's till with three
closed days (Z) and today's first sales still open. In each other KPA a lighter story (three
issued documents, each PDF costs about half a second): a company, an association and a private
customer; the company's order quoted, accepted through its link and invoiced, still unpaid
(overdue in two KPAs); a private customer's invoice partly credited and the rest paid; a quote
sent to the association, still open; the shop's till with two closed days and today's first
sales.

Idempotent: nothing is done when a structure of the demo network already has customers. No
e-mail leaves (the addresses are invented): invoices and quotes are not sent, notices stay in
the platform.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from schwifty import IBAN
from stdnum import luhn
from stdnum.fr import siren as siren_check
from stdnum.fr import siret as siret_check
from stdnum.fr import tva

from kpa.core import notifications
from kpa.core.money import quantize
from kpa.directory import services as directory_services
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import (
    Activity,
    ActivityMembership,
    Kpa,
    Person,
    Role,
    RoleKind,
    Structure,
)
from kpa.journey.demo import Plan, no_mail
from kpa.journey.models import Contract, InsuranceEntry, Journey, JourneyStatus
from kpa.ledger.models import Books, FiscalYear
from kpa.sales import delivery, documents, payments, services, till
from kpa.sales.documents import LineInput
from kpa.sales.models import (
    CatalogItem,
    Customer,
    Invoice,
    OperationCategory,
    PaymentMethod,
    Quote,
    Till,
    TillClosing,
    TillTicket,
    VatRate,
)
from kpa.sales.till import TillLineInput

STORY_DAYS = 56  # the story is played over the last eight weeks
TILL_DAYS = (3, 2, 1)  # days ago closed at the till; today's first sales stay open
LIGHT_TILL_DAYS = (2, 1)
LIGHT_FROM_RANK = 2  # the first KPA tells every case, the second the usual ones, others a few
SELF_VALIDATION_CEILING = Decimal("200.00")
DEPOSIT_PERCENT = 30

Unit = CatalogItem.Unit


@dataclass(frozen=True)
class ItemSpec:
    name: str
    is_service: bool
    unit: str
    price: str  # excl. VAT
    rate: str  # under the normal VAT regime; 0 % under the franchise


# By trade, as the journey demo's activity ideas name them; three items each, the last one by
# the hour (a service).
CATALOGUES: dict[str, tuple[ItemSpec, ...]] = {
    "couture": (
        ItemSpec("Ourlet de pantalon", True, Unit.PIECE, "12.50", "20.00"),
        ItemSpec("Retouche de robe ou de veste", True, Unit.PIECE, "25.00", "20.00"),
        ItemSpec("Création sur mesure", True, Unit.HOUR, "30.00", "20.00"),
    ),
    "traiteur": (
        ItemSpec("Buffet froid (par personne)", False, Unit.PIECE, "14.00", "10.00"),
        ItemSpec("Plateau repas", False, Unit.PIECE, "12.50", "10.00"),
        ItemSpec("Service en salle", True, Unit.HOUR, "28.00", "20.00"),
    ),
    "menuiserie": (
        ItemSpec("Étagère en bois de palette", False, Unit.PIECE, "85.00", "20.00"),
        ItemSpec("Bac à plantes en bois", False, Unit.PIECE, "45.00", "20.00"),
        ItemSpec("Pose et réparation", True, Unit.HOUR, "35.00", "20.00"),
    ),
    "coiffure": (
        ItemSpec("Coupe et brushing", True, Unit.PIECE, "25.00", "20.00"),
        ItemSpec("Coupe enfant", True, Unit.PIECE, "12.50", "20.00"),
        ItemSpec("Soins à domicile", True, Unit.HOUR, "30.00", "20.00"),
    ),
    "services": (
        ItemSpec("Intervention", True, Unit.HOUR, "30.00", "20.00"),
        ItemSpec("Forfait déplacement", True, Unit.LUMP_SUM, "15.00", "20.00"),
        ItemSpec("Petites fournitures", False, Unit.PIECE, "8.00", "20.00"),
    ),
}
# Shop prices incl. VAT are round: 5.00 → 6.00, 2.50 → 3.00, 6.25 → 7.50.
FRIPERIE = (
    ItemSpec("Vêtement adulte", False, Unit.PIECE, "5.00", "20.00"),
    ItemSpec("Vêtement enfant", False, Unit.PIECE, "2.50", "20.00"),
    ItemSpec("Sac ou accessoire", False, Unit.PIECE, "6.25", "20.00"),
)
FRIPERIE_NAME = "Friperie solidaire"
# 5.5 % on food, 20 % on the rest; prices incl. VAT round too: 4.74 → 5.00, 1.90 → 2.00.
EPICERIE = (
    ItemSpec("Panier de fruits et légumes", False, Unit.PIECE, "4.74", "5.50"),
    ItemSpec("Pain de campagne", False, Unit.PIECE, "1.90", "5.50"),
    ItemSpec("Produit d'entretien", False, Unit.PIECE, "2.50", "20.00"),
)


@dataclass(frozen=True)
class ShopSpec:
    """A KPA's collective shop, where its till stands."""

    name: str
    keyword: str  # finds the KPA's shop of that kind (no accent: SQLite folds ASCII case only)
    description: str
    items: tuple[ItemSpec, ItemSpec, ItemSpec]
    loose: str  # what a free-amount sale is
    loose_rate: str


FRIPERIE_SHOP = ShopSpec(FRIPERIE_NAME, "friperie",
                         "Vêtements de seconde main, triés et remis en état.", FRIPERIE,
                         "Lot de vêtements au kilo", VatRate.STANDARD)
EPICERIE_SHOP = ShopSpec("Épicerie solidaire", "picerie",
                         "Fruits, légumes et produits d'épicerie à petits prix, en circuit "
                         "court.", EPICERIE, "Vrac au poids (légumes secs, céréales)",
                         VatRate.REDUCED)
SHOPS = {"KPA Mons-en-Barœul": EPICERIE_SHOP}  # elsewhere, a friperie
# The public body's event, by the trade of the activity that quotes it.
EVENT_QUANTITIES: dict[str, tuple[int, ...]] = {
    "couture": (0, 6, 8), "traiteur": (40, 0, 4), "menuiserie": (0, 6, 4),
    "services": (6, 1, 2),
}

# Customers, by the KPA's rank among those that sell (fictitious, and distinct from the
# ledger demo's third parties so that the auxiliary accounts do not look doubled).
COMPANIES = ("Brasserie Vandewalle SARL", "Imprimerie des Moulins SAS", "Garage Lefranc SARL",
             "Transports Delannoy SAS", "Mareyage Caudron SAS", "Chantier naval de la Pallice")
COMPANY_CONTACTS = (("Claire Vandewalle", "gérante"), ("Marc Deswarte", "directeur"),
                    ("Nora Lefranc", "comptable"), ("Bruno Delannoy", "gérant"),
                    ("Sylvie Caudron", "directrice administrative"),
                    ("Yann Le Goff", "responsable des achats"))
PEOPLE = (("Mme Nadège Caron", "M. Hugo Lemoine"), ("Mme Aminata Keita", "M. Julien Roussel"),
          ("Mme Lise Fontaine", "M. Karim Aït-Ali"),
          ("Mme Josiane Vermeersch", "M. Dylan Hennebert"),
          ("Mme Martine Ledoux", "M. Théo Boutin"), ("Mme Agnès Giraud", "M. Samuel Mercier"))


@dataclass(frozen=True)
class Order:
    title: str
    quantities: tuple[int, int, int]  # of the trade's three catalogue items


# A light story's documents, by trade: the company's order (quoted, accepted, invoiced), a
# private customer's invoice (partly credited, the rest paid), the association's open quote.
LIGHT_ORDERS: dict[str, tuple[Order, Order, Order]] = {
    "couture": (Order("Retouche des tenues de travail", (8, 4, 0)),
                Order("Retouches", (2, 1, 0)),
                Order("Costumes pour la fête de quartier", (0, 2, 3))),
    "traiteur": (Order("Buffet de fin d'année", (30, 0, 4)),
                 Order("Repas de famille", (12, 0, 0)),
                 Order("Plateaux repas de l'assemblée générale", (0, 20, 0))),
    "menuiserie": (Order("Aménagement de l'accueil", (3, 2, 4)),
                   Order("Étagère posée", (1, 0, 1)),
                   Order("Bacs pour le jardin partagé", (0, 4, 2))),
    "coiffure": (Order("Journée bien-être du personnel", (6, 0, 3)),
                 Order("Coupes pour la famille", (2, 2, 0)),
                 Order("Après-midi soins à la résidence", (0, 0, 4))),
    "services": (Order("Intervention dans les locaux", (6, 1, 2)),
                 Order("Intervention à domicile", (2, 1, 0)),
                 Order("Aide pour la fête de quartier", (3, 1, 1))),
}
# How the private customer of a light story pays the rest, by the KPA's rank.
LIGHT_METHODS = (PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.CHEQUE,
                 PaymentMethod.TRANSFER)
ASSOCIATION_CONTACTS = ("Samia Khelifi", "Aurélie Vanhove", "Farida Benhamou", "Élodie Lebas",
                        "Nathalie Rousseau", "Corinne Texier")
# The customers' phone numbers follow the KPA's département (Nord otherwise).
AREA_CODES = {"62": "03 21", "17": "05 46"}
STREETS = ("12 rue de la Gare", "4 rue Jean Jaurès", "27 avenue de la République",
           "8 place de l'Église", "3 allée des Tilleuls")


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    number = body + luhn.calc_check_digit(body)
    return str(siren_check.validate(number))


def _siret(siren: str, establishment: int) -> str:
    body = f"{siren}{establishment:04d}"
    return str(siret_check.validate(body + luhn.calc_check_digit(body)))


def vat_number(siren: str) -> str:
    """The French VAT number of a SIREN: FR, a two-digit key, the SIREN; checked by stdnum."""
    number = f"FR{int(siren + '12') % 97:02d}{siren}"
    tva.validate(number)  # raises on a wrong key
    return number


def _iban(structure: Structure) -> str:
    return str(IBAN.generate("FR", bank_code="1027800001",
                             account_code=f"{int(structure.siren) % 10**11:011d}").compact)


# -- who sells ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Seller:
    person: Person
    since: dt.date  # from when their signed CAPE runs without a break up to the story's end
    idea: str  # their activity idea, as the journey keeps it

    @property
    def trade(self) -> str:
        idea = self.idea.lower()
        return next((t for t in ("couture", "traiteur", "menuiserie", "coiffure") if t in idea),
                    "services")


def _running_since(journey: Journey, last: dt.date) -> dt.date | None:
    """The start of the unbroken chain of signed contracts that covers `last`."""
    spans = sorted(journey.contracts.filter(status=Contract.Status.SIGNED)
                   .values_list("starts_on", "ends_on"), reverse=True)
    since = None
    for starts_on, ends_on in spans:
        if since is None:
            if starts_on <= last < ends_on:
                since = starts_on
        elif ends_on == since:
            since = starts_on
    return since


def _sellers(kpa: Kpa, last: dt.date) -> list[_Seller]:
    """The KPA's coopérants whose journey is active, insured and under a signed CAPE on the
    story's last day (persona first: she has a login)."""
    journeys = (Journey.objects.filter(
        kpa=kpa, structure_id=kpa.carrying_structure_id, status=JourneyStatus.ACTIVE,
        insurance_entries__answer=InsuranceEntry.Answer.ACCEPTED)
        .select_related("person__user").distinct().order_by("person_id"))
    found = []
    for journey in journeys:
        since = _running_since(journey, last)
        if since is not None:
            found.append(_Seller(journey.person, since, journey.activity_idea))
    return sorted(found, key=lambda s: (s.person.user_id is None, s.person.pk))


def _current_user(day: dt.date, kind: str, **scope: object) -> User | None:
    role = (Role.objects.current(day).filter(kind=kind, person__user__is_active=True, **scope)
            .select_related("person__user").order_by("starts_on", "pk").first())
    return role.person.user if role is not None else None


def _admin() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _open_year(structure: Structure, today: dt.date) -> FiscalYear | None:
    """The open fiscal year the story's days fall in: the one holding today, else the last
    open one that started before today."""
    years = FiscalYear.objects.filter(structure=structure, starts_on__lte=today,
                                      status=FiscalYear.Status.OPEN).order_by("-starts_on")
    return years.first()


# -- one KPA's story ----------------------------------------------------------------------


def _category(items: Sequence[CatalogItem]) -> str:
    kinds = {item.is_service for item in items}
    if kinds == {True}:
        return OperationCategory.SERVICES
    return OperationCategory.GOODS if kinds == {False} else OperationCategory.MIXED


@dataclass
class _Story:
    """A KPA's selling, scheduled on the plan step by step; each step calls one service on
    its day. The objects exist once their step has run."""

    plan: Plan
    kpa: Kpa
    rank: int
    manager: User  # the structure's gestionnaire
    bookkeeper: User  # its comptable (records transfers and cheques), else the gestionnaire
    sellers: list[_Seller]
    start: dt.date
    last: dt.date
    activities: list[Activity] = field(default_factory=list)
    collective: Activity | None = None  # the KPA's shop, where its till stands
    items: dict[int, list[CatalogItem]] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    till: Till | None = None

    @property
    def structure(self) -> Structure:
        structure = self.kpa.carrying_structure
        assert structure is not None
        return structure

    @property
    def light(self) -> bool:
        return self.rank >= LIGHT_FROM_RANK

    @property
    def shop_spec(self) -> ShopSpec:
        return SHOPS.get(self.kpa.name, FRIPERIE_SHOP)

    @property
    def franchise(self) -> bool:
        return self.structure.vat_regime == Structure.VatRegime.FRANCHISE

    def day(self, ago: int) -> dt.date:
        """The story's day `ago` days before its end, on a story of STORY_DAYS days squeezed
        into the KPA's window when its sellers started later."""
        span = (self.last - self.start).days
        return self.last - dt.timedelta(days=round(ago * span / STORY_DAYS))

    def at(self, ago: int, step: Callable[[dt.date], object]) -> None:
        """Run `step(day)` on the story's day `ago`."""
        day = self.day(ago)
        self.plan.at(day, lambda: step(day))

    # -- set up -----------------------------------------------------------------------------

    def set_up(self) -> None:
        day = self.day(STORY_DAYS)
        self.plan.at(day, lambda: self._activities(day))
        self.plan.at(day, lambda: self._catalogue(day))
        self.plan.at(day, lambda: self._customers(day))

    def _own_activity(self, person: Person, day: dt.date) -> Activity | None:
        membership = (ActivityMembership.objects.current(day)
                      .filter(person=person, activity__kpa=self.kpa,
                              activity__kind=Activity.Kind.INDIVIDUAL)
                      .filter(Q(activity__ended_on__isnull=True)
                              | Q(activity__ended_on__gt=self.last))
                      .select_related("activity").first())
        return membership.activity if membership is not None else None

    def _activities(self, day: dt.date) -> None:
        for seller in self.sellers:
            activity = self._own_activity(seller.person, day)
            if activity is None:
                trade = seller.idea.split(":")[0].strip() or "Activité"
                activity = directory_services.create_activity(
                    actor=self.manager, kpa=self.kpa,
                    name=f"{trade[:80]} ({seller.person.first_name})",
                    kind=Activity.Kind.INDIVIDUAL, started_on=day, today=day,
                    description=seller.idea, members=[seller.person])
            self.activities.append(activity)
        # The KPA's shop, if one of the sellers is in it (its till needs someone who may
        # sell); else a new one with all of them.
        spec = self.shop_spec
        sellers = {s.person.pk for s in self.sellers}
        collective = (Activity.objects.open_on(self.last)
                      .filter(kpa=self.kpa, kind=Activity.Kind.COLLECTIVE,
                              name__icontains=spec.keyword, memberships__person_id__in=sellers,
                              memberships__joined_on__lte=day)
                      .order_by("pk").first())
        if collective is None:
            taken = Activity.objects.open_on(day).filter(kpa=self.kpa,
                                                         name__iexact=spec.name).exists()
            collective = directory_services.create_activity(
                actor=self.manager, kpa=self.kpa,
                name=f"{spec.name} ({self.kpa.district or self.kpa.city})" if taken
                else spec.name,
                kind=Activity.Kind.COLLECTIVE, started_on=day, today=day,
                description=spec.description, members=[s.person for s in self.sellers])
        self.collective = collective
        for seller in self.sellers:
            user = seller.person.user
            if user is not None:
                services.grant_selling_right(
                    actor=self.manager, structure=self.structure, person=seller.person,
                    ceiling=SELF_VALIDATION_CEILING, today=day)

    def _catalogue(self, day: dt.date) -> None:
        catalogues = [(a, CATALOGUES[s.trade]) for a, s in zip(self.activities, self.sellers,
                                                               strict=True)]
        assert self.collective is not None
        catalogues.append((self.collective, self.shop_spec.items))
        for activity, specs in catalogues:
            if activity.pk in self.items:
                continue
            self.items[activity.pk] = [services.create_item(
                actor=self.manager, activity=activity, today=day, name=spec.name,
                is_service=spec.is_service, unit=spec.unit, unit_price=Decimal(spec.price),
                vat_rate=VatRate.NONE if self.franchise else spec.rate) for spec in specs]

    def _customers(self, day: dt.date) -> None:
        """A company, a public body, an association and two private customers; in a light
        story, the company, the association and one private customer."""
        kpa, rank = self.kpa, self.rank
        where = kpa.district or kpa.city
        postcode = self._postcode()
        city = {"postcode": postcode, "city": kpa.city}
        area = AREA_CODES.get(postcode[:2], "03 20")
        seed = 40_000_000 + 1_000 * kpa.pk

        def create(key: str, **fields: Any) -> Customer:
            customer = services.create_customer(actor=self.manager, structure=self.structure,
                                                today=day, **fields, **city)
            self.customers[key] = customer
            return customer

        company_siren = _siren(seed + 1)
        company = create("company", kind=Customer.Kind.COMPANY,
                         name=COMPANIES[rank % len(COMPANIES)], siren=company_siren,
                         siret=_siret(company_siren, 12), vat_number=vat_number(company_siren),
                         email=f"contact@entreprise-{kpa.pk}.exemple.org",
                         phone=f"{area} 11 22 33", address=STREETS[0])
        name, role = COMPANY_CONTACTS[rank % len(COMPANY_CONTACTS)]
        services.add_contact(actor=self.manager, customer=company, name=name, role=role,
                             email=f"{name.split()[0].lower()}@entreprise-{kpa.pk}.exemple.org",
                             today=day)
        if not self.light:
            # Public bodies' SIRENs begin with 2 (communes and their CCAS).
            public_siren = _siren(21_000_000 + seed % 1_000_000 + 2)
            public = create("public", kind=Customer.Kind.PUBLIC, name=f"CCAS de {kpa.city}",
                            siren=public_siren, siret=_siret(public_siren, 18),
                            email=f"achats@ccas-{kpa.pk}.exemple.org", address=STREETS[1])
            services.add_contact(actor=self.manager, customer=public, name="Hervé Lambin",
                                 role="service des solidarités", phone=f"{area} 44 55 66",
                                 today=day)
        association_siren = _siren(seed + 3)
        association = create(
            "association", kind=Customer.Kind.ASSOCIATION,
            name=f"Maison de quartier {where}", siren=association_siren,
            siret=_siret(association_siren, 15),
            email=f"accueil@mdq-{kpa.pk}.exemple.org", address=STREETS[2])
        services.add_contact(actor=self.manager, customer=association,
                             name=ASSOCIATION_CONTACTS[rank % len(ASSOCIATION_CONTACTS)],
                             role="directrice", today=day)
        first, second = PEOPLE[rank % len(PEOPLE)]
        create("person", kind=Customer.Kind.INDIVIDUAL, name=first,
               email=f"client.{kpa.pk}.1@exemple.org", phone="06 12 34 56 78",
               address=STREETS[3])
        if not self.light:
            create("person2", kind=Customer.Kind.INDIVIDUAL, name=second, address=STREETS[4])

    def _postcode(self) -> str:
        place = self.kpa.places.order_by("pk").first()
        return place.postcode if place is not None and place.postcode else ""

    # -- documents --------------------------------------------------------------------------

    def _activity(self, which: str) -> Activity:
        """The "main" activity (the first seller's: the persona's where she sells) or the
        "other" one (the second seller's, or the same when the KPA has one seller)."""
        return self.activities[1 if which == "other" and len(self.activities) > 1 else 0]

    def _seller_user(self, activity: Activity) -> User | None:
        """The login of the activity's seller, when they have one (the persona)."""
        for own, seller in zip(self.activities, self.sellers, strict=True):
            if own.pk == activity.pk and seller.person.user is not None:
                return seller.person.user
        return None

    def _drafter(self, activity: Activity) -> User:
        return self._seller_user(activity) or self.manager

    def _lines(self, activity: Activity, quantities: Sequence[int]) -> list[LineInput]:
        """One line per catalogue item with a quantity (0: not on this document)."""
        items = self.items[activity.pk]
        return [LineInput(item=item, quantity=q)
                for item, q in zip(items, quantities, strict=False) if q]

    def _fields(self, activity: Activity, quantities: Sequence[int], title: str,
                **extra: Any) -> dict[str, Any]:
        items = [i for i, q in zip(self.items[activity.pk], quantities, strict=False) if q]
        return {"title": title, "operation_category": _category(items), **extra}

    def draft(self, key: str, ago: int, *, which: str, customer: str,
              quantities: Sequence[int], title: str, submit: bool = True,
              **extra: Any) -> None:
        """The seller drafts (and submits, when they have a login) an invoice."""
        day = self.day(ago)

        def step() -> None:
            activity = self._activity(which)
            actor = self._drafter(activity)
            invoice = documents.create_invoice(
                actor=actor, activity=activity, customer=self.customers[customer],
                lines=self._lines(activity, quantities), today=day,
                service_date=day - dt.timedelta(days=2),
                **self._fields(activity, quantities, title, **extra))
            if submit and actor != self.manager:
                invoice = documents.submit_invoice(actor=actor, invoice=invoice, today=day)
            self.invoices[key] = invoice
        self.plan.at(day, step)

    def issue(self, key: str, ago: int, *, by_seller: bool = False) -> None:
        day = self.day(ago)

        def step() -> None:
            invoice = self.invoices[key]
            actor = self._seller_user(invoice.activity) if by_seller else None
            self.invoices[key] = documents.issue_invoice(
                actor=actor or self.manager, invoice=invoice, today=day)
        self.plan.at(day, step)

    def pay(self, key: str, ago: int, method: str, *, share: Decimal | None = None,
            reference: str = "") -> None:
        """A payment of the balance due (or of `share` of the invoice's total)."""
        day = self.day(ago)

        def step() -> None:
            invoice = Invoice.objects.get(pk=self.invoices[key].pk)
            amount = (quantize(invoice.total_incl_vat * share) if share is not None
                      else payments.balance_due(invoice))
            at_the_shop = method in (PaymentMethod.CASH, PaymentMethod.CARD)
            actor = (self._seller_user(invoice.activity) if at_the_shop else None)
            payments.record_payment(
                actor=actor or (self.manager if at_the_shop else self.bookkeeper),
                invoice=invoice, amount=amount, method=method, received_on=day, today=day,
                reference=reference)
        self.plan.at(day, step)

    def quote(self, key: str, ago: int, *, which: str, customer: str,
              quantities: Sequence[int], title: str, send: bool = True, **extra: Any) -> None:
        day = self.day(ago)

        def step() -> None:
            activity = self._activity(which)
            actor = self._drafter(activity)
            quote = documents.create_quote(
                actor=actor, activity=activity, customer=self.customers[customer],
                lines=self._lines(activity, quantities), today=day,
                **self._fields(activity, quantities, title, **extra))
            if send:
                quote = documents.send_quote(actor=actor, quote=quote, today=day)
            self.quotes[key] = quote
        self.plan.at(day, step)

    def _trade(self, which: str) -> str:
        return self.sellers[1 if which == "other" and len(self.sellers) > 1 else 0].trade

    def story(self) -> None:
        """Eight weeks of selling, from the oldest day to today. The first KPA shows every
        case; the second the usual ones; the others a light story (each PDF costs about half a
        second to render)."""
        if self.light:
            self._light_story()
            return
        full = self.rank == 0
        if full:
            # A company's order, partly paid by transfer; the balance is overdue.
            self.draft("partly_paid", 55, which="main", customer="company",
                       quantities=[4, 2, 3], title="Commande de l'atelier",
                       purchase_order="BC-0412")
            self.issue("partly_paid", 54)
            self.pay("partly_paid", 40, PaymentMethod.TRANSFER, share=Decimal("0.5"),
                     reference="VIR ACOMPTE BC-0412")

        # The public body accepts a quote through its link; in the first KPA a deposit
        # follows, then the final invoice after the event, not due yet.
        self.quote("event", 52, which="other", customer="public",
                   quantities=EVENT_QUANTITIES[self._trade("other")],
                   title="Fête des solidarités", purchase_order="ENG-2026-118")
        self.at(50, lambda day: self._accept(day, "event", "Hervé Lambin, CCAS"))
        if full:
            self.at(49, lambda day: self._deposit(day, "event", "deposit"))
            self.issue("deposit", 49)
            self.pay("deposit", 44, PaymentMethod.TRANSFER, reference="MANDAT 2026-0871")
            self.at(21, lambda day: self._final(day, "event", "final"))
            self.issue("final", 20)

        # An association that has not paid: overdue, the daily run will remind it.
        self.draft("overdue", 50, which="other", customer="association", quantities=[0, 1, 2],
                   title="Atelier du mercredi")
        self.issue("overdue", 50)

        # A private customer pays by card the day the seller issues her own invoice (the
        # gestionnaire issues it for a seller without a login).
        self.draft("card", 47, which="main", customer="person", quantities=[1, 1, 0],
                   title="Commande", submit=False)
        self.issue("card", 47, by_seller=True)
        self.pay("card", 47, PaymentMethod.CARD)

        # A refused quote.
        self.quote("refused", 35, which="main", customer="person2", quantities=[0, 0, 6],
                   title="Projet sur mesure")
        self.at(25, lambda day: self._refuse(day, "refused"))

        # An invoice partly credited (delivered late), the rest paid by cheque.
        self.draft("credited", 40, which="main", customer="company", quantities=[2, 1, 0],
                   title="Commande de septembre")
        self.issue("credited", 39)
        self.at(33, lambda day: self._credit(day, "credited", "credit_note"))
        self.issue("credit_note", 33)
        self.pay("credited", 30, PaymentMethod.CHEQUE, reference="Chèque n° 4471023")

        if full:
            # A private customer pays cash.
            self.draft("cash", 10, which="other", customer="person", quantities=[1, 0, 0],
                       title="Commande", submit=False)
            self.issue("cash", 10)
            self.pay("cash", 10, PaymentMethod.CASH)

        # Quotes still open: one sent, one being written; an invoice waiting for validation
        # (a draft where the gestionnaire writes for the seller).
        self.quote("sent", 12, which="other", customer="association", quantities=[2, 1, 1],
                   title="Proposition pour la fête de quartier")
        self.quote("draft", 2, which="main", customer="company", quantities=[1, 0, 2],
                   title="Devis à finaliser", send=False)
        self.draft("submitted", 1, which="main", customer="person2", quantities=[2, 0, 0],
                   title="Commande")

    def _light_story(self) -> None:
        """Three issued documents over the KPA's weeks of selling (squeezed, as every story,
        into the time its seller has held a CAPE)."""
        order, private, proposal = LIGHT_ORDERS[self._trade("main")]
        contact, _role = COMPANY_CONTACTS[self.rank % len(COMPANY_CONTACTS)]

        # The company accepts a quote through its link; the invoice follows the work. In one
        # light KPA out of two it went out early and is overdue now; in the others it is not
        # due yet.
        invoiced = 52 if self.rank % 2 == 0 else 10
        self.quote("order", 55, which="main", customer="company",
                   quantities=order.quantities, title=order.title,
                   purchase_order=f"BC-{self.kpa.pk:02d}{self.rank}7")
        self.at(54, lambda day: self._accept(day, "order", contact))
        self.at(invoiced, lambda day: self._final(day, "order", "ordered"))
        self.issue("ordered", invoiced)

        # A private customer's invoice, partly credited; the rest paid.
        self.draft("credited", 45, which="main", customer="person",
                   quantities=private.quantities, title=private.title)
        self.issue("credited", 44)
        self.at(38, lambda day: self._credit(day, "credited", "credit_note",
                                             reason="rendez-vous reporté"))
        self.issue("credit_note", 38)
        method = LIGHT_METHODS[self.rank % len(LIGHT_METHODS)]
        self.pay("credited", 34, method, reference={
            PaymentMethod.CHEQUE: f"Chèque n° {5_200_000 + 37 * self.kpa.pk}",
            PaymentMethod.TRANSFER: "VIR CLIENT"}.get(method, ""))

        # A quote sent to the association, still open.
        self.quote("sent", 8, which="main", customer="association",
                   quantities=proposal.quantities, title=proposal.title)

    def _accept(self, day: dt.date, key: str, name: str) -> None:
        quote = self.quotes[key]
        self.quotes[key] = documents.accept_quote_by_link(
            token=quote.acceptance_token, name=name, today=day)

    def _deposit(self, day: dt.date, key: str, into: str) -> None:
        quote = self.quotes[key]
        self.invoices[into] = documents.deposit_from_quote(
            actor=self.manager, quote=quote, percent=DEPOSIT_PERCENT, today=day)

    def _final(self, day: dt.date, key: str, into: str) -> None:
        self.invoices[into] = documents.invoice_from_quote(
            actor=self.manager, quote=self.quotes[key], today=day)

    def _refuse(self, day: dt.date, key: str) -> None:
        quote = self.quotes[key]
        self.quotes[key] = documents.refuse_quote(
            actor=self._drafter(quote.activity), quote=quote, today=day)

    def _credit(self, day: dt.date, key: str, into: str, *,
                reason: str = "livraison en retard") -> None:
        invoice = self.invoices[key]
        gesture = quantize(invoice.total_excl_vat * Decimal("0.2"))
        line = invoice.lines.order_by("position").first()
        assert line is not None
        self.invoices[into] = documents.create_credit_note(
            actor=self.manager, invoice=invoice, today=day,
            title=f"Geste commercial : {reason}",
            lines=[LineInput(description=f"Remise pour {reason}", quantity=1,
                             unit_price=gesture, vat_rate=line.vat_rate,
                             is_service=line.is_service)])

    # -- the till ---------------------------------------------------------------------------

    def shop(self) -> None:
        days = [self.last - dt.timedelta(days=ago)
                for ago in (LIGHT_TILL_DAYS if self.light else TILL_DAYS)]
        days = sorted({d for d in days if d >= self.day(STORY_DAYS)})
        opened = days[0] if days else self.last
        self.plan.at(opened, lambda: self._open_till(opened))
        for number, day in enumerate(days):
            self.plan.at(day, partial(self._sales, day, number))
            self.plan.at(day, partial(self._close, day))
        if self.last == self.plan.today:
            self.plan.at(self.last, lambda: self._sales(self.last, len(days), count=2))

    def _till_user(self) -> User:
        assert self.collective is not None
        members = ActivityMembership.objects.current(self.last).filter(
            activity=self.collective, person__user__isnull=False).select_related("person__user")
        for membership in members.order_by("joined_on", "pk"):
            user = membership.person.user
            if user is not None and any(s.person.pk == membership.person_id
                                        for s in self.sellers):
                return user
        return self.manager

    def _open_till(self, day: dt.date) -> None:
        assert self.collective is not None
        self.till = till.open_till(actor=self._till_user(), activity=self.collective,
                                   name="Comptoir", today=day)

    def _sales(self, day: dt.date, number: int, count: int = 4) -> None:
        assert self.till is not None
        assert self.collective is not None
        first, second, third = self.items[self.collective.pk]
        spec = self.shop_spec
        baskets: list[tuple[list[TillLineInput], str]] = [
            ([till.item_line(first, quantity=2, franchise=self.franchise),
              till.item_line(second, quantity=3, franchise=self.franchise)], PaymentMethod.CASH),
            ([till.item_line(third, quantity=1, franchise=self.franchise)], PaymentMethod.CARD),
            ([TillLineInput(description=spec.loose, quantity=1,
                            unit_price_incl_vat=Decimal("10.00"),
                            vat_rate=VatRate.NONE if self.franchise else spec.loose_rate)],
             PaymentMethod.CASH),
            ([till.item_line(first, quantity=1, franchise=self.franchise),
              till.item_line(third, quantity=1, franchise=self.franchise)], PaymentMethod.CHEQUE
             if number % 2 else PaymentMethod.CARD),
        ]
        actor = self._till_user()
        for offset in range(count):
            lines, method = baskets[(number + offset) % len(baskets)]
            till.record_sale(actor=actor, till=self.till, lines=lines, method=method, today=day)

    def _close(self, day: dt.date) -> None:
        assert self.till is not None
        till.close_day(actor=self._till_user(), till=self.till, day=day, today=day)


# -- entry points -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSalesResult:
    created: bool
    kpas: int = 0
    customers: int = 0
    quotes: int = 0
    issued: int = 0  # invoices, deposits and credit notes
    closings: int = 0
    tickets: int = 0
    seconds: float = 0.0
    skipped: str = ""


def _demo_structures() -> list[Structure]:
    return list(Structure.objects.filter(network__name=NETWORK_NAME,
                                         pk__in=Books.objects.values("structure_id"))
                .order_by("pk"))


def _counts(created: bool, kpas: int, seconds: float = 0.0) -> DemoSalesResult:
    structures = _demo_structures()
    return DemoSalesResult(
        created=created, kpas=kpas,
        customers=Customer.objects.filter(structure__in=structures).count(),
        quotes=Quote.objects.filter(structure__in=structures).count(),
        issued=Invoice.objects.filter(structure__in=structures,
                                      status=Invoice.Status.ISSUED).count(),
        closings=TillClosing.objects.filter(till__activity__structure__in=structures).count(),
        tickets=TillTicket.objects.filter(till__activity__structure__in=structures).count(),
        seconds=seconds)


def _selling_kpas() -> int:
    return (Kpa.objects.filter(network__name=NETWORK_NAME,
                               activities__tills__isnull=False).distinct().count())


def _set_up_structure(plan: Plan, structure: Structure, day: dt.date) -> bool:
    """The structure's selling settings: legal form, VAT number, IBAN. False without anyone
    allowed to set them."""
    actor = _current_user(day, RoleKind.GESTIONNAIRE, structure=structure) or _admin()
    if actor is None:
        return False
    franchise = structure.vat_regime == Structure.VatRegime.FRANCHISE
    legal_form = ("Association loi 1901" if structure.kind == Structure.Kind.ASSOCIATION
                  else f"SCOP SARL à capital variable, RCS {structure.city}")
    plan.at(day, lambda: services.update_settings(
        actor=actor, structure=structure, today=day, legal_form_text=legal_form,
        vat_number="" if franchise else vat_number(structure.siren), iban=_iban(structure)))
    return True


def seed_demo_sales(*, today: dt.date) -> DemoSalesResult:
    started = time.perf_counter()
    structures = _demo_structures()
    if not structures:
        return DemoSalesResult(False, skipped="pas de comptabilité de démonstration")
    if Customer.objects.filter(structure__in=structures).exists():
        return _counts(False, _selling_kpas())
    plan = Plan(today)
    stories: list[_Story] = []
    for structure in structures:
        year = _open_year(structure, today)
        if year is None:
            continue
        last = min(today, year.ends_on - dt.timedelta(days=1))
        # A structure without a gestionnaire who logs in (the association of La Rochelle) is
        # run by the platform administrator, as in its demo books.
        manager = _current_user(last, RoleKind.GESTIONNAIRE, structure=structure) or _admin()
        if manager is None:
            continue
        bookkeeper = _current_user(last, RoleKind.COMPTABLE, structure=structure) or manager
        kpas = Kpa.objects.filter(network__name=NETWORK_NAME,
                                  carrying_structure=structure).order_by("pk")
        for kpa in kpas:
            sellers = _sellers(kpa, last)
            if not sellers:
                continue
            manager_since = (Role.objects.filter(person__user=manager,
                                                 kind=RoleKind.GESTIONNAIRE,
                                                 structure=structure)
                             .order_by("starts_on").values_list("starts_on", flat=True).first())
            start = max([last - dt.timedelta(days=STORY_DAYS), year.starts_on,
                         *(s.since for s in sellers), manager_since or year.starts_on])
            if start >= last:
                continue
            stories.append(_Story(plan, kpa, len(stories), manager, bookkeeper, sellers,
                                  start, last))
    if not stories:
        return DemoSalesResult(False, skipped="aucun·e coopérant·e en CAPE assuré·e")
    first_day = min(s.start for s in stories)
    for structure in structures:
        _set_up_structure(plan, structure, first_day)
    for story in stories:
        story.set_up()
        story.story()
        story.shop()
    # Invented addresses: no quote nor invoice is e-mailed (nor its PDF rendered for the
    # mail), the notices stay in the platform.
    with mock.patch.object(notifications, "_send", no_mail), \
            mock.patch.object(delivery, "send_invoice_after_commit", _not_sent), \
            mock.patch.object(delivery, "send_quote_after_commit", _quote_not_sent), \
            transaction.atomic():
        plan.play()
    return _counts(True, len(stories), time.perf_counter() - started)


def _not_sent(invoice: Invoice) -> None:
    """Stands for `delivery.send_invoice_after_commit` while the demo is built."""


def _quote_not_sent(quote: Quote, *, today: dt.date) -> None:
    """Stands for `delivery.send_quote_after_commit` while the demo is built."""


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_sales(today=today)
    if result.skipped:
        return f"Ventes : rien à faire ({result.skipped})."
    verb = "créées" if result.created else "déjà présentes"
    return (f"Ventes {verb} : {result.kpas} KPA, {result.customers} clients, "
            f"{result.quotes} devis, {result.issued} factures et avoirs émis, "
            f"{result.tickets} tickets de caisse, {result.closings} clôtures.")
