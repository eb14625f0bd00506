"""Who sees what, persona by persona: a role today gives reach; nothing else does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core.tenancy import get_in_scope
from kpa.directory import permissions
from kpa.directory.models import RoleKind
from kpa.directory.permissions import forget_reach, reach_of
from kpa.directory.selectors import (
    current_roles_of,
    kpa_people,
    kpas_visible_to,
    kpas_with_counts,
    networks_visible_to,
    persons_visible_to,
    places_visible_to,
    roles_visible_to,
    structures_visible_to,
)
from kpa.directory.tests.factories import KpaFactory, give_role, person_with_login

User = get_user_model()
D = dt.date


LOGINS = ["cooperant", "referent", "animateur", "accompagnateur", "benevole", "gestionnaire",
          "comptable", "coordinateur", "admin", "outsider"]
KPA_STAFF = {"referent", "animateur", "accompagnateur"}
HOME_PEOPLE = {"cooperant", "referent", "animateur", "accompagnateur", "benevole",
               "quiet_cooperant"}
CAE_PEOPLE = {"gestionnaire", "comptable"}
EVERY_PERSON = HOME_PEOPLE | CAE_PEOPLE | {"coordinateur", "outsider", "admin"}
WITH_A_ROLE = EVERY_PERSON - {"admin"}


def names(cast: Cast, attributes) -> set[str]:
    """Turn cast attribute names into the objects' string forms, for readable failures."""
    return {str(getattr(cast, attribute)) for attribute in attributes}


def as_names(queryset) -> set[str]:
    return {str(obj) for obj in queryset}


def fresh(user):
    """The same account as a new request would load it: no reach cached on the object."""
    return User.objects.get(pk=user.pk)


# --- KPAs --------------------------------------------------------------------------------------

VISIBLE_KPAS = {
    "coordinateur": {"home", "elsewhere"},
    "admin": {"home", "elsewhere"},
    "gestionnaire": {"home"},
    "comptable": {"home"},
    "referent": {"home"},
    "animateur": {"home"},
    "accompagnateur": {"home"},
    "benevole": {"home"},
    "cooperant": {"home"},
    "outsider": {"elsewhere"},
}


@pytest.mark.parametrize("persona", LOGINS)
def test_each_persona_sees_the_kpas_it_holds_a_role_in_or_above(cast: Cast, persona):
    visible = kpas_visible_to(cast.user(persona), today=TODAY)

    assert as_names(visible) == names(cast, VISIBLE_KPAS[persona])


def test_the_gestionnaire_sees_the_kpas_their_structure_carries_not_the_others(cast: Cast):
    carried = KpaFactory.create(network=cast.network, name="KPA Wattrelos",
                                carrying_structure=cast.cae)

    visible = kpas_visible_to(cast.user("gestionnaire"), today=TODAY)

    assert set(visible) == {cast.home, carried}
    assert cast.elsewhere not in visible


def test_a_structure_that_is_only_the_local_structure_of_a_kpa_reaches_it(cast: Cast):
    cast.elsewhere.local_structure = cast.cae
    cast.elsewhere.save()

    visible = kpas_visible_to(cast.user("gestionnaire"), today=TODAY)

    assert cast.elsewhere in visible


# --- structures --------------------------------------------------------------------------------

VISIBLE_STRUCTURES = {
    "coordinateur": {"cae", "other_structure"},
    "admin": {"cae", "other_structure"},
    "gestionnaire": {"cae"},
    "comptable": {"cae"},
    "referent": {"cae"},  # members see the structure that carries their KPA
    "animateur": {"cae"},
    "accompagnateur": {"cae"},
    "benevole": {"cae"},
    "cooperant": {"cae"},
    "outsider": {"other_structure"},
}


@pytest.mark.parametrize("persona", LOGINS)
def test_each_persona_sees_its_structures_and_the_one_carrying_its_kpa(cast: Cast, persona):
    visible = structures_visible_to(cast.user(persona), today=TODAY)

    assert as_names(visible) == names(cast, VISIBLE_STRUCTURES[persona])


