"""The only gates of selling. Who may do what:

- a current member of an activity drafts its quotes and invoices, keeps its catalogue and uses
  its till; they issue an invoice themself only with a self-validation right, up to its ceiling
  (and only with an active, insured CAPE: that rule lives in `eligibility`, with its reason);
- the carrying structure's gestionnaire does all of that for every activity of the structure,
  validates (issues) submitted invoices, issues credit notes and sets the selling settings;
- the structure's comptable reads everything and records payments;
- the KPA's staff (référent, animateur, accompagnateur) read the activities of their KPA, to
  accompany them; they change nothing;
- customers are shared by the structure's activities: their sellers and the structure's staff
  see them.
"""

from __future__ import annotations

import datetime as dt

from kpa.core.auth import AnyUser
from kpa.directory.models import Activity, ActivityMembership, Structure
from kpa.directory.permissions import reach_of

_CACHE_ATTR = "_kpa_sales_activities"


def member_activity_ids(user: AnyUser, today: dt.date) -> frozenset[int]:
    """The activities the user is a current member of; computed once per user and day."""
    reach = reach_of(user, today)
    if reach.person_id is None:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None and cached[0] == today:
        return cached[1]  # type: ignore[no-any-return]
    ids = frozenset(ActivityMembership.objects.current(today).filter(
        person_id=reach.person_id).values_list("activity_id", flat=True))
    setattr(user, _CACHE_ATTR, (today, ids))
    return ids


def seller_structure_ids(user: AnyUser, today: dt.date) -> frozenset[int]:
    ids = member_activity_ids(user, today)
    if not ids:
        return frozenset()
    return frozenset(Activity.objects.filter(pk__in=ids).values_list("structure_id", flat=True))


def manages_structure(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.managed_structures


def keeps_structure_books(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    """Gestionnaire or comptable of the structure (or administrator)."""
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.structures


def can_sell_for(user: AnyUser, activity: Activity, *, today: dt.date) -> bool:
    """Drafts the activity's quotes and invoices, keeps its catalogue, uses its till."""
    return (activity.pk in member_activity_ids(user, today)
            or manages_structure(user, activity.structure_id, today=today))


def can_view_activity_sales(user: AnyUser, activity: Activity, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (can_sell_for(user, activity, today=today)
            or activity.structure_id in reach.structures or activity.kpa_id in reach.staff_kpas)


def can_validate_invoices(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_record_payment(user: AnyUser, activity: Activity, *, today: dt.date) -> bool:
    return (can_sell_for(user, activity, today=today)
            or keeps_structure_books(user, activity.structure_id, today=today))


def can_issue_credit_note(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_configure_sales(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_view_customers(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return (structure.pk in seller_structure_ids(user, today)
            or keeps_structure_books(user, structure.pk, today=today))


def can_manage_customers(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return (structure.pk in seller_structure_ids(user, today)
            or manages_structure(user, structure.pk, today=today))
