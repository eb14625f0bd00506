"""The selling pages: "Mes devis et factures", the gestionnaire's validation queue and the
customer's public acceptance page. The quote and invoice forms are in `document_views`, one
invoice's page in `invoice_views`, one quote's in `quote_views`.

Thin views: gate → one service or selector → render. A document out of reach is 404, never
403; an action a service refuses with PermissionDenied on a visible document is 404 too, and
its French ValidationError comes back on the form or as a message.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.directory.models import Structure
from kpa.directory.permissions import reach_of
from kpa.sales import documents, selectors
from kpa.sales.forms import AcceptForm, FilterForm
from kpa.sales.models import ZERO, Invoice, Quote
from kpa.sales.permissions import member_activity_ids
from kpa.sales.totals import Totals, compute
from kpa.sales.view_helpers import (
    State,
    can_sell_somewhere,
    form_data,
    gate,
    invoice_state,
    quote_state,
    remaining_of,
)

LIST_LIMIT = 50  # per list on "Mes devis et factures"; the filters reach the older ones


# -- "Mes devis et factures" ------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    state: State


@dataclass(frozen=True)
class QuoteRow:
    quote: Quote
    state: State


MONEY = DecimalField(max_digits=14, decimal_places=2)


def _with_credited(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Each invoice with what its issued credit notes took off (less what they refunded), in
    the same query, so that the list says what is still owed without one query per row."""
    credited = (Invoice.objects.filter(credited_invoice=OuterRef("pk"),
                                       status=Invoice.Status.ISSUED)
                .order_by().values("credited_invoice")
                .annotate(total=Sum(F("total_incl_vat") - F("amount_paid"))).values("total"))
    return invoices.annotate(credited=Coalesce(Subquery(credited, output_field=MONEY),
                                               Value(ZERO), output_field=MONEY))


def _filter_invoices(invoices: QuerySet[Invoice], state: str,
                     today: dt.date) -> QuerySet[Invoice]:
    unpaid = invoices.filter(status=Invoice.Status.ISSUED, paid_on__isnull=True).exclude(
        kind=Invoice.Kind.CREDIT_NOTE)
    return {
        "draft": invoices.filter(status=Invoice.Status.DRAFT),
        "submitted": invoices.filter(status=Invoice.Status.SUBMITTED),
        "unpaid": unpaid,
        "overdue": unpaid.filter(due_on__lt=today),
        "paid": invoices.filter(paid_on__isnull=False),
    }.get(state, invoices)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    activities = list(selectors.activities_for(request.user, today))
    form = FilterForm(request.GET or None, activities=activities)
    activity_id, status = form.value("activity"), form.value("status") or ""
    which, _sep, state = status.partition(":")
    invoices = _with_credited(selectors.invoices_for(request.user, today))
    quotes = selectors.quotes_for(request.user, today)
    if activity_id is not None:
        invoices = invoices.filter(activity_id=activity_id)
        quotes = quotes.filter(activity_id=activity_id)
    if which == "invoice":
        invoices = _filter_invoices(invoices, state, today)
    if which == "quote":
        quotes = quotes.filter(status=state)
    invoice_rows = [] if which == "quote" else [
        InvoiceRow(invoice, invoice_state(
            invoice, today, remaining_of(invoice, invoice.credited)))  # type: ignore[attr-defined]
        for invoice in invoices.order_by("-created_at", "-id")[:LIST_LIMIT + 1]]
    quote_rows = [] if which == "invoice" else [
        QuoteRow(quote, quote_state(quote, today))
        for quote in quotes.order_by("-created_at", "-id")[:LIST_LIMIT + 1]]
    return render(request, "sales/home.html", {
        "form": form, "filtered": bool(activity_id or status), "today": today,
        "invoice_rows": invoice_rows[:LIST_LIMIT], "more_invoices": len(invoice_rows) > LIST_LIMIT,
        "quote_rows": quote_rows[:LIST_LIMIT], "more_quotes": len(quote_rows) > LIST_LIMIT,
        "show_invoices": which != "quote", "show_quotes": which != "invoice",
        "can_sell": can_sell_somewhere(request, today), "has_activities": bool(activities),
        "limit": LIST_LIMIT,
        "till_activities": [a for a in activities
                            if a.pk in member_activity_ids(request.user, today)],
    })


# -- the gestionnaire's validation queue --------------------------------------------------------


@login_required
@require_GET
def validation_queue(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    reach = reach_of(request.user, today)
    gate(reach.is_admin or bool(reach.managed_structures))
    return render(request, "sales/validation_queue.html", {
        "invoices": list(selectors.validation_queue(request.user, today)), "today": today,
        "here": request.path,
    })


# -- the customer's public acceptance page ------------------------------------------------------


@require_http_methods(["GET", "POST"])
def quote_accept(request: HttpRequest, token: str) -> HttpResponse:
    """No account: whoever holds the private link of the e-mail reads the quote and accepts
    it with their name. A wrong link is 404."""
    today = dates.local_today()
    quote = documents.quote_for_token(token)
    if quote is None or quote.status == Quote.Status.DRAFT:
        raise Http404
    expired = (quote.status == Quote.Status.SENT and quote.valid_until is not None
               and today > quote.valid_until)
    form = AcceptForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            documents.accept_quote_by_link(token=token, name=form.cleaned_data["name"],
                                           today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Merci ! Le devis est accepté. %(activity)s est "
                                        "prévenu·e.") % {"activity": quote.activity.name})
            return redirect("sales:quote_accept", token=token)
    lines = list(quote.lines.all())
    totals: Totals = compute(lines)
    return render(request, "sales/quote_accept.html", {
        "quote": quote, "lines": lines, "totals": totals, "form": form, "expired": expired,
        "open": quote.status == Quote.Status.SENT and not expired,
        "franchise": quote.structure.vat_regime == Structure.VatRegime.FRANCHISE,
    }, status=400 if request.method == "POST" else 200)
