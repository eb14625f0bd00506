"""The demo selling: in every KPA of the demo network (each has a coopérant with an active,
insured CAPE), customers, quotes, paid and unpaid invoices, a credit note and a till with its
daily closings; the association of La Rochelle sells under the VAT franchise; every issued
document passes the Factur-X oracle; idempotent.

The whole demo (`kpa seed_demo`: directory, ledger, journey, sales) is built once for the
module, with today's date as `make run` would, inside a transaction rolled back at the end; each
test runs in its own savepoint within it. The test that needs another state runs first, before
that module transaction exists (pytest keeps the file's order).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from schwifty import IBAN
from stdnum.fr import siren, siret, tva

from kpa.core.dates import local_today
from kpa.core.models import AuditEvent
from kpa.directory.demo import KPAS, NETWORK_NAME, seed_demo_network
from kpa.directory.models import Activity, Kpa, Structure
from kpa.journey.models import InsuranceEntry, Journey, JourneyStatus
from kpa.ledger.models import Entry, EntryLine
from kpa.ledger.services import fiscal_year_for
from kpa.sales.checks import check_facturx_pdf
from kpa.sales.demo import seed_app_demo
from kpa.sales.models import (
    CatalogItem,
    Contact,
    Customer,
    Invoice,
    Payment,
    PaymentMethod,
    Quote,
    SalesSettings,
    Till,
    TillClosing,
    TillTicket,
    VatRate,
)
from kpa.sales.payments import balance_due
from kpa.sales.till import verify_chain

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Customer, Contact, Quote, Invoice, Payment, Till, TillTicket,
                          TillClosing, SalesSettings, Entry, AuditEvent)}


# -- before the rest of the demo exists (runs before the module's demo) ----------------------


def test_without_the_demo_books_the_sales_demo_does_nothing():
    seed_demo_network()

    line = seed_app_demo(today=dt.date(2026, 11, 28))

    assert "rien à faire" in line
    assert not Customer.objects.exists()
    assert not Invoice.objects.exists()


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


def _selling_kpas() -> set[str]:
    """The KPAs where someone may sell, found from the journeys, not from the sales demo."""
    return set(Journey.objects.filter(
        status=JourneyStatus.ACTIVE,
        insurance_entries__answer=InsuranceEntry.Answer.ACCEPTED,
    ).values_list("kpa__name", flat=True))


def _issued(kpa: Kpa) -> list[Invoice]:
    return list(Invoice.objects.filter(activity__kpa=kpa, status=Invoice.Status.ISSUED))


def _customers_of(kpa: Kpa) -> list[Customer]:
    """The customers the KPA's activities quoted or invoiced (customers belong to the carrying
    structure, shared by its KPAs)."""
    ids = set(Quote.objects.filter(activity__kpa=kpa).values_list("customer_id", flat=True))
    ids |= set(Invoice.objects.filter(activity__kpa=kpa).values_list("customer_id", flat=True))
    return list(Customer.objects.filter(pk__in=ids))


def test_the_seed_demo_command_reports_the_sales_after_the_journeys(demo):
    assert "Ventes créées : 6 KPA" in demo.output
    assert demo.output.index("[journey,") < demo.output.index("[sales,")


def test_every_kpa_of_the_demo_network_has_the_whole_selling_story(demo):
    kpas = list(Kpa.objects.filter(network__name=NETWORK_NAME))

    assert len(kpas) == len(KPAS) == 6
    assert _selling_kpas() == {k.name for k in kpas}
    for kpa in kpas:
        issued = _issued(kpa)
        invoices = [i for i in issued if not i.is_credit_note]
        customers = _customers_of(kpa)
        assert len(customers) >= 3, kpa
        assert {Customer.Kind.COMPANY, Customer.Kind.INDIVIDUAL} <= {c.kind for c in customers}, \
            kpa
        assert all(c.structure_id == kpa.carrying_structure_id for c in customers), kpa
        quotes = set(Quote.objects.filter(activity__kpa=kpa).values_list("status", flat=True))
        assert {Quote.Status.SENT, Quote.Status.ACCEPTED} <= quotes, kpa
        assert any(i.paid_on is not None and balance_due(i) == 0 for i in invoices), kpa
        assert any(balance_due(i) > 0 and i.paid_on is None for i in invoices), kpa
        assert any(i.is_credit_note for i in issued), kpa
        closings = TillClosing.objects.filter(till__activity__kpa=kpa)
        assert closings.count() >= 2, kpa
        assert all(c.ticket_count > 0 and c.entry_id is not None for c in closings), kpa
        assert all(c.till.activity.kind == Activity.Kind.COLLECTIVE for c in closings), kpa


def test_the_demo_stays_light_enough_to_seed_in_seconds(demo):
    issued = Invoice.objects.filter(status=Invoice.Status.ISSUED)

    # Each PDF costs about half a second: Roubaix tells every case, the others fewer.
    assert issued.count() <= 25
    for kpa in Kpa.objects.exclude(name__in=["KPA Roubaix", "KPA Lille-Moulins"]):
        assert 3 <= issued.filter(activity__kpa=kpa).count() <= 4, kpa


def test_overdue_and_not_yet_due_invoices_are_both_in_the_demo(demo):
    unpaid = [i for i in Invoice.objects.filter(status=Invoice.Status.ISSUED,
                                                kind=Invoice.Kind.INVOICE)
              if balance_due(i) > 0]

    assert any(i.due_on < demo.today for i in unpaid)
    assert any(i.due_on >= demo.today for i in unpaid)


def test_the_association_under_the_franchise_sells_without_vat_and_says_why(demo):
    kpa = Kpa.objects.get(name="KPA La Rochelle-Mireuil")
    structure = kpa.carrying_structure
    assert structure is not None
    assert structure.vat_regime == Structure.VatRegime.FRANCHISE
    issued = _issued(kpa)

    assert issued
    for invoice in issued:
        assert invoice.total_vat == 0, invoice
        assert invoice.total_incl_vat == invoice.total_excl_vat > 0, invoice
        assert invoice.seller_mentions["vat_franchise"] is True, invoice
        assert "art. 293 B du CGI" in invoice.seller_mentions["vat_exemption"], invoice
        assert invoice.seller_mentions["seller"]["vat_number"] == "", invoice
        assert set(invoice.lines.values_list("vat_rate", flat=True)) == {VatRate.NONE}
    assert set(CatalogItem.objects.filter(activity__kpa=kpa)
               .values_list("vat_rate", flat=True)) == {VatRate.NONE}
    for closing in TillClosing.objects.filter(till__activity__kpa=kpa):
        assert set(closing.totals["rates"]) == {VatRate.NONE}, closing
    # The administrator acts for the association, which has no gestionnaire who logs in.
    assert {i.issued_by.username for i in issued if i.issued_by} == {"admin"}


def test_the_epicerie_closes_its_days_with_two_vat_rates(demo):
    closings = TillClosing.objects.filter(till__activity__kpa__name="KPA Mons-en-Barœul")

    first = closings.first()
    assert first is not None
    assert first.till.activity.name == "Épicerie solidaire"
    for closing in closings:
        assert set(closing.totals["rates"]) == {VatRate.REDUCED, VatRate.STANDARD}, closing


def test_quotes_go_through_every_state_and_one_became_a_deposit_and_a_final_invoice(demo):
    assert set(Quote.objects.values_list("status", flat=True)) == set(Quote.Status.values)
    accepted = Quote.objects.filter(status=Quote.Status.ACCEPTED, accepted_through="link")
    assert accepted.exists()
    deposit = Invoice.objects.get(kind=Invoice.Kind.DEPOSIT)
    final = Invoice.objects.get(quote=deposit.quote, kind=Invoice.Kind.INVOICE)
    assert deposit.issued_on is not None
    assert final.issued_on is not None
    assert deposit.issued_on < final.issued_on
    assert final.prepaid_amount == deposit.total_incl_vat > 0
    assert final.seller_mentions["preceding"] == [
        {"number": deposit.number, "issued_on": deposit.issued_on.isoformat()}]


def test_invoices_are_paid_in_full_in_part_or_not_at_all_by_every_method(demo):
    invoices = [i for i in Invoice.objects.filter(status=Invoice.Status.ISSUED)
                if not i.is_credit_note]

    partly = [i for i in invoices if 0 < i.amount_paid < i.total_incl_vat and i.paid_on is None
              and not i.credit_notes.exists()]
    overdue = [i for i in invoices if i.amount_paid == 0 and i.due_on < demo.today]
    assert partly
    assert overdue
    assert set(Payment.objects.values_list("method", flat=True)) == set(PaymentMethod.values)


def test_a_partial_credit_note_corrects_an_invoice_whose_rest_was_paid(demo):
    note = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).earliest("pk")
    credited = note.credited_invoice

    assert credited is not None
    assert 0 < note.total_incl_vat < credited.total_incl_vat
    assert credited.amount_paid == credited.total_incl_vat - note.total_incl_vat
    assert credited.paid_on is not None
    assert balance_due(credited) == 0


def test_the_persona_drafts_submits_and_issues_within_her_ceiling(demo):
    persona = User.objects.get(username="cooperant")

    self_issued = Invoice.objects.filter(issued_by=persona)
    assert self_issued.count() == 1
    assert AuditEvent.objects.filter(actor=persona, action="sales.invoice.submitted").exists()
    waiting = Invoice.objects.get(status=Invoice.Status.SUBMITTED)
    assert waiting.created_by == persona


def test_customers_carry_identities_python_stdnum_accepts(demo):
    kinds = set(Customer.objects.values_list("kind", flat=True))

    assert kinds == set(Customer.Kind.values)
    for customer in Customer.objects.exclude(kind=Customer.Kind.INDIVIDUAL):
        assert siren.is_valid(customer.siren), customer
        assert siret.is_valid(customer.siret), customer
        assert customer.siret.startswith(customer.siren), customer
        assert customer.contacts.exists(), customer
    for customer in Customer.objects.exclude(vat_number=""):
        assert tva.is_valid(customer.vat_number), customer
        assert tva.to_siren(customer.vat_number) == customer.siren, customer


def test_each_selling_structure_has_its_settings_with_a_vat_number_of_its_own_siren(demo):
    for settings in SalesSettings.objects.select_related("structure"):
        assert settings.legal_form_text, settings
        assert IBAN(settings.iban).country_code == "FR", settings
        if settings.structure.vat_regime == "normal":
            assert tva.to_siren(settings.vat_number) == settings.structure.siren, settings
        else:
            assert settings.vat_number == "", settings


def test_numbers_follow_the_issue_dates_inside_the_open_fiscal_year(demo):
    structures = Structure.objects.filter(pk__in=Invoice.objects.filter(
        status=Invoice.Status.ISSUED).values("structure_id"))
    assert structures.count() == 2  # the CAE and the association of La Rochelle
    for structure, series in itertools.product(structures, (Invoice.Kind.CREDIT_NOTE, None)):
        issued = Invoice.objects.filter(structure=structure, status=Invoice.Status.ISSUED)
        issued = (issued.filter(kind=series) if series
                  else issued.exclude(kind=Invoice.Kind.CREDIT_NOTE))
        by_number = sorted(issued, key=lambda i: i.number)
        days = [i.issued_on for i in by_number]
        assert days, (structure, series)
        assert all(day is not None for day in days)
        assert days == sorted(days)  # type: ignore[type-var]
        assert by_number[0].number.endswith("-00001"), (structure, series)
        for invoice in by_number:
            assert invoice.issued_on is not None
            assert invoice.entry is not None
            assert invoice.issued_on < demo.today
            assert fiscal_year_for(invoice.structure, invoice.issued_on).is_open
            assert invoice.entry.date == invoice.issued_on
            assert invoice.entry.status == Entry.Status.VALIDATED
            assert not EntryLine.objects.filter(entry=invoice.entry,
                                                treasury_account__isnull=True).exists()


def test_the_tills_chains_are_intact_and_today_is_not_closed_yet(demo):
    for till in Till.objects.all():
        assert verify_chain(till) == [], till
        assert not till.closings.filter(day=demo.today).exists()
        assert till.tickets.filter(closing__isnull=True).exists()


def test_every_issued_invoice_and_credit_note_passes_the_facturx_oracle(demo):
    issued = list(Invoice.objects.filter(status=Invoice.Status.ISSUED))

    assert {i.kind for i in issued} == set(Invoice.Kind.values)
    for invoice in issued:
        pdf = bytes(invoice.pdf)
        assert hashlib.sha256(pdf).hexdigest() == invoice.pdf_sha256, invoice
        report = check_facturx_pdf(pdf)
        assert report.xsd_ok, (invoice, report.failures)
        assert report.reports_produced == 2, invoice
        assert report.ok, (invoice, report.failures)


def test_the_daily_run_reminds_the_overdue_invoices_of_the_demo(demo):
    out = io.StringIO()

    call_command("sales_daily", "--today", demo.today.isoformat(), stdout=out)

    reminded = Invoice.objects.exclude(last_reminder_on=None)
    assert reminded.exists()
    assert all(i.due_on < demo.today for i in reminded)
    assert f"{reminded.count()} relance" in out.getvalue()


def test_seeding_twice_adds_nothing(demo):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    assert _counts() == before
    assert "Ventes déjà présentes : 6 KPA" in out.getvalue()
