"""The directory's REST API: thin like the views — scope through selectors, write through services.

Every read starts from `kpa.directory.selectors`, so what a token's user may not see does not
exist for them (404). Errors are turned into JSON by the handlers in `config/api.py`.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory import selectors, services
from kpa.directory.invitations import send_invitation
from kpa.directory.models import Kpa, Person, Structure
from kpa.directory.schemas import (
    VISIBLE_ROLES_ATTR,
    ErrorOut,
    InviteIn,
    KpaOut,
    PersonDetailOut,
    PersonOut,
    StructureOut,
)

router = Router(tags=["annuaire"])

NOT_FOUND = {404: ErrorOut}


def _user(request: HttpRequest) -> User:
    """The token's user, set by `kpa.core.api_auth.ApiTokenAuth`."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


@router.get("/kpas", response=list[KpaOut], summary="Les KPA que vous voyez")
@paginate(LimitOffsetPagination)
def list_kpas(request: HttpRequest) -> QuerySet[Kpa]:
    return selectors.kpas_visible_to(_user(request), today=dates.local_today())


@router.get("/kpas/{int:kpa_id}", response={200: KpaOut, **NOT_FOUND}, summary="Un KPA")
def get_kpa(request: HttpRequest, kpa_id: int) -> Kpa:
    kpas = selectors.kpas_visible_to(_user(request), today=dates.local_today())
    return get_in_scope(kpas, pk=kpa_id)


@router.get("/structures", response=list[StructureOut], summary="Les structures que vous voyez")
@paginate(LimitOffsetPagination)
def list_structures(request: HttpRequest) -> QuerySet[Structure]:
    return selectors.structures_visible_to(_user(request), today=dates.local_today())


@router.get(
    "/structures/{int:structure_id}", response={200: StructureOut, **NOT_FOUND},
    summary="Une structure",
)
def get_structure(request: HttpRequest, structure_id: int) -> Structure:
    structures = selectors.structures_visible_to(_user(request), today=dates.local_today())
    return get_in_scope(structures, pk=structure_id)


@router.get("/persons", response=list[PersonOut], summary="Les personnes que vous voyez")
@paginate(LimitOffsetPagination)
def list_persons(request: HttpRequest) -> QuerySet[Person]:
    return selectors.persons_visible_to(_user(request), today=dates.local_today())


def _with_visible_roles(user: User, person: Person, today: dt.date) -> Person:
    roles = selectors.roles_visible_to(user, today=today).filter(person=person)
    setattr(person, VISIBLE_ROLES_ATTR, list(roles))
    return person


@router.get(
    "/persons/{int:person_id}", response={200: PersonDetailOut, **NOT_FOUND},
    summary="Une personne, avec les rôles que vous voyez",
)
def get_person(request: HttpRequest, person_id: int) -> Person:
    user, today = _user(request), dates.local_today()
    person = get_in_scope(selectors.persons_visible_to(user, today=today), pk=person_id)
    return _with_visible_roles(user, person, today)


@router.post(
    "/kpas/{int:kpa_id}/persons",
    response={201: PersonDetailOut, 403: ErrorOut, **NOT_FOUND},
    summary="Inviter une personne dans un KPA",
    description=(
        "Ajoute une personne au KPA avec un premier rôle. Avec un e-mail, un compte sans mot "
        "de passe lui est créé ; sans e-mail, vous êtes noté·e comme agissant pour elle. "
        "404 si le KPA n'est pas visible, 403 s'il l'est mais que vous ne pouvez pas inviter, "
        "422 si une règle est enfreinte (messages par champ)."
    ),
)
def invite_person(request: HttpRequest, kpa_id: int, payload: InviteIn) -> Status[Person]:
    user, today = _user(request), dates.local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(user, today=today), pk=kpa_id)
    person = services.invite_person(
        actor=user,
        kpa=kpa,
        first_name=payload.first_name,
        last_name=payload.last_name,
        email=payload.email or "",
        phone=payload.phone or "",
        kind=payload.kind,
        starts_on=payload.starts_on,
        today=today,
    )
    # With an e-mail, the person gets an account and a link to choose a password.
    transaction.on_commit(lambda: send_invitation(request, person, kpa))
    return Status(201, _with_visible_roles(user, person, today))
