"""Shortcuts that walk documents through the services, so each test starts where it matters."""

from __future__ import annotations

from decimal import Decimal

from kpa.sales import documents
from kpa.sales.documents import LineInput
from kpa.sales.models import Customer, Invoice, Quote
from kpa.sales.tests.conftest import Shop


def hem_lines(count: int = 2) -> list[LineInput]:
    return [LineInput(description="Ourlet de pantalon", quantity=count,
                      unit_price=Decimal("12.50"), vat_rate="20.00", is_service=True)]


def draft_invoice(shop: Shop, *, customer: Customer | None = None,
                  lines: list[LineInput] | None = None) -> Invoice:
    return documents.create_invoice(
        actor=shop.seller, activity=shop.activity, customer=customer or shop.company,
        lines=lines or hem_lines(), today=shop.today, title="Retouches")


def issued_invoice(shop: Shop, **kwargs: object) -> Invoice:
    invoice = draft_invoice(shop, **kwargs)  # type: ignore[arg-type]
    documents.submit_invoice(actor=shop.seller, invoice=invoice, today=shop.today)
    return documents.issue_invoice(actor=shop.manager, invoice=invoice, today=shop.today)


def accepted_quote(shop: Shop, lines: list[LineInput] | None = None) -> Quote:
    quote = documents.create_quote(actor=shop.seller, activity=shop.activity,
                                   customer=shop.company, lines=lines or hem_lines(10),
                                   today=shop.today, title="Costumes de scène")
    quote = documents.send_quote(actor=shop.seller, quote=quote, today=shop.today)
    return documents.accept_quote_by_link(token=quote.acceptance_token, name="Mme Durand",
                                          today=shop.today)
