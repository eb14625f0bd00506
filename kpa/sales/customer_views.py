"""The selling pages that are not documents: a structure's customers (shared by its
activities), each activity's catalogue, and the structure's selling settings with the
coopérants' self-validation rights.

Thin views: gate → one service or selector → render. Out of reach is 404, never 403; a write
refused by a service's gate is 404 too, and its French refusals land on the form's fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.auth import AnyUser
from kpa.core.links import is_safe_relative_url
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity, ActivityMembership, Person, Structure
from kpa.directory.validators import compact_identifier
from kpa.ledger.services import fiscal_year_for
from kpa.sales import numbering, permissions, selectors, services
from kpa.sales.customer_forms import (
    CatalogItemForm,
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    GrantForm,
    SettingsForm,
    kind_choices,
)
from kpa.sales.mentions import FRANCHISE_WORDING, settings_of
from kpa.sales.models import (
    ZERO,
    CatalogItem,
    Customer,
    DocumentSequence,
    Invoice,
    SellingRight,
)
from kpa.sales.till import is_franchise, item_price_incl_vat
from kpa.sales.view_helpers import (
    State,
    acted,
    form_data,
    form_page,
    gate,
    invoice_state,
    quote_state,
    remaining_of,
    submit,
)

CUSTOMERS_PER_PAGE = 50
PATTERN_SERIES = (
    ("invoice_pattern", DocumentSequence.Series.INVOICE),
    ("credit_note_pattern", DocumentSequence.Series.CREDIT_NOTE),
    ("quote_pattern", DocumentSequence.Series.QUOTE),
)


# -- small helpers ---------------------------------------------------------------------------


def next_url(request: HttpRequest) -> str | None:
    """Where to go back after a creation (the invoice form), only as a path on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if candidate and is_safe_relative_url(candidate) else None


def with_param(url: str, **params: str) -> str:
    """`url` with `params` set in its query (replacing a value already there)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*kept, *params.items()])))


def chosen_kind(request: HttpRequest, default: str | None = None) -> str | None:
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    return kind if kind in Customer.Kind.values else default


def manageable_structures(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose customers the user may create and change."""
    reachable = list(selectors.customer_structures_for(user, today))
    ids = [s.pk for s in reachable
           if permissions.can_manage_customers(user, s, today=today)]
    return Structure.objects.filter(pk__in=ids).order_by("name", "id")


def configured_structure(request: HttpRequest, pk: int, today: dt.date) -> Structure:
    structure = get_in_scope(selectors.customer_structures_for(request.user, today), pk=pk)
    gate(permissions.can_configure_sales(request.user, structure, today=today))
    return structure


# -- customers -------------------------------------------------------------------------------


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    user = request.user
    form = CustomerFilterForm(request.GET)
    customers = selectors.customers_for(user, today)
    search, kind, archived = form.value("q"), form.value("kind"), form.value("archived")
    if not archived:
        customers = customers.filter(archived_at__isnull=True)
    if kind:
        customers = customers.filter(kind=kind)
    if search:
        matches = Q(name__icontains=search)
        digits = compact_identifier(search)
        if digits.isdigit():
            matches |= Q(siren__startswith=digits[:9]) | Q(siret__startswith=digits)
        customers = customers.filter(matches)
    page = Paginator(customers.order_by("name", "id"), CUSTOMERS_PER_PAGE).get_page(
        request.GET.get("page"))
    structures = list(selectors.customer_structures_for(user, today))
    return render(request, "sales/customers/list.html", {
        "form": form, "page": page, "customers": page.object_list,
        "filtered": bool(search or kind or archived),
        "several_structures": len(structures) > 1,
        "can_create": any(permissions.can_manage_customers(user, s, today=today)
                          for s in structures),
        "configurable": [s for s in structures
                         if permissions.can_configure_sales(user, s, today=today)],
    })