def test_a_structure_carrying_several_kpas_of_a_member_is_listed_once(cast: Cast):
    second = KpaFactory.create(network=cast.network, carrying_structure=cast.cae)
    give_role(cast.cooperant, RoleKind.COOPERANT, second, starts_on=D(2026, 2, 1))
    user = fresh(cast.user("cooperant"))

    visible = list(structures_visible_to(user, today=TODAY))

    assert visible == [cast.cae]


# --- persons -----------------------------------------------------------------------------------

VISIBLE_PERSONS = {
    "coordinateur": WITH_A_ROLE,
    "admin": EVERY_PERSON,
    "gestionnaire": HOME_PEOPLE | CAE_PEOPLE,
    "comptable": HOME_PEOPLE | CAE_PEOPLE,
    "referent": HOME_PEOPLE,
    "animateur": HOME_PEOPLE,
    "accompagnateur": HOME_PEOPLE,
    "benevole": {"benevole"},
    "cooperant": {"cooperant"},
    "outsider": {"outsider"},
}


@pytest.mark.parametrize("persona", LOGINS)
def test_each_persona_sees_exactly_the_people_it_looks_after(cast: Cast, persona):
    visible = persons_visible_to(cast.user(persona), today=TODAY)

    assert as_names(visible) == names(cast, VISIBLE_PERSONS[persona])


def test_a_cooperant_sees_no_one_but_themself_even_in_a_busy_kpa(cast: Cast):
    visible = list(persons_visible_to(cast.user("cooperant"), today=TODAY))

    assert visible == [cast.cooperant]


def test_a_person_with_several_roles_is_listed_once(cast: Cast):
    give_role(cast.cooperant, RoleKind.BENEVOLE, cast.home, starts_on=D(2026, 2, 1))

    visible = list(persons_visible_to(cast.user("referent"), today=TODAY))

    assert visible.count(cast.cooperant) == 1


def test_the_referent_still_sees_someone_whose_role_in_their_kpa_has_ended(cast: Cast):
    gone = person_with_login("partie", first_name="Paula", last_name="Partie")
    give_role(gone, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))

    assert gone in persons_visible_to(cast.user("referent"), today=TODAY)
    assert gone not in persons_visible_to(cast.user("outsider"), today=TODAY)


# --- roles -------------------------------------------------------------------------------------

VISIBLE_ROLE_HOLDERS = {
    "coordinateur": WITH_A_ROLE,
    "admin": WITH_A_ROLE,
    "gestionnaire": HOME_PEOPLE | CAE_PEOPLE,
    "comptable": HOME_PEOPLE | CAE_PEOPLE,
    "referent": HOME_PEOPLE,
    "animateur": HOME_PEOPLE,
    "accompagnateur": HOME_PEOPLE,
    "benevole": {"benevole"},
    "cooperant": {"cooperant"},
    "outsider": {"outsider"},
}


@pytest.mark.parametrize("persona", LOGINS)
def test_each_persona_sees_the_roles_of_the_people_it_sees(cast: Cast, persona):
    visible = roles_visible_to(cast.user(persona), today=TODAY)

    # Every person of the cast holds exactly one role, so roles map to their holders.
    assert as_names(role.person for role in visible) == names(
        cast, VISIBLE_ROLE_HOLDERS[persona]
    )


def test_a_referent_does_not_see_the_roles_a_member_holds_in_another_kpa(cast: Cast):
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=D(2026, 2, 1))

    visible = roles_visible_to(cast.user("referent"), today=TODAY)

    assert {role.kpa for role in visible.filter(person=cast.cooperant)} == {cast.home}


def test_a_cooperant_sees_all_of_their_own_roles_including_in_another_kpa(cast: Cast):
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=D(2026, 2, 1))
    user = fresh(cast.user("cooperant"))

    visible = roles_visible_to(user, today=TODAY)

    assert {role.kpa for role in visible} == {cast.home, cast.elsewhere}


# --- places and networks -----------------------------------------------------------------------

PLACE_VIEWERS = set(LOGINS) - {"outsider"}


@pytest.mark.parametrize("persona", LOGINS)
def test_places_follow_the_kpas_a_persona_sees(cast: Cast, persona):
    visible = set(places_visible_to(cast.user(persona), today=TODAY))

    assert visible == ({cast.home_place} if persona in PLACE_VIEWERS else set())


