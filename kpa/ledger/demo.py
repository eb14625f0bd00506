"""Demo books for every structure of the demo network: a plausible 2025, closed, then 2026 so far.

`seed_demo_books` opens the books of the CAE (PCG) and of both associations (ANC 2018-06 chart),
creates their customers, suppliers and treasury accounts (one per coopérant followed, one common
pot per KPA), and posts a year of life through the ledger's own services: opening capital or
fonds propres, subsidies, coopérants' sales (with VAT under the normal regime, none under the
franchise) and purchases, customer payments by bank or cash, bank fees, insurance, rent, the
CAE's payroll, the associations' volunteering (classes 86/87). 2025 is lettered and closed on
31 March 2026 (`close_fiscal_year` writes 2026's à-nouveaux), its result is allocated at the
general assembly in June, and 2026 runs up to `today`, with a few drafts left.

Who acts: the structure's current comptable if it has one (the CAE), otherwise the platform
administrator (the associations have no comptable in the demo). Every setting-up service, the
lettering, the closing and the allocation go through their gates. Entries are posted with
`services.post_entry`, as other apps do, after checking the same gate once for `today`: the
entries are back-dated history, and their validation dates (`today` of `_validate`) are days of
2025 and 2026, before the CAE's comptable took the role (5 January 2026).

Deterministic (one `random.Random` per structure, seeded by its SIREN) and idempotent: a
structure whose books are open is left alone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Sum

from kpa.core.money import quantize
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import Kpa, Person, Role, RoleKind, Structure
from kpa.ledger import closing, lettering, permissions, services
from kpa.ledger.models import (
    ZERO,
    Account,
    Books,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    ThirdParty,
    TreasuryAccount,
)
from kpa.ledger.services import LineInput

FIRST_YEAR_START = dt.date(2025, 1, 1)
FIRST_YEAR_END = dt.date(2026, 1, 1)  # exclusive, like every period
SECOND_YEAR_END = dt.date(2027, 1, 1)
CLOSING_DAY = dt.date(2026, 3, 31)  # the accountant closes 2025 at the end of March
ALLOCATION_DAY = dt.date(2026, 6, 18)  # the general assembly approves the accounts
EARLIEST_TODAY = CLOSING_DAY + dt.timedelta(days=1)
VOLUNTEER_HOUR = Decimal("11.88")  # SMIC horaire brut 2025, to value volunteering (875/864)
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")


@dataclass(frozen=True)
class StructureBooks:
    """What the demo holds for one structure."""

    name: str
    created: bool
    entries_2025: int
    entries_2026: int
    drafts: int
    result_2025: Decimal | None


@dataclass(frozen=True)
class DemoBooksResult:
    structures: tuple[StructureBooks, ...]
    seconds: float = 0.0
    skipped: str = ""  # why nothing was done, if nothing was

    @property
    def created(self) -> bool:
        return any(s.created for s in self.structures)

    @property
    def entries(self) -> int:
        return sum(s.entries_2025 + s.entries_2026 for s in self.structures)


# -- what each structure does -------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    label: str
    sale_account: str  # 706 prestations, 707 marchandises
    purchase_account: str  # 601 matières, 606 fournitures, 607 marchandises
    supplier: str  # key of SUPPLIERS
    vat_rate: Decimal
    low: int  # a sale's amount, excluding VAT, in euros
    high: int
    institutional: bool  # also sells to the mairie, the centre social, the bailleur


ACTIVITIES = (
    Activity("Couture et retouches", "706", "601", "fabric", Decimal("0.20"), 40, 420, True),
    Activity("Traiteur du monde", "707", "607", "food", Decimal("0.10"), 120, 900, True),
    Activity("Friperie solidaire", "707", "607", "clothes", Decimal("0.20"), 20, 160, False),
    Activity("Menuiserie de récupération", "706", "606", "hardware", Decimal("0.20"), 150, 1200,
             True),
    Activity("Coiffure et soins à domicile", "706", "606", "beauty", Decimal("0.20"), 30, 90,
             False),
)
SUPPLIERS = {
    "fabric": "Tissus du Nord, grossiste en tissus",
    "food": "Delcourt Alimentaire, grossiste",
    "clothes": "Fripes en gros Atlantique",
    "hardware": "Quincaillerie Vandenbroucke",
    "beauty": "Cosmétiques Pro Distribution",
}
INDIVIDUALS = ("Mme Fatou Diallo", "M. Kévin Lemaire", "Mme Yasmina Cherif", "M. Bernard Dupuis",
               "Mme Chloé Vasseur", "M. Ahmed Benyahia", "Mme Lucie Carpentier",
               "M. Paulo Ferreira")


@dataclass(frozen=True)
class Profile:
    cooperants_per_kpa: int
    sale_rate: float  # chance that a coopérant invoices in a given month
    purchase_rate: float
    equity: tuple[str, Decimal, str]  # account, amount, label
    subsidies: tuple[tuple[int, int, str, Decimal], ...]  # month, day, label, amount
    insurance: Decimal
    rent: tuple[int, int]  # a quarter's rent of each KPA's place, range in euros
    salaried: int = 0  # coopérants under a CESA (entrepreneurs-salariés), paid monthly
    services: tuple[str, str, int, int] | None = None  # label, account, range: each quarter
    volunteering: bool = False  # classes 86/87
    member_fees: bool = False  # 7561
    grocery: bool = False  # a shared grocery: monthly takings in cash, food bought


PROFILES = {
    "cae": Profile(
        cooperants_per_kpa=2, sale_rate=0.15, purchase_rate=0.07, salaried=3,
        equity=("1013", Decimal("15000.00"), "Capital souscrit par les sociétaires"),
        subsidies=((3, 14, "Subvention de fonctionnement de la Région", Decimal("18000.00")),
                   (6, 20, "Subvention de la Métropole (accompagnement)", Decimal("12000.00")),
                   (9, 25, "Aide de l'État aux CAE (politique de la ville)", Decimal("8000.00"))),
        insurance=Decimal("1450.00"), rent=(450, 900),
    ),
    "asso": Profile(
        cooperants_per_kpa=3, sale_rate=0.35, purchase_rate=0.12,
        equity=("102", Decimal("8000.00"), "Fonds propres sans droit de reprise"),
        subsidies=((2, 27, "Subvention de la Ville (contrat de ville)", Decimal("4500.00")),
                   (5, 15, "Subvention de la CAF (animation collective)", Decimal("3000.00"))),
        insurance=Decimal("620.00"), rent=(300, 520),
        services=("Animation des ateliers collectifs (prestation)", "611", 1200, 1600),
        volunteering=True, member_fees=True,
    ),
    "local": Profile(
        cooperants_per_kpa=0, sale_rate=0.0, purchase_rate=0.0,
        equity=("102", Decimal("3000.00"), "Fonds propres sans droit de reprise"),
        subsidies=((4, 10, "Subvention de la Ville (épicerie partagée)", Decimal("1500.00")),),
        insurance=Decimal("380.00"), rent=(240, 360),
        volunteering=True, member_fees=True, grocery=True,
    ),
}


def profile_key(structure: Structure) -> str:
    if structure.kind == Structure.Kind.CAE:
        return "cae"
    return "asso" if structure.carried_kpas.exists() else "local"


# -- the plan of a year -------------------------------------------------------------------


@dataclass
class Planned:
    """An entry to post, or an action (the allocation) to run, on `date`."""

    date: dt.date
    journal: str = ""
    label: str = ""
    lines: list[LineInput] = field(default_factory=list)
    piece_ref: str = ""
    validate: bool = True
    action: Callable[[], object] | None = None


@dataclass(frozen=True)
class Cooperant:
    treasury: TreasuryAccount
    activity: Activity
    sale_rate: float
    gross_pay: Decimal  # monthly, under a CESA; zero under a CAPE (not an employee)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _some_day(rng: random.Random, month: dt.date) -> dt.date:
    return month.replace(day=rng.randint(1, calendar.monthrange(month.year, month.month)[1]))


def _euros(rng: random.Random, low: int, high: int) -> Decimal:
    return quantize(Decimal(rng.randint(low * 100, high * 100)) / 100)


def _price(rng: random.Random, low: int, high: int, step: int = 5) -> Decimal:
    """Whole euros, in steps of `step`, as small traders price (VAT then falls on whole
    euros too)."""
    return quantize(rng.randint(max(low // step, 1), max(high // step, 1)) * step)


@dataclass
class _Books:
    """One structure's books being filled: its accounts, journals, tiers and treasuries."""

    structure: Structure
    actor: User
    profile: Profile
    rng: random.Random
    accounts: dict[str, Account]
    journals: dict[str, Journal]
    institutions: list[ThirdParty]
    individuals: list[ThirdParty]
    suppliers: dict[str, ThirdParty]
    cooperants: list[Cooperant]
    pots: list[tuple[TreasuryAccount, Kpa]]
    invoice_numbers: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    supplier_numbers: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def vat(self) -> bool:
        return self.structure.vat_regime == Structure.VatRegime.NORMAL

    def line(self, number: str, *, debit: Decimal = ZERO, credit: Decimal = ZERO,
             third_party: ThirdParty | None = None, treasury: TreasuryAccount | None = None,
             label: str = "") -> LineInput:
        return LineInput(self.accounts[number], debit=debit, credit=credit, label=label,
                         third_party=third_party, treasury_account=treasury)

    def transfer(self, day: dt.date, journal: str, label: str, debit: str, credit: str,
                 amount: Decimal, piece_ref: str = "") -> Planned:
        """An entry of two lines: `amount` from `credit` to `debit`."""
        return Planned(day, journal, label, [self.line(debit, debit=amount),
                                             self.line(credit, credit=amount)], piece_ref)

    # -- one year ---------------------------------------------------------------------------

    def year(self, start: dt.date, last: dt.date, *, first: bool) -> list[Planned]:
        """Every operation from `start` to `last` (inclusive); what falls due later is left
        open, as it is at a year's end."""
        profile, rng, year = self.profile, self.rng, start.year
        plan: list[Planned] = []
        if first:
            account, amount, label = profile.equity
            plan.append(self.transfer(dt.date(year, 1, 2), "OD", label, "512", account, amount))
        plan.append(self.transfer(dt.date(year, 1, 15), "BQ1",
                                  f"Assurance multirisque et responsabilité civile {year}",
                                  "616", "512", profile.insurance))
        for number, day, label, amount in profile.subsidies:
            plan.append(self.transfer(dt.date(year, number, day), "BQ1", f"{label} {year}",
                                      "512", "741", amount, f"CONV-{year}-{number:02d}"))
        vat = [ZERO, ZERO]  # collected, deductible this quarter
        social, cash = ZERO, ZERO
        sold: set[int] = set()
        month = start
        while month <= last:
            end = _month_end(month)
            for cooperant in self.cooperants:
                # Every coopérant sells at least once a year: none has an empty treasury.
                if rng.random() < cooperant.sale_rate or (
                        end >= last and cooperant.treasury.pk not in sold):
                    sold.add(cooperant.treasury.pk)
                    cash += self._sale(plan, month, cooperant, vat)
                if rng.random() < profile.purchase_rate:
                    activity = cooperant.activity
                    plan += self._supplier_invoice(
                        _some_day(rng, month), self.suppliers[activity.supplier],
                        activity.purchase_account, _price(rng, 40, 320),
                        f"Achats {activity.label.lower()}", cooperant.treasury, vat)
            if profile.grocery:
                cash += self._grocery(plan, month, end, vat)
            if month.month in (9, 10) and profile.member_fees:
                cash += self._member_fees(plan, month)
            if any(c.gross_pay for c in self.cooperants):
                social += self._payroll(plan, end)
            if month.month in (1, 4, 7, 10):
                plan.append(self._rents(month))
            if end.month % 3 == 0:
                plan += self._quarter_end(end, vat, social, cash)
                vat, social, cash = [ZERO, ZERO], ZERO, ZERO
            month = end + dt.timedelta(days=1)
        return [p for p in plan if start <= p.date <= last]

    def _sale(self, plan: list[Planned], month: dt.date, cooperant: Cooperant,
              vat: list[Decimal]) -> Decimal:
        """An invoice, and its payment: institutions by transfer, people in cash or by card.
        Returns the cash received."""
        rng, activity, treasury = self.rng, cooperant.activity, cooperant.treasury
        day = _some_day(rng, month)
        institutional = activity.institutional and rng.random() < 0.5
        customer = rng.choice(self.institutions if institutional else self.individuals)
        net = _price(rng, activity.low, activity.high, 10 if self.vat else 1)
        net *= 2 if institutional else 1
        tax = quantize(net * activity.vat_rate) if self.vat else ZERO
        total = net + tax
        self.invoice_numbers[day.year] += 1
        ref = f"F{day.year}-{self.invoice_numbers[day.year]:04d}"
        lines = [self.line("411", debit=total, third_party=customer, treasury=treasury),
                 self.line(activity.sale_account, credit=net, treasury=treasury)]
        if tax:
            lines.append(self.line("44571", credit=tax, treasury=treasury))
            vat[0] += tax
        invoice = Planned(day, "VT", f"{activity.label} - {customer.name}", lines, ref)
        label = f"Règlement {ref} - {customer.name}"
        if institutional or rng.random() < 0.5:
            paid = day + dt.timedelta(days=rng.randint(15, 45) if institutional
                                      else rng.randint(0, 6))
            journal, account = "BQ1", "512"
        else:
            paid, journal, account, label = day, "CA", "530", f"{label} (espèces)"
        plan += [invoice, Planned(paid, journal, label, [
            self.line(account, debit=total, treasury=treasury),
            self.line("411", credit=total, third_party=customer, treasury=treasury)], ref)]
        return total if journal == "CA" else ZERO

    def _supplier_invoice(self, day: dt.date, supplier: ThirdParty, account: str, net: Decimal,
                          label: str, treasury: TreasuryAccount | None,
                          vat: list[Decimal]) -> list[Planned]:
        tax = quantize(net * Decimal("0.20")) if self.vat else ZERO
        total = net + tax
        self.supplier_numbers[supplier.pk] += 1
        ref = f"{supplier.code}-{day.year % 100:02d}{self.supplier_numbers[supplier.pk]:03d}"
        lines = [self.line(account, debit=net, treasury=treasury)]
        if tax:
            lines.append(self.line("44566", debit=tax, treasury=treasury))
            vat[1] += tax
        lines.append(self.line("401", credit=total, third_party=supplier, treasury=treasury))
        paid = day + dt.timedelta(days=self.rng.randint(10, 30))
        return [Planned(day, "AC", f"{label} - {supplier.name}", lines, ref),
                Planned(paid, "BQ1", f"Paiement {ref} - {supplier.name}", [
                    self.line("401", debit=total, third_party=supplier, treasury=treasury),
                    self.line("512", credit=total, treasury=treasury)], ref)]

    def _grocery(self, plan: list[Planned], month: dt.date, end: dt.date,
                 vat: list[Decimal]) -> Decimal:
        """The shared grocery: food bought every other month, the month's takings in cash
        (returned)."""
        pot = self.pots[0][0]
        if month.month % 2:
            plan += self._supplier_invoice(_some_day(self.rng, month), self.suppliers["food"],
                                           "607", _price(self.rng, 750, 1150),
                                           "Approvisionnement de l'épicerie", pot, vat)
        if month.month % 3 == 0:  # paniers solidaires for an institution
            customer = self.rng.choice(self.institutions)
            net = _price(self.rng, 90, 260, 1)
            self.invoice_numbers[month.year] += 1
            ref = f"F{month.year}-{self.invoice_numbers[month.year]:04d}"
            day = _some_day(self.rng, month)
            plan += [
                Planned(day, "VT", f"Paniers solidaires - {customer.name}", [
                    self.line("411", debit=net, third_party=customer, treasury=pot),
                    self.line("707", credit=net, treasury=pot)], ref),
                Planned(day + dt.timedelta(days=self.rng.randint(20, 40)), "BQ1",
                        f"Règlement {ref} - {customer.name}", [
                            self.line("512", debit=net, treasury=pot),
                            self.line("411", credit=net, third_party=customer, treasury=pot)],
                        ref),
            ]
        takings = _euros(self.rng, 280, 520)
        plan.append(Planned(end, "CA", f"Recettes de l'épicerie partagée - "
                                       f"{MONTHS[end.month - 1]} {end.year}", [
            self.line("530", debit=takings, treasury=pot),
            self.line("707", credit=takings, treasury=pot)]))
        return takings

    def _member_fees(self, plan: list[Planned], month: dt.date) -> Decimal:
        members = self.rng.randint(6, 14)
        fee = Decimal("15.00")
        plan.append(self.transfer(month.replace(day=self.rng.randint(3, 27)), "CA",
                                  f"Cotisations de {members} adhérent·es ({fee} €)", "530",
                                  "7561", fee * members))
        return fee * members

    def _payroll(self, plan: list[Planned], end: dt.date) -> Decimal:
        """The entrepreneurs-salariés' pay: the entry, then the transfer, on the last day, each
        line on its coopérant's treasury (what is paid and owed comes off their available).
        Returns the social contributions due."""
        lines: list[LineInput] = []
        paid: list[LineInput] = []
        social = ZERO
        for cooperant in self.cooperants:
            gross = cooperant.gross_pay
            if not gross:
                continue
            treasury = cooperant.treasury
            employer, employee = quantize(gross * Decimal("0.25")), quantize(
                gross * Decimal("0.22"))
            lines += [self.line("641", debit=gross, treasury=treasury),
                      self.line("645", debit=employer, treasury=treasury),
                      self.line("421", credit=gross - employee, treasury=treasury),
                      self.line("431", credit=employee + employer, treasury=treasury)]
            paid += [self.line("421", debit=gross - employee, treasury=treasury),
                     self.line("512", credit=gross - employee, treasury=treasury)]
            social += employee + employer
        period = f"{MONTHS[end.month - 1]} {end.year}"
        ref = f"PAIE-{end:%Y-%m}"
        plan += [Planned(end, "OD", f"Salaires de {period}", lines, ref),
                 Planned(end, "BQ1", f"Virement des salaires de {period}", paid, ref)]
        return social

    def _rents(self, month: dt.date) -> Planned:
        quarter = (month.month - 1) // 3 + 1
        lines: list[LineInput] = []
        for pot, kpa in self.pots:
            place = kpa.places.order_by("pk").first()
            rent = _price(self.rng, *self.profile.rent, 10)
            lines += [self.line("613", debit=rent, treasury=pot,
                                label=f"Loyer - {place.name if place else kpa}"),
                      self.line("512", credit=rent, treasury=pot)]
        return Planned(month.replace(day=5), "BQ1", f"Loyers du T{quarter} {month.year}", lines)

    def _quarter_end(self, end: dt.date, vat: list[Decimal], social: Decimal,
                     cash: Decimal) -> list[Planned]:
        """Bank fees, cash paid in, URSSAF, the VAT return, volunteering, services."""
        rng, quarter, year = self.rng, (end.month - 1) // 3 + 1, end.year
        plan = [self.transfer(end - dt.timedelta(days=1), "BQ1",
                              f"Frais bancaires du T{quarter} {year}", "627", "512",
                              _euros(rng, 30, 75))]
        if cash:
            label = f"Remise d'espèces en banque du T{quarter} {year}"
            plan += [self.transfer(end, "CA", label, "580", "530", cash),
                     self.transfer(end, "BQ1", label, "512", "580", cash)]
        if social:
            plan.append(self.transfer(end + dt.timedelta(days=15), "BQ1",
                                      f"URSSAF, cotisations du T{quarter} {year}", "431", "512",
                                      social))
        if self.vat and any(vat):
            plan += self._vat_return(end, quarter, *vat)
        if self.profile.volunteering:
            hours = rng.randint(90, 240)
            plan.append(self.transfer(end, "OD", f"Bénévolat du T{quarter} {year} : {hours} h "
                                                 f"valorisées à {VOLUNTEER_HOUR} €",
                                      "864", "875", quantize(VOLUNTEER_HOUR * hours)))
            if quarter in (2, 4):
                plan.append(self.transfer(end, "OD", f"Dons en nature reçus (vêtements, tissus, "
                                                     f"denrées) T{quarter} {year}",
                                          "860", "870", _euros(rng, 250, 900)))
        if self.profile.services:
            label, account, low, high = self.profile.services
            plan.append(self.transfer(end - dt.timedelta(days=3), "BQ1",
                                      f"{label} T{quarter} {year}", account, "512",
                                      _price(rng, low, high, 10)))
        return plan

    def _vat_return(self, end: dt.date, quarter: int, collected: Decimal,
                    deductible: Decimal) -> list[Planned]:
        due = collected - deductible
        ref = f"CA3-{end:%Y-%m}"
        lines = [self.line("44571", debit=collected)] if collected else []
        if deductible:
            lines.append(self.line("44566", credit=deductible))
        if due:
            lines.append(self.line("44551", credit=due) if due > 0
                         else self.line("44567", debit=-due))
        plan = [Planned(end, "OD", f"Déclaration de TVA du T{quarter} {end.year}", lines, ref)]
        if due > 0:
            plan.append(self.transfer(end + dt.timedelta(days=20), "BQ1",
                                      f"Paiement de la TVA du T{quarter} {end.year}", "44551",
                                      "512", due, ref))
        return plan

    # -- 2026: what 2025 left open, the drafts --------------------------------------------

    def carried_settlements(self, year: FiscalYear) -> list[Planned]:
        """Pay in early 2026 what customers, suppliers, URSSAF and the VAT office were owed
        at the end of 2025; customers and suppliers under the à-nouveaux' piece reference,
        so that lettering matches the payment with the balance carried forward."""
        rng = self.rng
        carried_piece = closing.opening_piece_ref(year.name + 1)
        rows = (
            EntryLine.objects.filter(fiscal_year=year, validated=True,
                                     account__number__in=["411", "401", "431", "44551"])
            .values_list("account__number", "third_party_id", "treasury_account_id")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))
            .order_by("account__number", "third_party_id", "treasury_account_id")
        )
        tiers = {t.pk: t for t in [*self.institutions, *self.individuals,
                                   *self.suppliers.values()]}
        treasuries = ({c.treasury.pk: c.treasury for c in self.cooperants}
                      | {pot.pk: pot for pot, _kpa in self.pots})
        plan: list[Planned] = []
        for number, third_party, treasury, debit, credit in rows:
            balance = quantize(debit - credit)
            if number == "411" and third_party is not None and balance > 0:
                customer = tiers[third_party]
                plan.append(Planned(
                    dt.date(2026, rng.randint(1, 2), rng.randint(2, 27)), "BQ1",
                    f"Règlement du solde 2025 - {customer.name}", [
                        self.line("512", debit=balance),
                        self.line("411", credit=balance, third_party=customer,
                                  treasury=treasuries.get(treasury) if treasury else None)],
                    carried_piece))
            elif number == "401" and third_party is not None and balance < 0:
                supplier = tiers[third_party]
                plan.append(Planned(dt.date(2026, 1, rng.randint(5, 31)), "BQ1",
                                    f"Paiement du solde 2025 - {supplier.name}", [
                                        self.line("401", debit=-balance, third_party=supplier),
                                        self.line("512", credit=-balance)], carried_piece))
            elif number == "431" and balance < 0:
                plan.append(self.transfer(dt.date(2026, 1, 15), "BQ1",
                                          "URSSAF, cotisations du T4 2025", "431", "512",
                                          -balance))
            elif number == "44551" and balance < 0:
                plan.append(self.transfer(dt.date(2026, 1, 20), "BQ1",
                                          "Paiement de la TVA du T4 2025", "44551", "512",
                                          -balance, "CA3-2025-12"))
        return plan

    def drafts(self, last: dt.date, count: int) -> list[Planned]:
        """Invoices still being prepared: drafts, neither numbered nor in the books."""
        plan = []
        for index in range(count):
            if self.cooperants:
                cooperant = self.cooperants[index % len(self.cooperants)]
                treasury, activity = cooperant.treasury, cooperant.activity
                account, label, rate = activity.sale_account, activity.label, activity.vat_rate
            else:
                treasury, account = self.pots[0][0], "707"
                label, rate = "Paniers solidaires", Decimal("0.20")
            customer = self.institutions[index % len(self.institutions)]
            net = _price(self.rng, 80, 600, 10)
            tax = quantize(net * rate) if self.vat else ZERO
            lines = [self.line("411", debit=net + tax, third_party=customer, treasury=treasury),
                     self.line(account, credit=net, treasury=treasury)]
            if tax:
                lines.append(self.line("44571", credit=tax))
            day = max(last - dt.timedelta(days=index), FIRST_YEAR_END)
            plan.append(Planned(day, "VT", f"{label} - {customer.name} (à vérifier)", lines,
                                validate=False))
        return plan


