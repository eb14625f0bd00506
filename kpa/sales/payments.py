"""Money received for issued invoices (and refunded on credit notes), and the reminders of
overdue invoices. Each payment is posted to the books at once; when an invoice is settled its
customer lines are lettered together."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money
from kpa.sales import delivery, permissions, posting
from kpa.sales.models import ZERO, Invoice, Payment, PaymentMethod
from kpa.sales.services import price, require, signed_in


def balance_due(invoice: Invoice) -> Decimal:
    """What the customer still owes on an invoice (negative: what we owe them back), after
    deposits deducted, payments and credit notes (less what those notes refunded). On a credit
    note: minus what is still to refund on it."""
    if invoice.is_credit_note:
        return -refundable(invoice)
    credited = sum((n.total_incl_vat - n.amount_paid
                    for n in invoice.credit_notes.filter(status=Invoice.Status.ISSUED)), ZERO)
    return invoice.total_incl_vat - invoice.prepaid_amount - invoice.amount_paid - credited


def refundable(note: Invoice) -> Decimal:
    """What a credit note may still pay back: never more than the note, and only what its
    invoice's customer paid beyond what they now owe (the rest just lowered their debt)."""
    credited = note.credited_invoice
    assert credited is not None
    overpaid = max(-balance_due(credited), ZERO)
    return min(note.total_incl_vat - note.amount_paid, overpaid)


def _mark_settled(invoice: Invoice, *, on: dt.date) -> None:
    settled = balance_due(invoice) <= 0
    paid_on = (invoice.paid_on or on) if settled else None
    if paid_on != invoice.paid_on:
        invoice.paid_on = paid_on
        invoice.save(update_fields=["paid_on"])


@transaction.atomic
def record_payment(*, actor: AnyUser, invoice: Invoice, amount: Decimal | str,
                   method: str, received_on: dt.date, today: dt.date,
                   reference: str = "") -> Payment:
    """Record money received (virement, chèque, espèces, carte), partial or total; on a
    credit note, money paid back to the customer."""
    require(permissions.can_record_payment(actor, invoice.activity, today=today))
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "structure", "activity__structure", "customer", "credited_invoice").get(pk=invoice.pk)
    if not invoice.is_issued:
        raise ValidationError(_("On enregistre un paiement sur une facture émise."))
    if method not in PaymentMethod.values:
        raise ValidationError({"method": _("Choisissez virement, chèque, espèces ou carte.")})
    value = price(amount, "amount")
    if value <= 0:
        raise ValidationError({"amount": _("Le montant d'un paiement est positif.")})
    if received_on > today:
        raise ValidationError({"received_on": _("Un paiement ne se note pas à l'avance.")})
    if invoice.is_credit_note:
        room = refundable(invoice)
        what = _("Il reste %(room)s € à rembourser sur cet avoir.")
    else:
        room = balance_due(invoice)
        what = _("Il reste %(room)s € à encaisser sur cette facture.")
    if value > room:
        raise ValidationError({"amount": what % {"room": format_money(max(room, ZERO))}})
    entry = posting.post_payment(actor=actor, invoice=invoice, amount=value, method=method,
                                 received_on=received_on, reference=reference.strip(),
                                 today=today)
    payment = Payment.objects.create(invoice=invoice, received_on=received_on, amount=value,
                                     method=method, reference=reference.strip()[:100],
                                     entry=entry, recorded_by=signed_in(actor))
    invoice.amount_paid += value
    invoice.save(update_fields=["amount_paid"])
    target = invoice.credited_invoice if invoice.is_credit_note else invoice
    assert target is not None
    _mark_settled(invoice if not invoice.is_credit_note else target, on=received_on)
    posting.letter_if_settled(actor=actor, invoice=target, today=today)
    audit.record(actor=actor, action="sales.payment.recorded", target=payment,
                 data={"invoice": invoice.number, "amount": str(value), "method": method})
    return payment


def settle_after_credit(*, actor: AnyUser, note: Invoice, today: dt.date) -> None:
    """A credit note lowers what its invoice's customer owes; it may settle the invoice."""
    credited = note.credited_invoice
    assert credited is not None
    credited = Invoice.objects.select_for_update(of=("self",)).get(pk=credited.pk)
    _mark_settled(credited, on=today)
    posting.letter_if_settled(actor=actor, invoice=credited, today=today)


def overdue(structure_id: int | None, today: dt.date) -> list[Invoice]:
    found = Invoice.objects.filter(
        status=Invoice.Status.ISSUED, paid_on__isnull=True, due_on__lt=today,
    ).exclude(kind=Invoice.Kind.CREDIT_NOTE).select_related(
        "customer", "activity", "structure")
    if structure_id is not None:
        found = found.filter(structure_id=structure_id)
    return [i for i in found if balance_due(i) > 0]


@transaction.atomic
def send_overdue_reminders(*, today: dt.date, dry_run: bool = False) -> list[Invoice]:
    """Remind once a week, from the structure's delay after the due date: the customer by
    e-mail with the invoice attached, and the sellers in the platform."""
    from kpa.sales.mentions import settings_of

    reminded: list[Invoice] = []
    for invoice in overdue(None, today):
        delay = settings_of(invoice.structure).overdue_reminder_days
        assert invoice.due_on is not None
        if invoice.due_on + dt.timedelta(days=delay) > today:
            continue
        if invoice.last_reminder_on and invoice.last_reminder_on > today - dt.timedelta(days=7):
            continue
        reminded.append(invoice)
        if dry_run:
            continue
        Invoice.objects.filter(pk=invoice.pk).update(last_reminder_on=today)
        late = (today - invoice.due_on).days
        delivery.tell_sellers(
            invoice, today=today, topic="sales.invoice.overdue",
            subject=_("Facture %(number)s impayée") % {"number": invoice.number},
            body=_("%(customer)s n'a pas réglé la facture %(number)s (%(due)s €), échue depuis "
                   "%(days)d jours. Un rappel lui est envoyé.") % {
                "customer": invoice.customer, "number": invoice.number,
                "due": format_money(balance_due(invoice)), "days": late})
        if invoice.customer.email:
            transaction.on_commit(lambda invoice=invoice: delivery.EmailChannel().deliver(  # type: ignore[misc]
                invoice, reminder=True))
        audit.record(actor=None, action="sales.invoice.reminded", target=invoice,
                     data={"days_late": late})
    return reminded