@pytest.mark.parametrize("persona", LOGINS)
def test_every_persona_with_a_role_sees_its_network(cast: Cast, persona):
    visible = list(networks_visible_to(cast.user(persona), today=TODAY))

    assert visible == [cast.network]


# --- the outsider ------------------------------------------------------------------------------


def test_the_outsider_sees_nothing_of_the_home_kpa(cast: Cast):
    outsider = cast.user("outsider")
    seen = [
        *map(str, kpas_visible_to(outsider, today=TODAY)),
        *map(str, structures_visible_to(outsider, today=TODAY)),
        *map(str, persons_visible_to(outsider, today=TODAY)),
        *map(str, roles_visible_to(outsider, today=TODAY)),
        *map(str, places_visible_to(outsider, today=TODAY)),
    ]

    assert seen  # the outsider does see their own KPA…
    assert not [text for text in seen if SECRET_MARKER in text]  # …and nothing of home


def test_the_outsider_gets_a_404_for_home_objects_even_by_id(cast: Cast):
    outsider = cast.user("outsider")

    with pytest.raises(Http404):
        get_in_scope(kpas_visible_to(outsider, today=TODAY), pk=cast.home.pk)
    with pytest.raises(Http404):
        get_in_scope(persons_visible_to(outsider, today=TODAY), pk=cast.cooperant.pk)
    with pytest.raises(Http404):
        get_in_scope(structures_visible_to(outsider, today=TODAY), pk=cast.cae.pk)
    with pytest.raises(Http404):
        get_in_scope(places_visible_to(outsider, today=TODAY), pk=cast.home_place.pk)


def test_a_malformed_id_is_a_404_too(cast: Cast):
    with pytest.raises(Http404):
        get_in_scope(kpas_visible_to(cast.user("coordinateur"), today=TODAY), pk="abc")


# --- no login, no reach ------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_nothing(cast: Cast):
    anonymous = AnonymousUser()

    assert not kpas_visible_to(anonymous, today=TODAY).exists()
    assert not structures_visible_to(anonymous, today=TODAY).exists()
    assert not persons_visible_to(anonymous, today=TODAY).exists()
    assert not roles_visible_to(anonymous, today=TODAY).exists()
    assert not places_visible_to(anonymous, today=TODAY).exists()
    assert not networks_visible_to(anonymous, today=TODAY).exists()
    assert reach_of(anonymous, TODAY) == permissions.Reach()


def test_a_deactivated_account_loses_all_reach(cast: Cast):
    user = cast.user("coordinateur")
    user.is_active = False
    user.save()
    user = fresh(user)

    assert reach_of(user, TODAY) == permissions.Reach()
    assert not kpas_visible_to(user, today=TODAY).exists()
    assert not permissions.can_manage_network(user, cast.network, today=TODAY)


def test_an_account_without_a_person_reaches_nothing(cast: Cast):
    user = User.objects.create_user(username="sans-fiche", password="x")

    assert reach_of(user, TODAY) == permissions.Reach()
    assert not persons_visible_to(user, today=TODAY).exists()
    assert not kpas_visible_to(user, today=TODAY).exists()


# --- periods: ended roles and future roles -----------------------------------------------------


@pytest.fixture
def former_referent(cast: Cast):
    person = person_with_login("ancienne", first_name="Anne", last_name="Ancienne")
    give_role(person, RoleKind.REFERENT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))
    assert person.user is not None
    return person.user


def test_an_ended_role_gives_no_reach(cast: Cast, former_referent):
    assert not kpas_visible_to(former_referent, today=TODAY).exists()
    assert not structures_visible_to(former_referent, today=TODAY).exists()
    assert list(persons_visible_to(former_referent, today=TODAY)) == [former_referent.person]
    assert not permissions.can_invite_person(former_referent, cast.home, today=TODAY)
    assert not permissions.can_edit_person(former_referent, cast.cooperant, today=TODAY)


def test_a_role_ends_on_its_exclusive_end_date(cast: Cast, former_referent):
    last_day = D(2026, 5, 31)
    end = D(2026, 6, 1)

    assert cast.home in kpas_visible_to(former_referent, today=last_day)
    assert permissions.can_invite_person(former_referent, cast.home, today=last_day)
    assert cast.home not in kpas_visible_to(former_referent, today=end)
    assert not permissions.can_invite_person(former_referent, cast.home, today=end)


