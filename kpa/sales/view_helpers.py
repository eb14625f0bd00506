"""The plumbing the selling pages share: the 404 gate, the documents in reach, one service call
for a form or a button, the PDF answer, a document's history, and the words that say where a
document stands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kpa.core.audit import events_for
from kpa.core.forms import add_service_errors
from kpa.core.models import AuditEvent
from kpa.core.money import format_money
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Person
from kpa.directory.permissions import reach_of
from kpa.sales import selectors
from kpa.sales.models import Invoice, Quote
from kpa.sales.permissions import member_activity_ids

T = TypeVar("T")

HISTORY_LIMIT = 50


def gate(allowed: bool) -> None:
    """A visible document the user may not change: 404 too, so probing learns nothing."""
    if not allowed:
        raise Http404


def invoice_in_reach(request: HttpRequest, pk: int, today: dt.date) -> Invoice:
    return get_in_scope(selectors.invoices_for(request.user, today), pk=pk)


def quote_in_reach(request: HttpRequest, pk: int, today: dt.date) -> Quote:
    return get_in_scope(selectors.quotes_for(request.user, today), pk=pk)


def person_of(request: HttpRequest) -> Person | None:
    if request.user.pk is None:
        return None
    return Person.objects.filter(user_id=request.user.pk).first()


def can_sell_somewhere(request: HttpRequest, today: dt.date) -> bool:
    reach = reach_of(request.user, today)
    return bool(reach.is_admin or reach.managed_structures
                or member_activity_ids(request.user, today))


def pdf_response(content: bytes | memoryview, filename: str) -> HttpResponse:
    response = HttpResponse(bytes(content), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def history(target: Model) -> list[AuditEvent]:
    return list(events_for(target).select_related("actor__person")
                .order_by("-at", "-id")[:HISTORY_LIMIT])


def form_data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def submit(request: HttpRequest, form: BaseForm, save: Callable[[], T],
           success: Callable[[T], str] | str, then: Callable[[T], str]) -> HttpResponse | None:
    """On a valid POST, call the service and redirect to `then(result)`; None re-renders with
    the service's French refusal on the form (an unbound form never submits)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        saved = save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success if isinstance(success, str) else success(saved))
    return redirect(then(saved))


def acted(request: HttpRequest, call: Callable[[], T],
          success: Callable[[T], str] | str) -> T | None:
    """Run one service for a button; its French refusal becomes an error message."""
    try:
        result = call()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success if isinstance(success, str) else success(result))
    return result


def form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page; after a refused POST it answers 400 so that tools see the refusal."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def back_to(request: HttpRequest, default: str) -> str:
    """The `next` of a button (the queue sends people back to itself), when it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def invoice_url(invoice: Invoice) -> str:
    return reverse("sales:invoice_detail", args=[invoice.pk])


def quote_url(quote: Quote) -> str:
    return reverse("sales:quote_detail", args=[quote.pk])


def label(invoice: Invoice) -> str:
    if invoice.number:
        return f"{invoice.get_kind_display()} {invoice.number}"
    return _("%(kind)s en brouillon") % {"kind": invoice.get_kind_display()}


def _day(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


@dataclass(frozen=True)
class State:
    words: str
    tone: str = ""  # "", "ok" or "late": a word always goes with the colour


def remaining_of(invoice: Invoice, credited: Decimal) -> Decimal:
    """What the customer still owes, from the row and the sum of its issued credit notes
    (less what those refunded), as `payments.balance_due` computes it, without a query."""
    remaining: Decimal = (invoice.total_incl_vat - invoice.prepaid_amount
                          - invoice.amount_paid - credited)
    return remaining


def invoice_state(invoice: Invoice, today: dt.date, remaining: Decimal) -> State:
    if invoice.status == Invoice.Status.DRAFT:
        if invoice.is_credit_note:
            return State(_("Avoir en brouillon : la structure le valide"))
        return State(_("Brouillon"))
    if invoice.status == Invoice.Status.SUBMITTED:
        return State(_("En attente de validation par la structure"))
    if invoice.is_credit_note:
        if remaining < 0:
            return State(_("Avoir émis le %(day)s : %(amount)s € à rembourser")
                         % {"day": _day(invoice.issued_on),
                            "amount": format_money(-remaining)})
        return State(_("Avoir émis le %(day)s") % {"day": _day(invoice.issued_on)}, "ok")
    if invoice.paid_on is not None or remaining <= 0:
        if invoice.paid_on is not None and invoice.amount_paid > 0:
            return State(_("Payée le %(day)s") % {"day": _day(invoice.paid_on)}, "ok")
        return State(_("Soldée"), "ok")
    values = {"amount": format_money(remaining), "day": _day(invoice.due_on)}
    if invoice.due_on is not None and invoice.due_on < today:
        return State(_("En retard : %(amount)s € à encaisser, échue le %(day)s") % values,
                     "late")
    return State(_("%(amount)s € à encaisser avant le %(day)s") % values)


def quote_state(quote: Quote, today: dt.date) -> State:
    if quote.status == Quote.Status.DRAFT:
        return State(_("Brouillon"))
    if quote.status == Quote.Status.ACCEPTED:
        return State(_("Accepté le %(day)s") % {"day": _day(quote.accepted_on)}, "ok")
    if quote.status == Quote.Status.REFUSED:
        return State(_("Refusé le %(day)s") % {"day": _day(quote.refused_on)})
    if quote.valid_until is not None and quote.valid_until < today:
        return State(_("Expiré le %(day)s") % {"day": _day(quote.valid_until)}, "late")
    return State(_("Envoyé le %(sent)s, valable jusqu'au %(until)s")
                 % {"sent": _day(quote.sent_on), "until": _day(quote.valid_until)})
