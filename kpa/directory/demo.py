"""The demo network: realistic, fictitious, built with the test factories, idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import factory.random
from django.contrib.auth import get_user_model
from django.db import transaction
from faker import Faker

from kpa.directory.models import Activity, Kpa, Network, Person, RoleKind, Structure
from kpa.directory.tests.factories import (
    ActivityFactory,
    KpaFactory,
    NetworkFactory,
    PersonFactory,
    PlaceFactory,
    StructureFactory,
    give_role,
    join_activity,
    person_with_login,
    valid_siren,
    valid_siret,
)

DEMO_PASSWORD = "kpa-demo-2026"
NETWORK_NAME = "Réseau KPA-Cité"


@dataclass(frozen=True)
class Persona:
    username: str
    role: str
    where: str


# One login per role, printed by `make run` and `kpa seed_demo`.
PERSONAS = [
    Persona("cooperant", "Coopérant·e", "KPA Roubaix"),
    Persona("referent", "Référent·e administratif·ve", "KPA Roubaix"),
    Persona("animateur", "Animateur·rice", "KPA Roubaix"),
    Persona("accompagnateur", "Accompagnateur·rice", "KPA Roubaix"),
    Persona("benevole", "Bénévole", "KPA Roubaix"),
    Persona("gestionnaire", "Gestionnaire", "CAE Cap Nord Activités"),
    Persona("comptable", "Comptable", "CAE Cap Nord Activités"),
    Persona("coordinateur", "Coordinateur·rice", "Réseau KPA-Cité"),
    Persona("admin", "Administrateur·rice de la plateforme", "tout"),
]

# (name, city, district, structure key, place, address, postcode, founded)
KPAS = [
    ("KPA Roubaix", "Roubaix", "L'Épeule", "cae", "Atelier de la Condition Publique",
     "14 place Faidherbe", "59100", dt.date(2017, 7, 1)),
    ("KPA Lille-Moulins", "Lille", "Moulins", "cae", "La Boutique des Moulins",
     "48 rue d'Arras", "59000", dt.date(2019, 3, 4)),
    ("KPA Mons-en-Barœul", "Mons-en-Barœul", "Nouveau Mons", "cae", "Illicoop",
     "3 avenue Robert Schuman", "59370", dt.date(2019, 9, 2)),
    ("KPA Coudekerque-Branche", "Coudekerque-Branche", "Centre", "cae", "L'Épicerie partagée",
     "21 rue de la Paix", "59210", dt.date(2021, 5, 10)),
    ("KPA Boulogne-sur-Mer", "Boulogne-sur-Mer", "Chemin Vert", "cae",
     "La Fourmilière du Chemin Vert", "7 rue du Triennal", "62200", dt.date(2021, 1, 18)),
    ("KPA La Rochelle-Mireuil", "La Rochelle", "Mireuil", "asso", "Le Hangar de Mireuil",
     "5 place du 14 Juillet", "17000", dt.date(2020, 10, 5)),
]
COOPERANTS_PER_KPA = 6
ROLE_START = dt.date(2026, 1, 5)

# (KPA, name, kind, members, started, description). Members: "cooperant" is the persona, a
# number is the n-th coopérant of the KPA's local team (in creation order).
ACTIVITIES: list[tuple[str, str, str, list[str | int], dt.date, str]] = [
    ("KPA Roubaix", "Friperie solidaire", Activity.Kind.COLLECTIVE, ["cooperant", 0, 1],
     dt.date(2026, 2, 2), "Vêtements de seconde main, triés et remis en état, vendus au "
     "kilo à l'Atelier de la Condition Publique."),
    ("KPA Roubaix", "Menuiserie de l'Épeule", Activity.Kind.INDIVIDUAL, [2],
     dt.date(2026, 2, 16), "Petits meubles et réparations à partir de bois de récupération."),
    ("KPA Lille-Moulins", "Traiteur du quartier", Activity.Kind.COLLECTIVE, ["cooperant", 0],
     dt.date(2026, 3, 2), "Buffets et repas pour les associations et les fêtes du quartier."),
    ("KPA La Rochelle-Mireuil", "Couture Mireuil", Activity.Kind.INDIVIDUAL, [0],
     dt.date(2026, 2, 9), "Retouches, ourlets et créations sur mesure."),
]


@dataclass(frozen=True)
class SeedResult:
    created: bool
    persons: int
    kpas: int


def demo_already_seeded() -> bool:
    return get_user_model().objects.filter(username="coordinateur").exists()


@transaction.atomic
def seed_demo_network() -> SeedResult:
    """Create the demo network in one transaction; do nothing if it is already there."""
    if demo_already_seeded():
        return SeedResult(False, Person.objects.count(), Kpa.objects.count())
    factory.random.reseed_random(2026)  # type: ignore[no-untyped-call]
    fake = Faker("fr_FR")
    fake.seed_instance(2026)

    network = NetworkFactory.create(name=NETWORK_NAME, website="https://www.kpacite.fr/")
    structures = _structures(network)
    kpas = {}
    for name, city, district, key, place, address, postcode, founded in KPAS:
        kpa = KpaFactory.create(network=network, name=name, city=city, district=district,
                         carrying_structure=structures[key], founded_on=founded,
                         autonomy=Kpa.Autonomy.ACCOMPANIED)
        PlaceFactory.create(kpa=kpa, name=place, address=address, postcode=postcode, city=city)
        kpas[name] = kpa
    kpas["KPA Coudekerque-Branche"].local_structure = structures["local"]
    kpas["KPA Coudekerque-Branche"].save(update_fields=["local_structure"])
    roubaix = kpas["KPA Roubaix"]

    _personas(network, structures["cae"], roubaix)
    for kpa in kpas.values():
        _local_team(kpa, fake, skip_staff=kpa == roubaix)
    _activities(kpas)
    return SeedResult(True, Person.objects.count(), Kpa.objects.count())


def _structures(network: Network) -> dict[str, Structure]:
    def make(seed: int, **fields: object) -> Structure:
        siren = valid_siren(seed)
        return StructureFactory.create(network=network, siren=siren, siret=valid_siret(siren),
                                **fields)

    return {
        "cae": make(81_234_567, name="CAE Cap Nord Activités", kind=Structure.Kind.CAE,
                    vat_regime=Structure.VatRegime.NORMAL, address="2 rue de Fleurus",
                    postcode="59000", city="Lille"),
        "asso": make(84_765_432, name="Association KPA Mireuil", kind=Structure.Kind.ASSOCIATION,
                     vat_regime=Structure.VatRegime.FRANCHISE, address="5 place du 14 Juillet",
                     postcode="17000", city="La Rochelle"),
        "local": make(88_123_450, name="Association La Petite Fabrique",
                      kind=Structure.Kind.ASSOCIATION, vat_regime=Structure.VatRegime.FRANCHISE,
                      address="21 rue de la Paix", postcode="59210", city="Coudekerque-Branche"),
    }


def _personas(network: Network, cae: Structure, roubaix: Kpa) -> None:
    people: dict[str, tuple[str, str, str, Kpa | Structure | Network]] = {
        "cooperant": ("Inès", "Benali", RoleKind.COOPERANT, roubaix),
        "referent": ("Karima", "Haddad", RoleKind.REFERENT, roubaix),
        "animateur": ("Julien", "Lefebvre", RoleKind.ANIMATEUR, roubaix),
        "accompagnateur": ("Sophie", "Delattre", RoleKind.ACCOMPAGNATEUR, roubaix),
        "benevole": ("Gérard", "Vandamme", RoleKind.BENEVOLE, roubaix),
        "gestionnaire": ("Nadia", "Moreau", RoleKind.GESTIONNAIRE, cae),
        "comptable": ("Thomas", "Dufour", RoleKind.COMPTABLE, cae),
        "coordinateur": ("Camille", "Sarrazin", RoleKind.COORDINATEUR, network),
    }
    for username, (first, last, kind, scope) in people.items():
        person = person_with_login(username, first_name=first, last_name=last)
        give_role(person, kind, scope, starts_on=ROLE_START)
    # The coopérant persona also sells with a second KPA's collective (several roles, several KPAs).
    lille = Kpa.objects.get(name="KPA Lille-Moulins")
    give_role(person_with_login("cooperant"), RoleKind.COOPERANT, lille,
              starts_on=dt.date(2026, 3, 2))
    if not get_user_model().objects.filter(username="admin").exists():
        admin_person = person_with_login("admin", first_name="Alex", last_name="Martin")
        assert admin_person.user is not None
        admin_person.user.is_superuser = True
        admin_person.user.is_staff = True
        admin_person.user.save(update_fields=["is_superuser", "is_staff"])


def _local_team(kpa: Kpa, fake: Faker, *, skip_staff: bool) -> None:
    kinds = [RoleKind.COOPERANT] * COOPERANTS_PER_KPA + [RoleKind.BENEVOLE]
    if not skip_staff:
        kinds += [RoleKind.REFERENT, RoleKind.ANIMATEUR, RoleKind.ACCOMPAGNATEUR]
    referent = None
    for index, kind in enumerate(kinds):
        has_email = index % 3 != 2  # one person in three has no e-mail: a référent acts for them
        person = PersonFactory.create(
            first_name=fake.first_name(), last_name=fake.last_name(),
            email=f"{fake.user_name()}.{kpa.pk}{index}@exemple.org" if has_email else "",
            phone=fake.phone_number() if index % 2 else "",
        )
        give_role(person, kind, kpa, starts_on=ROLE_START - dt.timedelta(days=30 * index))
        if kind == RoleKind.REFERENT:
            referent = person
    if referent is None:
        referent = Person.objects.get(roles__kpa=kpa, roles__kind=RoleKind.REFERENT)
    Person.objects.filter(roles__kpa=kpa, email="", user__isnull=True).update(proxy=referent)


def _activities(kpas: dict[str, Kpa]) -> None:
    """A few activities per KPA; get-or-create all the way, so running it again adds nothing."""
    persona = person_with_login("cooperant")
    for kpa_name, name, kind, members, started_on, description in ACTIVITIES:
        kpa = kpas[kpa_name]
        team = list(Person.objects.filter(
            roles__kpa=kpa, roles__kind=RoleKind.COOPERANT,
        ).exclude(pk=persona.pk).order_by("pk").distinct())
        activity = ActivityFactory.create(kpa=kpa, name=name, kind=kind, started_on=started_on,
                                          description=description)
        for member in members:
            join_activity(activity, persona if member == "cooperant" else team[int(member)])