@pytest.fixture
def future_animateur(cast: Cast):
    person = person_with_login("bientot", first_name="Bruno", last_name="Bientôt")
    give_role(person, RoleKind.ANIMATEUR, cast.home, starts_on=D(2026, 12, 1))
    assert person.user is not None
    return person.user


def test_a_role_starting_in_the_future_gives_no_reach_yet(cast: Cast, future_animateur):
    assert not kpas_visible_to(future_animateur, today=TODAY).exists()
    assert list(persons_visible_to(future_animateur, today=TODAY)) == [future_animateur.person]
    assert not permissions.can_manage_places(future_animateur, cast.home, today=TODAY)


def test_a_future_role_gives_reach_from_its_first_day(cast: Cast, future_animateur):
    first_day = D(2026, 12, 1)

    assert cast.home in kpas_visible_to(future_animateur, today=first_day)
    assert cast.cooperant in persons_visible_to(future_animateur, today=first_day)
    assert permissions.can_manage_places(future_animateur, cast.home, today=first_day)


def test_reach_is_computed_per_day_even_on_the_same_user_object(cast: Cast, future_animateur):
    before = reach_of(future_animateur, TODAY)
    after = reach_of(future_animateur, D(2026, 12, 1))

    assert before.member_kpas == frozenset()
    assert after.member_kpas == {cast.home.pk}
    assert after.inviter_kpas == {cast.home.pk}


def test_reach_is_cached_until_forgotten(cast: Cast):
    user = cast.user("benevole")
    assert reach_of(user, TODAY).staff_kpas == frozenset()
    give_role(cast.benevole, RoleKind.ACCOMPAGNATEUR, cast.home, starts_on=D(2026, 2, 1))

    assert reach_of(user, TODAY).staff_kpas == frozenset()  # cached for the request
    forget_reach(user)
    assert reach_of(user, TODAY).staff_kpas == {cast.home.pk}


# --- reach -------------------------------------------------------------------------------------


def test_the_reach_of_each_persona(cast: Cast):
    home, cae, network = cast.home.pk, cast.cae.pk, cast.network.pk

    reach = {persona: reach_of(cast.user(persona), TODAY) for persona in LOGINS}

    assert reach["admin"].is_admin
    assert not any(reach[p].is_admin for p in LOGINS if p != "admin")
    assert reach["coordinateur"].networks == {network}
    assert reach["coordinateur"].is_coordinator
    assert reach["gestionnaire"].structures == {cae}
    assert reach["comptable"].structures == {cae}
    for persona in ("cooperant", "referent", "animateur", "accompagnateur", "benevole"):
        assert reach[persona].member_kpas == {home}
        assert reach[persona].person_id == getattr(cast, persona).pk
    for persona in KPA_STAFF:
        assert reach[persona].staff_kpas == {home}
    assert reach["referent"].inviter_kpas == reach["animateur"].inviter_kpas == {home}
    assert reach["accompagnateur"].inviter_kpas == frozenset()
    assert reach["cooperant"].staff_kpas == reach["benevole"].staff_kpas == frozenset()
    assert reach["outsider"].member_kpas == {cast.elsewhere.pk}


# --- can_* -------------------------------------------------------------------------------------

NETWORK_LEVEL = {"admin", "coordinateur"}
# The comptable sees the structure but does not run it.
STRUCTURE_LEVEL = NETWORK_LEVEL | {"gestionnaire"}
INVITERS = STRUCTURE_LEVEL | {"referent", "animateur"}


@pytest.mark.parametrize("persona", LOGINS)
def test_only_the_admin_and_the_coordination_manage_the_network(cast: Cast, persona):
    user = cast.user(persona)
    allowed = persona in NETWORK_LEVEL

    assert permissions.can_manage_network(user, cast.network, today=TODAY) == allowed
    assert permissions.can_create_structure(user, today=TODAY) == allowed
    assert permissions.can_create_kpa(user, today=TODAY) == allowed


