"""Demo purchases: the structures' expense deadlines, a coopérant's expense claims in every
state, and supplier invoices, one of them read from a Factur-X PDF.

Only a current member of an activity who logs in drafts a claim (`permissions`): in the demo
network that is the coopérant persona, in KPA Roubaix (the collective friperie and her own
couture activity, which the sales demo opens) and in KPA Lille-Moulins (the collective
traiteur). So the claims tell one story over the last three months, spread over those two KPAs:

- the month before last, for the friperie: a mileage line (donations collected with her car,
  the official scale computes the amount) and hangers with their photographed receipt;
  submitted, validated by the gestionnaire (posted on the friperie's treasury), reimbursed by
  the comptable;
- last month, for her couture: fabric (raw materials, a PDF invoice), thread and buttons, a
  delivery by car; validated, not reimbursed yet;
- last month, for the Lille traiteur: a team meal and supplies, rejected with its reason;
- this month: fasteners for her couture, submitted and waiting; napkins for the traiteur, a
  draft.

Deadlines (every structure of the demo with books): expenses before 1 April, 1 July, 1 October,
1 November 2026 and 1 January 2027 are claimed by the 15th of that month.

The CAE buys too: hanging rails and hangers for the Roubaix friperie from a local supplier (a
plain PDF, typed by the persona, posted by the gestionnaire and paid by the comptable), and
hems and alterations from another structure of the network: the PDF of an invoice the
association of La Rochelle issued in the sales demo, whose Factur-X XML gives the supplier,
the lines and the totals (posted, not paid yet). The sales app is a sibling of this one, so its
invoice is found through the app registry, not imported.

Everything goes through the services, each step on its day (`kpa.journey.demo.Plan`), with the
demo's real people as actors: the structure's gestionnaire (the platform administrator for a
structure without one who logs in) and comptable. Idempotent: nothing is done when a structure
of the demo already has deadlines, claims or suppliers. No e-mail leaves.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from stdnum import luhn

from kpa.core import notifications
from kpa.directory.demo import NETWORK_NAME
from kpa.directory.models import Activity, ActivityMembership, Kpa, Role, RoleKind, Structure
from kpa.journey.demo import Plan, _pdf, _photo, no_mail
from kpa.ledger.models import Books, FiscalYear
from kpa.purchases import expenses, suppliers
from kpa.purchases.models import (
    ExpenseCategory,
    ExpenseClaim,
    ExpenseDeadline,
    Supplier,
    SupplierInvoice,
)
from kpa.purchases.suppliers import SupplierLineInput

# Expenses dated before the first date are claimed by the second.
DEADLINES = (
    (dt.date(2026, 4, 1), dt.date(2026, 4, 15)),
    (dt.date(2026, 7, 1), dt.date(2026, 7, 15)),
    (dt.date(2026, 10, 1), dt.date(2026, 10, 15)),
    (dt.date(2026, 11, 1), dt.date(2026, 11, 15)),
    (dt.date(2027, 1, 1), dt.date(2027, 1, 15)),
)
FISCAL_HORSEPOWER = 4
Category = ExpenseCategory


@dataclass(frozen=True)
class LineSpec:
    day: int  # of the claim's month
    category: str
    description: str
    amount: str = ""  # incl. VAT; a mileage line gives `km` instead
    vat: str = "0.00"
    km: str = ""
    receipt: str = ""  # "photo", "pdf" or nothing (mileage)


@dataclass(frozen=True)
class ClaimSpec:
    """A claim of `months_ago` months before the story's month, for the claimant's
    individual or collective activity of the KPA of rank `kpa_rank`, written on `written` (a
    day of the month after the claim's month, or of the same month when it is this month's)
    and then taken `to` a state, each step a few days apart."""

    key: str
    months_ago: int
    kpa_rank: int
    kind: str
    written: int  # ignored for this month's claims
    to: str
    lines: tuple[LineSpec, ...]
    reason: str = ""


CLAIMS = (
    ClaimSpec("reimbursed", 2, 0, Activity.Kind.COLLECTIVE, 2, ExpenseClaim.Status.PAID, (
        LineSpec(9, Category.MILEAGE, "Collecte de dons de vêtements chez les habitants",
                 km="46"),
        LineSpec(19, Category.SUPPLIES, "Cintres et housses pour le portant", "36.00", "6.00",
                 receipt="photo"))),
    ClaimSpec("validated", 1, 0, Activity.Kind.INDIVIDUAL, 3, ExpenseClaim.Status.VALIDATED, (
        LineSpec(6, Category.RAW_MATERIALS, "Coupons de tissu wax (3 m)", "54.00", "9.00",
                 receipt="pdf"),
        LineSpec(14, Category.SUPPLIES, "Fil, aiguilles et boutons", "12.60", "2.10",
                 receipt="photo"),
        LineSpec(22, Category.MILEAGE, "Livraison de retouches chez une cliente", km="18"))),
    ClaimSpec("rejected", 1, 1, Activity.Kind.COLLECTIVE, 2, ExpenseClaim.Status.REJECTED, (
        LineSpec(17, Category.OTHER, "Repas de l'équipe après le buffet", "48.00",
                 receipt="photo"),
        LineSpec(17, Category.SUPPLIES, "Barquettes et serviettes", "23.40", "3.90",
                 receipt="photo")),
        reason="Le repas de l'équipe reste à votre charge : ce n'est pas une dépense du "
               "traiteur. Refaites une note avec les barquettes et serviettes seulement."),
    ClaimSpec("submitted", 0, 0, Activity.Kind.INDIVIDUAL, 0, ExpenseClaim.Status.SUBMITTED, (
        LineSpec(10, Category.SUPPLIES, "Fermetures éclair et biais", "18.00", "3.00",
                 receipt="photo"),)),
    ClaimSpec("draft", 0, 1, Activity.Kind.COLLECTIVE, 0, ExpenseClaim.Status.DRAFT, (
        LineSpec(20, Category.SUPPLIES, "Nappes en papier pour le buffet", "15.60", "2.60",
                 receipt="pdf"),)),
)

# A local supplier of the friperie, typed by hand from its plain PDF.
LOCAL_SUPPLIER = {"name": "Agencement Nord Équipement", "address": "85 rue de Lannoy",
                  "postcode": "59100", "city": "Roubaix",
                  "email": "facturation@agencement-nord.exemple.org"}
LOCAL_LINES = (SupplierLineInput("Portant double sur roulettes", Category.SUPPLIES, "180.00"),
               SupplierLineInput("Cintres en bois (lot de 50)", Category.SUPPLIES, "60.00"))


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    return body + luhn.calc_check_digit(body)


def _vat_number(siren: str) -> str:
    return f"FR{int(siren + '12') % 97:02d}{siren}"


def _first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_before(month: dt.date, count: int) -> dt.date:
    for _step in range(count):
        month = _first(month - dt.timedelta(days=1))
    return month


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _current_user(day: dt.date, kind: str, **scope: object) -> User | None:
    role = (Role.objects.current(day).filter(kind=kind, person__user__is_active=True, **scope)
            .select_related("person__user").order_by("starts_on", "pk").first())
    return role.person.user if role is not None else None


def _admin() -> User | None:
    return User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()


def _role_since(user: User, kind: str, structure: Structure) -> dt.date | None:
    return (Role.objects.filter(person__user=user, kind=kind, structure=structure)
            .order_by("starts_on").values_list("starts_on", flat=True).first())


def _open_year(structure: Structure, today: dt.date) -> FiscalYear | None:
    return (FiscalYear.objects.filter(structure=structure, starts_on__lte=today,
                                      status=FiscalYear.Status.OPEN)
            .order_by("-starts_on").first())


# -- one structure's story ------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimant:
    """A coopérant who logs in and is a member of activities of a KPA of the structure."""

    kpa: Kpa
    user: User

    def activity(self, kind: str, day: dt.date) -> Activity | None:
        """Their activity of that kind in the KPA on `day` (the individual one they sell
        with, or the collective one)."""
        membership = (ActivityMembership.objects.current(day)
                      .filter(person__user=self.user, activity__kpa=self.kpa,
                              activity__kind=kind)
                      .filter(Q(activity__ended_on__isnull=True)
                              | Q(activity__ended_on__gt=day))
                      .select_related("activity").order_by("joined_on", "activity_id").first())
        return membership.activity if membership is not None else None


@dataclass
class _Story:
    plan: Plan
    structure: Structure
    year: FiscalYear
    last: dt.date  # the story's last day: today, or the fiscal year's last day
    manager: User  # the gestionnaire, or the administrator acting for the structure
    bookkeeper: User  # the comptable, else the manager
    claimants: list[_Claimant]
    claims: dict[str, ExpenseClaim] = field(default_factory=dict)

    @property
    def month(self) -> dt.date:
        return _first(self.last)

    def on(self, day: dt.date, step: Callable[[dt.date], object]) -> None:
        """Run `step(day)` on `day`, when it falls inside the open year and not after the
        story's last day."""
        if self.year.starts_on <= day <= self.last:
            self.plan.at(day, lambda: step(day))

    def day_of(self, month: dt.date, day: int) -> dt.date:
        return min(month.replace(day=min(day, 28)), self.last)

    # -- deadlines --------------------------------------------------------------------------

    def deadlines(self) -> None:
        since = _role_since(self.manager, RoleKind.GESTIONNAIRE, self.structure)
        self.on(max(self.year.starts_on, since or self.year.starts_on), self._deadlines)

    def _deadlines(self, day: dt.date) -> None:
        expenses.set_expense_deadlines(actor=self.manager, structure=self.structure,
                                       deadlines=DEADLINES, today=day)

    # -- claims -----------------------------------------------------------------------------

    def claim(self, spec: ClaimSpec) -> None:
        if not self.claimants:
            return
        claimant = self.claimants[min(spec.kpa_rank, len(self.claimants) - 1)]
        month = _months_before(self.month, spec.months_ago)
        if spec.months_ago == 0:
            # This month's claims are written now: the day before the story's end (the
            # submitted one) or its last day (the draft), after their lines' days.
            draft = spec.to == ExpenseClaim.Status.DRAFT
            written = self.last - dt.timedelta(days=0 if draft else 1)
        else:
            written = self.day_of(_next_month(month), spec.written)
        lines = [line for line in spec.lines if _spent_on(month, line) <= written]
        if not lines or written < month:
            return
        self.on(written, lambda day: self._write(day, spec, claimant, month, lines))
        decided = written + dt.timedelta(days=3)
        if spec.to in (ExpenseClaim.Status.VALIDATED, ExpenseClaim.Status.PAID):
            self.on(decided, lambda day: self._validate(day, spec.key))
        if spec.to == ExpenseClaim.Status.REJECTED:
            self.on(decided, lambda day: self._reject(day, spec.key, spec.reason))
        if spec.to == ExpenseClaim.Status.PAID:
            self.on(decided + dt.timedelta(days=4), lambda day: self._reimburse(day, spec.key))

    def _write(self, day: dt.date, spec: ClaimSpec, claimant: _Claimant, month: dt.date,
               lines: list[LineSpec]) -> None:
        activity = claimant.activity(spec.kind, day) or claimant.activity(
            Activity.Kind.COLLECTIVE, day)
        if activity is None:
            return
        user = claimant.user
        franchise = self.structure.vat_regime == Structure.VatRegime.FRANCHISE
        claim = expenses.create_claim(actor=user, activity=activity, month=month, today=day)
        for line in lines:
            spent_on = _spent_on(month, line)
            receipt = None
            name = ""
            label = f"{line.description} - {spent_on:%d/%m/%Y}"
            if line.receipt == "photo":
                receipt, name = _photo(_ascii(label)), "ticket.png"
            elif line.receipt == "pdf":
                receipt, name = _pdf(_ascii(f"Facture - {label}")), "facture.pdf"
            expenses.add_line(
                actor=user, claim=claim, today=day, spent_on=spent_on, category=line.category,
                description=line.description, amount_incl_vat=line.amount or None,
                recoverable_vat="0.00" if franchise else line.vat, distance_km=line.km or None,
                fiscal_horsepower=FISCAL_HORSEPOWER if line.km else None, receipt=receipt,
                receipt_name=name)
        if spec.to != ExpenseClaim.Status.DRAFT:
            claim = expenses.submit_claim(actor=user, claim=claim, today=day)
        self.claims[spec.key] = claim

    def _validate(self, day: dt.date, key: str) -> None:
        if key in self.claims:
            self.claims[key] = expenses.validate_claim(actor=self.manager,
                                                       claim=self.claims[key], today=day)

    def _reject(self, day: dt.date, key: str, reason: str) -> None:
        if key in self.claims:
            self.claims[key] = expenses.reject_claim(actor=self.manager, claim=self.claims[key],
                                                     reason=reason, today=day)

    def _reimburse(self, day: dt.date, key: str) -> None:
        if key in self.claims:
            self.claims[key] = expenses.record_reimbursement(
                actor=self.bookkeeper, claim=self.claims[key], paid_on=day, today=day)

    # -- suppliers --------------------------------------------------------------------------

    def local_supplier(self) -> None:
        """Rails and hangers for the first claimant's collective activity, bought last month:
        the coopérant uploads the supplier's PDF and types it, the gestionnaire posts it,
        the comptable pays it."""
        if not self.claimants:
            return
        claimant = self.claimants[0]
        month = _months_before(self.month, 1)
        issued = self.day_of(month, 6)
        state: dict[str, Any] = {}

        def upload(day: dt.date) -> None:
            activity = claimant.activity(Activity.Kind.COLLECTIVE, day)
            if activity is None:
                return
            siren = _siren(59_100_000 + self.structure.pk)
            supplier = suppliers.create_supplier(
                actor=self.manager, structure=self.structure, today=day, siren=siren,
                vat_number=_vat_number(siren), **LOCAL_SUPPLIER)
            number = f"ANE-{issued:%Y}-{1100 + self.structure.pk}"
            invoice = suppliers.upload_supplier_invoice(
                actor=claimant.user, structure=self.structure, activity=activity, today=day,
                pdf=_pdf(_ascii(f"Facture {number} - {supplier.name}")),
                file_name=f"{number}.pdf", supplier=supplier, number=number, issued_on=issued)
            state["invoice"] = suppliers.update_supplier_invoice(
                actor=claimant.user, invoice=invoice, today=day, lines=list(LOCAL_LINES),
                due_on=issued + dt.timedelta(days=30))

        def post(day: dt.date) -> None:
            if "invoice" in state:
                state["invoice"] = suppliers.post_supplier_invoice(
                    actor=self.manager, invoice=state["invoice"], today=day)

        def pay(day: dt.date) -> None:
            if "invoice" in state:
                state["invoice"] = suppliers.pay_supplier_invoice(
                    actor=self.bookkeeper, invoice=state["invoice"], paid_on=day, today=day)

        self.on(issued + dt.timedelta(days=1), upload)
        self.on(issued + dt.timedelta(days=2), post)
        self.on(issued + dt.timedelta(days=20), pay)

    def network_supplier(self) -> None:
        """The Factur-X invoice another structure of the network issued (the largest), bought
        for the first claimant's collective activity: uploaded and posted by the
        gestionnaire, its lines sorted as subcontracting."""
        if not self.claimants:
            return
        sold = _sold_by_another_structure(self.structure, self.last)
        if sold is None:
            return
        claimant = self.claimants[0]
        pdf = bytes(sold.pdf)

        def buy(day: dt.date) -> None:
            activity = claimant.activity(Activity.Kind.COLLECTIVE, day)
            if activity is None:
                return
            invoice = suppliers.upload_supplier_invoice(
                actor=self.manager, structure=self.structure, activity=activity, pdf=pdf,
                file_name=f"facture-{sold.number}.pdf", today=day)
            lines = [SupplierLineInput(ln.description, Category.SUBCONTRACTING,
                                       ln.amount_excl_vat, ln.vat_rate)
                     for ln in invoice.lines.order_by("position")]
            invoice = suppliers.update_supplier_invoice(actor=self.manager, invoice=invoice,
                                                        today=day, lines=lines)
            suppliers.post_supplier_invoice(actor=self.manager, invoice=invoice, today=day)

        self.on(min(sold.issued_on + dt.timedelta(days=3), self.last), buy)


