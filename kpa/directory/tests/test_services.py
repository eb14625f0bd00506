"""Every write of the directory: gated, validated, atomic and audited under a dotted name."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.directory import services
from kpa.directory.models import Kpa, Person, Place, Role, RoleKind, Structure
from kpa.directory.permissions import reach_of
from kpa.directory.selectors import current_roles_of, kpas_visible_to
from kpa.directory.tests.factories import (
    KpaFactory,
    PersonFactory,
    give_role,
    valid_siren,
    valid_siret,
)

User = get_user_model()
D = dt.date


def snapshot() -> dict[str, int]:
    """Row counts of everything a directory service may write."""
    return {
        model.__name__: model.objects.count()
        for model in (Structure, Kpa, Place, Person, Role, User, AuditEvent)
    }


def events(action: str, target) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(
        action=action, target_type=target._meta.label_lower, target_id=str(target.pk)
    ))


def structure_fields(seed: int = 50_000_001, **overrides) -> dict:
    siren = valid_siren(seed)
    fields = {
        "name": "Coopérative Nouvelle",
        "kind": Structure.Kind.CAE,
        "siren": siren,
        "siret": valid_siret(siren),
        "vat_regime": Structure.VatRegime.NORMAL,
        "chart_template": Structure.ChartTemplate.PCG,
    }
    fields.update(overrides)
    return fields


def bad_luhn(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


# --- network -----------------------------------------------------------------------------------


def test_a_coordinateur_updates_the_network_and_the_change_is_audited(cast: Cast):
    actor = cast.user("coordinateur")

    services.update_network(actor=actor, network=cast.network, today=TODAY,
                            website="https://kpa.example.org/")

    cast.network.refresh_from_db()
    assert cast.network.website == "https://kpa.example.org/"
    [event] = events("directory.network.updated", cast.network)
    assert event.actor == actor
    assert event.data == {"fields": ["website"]}


@pytest.mark.parametrize("persona", ["gestionnaire", "referent", "cooperant", "outsider"])
def test_only_the_network_coordination_may_update_the_network(cast: Cast, persona):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.update_network(actor=cast.user(persona), network=cast.network, today=TODAY,
                                description="Piraté")

    cast.network.refresh_from_db()
    assert cast.network.description == ""
    assert snapshot() == before


def test_a_network_update_is_validated_before_it_is_written(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_network(actor=cast.user("coordinateur"), network=cast.network,
                                today=TODAY, website="pas une adresse")

    assert "website" in caught.value.message_dict
    cast.network.refresh_from_db()
    assert cast.network.website == ""
    assert snapshot() == before


# --- structures --------------------------------------------------------------------------------


def test_a_coordinateur_creates_a_structure_and_the_creation_is_audited(cast: Cast):
    actor = cast.user("coordinateur")

    structure = services.create_structure(actor=actor, network=cast.network, today=TODAY,
                                          **structure_fields())

    structure.refresh_from_db()
    assert structure.network == cast.network
    assert structure.name == "Coopérative Nouvelle"
    [event] = events("directory.structure.created", structure)
    assert event.actor == actor


def test_a_siren_and_siret_typed_with_spaces_and_dots_are_stored_compact(cast: Cast):
    siren = valid_siren(50_000_002)
    siret = valid_siret(siren)
    spaced_siren = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
    dotted_siret = f"{siret[:3]}.{siret[3:6]}.{siret[6:9]}.{siret[9:]}"

    structure = services.create_structure(
        actor=cast.user("coordinateur"), network=cast.network, today=TODAY,
        **structure_fields(siren=spaced_siren, siret=dotted_siret),
    )

    structure.refresh_from_db()
    assert (structure.siren, structure.siret) == (siren, siret)


@pytest.mark.parametrize("persona", ["gestionnaire", "comptable", "referent", "outsider"])
def test_only_the_coordination_may_create_a_structure(cast: Cast, persona):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.create_structure(actor=cast.user(persona), network=cast.network, today=TODAY,
                                  **structure_fields())

    assert snapshot() == before


def test_an_invalid_siret_is_refused_on_the_siret_field_and_nothing_is_written(cast: Cast):
    fields = structure_fields()
    fields["siret"] = bad_luhn(fields["siret"])
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.create_structure(actor=cast.user("coordinateur"), network=cast.network,
                                  today=TODAY, **fields)

    assert "siret" in caught.value.message_dict
    assert "n'est pas un SIRET valide" in caught.value.message_dict["siret"][0]
    assert snapshot() == before


def test_an_invalid_siren_is_refused_on_the_siren_field_and_nothing_is_written(cast: Cast):
    fields = structure_fields()
    fields["siren"] = bad_luhn(fields["siren"])
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.create_structure(actor=cast.user("coordinateur"), network=cast.network,
                                  today=TODAY, **fields)

    assert "siren" in caught.value.message_dict
    assert snapshot() == before


def test_a_siret_that_does_not_start_with_the_siren_is_refused_on_the_siret_field(cast: Cast):
    # Both numbers are valid on their own; the SIRET belongs to another company.
    fields = structure_fields(siret=valid_siret(valid_siren(60_000_001)))
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.create_structure(actor=cast.user("coordinateur"), network=cast.network,
                                  today=TODAY, **fields)

    assert set(caught.value.message_dict) == {"siret"}
    assert "doit commencer par le SIREN" in caught.value.message_dict["siret"][0]
    assert fields["siren"] in caught.value.message_dict["siret"][0]
    assert snapshot() == before


def test_a_siren_already_registered_is_refused(cast: Cast):
    fields = structure_fields(siren=cast.cae.siren, siret=valid_siret(cast.cae.siren, 2))
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.create_structure(actor=cast.user("coordinateur"), network=cast.network,
                                  today=TODAY, **fields)

    assert "siren" in caught.value.message_dict
    assert snapshot() == before


def test_a_gestionnaire_updates_their_structure_and_the_changed_fields_are_audited(cast: Cast):
    actor = cast.user("gestionnaire")
    new_siret = valid_siret(cast.cae.siren, 2)

    services.update_structure(actor=actor, structure=cast.cae, today=TODAY,
                              siret=new_siret, city="Roubaix", name=cast.cae.name)

    cast.cae.refresh_from_db()
    assert (cast.cae.siret, cast.cae.city) == (new_siret, "Roubaix")
    [event] = events("directory.structure.updated", cast.cae)
    assert event.actor == actor
    assert sorted(event.data["fields"]) == ["city", "siret"]  # the name did not change


@pytest.mark.parametrize(("persona", "structure"), [
    ("gestionnaire", "other_structure"),
    ("comptable", "other_structure"),
    ("referent", "cae"),
    ("cooperant", "cae"),
    ("outsider", "cae"),
])
def test_editing_a_structure_needs_a_role_in_it_or_in_the_network(cast: Cast, persona,
                                                                   structure):
    target: Structure = getattr(cast, structure)
    name = target.name
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.update_structure(actor=cast.user(persona), structure=target, today=TODAY,
                                  name="Rebaptisée")

    target.refresh_from_db()
    assert target.name == name
    assert snapshot() == before


def test_an_update_with_an_invalid_siret_changes_nothing(cast: Cast):
    old_siret = cast.cae.siret
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_structure(actor=cast.user("gestionnaire"), structure=cast.cae,
                                  today=TODAY, siret=bad_luhn(old_siret))

    assert "siret" in caught.value.message_dict
    cast.cae.refresh_from_db()
    assert cast.cae.siret == old_siret
    assert snapshot() == before


def test_changing_only_the_siren_of_a_structure_is_refused_on_the_siret_field(cast: Cast):
    old_siren = cast.cae.siren
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_structure(actor=cast.user("gestionnaire"), structure=cast.cae,
                                  today=TODAY, siren=valid_siren(60_000_002))

    assert set(caught.value.message_dict) == {"siret"}
    cast.cae.refresh_from_db()
    assert cast.cae.siren == old_siren
    assert snapshot() == before


# --- KPAs --------------------------------------------------------------------------------------


def test_a_coordinateur_creates_a_kpa_and_the_creation_is_audited(cast: Cast):
    actor = cast.user("coordinateur")

    kpa = services.create_kpa(actor=actor, network=cast.network, today=TODAY,
                              name="KPA Wazemmes", city="Lille", carrying_structure=cast.cae)

    kpa.refresh_from_db()
    assert kpa.network == cast.network
    assert kpa.carrying_structure == cast.cae
    assert kpa.status == Kpa.Status.PROJECT
    [event] = events("directory.kpa.created", kpa)
    assert event.actor == actor


@pytest.mark.parametrize("persona", ["gestionnaire", "referent", "animateur", "outsider"])
def test_only_the_coordination_may_create_a_kpa(cast: Cast, persona):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.create_kpa(actor=cast.user(persona), network=cast.network, today=TODAY,
                            name="KPA Wazemmes", city="Lille", carrying_structure=cast.cae)

    assert snapshot() == before


def test_a_kpa_name_already_taken_is_refused(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.create_kpa(actor=cast.user("coordinateur"), network=cast.network,
                            today=TODAY, name=cast.home.name, city="Lille",
                            carrying_structure=cast.cae)

    assert "name" in caught.value.message_dict
    assert snapshot() == before


def test_a_gestionnaire_updates_a_kpa_their_structure_carries(cast: Cast):
    actor = cast.user("gestionnaire")

    services.update_kpa(actor=actor, kpa=cast.home, today=TODAY,
                        autonomy=Kpa.Autonomy.AUTONOMOUS)

    cast.home.refresh_from_db()
    assert cast.home.autonomy == Kpa.Autonomy.AUTONOMOUS
    [event] = events("directory.kpa.updated", cast.home)
    assert event.actor == actor
    assert event.data == {"fields": ["autonomy"]}


@pytest.mark.parametrize(("persona", "kpa"), [
    ("gestionnaire", "elsewhere"),
    ("referent", "home"),
    ("animateur", "home"),
    ("cooperant", "home"),
    ("outsider", "home"),
])
def test_editing_a_kpa_needs_its_carrying_structure_or_the_network(cast: Cast, persona, kpa):
    target: Kpa = getattr(cast, kpa)
    status = target.status
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.update_kpa(actor=cast.user(persona), kpa=target, today=TODAY,
                            status=Kpa.Status.CLOSED)

    target.refresh_from_db()
    assert target.status == status
    assert snapshot() == before


def test_a_kpa_update_with_an_unknown_status_changes_nothing(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_kpa(actor=cast.user("coordinateur"), kpa=cast.home, today=TODAY,
                            status="dissous")

    assert "status" in caught.value.message_dict
    cast.home.refresh_from_db()
    assert cast.home.status == Kpa.Status.ACTIVE
    assert snapshot() == before


# --- places ------------------------------------------------------------------------------------


def place_fields(**overrides) -> dict:
    return {"name": "Cuisine partagée", "address": "3 rue Pierre de Roubaix",
            "postcode": "59100", "city": "Roubaix", **overrides}


@pytest.mark.parametrize("persona", ["referent", "animateur", "gestionnaire", "coordinateur"])
def test_the_kpa_team_and_its_structure_may_open_a_place(cast: Cast, persona):
    actor = cast.user(persona)

    place = services.create_place(actor=actor, kpa=cast.home, today=TODAY, **place_fields())

    place.refresh_from_db()
    assert place.kpa == cast.home
    [event] = events("directory.place.created", place)
    assert event.actor == actor


@pytest.mark.parametrize("persona",
                         ["accompagnateur", "benevole", "cooperant", "comptable", "outsider"])
def test_others_may_not_open_a_place_in_the_kpa(cast: Cast, persona):
    # The comptable reaches the carried KPAs like the gestionnaire: try a KPA outside them.
    kpa = cast.elsewhere if persona == "comptable" else cast.home
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.create_place(actor=cast.user(persona), kpa=kpa, today=TODAY, **place_fields())

    assert snapshot() == before


def test_two_places_of_one_kpa_cannot_share_a_name(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError):
        services.create_place(actor=cast.user("referent"), kpa=cast.home, today=TODAY,
                              **place_fields(name=cast.home_place.name))

    assert snapshot() == before


def test_an_animateur_updates_a_place_of_their_kpa(cast: Cast):
    actor = cast.user("animateur")

    services.update_place(actor=actor, place=cast.home_place, today=TODAY,
                          description="Ouvert le mardi")

    cast.home_place.refresh_from_db()
    assert cast.home_place.description == "Ouvert le mardi"
    [event] = events("directory.place.updated", cast.home_place)
    assert event.actor == actor
    assert event.data == {"fields": ["description"]}


@pytest.mark.parametrize("persona", ["cooperant", "accompagnateur", "outsider"])
def test_others_may_not_update_a_place(cast: Cast, persona):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.update_place(actor=cast.user(persona), place=cast.home_place, today=TODAY,
                              description="Fermé")

    cast.home_place.refresh_from_db()
    assert cast.home_place.description == ""
    assert snapshot() == before


def test_a_place_update_missing_its_address_changes_nothing(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_place(actor=cast.user("referent"), place=cast.home_place, today=TODAY,
                              address="")

    assert "address" in caught.value.message_dict
    cast.home_place.refresh_from_db()
    assert cast.home_place.address != ""
    assert snapshot() == before


# --- roles: granting ---------------------------------------------------------------------------


def test_a_referent_grants_the_cooperant_role_in_their_kpa(cast: Cast):
    actor = cast.user("referent")
    person = PersonFactory.create()

    role = services.grant_role(actor=actor, person=person, kind=RoleKind.COOPERANT,
                               scope=cast.home, starts_on=D(2026, 12, 1), today=TODAY)

    role.refresh_from_db()
    assert (role.person, role.kind, role.kpa) == (person, RoleKind.COOPERANT, cast.home)
    assert (role.starts_on, role.ends_on) == (D(2026, 12, 1), None)
    [event] = events("directory.role.granted", role)
    assert event.actor == actor
    assert event.data["person"] == person.pk
    assert event.data["kind"] == RoleKind.COOPERANT
    assert event.data["starts_on"] == "2026-12-01"
    assert event.data["ends_on"] is None


def test_an_animateur_grants_the_benevole_role_in_their_kpa(cast: Cast):
    role = services.grant_role(actor=cast.user("animateur"), person=PersonFactory.create(),
                               kind=RoleKind.BENEVOLE, scope=cast.home,
                               starts_on=TODAY, today=TODAY)

    assert role.kind == RoleKind.BENEVOLE


def test_a_referent_cannot_grant_the_gestionnaire_role(cast: Cast):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.grant_role(actor=cast.user("referent"), person=cast.cooperant,
                            kind=RoleKind.GESTIONNAIRE, scope=cast.cae,
                            starts_on=TODAY, today=TODAY)

    assert snapshot() == before


@pytest.mark.parametrize("kind", [RoleKind.REFERENT, RoleKind.ANIMATEUR,
                                  RoleKind.ACCOMPAGNATEUR])
def test_a_referent_cannot_make_someone_staff_of_their_own_kpa(cast: Cast, kind):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.grant_role(actor=cast.user("referent"), person=cast.cooperant, kind=kind,
                            scope=cast.home, starts_on=TODAY, today=TODAY)

    assert snapshot() == before


@pytest.mark.parametrize("persona", ["accompagnateur", "benevole", "cooperant", "outsider"])
def test_who_does_not_invite_in_a_kpa_cannot_grant_a_role_there(cast: Cast, persona):
    person = PersonFactory.create()
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.grant_role(actor=cast.user(persona), person=person,
                            kind=RoleKind.COOPERANT, scope=cast.home,
                            starts_on=TODAY, today=TODAY)

    assert snapshot() == before


def test_a_referent_cannot_grant_a_role_in_another_kpa(cast: Cast):
    person = PersonFactory.create()
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.grant_role(actor=cast.user("referent"), person=person,
                            kind=RoleKind.COOPERANT, scope=cast.elsewhere,
                            starts_on=TODAY, today=TODAY)

    assert snapshot() == before


def test_a_gestionnaire_grants_the_comptable_role_in_their_structure(cast: Cast):
    role = services.grant_role(actor=cast.user("gestionnaire"), person=PersonFactory.create(),
                               kind=RoleKind.COMPTABLE, scope=cast.cae,
                               starts_on=TODAY, today=TODAY)

    assert role.structure == cast.cae
    assert events("directory.role.granted", role)


def test_a_gestionnaire_cannot_name_a_network_coordinateur(cast: Cast):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.grant_role(actor=cast.user("gestionnaire"), person=cast.gestionnaire,
                            kind=RoleKind.COORDINATEUR, scope=cast.network,
                            starts_on=TODAY, today=TODAY)

    assert snapshot() == before


@pytest.mark.parametrize("ends_on", [D(2026, 11, 30), D(2026, 12, 1)])
def test_a_role_that_ends_before_or_when_it_starts_is_refused(cast: Cast, ends_on):
    person = PersonFactory.create()
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=cast.user("referent"), person=person,
                            kind=RoleKind.COOPERANT, scope=cast.home,
                            starts_on=D(2026, 12, 1), ends_on=ends_on, today=TODAY)

    assert set(caught.value.message_dict) == {"ends_on"}
    assert "01/12/2026" in caught.value.message_dict["ends_on"][0]
    assert snapshot() == before


@pytest.mark.parametrize(("starts_on", "ends_on"), [
    (D(2026, 2, 1), None),             # starts inside the existing period
    (D(2025, 6, 1), D(2026, 1, 6)),    # ends one day into it
    (D(2025, 6, 1), None),             # wraps around it
    (D(2026, 1, 5), D(2026, 1, 6)),    # the same first day
])
def test_a_role_overlapping_the_same_role_in_the_same_kpa_is_refused(cast: Cast, starts_on,
                                                                     ends_on):
    # The cast's coopérant holds the role from 2026-01-05, with no end.
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=cast.user("referent"), person=cast.cooperant,
                            kind=RoleKind.COOPERANT, scope=cast.home,
                            starts_on=starts_on, ends_on=ends_on, today=TODAY)

    assert set(caught.value.message_dict) == {"starts_on"}
    message = caught.value.message_dict["starts_on"][0]
    assert "chevaucher" in message
    assert "05/01/2026" in message
    assert "sans date de fin" in message
    assert snapshot() == before


def test_a_role_overlapping_a_closed_period_names_its_end_date(cast: Cast):
    person = PersonFactory.create()
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
              ends_on=D(2026, 3, 1))

    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=cast.user("referent"), person=person,
                            kind=RoleKind.COOPERANT, scope=cast.home,
                            starts_on=D(2026, 2, 28), today=TODAY)

    assert "01/03/2026" in caught.value.message_dict["starts_on"][0]


def test_adjacent_periods_are_allowed_because_the_end_is_exclusive(cast: Cast):
    person = PersonFactory.create()
    actor = cast.user("referent")
    first = services.grant_role(actor=actor, person=person, kind=RoleKind.COOPERANT,
                                scope=cast.home, starts_on=D(2026, 1, 5),
                                ends_on=D(2026, 3, 1), today=TODAY)

    second = services.grant_role(actor=actor, person=person, kind=RoleKind.COOPERANT,
                                 scope=cast.home, starts_on=D(2026, 3, 1), today=TODAY)

    assert first.ends_on == second.starts_on == D(2026, 3, 1)
    assert Role.objects.filter(person=person).count() == 2


def test_a_period_may_also_be_slotted_in_just_before_an_existing_one(cast: Cast):
    person = PersonFactory.create()
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 3, 1))

    role = services.grant_role(actor=cast.user("referent"), person=person,
                               kind=RoleKind.COOPERANT, scope=cast.home,
                               starts_on=D(2026, 1, 5), ends_on=D(2026, 3, 1), today=TODAY)

    assert role.pk is not None


def test_the_same_period_in_another_role_or_another_kpa_is_no_overlap(cast: Cast):
    # The coopérant already holds the coopérant role in `home` from 2026-01-05, open.
    coordinateur = cast.user("coordinateur")

    benevole = services.grant_role(actor=coordinateur, person=cast.cooperant,
                                   kind=RoleKind.BENEVOLE, scope=cast.home,
                                   starts_on=D(2026, 1, 5), today=TODAY)
    elsewhere = services.grant_role(actor=coordinateur, person=cast.cooperant,
                                    kind=RoleKind.COOPERANT, scope=cast.elsewhere,
                                    starts_on=D(2026, 1, 5), today=TODAY)

    assert benevole.pk is not None
    assert elsewhere.pk is not None


def test_a_person_can_hold_several_roles_in_several_kpas(cast: Cast):
    coordinateur = cast.user("coordinateur")
    person = PersonFactory.create()
    third = KpaFactory.create(network=cast.network, carrying_structure=cast.cae)

    services.grant_role(actor=coordinateur, person=person, kind=RoleKind.COOPERANT,
                        scope=cast.home, starts_on=D(2026, 2, 1), today=TODAY)
    services.grant_role(actor=coordinateur, person=person, kind=RoleKind.ANIMATEUR,
                        scope=cast.home, starts_on=D(2026, 6, 1), today=TODAY)
    services.grant_role(actor=coordinateur, person=person, kind=RoleKind.COOPERANT,
                        scope=cast.elsewhere, starts_on=D(2026, 3, 1), today=TODAY)
    services.grant_role(actor=coordinateur, person=person, kind=RoleKind.BENEVOLE,
                        scope=third, starts_on=D(2026, 4, 1), today=TODAY)

    held = {(role.kind, role.kpa) for role in current_roles_of(person, today=TODAY)}
    assert held == {
        (RoleKind.COOPERANT, cast.home),
        (RoleKind.ANIMATEUR, cast.home),
        (RoleKind.COOPERANT, cast.elsewhere),
        (RoleKind.BENEVOLE, third),
    }


@pytest.mark.parametrize(("kind", "scope"), [
    (RoleKind.GESTIONNAIRE, "home"),
    (RoleKind.COMPTABLE, "network"),
    (RoleKind.COORDINATEUR, "home"),
    (RoleKind.COORDINATEUR, "cae"),
    (RoleKind.COOPERANT, "cae"),
    (RoleKind.REFERENT, "network"),
])
def test_a_role_kind_in_the_wrong_kind_of_scope_is_refused(cast: Cast, kind, scope):
    # The coordinateur may grant anything anywhere in the network: only the rule stops it.
    person = PersonFactory.create()
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=cast.user("coordinateur"), person=person, kind=kind,
                            scope=getattr(cast, scope), starts_on=TODAY, today=TODAY)

    assert set(caught.value.message_dict) == {"kind"}
    assert "ne peut pas être donné à ce niveau" in caught.value.message_dict["kind"][0]
    assert snapshot() == before


def test_an_unknown_role_kind_is_refused(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.grant_role(actor=cast.user("coordinateur"), person=cast.cooperant,
                            kind="tresorier", scope=cast.home, starts_on=TODAY, today=TODAY)

    assert set(caught.value.message_dict) == {"kind"}
    assert snapshot() == before


def test_granting_oneself_a_role_refreshes_ones_own_reach(cast: Cast):
    actor = cast.user("coordinateur")
    assert reach_of(actor, TODAY).member_kpas == frozenset()

    services.grant_role(actor=actor, person=cast.coordinateur, kind=RoleKind.ANIMATEUR,
                        scope=cast.home, starts_on=TODAY, today=TODAY)

    assert reach_of(actor, TODAY).member_kpas == {cast.home.pk}


# --- roles: ending -----------------------------------------------------------------------------


def test_a_referent_ends_a_cooperant_role_and_the_end_is_audited(cast: Cast):
    actor = cast.user("referent")
    role = cast.cooperant.roles.get(kpa=cast.home)

    services.end_role(actor=actor, role=role, ends_on=D(2026, 12, 1), today=TODAY)

    role.refresh_from_db()
    assert role.ends_on == D(2026, 12, 1)
    [event] = events("directory.role.ended", role)
    assert event.actor == actor
    assert event.data == {"ends_on": "2026-12-01"}


def test_an_ended_role_no_longer_gives_reach_from_its_end_date(cast: Cast):
    role = cast.cooperant.roles.get(kpa=cast.home)

    services.end_role(actor=cast.user("referent"), role=role, ends_on=TODAY, today=TODAY)

    cooperant = User.objects.get(pk=cast.user("cooperant").pk)  # a fresh login, no cached reach
    assert not kpas_visible_to(cooperant, today=TODAY).exists()
    assert kpas_visible_to(cooperant, today=TODAY - dt.timedelta(days=1)).exists()


@pytest.mark.parametrize("ends_on", [D(2026, 1, 5), D(2025, 12, 31)])
def test_a_role_cannot_end_on_or_before_its_start(cast: Cast, ends_on):
    role = cast.cooperant.roles.get(kpa=cast.home)
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.end_role(actor=cast.user("referent"), role=role, ends_on=ends_on, today=TODAY)

    assert "ends_on" in caught.value.message_dict
    role.refresh_from_db()
    assert role.ends_on is None
    assert snapshot() == before


def test_moving_an_end_date_into_the_next_period_is_refused(cast: Cast):
    person = PersonFactory.create()
    first = give_role(person, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 1, 5),
                      ends_on=D(2026, 3, 1))
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=D(2026, 3, 1))
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.end_role(actor=cast.user("referent"), role=first, ends_on=D(2026, 4, 1),
                          today=TODAY)

    assert "starts_on" in caught.value.message_dict
    first.refresh_from_db()
    assert first.ends_on == D(2026, 3, 1)
    assert snapshot() == before


@pytest.mark.parametrize(("persona", "holder"), [
    ("benevole", "cooperant"),
    ("accompagnateur", "cooperant"),
    ("outsider", "cooperant"),
    ("referent", "animateur"),   # a referent may not remove a fellow staff member
    ("referent", "gestionnaire"),
])
def test_ending_a_role_needs_the_right_to_grant_it(cast: Cast, persona, holder):
    role = getattr(cast, holder).roles.get()
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.end_role(actor=cast.user(persona), role=role, ends_on=TODAY, today=TODAY)

    role.refresh_from_db()
    assert role.ends_on is None
    assert snapshot() == before


# --- persons: inviting -------------------------------------------------------------------------


def test_inviting_someone_without_e_mail_makes_the_inviter_act_for_them(cast: Cast):
    actor = cast.user("referent")
    before = snapshot()

    person = services.invite_person(actor=actor, kpa=cast.home, first_name="  Fatou ",
                                    last_name=" Diallo ", starts_on=TODAY, today=TODAY)

    person.refresh_from_db()
    assert (person.first_name, person.last_name) == ("Fatou", "Diallo")
    assert person.user is None
    assert person.email == ""
    assert person.proxy == cast.referent
    [role] = person.roles.all()
    assert (role.kind, role.kpa, role.starts_on) == (RoleKind.COOPERANT, cast.home, TODAY)
    [invited] = events("directory.person.invited", person)
    assert invited.actor == actor
    assert invited.data == {"kpa": cast.home.pk, "kind": RoleKind.COOPERANT,
                            "has_account": False, "acting_for": True}
    assert events("directory.role.granted", role)
    after = snapshot()
    assert after["Person"] == before["Person"] + 1
    assert after["User"] == before["User"]


def test_inviting_someone_with_an_e_mail_creates_an_account_without_a_usable_password(
    cast: Cast,
):
    actor = cast.user("animateur")

    person = services.invite_person(actor=actor, kpa=cast.home, first_name="Yanis",
                                    last_name="Bouzid", email="  Yanis.Bouzid@Exemple.ORG ",
                                    kind=RoleKind.BENEVOLE, starts_on=TODAY, today=TODAY)

    person.refresh_from_db()
    assert person.email == "yanis.bouzid@exemple.org"
    assert person.proxy is None
    user = person.user
    assert user is not None
    assert user.email == "yanis.bouzid@exemple.org"
    assert user.username == "yanis.bouzid"
    assert (user.first_name, user.last_name) == ("Yanis", "Bouzid")
    assert not user.has_usable_password()
    assert person.roles.get().kind == RoleKind.BENEVOLE
    [invited] = events("directory.person.invited", person)
    assert invited.data["has_account"] is True
    assert invited.data["acting_for"] is False


def test_an_invited_username_never_collides_with_an_existing_login(cast: Cast):
    person = services.invite_person(actor=cast.user("referent"), kpa=cast.home,
                                    first_name="Autre", last_name="Coopérante",
                                    email="cooperant@ailleurs.org", starts_on=TODAY, today=TODAY)

    assert person.user is not None
    assert person.user.username == "cooperant2"


def test_inviting_with_an_e_mail_that_already_has_an_account_is_refused(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.invite_person(actor=cast.user("referent"), kpa=cast.home, first_name="Inès",
                               last_name="Doublon", email="COOPERANT@exemple.org",
                               starts_on=TODAY, today=TODAY)

    assert set(caught.value.message_dict) == {"email"}
    assert "déjà un compte" in caught.value.message_dict["email"][0]
    assert snapshot() == before


@pytest.mark.parametrize("persona", ["accompagnateur", "benevole", "cooperant", "outsider"])
def test_who_does_not_invite_in_a_kpa_cannot_invite_there(cast: Cast, persona):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.invite_person(actor=cast.user(persona), kpa=cast.home, first_name="Léa",
                               last_name="Martin", email="lea@exemple.org",
                               starts_on=TODAY, today=TODAY)

    assert snapshot() == before


def test_a_referent_cannot_invite_someone_straight_in_as_referent(cast: Cast):
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.invite_person(actor=cast.user("referent"), kpa=cast.home, first_name="Léa",
                               last_name="Martin", kind=RoleKind.REFERENT,
                               starts_on=TODAY, today=TODAY)

    assert snapshot() == before


def test_an_invitation_with_an_invalid_e_mail_writes_nothing(cast: Cast):
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.invite_person(actor=cast.user("referent"), kpa=cast.home, first_name="Léa",
                               last_name="Martin", email="pas-un-email",
                               starts_on=TODAY, today=TODAY)

    assert "email" in caught.value.message_dict
    assert snapshot() == before


def test_when_the_first_role_is_refused_the_invitation_leaves_no_person_and_no_account(
    cast: Cast,
):
    # The coordinateur passes every gate, but a gestionnaire role cannot sit in a KPA: the
    # person and the account are already saved when grant_role refuses.
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.invite_person(actor=cast.user("coordinateur"), kpa=cast.home,
                               first_name="Léa", last_name="Martin", email="lea@exemple.org",
                               kind=RoleKind.GESTIONNAIRE, starts_on=TODAY, today=TODAY)

    assert "kind" in caught.value.message_dict
    assert snapshot() == before
    assert not User.objects.filter(email="lea@exemple.org").exists()
    assert not Person.objects.filter(last_name="Martin").exists()
    assert not AuditEvent.objects.filter(action="directory.person.invited").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_invitation_is_rolled_back_in_a_real_transaction(cast: Cast):
    """Same as above without the test's wrapping transaction: the service's own atomic block
    is what undoes the person and the account."""
    before = snapshot()

    with pytest.raises(ValidationError):
        services.invite_person(actor=cast.user("coordinateur"), kpa=cast.home,
                               first_name="Léa", last_name="Martin", email="lea@exemple.org",
                               kind=RoleKind.COMPTABLE, starts_on=TODAY, today=TODAY)

    assert snapshot() == before
    assert not User.objects.filter(email="lea@exemple.org").exists()


# --- persons: updating -------------------------------------------------------------------------


def test_a_person_updates_their_own_phone_and_the_change_is_audited(cast: Cast):
    actor = cast.user("cooperant")

    services.update_person(actor=actor, person=cast.cooperant, today=TODAY,
                           phone="06 12 34 56 78")

    cast.cooperant.refresh_from_db()
    assert cast.cooperant.phone == "06 12 34 56 78"
    [event] = events("directory.person.updated", cast.cooperant)
    assert event.actor == actor
    assert event.data == {"fields": ["phone"]}


def test_a_new_e_mail_is_normalised_and_copied_to_the_login(cast: Cast):
    services.update_person(actor=cast.user("referent"), person=cast.cooperant, today=TODAY,
                           email="  Ines.Nouvelle@Exemple.org ")

    cast.cooperant.refresh_from_db()
    assert cast.cooperant.email == "ines.nouvelle@exemple.org"
    assert User.objects.get(pk=cast.cooperant.user_id).email == "ines.nouvelle@exemple.org"


def test_a_referent_may_update_someone_they_act_for(cast: Cast):
    services.update_person(actor=cast.user("referent"), person=cast.quiet_cooperant,
                           today=TODAY, phone="03 20 00 00 00")

    cast.quiet_cooperant.refresh_from_db()
    assert cast.quiet_cooperant.phone == "03 20 00 00 00"


def test_an_e_mail_already_set_on_the_instance_by_a_form_still_reaches_the_login(cast: Cast):
    # A ModelForm's validation writes the cleaned values onto the instance before the view
    # calls the service: changes are measured against the stored row, not the instance.
    cast.cooperant.email = "ines.nouvelle@exemple.org"

    services.update_person(actor=cast.user("cooperant"), person=cast.cooperant, today=TODAY,
                           email="ines.nouvelle@exemple.org")

    assert User.objects.get(pk=cast.cooperant.user_id).email == "ines.nouvelle@exemple.org"
    [event] = events("directory.person.updated", cast.cooperant)
    assert event.data == {"fields": ["email"]}


def test_the_audited_fields_are_those_that_differ_from_the_stored_row(cast: Cast):
    cast.home.city = "Tourcoing"  # as a bound ModelForm would have done
    cast.home.status = Kpa.Status.PAUSED

    services.update_kpa(actor=cast.user("gestionnaire"), kpa=cast.home, today=TODAY,
                        name=cast.home.name, city="Tourcoing", status=Kpa.Status.PAUSED)

    [event] = events("directory.kpa.updated", cast.home)
    assert sorted(event.data["fields"]) == ["city", "status"]


@pytest.mark.parametrize(("persona", "person"), [
    ("benevole", "cooperant"),
    ("cooperant", "quiet_cooperant"),
    ("accompagnateur", "cooperant"),
    ("outsider", "cooperant"),
    ("animateur", "referent"),  # a fellow staff member is edited by the structure, not peers
    ("gestionnaire", "outsider"),
])
def test_others_may_not_update_a_person(cast: Cast, persona, person):
    target: Person = getattr(cast, person)
    before = snapshot()

    with pytest.raises(PermissionDenied):
        services.update_person(actor=cast.user(persona), person=target, today=TODAY,
                               phone="00 00 00 00 00")

    target.refresh_from_db()
    assert target.phone == ""
    assert snapshot() == before


def test_a_person_update_with_an_invalid_e_mail_changes_nothing(cast: Cast):
    old_email = cast.cooperant.email
    before = snapshot()

    with pytest.raises(ValidationError) as caught:
        services.update_person(actor=cast.user("referent"), person=cast.cooperant,
                               today=TODAY, email="pas-un-email")

    assert "email" in caught.value.message_dict
    cast.cooperant.refresh_from_db()
    assert cast.cooperant.email == old_email
    assert User.objects.get(pk=cast.cooperant.user_id).email == old_email
    assert snapshot() == before
