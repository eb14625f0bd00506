"""The demo purchases: the structures' expense deadlines, the persona's expense claims in every
state with their receipts and a mileage line, a supplier invoice typed by hand (posted, paid)
and one read from the Factur-X PDF another structure of the network issued; every amount in
the books; idempotent.

The whole demo (`kpa seed_demo`) is built once for the module, with today's date as `make run`
would, inside a transaction rolled back at the end; each test runs in its own savepoint within
it. The test that needs another state runs first, before that module transaction exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from kpa.core.dates import local_today
from kpa.core.models import AuditEvent
from kpa.directory.demo import NETWORK_NAME, seed_demo_network
from kpa.directory.models import Structure
from kpa.ledger.models import Books, Entry, EntryLine
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.purchases import kilometric
from kpa.purchases.accounts import ACCOUNT_OF
from kpa.purchases.demo import seed_app_demo
from kpa.purchases.expenses import deadline_for, deadlines_of
from kpa.purchases.facturx_reader import parse_cii
from kpa.purchases.models import (
    ExpenseCategory,
    ExpenseClaim,
    ExpenseDeadline,
    ExpenseLine,
    Supplier,
    SupplierInvoice,
)
from kpa.sales.models import Invoice

pytestmark = pytest.mark.django_db

ZERO = Decimal("0.00")
DEADLINES = [(dt.date(2026, 4, 1), dt.date(2026, 4, 15)),
             (dt.date(2026, 7, 1), dt.date(2026, 7, 15)),
             (dt.date(2026, 10, 1), dt.date(2026, 10, 15)),
             (dt.date(2026, 11, 1), dt.date(2026, 11, 15)),
             (dt.date(2027, 1, 1), dt.date(2027, 1, 15))]


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (ExpenseDeadline, ExpenseClaim, ExpenseLine, Supplier, SupplierInvoice,
                          Entry, AuditEvent)}


# -- before the rest of the demo exists (runs before the module's demo) ----------------------


def test_without_the_demo_books_the_purchases_demo_does_nothing():
    seed_demo_network()

    line = seed_app_demo(today=dt.date(2026, 11, 28))

    assert "rien à faire" in line
    assert not ExpenseDeadline.objects.exists()
    assert not ExpenseClaim.objects.exists()
    assert not Supplier.objects.exists()


# -- the demo as `kpa seed_demo` builds it today ------------------------------------------------


@dataclass(frozen=True)
class Demo:
    today: dt.date
    output: str


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[Demo]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        today = local_today()
        call_command("seed_demo", "--quiet-logins", stdout=out)
        yield Demo(today=today, output=out.getvalue())
        transaction.set_rollback(True)


def _claim(status: str) -> ExpenseClaim:
    return ExpenseClaim.objects.select_related("activity", "structure").get(status=status)


def _entry_totals(entry: Entry) -> dict[str, tuple[Decimal, Decimal]]:
    """{account number: (debit, credit)} of a validated entry."""
    rows = (EntryLine.objects.filter(entry=entry).values("account__number")
            .annotate(debit=Sum("debit"), credit=Sum("credit")))
    return {row["account__number"]: (row["debit"], row["credit"]) for row in rows}


def test_the_seed_demo_command_reports_the_purchases_after_the_sales(demo):
    assert "Dépenses créées : dates limites dans 3 structures, 5 notes de frais" in demo.output
    assert demo.output.index("[sales,") < demo.output.index("[purchases,")


def test_every_structure_with_demo_books_closes_its_quarters_on_the_15th(demo):
    structures = Structure.objects.filter(network__name=NETWORK_NAME,
                                          pk__in=Books.objects.values("structure_id"))

    assert structures.count() == 3
    for structure in structures:
        assert deadlines_of(structure.pk) == DEADLINES, structure


def test_claims_go_through_every_state_in_both_kpas_where_a_coopérant_logs_in(demo):
    persona = User.objects.get(username="cooperant")
    claims = ExpenseClaim.objects.select_related("activity__kpa")

    assert {c.status for c in claims} == set(ExpenseClaim.Status.values)
    assert {c.activity.kpa.name for c in claims} == {"KPA Roubaix", "KPA Lille-Moulins"}
    assert {c.created_by for c in claims} == {persona}
    assert all(c.lines.exists() for c in claims)
    assert claims.get(status=ExpenseClaim.Status.DRAFT).submitted_at is None
    assert all(c.submitted_at is not None
               for c in claims.exclude(status=ExpenseClaim.Status.DRAFT))


def test_every_line_but_mileage_has_its_receipt_as_a_photo_or_a_pdf(demo):
    lines = list(ExpenseLine.objects.all())

    assert {line.receipt_type for line in lines if line.receipt} == {"image/png",
                                                                      "application/pdf"}
    for line in lines:
        if line.category == ExpenseCategory.MILEAGE:
            assert not line.receipt, line
            continue
        content = bytes(line.receipt or b"")
        assert hashlib.sha256(content).hexdigest() == line.receipt_sha256, line
        assert content.startswith(b"%PDF-" if line.receipt_type == "application/pdf"
                                  else b"\x89PNG"), line


def test_mileage_lines_are_priced_by_the_official_scale_on_the_year_s_kilometres(demo):
    mileage = list(ExpenseLine.objects.filter(category=ExpenseCategory.MILEAGE)
                   .exclude(claim__status=ExpenseClaim.Status.REJECTED).order_by("pk"))

    assert len(mileage) >= 2
    before = Decimal(0)
    for line in mileage:
        assert line.distance_km is not None
        assert line.fiscal_horsepower is not None
        assert line.amount_incl_vat == kilometric.allowance(
            before, line.distance_km, line.fiscal_horsepower, line.electric,
            line.spent_on.year), line
        assert line.recoverable_vat == 0
        before += line.distance_km


def test_every_claim_was_sent_before_its_deadline(demo):
    for claim in ExpenseClaim.objects.exclude(status=ExpenseClaim.Status.DRAFT):
        assert claim.submitted_at is not None
        sent = timezone.localdate(claim.submitted_at)
        deadlines = deadlines_of(claim.structure_id)
        for line in claim.lines.all():
            closes = deadline_for(line.spent_on, deadlines)
            assert closes is None or sent <= closes, (claim, line)
            assert line.spent_on <= sent


def test_the_rejected_claim_says_why_and_is_not_in_the_books(demo):
    rejected = _claim(ExpenseClaim.Status.REJECTED)

    assert "repas" in rejected.rejection_reason
    assert rejected.entry is None
    assert rejected.decided_by is not None
    assert rejected.decided_by.username == "gestionnaire"


def test_validated_claims_are_booked_on_their_activity_s_treasury_by_category(demo):
    for status in (ExpenseClaim.Status.VALIDATED, ExpenseClaim.Status.PAID):
        claim = _claim(status)
        entry = claim.entry
        assert entry is not None
        assert entry.status == Entry.Status.VALIDATED
        assert entry.journal.code == "OD"
        treasury = treasury_account_for(claim.activity, actor=claim.decided_by)
        assert set(EntryLine.objects.filter(entry=entry)
                   .values_list("treasury_account_id", flat=True)) == {treasury.pk}
        lines = list(claim.lines.all())
        totals = _entry_totals(entry)
        assert totals["425"] == (ZERO, sum((ln.amount_incl_vat for ln in lines), ZERO))
        vat = sum((ln.recoverable_vat for ln in lines), ZERO)
        assert totals.get("44566", (ZERO, ZERO)) == (vat, ZERO)
        for category in {ln.category for ln in lines}:
            account = ACCOUNT_OF[category]
            expected = sum((ln.amount_excl_vat for ln in lines
                            if ACCOUNT_OF[ln.category] == account), ZERO)
            assert totals[account] == (expected, ZERO), (claim, account)


def test_the_reimbursed_claim_was_paid_from_the_bank_and_lettered(demo):
    claim = _claim(ExpenseClaim.Status.PAID)

    assert claim.payment_entry is not None
    assert claim.payment_entry.journal.code == "BQ1"
    assert claim.paid_on == claim.payment_entry.date
    total = sum((ln.amount_incl_vat for ln in claim.lines.all()), ZERO)
    assert _entry_totals(claim.payment_entry) == {"425": (total, ZERO), "512": (ZERO, total)}
    owed = EntryLine.objects.filter(entry_id__in=[claim.entry_id, claim.payment_entry_id],
                                    account__number="425")
    codes = set(owed.values_list("lettering_code", flat=True))
    assert len(codes) == 1
    assert codes != {""}


def test_a_supplier_invoice_was_read_from_the_factur_x_pdf_another_structure_issued(demo):
    bought = SupplierInvoice.objects.select_related("supplier", "structure").exclude(
        facturx_xml="").get()
    assert bought.pdf is not None
    sold = Invoice.objects.get(pdf_sha256=bought.pdf_sha256)
    read = parse_cii(bought.facturx_xml, check_xsd=False)

    assert sold.structure != bought.structure
    assert sold.structure.network == bought.structure.network
    assert bought.supplier.siren == sold.structure.siren
    assert bought.number == sold.number == read.number
    assert (bought.total_excl_vat, bought.total_vat, bought.total_incl_vat) == (
        read.total_excl_vat, read.total_vat, read.total_incl_vat)
    assert bought.status == SupplierInvoice.Status.POSTED
    assert bought.entry is not None
    assert bought.entry.journal.code == "AC"
    assert {ln.category for ln in bought.lines.all()} == {ExpenseCategory.SUBCONTRACTING}
    totals = _entry_totals(bought.entry)
    assert totals["401"] == (ZERO, bought.total_incl_vat)
    assert totals["604"] == (bought.total_excl_vat, ZERO)


def test_a_supplier_invoice_typed_from_a_plain_pdf_was_posted_then_paid(demo):
    paid = SupplierInvoice.objects.select_related("supplier__third_party").get(
        status=SupplierInvoice.Status.PAID)

    assert paid.facturx_xml == ""
    assert paid.created_by is not None
    assert paid.created_by.username == "cooperant"
    assert paid.entry is not None
    assert paid.payment_entry is not None
    assert paid.paid_on is not None
    assert paid.issued_on < paid.paid_on <= local_today()
    assert _entry_totals(paid.entry)["44566"] == (paid.total_vat, ZERO)
    assert _entry_totals(paid.payment_entry) == {"401": (paid.total_incl_vat, ZERO),
                                                 "512": (ZERO, paid.total_incl_vat)}
    supplier_lines = EntryLine.objects.filter(
        entry_id__in=[paid.entry_id, paid.payment_entry_id], account__number="401")
    assert {ln.third_party_id for ln in supplier_lines} == {paid.supplier.third_party_id}
    assert len(set(supplier_lines.values_list("lettering_code", flat=True)) - {""}) == 1


def test_every_purchase_entry_is_balanced_and_every_line_carries_a_treasury_account(demo):
    entries = Entry.objects.filter(source__startswith="purchases.")

    assert entries.count() == 6  # two claims, a reimbursement, two invoices, a payment
    for entry in entries:
        assert entry.status == Entry.Status.VALIDATED
        lines = EntryLine.objects.filter(entry=entry)
        assert sum(ln.debit for ln in lines) == sum(ln.credit for ln in lines) > 0
        assert not lines.filter(treasury_account__isnull=True).exists(), entry


def test_seeding_twice_adds_nothing(demo):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    assert _counts() == before
    assert "Dépenses déjà présentes : dates limites dans 3 structures" in out.getvalue()
