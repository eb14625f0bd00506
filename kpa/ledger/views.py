"""The books' pages: gate → one service or selector → render. Out of reach is 404, never 403.

Only a structure's comptable and gestionnaire (and the platform administrator) reach its
books; for everybody else — the KPA's référent, a coopérant, the network's coordinateur —
they do not exist. Here: setting the books up and writing entries. The work on a fiscal year
(reports, lettering, closing) and the exchanges (FEC, hledger, beancount) are in
`report_views.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q, Sum
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kpa.core import dates
from kpa.core.audit import events_for
from kpa.core.forms import add_service_errors
from kpa.directory import selectors as directory_selectors
from kpa.directory.models import Structure
from kpa.ledger import permissions, selectors, services
from kpa.ledger.forms import (
    AccountForm,
    EntryFilterForm,
    EntryForm,
    FiscalYearForm,
    JournalForm,
    ReverseForm,
    ThirdPartyForm,
    TreasuryAccountForm,
    compact_lines,
    initial_header,
    initial_lines,
    line_formset,
    lines_of_formset,
    posted_lines,
    typed_totals,
)
from kpa.ledger.models import Books, Entry, FiscalYear, Journal

ENTRIES_PER_PAGE = 50


# -- scoping helpers: every object is reached through the structures the user keeps -------


def _gate(allowed: bool) -> None:
    if not allowed:
        raise Http404


def books_structure(request: HttpRequest, structure_id: int, *,
                    keep: bool = False) -> Structure:
    today = dates.local_today()
    structure = selectors.structure_for_books(request.user, structure_id, today)
    _gate(permissions.can_read_books(request.user, structure, today=today))
    if keep:
        _gate(permissions.can_keep_books(request.user, structure, today=today))
    return structure


def year_in_reach(request: HttpRequest, year_id: int, *, keep: bool = False) -> FiscalYear:
    """A fiscal year of a structure whose books the user reads (keeps, with `keep`)."""
    year = selectors.fiscal_year_for(request.user, year_id, dates.local_today())
    books_structure(request, year.structure_id, keep=keep)
    return year


def entry_in_reach(request: HttpRequest, entry_id: int, *, keep: bool = False) -> Entry:
    entry = selectors.entry_for(request.user, entry_id, dates.local_today())
    books_structure(request, entry.structure_id, keep=keep)
    return entry


def has_books(structure: Structure) -> bool:
    try:
        return structure.books is not None
    except Books.DoesNotExist:
        return False


def saved(request: HttpRequest, form: BaseForm, save: Callable[[dict[str, Any]], object],
           success: str) -> bool:
    """POST: validate, call the service, say so. The service's French refusal lands on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error)
        return False
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success)
    return True


def status_of(request: HttpRequest) -> int:
    """A POST that did not redirect was refused: 400, as the directory's forms answer."""
    return 400 if request.method == "POST" else 200


# -- index and books home -------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    structures = selectors.structures_with_books_for(request.user, dates.local_today())
    return render(request, "ledger/index.html", {"structures": structures})


@login_required
@require_http_methods(["GET", "POST"])
def books_home(request: HttpRequest, structure_id: int) -> HttpResponse:
    today = dates.local_today()
    structure = books_structure(request, structure_id, keep=request.method == "POST")
    if not has_books(structure):
        form = FiscalYearForm(request.POST or None, initial={
            "starts_on": dt.date(today.year, 1, 1), "last_day": dt.date(today.year, 12, 31)})
        if saved(request, form, lambda d: services.open_books(
                actor=request.user, structure=structure, first_year_starts_on=d["starts_on"],
                first_year_ends_on=d["ends_on"], today=today),
                _("La comptabilité est ouverte.")):
            return redirect("ledger:books_home", structure.pk)
        return render(request, "ledger/open_books.html",
                      {"structure": structure, "form": form}, status=status_of(request))
    year = selectors.current_fiscal_year(structure, today)
    drafts = selectors.entries_of(year, status=Entry.Status.DRAFT) if year else None
    return render(request, "ledger/books_home.html", {
        "structure": structure, "year": year, "drafts": drafts[:20] if drafts else [],
        "draft_count": drafts.count() if drafts is not None else 0,
        "years": selectors.fiscal_years_of(structure),
    })


