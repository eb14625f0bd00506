"""The work on a fiscal year: its reports (HTML, `?format=csv`, `?format=pdf`), lettering,
closing and the allocation of its result; and the exchanges: FEC, hledger and beancount out, a
FEC in. Gates as in `views.py`.

Every report reads validated lines of one fiscal year through `reports`; a year still open is
marked "Provisoire — exercice en cours" in each format.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.directory.models import Structure
from kpa.ledger import closing, exports, fec, lettering, rendering, reports, selectors
from kpa.ledger.fec_import import FecImportError, import_fec
from kpa.ledger.forms import (
    AccountChoiceForm,
    AllocationForm,
    AllocationFormSet,
    CloseForm,
    FecExportForm,
    FecImportForm,
    JournalChoiceForm,
    LetteringForm,
    allocations_of,
)
from kpa.ledger.models import ZERO, Account, EntryLine, FiscalYear
from kpa.ledger.rendering import csv_response, pdf_response, wanted_format
from kpa.ledger.views import books_structure, has_books, saved, status_of, year_in_reach

LINES_PER_PAGE = 100
AUXILIARY = {"clients": ("41", gettext_lazy("Clients")),
             "fournisseurs": ("40", gettext_lazy("Fournisseurs"))}
Rows = Callable[[], Iterable[Sequence[Any]]]


def _filename(stem: str, year: FiscalYear, extension: str) -> str:
    provisional = exports.PROVISIONAL_SUFFIX if year.is_open else ""
    return f"{stem}-{year.structure.siren}-{year.name}{provisional}.{extension}"


def _heading_rows(year: FiscalYear, title: str) -> list[list[str]]:
    """Above the table of a CSV: what, whose, which year, and whether it is provisional."""
    state = _("Provisoire — exercice en cours") if year.is_open else _("Exercice clôturé")
    period = _("Exercice %(year)s du %(start)s au %(end)s") % {
        "year": year.name, "start": year.starts_on.strftime("%d/%m/%Y"),
        "end": year.last_day.strftime("%d/%m/%Y")}
    return [[title, year.structure.name, period, state], []]


def _report(request: HttpRequest, year: FiscalYear, *, title: str, stem: str, table: str,
            context: dict[str, Any], rows: Rows,
            print_context: dict[str, Any] | None = None) -> HttpResponseBase:
    """One report in the format asked: the page, a CSV, or a PDF of the print template."""
    fmt = wanted_format(request)
    if fmt == "csv":
        return csv_response(_filename(stem, year, "csv"),
                            itertools.chain(_heading_rows(year, title), rows()))
    base = {"structure": year.structure, "year": year, "title": title, "table": table}
    if fmt == "pdf":
        return pdf_response(request, "ledger/print/report.html",
                            {**base, **context, **(print_context or {})},
                            _filename(stem, year, "pdf"))
    return render(request, "ledger/report.html", {**base, **context})


def _page(request: HttpRequest, lines: QuerySet[EntryLine]) -> Any:
    return Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))


_LINE_RELATED = ("entry__journal", "account", "third_party")


# -- journal, general ledger ----------------------------------------------------------------


@login_required
def journal_report(request: HttpRequest, year_id: int) -> HttpResponseBase:
    year = year_in_reach(request, year_id)
    journals = selectors.journals_of(year.structure)
    first = journals.first()
    choice = JournalChoiceForm(request.GET or {"journal": first.code if first else ""},
                               journals=journals)
    journal = choice.cleaned_data["journal"] if choice.is_valid() else None
    if journal is None:
        raise Http404
    lines = (reports.ordered_lines(year, journal=journal).select_related(*_LINE_RELATED)
             .order_by("entry__number", "position"))
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))

    page = _page(request, lines)
    return _report(
        request, year, title=_("Journal %(code)s — %(label)s") % {
            "code": journal.code, "label": journal.label},
        stem=f"journal-{journal.code}", table="ledger/reports/_journal.html",
        rows=lambda: rendering.journal_rows(lines, totals),
        context={"choice": choice, "page": page, "shown": page.object_list, "totals": totals},
        print_context={"page": None, "shown": lines})


def _running(lines: Iterable[EntryLine], carried: Decimal) -> list[tuple[EntryLine, Decimal]]:
    out, balance = [], carried
    for line in lines:
        balance += line.debit - line.credit
        out.append((line, balance))
    return out


@login_required
def general_ledger(request: HttpRequest, year_id: int) -> HttpResponseBase:
    """Per account, with the running balance; the page shows one account at a time."""
    year = year_in_reach(request, year_id)
    moved = selectors.accounts_of(year.structure).filter(
        pk__in=reports.validated_lines(year).values("account_id"))
    first = moved.first()
    choice = AccountChoiceForm(request.GET or {"compte": first.number if first else ""},
                               accounts=moved)
    account = choice.cleaned_data["compte"] if choice.is_valid() else None
    lines = (reports.validated_lines(year).filter(account=account)
             .select_related(*_LINE_RELATED)
             .order_by("entry__date", "entry__journal__code", "entry__number", "position"))
    page = _page(request, lines)
    carried = ZERO
    if page.number > 1:  # what the previous pages add up to, so the balance runs on
        before = lines[:page.start_index() - 1].aggregate(d=Sum("debit"), c=Sum("credit"))
        carried = (before["d"] or ZERO) - (before["c"] or ZERO)
    totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))

    return _report(
        request, year, title=_("Grand livre"), stem="grand-livre",
        table="ledger/reports/_general_ledger.html",
        rows=lambda: rendering.general_ledger_rows(year), context={
            "choice": choice, "account": account, "page": page, "carried": carried,
            "running": _running(page.object_list, carried), "totals": totals},
        print_context={"page": None, "carried": ZERO, "running": _running(lines, ZERO)})


# -- balances -------------------------------------------------------------------------------


@login_required
def trial_balance(request: HttpRequest, year_id: int) -> HttpResponseBase:
    year = year_in_reach(request, year_id)
    balance = reports.trial_balance(year)
    totals = {
        "debit": balance.total_debit, "credit": balance.total_credit,
        "debit_balance": sum((r.debit_balance for r in balance.rows), ZERO),
        "credit_balance": sum((r.credit_balance for r in balance.rows), ZERO),
    }

    return _report(request, year, title=_("Balance générale"), stem="balance",
                   table="ledger/reports/_trial_balance.html",
                   rows=lambda: rendering.trial_balance_rows(balance.rows, totals),
                   context={"rows": balance.rows, "totals": totals})


@login_required
def auxiliary(request: HttpRequest, year_id: int) -> HttpResponseBase:
    """Balance auxiliaire: customers (41…) or suppliers (40…), one line per third party."""
    year = year_in_reach(request, year_id)
    kind = request.GET.get("type", "clients")
    if kind not in AUXILIARY:
        raise Http404
    prefix, name = AUXILIARY[kind]
    balances = reports.auxiliary_balances(year, prefix)
    debit, credit = sum((b.debit for b in balances), ZERO), sum((b.credit for b in balances), ZERO)
    totals = {"debit": debit, "credit": credit, "balance": debit - credit}

    return _report(request, year, title=_("Balance auxiliaire — %(kind)s") % {"kind": name},
                   stem=f"balance-{kind}", table="ledger/reports/_auxiliary.html",
                   rows=lambda: rendering.auxiliary_rows(balances, totals),
                   context={"balances": balances, "totals": totals, "kind": kind,
                            "kinds": AUXILIARY})


@login_required
def analytic(request: HttpRequest, year_id: int) -> HttpResponseBase:
    year = year_in_reach(request, year_id)
    balances = reports.analytic_balance(year)

    return _report(request, year, title=_("Balance analytique par compte de trésorerie"),
                   stem="analytique", table="ledger/reports/_analytic.html",
                   rows=lambda: rendering.analytic_rows(balances),
                   context={"balances": balances})


# -- annual statements ----------------------------------------------------------------------


def _statement(request: HttpRequest, year_id: int, which: str) -> HttpResponseBase:
    year = year_in_reach(request, year_id)
    previous = selectors.previous_fiscal_year(year)
    both = reports.statements(year, previous)
    statement = both.balance_sheet if which == "bilan" else both.income_statement

    return _report(request, year, title=str(statement.title), stem=which,
                   table="ledger/reports/_statement.html",
                   rows=lambda: rendering.statement_rows(statement, year, previous), context={
                       "statement": statement, "previous": previous, "result": both.result,
                       "previous_result": both.previous_result})


@login_required
def balance_sheet(request: HttpRequest, year_id: int) -> HttpResponseBase:
    return _statement(request, year_id, "bilan")


@login_required
def income_statement(request: HttpRequest, year_id: int) -> HttpResponseBase:
    return _statement(request, year_id, "compte-de-resultat")


# -- exports and import ---------------------------------------------------------------------


@login_required
def fec_export(request: HttpRequest, year_id: int) -> StreamingHttpResponse:
    """The FEC, streamed as ISO-8859-15; tab-separated unless `?separateur=pipe`."""
    year = year_in_reach(request, year_id)
    form = FecExportForm(request.GET)
    pipe = form.is_valid() and form.cleaned_data["separateur"] == "pipe"
    chunks = fec.encode_fec(reports.book_lines(year), separator="|" if pipe else "\t")
    response = StreamingHttpResponse(chunks, content_type="text/plain; charset=iso-8859-15")
    response["Content-Disposition"] = f'attachment; filename="{exports.fec_name(year)}"'
    return response


@login_required
def plaintext_export(request: HttpRequest, year_id: int,
                     fmt: exports.PlainFormat) -> HttpResponse:
    """hledger or beancount. Written whole, not streamed: the writers hold the account
    declarations they print ahead of the transactions."""
    year = year_in_reach(request, year_id)
    out = io.StringIO()
    exports.write_plaintext(year, out, fmt=fmt)
    response = HttpResponse(out.getvalue(), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{exports.plaintext_name(year, fmt)}"')
    return response


@login_required
@require_http_methods(["GET", "POST"])
def fec_import_page(request: HttpRequest, structure_id: int) -> HttpResponse:
    """Start the books from a FEC kept elsewhere: all or nothing, problems by line number."""
    structure = books_structure(request, structure_id, keep=True)
    if structure.entries.exists():
        return render(request, "ledger/fec_import.html", {
            "structure": structure, "has_entries": True, "opened": has_books(structure)})
    form = FecImportForm(request.POST or None, request.FILES or None)
    problems: list[tuple[int | None, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_fec(actor=request.user, structure=structure, data=upload.read(),
                                filename=upload.name or "", today=dates.local_today())
        except FecImportError as error:
            problems = error.problems
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _(
                "FEC importé : %(entries)d écritures, %(lines)d lignes dans l'exercice "
                "%(year)s.") % {"entries": result.entries, "lines": result.lines,
                                "year": result.fiscal_year.name})
            return redirect("ledger:books_home", structure.pk)
    return render(request, "ledger/fec_import.html", {
        "structure": structure, "form": form, "problems": problems,
        "opened": has_books(structure),
    }, status=400 if request.method == "POST" else 200)


# -- lettering ------------------------------------------------------------------------------


def _letterable_accounts(structure: Structure) -> QuerySet[Account]:
    return selectors.accounts_of(structure).filter(
        Q(number__startswith="401") | Q(number__startswith="411"))


def _letter(request: HttpRequest, account: Account, year: FiscalYear,
            form: LetteringForm) -> bool:
    """One of the page's three buttons: letter the ticked lines, letter by piece, unletter.
    False when the ticked lines did not even make a valid form (its errors say why)."""
    action, today = request.POST.get("action"), dates.local_today()
    if action == "letter":
        if not form.is_valid():
            return False
        code = lettering.letter_lines(actor=request.user, today=today,
                                      lines=list(form.cleaned_data["lines"]))
        messages.success(request, _("Lignes lettrées %(code)s.") % {"code": code})
    elif action == "by_reference":
        codes = lettering.letter_by_reference(actor=request.user, account=account, year=year,
                                              today=today)
        messages.success(request, _("%(n)d groupe(s) lettré(s) par pièce.") % {"n": len(codes)})
    elif action == "unletter":
        lettering.unletter(actor=request.user, account=account,
                           code=request.POST.get("code", ""), today=today)
        messages.success(request, _("Lettrage retiré."))
    else:
        raise ValidationError(_("Action inconnue."))
    return True


@login_required
@require_http_methods(["GET", "POST"])
def lettering_page(request: HttpRequest, year_id: int) -> HttpResponse:
    year = year_in_reach(request, year_id, keep=request.method == "POST")
    structure = year.structure
    candidates = _letterable_accounts(structure)
    choice = AccountChoiceForm(request.GET or {"compte": "411"}, accounts=candidates)
    account = choice.cleaned_data["compte"] if choice.is_valid() else None
    lines = (reports.ordered_lines(year).filter(account=account)
             .select_related("entry__journal", "third_party"))
    form = LetteringForm(request.POST if request.POST.get("action") == "letter" else None,
                         open_lines=lines.filter(lettering_code=""))
    if request.method == "POST" and account is not None:
        try:
            if _letter(request, account, year, form):
                return redirect(request.get_full_path())
        except ValidationError as error:
            if form.is_bound:  # the ticked lines: the refusal goes on the form
                add_service_errors(form, error)
            else:  # lettering by reference or unlettering: no form to hold it
                for message in error.messages:
                    messages.error(request, message)
        except PermissionDenied:
            raise Http404 from None
    return render(request, "ledger/lettering.html", {
        "structure": structure, "year": year, "choice": choice, "account": account,
        "form": form, "open_lines": lines.filter(lettering_code=""),
        "lettered": lines.exclude(lettering_code="").order_by("lettering_code", "entry__date"),
    }, status=status_of(request))


# -- closing and allocating the result -----------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def closing_wizard(request: HttpRequest, year_id: int) -> HttpResponse:
    year = year_in_reach(request, year_id, keep=request.method == "POST")
    today = dates.local_today()
    form = CloseForm(request.POST or None)
    if saved(request, form, lambda d: closing.close_fiscal_year(
            actor=request.user, year=year, today=today),
            _("L'exercice %(year)s est clôturé ; ses à-nouveaux sont passés.")
            % {"year": year.name}):
        following = selectors.fiscal_years_of(year.structure).filter(
            starts_on=year.ends_on).first()
        return redirect("ledger:allocate_result", following.pk) if following else redirect(
            "ledger:fiscal_years", year.structure_id)
    checks = closing.closing_checks(year, today=today)
    return render(request, "ledger/closing.html", {
        "structure": year.structure, "year": year, "checks": checks, "form": form,
        "ready": all(c.passed for c in checks), "result": closing.year_result(year),
        "following": selectors.fiscal_years_of(year.structure).filter(
            starts_on=year.ends_on).first(),
    }, status=status_of(request))


@login_required
@require_http_methods(["GET", "POST"])
def allocate_result(request: HttpRequest, year_id: int) -> HttpResponse:
    year = year_in_reach(request, year_id, keep=request.method == "POST")
    today = dates.local_today()
    pending = closing.pending_result(year)
    form = AllocationForm(request.POST or None, initial={"date": today})
    allocations = AllocationFormSet(request.POST or None, prefix="allocations",
                                    initial=[{"account": "1068"}, {"account": "110"}, {}]
                                    if pending >= 0 else [{"account": "119"}, {}])
    if request.method == "POST" and allocations.is_valid() and saved(
            request, form, lambda d: closing.allocate_result(
                actor=request.user, year=year, date=d["date"], today=today,
                allocations=allocations_of(allocations, negative=pending < 0)),
            _("Le résultat est affecté.")):
        return redirect("ledger:fiscal_years", year.structure_id)
    return render(request, "ledger/allocate.html", {
        "structure": year.structure, "year": year, "pending": pending, "form": form,
        "allocations": allocations,
    }, status=status_of(request))
