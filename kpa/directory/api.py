"""The directory's REST API: thin like the views — scope through selectors, write through services.

Every read starts from `kpa.directory.selectors`, so what a token's user may not see does not
exist for them (404). Errors are turned into JSON by the handlers in `config/api.py`.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory import permissions, selectors, services
from kpa.directory.invitations import send_invitation
from kpa.directory.models import Activity, Kpa, Person, Structure
from kpa.directory.schemas import (
    VISIBLE_ROLES_ATTR,
    ActivityIn,
    ActivityOut,
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


@router.get("/activities", response=list[ActivityOut], summary="Les activités que vous voyez")
@paginate(LimitOffsetPagination)
def list_activities(request: HttpRequest) -> QuerySet[Activity]:
    return selectors.activities_for(_user(request), dates.local_today())


@router.get(
    "/activities/{int:activity_id}", response={200: ActivityOut, **NOT_FOUND},
    summary="Une activité, avec ses membres du jour",
)
def get_activity(request: HttpRequest, activity_id: int) -> Activity:
    activities = selectors.activities_for(_user(request), dates.local_today())
    return get_in_scope(activities, pk=activity_id)


@router.post(
    "/activities",
    response={201: ActivityOut, 403: ErrorOut, **NOT_FOUND},
    summary="Créer une activité dans un KPA",
    description=(
        "Crée une activité (enseigne) du KPA, portée par sa structure porteuse ; ses membres "
        "y entrent à sa date de début. 404 si le KPA n'est pas visible, 403 s'il l'est mais que "
        "vous ne pouvez pas y gérer les activités, 422 si une règle est enfreinte (messages "
        "par champ)."
    ),
)
def create_activity(request: HttpRequest, payload: ActivityIn) -> Status[Activity]:
    user, today = _user(request), dates.local_today()
    kpa = get_in_scope(selectors.kpas_visible_to(user, today=today), pk=payload.kpa_id)
    if not permissions.can_manage_activities(user, kpa, today=today):
        raise PermissionDenied  # before looking at the members: a refusal tells nothing
    wanted = set(payload.members)
    members = list(selectors.persons_visible_to(user, today=today).filter(pk__in=wanted))
    unknown = sorted(wanted - {person.pk for person in members})
    if unknown:
        raise ValidationError({"members": _(
            "Personne introuvable : %(ids)s."
        ) % {"ids": ", ".join(str(pk) for pk in unknown)}})
    activity = services.create_activity(
        actor=user, kpa=kpa, name=payload.name, kind=payload.kind,
        description=payload.description, started_on=payload.started_on, members=members,
        today=today,
    )
    return Status(201, get_in_scope(selectors.activities_for(user, today), pk=activity.pk))