# -- setting a structure up ---------------------------------------------------------------


def _actor_for(structure: Structure, today: dt.date) -> User | None:
    """The structure's comptable today, else the platform administrator."""
    role = (Role.objects.current(today)
            .filter(structure=structure, kind=RoleKind.COMPTABLE, person__user__is_active=True)
            .select_related("person__user").order_by("starts_on", "pk").first())
    if role is not None and role.person.user is not None:
        return role.person.user
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _kpas_of(structure: Structure) -> tuple[list[Kpa], list[Kpa]]:
    carried = list(structure.carried_kpas.order_by("pk"))
    local = list(structure.local_kpas.order_by("pk"))
    return carried, local


def _cooperants_of(kpa: Kpa, count: int) -> list[Person]:
    return list(Person.objects.filter(roles__kpa=kpa, roles__kind=RoleKind.COOPERANT)
                .distinct().order_by("pk")[:count])


def _set_up(structure: Structure, actor: User, today: dt.date) -> _Books:
    profile = PROFILES[profile_key(structure)]
    services.open_books(actor=actor, structure=structure, first_year_starts_on=FIRST_YEAR_START,
                        first_year_ends_on=FIRST_YEAR_END, today=today)
    carried, local = _kpas_of(structure)

    def tiers(code: str, name: str, kind: str) -> ThirdParty:
        return services.create_third_party(actor=actor, structure=structure, code=code,
                                           name=name, kind=kind, today=today)

    cities = list(dict.fromkeys(k.city for k in carried + local)) or [structure.city]
    districts = [k for k in carried + local if k.district]
    institutions: list[ThirdParty] = []
    for city in cities:
        institutions.append(tiers(f"C{len(institutions) + 1:04d}", f"Mairie de {city}",
                                  ThirdParty.Kind.CUSTOMER))
    for kpa in districts:
        institutions.append(tiers(f"C{len(institutions) + 1:04d}",
                                  f"Centre social {kpa.district} ({kpa.city})",
                                  ThirdParty.Kind.CUSTOMER))
    institutions.append(tiers(f"C{len(institutions) + 1:04d}",
                              f"{cities[0]} Habitat, bailleur social", ThirdParty.Kind.CUSTOMER))
    individuals = [tiers(f"C{len(institutions) + i + 1:04d}", name, ThirdParty.Kind.CUSTOMER)
                   for i, name in enumerate(INDIVIDUALS)]
    suppliers = {key: tiers(f"F{i + 1:04d}", name, ThirdParty.Kind.SUPPLIER)
                 for i, (key, name) in enumerate(SUPPLIERS.items())}

    rng = random.Random(f"kpa-demo-books-{structure.siren}")  # noqa: S311 — demo data
    cooperants: list[Cooperant] = []
    pots: list[tuple[TreasuryAccount, Kpa]] = []
    seen: set[int] = set()
    for kpa in carried + local:
        pot = services.create_treasury_account(
            actor=actor, structure=structure, code=f"KPA-{kpa.pk}",
            label=f"Caisse commune - {kpa.name}", kind=TreasuryAccount.Kind.COMMON, kpa=kpa,
            today=today)
        pots.append((pot, kpa))
    for kpa in carried:
        for person in _cooperants_of(kpa, profile.cooperants_per_kpa):
            if person.pk in seen:
                continue
            seen.add(person.pk)
            activity = ACTIVITIES[len(cooperants) % len(ACTIVITIES)]
            account = services.create_treasury_account(
                actor=actor, structure=structure, code=f"T-{person.pk}",
                label=f"{person.full_name} - {activity.label}",
                kind=TreasuryAccount.Kind.INDIVIDUAL, person=person, kpa=kpa, today=today)
            # The first coopérants who sell to institutions are entrepreneurs-salariés (CESA)
            # in the CAE, paid part-time from their treasury; the others are under a CAPE, not
            # employees — among them the coopérant who logs in, whose CAPE the journey demo
            # tells.
            salaried = (activity.institutional and person.user_id is None
                        and sum(1 for c in cooperants if c.gross_pay) < profile.salaried)
            cooperants.append(Cooperant(
                account, activity, 0.6 if salaried else profile.sale_rate,
                _price(rng, 250, 400, 50) if salaried else ZERO))
    return _Books(
        structure=structure, actor=actor, profile=profile, rng=rng,
        accounts={a.number: a for a in Account.objects.filter(structure=structure)},
        journals={j.code: j for j in Journal.objects.filter(structure=structure)},
        institutions=institutions, individuals=individuals, suppliers=suppliers,
        cooperants=cooperants, pots=pots,
    )