def _spent_on(month: dt.date, line: LineSpec) -> dt.date:
    return month.replace(day=min(line.day, 28))


def _ascii(text: str) -> str:
    """The built-in PDF font and the photo's bitmap font speak ASCII."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.replace("'", " ")


def _sold_by_another_structure(buyer: Structure, last: dt.date) -> Any | None:
    """The largest issued invoice (with its Factur-X PDF) another structure of the buyer's
    network sold in the sales demo, or None when there is none (or no sales app)."""
    try:
        invoices = apps.get_model("sales", "Invoice")
    except LookupError:
        return None
    return (invoices.objects.filter(status="issued", kind="invoice", issued_on__lt=last,
                                    structure__network_id=buyer.network_id, pdf__isnull=False)
            .exclude(structure=buyer).order_by("-total_incl_vat", "pk").first())


def _claimants(structure: Structure, day: dt.date) -> list[_Claimant]:
    """The structure's KPAs (in order) where a coopérant who logs in is a member of an
    activity, with that coopérant."""
    found = []
    for kpa in Kpa.objects.filter(network__name=NETWORK_NAME,
                                  carrying_structure=structure).order_by("pk"):
        membership = (ActivityMembership.objects.current(day)
                      .filter(activity__kpa=kpa, person__user__is_active=True,
                              person__roles__kind=RoleKind.COOPERANT, person__roles__kpa=kpa)
                      .select_related("person__user").order_by("person_id").first())
        if membership is not None and membership.person.user is not None:
            found.append(_Claimant(kpa, membership.person.user))
    return found


# -- entry points ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPurchasesResult:
    created: bool
    structures: int = 0
    claims: int = 0
    lines: int = 0
    suppliers: int = 0
    supplier_invoices: int = 0
    seconds: float = 0.0
    skipped: str = ""


def _demo_structures() -> list[Structure]:
    return list(Structure.objects.filter(network__name=NETWORK_NAME,
                                         pk__in=Books.objects.values("structure_id"))
                .order_by("pk"))


def _counts(created: bool, structures: list[Structure], seconds: float = 0.0
            ) -> DemoPurchasesResult:
    claims = ExpenseClaim.objects.filter(structure__in=structures)
    return DemoPurchasesResult(
        created=created,
        structures=ExpenseDeadline.objects.filter(structure__in=structures)
        .values("structure_id").distinct().count(),
        claims=claims.count(),
        lines=sum(c.lines.count() for c in claims),
        suppliers=Supplier.objects.filter(structure__in=structures).count(),
        supplier_invoices=SupplierInvoice.objects.filter(structure__in=structures).count(),
        seconds=seconds)


def seed_demo_purchases(*, today: dt.date) -> DemoPurchasesResult:
    started = time.perf_counter()
    structures = _demo_structures()
    if not structures:
        return DemoPurchasesResult(False, skipped="pas de comptabilité de démonstration")
    if (ExpenseDeadline.objects.filter(structure__in=structures).exists()
            or ExpenseClaim.objects.filter(structure__in=structures).exists()
            or Supplier.objects.filter(structure__in=structures).exists()):
        return _counts(False, structures)
    plan = Plan(today)
    stories = []
    for structure in structures:
        year = _open_year(structure, today)
        if year is None:
            continue
        last = min(today, year.ends_on - dt.timedelta(days=1))
        manager = _current_user(last, RoleKind.GESTIONNAIRE, structure=structure) or _admin()
        if manager is None:
            continue
        bookkeeper = _current_user(last, RoleKind.COMPTABLE, structure=structure) or manager
        stories.append(_Story(plan, structure, year, last, manager, bookkeeper,
                              _claimants(structure, last)))
    if not stories:
        return DemoPurchasesResult(False, skipped="personne pour tenir les comptes")
    for story in stories:
        story.deadlines()
        for spec in CLAIMS:
            story.claim(spec)
        story.local_supplier()
        story.network_supplier()
    # A plain PDF makes the factur-x library warn that it holds no XML: that is the point.
    facturx_logger = logging.getLogger("factur-x")
    level = facturx_logger.level
    facturx_logger.setLevel(logging.ERROR)
    try:
        with mock.patch.object(notifications, "_send", no_mail), transaction.atomic():
            plan.play()
    finally:
        facturx_logger.setLevel(level)
    return _counts(True, structures, time.perf_counter() - started)


def seed_app_demo(*, today: dt.date) -> str:
    """The `kpa seed_demo` hook: one line for the console."""
    result = seed_demo_purchases(today=today)
    if result.skipped:
        return f"Dépenses : rien à faire ({result.skipped})."
    verb = "créées" if result.created else "déjà présentes"
    return (f"Dépenses {verb} : dates limites dans {result.structures} structures, "
            f"{result.claims} notes de frais ({result.lines} lignes), {result.suppliers} "
            f"fournisseurs, {result.supplier_invoices} factures fournisseurs.")
