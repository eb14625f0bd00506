"""factory_boy factories for the directory; `kpa seed_demo` builds the demo network with them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.contrib.auth.models import User
from stdnum import luhn

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


def valid_siren(seed: int) -> str:
    """A SIREN whose Luhn check digit is right, derived from a small number."""
    body = f"{seed:08d}"
    return body + luhn.calc_check_digit(body)


def valid_siret(siren: str, establishment: int = 1) -> str:
    body = f"{siren}{establishment:04d}"
    return body + luhn.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@exemple.org")
    password = factory.django.Password("kpa-demo-2026")


class NetworkFactory(factory.django.DjangoModelFactory[Network]):
    class Meta:
        model = Network
        django_get_or_create = ("name",)

    name = "Réseau KPA-Cité"


class StructureFactory(factory.django.DjangoModelFactory[Structure]):
    class Meta:
        model = Structure
        django_get_or_create = ("siren",)

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"Structure {n}")
    kind = Structure.Kind.CAE
    siren = factory.Sequence(lambda n: valid_siren(41_000_000 + n))
    siret = factory.LazyAttribute(lambda o: valid_siret(o.siren))
    vat_regime = Structure.VatRegime.NORMAL
    chart_template = factory.LazyAttribute(
        lambda o: Structure.ChartTemplate.ASSOCIATIONS
        if o.kind == Structure.Kind.ASSOCIATION else Structure.ChartTemplate.PCG
    )
    city = "Lille"
    postcode = "59000"


class KpaFactory(factory.django.DjangoModelFactory[Kpa]):
    class Meta:
        model = Kpa
        django_get_or_create = ("name",)

    network = factory.SubFactory(NetworkFactory)
    name = factory.Sequence(lambda n: f"KPA {n}")
    city = "Roubaix"
    carrying_structure = factory.SubFactory(
        StructureFactory, network=factory.SelfAttribute("..network")
    )
    status = Kpa.Status.ACTIVE


class PlaceFactory(factory.django.DjangoModelFactory[Place]):
    class Meta:
        model = Place
        django_get_or_create = ("kpa", "name")

    kpa = factory.SubFactory(KpaFactory)
    name = "Atelier partagé"
    address = "12 rue de l'Épeule"
    postcode = "59100"
    city = factory.SelfAttribute("kpa.city")


class PersonFactory(factory.django.DjangoModelFactory[Person]):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = ""


class RoleFactory(factory.django.DjangoModelFactory[Role]):
    class Meta:
        model = Role

    person = factory.SubFactory(PersonFactory)
    kind = RoleKind.COOPERANT
    starts_on = dt.date(2025, 1, 6)


class ActivityFactory(factory.django.DjangoModelFactory[Activity]):
    class Meta:
        model = Activity
        django_get_or_create = ("kpa", "name")

    kpa = factory.SubFactory(KpaFactory)
    structure = factory.SelfAttribute("kpa.carrying_structure")
    name = factory.Sequence(lambda n: f"Activité {n}")
    kind = Activity.Kind.COLLECTIVE
    started_on = dt.date(2025, 1, 6)


def join_activity(activity: Activity, person: Person,
                  joined_on: dt.date | None = None) -> ActivityMembership:
    """Put `person` in `activity` from `joined_on` (its start by default), reused if there."""
    membership, _ = ActivityMembership.objects.get_or_create(
        activity=activity, person=person, joined_on=joined_on or activity.started_on)
    return membership


def person_with_login(username: str, **person_fields: Any) -> Person:
    """A person with an account (password `kpa-demo-2026`), reused if the username exists."""
    user = UserFactory.create(username=username)
    existing = Person.objects.filter(user=user).first()
    if existing:
        return existing
    return PersonFactory.create(user=user, email=user.email, **person_fields)


def give_role(person: Person, kind: str, scope: Kpa | Structure | Network,
              starts_on: dt.date = dt.date(2025, 1, 6), **extra: Any) -> Role:
    scope_field = {Kpa: "kpa", Structure: "structure", Network: "network"}[type(scope)]
    role, _ = Role.objects.get_or_create(
        person=person, kind=kind, starts_on=starts_on, **{scope_field: scope}, defaults=extra
    )
    return role
