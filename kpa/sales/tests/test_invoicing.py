"""The invoice's life: drafted, submitted, issued (number, frozen PDF, entry), paid; and every
refusal leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from stdnum.eu import vat

from kpa.core.models import AuditEvent
from kpa.ledger.models import Entry, EntryLine
from kpa.sales import documents, payments, services
from kpa.sales.documents import LineInput
from kpa.sales.models import DocumentSequence, Invoice, PaymentMethod
from kpa.sales.tests.conftest import Shop, give_cape
from kpa.sales.tests.helpers import draft_invoice, hem_lines, issued_invoice

pytestmark = pytest.mark.django_db


def lines_of(entry: Entry) -> list[tuple[str, Decimal, Decimal]]:
    return [(ln.account.number, ln.debit, ln.credit)
            for ln in EntryLine.objects.filter(entry=entry).select_related("account")
            .order_by("position")]


def test_a_draft_has_no_number_and_totals_follow_its_lines(shop: Shop) -> None:
    invoice = draft_invoice(shop, lines=[
        LineInput(description="Ourlet", quantity=3, unit_price="3.33", vat_rate="20.00"),
        LineInput(description="Tissu", quantity="1.5", unit_price="10", vat_rate="5.50",
                  is_service=False),
    ])
    assert invoice.number == ""
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.total_excl_vat == Decimal("24.99")
    assert invoice.total_vat == Decimal("2.00") + Decimal("0.83")
    assert invoice.total_incl_vat == Decimal("27.82")


def test_issuing_numbers_freezes_posts_and_e_mails_the_invoice(
        shop: Shop, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issued_invoice(shop)
    assert invoice.number == "2026-00001"
    assert invoice.issued_on == shop.today
    assert invoice.due_on == shop.today + dt.timedelta(days=30)
    assert bytes(invoice.pdf).startswith(b"%PDF")
    assert invoice.pdf_sha256 == hashlib.sha256(bytes(invoice.pdf)).hexdigest()
    assert "entrepreneur·e en CAPE" in invoice.seller_mentions["cape"]
    assert "02/03/2026" in invoice.seller_mentions["cape"]
    # No VAT number set: the one the SIREN determines, as python-stdnum computes it.
    assert vat.is_valid(invoice.seller_mentions["seller"]["vat_number"])
    assert invoice.seller_mentions["seller"]["vat_number"].endswith(shop.cast.cae.siren)
    assert invoice.entry is not None
    assert invoice.entry.is_validated
    assert lines_of(invoice.entry) == [("411", Decimal("30.00"), Decimal("0")),
                                       ("706", Decimal("0"), Decimal("25.00")),
                                       ("44571", Decimal("0"), Decimal("5.00"))]
    treasury = {ln.treasury_account for ln in EntryLine.objects.filter(entry=invoice.entry)}
    (account,) = treasury
    assert account is not None
    assert account.person == shop.cast.cooperant
    assert AuditEvent.objects.filter(action="sales.invoice.issued",
                                     target_id=str(invoice.pk)).exists()
    sent = [m for m in mail.outbox if m.to == ["achats@mairie.test"]]
    assert len(sent) == 1
    name, content, mime = sent[0].attachments[0]
    assert (name, mime) == ("2026-00001.pdf", "application/pdf")
    assert content == bytes(invoice.pdf)
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_numbers_follow_each_other_and_credit_notes_have_their_own_series(shop: Shop) -> None:
    first, second = issued_invoice(shop), issued_invoice(shop)
    note = documents.create_credit_note(actor=shop.manager, invoice=first, today=shop.today)
    note = documents.issue_invoice(actor=shop.manager, invoice=note, today=shop.today)
    assert (first.number, second.number, note.number) == ("2026-00001", "2026-00002",
                                                          "AV2026-00001")


def test_the_pattern_of_the_structure_shapes_the_number(shop: Shop) -> None:
    services.update_settings(actor=shop.manager, structure=shop.cast.cae, today=shop.today,
                             invoice_pattern="F{YY}{MM}-{SEQ:03}")
    assert issued_invoice(shop).number == "F2611-001"


def test_an_issued_invoice_never_changes_nor_disappears(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    with pytest.raises(ValidationError, match="faites un avoir"):
        documents.update_invoice(actor=shop.manager, invoice=invoice, lines=hem_lines(5),
                                 today=shop.today)
    with pytest.raises(ValidationError, match="ne se supprime pas"):
        documents.delete_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == Decimal("30.00")
    assert invoice.lines.count() == 1


def test_the_seller_cannot_issue_without_a_self_validation_right(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    with pytest.raises(ValidationError, match="plafond d'auto-validation"):
        documents.issue_invoice(actor=shop.seller, invoice=invoice, today=shop.today)
    invoice.refresh_from_db()
    assert invoice.number == ""
    assert not DocumentSequence.objects.exists()


def test_a_self_validation_right_lets_the_seller_issue_up_to_its_ceiling(shop: Shop) -> None:
    services.grant_selling_right(actor=shop.manager, structure=shop.cast.cae,
                                 person=shop.cast.cooperant, ceiling="100", today=shop.today)
    small = documents.issue_invoice(actor=shop.seller, invoice=draft_invoice(shop),
                                    today=shop.today)
    assert small.is_issued
    large = draft_invoice(shop, lines=hem_lines(20))  # 300 € TTC
    with pytest.raises(ValidationError, match="plafond"):
        documents.issue_invoice(actor=shop.seller, invoice=large, today=shop.today)


def test_a_business_customer_without_siren_cannot_be_invoiced(shop: Shop) -> None:
    shop.company.siren = shop.company.siret = ""
    shop.company.save()
    invoice = draft_invoice(shop)
    with pytest.raises(ValidationError, match="SIREN"):
        documents.issue_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    assert not DocumentSequence.objects.exists()
    assert not Entry.objects.exists()


def test_an_uninsured_or_inactive_coopérant_cannot_sell(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    shop.cast.cooperant.journeys.update(status="ended")
    with pytest.raises(ValidationError, match="pas de contrat CAPE actif"):
        documents.issue_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    shop.cast.cooperant.journeys.update(status="active")
    shop.cast.cooperant.journeys.get().insurance_entries.update(answer="pending")
    with pytest.raises(ValidationError, match="assurance"):
        documents.submit_invoice(actor=shop.seller, invoice=invoice, today=shop.today)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT
    assert invoice.number == ""
    assert not Entry.objects.exists()
    assert not DocumentSequence.objects.exists()


def test_a_contract_not_yet_started_does_not_let_one_sell(shop: Shop) -> None:
    newcomer = shop.cast.quiet_cooperant
    give_cape(shop.cast, newcomer, starts_on=dt.date(2026, 12, 1),
              ends_on=dt.date(2027, 12, 1))
    from kpa.sales.eligibility import cape_holder

    shop.activity.memberships.update(person=newcomer)
    with pytest.raises(ValidationError, match="contrat CAPE signé qui couvre"):
        cape_holder(shop.activity, on=shop.today)
    assert cape_holder(shop.activity, on=dt.date(2026, 12, 2)).since == dt.date(2026, 12, 1)


@pytest.mark.parametrize(("line", "message"), [
    (LineInput(description="Ourlet", quantity=-1, unit_price="10", vat_rate="20.00"),
     "quantité doit être positive"),
    (LineInput(description="Ourlet", quantity=1, unit_price="10", vat_rate="19.60"),
     "19.60 n'existe pas"),
    (LineInput(description="Ourlet", quantity=1, unit_price="-10", vat_rate="20.00"),
     "pas négatif"),
    (LineInput(description="", quantity=1, unit_price="10", vat_rate="20.00"),
     "dites ce que vous vendez"),
    (LineInput(description="Ourlet", quantity=1, unit_price="10.001", vat_rate="20.00"),
     "centime"),
])
def test_bad_lines_are_refused_plainly_and_nothing_is_written(
        shop: Shop, line: LineInput, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        documents.create_invoice(actor=shop.seller, activity=shop.activity,
                                 customer=shop.company, lines=[line], today=shop.today)
    assert "Ligne 1" in str(refused.value)
    assert not Invoice.objects.exists()


def test_the_franchise_regime_takes_only_zero_vat(shop: Shop) -> None:
    shop.cast.cae.vat_regime = "franchise"
    shop.cast.cae.save()
    with pytest.raises(ValidationError, match="franchise"):
        draft_invoice(shop)
    invoice = issued_invoice(shop, lines=[LineInput(description="Ourlet", quantity=2,
                                                    unit_price="12.50", vat_rate="0")])
    assert invoice.total_vat == 0
    assert invoice.total_incl_vat == Decimal("25.00")
    assert invoice.seller_mentions["vat_exemption"] == "TVA non applicable, art. 293 B du CGI"
    assert lines_of(invoice.entry) == [("411", Decimal("25.00"), Decimal("0")),  # type: ignore[arg-type]
                                       ("706", Decimal("0"), Decimal("25.00"))]


def test_outsiders_and_other_roles_cannot_draft_for_the_activity(shop: Shop) -> None:
    for persona in ("outsider", "referent", "comptable"):
        with pytest.raises(PermissionDenied):
            documents.create_invoice(actor=shop.cast.user(persona), activity=shop.activity,
                                     customer=shop.company, lines=hem_lines(),
                                     today=shop.today)


def test_a_credit_note_mirrors_the_invoice_and_cannot_exceed_it(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    partial = documents.create_credit_note(
        actor=shop.manager, invoice=invoice, today=shop.today,
        lines=[LineInput(description="Geste commercial", quantity=1, unit_price="5",
                         vat_rate="20.00")])
    partial = documents.issue_invoice(actor=shop.manager, invoice=partial, today=shop.today)
    assert lines_of(partial.entry) == [("411", Decimal("0"), Decimal("6.00")),  # type: ignore[arg-type]
                                       ("706", Decimal("5.00"), Decimal("0")),
                                       ("44571", Decimal("1.00"), Decimal("0"))]
    assert partial.seller_mentions["preceding"] == [{"number": invoice.number,
                                                     "issued_on": "2026-11-28"}]
    assert payments.balance_due(invoice) == Decimal("24.00")
    with pytest.raises(ValidationError, match="dépasse ce qui reste"):
        documents.create_credit_note(actor=shop.manager, invoice=invoice, today=shop.today)
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 1
    with pytest.raises(PermissionDenied):
        documents.create_credit_note(actor=shop.seller, invoice=invoice, today=shop.today)


def test_payments_settle_the_invoice_and_letter_its_customer_lines(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    payments.record_payment(actor=shop.seller, invoice=invoice, amount="10",
                            method=PaymentMethod.CASH, received_on=shop.today, today=shop.today)
    invoice.refresh_from_db()
    assert invoice.paid_on is None
    assert payments.balance_due(invoice) == Decimal("20.00")
    with pytest.raises(ValidationError, match="Il reste 20,00"):
        payments.record_payment(actor=shop.seller, invoice=invoice, amount="25",
                                method=PaymentMethod.TRANSFER, received_on=shop.today,
                                today=shop.today)
    last = payments.record_payment(actor=shop.cast.user("comptable"), invoice=invoice,
                                   amount="20", method=PaymentMethod.TRANSFER,
                                   received_on=shop.today, today=shop.today)
    invoice.refresh_from_db()
    assert invoice.paid_on == shop.today
    assert payments.balance_due(invoice) == 0
    assert lines_of(last.entry) == [("512", Decimal("20.00"), Decimal("0")),
                                    ("411", Decimal("0"), Decimal("20.00"))]
    customer_lines = EntryLine.objects.filter(account__number="411")
    assert customer_lines.count() == 3
    assert len({ln.lettering_code for ln in customer_lines}) == 1
    assert customer_lines.first().lettering_code != ""  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="Il reste 0,00"):
        payments.record_payment(actor=shop.seller, invoice=invoice, amount="1",
                                method=PaymentMethod.CASH, received_on=shop.today,
                                today=shop.today)


def test_a_payment_on_a_draft_or_in_the_future_is_refused(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="facture émise"):
        payments.record_payment(actor=shop.manager, invoice=draft_invoice(shop), amount="1",
                                method=PaymentMethod.CASH, received_on=shop.today,
                                today=shop.today)
    with pytest.raises(ValidationError, match="à l'avance"):
        payments.record_payment(actor=shop.manager, invoice=issued_invoice(shop), amount="1",
                                method=PaymentMethod.CASH,
                                received_on=shop.today + dt.timedelta(days=1), today=shop.today)


def test_a_refund_on_a_credit_note_of_a_paid_invoice_balances_the_customer(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    payments.record_payment(actor=shop.manager, invoice=invoice, amount="30",
                            method=PaymentMethod.TRANSFER, received_on=shop.today,
                            today=shop.today)
    note = documents.issue_invoice(
        actor=shop.manager, today=shop.today,
        invoice=documents.create_credit_note(actor=shop.manager, invoice=invoice,
                                             today=shop.today))
    invoice.refresh_from_db()
    assert payments.balance_due(invoice) == Decimal("-30.00")
    payments.record_payment(actor=shop.manager, invoice=note, amount="30",
                            method=PaymentMethod.TRANSFER, received_on=shop.today,
                            today=shop.today)
    invoice.refresh_from_db()
    assert payments.balance_due(invoice) == 0
    balance = sum((ln.debit - ln.credit for ln in EntryLine.objects.filter(
        account__number="411")), Decimal(0))
    assert balance == 0


def test_a_quote_becomes_a_deposit_then_a_final_invoice_that_deducts_it(shop: Shop) -> None:
    from kpa.sales.tests.helpers import accepted_quote

    quote = accepted_quote(shop)  # 10 x 12.50 HT = 150 TTC
    deposit = documents.deposit_from_quote(actor=shop.seller, quote=quote, percent=30,
                                           today=shop.today)
    deposit = documents.issue_invoice(actor=shop.manager, invoice=deposit, today=shop.today)
    assert deposit.total_incl_vat == Decimal("45.00")
    assert lines_of(deposit.entry) == [("411", Decimal("45.00"), Decimal("0")),  # type: ignore[arg-type]
                                       ("4191", Decimal("0"), Decimal("37.50")),
                                       ("44571", Decimal("0"), Decimal("7.50"))]
    with pytest.raises(ValidationError, match="dépasseraient le montant du devis"):
        documents.deposit_from_quote(actor=shop.seller, quote=quote, percent=80,
                                     today=shop.today)
    assert Invoice.objects.filter(kind=Invoice.Kind.DEPOSIT).count() == 1
    final = documents.invoice_from_quote(actor=shop.seller, quote=quote, today=shop.today)
    final = documents.issue_invoice(actor=shop.manager, invoice=final, today=shop.today)
    assert final.prepaid_amount == Decimal("45.00")
    assert payments.balance_due(final) == Decimal("105.00")
    assert final.seller_mentions["preceding"] == [{"number": deposit.number,
                                                   "issued_on": "2026-11-28"}]
    advances = sum((ln.credit - ln.debit for ln in EntryLine.objects.filter(
        account__number="4191")), Decimal(0))
    assert advances == 0
    with pytest.raises(ValidationError, match="déjà sa facture"):
        documents.invoice_from_quote(actor=shop.seller, quote=quote, today=shop.today)


def test_submitting_tells_the_gestionnaires_and_issuing_tells_the_seller(shop: Shop) -> None:
    from kpa.core.models import Notification

    invoice = draft_invoice(shop)
    documents.submit_invoice(actor=shop.seller, invoice=invoice, today=shop.today)
    notice = Notification.objects.get(topic="sales.invoice.submitted")
    assert notice.recipient == shop.manager
    documents.issue_invoice(actor=shop.manager, invoice=invoice, today=shop.today)
    issued = Notification.objects.get(topic="sales.invoice.issued")
    assert issued.recipient == shop.seller
    assert "2026-00001" in issued.subject
