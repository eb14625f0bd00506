"""The quote and invoice forms (phone first): new or a draft's, the header, the lines picked
from the catalogue or typed, and the buttons. A document out of reach is 404, never 403; the
service's French ValidationError comes back on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import BaseFormSet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.directory.models import Activity, Structure
from kpa.sales import documents, permissions, selectors
from kpa.sales.documents import LineInput
from kpa.sales.forms import (
    BLANK_LINES,
    DocumentForm,
    LineForm,
    blank_line,
    compact_lines,
    filled_from_item,
    line_formset,
    lines_initial,
    lines_of_formset,
    posted_lines,
)
from kpa.sales.models import CatalogItem, Customer, Invoice, OperationCategory, Quote, VatRate
from kpa.sales.view_helpers import (
    gate,
    invoice_in_reach,
    invoice_url,
    label,
    quote_in_reach,
    quote_url,
)


@dataclass
class LineChoices:
    """What the lines of a form may pick: the catalogue and the VAT rates of the structures."""

    items: list[CatalogItem]
    structures: list[Structure]
    fill_url: str

    @property
    def default_vat(self) -> str:
        return _default_vat(self.structures)

    def formset(self, data: Any = None,
                initial: list[dict[str, Any]] | None = None) -> BaseFormSet[LineForm]:
        return line_formset(data, items=self.items, structures=self.structures,
                            fill_url=self.fill_url, initial=initial)


def line_choices(request: HttpRequest, activities: Iterable[Activity]) -> LineChoices:
    activities = list(activities)
    items = list(CatalogItem.objects.filter(
        activity__in=[a.pk for a in activities], archived_at__isnull=True)
        .select_related("activity").order_by("activity__name", "name", "id"))
    structures = list({a.structure_id: a.structure for a in activities}.values())
    return LineChoices(items=items, structures=structures, fill_url=request.path)


def _fill(typed: list[dict[str, str]], choices: LineChoices,
          trigger: str | None) -> list[dict[str, str]]:
    """htmx sends which select changed ("lignes-2-item"): that line takes its article's
    designation, price and rate; without that header, every line with an article and no
    designation does."""
    by_pk = {str(item.pk): item for item in choices.items}
    filled = []
    for index, values in enumerate(typed):
        item = by_pk.get(values.get("item", ""))
        changed = (trigger == f"lignes-{index}-item" if trigger
                   else not values.get("description", "").strip())
        filled.append(filled_from_item(values, item) if item is not None and changed
                      else values)
    return filled


def typed_lines(request: HttpRequest, choices: LineChoices,
                 initial: list[dict[str, Any]]) -> tuple[BaseFormSet[LineForm], bool]:
    """The lines of a form page: unbound to show (first visit, "ajouter une ligne", an article
    picked), or bound to save. Returns the formset and whether it is to be saved."""
    action = request.POST.get("action", "")
    if request.method != "POST":
        return choices.formset(initial=initial), False
    if action in ("add_line", "fill"):
        typed = posted_lines(request.POST)
        if action == "fill":
            typed = _fill(typed, choices, request.headers.get("HX-Trigger-Name"))
        else:
            typed.append(blank_line(choices.default_vat))
        lines = choices.formset(initial=typed)
        if action == "add_line":
            lines.forms[-1].fields["description"].widget.attrs["autofocus"] = True
        return lines, False
    return choices.formset(compact_lines(request.POST)), True


SaveDocument = Callable[[DocumentForm, list[LineInput], str], Model]


def _document_page(request: HttpRequest, *, template_context: dict[str, Any],
                   activities: QuerySet[Activity] | None, line_activities: Sequence[Activity],
                   customers: QuerySet[Customer], for_invoice: bool,
                   initial: dict[str, Any], lines_start: list[dict[str, Any]],
                   save: SaveDocument, done: Callable[[Model], str],
                   lock_customer: bool = False) -> HttpResponse:
    """A quote's or an invoice's form, new or a draft's: header, lines, and the buttons."""
    choices = line_choices(request, line_activities)
    lines, to_save = typed_lines(request, choices, lines_start)
    kwargs: dict[str, Any] = {"activities": activities, "customers": customers,
                              "for_invoice": for_invoice, "lock_customer": lock_customer}
    if not to_save:
        header_initial = request.POST.dict() if request.method == "POST" else initial
        header = DocumentForm(initial=header_initial, **kwargs)
        status = 200
    else:
        header = DocumentForm(compact_lines(request.POST), **kwargs)
        if header.is_valid() and lines.is_valid():
            category = header.cleaned_data["operation_category"]
            try:
                saved = save(header, lines_of_formset(lines, category),
                             request.POST.get("action", ""))
            except ValidationError as error:
                add_service_errors(header, error)
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, done(saved))
                return redirect(_document_url(saved))
        status = 400
    return render(request, "sales/document_form.html", {
        **template_context, "header": header, "lines": lines, "for_invoice": for_invoice,
        "customer_locked": lock_customer,
        "customer_next": request.get_full_path(),
        "has_catalog": bool(choices.items),
    }, status=status)


def _document_url(document: Model) -> str:
    if isinstance(document, Invoice):
        return invoice_url(document)
    assert isinstance(document, Quote)
    return quote_url(document)


def _new_document_initial(request: HttpRequest, activities: Sequence[Activity]) -> dict[str, Any]:
    """The activity when the seller has only one; `?activite=` and `?client=` (the customer
    page sends people back with the customer they just created)."""
    initial: dict[str, Any] = {"operation_category": OperationCategory.SERVICES}
    if len(activities) == 1:
        initial["activity"] = activities[0].pk
    for param, name in (("activite", "activity"), ("client", "customer")):
        if request.GET.get(param, "").isdigit():
            initial[name] = int(request.GET[param])
    return initial


