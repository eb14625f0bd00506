"""Which treasury accounts, structures and KPAs a user may read, as querysets scoped with the
same rules as `permissions.can_view_account` and the overview gates (one `Q` per rule):

- the coopérant of an individual account, the current members of a collective activity, the
  members of a KPA for its common pot;
- the staff (référent, animateur, accompagnateur) of the account's KPA;
- the gestionnaire and comptable of the structure whose books hold it; an administrator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import ActivityMembership, Kpa, Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.models import TreasuryAccount

Kind = TreasuryAccount.Kind


def _kpa_in(kpa_ids: frozenset[int]) -> Q:
    """The account's KPA (its own, else its activity's) is one of these: `account_kpa_id`."""
    return Q(kpa_id__in=kpa_ids) | Q(kpa__isnull=True, activity__kpa_id__in=kpa_ids)


def _member_activity_ids(person_id: int, today: dt.date
                         ) -> QuerySet[ActivityMembership, Any]:
    return (ActivityMembership.objects.current(today).filter(person_id=person_id)
            .values("activity_id"))


def _membership(person_id: int, member_kpas: frozenset[int], today: dt.date) -> Q:
    return (Q(kind=Kind.INDIVIDUAL, person_id=person_id)
            | Q(kind=Kind.COLLECTIVE, activity_id__in=_member_activity_ids(person_id, today))
            | Q(kind=Kind.COMMON, kpa_id__in=member_kpas))


def accounts_for(user: AnyUser, today: dt.date) -> QuerySet[TreasuryAccount]:
    """Every treasury account the user may see, with what the pages show of it."""
    accounts = TreasuryAccount.objects.select_related("structure", "person", "activity", "kpa")
    reach = reach_of(user, today)
    if reach.is_admin:
        return accounts
    scope = Q(structure_id__in=reach.structures) | _kpa_in(reach.staff_kpas)
    if reach.person_id is not None:
        scope |= _membership(reach.person_id, reach.member_kpas, today)
    if not (reach.structures or reach.staff_kpas or reach.person_id is not None):
        return accounts.none()
    return accounts.filter(scope)


def my_accounts(user: AnyUser, today: dt.date) -> QuerySet[TreasuryAccount]:
    """"Ma trésorerie": the user's individual accounts and the collective ones they belong
    to, individual first."""
    reach = reach_of(user, today)
    if reach.person_id is None:
        return TreasuryAccount.objects.none()
    return (TreasuryAccount.objects.filter(
        Q(kind=Kind.INDIVIDUAL, person_id=reach.person_id)
        | Q(kind=Kind.COLLECTIVE,
            activity_id__in=_member_activity_ids(reach.person_id, today)))
        .select_related("structure", "person", "activity", "kpa")
        .order_by("-kind", "code"))  # "individual" sorts after "collective": reversed


def has_own_treasury(user: AnyUser, today: dt.date) -> bool:
    """One EXISTS query: the user's person has an individual or a collective account."""
    return my_accounts(user, today).exists()


def overview_structures(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose overview of all accounts the user may read."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.filter(books__isnull=False)
    return Structure.objects.filter(pk__in=reach.structures, books__isnull=False)


def overview_kpas(user: AnyUser, today: dt.date) -> QuerySet[Kpa]:
    """The KPAs whose overview the user may read as their staff (or as the carrying
    structure's gestionnaire or comptable)."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Kpa.objects.select_related("carrying_structure")
    return Kpa.objects.filter(Q(pk__in=reach.staff_kpas)
                              | Q(carrying_structure_id__in=reach.structures)
                              ).select_related("carrying_structure")


def sees_overview(user: AnyUser, today: dt.date) -> bool:
    """Whether some overview is open to the user; no query (the reach is cached)."""
    reach = reach_of(user, today)
    return reach.is_admin or bool(reach.structures or reach.staff_kpas)


def kpa_accounts(kpa: Kpa) -> QuerySet[TreasuryAccount]:
    """The accounts of one KPA (its pot, its activities', its coopérants' when they carry
    the KPA), in its carrying structure's books."""
    return (TreasuryAccount.objects.filter(structure_id=kpa.carrying_structure_id)
            .filter(_kpa_in(frozenset({kpa.pk})))
            .select_related("person", "activity", "kpa"))


def structure_accounts(structure: Structure) -> QuerySet[TreasuryAccount]:
    return (TreasuryAccount.objects.filter(structure=structure)
            .select_related("person", "activity", "kpa"))
