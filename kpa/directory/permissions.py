"""The only gates of the directory. `reach_of` answers "where does this user hold a role today?"

Every selector and every `can_*` starts from it, so the rules stay in one place:
- a superuser (platform administrator) reaches everything;
- a network coordinateur reaches the network, its structures, KPAs and people;
- a structure's gestionnaire or comptable reaches that structure and the KPAs it carries; only
  the gestionnaire changes them (the comptable keeps the books, not the directory);
- a KPA's référent, animateur or accompagnateur reaches that KPA and its people;
- a coopérant or bénévole reaches their KPA and themself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kpa.core.auth import AnyUser
from kpa.directory.models import (
    KPA_STAFF_KINDS,
    Kpa,
    Network,
    Person,
    Role,
    RoleKind,
    Structure,
)


@dataclass(frozen=True)
class Reach:
    """Ids of what a user holds a current role in; computed once per user and day."""

    is_admin: bool = False
    person_id: int | None = None
    networks: frozenset[int] = field(default_factory=frozenset)
    structures: frozenset[int] = field(default_factory=frozenset)
    managed_structures: frozenset[int] = field(default_factory=frozenset)
    member_kpas: frozenset[int] = field(default_factory=frozenset)
    staff_kpas: frozenset[int] = field(default_factory=frozenset)
    inviter_kpas: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_coordinator(self) -> bool:
        return bool(self.networks)


_CACHE_ATTR = "_kpa_reach"


def reach_of(user: AnyUser, today: dt.date) -> Reach:
    if not user.is_authenticated or not user.is_active:
        return Reach()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None and cached[0] == today:
        return cached[1]  # type: ignore[no-any-return]
    person = Person.objects.filter(user=user).only("id").first()
    roles = (
        list(Role.objects.current(today).filter(person=person).values_list(
            "kind", "kpa_id", "structure_id", "network_id"))
        if person else []
    )
    reach = Reach(
        is_admin=bool(getattr(user, "is_superuser", False)),
        person_id=person.pk if person else None,
        networks=frozenset(n for k, _, _, n in roles if k == RoleKind.COORDINATEUR),
        structures=frozenset(s for _, _, s, _ in roles if s is not None),
        managed_structures=frozenset(s for k, _, s, _ in roles if k == RoleKind.GESTIONNAIRE),
        member_kpas=frozenset(kp for _, kp, _, _ in roles if kp is not None),
        staff_kpas=frozenset(kp for k, kp, _, _ in roles if k in KPA_STAFF_KINDS),
        inviter_kpas=frozenset(
            kp for k, kp, _, _ in roles if k in (RoleKind.REFERENT, RoleKind.ANIMATEUR)
        ),
    )
    setattr(user, _CACHE_ATTR, (today, reach))
    return reach


def forget_reach(user: AnyUser) -> None:
    """Call after changing a user's own roles within one request."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def can_manage_network(user: AnyUser, network: Network, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or network.pk in reach.networks


def can_create_structure(user: AnyUser, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or reach.is_coordinator


def can_edit_structure(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (
        reach.is_admin
        or structure.network_id in reach.networks
        or structure.pk in reach.managed_structures
    )


def can_create_kpa(user: AnyUser, *, today: dt.date) -> bool:
    return can_create_structure(user, today=today)


def can_edit_kpa(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (
        reach.is_admin
        or kpa.network_id in reach.networks
        or kpa.carrying_structure_id in reach.managed_structures
    )


def can_manage_places(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return can_edit_kpa(user, kpa, today=today) or kpa.pk in reach_of(user, today).inviter_kpas


def can_invite_person(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return can_manage_places(user, kpa, today=today)


def can_manage_activities(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    """Create and end a KPA's activities, add and end their members: whoever may invite."""
    return can_invite_person(user, kpa, today=today)


# What a référent or animateur may give on their own; other roles need the structure or network.
KINDS_GRANTED_LOCALLY = frozenset({RoleKind.COOPERANT, RoleKind.BENEVOLE})


def can_grant_role(
    user: AnyUser, kind: str, scope: Kpa | Structure | Network, *, today: dt.date
) -> bool:
    if isinstance(scope, Kpa):
        if can_edit_kpa(user, scope, today=today):
            return True
        return kind in KINDS_GRANTED_LOCALLY and scope.pk in reach_of(user, today).inviter_kpas
    if isinstance(scope, Structure):
        return can_edit_structure(user, scope, today=today)
    return can_manage_network(user, scope, today=today)


def can_grant_some_role(user: AnyUser, *, today: dt.date) -> bool:
    """Whether the user may give at least one kind of role somewhere (shows "Donner un rôle")."""
    reach = reach_of(user, today)
    return bool(reach.is_admin or reach.networks or reach.managed_structures
                or reach.inviter_kpas)


def can_edit_person(user: AnyUser, person: Person, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    if reach.is_admin or reach.person_id == person.pk:
        return True
    return any(
        can_grant_role(user, role.kind, role.scope, today=today)
        for role in person.roles.current(today).select_related("kpa", "structure", "network")
    )
