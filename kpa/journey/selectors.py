"""Reads of the journey, scoped as `permissions` says: the person, the KPA's staff, the carrying
structure's gestionnaire and the administrator. Lists prefetch what `progress.progress_of` reads,
so a board of any size costs a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Structure
from kpa.directory.permissions import reach_of
from kpa.journey.models import (
    Contract,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyStatus,
)


def _journey_filter(user: AnyUser, today: dt.date) -> Q | None:
    """None: everything (administrator)."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return None
    return (Q(person_id=reach.person_id) | Q(kpa_id__in=reach.staff_kpas)
            | Q(structure_id__in=reach.managed_structures))


def journeys_for(user: AnyUser, *, today: dt.date) -> QuerySet[Journey]:
    if not user.is_authenticated:
        return Journey.objects.none()
    scope = _journey_filter(user, today)
    journeys = Journey.objects.all() if scope is None else Journey.objects.filter(scope)
    return journeys.select_related("person", "kpa", "structure", "assisted_by").prefetch_related(
        "documents",
        Prefetch("structure__document_requirements",
                 queryset=DocumentRequirement.objects.order_by("position", "id")),
        Prefetch("contracts", queryset=Contract.objects.defer("pdf", "signed_copy")),
        Prefetch("insurance_entries",
                 queryset=InsuranceEntry.objects.select_related("insurance_list")),
    )


def followed_journeys(user: AnyUser, *, today: dt.date) -> QuerySet[Journey]:
    """The board: every journey the user follows as staff (not their own)."""
    reach = reach_of(user, today)
    journeys = journeys_for(user, today=today)
    if not reach.is_admin:
        journeys = journeys.filter(Q(kpa_id__in=reach.staff_kpas)
                                   | Q(structure_id__in=reach.managed_structures))
    return journeys.order_by("kpa__name", "status", "status_since", "pk")


def own_journeys(user: AnyUser, *, today: dt.date) -> QuerySet[Journey]:
    reach = reach_of(user, today)
    if reach.person_id is None:
        return Journey.objects.none()
    return journeys_for(user, today=today).filter(person_id=reach.person_id).order_by(
        "-created_at")


def journey_for(user: AnyUser, pk: object, *, today: dt.date) -> Journey:
    from kpa.core.tenancy import get_in_scope

    return get_in_scope(journeys_for(user, today=today), pk=pk)


def contracts_for(user: AnyUser, *, today: dt.date) -> QuerySet[Contract]:
    journeys = journeys_for(user, today=today)
    return Contract.objects.filter(journey__in=journeys.values("pk")).select_related(
        "journey__person", "journey__kpa", "journey__structure", "signed_by")


def contracts_ending_soon(user: AnyUser, *, today: dt.date, within_days: int = 90
                          ) -> QuerySet[Contract]:
    """Signed periods of active people that end within `within_days`, soonest first, with the
    decision still open or taken."""
    return (contracts_for(user, today=today)
            .filter(status=Contract.Status.SIGNED, journey__status=JourneyStatus.ACTIVE,
                    ends_on__gt=today, ends_on__lte=today + dt.timedelta(days=within_days))
            .defer("pdf", "signed_copy").order_by("ends_on", "pk"))


def kpas_followed(user: AnyUser, *, today: dt.date) -> QuerySet[Kpa]:
    reach = reach_of(user, today)
    kpas = Kpa.objects.filter(carrying_structure__isnull=False).select_related(
        "carrying_structure")
    if reach.is_admin:
        return kpas
    return kpas.filter(Q(pk__in=reach.staff_kpas)
                       | Q(carrying_structure_id__in=reach.managed_structures))


def kpas_advanced(user: AnyUser, *, today: dt.date) -> QuerySet[Kpa]:
    """KPAs where the user registers people and prepares insurance lists."""
    reach = reach_of(user, today)
    kpas = kpas_followed(user, today=today)
    if reach.is_admin:
        return kpas
    return kpas.filter(Q(pk__in=reach.inviter_kpas)
                       | Q(carrying_structure_id__in=reach.managed_structures))


def insurance_lists_for(user: AnyUser, *, today: dt.date) -> QuerySet[InsuranceList]:
    return InsuranceList.objects.filter(kpa__in=kpas_followed(user, today=today).values("pk")
                                        ).select_related("kpa")


def structures_configured_by(user: AnyUser, *, today: dt.date) -> QuerySet[Structure]:
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.all()
    return Structure.objects.filter(pk__in=reach.managed_structures)


def open_kpas() -> QuerySet[Kpa]:
    """KPAs taking inscriptions through the public form: active, with a carrying structure."""
    return Kpa.objects.filter(status__in=[Kpa.Status.ACTIVE, Kpa.Status.STARTING],
                              carrying_structure__isnull=False
                              ).select_related("carrying_structure")
