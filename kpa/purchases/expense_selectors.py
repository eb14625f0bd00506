"""Reads of expense claims, scoped to the user: a claim is seen by its coopérant and by the
gestionnaires and comptables of its structure (every claim for an administrator); nobody
else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from kpa.core.auth import AnyUser
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity, ActivityMembership, Structure
from kpa.directory.permissions import reach_of
from kpa.purchases.models import ExpenseClaim, ExpenseLine

RECEIPT_FIELDS = ("receipt",)


def claims_for(user: AnyUser, today: dt.date) -> QuerySet[ExpenseClaim]:
    if not user.is_authenticated:
        return ExpenseClaim.objects.none()
    reach = reach_of(user, today)
    claims = ExpenseClaim.objects.select_related("person", "activity", "structure")
    if reach.is_admin:
        return claims
    seen = Q(structure_id__in=reach.structures)
    if reach.person_id is not None:
        seen |= Q(person_id=reach.person_id)
    return claims.filter(seen)


def with_totals(claims: QuerySet[ExpenseClaim]) -> QuerySet[ExpenseClaim]:
    """Each claim with `total` (incl. VAT) and `line_count`, in the same query."""
    zero = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))
    return claims.annotate(total=Coalesce(Sum("lines__amount_incl_vat"), zero),
                           line_count=Count("lines"))


def claim_in_reach(user: AnyUser, pk: int, today: dt.date) -> ExpenseClaim:
    """The claim, or 404 when the user does not see it."""
    return get_in_scope(claims_for(user, today).select_related("person__user", "decided_by"),
                        pk=pk)


def lines_of(claim: ExpenseClaim) -> QuerySet[ExpenseLine]:
    """The claim's lines without their receipts' bytes."""
    return claim.lines.defer(*RECEIPT_FIELDS).order_by("spent_on", "pk")


def line_in_reach(user: AnyUser, pk: int, today: dt.date, *,
                  with_receipt: bool = False) -> ExpenseLine:
    """The line of a claim the user sees, or 404."""
    lines = ExpenseLine.objects.filter(
        claim__in=claims_for(user, today).values("pk")).select_related(
        "claim__structure", "claim__person", "claim__activity")
    if not with_receipt:
        lines = lines.defer(*RECEIPT_FIELDS)
    return get_in_scope(lines, pk=pk)


def my_claims(user: AnyUser, today: dt.date) -> QuerySet[ExpenseClaim]:
    """The user's own claims, newest month first, with their totals."""
    person_id = reach_of(user, today).person_id
    if person_id is None:
        return ExpenseClaim.objects.none()
    return with_totals(ExpenseClaim.objects.filter(person_id=person_id).select_related(
        "activity", "structure")).order_by("-month", "-pk")


def claimable_activities(user: AnyUser, today: dt.date) -> QuerySet[Activity]:
    """The activities the user is a current member of (they claim expenses for these)."""
    person_id = reach_of(user, today).person_id
    if person_id is None:
        return Activity.objects.none()
    current = ActivityMembership.objects.current(today).filter(person_id=person_id)
    return (Activity.objects.filter(pk__in=current.values("activity_id"))
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
            .select_related("structure").order_by("name", "pk"))


def queue_for(user: AnyUser, today: dt.date) -> QuerySet[ExpenseClaim]:
    """Claims waiting for the structure: submitted (to decide) and validated (to reimburse),
    of the structures the user keeps the books of, oldest first."""
    reach = reach_of(user, today)
    waiting = [ExpenseClaim.Status.SUBMITTED, ExpenseClaim.Status.VALIDATED]
    claims = ExpenseClaim.objects.filter(status__in=waiting)
    if not reach.is_admin:
        claims = claims.filter(structure_id__in=reach.structures)
    return with_totals(claims.select_related("person", "activity", "structure")).order_by(
        "status", "submitted_at", "pk")


def may_see_queue(user: AnyUser, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or bool(reach.structures)


def configurable_structures(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose expense deadlines the user sets (gestionnaire, administrator)."""
    reach = reach_of(user, today)
    structures = Structure.objects.order_by("name", "pk")
    if reach.is_admin:
        return structures
    return structures.filter(pk__in=reach.managed_structures)
