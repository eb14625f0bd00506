"""What the till pages read, always scoped to the activities whose sales the user may see
(`permissions.can_view_activity_sales`): a member, the structure's gestionnaire or comptable,
the KPA's staff. Anything else does not exist for them (the views answer 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kpa.core.auth import AnyUser
from kpa.core.money import quantize
from kpa.directory.models import Activity
from kpa.directory.permissions import reach_of
from kpa.sales import till
from kpa.sales.models import PaymentMethod, Till, TillClosing, TillTicket
from kpa.sales.permissions import member_activity_ids

RECENT_TICKETS = 10


def sales_activities(user: AnyUser, *, today: dt.date) -> QuerySet[Activity]:
    """The activities whose sales the user may read (the same rule as
    `can_view_activity_sales`, as one query)."""
    reach = reach_of(user, today)
    activities = Activity.objects.select_related("structure", "kpa")
    if reach.is_admin:
        return activities.all()
    if not user.is_authenticated:
        return activities.none()
    return activities.filter(Q(pk__in=member_activity_ids(user, today))
                             | Q(structure_id__in=reach.structures)
                             | Q(kpa_id__in=reach.staff_kpas))


def tills_for(user: AnyUser, *, today: dt.date) -> QuerySet[Till]:
    return Till.objects.filter(
        activity__in=sales_activities(user, today=today).values("pk")
    ).select_related("activity__structure", "activity__kpa")


def tills_of(activity: Activity, *, today: dt.date) -> QuerySet[Till]:
    """An activity's tills with today's ticket count and takings (one query)."""
    start, end = till.day_bounds(today)
    today_only = Q(tickets__sold_at__gte=start, tickets__sold_at__lt=end)
    return activity.tills.annotate(
        today_count=Count("tickets", filter=today_only),
        today_total=Sum("tickets__total_incl_vat", filter=today_only),
    ).order_by("name", "id")


def recent_tickets(selected: Till, *, limit: int = RECENT_TICKETS) -> list[TillTicket]:
    return list(selected.tickets.select_related("closing").order_by("-number")[:limit])


@dataclass(frozen=True)
class MethodTotal:
    method: str
    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class DayTakings:
    day: dt.date
    methods: list[MethodTotal]
    count: int
    total: Decimal


def day_takings(selected: Till, day: dt.date) -> DayTakings:
    """The day's running takings per payment method, closed or not (one query)."""
    start, end = till.day_bounds(day)
    rows = {row["method"]: row for row in TillTicket.objects.filter(
        till=selected, sold_at__gte=start, sold_at__lt=end,
    ).order_by().values("method").annotate(n=Count("pk"), total=Sum("total_incl_vat"))}
    methods = [MethodTotal(method=m, label=str(PaymentMethod(m).label), count=rows[m]["n"],
                           total=quantize(rows[m]["total"]))
               for m in till.METHOD_ORDER if m in rows]
    return DayTakings(day=day, methods=methods, count=sum(m.count for m in methods),
                      total=sum((m.total for m in methods), till.ZERO))


def closing_for_day(selected: Till, day: dt.date) -> TillClosing | None:
    return selected.closings.filter(day=day).first()


def day_to_close(selected: Till, *, today: dt.date) -> dt.date:
    """The day the close button offers: the oldest day with tickets not closed yet, else
    today."""
    oldest = (selected.tickets.filter(closing__isnull=True).order_by("sold_at")
              .values_list("sold_at", flat=True).first())
    if oldest is None:
        return today
    return min(timezone.localdate(oldest), today)


def closings_of(selected: Till) -> QuerySet[TillClosing]:
    return (selected.closings.select_related("entry__journal", "closed_by__person")
            .order_by("-number"))


def ticket_of(selected: Till, number: int) -> QuerySet[TillTicket]:
    return selected.tickets.filter(number=number).select_related("sold_by", "closing")


@dataclass(frozen=True)
class Summary:
    """A Z's (or a preview's) totals, ready for a page."""

    methods: list[MethodTotal]
    rates: list[till.RateTotal]
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    ticket_count: int


def summary_of(totals: dict[str, Any]) -> Summary:
    methods = [MethodTotal(method=m, label=str(PaymentMethod(m).label),
                           count=int(v["count"]), total=Decimal(v["total"]))
               for m, v in totals.get("methods", {}).items() if m in PaymentMethod.values]
    rates = [till.RateTotal(rate=r, excl_vat=Decimal(v["excl_vat"]), vat=Decimal(v["vat"]),
                            incl_vat=Decimal(v["incl_vat"]))
             for r, v in totals.get("rates", {}).items()]
    return Summary(methods=methods, rates=rates, excl_vat=Decimal(totals.get("excl_vat", "0")),
                   vat=Decimal(totals.get("vat", "0")),
                   incl_vat=Decimal(totals.get("incl_vat", "0")),
                   ticket_count=len(totals.get("tickets", [])))


def closing_preview(selected: Till, day: dt.date) -> Summary:
    """What the Z of `day` would say if it were closed now."""
    return summary_of(till.day_totals(till.tickets_of_day(selected, day)))
