"""Reads of suppliers and supplier invoices, scoped to what the user may reach
(`kpa.purchases.permissions`):

- the structure's gestionnaire and comptable (and an administrator) see its suppliers and all
  its supplier invoices;
- a current member of an activity sees the supplier invoices of that activity.

Suppliers are the structure's business relations: only those who keep its books see the list.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import Activity, ActivityMembership, Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.models import TreasuryAccount
from kpa.purchases import facturx_reader
from kpa.purchases.models import Supplier, SupplierInvoice

HEAVY_FIELDS = ("pdf", "facturx_xml")


def member_activity_ids(user: AnyUser, today: dt.date) -> set[int]:
    person_id = reach_of(user, today).person_id
    if person_id is None:
        return set()
    return set(ActivityMembership.objects.current(today).filter(person_id=person_id)
               .values_list("activity_id", flat=True))


def book_structures_for(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose suppliers the user sees (gestionnaire, comptable, admin)."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.all().order_by("name", "id")
    return Structure.objects.filter(pk__in=reach.structures).order_by("name", "id")


def suppliers_for(user: AnyUser, today: dt.date) -> QuerySet[Supplier]:
    if not user.is_authenticated:
        return Supplier.objects.none()
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else Q(structure_id__in=reach.structures)
    return Supplier.objects.filter(scope).select_related("structure")


def supplier_invoices_for(user: AnyUser, today: dt.date) -> QuerySet[SupplierInvoice]:
    """Without the PDF and the XML (read them with `pdf_of` / `read_back`)."""
    if not user.is_authenticated:
        return SupplierInvoice.objects.none()
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else (
        Q(structure_id__in=reach.structures)
        | Q(activity_id__in=member_activity_ids(user, today)))
    return (SupplierInvoice.objects.filter(scope)
            .select_related("supplier", "activity", "structure", "treasury_account")
            .defer(*HEAVY_FIELDS))


def upload_activities_for(user: AnyUser, today: dt.date) -> QuerySet[Activity]:
    """The open activities the user may upload a supplier invoice for: their own, and every
    activity of a structure whose books they keep."""
    if not user.is_authenticated:
        return Activity.objects.none()
    reach = reach_of(user, today)
    scope = Q() if reach.is_admin else (Q(pk__in=member_activity_ids(user, today))
                                        | Q(structure_id__in=reach.structures))
    return (Activity.objects.filter(scope).open_on(today)
            .select_related("structure", "kpa").order_by("name", "id"))


def common_pots_of(structure: Structure) -> QuerySet[TreasuryAccount]:
    """The KPAs' common pots in the structure's books: what a purchase may be paid from when
    it is for no activity."""
    return TreasuryAccount.objects.filter(
        structure=structure, kind=TreasuryAccount.Kind.COMMON).order_by("label", "id")


def pdf_of(invoice: SupplierInvoice) -> bytes:
    """The uploaded PDF of an invoice already reached through `supplier_invoices_for`."""
    content = (SupplierInvoice.objects.filter(pk=invoice.pk)
               .values_list("pdf", flat=True).first())
    return bytes(content) if content else b""


def read_back(invoice: SupplierInvoice) -> facturx_reader.ReadInvoice | None:
    """What the invoice's Factur-X XML says (checked at upload), or None."""
    xml = (SupplierInvoice.objects.filter(pk=invoice.pk)
           .values_list("facturx_xml", flat=True).first())
    if not xml:
        return None
    return facturx_reader.parse_cii(xml, check_xsd=False)
