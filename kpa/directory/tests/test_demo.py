"""The demo network: realistic, valid by the same rules as real data, one login per role."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.test import RequestFactory
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.directory.demo import DEMO_PASSWORD, PERSONAS, demo_already_seeded, seed_demo_network
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
from kpa.directory.selectors import kpas_visible_to

User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    result = seed_demo_network()
    assert result.created
    return result


@pytest.fixture
def demo_with_real_passwords(settings):
    """The demo as `make run` builds it: the suite hashes with MD5 for speed, production with
    Argon2 first, so put Argon2 back for the tests that log in."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    result = seed_demo_network()
    assert result.created
    return result


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Network, Structure, Kpa, Place, Person, Role, Activity,
                          ActivityMembership, User, AuditEvent)}


def login(username: str, password: str):
    """Through every configured backend, django-axes included, which needs a request."""
    request = RequestFactory().post("/connexion/")
    return authenticate(request, username=username, password=password)


def test_the_demo_has_at_least_five_kpas_each_with_a_place(demo):
    kpas = Kpa.objects.annotate(places_count=Count("places"))

    assert kpas.count() >= 5
    assert demo.kpas == kpas.count()
    assert all(kpa.places_count >= 1 for kpa in kpas)


def test_the_demo_has_a_cae_carrying_several_kpas_and_an_association_carrying_one(demo):
    carriers = Structure.objects.annotate(carried=Count("carried_kpas")).filter(carried__gt=0)

    assert carriers.count() >= 2
    assert carriers.filter(kind=Structure.Kind.CAE, carried__gte=2).exists()
    assert carriers.filter(kind=Structure.Kind.ASSOCIATION).exists()


def test_the_demo_has_more_than_forty_people(demo):
    assert Person.objects.count() >= 40
    assert demo.persons == Person.objects.count()


def test_every_demo_structure_has_a_siren_and_siret_that_stdnum_accepts(demo):
    structures = list(Structure.objects.all())

    assert len(structures) >= 2
    for structure in structures:
        assert stdnum_siren.is_valid(structure.siren), structure
        assert stdnum_siret.is_valid(structure.siret), structure
        assert structure.siret.startswith(structure.siren), structure


def test_associations_keep_the_associations_chart_of_accounts(demo):
    for structure in Structure.objects.all():
        expected = (Structure.ChartTemplate.ASSOCIATIONS
                    if structure.kind == Structure.Kind.ASSOCIATION
                    else Structure.ChartTemplate.PCG)
        assert structure.chart_template == expected, structure


def test_every_demo_object_passes_the_models_own_validation(demo):
    for model in (Network, Structure, Kpa, Place, Person, Role, Activity, ActivityMembership):
        for obj in model.objects.all():
            obj.full_clean()


def test_every_demo_role_sits_in_the_right_kind_of_scope(demo):
    for role in Role.objects.select_related("kpa", "structure", "network"):
        if role.kind in {RoleKind.GESTIONNAIRE, RoleKind.COMPTABLE}:
            assert role.structure is not None, role
        elif role.kind == RoleKind.COORDINATEUR:
            assert role.network is not None, role
        else:
            assert role.kpa is not None, role


def test_every_kpa_has_a_current_referent_and_cooperants(demo):
    for kpa in Kpa.objects.all():
        current = Role.objects.current(TODAY).filter(kpa=kpa)
        assert current.filter(kind=RoleKind.REFERENT).exists(), kpa
        assert current.filter(kind=RoleKind.COOPERANT).count() >= 2, kpa


def test_people_without_e_mail_or_login_have_a_referent_acting_for_them(demo):
    quiet = Person.objects.filter(email="", user__isnull=True)

    assert quiet.exists()
    for person in quiet:
        assert person.proxy is not None, person
        kpas = set(person.roles.values_list("kpa", flat=True))
        assert person.proxy.roles.filter(kind=RoleKind.REFERENT, kpa__in=kpas).exists(), person


