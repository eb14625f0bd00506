"""What selling writes in the books, through `ledger.services` only.

- an invoice: 411 (the customer's auxiliary account) at the total incl. VAT against 706
  (services) and 707 (goods) net, and 44571 per VAT rate; a final invoice after deposits also
  takes the deposits back out of 4191;
- a deposit invoice: 411 against 4191 (advances received) and 44571;
- a credit note: the mirror of an invoice;
- a payment: bank (512) or cash (530) against 411, and once the invoice is settled its 411
  lines are lettered together.

Every line carries the activity's treasury account.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kpa.core.auth import AnyUser
from kpa.ledger import charts
from kpa.ledger import services as ledger_services
from kpa.ledger.lettering import letter_settled
from kpa.ledger.models import Entry, EntryLine, Journal, ThirdParty, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.sales.models import Customer, Invoice, Payment, PaymentMethod
from kpa.sales.totals import ZERO, Totals

SERVICES_SALES = "706"
GOODS_SALES = "707"
ADVANCES_RECEIVED = "4191"


def third_party_for(customer: Customer) -> ThirdParty:
    """The customer's auxiliary account, created at their first issued invoice."""
    if customer.third_party_id is not None:
        return customer.third_party  # type: ignore[return-value]
    # Two first invoices of one customer at once: the customer's row is the lock.
    locked = Customer.objects.select_for_update(of=("self",)).select_related(
        "third_party").get(pk=customer.pk)
    if locked.third_party is not None:
        customer.third_party = locked.third_party
        return locked.third_party
    third_party = ThirdParty.objects.create(
        structure_id=customer.structure_id, code=f"C{customer.pk:05d}",
        name=customer.name[:150], kind=ThirdParty.Kind.CUSTOMER)
    Customer.objects.filter(pk=customer.pk).update(third_party=third_party)
    customer.third_party = third_party
    return third_party


def journal(structure_id: int, code: str) -> Journal:
    return Journal.objects.get(structure_id=structure_id, code=code)


def _split(lines: list[LineInput], *, mirror: bool) -> list[LineInput]:
    if not mirror:
        return lines
    return [LineInput(ln.account, debit=ln.credit, credit=ln.debit, label=ln.label,
                      third_party=ln.third_party, treasury_account=ln.treasury_account)
            for ln in lines]


def post_invoice(*, actor: AnyUser, invoice: Invoice, totals: Totals, today: dt.date) -> Entry:
    treasury = treasury_account_for(invoice.activity, actor=actor)
    customer = third_party_for(invoice.customer)
    label = f"{invoice.get_kind_display()} {invoice.number} {invoice.customer.name}"[:200]
    lines = [LineInput(charts.CUSTOMERS, debit=totals.incl_vat, third_party=customer,
                       treasury_account=treasury)]
    if invoice.kind == Invoice.Kind.DEPOSIT:
        lines.append(LineInput(ADVANCES_RECEIVED, credit=totals.excl_vat,
                               treasury_account=treasury))
    else:
        for account, amount in ((SERVICES_SALES, totals.services),
                                (GOODS_SALES, totals.goods)):
            if amount:
                lines.append(LineInput(account, credit=amount, treasury_account=treasury))
    for group in totals.groups:
        if group.vat:
            lines.append(LineInput(charts.VAT_COLLECTED, credit=group.vat,
                                   label=f"{label} TVA {group.rate:g} %"[:200],
                                   treasury_account=treasury))
    lines = [ln for ln in lines if ln.debit or ln.credit]
    lines = _split(lines, mirror=invoice.is_credit_note)
    lines += _deposits_taken_back(invoice, customer, treasury)
    return ledger_services.post_entry(
        actor=actor, structure=invoice.structure, journal=journal(invoice.structure_id, "VT"),
        date=invoice.issued_on or today, label=label, lines=lines, piece_ref=invoice.number,
        source="sales.invoice", validate=True, today=today)


def _deposits_taken_back(invoice: Invoice, customer: ThirdParty,
                         treasury: TreasuryAccount) -> list[LineInput]:
    """A final invoice reverses its quote's deposits: 4191 and their VAT back to 411."""
    if invoice.kind != Invoice.Kind.INVOICE or invoice.quote_id is None:
        return []
    lines: list[LineInput] = []
    for deposit in Invoice.objects.filter(quote_id=invoice.quote_id, kind=Invoice.Kind.DEPOSIT,
                                          status=Invoice.Status.ISSUED):
        label = f"Acompte {deposit.number} déduit"
        lines.append(LineInput(ADVANCES_RECEIVED, debit=deposit.total_excl_vat, label=label,
                               treasury_account=treasury))
        if deposit.total_vat:
            lines.append(LineInput(charts.VAT_COLLECTED, debit=deposit.total_vat, label=label,
                                   treasury_account=treasury))
        lines.append(LineInput(charts.CUSTOMERS, credit=deposit.total_incl_vat, label=label,
                               third_party=customer, treasury_account=treasury))
    return lines


def post_payment(*, actor: AnyUser, invoice: Invoice, amount: Decimal, method: str,
                 received_on: dt.date, reference: str, today: dt.date) -> Entry:
    """Money in for an invoice (money out, refunding a credit note)."""
    treasury = treasury_account_for(invoice.activity, actor=actor)
    customer = third_party_for(invoice.customer)
    cash = method == PaymentMethod.CASH
    label = (f"{'Remboursement' if invoice.is_credit_note else 'Règlement'} {invoice.number} "
             f"{invoice.customer.name}")[:200]
    lines = [
        LineInput(charts.CASH if cash else charts.BANK, debit=amount, treasury_account=treasury),
        LineInput(charts.CUSTOMERS, credit=amount, third_party=customer,
                  treasury_account=treasury),
    ]
    return ledger_services.post_entry(
        actor=actor, structure=invoice.structure,
        journal=journal(invoice.structure_id, "CA" if cash else "BQ1"), date=received_on,
        label=label, lines=_split(lines, mirror=invoice.is_credit_note),
        piece_ref=(reference or invoice.number)[:50], source="sales.payment", validate=True,
        today=today)


def letter_if_settled(*, actor: AnyUser, invoice: Invoice, today: dt.date) -> str:
    """Letter the invoice's 411 lines with its payments' (and its credit notes' when they
    settle it together): once their debits equal their credits."""
    entry_ids = [invoice.entry_id] if invoice.entry_id else []
    entry_ids += list(Payment.objects.filter(invoice=invoice).values_list("entry_id", flat=True))
    for note in invoice.credit_notes.filter(status=Invoice.Status.ISSUED):
        if note.entry_id:
            entry_ids.append(note.entry_id)
        entry_ids += list(note.payments.values_list("entry_id", flat=True))
    lines = list(EntryLine.objects.filter(
        entry_id__in=entry_ids, account__number=charts.CUSTOMERS,
        third_party_id=invoice.customer.third_party_id, lettering_code=""))
    balance = sum((ln.debit - ln.credit for ln in lines), ZERO)
    # Lettering stays within one fiscal year; across years the à-nouveaux carry the debt.
    if len(lines) < 2 or balance != 0 or len({ln.fiscal_year_id for ln in lines}) > 1:
        return ""
    return letter_settled(actor=actor, lines=lines, today=today)
