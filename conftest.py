"""The persona cast every test shares: one person per role, plus an outsider from another KPA.

`home` is the KPA most personas belong to; `elsewhere` is another KPA carried by another
structure, where the outsider is référent. Names carry a marker so leak tests can grep for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from kpa.directory.models import Kpa, Network, Person, Place, RoleKind, Structure
from kpa.directory.tests.factories import (
    KpaFactory,
    NetworkFactory,
    PersonFactory,
    PlaceFactory,
    StructureFactory,
    give_role,
    person_with_login,
)

TODAY = dt.date(2026, 11, 28)
SECRET_MARKER = "Zorglub"  # appears only in the home KPA's data


@dataclass
class Cast:
    network: Network
    cae: Structure
    other_structure: Structure
    home: Kpa
    elsewhere: Kpa
    home_place: Place
    cooperant: Person
    referent: Person
    animateur: Person
    accompagnateur: Person
    benevole: Person
    gestionnaire: Person
    comptable: Person
    coordinateur: Person
    admin: Person
    outsider: Person
    quiet_cooperant: Person  # no e-mail, no login

    def user(self, persona: str) -> User:
        person: Person = getattr(self, persona)
        assert person.user is not None
        return person.user


PERSONA_NAMES = ["cooperant", "referent", "animateur", "accompagnateur", "benevole",
                 "gestionnaire", "comptable", "coordinateur", "admin"]


def build_cast() -> Cast:
    network = NetworkFactory.create()
    cae = StructureFactory.create(network=network, name=f"CAE {SECRET_MARKER}")
    other = StructureFactory.create(network=network, name="Association Ailleurs",
                             kind=Structure.Kind.ASSOCIATION)
    home = KpaFactory.create(network=network, name=f"KPA {SECRET_MARKER}", carrying_structure=cae)
    elsewhere = KpaFactory.create(network=network, name="KPA Ailleurs", carrying_structure=other)
    place = PlaceFactory.create(kpa=home, name=f"Atelier {SECRET_MARKER}")
    start = dt.date(2026, 1, 5)

    def persona(username: str, kind: str, scope: Kpa | Structure | Network) -> Person:
        person = person_with_login(username, first_name=username.capitalize(),
                                   last_name=f"{SECRET_MARKER}{username}")
        give_role(person, kind, scope, starts_on=start)
        return person

    admin = person_with_login("admin", first_name="Admin", last_name="Plateforme")
    assert admin.user is not None
    admin.user.is_superuser = admin.user.is_staff = True
    admin.user.save()
    outsider = person_with_login("outsider", first_name="Olga", last_name="Dehors")
    give_role(outsider, RoleKind.REFERENT, elsewhere, starts_on=start)
    quiet = PersonFactory.create(first_name="Quentin", last_name=f"{SECRET_MARKER}Silencieux")
    give_role(quiet, RoleKind.COOPERANT, home, starts_on=start)
    return Cast(
        network=network, cae=cae, other_structure=other, home=home, elsewhere=elsewhere,
        home_place=place,
        cooperant=persona("cooperant", RoleKind.COOPERANT, home),
        referent=persona("referent", RoleKind.REFERENT, home),
        animateur=persona("animateur", RoleKind.ANIMATEUR, home),
        accompagnateur=persona("accompagnateur", RoleKind.ACCOMPAGNATEUR, home),
        benevole=persona("benevole", RoleKind.BENEVOLE, home),
        gestionnaire=persona("gestionnaire", RoleKind.GESTIONNAIRE, cae),
        comptable=persona("comptable", RoleKind.COMPTABLE, cae),
        coordinateur=persona("coordinateur", RoleKind.COORDINATEUR, network),
        admin=admin, outsider=outsider, quiet_cooperant=quiet,
    )


@pytest.fixture
def cast(db: None) -> Cast:
    return build_cast()


@pytest.fixture
def today() -> dt.date:
    return TODAY


@pytest.fixture(scope="session", autouse=True)
def calendar_on_today() -> Iterator[None]:
    """The tests are written for TODAY: the cast's roles, the fixtures and the `today` they
    pass to services all say so, while the ORM stamps rows with the wall clock
    (`auto_now_add`) and rules compare the two ("an exit cannot precede the inscription").
    Run on another day (CI after midnight), such tests would turn on the calendar. So the
    whole run lives on TODAY from noon, Paris time, the clock ticking from there: every reader
    of the time (Django, axes, the live server's threads) agrees (time-machine, a dev pin)."""
    import time_machine

    noon = dt.datetime.combine(TODAY, dt.time(12, 0), tzinfo=ZoneInfo("Europe/Paris"))
    with time_machine.travel(noon, tick=True):
        yield


@pytest.fixture(autouse=True)
def french_by_default() -> None:
    """A request in English leaves English active in the test thread; reset it, so that each
    test starts in the platform's language whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
