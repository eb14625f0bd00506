"""On PostgreSQL the database itself refuses to change or delete an issued invoice or its
lines; only the payment follow-up may move."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from kpa.sales.models import Invoice, InvoiceLine
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import draft_invoice, issued_invoice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL triggers"),
]


def refused(action: object) -> None:
    with pytest.raises(IntegrityError, match="issued document"), transaction.atomic():
        action()  # type: ignore[operator]


def test_an_issued_invoice_refuses_every_change_but_its_payment_follow_up(shop: Shop) -> None:
    invoice = issued_invoice(shop)
    rows = Invoice.objects.filter(pk=invoice.pk)
    refused(lambda: rows.update(total_incl_vat=Decimal("1.00")))
    refused(lambda: rows.update(number="2026-99999"))
    refused(lambda: rows.update(pdf=b"%PDF-1.7 other"))
    refused(lambda: rows.update(seller_mentions={}))
    refused(lambda: rows.delete())
    line = InvoiceLine.objects.filter(invoice=invoice)
    refused(lambda: line.update(unit_price=Decimal("1.00")))
    refused(lambda: line.delete())
    refused(lambda: InvoiceLine.objects.create(
        invoice=invoice, position=9, description="Ajout", quantity=1, unit_price=1,
        vat_rate="20.00"))
    rows.update(amount_paid=Decimal("30.00"), paid_on=shop.today, sent_at=None,
                last_reminder_on=shop.today)
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == Decimal("30.00")
    assert invoice.amount_paid == Decimal("30.00")


def test_drafts_stay_free_to_change(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    Invoice.objects.filter(pk=invoice.pk).update(title="Autre objet")
    InvoiceLine.objects.filter(invoice=invoice).update(unit_price=Decimal("10.00"))
    invoice.delete()
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