@pytest.mark.parametrize("persona", LOGINS)
def test_a_structure_is_edited_by_its_staff_and_the_coordination(cast: Cast, persona):
    user = cast.user(persona)

    assert permissions.can_edit_structure(user, cast.cae, today=TODAY) == (
        persona in STRUCTURE_LEVEL
    )
    assert permissions.can_edit_structure(user, cast.other_structure, today=TODAY) == (
        persona in NETWORK_LEVEL
    )


@pytest.mark.parametrize("persona", LOGINS)
def test_a_kpa_is_edited_by_its_carrying_structure_and_the_coordination(cast: Cast, persona):
    user = cast.user(persona)

    assert permissions.can_edit_kpa(user, cast.home, today=TODAY) == (persona in STRUCTURE_LEVEL)
    assert permissions.can_edit_kpa(user, cast.elsewhere, today=TODAY) == (
        persona in NETWORK_LEVEL
    )


@pytest.mark.parametrize("persona", LOGINS)
def test_places_and_invitations_belong_to_the_referent_the_animateur_and_above(cast: Cast,
                                                                                persona):
    user = cast.user(persona)
    allowed = persona in INVITERS

    assert permissions.can_manage_places(user, cast.home, today=TODAY) == allowed
    assert permissions.can_invite_person(user, cast.home, today=TODAY) == allowed


def test_the_outsider_manages_places_and_invites_only_in_their_own_kpa(cast: Cast):
    outsider = cast.user("outsider")

    assert permissions.can_invite_person(outsider, cast.elsewhere, today=TODAY)
    assert permissions.can_manage_places(outsider, cast.elsewhere, today=TODAY)
    assert not permissions.can_invite_person(outsider, cast.home, today=TODAY)


GRANTS = [
    # (kind, scope attribute, who may grant it)
    (RoleKind.COOPERANT, "home", INVITERS),
    (RoleKind.BENEVOLE, "home", INVITERS),
    (RoleKind.REFERENT, "home", STRUCTURE_LEVEL),
    (RoleKind.ANIMATEUR, "home", STRUCTURE_LEVEL),
    (RoleKind.ACCOMPAGNATEUR, "home", STRUCTURE_LEVEL),
    (RoleKind.GESTIONNAIRE, "cae", STRUCTURE_LEVEL),
    (RoleKind.COMPTABLE, "cae", STRUCTURE_LEVEL),
    (RoleKind.GESTIONNAIRE, "other_structure", NETWORK_LEVEL),
    (RoleKind.COOPERANT, "elsewhere", NETWORK_LEVEL | {"outsider"}),
    (RoleKind.REFERENT, "elsewhere", NETWORK_LEVEL),
    (RoleKind.COORDINATEUR, "network", NETWORK_LEVEL),
]


@pytest.mark.parametrize(("kind", "scope", "granters"), GRANTS)
@pytest.mark.parametrize("persona", LOGINS)
def test_who_may_grant_which_role_where(cast: Cast, persona, kind, scope, granters):
    allowed = permissions.can_grant_role(cast.user(persona), kind, getattr(cast, scope),
                                         today=TODAY)

    assert allowed == (persona in granters)


EDITORS_OF = {
    "cooperant": INVITERS | {"cooperant"},
    "quiet_cooperant": INVITERS,
    "benevole": INVITERS | {"benevole"},
    "referent": STRUCTURE_LEVEL | {"referent"},
    "animateur": STRUCTURE_LEVEL | {"animateur"},
    "gestionnaire": STRUCTURE_LEVEL,
    "coordinateur": NETWORK_LEVEL,
    "outsider": NETWORK_LEVEL | {"outsider"},
}


@pytest.mark.parametrize("person", sorted(EDITORS_OF))
@pytest.mark.parametrize("persona", LOGINS)
def test_who_may_edit_whose_record(cast: Cast, persona, person):
    allowed = permissions.can_edit_person(cast.user(persona), getattr(cast, person),
                                          today=TODAY)

    assert allowed == (persona in EDITORS_OF[person])


def test_no_one_but_the_admin_and_themself_edits_a_person_without_a_current_role(cast: Cast):
    gone = person_with_login("partie", first_name="Paula", last_name="Partie")
    give_role(gone, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))

    editors = {p for p in LOGINS
               if permissions.can_edit_person(cast.user(p), gone, today=TODAY)}

    assert editors == {"admin"}
    assert gone.user is not None
    assert permissions.can_edit_person(gone.user, gone, today=TODAY)


