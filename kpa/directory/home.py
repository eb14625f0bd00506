"""What each role finds on its home page. One function; the template shows what is there."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kpa.core.auth import AnyUser
from kpa.directory import permissions, selectors
from kpa.directory.models import Kpa, Person, Role, RoleKind


def home_panels(user: AnyUser, *, today: dt.date) -> dict[str, Any]:
    reach = permissions.reach_of(user, today)
    person = Person.objects.filter(pk=reach.person_id).first() if reach.person_id else None
    my_roles = list(selectors.current_roles_of(person, today=today)) if person else []
    visible_kpas = selectors.kpas_visible_to(user, today=today)

    member_roles = [r for r in my_roles if r.kind in (RoleKind.COOPERANT, RoleKind.BENEVOLE)]
    staff_kpas: list[dict[str, Any]] = [
        {
            "kpa": kpa,
            "people": selectors.kpa_people(kpa, today=today),
            "can_invite": permissions.can_invite_person(user, kpa, today=today),
        }
        for kpa in (visible_kpas.filter(pk__in=reach.staff_kpas) if reach.staff_kpas else [])
    ]
    structures = [
        {"structure": structure, "kpas": selectors.kpas_with_counts(
            visible_kpas.filter(carrying_structure=structure), today=today)}
        for structure in (selectors.structures_visible_to(user, today=today).filter(
            pk__in=reach.structures) if reach.structures else [])
    ]
    sees_network = reach.is_admin or reach.is_coordinator
    return {
        "person": person,
        "my_roles": my_roles,
        "member_kpas": _kpas_of(member_roles),
        "staff_kpas": staff_kpas,
        "structures": structures,
        "network_kpas": (selectors.kpas_with_counts(visible_kpas, today=today)
                         if sees_network else None),
        "networks": ([n for n in selectors.networks_visible_to(user, today=today)
                      if permissions.can_manage_network(user, n, today=today)]
                     if sees_network else []),
        "can_create_kpa": permissions.can_create_kpa(user, today=today),
        "can_create_structure": permissions.can_create_structure(user, today=today),
        "has_nothing": not (my_roles or sees_network),
    }


def _kpas_of(roles: list[Role]) -> list[Kpa]:
    seen: dict[int, Kpa] = {}
    for role in roles:
        if role.kpa is not None:
            seen.setdefault(role.kpa.pk, role.kpa)
    return list(seen.values())