def _post(books: _Books, plan: Iterable[Planned], today: dt.date) -> None:
    rng = books.rng
    for item in plan:
        if item.action is not None:
            item.action()
            continue
        validated_on = min(item.date + dt.timedelta(days=rng.randint(0, 3)), today)
        services.post_entry(
            actor=books.actor, structure=books.structure, journal=books.journals[item.journal],
            date=item.date, label=item.label, lines=item.lines, piece_ref=item.piece_ref,
            validate=item.validate, today=validated_on,
        )


def _letter(books: _Books, today: dt.date) -> None:
    for year in FiscalYear.objects.filter(structure=books.structure):
        for number in ("411", "401"):
            lettering.letter_by_reference(actor=books.actor, account=books.accounts[number],
                                          year=year, today=today)


def _allocate(books: _Books, year: FiscalYear) -> None:
    pending = closing.pending_result(year)
    if not pending:
        return
    # A surplus goes to reserves (1068: "autres réserves" in the PCG, "réserves pour projet
    # de l'entité" in the associations' chart), a deficit to report à nouveau débiteur.
    allocations = [("1068" if pending > 0 else "119", pending)]
    closing.allocate_result(actor=books.actor, year=year, date=ALLOCATION_DAY,
                            allocations=allocations, today=ALLOCATION_DAY)