def test_every_can_function_says_no_to_an_anonymous_visitor(cast: Cast):
    anonymous = AnonymousUser()

    assert not permissions.can_manage_network(anonymous, cast.network, today=TODAY)
    assert not permissions.can_create_structure(anonymous, today=TODAY)
    assert not permissions.can_edit_structure(anonymous, cast.cae, today=TODAY)
    assert not permissions.can_create_kpa(anonymous, today=TODAY)
    assert not permissions.can_edit_kpa(anonymous, cast.home, today=TODAY)
    assert not permissions.can_manage_places(anonymous, cast.home, today=TODAY)
    assert not permissions.can_invite_person(anonymous, cast.home, today=TODAY)
    assert not permissions.can_grant_role(anonymous, RoleKind.COOPERANT, cast.home,
                                          today=TODAY)
    assert not permissions.can_edit_person(anonymous, cast.quiet_cooperant, today=TODAY)
    assert not permissions.can_grant_some_role(anonymous, today=TODAY)


# --- KPA pages ---------------------------------------------------------------------------------


def test_kpa_people_lists_current_members_with_their_roles_in_that_kpa_only(cast: Cast):
    give_role(cast.cooperant, RoleKind.BENEVOLE, cast.home, starts_on=D(2026, 2, 1))
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=D(2026, 2, 1))
    gone = person_with_login("partie", first_name="Paula", last_name="Partie")
    give_role(gone, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))

    people = {person: person.kpa_roles for person in kpa_people(cast.home, today=TODAY)}

    assert set(people) == {getattr(cast, name) for name in HOME_PEOPLE}
    assert {role.kind for role in people[cast.cooperant]} == {RoleKind.COOPERANT,
                                                               RoleKind.BENEVOLE}
    assert all(role.kpa == cast.home for roles in people.values() for role in roles)


def test_kpas_with_counts_counts_current_cooperants_once_each(cast: Cast):
    give_role(cast.cooperant, RoleKind.BENEVOLE, cast.home, starts_on=D(2026, 2, 1))
    gone = person_with_login("partie", first_name="Paula", last_name="Partie")
    give_role(gone, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 6, 1))
    user = cast.user("coordinateur")

    counts = {kpa.name: kpa.cooperant_count
              for kpa in kpas_with_counts(kpas_visible_to(user, today=TODAY), today=TODAY)}

    assert counts == {cast.home.name: 2, cast.elsewhere.name: 0}  # cooperant + quiet


def test_current_roles_of_leaves_out_ended_and_future_roles(cast: Cast):
    give_role(cast.cooperant, RoleKind.BENEVOLE, cast.home, starts_on=D(2025, 1, 6),
              ends_on=D(2025, 6, 1))
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.elsewhere, starts_on=D(2027, 1, 4))

    roles = list(current_roles_of(cast.cooperant, today=TODAY))

    assert [(role.kind, role.kpa) for role in roles] == [(RoleKind.COOPERANT, cast.home)]


# Who sees "Donner un rôle": whoever may give at least one kind of role somewhere.
ROLE_GIVERS = {"admin", "coordinateur", "gestionnaire", "referent", "animateur", "outsider"}


@pytest.mark.parametrize("persona", LOGINS)
def test_only_those_who_can_give_some_role_are_offered_to(cast: Cast, persona: str):
    allowed = permissions.can_grant_some_role(cast.user(persona), today=TODAY)

    assert allowed == (persona in ROLE_GIVERS)
    if allowed:  # and the offer is honest: some kind is grantable in some scope they run
        scopes = [cast.home, cast.elsewhere, cast.cae, cast.other_structure, cast.network]
        assert any(permissions.can_grant_role(cast.user(persona), kind, scope, today=TODAY)
                   for kind in RoleKind.values for scope in scopes)


def test_the_person_page_offers_to_give_a_role_only_to_role_givers(cast: Cast, client):
    for persona, offered in (("referent", True), ("cooperant", False), ("comptable", False)):
        client.force_login(cast.user(persona))
        page = client.get(f"/personnes/{cast.cooperant.pk}/").content.decode()
        assert ("Donner un rôle" in page) == offered, persona
