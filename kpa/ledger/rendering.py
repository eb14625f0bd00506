"""Reports leave as CSV (for spreadsheets) or PDF (for paper and the archive), besides HTML;
here are both formats' plumbing and the rows each report writes to its CSV.

CSV: `;` separator, UTF-8 with a byte order mark and decimal commas, which is what a French
spreadsheet opens without an import dialog; streamed row by row so a year's general ledger
never sits in memory. PDF: WeasyPrint renders a print template (the same data as the page)
with a static stylesheet; it fetches nothing from the network (see docs/decisions/0004).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from kpa.ledger.models import ZERO, EntryLine, FiscalYear
from kpa.ledger.reports import BalanceRow, ThirdPartyBalance, TreasuryBalance, validated_lines
from kpa.ledger.statements import Statement

CSV_BOM = "\ufeff"
PDF_STYLESHEET = "ledger/print.css"
FORMATS = ("html", "csv", "pdf")


def wanted_format(request: HttpRequest) -> str:
    """`?format=csv` or `?format=pdf`; anything else is the page."""
    fmt = request.GET.get("format", "html")
    return fmt if fmt in FORMATS else "html"


def csv_cell(value: Any) -> str:
    """Decimals with a comma and no grouping (a spreadsheet reads them as numbers), dates
    dd/mm/yyyy, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return "0,00" if value == 0 else f"{value:.2f}".replace(".", ",")
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


class _Echo:
    """A file-like object whose write hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_chunks(rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield CSV_BOM.encode()
    for row in rows:
        yield writer.writerow([csv_cell(cell) for cell in row]).encode()


def csv_response(filename: str, rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_chunks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def render_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which only the PDF views need.
    from weasyprint import CSS, HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    stylesheet = finders.find(PDF_STYLESHEET)
    assert isinstance(stylesheet, str), f"missing static file {PDF_STYLESHEET}"
    # Nothing is fetched: no protocol is allowed, so a URL in user data cannot reach out.
    fetcher = URLFetcher(allowed_protocols=())
    css = CSS(string=Path(stylesheet).read_text(encoding="utf-8"), url_fetcher=fetcher)
    pdf: bytes = HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[css])
    return pdf


def pdf_response(request: HttpRequest, template: str, context: dict[str, Any],
                 filename: str) -> HttpResponse:
    html = render_to_string(template, context, request=request)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- the rows of each report's CSV, header first ---------------------------------------------

Row = list[Any]
Totals = Mapping[str, Decimal | None]


def journal_rows(lines: QuerySet[EntryLine], totals: Totals) -> Iterator[Row]:
    yield [_("Écriture"), _("Date"), _("Compte"), _("Intitulé du compte"), _("Tiers"),
           _("Pièce"), _("Libellé"), _("Débit"), _("Crédit")]
    for ln in lines.iterator(chunk_size=2000):
        yield [ln.entry.reference, ln.entry.date, ln.account.number, ln.account.label,
               ln.third_party.code if ln.third_party else "", ln.entry.piece_ref, ln.label,
               ln.debit, ln.credit]
    yield ["", "", "", "", "", "", _("Total"), totals["debit"] or ZERO,
           totals["credit"] or ZERO]


def general_ledger_rows(year: FiscalYear) -> Iterator[Row]:
    """Every account of the year, streamed; the running balance starts again at each one."""
    yield [_("Compte"), _("Intitulé du compte"), _("Date"), _("Écriture"), _("Pièce"),
           _("Libellé"), _("Débit"), _("Crédit"), _("Solde")]
    every = validated_lines(year).order_by(
        "account__number", "entry__date", "entry__journal__code", "entry__number", "position",
    ).values_list("account__number", "account__label", "entry__date", "entry__journal__code",
                  "entry__number", "entry__piece_ref", "label", "debit", "credit")
    current, balance = None, ZERO
    for number, label, day, code, num, piece, text, debit, credit in every.iterator(
            chunk_size=5000):
        if number != current:
            current, balance = number, ZERO
        balance += debit - credit
        yield [number, label, day, f"{code}{num:06d}", piece, text, debit, credit, balance]


def trial_balance_rows(rows: list[BalanceRow], totals: Totals) -> Iterator[Row]:
    yield [_("Compte"), _("Intitulé"), _("Débit"), _("Crédit"), _("Solde débiteur"),
           _("Solde créditeur")]
    for r in rows:
        yield [r.number, r.label, r.debit, r.credit, r.debit_balance, r.credit_balance]
    yield ["", _("Total"), totals["debit"], totals["credit"], totals["debit_balance"],
           totals["credit_balance"]]


def auxiliary_rows(balances: list[ThirdPartyBalance], totals: Totals) -> Iterator[Row]:
    yield [_("Tiers"), _("Nom ou raison sociale"), _("Compte"), _("Débit"), _("Crédit"), _("Solde")]
    for b in balances:
        yield [b.code, b.name, b.account, b.debit, b.credit, b.balance]
    yield ["", _("Total"), "", totals["debit"], totals["credit"], totals["balance"]]


def analytic_rows(balances: list[TreasuryBalance]) -> Iterator[Row]:
    yield [_("Compte de trésorerie"), _("Intitulé"), _("Produits"), _("Charges"),
           _("Résultat"), _("Autres mouvements")]
    for b in balances:
        yield [b.code, b.label, b.revenue, b.expenses, b.result, b.other]


def statement_rows(statement: Statement, year: FiscalYear,
                   previous: FiscalYear | None) -> Iterator[Row]:
    """The official layout flattened: side, section, lines, section total, side total."""
    yield ["", str(year.name), str(previous.name) if previous else ""]
    for side in (*statement.sides, *statement.footer):
        yield [str(side.title).upper(), "", ""]
        for section in side.sections:
            yield [str(section.title), "", ""]
            for line in section.lines:
                yield [str(line.label), line.amount, line.previous]
            yield [_("Total %(title)s") % {"title": section.title}, section.total,
                   section.previous_total]
        yield [_("TOTAL %(title)s") % {"title": side.title}, side.total, side.previous_total]