def test_the_demo_has_individual_and_collective_activities_run_by_cooperants(demo):
    activities = list(Activity.objects.select_related("kpa").prefetch_related("memberships"))

    assert {a.kind for a in activities} == set(Activity.Kind.values)
    for activity in activities:
        assert activity.structure_id == activity.kpa.carrying_structure_id, activity
        members = [m.person_id for m in activity.memberships.all()]
        assert members, activity
        if activity.kind == Activity.Kind.INDIVIDUAL:
            assert len(members) == 1, activity
        cooperants = Role.objects.current(TODAY).filter(kpa=activity.kpa,
                                                        kind=RoleKind.COOPERANT)
        assert set(members) <= set(cooperants.values_list("person_id", flat=True)), activity
    assert Activity.objects.get(name="Friperie solidaire").members.count() == 3


def test_the_cooperant_persona_takes_part_in_activities_of_both_their_kpas(demo):
    persona = Person.objects.get(user__username="cooperant")

    assert {a.kpa.name for a in persona.activities.select_related("kpa")} == {
        "KPA Roubaix", "KPA Lille-Moulins"}


def test_there_is_one_persona_login_per_role_kind_that_works_with_the_demo_password(
    demo_with_real_passwords,
):
    personas = {persona.username for persona in PERSONAS}
    kinds_covered = set()

    for username in personas:
        user = login(username, DEMO_PASSWORD)
        assert user is not None, username
        assert user.username == username
        assert user.password.startswith("argon2")
        if username == "admin":
            assert user.is_superuser
            continue
        roles = Role.objects.current(TODAY).filter(person__user=user)
        assert roles.exists(), username
        kinds_covered |= set(roles.values_list("kind", flat=True))

    assert kinds_covered == set(RoleKind.values)
    for kind in RoleKind.values:  # the persona named after a role holds that role
        assert kind in personas, f"no persona named after the {kind} role"
        assert Role.objects.current(TODAY).filter(person__user__username=kind,
                                                  kind=kind).exists(), kind


def test_a_persona_login_with_a_wrong_password_fails(demo):
    assert login("referent", "mauvais-mot-de-passe") is None


def test_the_cooperant_persona_belongs_to_two_kpas(demo):
    cooperant = User.objects.get(username="cooperant")

    assert kpas_visible_to(cooperant, today=TODAY).count() == 2


def test_the_coordinateur_persona_sees_every_kpa_of_the_network(demo):
    coordinateur = User.objects.get(username="coordinateur")

    assert kpas_visible_to(coordinateur, today=TODAY).count() == Kpa.objects.count()


def test_seeding_twice_changes_nothing(demo):
    before = counts()

    again = seed_demo_network()

    assert not again.created
    assert counts() == before
    assert (again.persons, again.kpas) == (demo.persons, demo.kpas)
    assert demo_already_seeded()


def test_the_demo_is_the_same_every_time_it_is_built():
    first = seed_demo_network()
    names_first = sorted(Person.objects.values_list("first_name", "last_name"))
    memberships_first = sorted(ActivityMembership.objects.values_list(
        "activity__name", "person__first_name", "person__last_name"))
    # Start over in the same test transaction: remove what the demo made, then rebuild.
    Activity.objects.all().delete()  # and their memberships
    Role.objects.all().delete()
    Place.objects.all().delete()
    Person.objects.all().delete()
    User.objects.all().delete()
    Kpa.objects.all().delete()
    Structure.objects.all().delete()
    Network.objects.all().delete()

    second = seed_demo_network()

    assert second.created
    assert (second.persons, second.kpas) == (first.persons, first.kpas)
    assert sorted(Person.objects.values_list("first_name", "last_name")) == names_first
    assert sorted(ActivityMembership.objects.values_list(
        "activity__name", "person__first_name", "person__last_name")) == memberships_first


def test_the_seed_demo_command_creates_the_network_and_prints_every_login():
    out = StringIO()

    call_command("seed_demo", stdout=out)

    text = out.getvalue()
    assert "créé" in text
    assert f"{Kpa.objects.count()} KPA" in text
    assert DEMO_PASSWORD in text
    for persona in PERSONAS:
        assert persona.username in text
        assert persona.role in text


def test_the_seed_demo_command_run_again_says_the_demo_is_already_there():
    call_command("seed_demo", stdout=StringIO())
    before = counts()
    out = StringIO()

    call_command("seed_demo", stdout=out)

    assert "déjà présent" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert counts() == before


def test_the_seed_demo_command_can_keep_the_logins_quiet():
    out = StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    assert DEMO_PASSWORD not in out.getvalue()
    assert Kpa.objects.exists()
