"""Reads of the directory, always scoped to what the user may see (see permissions.Reach)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Prefetch, Q, QuerySet

from kpa.core.auth import AnyUser
from kpa.directory.models import (
    Activity,
    ActivityMembership,
    Kpa,
    Network,
    Person,
    Place,
    Role,
    RoleKind,
    Structure,
)
from kpa.directory.permissions import reach_of


def networks_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Network]:
    reach = reach_of(user, today)
    if reach.is_admin:
        return Network.objects.all()
    kpas = Kpa.objects.filter(_kpa_filter(user, today))
    return Network.objects.filter(Q(pk__in=reach.networks) | Q(kpas__in=kpas)).distinct()


def _kpa_filter(user: AnyUser, today: dt.date) -> Q:
    reach = reach_of(user, today)
    if reach.is_admin:
        return Q()
    return (
        Q(network_id__in=reach.networks)
        | Q(carrying_structure_id__in=reach.structures)
        | Q(local_structure_id__in=reach.structures)
        | Q(pk__in=reach.member_kpas)
    )


def kpas_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Kpa]:
    if not user.is_authenticated:
        return Kpa.objects.none()
    return Kpa.objects.filter(_kpa_filter(user, today)).select_related(
        "carrying_structure", "local_structure", "network"
    )


def structures_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Structure]:
    reach = reach_of(user, today)
    if not user.is_authenticated:
        return Structure.objects.none()
    if reach.is_admin:
        return Structure.objects.select_related("network")
    return (
        Structure.objects.filter(
            Q(network_id__in=reach.networks)
            | Q(pk__in=reach.structures)
            | Q(carried_kpas__in=reach.member_kpas)
        )
        .distinct()
        .select_related("network")
    )


def _person_filter(user: AnyUser, today: dt.date) -> Q:
    """People whose any role (past or present) lies in a scope the user looks after."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Q()
    looked_after_kpas = Kpa.objects.filter(
        Q(network_id__in=reach.networks)
        | Q(carrying_structure_id__in=reach.structures)
        | Q(pk__in=reach.staff_kpas)
    )
    return (
        Q(pk=reach.person_id)
        | Q(roles__kpa__in=looked_after_kpas)
        | Q(roles__structure_id__in=reach.structures)
        | Q(roles__structure__network_id__in=reach.networks)
        | Q(roles__network_id__in=reach.networks)
    )


def persons_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Person]:
    if not user.is_authenticated:
        return Person.objects.none()
    reach = reach_of(user, today)
    if reach.is_admin:
        return Person.objects.all()
    ids = Person.objects.filter(_person_filter(user, today)).values("pk")
    return Person.objects.filter(pk__in=ids)


def roles_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Role]:
    """Roles of visible people, restricted to scopes the user can see themself."""
    if not user.is_authenticated:
        return Role.objects.none()
    reach = reach_of(user, today)
    roles = Role.objects.select_related("person", "kpa", "structure", "network")
    if reach.is_admin:
        return roles
    return roles.filter(
        person__in=persons_visible_to(user, today=today),
    ).filter(
        Q(kpa__in=kpas_visible_to(user, today=today))
        | Q(structure__in=structures_visible_to(user, today=today))
        | Q(network_id__in=reach.networks)
        | Q(person_id=reach.person_id)
    )


def places_visible_to(user: AnyUser, *, today: dt.date) -> QuerySet[Place]:
    return Place.objects.filter(kpa__in=kpas_visible_to(user, today=today)).select_related("kpa")


def kpa_people(kpa: Kpa, *, today: dt.date) -> QuerySet[Person]:
    """People holding a current role in `kpa`, with those roles — for its staff's pages."""
    current = Role.objects.current(today).filter(kpa=kpa)
    return (
        Person.objects.filter(roles__in=current)
        .distinct()
        .select_related("proxy", "user")
        .prefetch_related(Prefetch("roles", queryset=current, to_attr="kpa_roles"))
    )


def kpas_with_counts(queryset: QuerySet[Kpa], *, today: dt.date) -> QuerySet[Kpa]:
    current = Q(roles__starts_on__lte=today) & (
        Q(roles__ends_on__isnull=True) | Q(roles__ends_on__gt=today)
    )
    return queryset.annotate(
        cooperant_count=Count("roles__person", filter=current & Q(roles__kind="cooperant"),
                              distinct=True),
    )


def current_roles_of(person: Person, *, today: dt.date) -> QuerySet[Role]:
    return person.roles.current(today).select_related(
        "kpa__carrying_structure", "structure", "network"
    )


def activities_for(user: AnyUser, today: dt.date) -> QuerySet[Activity]:
    """Activities of the KPAs the user reaches, with their carrier and current members.

    Each activity carries `current_memberships` (memberships current on `today`, person
    loaded), fetched in one query for the whole list.
    """
    if not user.is_authenticated:
        return Activity.objects.none()
    current = ActivityMembership.objects.current(today).select_related("person").order_by(
        "person__last_name", "person__first_name", "person_id")
    return (
        Activity.objects.filter(kpa__in=Kpa.objects.filter(_kpa_filter(user, today)))
        .select_related("kpa", "structure")
        .prefetch_related(Prefetch("memberships", queryset=current,
                                   to_attr="current_memberships"))
    )


def activity_memberships_for(user: AnyUser, today: dt.date) -> QuerySet[ActivityMembership]:
    """Memberships of the activities the user reaches."""
    return ActivityMembership.objects.filter(
        activity__in=activities_for(user, today).values("pk")
    ).select_related("activity__kpa", "person")


def memberships_of(activity: Activity) -> QuerySet[ActivityMembership]:
    """Every membership of a visible activity, past ones included, for its page."""
    # Current members first (no end), then the latest to leave.
    return activity.memberships.select_related("person").order_by(
        F("left_on").desc(nulls_first=True), "person__last_name", "person__first_name", "id")


def kpa_cooperants(kpa: Kpa, *, today: dt.date) -> QuerySet[Person]:
    """People holding a current coopérant role in `kpa`: who may join its activities."""
    cooperant_roles = Role.objects.current(today).filter(kpa=kpa, kind=RoleKind.COOPERANT)
    return Person.objects.filter(pk__in=cooperant_roles.values("person_id"))
