"""The printed documents of selling: invoices, deposit invoices and credit notes (PDF/A-3b with
their Factur-X XML embedded once issued; a plain PDF stamped "BROUILLON" before), and quotes.

Everything printed comes from the document's rows and its mentions (`kpa.sales.mentions`,
frozen on an issued invoice), so a later change of settings never alters an issued PDF. The
amounts are `kpa.sales.totals.compute`'s, the ones the XML and the books carry. Figures are
pre-formatted here (French style, `kpa.core.money.format_money`) so the templates only lay out.
WeasyPrint renders with the ledger's print stylesheet and fetches nothing (docs/decisions/0004).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kpa.core.money import format_money, quantize
from kpa.ledger.rendering import PDF_STYLESHEET, render_pdf
from kpa.sales.models import (
    CatalogItem,
    DocumentLine,
    Invoice,
    InvoiceLine,
    OperationCategory,
    Quote,
    QuoteLine,
)
from kpa.sales.totals import Totals, compute, line_net

EURO = "\u00a0€"
# An invoice issued in France is written in French (loi du 4 août 1994), whatever the language
# of the page from which it was issued.
DOCUMENT_LANGUAGE = "fr"


def money(amount: Decimal) -> str:
    return f"{format_money(amount)}{EURO}"


def rate_label(rate: Decimal | str) -> str:
    """"20 %", "5,5 %", "2,1 %" — as French invoices print VAT rates."""
    text = f"{Decimal(rate).normalize():f}".replace(".", ",")
    return f"{text}\u00a0%"


def quantity_label(quantity: Decimal) -> str:
    return f"{Decimal(quantity).normalize():f}".replace(".", ",")


def day(value: dt.date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Row:
    description: str
    quantity: str
    unit: str
    unit_price: str
    vat_rate: str
    net: str


def _rows(lines: Sequence[DocumentLine]) -> list[Row]:
    return [Row(description=line.description, quantity=quantity_label(line.quantity),
                unit=str(CatalogItem.Unit(line.unit).label),
                unit_price=money(line.unit_price), vat_rate=rate_label(line.vat_rate),
                net=money(line_net(line)))
            for line in lines]


def _amounts(totals: Totals) -> dict[str, Any]:
    return {
        "excl_vat": money(totals.excl_vat), "vat": money(totals.vat),
        "incl_vat": money(totals.incl_vat),
        "groups": [{"rate": rate_label(g.rate), "base": money(g.base), "vat": money(g.vat)}
                   for g in totals.groups],
    }


def _common(document: Invoice | Quote, lines: Sequence[DocumentLine],
            mentions: dict[str, Any]) -> dict[str, Any]:
    totals = compute(lines)
    seller, buyer = mentions["seller"], mentions["buyer"]
    return {
        "document": document, "mentions": mentions, "seller": seller, "buyer": buyer,
        "activity": mentions.get("activity", ""), "cape": mentions.get("cape", ""),
        "franchise": bool(mentions.get("vat_franchise")),
        "vat_exemption": mentions.get("vat_exemption", ""),
        "rows": _rows(lines), "amounts": _amounts(totals), "totals": totals,
        "category": OperationCategory(document.operation_category).label,
        "iban": _grouped_iban(seller.get("iban") or ""),
    }


def _grouped_iban(iban: str) -> str:
    compact = iban.replace(" ", "").upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def invoice_title(invoice: Invoice, mentions: dict[str, Any], *, draft: bool) -> str:
    """"Facture n° 2026-00001", "Avoir n° AV2026-00001 corrigeant la facture n° … du …"; a
    draft has no number yet, so its title has none."""
    if invoice.is_credit_note:
        title = _("Avoir")
    elif invoice.kind == Invoice.Kind.DEPOSIT:
        title = _("Facture d'acompte")
    else:
        title = _("Facture")
    if invoice.number and not draft:
        title = _("%(kind)s n° %(number)s") % {"kind": title, "number": invoice.number}
    corrected = _corrected(invoice, mentions) if invoice.is_credit_note else None
    if corrected:
        title = _("%(title)s corrigeant la facture n° %(number)s du %(day)s") % {
            "title": title, "number": corrected["number"],
            "day": day(corrected.get("issued_on"))}
    return title


def _corrected(invoice: Invoice, mentions: dict[str, Any]) -> dict[str, str] | None:
    """The invoice a credit note corrects: from the frozen mentions, else from the row."""
    preceding = mentions.get("preceding") or []
    if preceding:
        first: dict[str, str] = preceding[0]
        return first
    credited = invoice.credited_invoice
    if credited is None or not credited.number:
        return None
    return {"number": credited.number,
            "issued_on": credited.issued_on.isoformat() if credited.issued_on else ""}


def invoice_context(invoice: Invoice, lines: Sequence[InvoiceLine], mentions: dict[str, Any],
                    *, draft: bool) -> dict[str, Any]:
    context = _common(invoice, lines, mentions)
    totals: Totals = context["totals"]
    prepaid = quantize(invoice.prepaid_amount or 0)
    deposits = [] if invoice.is_credit_note else [
        {"number": ref["number"], "day": day(ref.get("issued_on"))}
        for ref in mentions.get("preceding") or []]
    context.update({
        "draft": draft, "title": invoice_title(invoice, mentions, draft=draft),
        "issued_on": "" if draft else day(invoice.issued_on),
        "service_date": day(invoice.service_date),
        "due_on": day(invoice.due_on),
        "prepaid": money(prepaid) if prepaid else "",
        "deposits": deposits,
        "due_amount": money(totals.incl_vat - prepaid),
        "is_credit_note": invoice.is_credit_note,
        "show_iban": bool(context["iban"]) and not invoice.is_credit_note,
    })
    return context


def _stylesheet_text() -> str:
    path = finders.find(PDF_STYLESHEET)
    assert isinstance(path, str), f"missing static file {PDF_STYLESHEET}"
    return Path(path).read_text(encoding="utf-8")


def render_pdfa(html: str) -> bytes:
    """`kpa.ledger.rendering.render_pdf`, as PDF/A-3b (embedded fonts, an sRGB output intent,
    the XMP identification) — the container Factur-X requires."""
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols=())
    css = CSS(string=_stylesheet_text(), url_fetcher=fetcher)
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[css], pdf_variant="pdf/a-3b")
    return pdf


def invoice_pdf(invoice: Invoice, lines: Sequence[InvoiceLine], mentions: dict[str, Any], *,
                draft: bool = False) -> bytes:
    """The invoice as the customer reads it. Issued: a PDF/A-3b carrying its Factur-X XML.
    Draft: a plain PDF stamped "BROUILLON — sans valeur", with no number and no XML."""
    with translation.override(DOCUMENT_LANGUAGE):
        html = render_to_string("sales/pdf/invoice.html",
                                invoice_context(invoice, lines, mentions, draft=draft))
        if draft:
            return render_pdf(html)
        from kpa.sales.facturx import facturx_pdf, invoice_xml

        return facturx_pdf(render_pdfa(html), invoice_xml(invoice, lines, mentions))


def quote_pdf(quote: Quote, lines: Sequence[QuoteLine], mentions: dict[str, Any]) -> bytes:
    """The quote, with its validity and a "Bon pour accord" box for the customer's signature."""
    with translation.override(DOCUMENT_LANGUAGE):
        context = _common(quote, lines, mentions)
        sent_on = quote.sent_on or (quote.created_at.date() if quote.created_at else None)
        context.update({
            "title": (_("Devis n° %(number)s") % {"number": quote.number}) if quote.number
            else _("Devis"),
            "issued_on": day(sent_on),
            "valid_until": day(quote.valid_until),
            "accepted_on": day(quote.accepted_on),
        })
        return render_pdf(render_to_string("sales/pdf/quote.html", context))
