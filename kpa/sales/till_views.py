"""The till's pages, phone-first: an activity's tills, a till (sell, last tickets, today's
takings), a ticket (a printable receipt), the daily closing with its confirmation, the
closings (Z) and the integrity check.

A till is reached through the activities whose sales the user may read
(`till_selectors.tills_for`); selling and closing also need `permissions.can_sell_for`.
Anything out of reach answers 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.forms import add_service_errors
from kpa.core.money import format_money
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity
from kpa.sales import mentions, permissions, till, till_selectors
from kpa.sales.models import CatalogItem, Till
from kpa.sales.till_forms import (
    BaseSaleLineFormSet,
    CloseDayForm,
    OpenTillForm,
    SaleForm,
    SaleLineFormSet,
)


def _gate(allowed: bool) -> None:
    # A till the user may read but not use: 404 too, so probing learns nothing.
    if not allowed:
        raise Http404


def _activity(request: HttpRequest, pk: int, today: dt.date) -> Activity:
    return get_in_scope(till_selectors.sales_activities(request.user, today=today), pk=pk)


def _till(request: HttpRequest, pk: int, today: dt.date) -> Till:
    return get_in_scope(till_selectors.tills_for(request.user, today=today), pk=pk)


# -- an activity's tills -----------------------------------------------------------------------

def _list(request: HttpRequest, activity: Activity, today: dt.date, *,
          form: OpenTillForm | None = None, status: int = 200) -> HttpResponse:
    can_sell = permissions.can_sell_for(request.user, activity, today=today)
    return render(request, "sales/till/list.html", {
        "activity": activity, "tills": list(till_selectors.tills_of(activity, today=today)),
        "can_sell": can_sell, "form": (form or OpenTillForm()) if can_sell else None,
        "today": today,
    }, status=status)


@login_required
@require_GET
def till_list(request: HttpRequest, activity_pk: int) -> HttpResponse:
    today = dates.local_today()
    return _list(request, _activity(request, activity_pk, today), today)


@login_required
@require_POST
def till_open(request: HttpRequest, activity_pk: int) -> HttpResponse:
    today = dates.local_today()
    activity = _activity(request, activity_pk, today)
    _gate(permissions.can_sell_for(request.user, activity, today=today))
    form = OpenTillForm(request.POST)
    if form.is_valid():
        try:
            opened = till.open_till(actor=request.user, activity=activity,
                                    name=form.cleaned_data["name"], today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("La caisse « %(name)s » est ouverte : vous pouvez "
                                        "vendre.") % {"name": opened.name})
            return redirect("sales:till_detail", pk=opened.pk)
    return _list(request, activity, today, form=form, status=400)


# -- a till: sell, last tickets, today's takings --------------------------------------------

def _sale_forms(selected: Till, data: QueryDict | None = None
                ) -> tuple[SaleForm, BaseSaleLineFormSet]:
    franchise = till.is_franchise(selected.activity.structure)
    items = CatalogItem.objects.filter(activity=selected.activity, archived_at__isnull=True)
    return (SaleForm(data), SaleLineFormSet(data, prefix="ligne", items=items,
                                            franchise=franchise))


def _detail(request: HttpRequest, selected: Till, today: dt.date, *,
            forms: tuple[SaleForm, BaseSaleLineFormSet] | None = None,
            status: int = 200) -> HttpResponse:
    can_sell = permissions.can_sell_for(request.user, selected.activity, today=today)
    sale_form, lines = (forms or _sale_forms(selected)) if can_sell else (None, None)
    return render(request, "sales/till/detail.html", {
        "till": selected, "activity": selected.activity, "can_sell": can_sell,
        "sale_form": sale_form, "lines": lines,
        "franchise": till.is_franchise(selected.activity.structure),
        "tickets": till_selectors.recent_tickets(selected),
        "takings": till_selectors.day_takings(selected, today),
        "closed_today": till_selectors.closing_for_day(selected, today),
        "today": today,
    }, status=status)


@login_required
@require_GET
def till_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    return _detail(request, _till(request, pk, today), today)


@login_required
@require_POST
def till_sell(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    _gate(permissions.can_sell_for(request.user, selected.activity, today=today))
    sale_form, lines = _sale_forms(selected, request.POST)
    if sale_form.is_valid() and lines.is_valid():
        try:
            ticket = till.record_sale(actor=request.user, till=selected, lines=lines.lines(),
                                      method=sale_form.cleaned_data["method"], today=today)
        except ValidationError as error:
            add_service_errors(sale_form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Vente enregistrée : ticket n° %(number)d, %(total)s €.")
                             % {"number": ticket.number,
                                "total": format_money(ticket.total_incl_vat)})
            return redirect("sales:till_ticket", pk=selected.pk, number=ticket.number)
    return _detail(request, selected, today, forms=(sale_form, lines), status=400)


@login_required
@require_GET
def till_ticket(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    ticket = get_in_scope(till_selectors.ticket_of(selected, number))
    structure = selected.activity.structure
    franchise = till.is_franchise(structure)
    return render(request, "sales/till/ticket.html", {
        "till": selected, "activity": selected.activity, "structure": structure,
        "ticket": ticket, "vat": till.ticket_vat(ticket), "franchise": franchise,
        "franchise_wording": mentions.FRANCHISE_WORDING if franchise else "",
    })


# -- the daily closing (Z) ----------------------------------------------------------------------

def _close_page(request: HttpRequest, selected: Till, day: dt.date, form: CloseDayForm, *,
                status: int = 200) -> HttpResponse:
    return render(request, "sales/till/close.html", {
        "till": selected, "activity": selected.activity, "day": day, "form": form,
        "already": till_selectors.closing_for_day(selected, day),
        "preview": till_selectors.closing_preview(selected, day),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def till_close(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    _gate(permissions.can_sell_for(request.user, selected.activity, today=today))
    if request.method != "POST":
        day = till_selectors.day_to_close(selected, today=today)
        return _close_page(request, selected, day, CloseDayForm(initial={"day": day}))
    form = CloseDayForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["day"]
        try:
            closing = till.close_day(actor=request.user, till=selected, day=day, today=today)
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Journée du %(day)s clôturée : Z%(number)d, "
                                        "%(total)s €.")
                             % {"day": day.strftime("%d/%m/%Y"), "number": closing.number,
                                "total": format_money(closing.total_incl_vat)})
            return redirect("sales:till_closing", pk=selected.pk, number=closing.number)
    else:
        day = till_selectors.day_to_close(selected, today=today)
    return _close_page(request, selected, min(day, today), form, status=400)


@login_required
@require_GET
def till_closings(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    return render(request, "sales/till/closings.html", {
        "till": selected, "activity": selected.activity,
        "closings": list(till_selectors.closings_of(selected)),
        "can_sell": permissions.can_sell_for(request.user, selected.activity, today=today),
    })


@login_required
@require_GET
def till_closing(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    closing = get_in_scope(till_selectors.closings_of(selected), number=number)
    return render(request, "sales/till/closing.html", {
        "till": selected, "activity": selected.activity, "closing": closing,
        "summary": till_selectors.summary_of(closing.totals),
        "tickets": list(closing.tickets.order_by("number")),
    })


@login_required
@require_GET
def till_verify(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    selected = _till(request, pk, today)
    return render(request, "sales/till/verify.html", {
        "till": selected, "activity": selected.activity,
        "problems": till.verify_chain(selected),
        "ticket_count": selected.tickets.count(),
        "closing_count": selected.closings.count(),
    })
