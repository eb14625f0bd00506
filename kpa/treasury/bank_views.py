"""The bank pages of a structure's gestionnaire and comptable: import a statement, reconcile
its transactions one tap at a time (on a phone too), see what is left unmatched on both sides
down to the bank balance, and keep the CSV layouts of the structure's banks.

Thin views: gate → one service or selector → render. A statement, transaction, journal or
layout out of reach is 404, never 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.ledger.models import EntryLine
from kpa.sales.view_helpers import acted, back_to, form_data, form_page, gate, submit
from kpa.treasury import bank_import, reconciliation
from kpa.treasury.bank_forms import BankBalanceForm, ImportForm, LayoutForm, MatchForm
from kpa.treasury.models import BankCsvLayout, BankTransaction
from kpa.treasury.reconciliation import Suggestion

TRANSACTIONS_PER_PAGE = 50
RECENT_STATEMENTS = 20
STATUS_FILTERS = ("unmatched", "matched", "ignored")


@dataclass
class Row:
    """A transaction as its card shows it."""

    transaction: BankTransaction
    suggestions: list[Suggestion] = field(default_factory=list)
    lines: list[EntryLine] = field(default_factory=list)


def _matched_lines() -> Prefetch[Any]:
    return Prefetch("matched_lines",
                    queryset=EntryLine.objects.select_related("entry__journal")
                    .order_by("entry__date", "pk"))


def _rows(transactions: list[BankTransaction]) -> list[Row]:
    found = reconciliation.suggestions_for(transactions)
    return [Row(transaction=t, suggestions=found.get(t.pk, []),
                lines=list(t.matched_lines.all())) for t in transactions]


def _structures(request: HttpRequest, today: dt.date) -> list[Structure]:
    structures = list(reconciliation.bank_structures_for(request.user, today).order_by("name"))
    gate(bool(structures))
    return structures


# -- home and import --------------------------------------------------------------------------


@login_required
@require_GET
def bank_home(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = _structures(request, today)
    journals = list(reconciliation.bank_journals_for(request.user, today))
    waiting = dict(BankTransaction.objects.filter(
        journal__in=[j.pk for j in journals], status=BankTransaction.Status.UNMATCHED,
    ).values("journal_id").annotate(n=Count("pk")).values_list("journal_id", "n"))
    statements = list(reconciliation.statements_for(request.user, today).annotate(
        count=Count("transactions"),
        waiting=Count("transactions", filter=Q(
            transactions__status=BankTransaction.Status.UNMATCHED)),
    ).order_by("-imported_at", "-pk")[:RECENT_STATEMENTS])
    return render(request, "treasury/bank/home.html", {
        "journals": [(j, waiting.get(j.pk, 0)) for j in journals],
        "statements": statements, "several_structures": len(structures) > 1,
    })


@login_required
@require_http_methods(["GET", "POST"])
def bank_import_page(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    _structures(request, today)
    form = ImportForm(form_data(request), request.FILES or None,
                      journals=reconciliation.bank_journals_for(request.user, today),
                      layouts=reconciliation.layouts_for(request.user, today)
                      .order_by("structure__name", "name"))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = bank_import.import_statement(
                actor=request.user, journal=form.cleaned_data["journal"],
                layout=form.cleaned_data["layout"], file_name=upload.name or "",
                content=upload.read(), today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            gate(False)
        else:
            messages.success(request, bank_import.import_summary(result))
            return redirect("treasury:bank_statement", pk=result.statement.pk)
    return form_page(request, "treasury/bank/import.html", {"form": form})


# -- a statement, a transaction ---------------------------------------------------------------


@login_required
@require_GET
def bank_statement(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    statement = get_in_scope(reconciliation.statements_for(request.user, today), pk=pk)
    transactions = statement.transactions.select_related("journal")
    counts = dict(transactions.order_by().values("status").annotate(n=Count("pk"))
                  .values_list("status", "n"))
    status = request.GET.get("etat", "")
    if status in STATUS_FILTERS:
        transactions = transactions.filter(status=status)
    page = Paginator(transactions.prefetch_related(_matched_lines()).order_by("booked_on", "pk"),
                     TRANSACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "treasury/bank/statement.html", {
        "statement": statement, "page": page, "rows": _rows(list(page.object_list)),
        "status": status, "total": sum(counts.values()),
        "filters": [(value, label, counts.get(value, 0))
                    for value, label in BankTransaction.Status.choices],
    })


def _transaction(request: HttpRequest, pk: int, today: dt.date) -> BankTransaction:
    return get_in_scope(reconciliation.transactions_for(request.user, today), pk=pk)


@login_required
@require_GET
def bank_transaction(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = get_in_scope(reconciliation.transactions_for(request.user, today)
                        .prefetch_related(_matched_lines()), pk=pk)
    row = _rows([item])[0]
    form = None
    if item.status == BankTransaction.Status.UNMATCHED:
        form = MatchForm(lines=reconciliation.nearby_lines(item))
    return render(request, "treasury/bank/transaction.html", {
        "row": row, "form": form, "window": reconciliation.NEARBY_DAYS,
    })


@login_required
@require_POST
def bank_match(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = _transaction(request, pk, today)
    back = back_to(request, reverse("treasury:bank_transaction", args=[item.pk]))
    form = MatchForm(request.POST, lines=reconciliation.bank_lines(item.journal))
    if not form.is_valid():
        for errors in form.errors.as_data().values():
            for error in errors:
                for message in error.messages:
                    messages.error(request, message)
        return redirect(back)
    acted(request, lambda: reconciliation.match(
        actor=request.user, transaction=item, lines=list(form.cleaned_data["lines"]),
        today=today), _("L'opération est rapprochée."))
    return redirect(back)


@login_required
@require_POST
def bank_unmatch(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = _transaction(request, pk, today)
    acted(request, lambda: reconciliation.unmatch(actor=request.user, transaction=item,
                                                  today=today),
          _("L'opération est de nouveau à rapprocher."))
    return redirect(back_to(request, reverse("treasury:bank_transaction", args=[item.pk])))


@login_required
@require_POST
def bank_ignore(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = _transaction(request, pk, today)
    acted(request, lambda: reconciliation.ignore(actor=request.user, transaction=item,
                                                 today=today),
          _("L'opération est mise de côté."))
    return redirect(back_to(request, reverse("treasury:bank_transaction", args=[item.pk])))


# -- the reconciliation statement -------------------------------------------------------------


@login_required
@require_GET
def bank_reconciliation(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    journal = get_in_scope(reconciliation.bank_journals_for(request.user, today), pk=pk)
    form = BankBalanceForm(request.GET or None, initial={"as_of": today})
    stated = form.cleaned_data.get("balance") if form.is_bound and form.is_valid() else None
    as_of = form.day(today) if form.is_bound else today
    report = reconciliation.reconciliation(journal, as_of=as_of, stated_bank_balance=stated)
    return render(request, "treasury/bank/reconciliation.html", {
        "journal": journal, "report": report, "form": form,
        "limit": reconciliation.LIST_LIMIT,
    })


# -- CSV layouts ------------------------------------------------------------------------------


def _layouts(request: HttpRequest, today: dt.date) -> QuerySet[BankCsvLayout]:
    return reconciliation.layouts_for(request.user, today)


@login_required
@require_GET
def bank_layouts(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = _structures(request, today)
    layouts = list(_layouts(request, today).order_by("structure__name", "name"))
    return render(request, "treasury/bank/layouts.html", {
        "layouts": [(layout, bank_import.layout_summary(layout)) for layout in layouts],
        "several_structures": len(structures) > 1,
    })


@login_required
@require_http_methods(["GET", "POST"])
def bank_layout_new(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = _structures(request, today)
    several = len(structures) > 1
    form = LayoutForm(form_data(request),
                      structures=Structure.objects.filter(pk__in=[s.pk for s in structures])
                      .order_by("name") if several else None,
                      initial={"delimiter": ";", "encoding": "utf-8", "skip_rows": 1,
                               "date_column": 1, "label_column": 2, "amount_column": 3})
    done = submit(request, form, lambda: bank_import.create_layout(
        actor=request.user, today=today, spec=form.spec(),
        structure=form.cleaned_data["structure"] if several else structures[0]),
        _("Le format est enregistré."), lambda layout: reverse("treasury:bank_layouts"))
    return done or form_page(request, "treasury/bank/layout_form.html",
                             {"form": form, "layout": None})


@login_required
@require_http_methods(["GET", "POST"])
def bank_layout_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    layout = get_in_scope(_layouts(request, today), pk=pk)
    form = LayoutForm(form_data(request), initial=LayoutForm.initial_from(layout))
    done = submit(request, form, lambda: bank_import.update_layout(
        actor=request.user, layout=layout, spec=form.spec(), today=today),
        _("Le format est modifié."), lambda saved: reverse("treasury:bank_layouts"))
    return done or form_page(request, "treasury/bank/layout_form.html",
                             {"form": form, "layout": layout})


@login_required
@require_POST
def bank_layout_delete(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    layout = get_in_scope(_layouts(request, today), pk=pk)
    acted(request, lambda: bank_import.delete_layout(actor=request.user, layout=layout,
                                                     today=today),
          _("Le format est supprimé."))
    return redirect("treasury:bank_layouts")