def _opened_structure(request: HttpRequest, structure_id: int) -> Structure:
    structure = books_structure(request, structure_id, keep=request.method == "POST")
    if not has_books(structure):
        raise Http404
    return structure


# -- chart, journals, third parties, treasury accounts, fiscal years -----------------------


@login_required
@require_http_methods(["GET", "POST"])
def accounts(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _opened_structure(request, structure_id)
    form = AccountForm(request.POST or None)
    if saved(request, form, lambda d: services.add_account(
            actor=request.user, structure=structure, number=d["number"], label=d["label"],
            today=dates.local_today()), _("Le compte a été ajouté.")):
        return redirect("ledger:accounts", structure.pk)
    classes: list[tuple[Any, list[Any]]] = []
    for account in selectors.accounts_of(structure):
        if len(account.number) == 1 or not classes:
            classes.append((account, []))
        else:
            classes[-1][1].append(account)
    return render(request, "ledger/accounts.html", {
        "structure": structure, "classes": classes, "form": form}, status=status_of(request))


@login_required
@require_http_methods(["GET", "POST"])
def journals(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _opened_structure(request, structure_id)
    money_accounts = selectors.accounts_of(structure).filter(
        Q(number__startswith="512") | Q(number__startswith="53"), is_active=True)
    form = JournalForm(request.POST or None, accounts=money_accounts)
    if saved(request, form, lambda d: services.create_journal(
            actor=request.user, structure=structure, code=d["code"], label=d["label"],
            kind=d["kind"], account=d["account"], today=dates.local_today()),
            _("Le journal a été créé.")):
        return redirect("ledger:journals", structure.pk)
    return render(request, "ledger/journals.html", {
        "structure": structure, "journals": selectors.journals_of(structure), "form": form,
    }, status=status_of(request))


@login_required
@require_http_methods(["GET", "POST"])
def third_parties(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _opened_structure(request, structure_id)
    form = ThirdPartyForm(request.POST or None)
    if saved(request, form, lambda d: services.create_third_party(
            actor=request.user, structure=structure, today=dates.local_today(), **d),
            _("Le tiers a été créé.")):
        return redirect("ledger:third_parties", structure.pk)
    return render(request, "ledger/third_parties.html", {
        "structure": structure, "third_parties": structure.third_parties.order_by("code"),
        "form": form}, status=status_of(request))


@login_required
@require_http_methods(["GET", "POST"])
def treasury_accounts(request: HttpRequest, structure_id: int) -> HttpResponse:
    today = dates.local_today()
    structure = _opened_structure(request, structure_id)
    kpas = directory_selectors.kpas_visible_to(request.user, today=today).filter(
        carrying_structure=structure)
    persons = directory_selectors.persons_visible_to(request.user, today=today).order_by(
        "last_name", "first_name")
    form = TreasuryAccountForm(request.POST or None, persons=persons, kpas=kpas)
    if saved(request, form, lambda d: services.create_treasury_account(
            actor=request.user, structure=structure, today=today, **d),
            _("Le compte de trésorerie a été créé.")):
        return redirect("ledger:treasury_accounts", structure.pk)
    return render(request, "ledger/treasury_accounts.html", {
        "structure": structure, "form": form,
        "treasury_accounts": structure.treasury_accounts.select_related("person", "kpa")
        .order_by("code")}, status=status_of(request))


@login_required
@require_http_methods(["GET", "POST"])
def fiscal_years(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _opened_structure(request, structure_id)
    years = selectors.fiscal_years_of(structure)
    last = years.first()
    initial = {}
    if last is not None:
        start, end = services.next_year_bounds(last)
        initial = {"starts_on": start, "last_day": end - dt.timedelta(days=1)}
    form = FiscalYearForm(request.POST or None, initial=initial)
    if saved(request, form, lambda d: services.open_fiscal_year(
            actor=request.user, structure=structure, starts_on=d["starts_on"],
            ends_on=d["ends_on"], today=dates.local_today()), _("L'exercice est ouvert.")):
        return redirect("ledger:fiscal_years", structure.pk)
    return render(request, "ledger/fiscal_years.html", {
        "structure": structure, "years": years, "form": form}, status=status_of(request))


# -- entries --------------------------------------------------------------------------------


@login_required
def entries(request: HttpRequest, year_id: int) -> HttpResponse:
    year = year_in_reach(request, year_id)
    form = EntryFilterForm(request.GET or None, journals=selectors.journals_of(year.structure))
    wanted = form.cleaned_data if form.is_valid() else {}
    found = selectors.entries_of(year, journal=wanted.get("journal"),
                                 status=wanted.get("status") or None,
                                 search=wanted.get("q") or "")
    page = Paginator(found.annotate(amount=Sum("lines__debit")), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "ledger/entries.html", {
        "structure": year.structure, "year": year, "form": form, "page": page})


def _entry_choices(structure: Structure) -> dict[str, Any]:
    return {
        "third_parties": structure.third_parties.order_by("code"),
        "treasury_accounts": structure.treasury_accounts.filter(is_active=True).order_by("code"),
        "balance_url": reverse("ledger:entry_balance", args=[structure.pk]),
    }


def _entry_page(request: HttpRequest, structure: Structure, *,
                save: Callable[[dict[str, Any], list[services.LineInput], bool], Entry],
                entry: Entry | None = None) -> HttpResponse:
    """The entry form, new or a draft's: header, lines, live balance, two ways to save."""
    choices = _entry_choices(structure)
    journals = Journal.objects.filter(structure=structure).order_by("code")
    action = request.POST.get("action", "")
    if request.method != "POST" or action == "add_line":
        # "Ajouter une ligne" (a plain submit, or htmx swapping #lines) redraws what was typed
        # plus one blank line, unbound: nothing is checked until the person saves.
        if request.method == "POST":
            header_initial: dict[str, Any] = request.POST.dict()
            typed = [*posted_lines(request.POST), {}]
        else:
            header_initial = initial_header(entry) if entry else {"date": dates.local_today()}
            typed = initial_lines(selectors.lines_of(entry)) if entry else []
        header = EntryForm(journals=journals, initial=header_initial)
        lines = line_formset(None, initial=typed, **choices)
        if action == "add_line":
            lines.forms[-1].fields["account"].widget.attrs["autofocus"] = True
        status = 200
    else:
        data = compact_lines(request.POST)
        header = EntryForm(data, journals=journals)
        lines = line_formset(data, **choices)
        typed = posted_lines(data)
        if header.is_valid() and lines.is_valid():
            try:
                saved = save(header.cleaned_data, lines_of_formset(lines), action == "validate")
            except ValidationError as error:
                add_service_errors(header, error)
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, _("L'écriture %(ref)s est validée.")
                                 % {"ref": saved.reference} if saved.is_validated
                                 else _("Le brouillon est enregistré."))
                return redirect("ledger:entry_detail", saved.pk)
        status = 400
    return render(request, "ledger/entry_form.html", {
        "structure": structure, "entry": entry, "header": header, "lines": lines,
        "balance": _balance(*typed_totals(typed)),
        "accounts": selectors.accounts_of(structure).filter(is_active=True),
    }, status=status)


def _balance(debit: Decimal, credit: Decimal) -> dict[str, Any]:
    return {"debit": debit, "credit": credit, "gap": debit - credit,
            "balanced": debit == credit and debit > 0}


@login_required
@require_http_methods(["GET", "POST"])
def entry_create(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _opened_structure(request, structure_id)
    _gate(permissions.can_keep_books(request.user, structure, today=dates.local_today()))

    def save(header: dict[str, Any], lines: list[services.LineInput], validate: bool) -> Entry:
        return services.create_entry(actor=request.user, structure=structure, lines=lines,
                                     validate=validate, today=dates.local_today(), **header)

    return _entry_page(request, structure, save=save)


@login_required
@require_http_methods(["GET", "POST"])
def entry_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = entry_in_reach(request, entry_id, keep=True)
    if entry.is_validated:
        return redirect("ledger:entry_detail", entry.pk)

    def save(header: dict[str, Any], lines: list[services.LineInput], validate: bool) -> Entry:
        today = dates.local_today()
        # Both or neither: "Enregistrer et valider" never leaves a half-saved draft behind.
        with transaction.atomic():
            draft = services.update_draft(actor=request.user, entry=entry, lines=lines,
                                          today=today, **header)
            return (services.validate_entry(actor=request.user, entry=draft, today=today)
                    if validate else draft)

    return _entry_page(request, entry.structure, save=save, entry=entry)


@login_required
@require_POST
def entry_balance(request: HttpRequest, structure_id: int) -> HttpResponse:
    """The htmx fragment under the lines: debit, credit and gap of what is typed so far."""
    books_structure(request, structure_id, keep=True)
    return render(request, "ledger/_balance.html",
                  {"balance": _balance(*typed_totals(posted_lines(request.POST)))})


def _entry_detail(request: HttpRequest, entry: Entry, *, errors: list[str] | None = None,
                  reverse_form: ReverseForm | None = None) -> HttpResponse:
    lines = list(selectors.lines_of(entry))
    reversal = Entry.objects.filter(reverses=entry).first()
    return render(request, "ledger/entry_detail.html", {
        "structure": entry.structure, "entry": entry, "lines": lines, "reversal": reversal,
        "total_debit": sum((ln.debit for ln in lines), Decimal(0)),
        "total_credit": sum((ln.credit for ln in lines), Decimal(0)),
        "events": events_for(entry).order_by("at", "pk"),
        "reverse_form": reverse_form or ReverseForm(initial={"date": dates.local_today()}),
        "errors": errors or [],
    }, status=400 if errors or (reverse_form and reverse_form.errors) else 200)


@login_required
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _entry_detail(request, entry_in_reach(request, entry_id))


def _act(request: HttpRequest, entry: Entry, act: Callable[[], Entry | None],
         success: str) -> HttpResponse:
    try:
        result = act()
    except ValidationError as error:
        return _entry_detail(request, entry, errors=error.messages)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success)
    if result is None:
        return redirect("ledger:entries", entry.fiscal_year_id)
    return redirect("ledger:entry_detail", result.pk)


@login_required
@require_POST
def entry_validate(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = entry_in_reach(request, entry_id, keep=True)
    return _act(request, entry, lambda: services.validate_entry(
        actor=request.user, entry=entry, today=dates.local_today()),
        _("L'écriture est validée."))


@login_required
@require_POST
def entry_reverse(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = entry_in_reach(request, entry_id, keep=True)
    form = ReverseForm(request.POST)
    if not form.is_valid():
        return _entry_detail(request, entry, reverse_form=form)
    return _act(request, entry, lambda: services.reverse_entry(
        actor=request.user, entry=entry, date=form.cleaned_data["date"],
        today=dates.local_today()), _("L'écriture est contre-passée."))


@login_required
@require_POST
def entry_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = entry_in_reach(request, entry_id, keep=True)
    return _act(request, entry, lambda: services.delete_draft(
        actor=request.user, entry=entry, today=dates.local_today()),
        _("Le brouillon est supprimé."))