def _seed_structure(structure: Structure, actor: User, today: dt.date) -> None:
    services.require(permissions.can_keep_books(actor, structure, today=today))
    books = _set_up(structure, actor, today)
    first = FiscalYear.objects.get(structure=structure, starts_on=FIRST_YEAR_START)
    plan = books.year(FIRST_YEAR_START, FIRST_YEAR_END - dt.timedelta(days=1), first=True)
    _post(books, sorted(plan, key=lambda p: p.date), today)

    second = services.open_fiscal_year(actor=actor, structure=structure,
                                       starts_on=FIRST_YEAR_END, ends_on=SECOND_YEAR_END,
                                       today=today)
    last = min(today, SECOND_YEAR_END - dt.timedelta(days=1))
    plan = books.carried_settlements(first)
    plan += books.year(FIRST_YEAR_END, last, first=False)
    plan.append(Planned(ALLOCATION_DAY, action=lambda: _allocate(books, second)))
    plan += books.drafts(last, 3 if books.profile.salaried else 2)
    plan = sorted((p for p in plan if p.date <= last), key=lambda p: p.date)
    _post(books, (p for p in plan if p.date < CLOSING_DAY), today)
    _letter(books, CLOSING_DAY)
    closing.close_fiscal_year(actor=actor, year=first, today=CLOSING_DAY)
    _post(books, (p for p in plan if p.date >= CLOSING_DAY), today)
    _letter(books, today)


