"""Reads of selling, always scoped to what the user may see (see `permissions`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import Activity, Structure
from kpa.directory.permissions import reach_of
from kpa.sales.models import CatalogItem, Customer, Invoice, Quote
from kpa.sales.permissions import member_activity_ids, seller_structure_ids


def _activity_filter(user: AnyUser, today: dt.date, prefix: str = "") -> Q:
    reach = reach_of(user, today)
    if reach.is_admin:
        return Q()
    return (Q(**{f"{prefix}pk__in": member_activity_ids(user, today)})
            | Q(**{f"{prefix}structure_id__in": reach.structures})
            | Q(**{f"{prefix}kpa_id__in": reach.staff_kpas}))


def activities_for(user: AnyUser, today: dt.date) -> QuerySet[Activity]:
    """The activities whose sales the user may read."""
    if not user.is_authenticated:
        return Activity.objects.none()
    return (Activity.objects.filter(_activity_filter(user, today))
            .select_related("kpa", "structure").order_by("name", "id"))


def selling_activities_for(user: AnyUser, today: dt.date) -> QuerySet[Activity]:
    """The open activities the user may sell for: their own, or all of a managed structure."""
    if not user.is_authenticated:
        return Activity.objects.none()
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else (Q(pk__in=member_activity_ids(user, today))
                                        | Q(structure_id__in=reach.managed_structures))
    return (Activity.objects.filter(scope).open_on(today)
            .select_related("kpa", "structure").order_by("name", "id"))


def invoices_for(user: AnyUser, today: dt.date) -> QuerySet[Invoice]:
    if not user.is_authenticated:
        return Invoice.objects.none()
    return (Invoice.objects.filter(_activity_filter(user, today, "activity__"))
            .select_related("activity", "customer", "structure")
            .defer("pdf", "seller_mentions"))


def quotes_for(user: AnyUser, today: dt.date) -> QuerySet[Quote]:
    if not user.is_authenticated:
        return Quote.objects.none()
    return (Quote.objects.filter(_activity_filter(user, today, "activity__"))
            .select_related("activity", "customer", "structure").defer("signed_copy"))


def validation_queue(user: AnyUser, today: dt.date) -> QuerySet[Invoice]:
    """Submitted invoices and drafted credit notes waiting for a managed structure."""
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else Q(structure_id__in=reach.managed_structures)
    if not reach.is_admin and not reach.managed_structures:
        return Invoice.objects.none()
    return (Invoice.objects.filter(scope).filter(
        Q(status=Invoice.Status.SUBMITTED)
        | Q(status=Invoice.Status.DRAFT, kind=Invoice.Kind.CREDIT_NOTE))
        .select_related("activity", "customer", "structure").defer("pdf", "seller_mentions")
        .order_by("submitted_at", "id"))


def customer_structures_for(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.all()
    return Structure.objects.filter(
        pk__in=seller_structure_ids(user, today) | reach.structures)


def customers_for(user: AnyUser, today: dt.date) -> QuerySet[Customer]:
    if not user.is_authenticated:
        return Customer.objects.none()
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else Q(
        structure_id__in=seller_structure_ids(user, today) | reach.structures)
    return Customer.objects.filter(scope).select_related("structure")


def catalog_for(activity: Activity, *, include_archived: bool = False) -> QuerySet[CatalogItem]:
    """The catalogue of an activity the caller already reached."""
    items = CatalogItem.objects.filter(activity=activity)
    return items if include_archived else items.filter(archived_at__isnull=True)