def _customers(request: HttpRequest, today: dt.date,
               structure_ids: Iterable[int]) -> QuerySet[Customer]:
    return (selectors.customers_for(request.user, today)
            .filter(archived_at__isnull=True, structure_id__in=list(structure_ids))
            .order_by("name", "id"))


def _new_page(request: HttpRequest, *, for_invoice: bool) -> HttpResponse:
    today = dates.local_today()
    activities = selectors.selling_activities_for(request.user, today)
    listed = list(activities)
    if not listed:
        return render(request, "sales/no_activity.html", {"for_invoice": for_invoice})

    def save(header: DocumentForm, lines: list[LineInput], action: str) -> Model:
        data = header.cleaned_data
        if not for_invoice:
            return documents.create_quote(actor=request.user, activity=data["activity"],
                                          customer=data["customer"], lines=lines, today=today,
                                          **header.header())
        # Both or neither: "Enregistrer et demander la validation" leaves no draft behind
        # when the request is refused, so the person corrects and tries again.
        with transaction.atomic():
            invoice = documents.create_invoice(actor=request.user, activity=data["activity"],
                                               customer=data["customer"], lines=lines,
                                               today=today, **header.header())
            if action == "submit":
                return documents.submit_invoice(actor=request.user, invoice=invoice,
                                                today=today)
        return invoice

    title = _("Nouvelle facture") if for_invoice else _("Nouveau devis")
    return _document_page(
        request, template_context={"title": title, "document": None,
                                   "may_submit": for_invoice},
        activities=activities, line_activities=listed,
        customers=_customers(request, today, {a.structure_id for a in listed}),
        for_invoice=for_invoice, initial=_new_document_initial(request, listed),
        lines_start=[blank_line(_default_vat([a.structure for a in listed]))
                     for _index in range(BLANK_LINES)],
        save=save, done=_saved_message)


def _default_vat(structures: Sequence[Structure]) -> str:
    """The rate a blank line starts with: 0 % only when every structure is under the
    franchise."""
    franchise = all(s.vat_regime == Structure.VatRegime.FRANCHISE for s in structures)
    return VatRate.NONE if franchise and structures else VatRate.STANDARD


def _saved_message(document: Model) -> str:
    if isinstance(document, Invoice) and document.status == Invoice.Status.SUBMITTED:
        return _("La facture est envoyée à la structure pour validation. Vous serez "
                 "prévenu·e quand elle sera émise.")
    return _("Le brouillon est enregistré.")


@login_required
@require_http_methods(["GET", "POST"])
def invoice_new(request: HttpRequest) -> HttpResponse:
    return _new_page(request, for_invoice=True)


@login_required
@require_http_methods(["GET", "POST"])
def quote_new(request: HttpRequest) -> HttpResponse:
    return _new_page(request, for_invoice=False)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    gate(documents.can_edit(request.user, invoice, today))
    if invoice.is_issued and request.method == "GET":
        messages.error(request, _(
            "%(kind)s %(number)s est émise : elle ne change plus. Pour la corriger, faites "
            "un avoir.") % {"kind": invoice.get_kind_display(), "number": invoice.number})
        return redirect(invoice_url(invoice))
    lock = bool(invoice.quote_id or invoice.credited_invoice_id)

    def save(header: DocumentForm, lines: list[LineInput], action: str) -> Model:
        customer = None if lock else header.cleaned_data["customer"]
        with transaction.atomic():
            updated = documents.update_invoice(actor=request.user, invoice=invoice,
                                               lines=lines, customer=customer, today=today,
                                               **header.header())
            if action == "submit" and updated.status == Invoice.Status.DRAFT:
                return documents.submit_invoice(actor=request.user, invoice=updated,
                                                today=today)
        return updated

    return _document_page(
        request, template_context={
            "title": _("Modifier %(doc)s") % {"doc": label(invoice)}, "document": invoice,
            "invoice": invoice, "may_submit": (invoice.status == Invoice.Status.DRAFT
                                               and not invoice.is_credit_note)},
        activities=None, line_activities=[invoice.activity],
        customers=_customers(request, today, [invoice.structure_id]), for_invoice=True,
        initial=DocumentForm.initial_from(invoice), lines_start=lines_initial(invoice),
        save=save, done=_saved_message, lock_customer=lock)


@login_required
@require_http_methods(["GET", "POST"])
def quote_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    gate(permissions.can_sell_for(request.user, quote.activity, today=today))
    if quote.status != Quote.Status.DRAFT and request.method == "GET":
        messages.error(request, _("Le devis %(number)s est envoyé : il ne change plus. Faites "
                                  "un nouveau devis.") % {"number": quote.number})
        return redirect(quote_url(quote))

    def save(header: DocumentForm, lines: list[LineInput], action: str) -> Model:
        return documents.update_quote(actor=request.user, quote=quote, lines=lines,
                                      customer=header.cleaned_data["customer"], today=today,
                                      **header.header())

    return _document_page(
        request, template_context={"title": _("Modifier le devis"), "document": quote},
        activities=None, line_activities=[quote.activity],
        customers=_customers(request, today, [quote.structure_id]), for_invoice=False,
        initial=DocumentForm.initial_from(quote), lines_start=lines_initial(quote),
        save=save, done=_saved_message)