def _customer_form_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    """The kind links keep only what is safe to carry: the `next` path and the structure."""
    keep: dict[str, str] = {}
    if context.get("next"):
        keep["next"] = context["next"]
    if request.GET.get("structure", "").isdigit():
        keep["structure"] = request.GET["structure"]
    context["kinds"] = [(value, label, hint, "?" + urlencode({"kind": value, **keep}))
                        for value, label, hint in kind_choices()]
    return form_page(request, "sales/customers/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def customer_new(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = manageable_structures(request.user, today)
    choices = list(structures)
    gate(bool(choices))
    back = next_url(request)
    kind = chosen_kind(request)
    if kind is None:
        # First the kind: it decides what the form asks.
        return _customer_form_page(request, {"form": None, "next": back, "customer": None})
    several = len(choices) > 1
    wanted = request.GET.get("structure", "")
    initial = {"structure": next((s.pk for s in choices if str(s.pk) == wanted), None)}
    form = CustomerForm(form_data(request), kind=kind,
                        structures=structures if several else None, initial=initial)

    def save() -> Customer:
        structure = form.cleaned_data["structure"] if several else choices[0]
        return services.create_customer(actor=request.user, structure=structure, today=today,
                                        **form.customer_fields())

    def then(customer: Customer) -> str:
        if back:
            # The invoice and quote forms preselect the customer given as `?client=`.
            return with_param(back, client=str(customer.pk))
        return reverse("sales:customer_detail", args=[customer.pk])

    done = submit(request, form, save, _("Le client est enregistré."), then)
    return done or _customer_form_page(request, {"form": form, "next": back, "customer": None})


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    customer = get_in_scope(selectors.customers_for(request.user, today), pk=pk)
    gate(permissions.can_manage_customers(request.user, customer.structure, today=today))
    kind = chosen_kind(request, customer.kind)
    assert kind is not None
    form = CustomerForm(form_data(request), kind=kind,
                        initial={**CustomerForm.initial_from(customer), "kind": kind})
    done = submit(request, form, lambda: services.update_customer(
        actor=request.user, customer=customer, today=today, **form.customer_fields()),
        _("Le client est modifié."),
        lambda saved: reverse("sales:customer_detail", args=[saved.pk]))
    return done or _customer_form_page(request, {"form": form, "next": None,
                                                 "customer": customer})


@login_required
@require_POST
def customer_archive(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    customer = get_in_scope(selectors.customers_for(request.user, today), pk=pk)
    gate(permissions.can_manage_customers(request.user, customer.structure, today=today))
    acted(request, lambda: services.archive_customer(actor=request.user, customer=customer,
                                                     today=today),
          _("Le client est archivé : il n'est plus proposé sur les nouveaux devis et "
            "factures."))
    return redirect("sales:customer_detail", pk=customer.pk)


@dataclass
class InvoiceRow:
    invoice: Invoice
    url: str | None
    state: State
    due: Decimal | None = None  # None for drafts and credit notes


@dataclass
class Balances:
    rows: list[InvoiceRow] = field(default_factory=list)
    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    paid: Decimal = ZERO
    due: Decimal = ZERO
    overdue: Decimal = ZERO
    refund: Decimal = ZERO


def balances(invoices: list[Invoice], today: dt.date) -> Balances:
    """What each issued invoice still asks, the way `payments.balance_due` computes it, from
    the rows already read (one query for the whole page, not one per invoice)."""
    credited: dict[int, Decimal] = {}
    for note in invoices:
        if note.is_credit_note and note.is_issued and note.credited_invoice_id is not None:
            credited[note.credited_invoice_id] = (credited.get(note.credited_invoice_id, ZERO)
                                                  + note.total_incl_vat - note.amount_paid)
    remaining = {invoice.pk: remaining_of(invoice, credited.get(invoice.pk, ZERO))
                 for invoice in invoices if not invoice.is_credit_note}
    found = Balances()
    for invoice in invoices:
        url = reverse("sales:invoice_detail", args=[invoice.pk])
        if invoice.is_credit_note:
            # A note refunds only what its invoice was paid beyond what it now asks (the
            # room `payments.record_payment` allows); otherwise it just lowered the invoice.
            overpaid = -remaining.get(invoice.credited_invoice_id or 0, ZERO)
            refund = min(invoice.total_incl_vat - invoice.amount_paid, max(overpaid, ZERO))
            found.rows.append(InvoiceRow(invoice, url, invoice_state(invoice, today, -refund)))
            if invoice.is_issued:
                found.credited += invoice.total_incl_vat
            continue
        left = remaining[invoice.pk]
        row = InvoiceRow(invoice, url, invoice_state(invoice, today, left))
        found.rows.append(row)
        if not invoice.is_issued:
            continue
        row.due = left
        found.invoiced += invoice.total_incl_vat - invoice.prepaid_amount
        found.paid += invoice.amount_paid
        if left > 0:
            found.due += left
            if invoice.due_on is not None and invoice.due_on < today:
                found.overdue += left
        else:
            found.refund -= left
    return found


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    user = request.user
    customer = get_in_scope(selectors.customers_for(user, today), pk=pk)
    # Quotes and invoices come through their scoped selectors: a coopérant sees those of
    # their own activities only, though the customer is shared by the whole structure.
    invoices = list(selectors.invoices_for(user, today).filter(customer=customer)
                    .order_by("-created_at", "-id"))
    quotes = list(selectors.quotes_for(user, today).filter(customer=customer)
                  .order_by("-created_at", "-id"))
    can_manage = permissions.can_manage_customers(user, customer.structure, today=today)
    return render(request, "sales/customers/detail.html", {
        "customer": customer,
        "contacts": list(customer.contacts.all()),
        "contact_form": ContactForm(auto_id="contact_%s") if can_manage else None,
        "can_manage": can_manage,
        "balances": balances(invoices, today),
        "quotes": [(quote, reverse("sales:quote_detail", args=[quote.pk]),
                    quote_state(quote, today)) for quote in quotes],
        "today": today,
    })


@login_required
@require_http_methods(["GET", "POST"])
def customer_contact_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    customer = get_in_scope(selectors.customers_for(request.user, today), pk=pk)
    gate(permissions.can_manage_customers(request.user, customer.structure, today=today))
    form = ContactForm(form_data(request), auto_id="contact_%s")
    done = submit(request, form, lambda: services.add_contact(
        actor=request.user, customer=customer, today=today, **form.cleaned_data),
        _("Le contact est ajouté."),
        lambda _contact: reverse("sales:customer_detail", args=[customer.pk]))
    return done or form_page(request, "sales/customers/contact_form.html",
                             {"customer": customer, "form": form})


# -- catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    item: CatalogItem
    incl_vat: Decimal


@login_required
@require_GET
def catalog_index(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    activities = list(selectors.activities_for(request.user, today))
    return render(request, "sales/catalog/index.html", {"activities": activities})


@login_required
@require_GET
def catalog(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    user = request.user
    activity = get_in_scope(selectors.activities_for(user, today), pk=pk)
    gate(permissions.can_view_activity_sales(user, activity, today=today))
    show_archived = request.GET.get("retires") == "1"
    items = selectors.catalog_for(activity, include_archived=show_archived)
    franchise = is_franchise(activity.structure)
    return render(request, "sales/catalog/list.html", {
        "activity": activity,
        "rows": [ItemRow(item, item_price_incl_vat(item, franchise=franchise))
                 for item in items],
        "franchise": franchise,
        "franchise_wording": FRANCHISE_WORDING,
        "can_sell": permissions.can_sell_for(user, activity, today=today),
        "show_archived": show_archived,
    })


@login_required
@require_http_methods(["GET", "POST"])
def catalog_item_new(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    activity = get_in_scope(selectors.selling_activities_for(request.user, today), pk=pk)
    gate(permissions.can_sell_for(request.user, activity, today=today))
    franchise = is_franchise(activity.structure)
    form = CatalogItemForm(form_data(request), franchise=franchise)
    done = submit(request, form, lambda: services.create_item(
        actor=request.user, activity=activity, today=today, **form.item_fields()),
        _("L'article est ajouté au catalogue."),
        lambda _item: reverse("sales:catalog", args=[activity.pk]))
    return done or form_page(request, "sales/catalog/item_form.html", {
        "activity": activity, "form": form, "item": None, "franchise": franchise,
        "franchise_wording": FRANCHISE_WORDING})


def _item_in_reach(request: HttpRequest, pk: int, today: dt.date) -> CatalogItem:
    activities = selectors.selling_activities_for(request.user, today)
    item = get_in_scope(CatalogItem.objects.filter(activity__in=activities,
                                                   archived_at__isnull=True)
                        .select_related("activity__structure"), pk=pk)
    gate(permissions.can_sell_for(request.user, item.activity, today=today))
    return item


@login_required
@require_http_methods(["GET", "POST"])
def catalog_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = _item_in_reach(request, pk, today)
    activity = item.activity
    franchise = is_franchise(activity.structure)
    form = CatalogItemForm(form_data(request), franchise=franchise,
                           initial=CatalogItemForm.initial_from(item))
    done = submit(request, form, lambda: services.update_item(
        actor=request.user, item=item, today=today, **form.item_fields()),
        _("L'article est modifié. Les devis et factures déjà faits gardent l'ancien prix."),
        lambda _item: reverse("sales:catalog", args=[activity.pk]))
    return done or form_page(request, "sales/catalog/item_form.html", {
        "activity": activity, "form": form, "item": item, "franchise": franchise,
        "franchise_wording": FRANCHISE_WORDING})


@login_required
@require_POST
def catalog_item_archive(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    item = _item_in_reach(request, pk, today)
    acted(request, lambda: services.archive_item(actor=request.user, item=item, today=today),
          _("« %(name)s » est retiré du catalogue.") % {"name": item.name})
    return redirect("sales:catalog", pk=item.activity_id)


# -- the structure's settings ----------------------------------------------------------------


@dataclass(frozen=True)
class NumberExample:
    field: str
    number: str  # the next number, or "" when the pattern is refused
    error: str = ""


def _next_sequences(structure: Structure, today: dt.date) -> tuple[int, dict[str, int]]:
    """The fiscal year's name and the next number of each series, read without taking one."""
    try:
        year = fiscal_year_for(structure, today)
    except ValidationError:
        return today.year, {}
    last = dict(DocumentSequence.objects.filter(structure=structure, fiscal_year=year)
                .values_list("series", "last_number"))
    return numbering.year_name(year), {series: number + 1 for series, number in last.items()}


def number_example(field_name: str, series: str, pattern: str, *, year_name: int,
                   next_numbers: dict[str, int], today: dt.date) -> NumberExample:
    try:
        numbering.check_pattern(pattern)
    except ValidationError as error:
        return NumberExample(field_name, "", " ".join(error.messages))
    return NumberExample(field_name, numbering.render(
        pattern, year_name=year_name, day=today, sequence=next_numbers.get(series, 1)))


@login_required
@require_http_methods(["GET", "POST"])
def sales_settings(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = configured_structure(request, pk, today)
    here = reverse("sales:settings", args=[structure.pk])
    form = SettingsForm(form_data(request), instance=settings_of(structure),
                        example_url=reverse("sales:settings_example", args=[structure.pk]))
    done = submit(request, form, lambda: services.update_settings(
        actor=request.user, structure=structure, today=today, **form.settings_fields()),
        _("Les réglages de vente sont enregistrés."), lambda _settings: here)
    if done:
        return done
    year_name, next_numbers = _next_sequences(structure, today)
    examples = [number_example(name, series, str(form[name].value() or ""),
                               year_name=year_name, next_numbers=next_numbers, today=today)
                for name, series in PATTERN_SERIES]
    return form_page(request, "sales/settings/settings.html", {
        "structure": structure, "form": form, "examples": examples,
        "franchise": is_franchise(structure), "franchise_wording": FRANCHISE_WORDING,
    })


@login_required
@require_GET
def settings_example(request: HttpRequest, pk: int) -> HttpResponse:
    """The next number for a pattern being typed (htmx swaps it under the field)."""
    today = dates.local_today()
    structure = configured_structure(request, pk, today)
    name, series = next(((n, s) for n, s in PATTERN_SERIES if n in request.GET),
                        PATTERN_SERIES[0])
    year_name, next_numbers = _next_sequences(structure, today)
    example = number_example(name, series, request.GET.get(name, "")[:100],
                             year_name=year_name, next_numbers=next_numbers, today=today)
    return render(request, "sales/settings/_example.html", {"example": example})


@dataclass
class SellerRow:
    person: Person
    activities: list[Activity] = field(default_factory=list)
    right: SellingRight | None = None


def seller_rows(structure: Structure, today: dt.date) -> list[SellerRow]:
    """The current members of the structure's open activities, with their right if any; a
    right kept by someone who left is listed too, so that it can be revoked."""
    rows: dict[int, SellerRow] = {}
    memberships = (ActivityMembership.objects.current(today)
                   .filter(activity__in=Activity.objects.filter(structure=structure)
                           .open_on(today))
                   .select_related("person", "activity")
                   .order_by("person__last_name", "person__first_name", "activity__name"))
    for membership in memberships:
        row = rows.setdefault(membership.person_id, SellerRow(membership.person))
        row.activities.append(membership.activity)
    for right in structure.selling_rights.select_related("person"):
        rows.setdefault(right.person_id, SellerRow(right.person)).right = right
    return list(rows.values())


@login_required
@require_http_methods(["GET", "POST"])
def selling_rights(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structure = configured_structure(request, pk, today)
    here = reverse("sales:selling_rights", args=[structure.pk])
    rows = seller_rows(structure, today)
    members = [row.person for row in rows if row.activities]
    wanted = request.GET.get("person", "")
    form = GrantForm(form_data(request), people=members, auto_id="grant_%s",
                     initial={"person": wanted if wanted.isdigit() else None})

    def save() -> SellingRight:
        person = next(p for p in members if p.pk == form.cleaned_data["person"])
        return services.grant_selling_right(actor=request.user, structure=structure,
                                            person=person, ceiling=form.cleaned_data["ceiling"],
                                            today=today)

    done = submit(request, form, save, _("Le droit d'auto-validation est enregistré."),
                  lambda _right: here)
    return done or form_page(request, "sales/settings/selling_rights.html", {
        "structure": structure, "rows": rows, "form": form})


@login_required
@require_POST
def selling_right_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    structures = selectors.customer_structures_for(request.user, today)
    right = get_in_scope(SellingRight.objects.filter(structure__in=structures)
                         .select_related("structure", "person"), pk=pk)
    gate(permissions.can_configure_sales(request.user, right.structure, today=today))
    acted(request, lambda: services.revoke_selling_right(actor=request.user, right=right,
                                                         today=today),
          _("%(name)s ne peut plus émettre ses factures seul·e : elles passeront par la "
            "validation.") % {"name": right.person.full_name})
    return redirect("sales:selling_rights", pk=right.structure_id)