def _summary(structure: Structure, created: bool) -> StructureBooks:
    counts = {year.starts_on.year: (year, Entry.objects.filter(fiscal_year=year))
              for year in FiscalYear.objects.filter(structure=structure)}
    first = counts.get(2025)
    second = counts.get(2026)
    return StructureBooks(
        name=structure.name, created=created,
        entries_2025=first[1].count() if first else 0,
        entries_2026=second[1].count() if second else 0,
        drafts=second[1].filter(status=Entry.Status.DRAFT).count() if second else 0,
        result_2025=first[0].result if first else None,
    )


def demo_structures() -> list[Structure]:
    return list(Structure.objects.filter(network__name=NETWORK_NAME).order_by("pk"))


def seed_demo_books(*, today: dt.date) -> DemoBooksResult:
    """Open and fill the books of every demo structure whose books are not open yet."""
    started = time.perf_counter()
    if today < EARLIEST_TODAY:
        return DemoBooksResult((), skipped=f"2025 ne se clôture qu'après le {CLOSING_DAY}")
    summaries: list[StructureBooks] = []
    for structure in demo_structures():
        if Books.objects.filter(structure=structure).exists():
            summaries.append(_summary(structure, created=False))
            continue
        actor = _actor_for(structure, today)
        if actor is None:
            summaries.append(_summary(structure, created=False))
            continue
        with transaction.atomic():
            _seed_structure(structure, actor, today)
        summaries.append(_summary(structure, created=True))
    return DemoBooksResult(tuple(summaries), seconds=time.perf_counter() - started,
                           skipped="" if summaries else "pas de réseau de démonstration")


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_books(today=today)
    if result.skipped:
        return f"Comptabilité : rien à faire ({result.skipped})."
    closed = all(s.result_2025 is not None for s in result.structures)
    verb = "créée" if result.created else "déjà présente"
    return (f"Comptabilité {verb} : {len(result.structures)} structures, "
            f"2025 {'clôturé' if closed else 'ouvert'}, {result.entries} écritures.")
