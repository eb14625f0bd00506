"""The directory's REST API, walked by the persona cast: scoping, 404s, the invite write, errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import PERSONA_NAMES, SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.directory import services
from kpa.directory.models import Person, Role, RoleKind
from kpa.directory.tests.factories import KpaFactory, PersonFactory, give_role

API = "/api/v1"
ApiClient = Callable[[str], Client]


def user_of(cast: Cast, persona: str) -> User:
    """The persona's login, typed as the platform's User model."""
    user: User | None = getattr(cast, persona).user
    assert user is not None
    return user

HOME_PEOPLE = {"cooperant", "referent", "animateur", "accompagnateur", "benevole",
               "quiet_cooperant"}
CAE_PEOPLE = HOME_PEOPLE | {"gestionnaire", "comptable"}
EVERYONE_WITH_A_ROLE = CAE_PEOPLE | {"coordinateur", "outsider"}

HOME_MEMBERS_AND_CAE = ["cooperant", "referent", "animateur", "accompagnateur", "benevole",
                        "gestionnaire", "comptable"]

VISIBLE_KPAS = {
    **{persona: {"home"} for persona in HOME_MEMBERS_AND_CAE},
    "coordinateur": {"home", "elsewhere"},
    "admin": {"home", "elsewhere"},
    "outsider": {"elsewhere"},
}
VISIBLE_STRUCTURES = {
    **{persona: {"cae"} for persona in HOME_MEMBERS_AND_CAE},
    "coordinateur": {"cae", "other_structure"},
    "admin": {"cae", "other_structure"},
    "outsider": {"other_structure"},
}
VISIBLE_PERSONS = {
    "cooperant": {"cooperant"},
    "benevole": {"benevole"},
    "referent": HOME_PEOPLE,
    "animateur": HOME_PEOPLE,
    "accompagnateur": HOME_PEOPLE,
    "gestionnaire": CAE_PEOPLE,
    "comptable": CAE_PEOPLE,
    "coordinateur": EVERYONE_WITH_A_ROLE,
    "admin": EVERYONE_WITH_A_ROLE | {"admin"},
    "outsider": {"outsider"},
}
ALL_PERSONAS = [*PERSONA_NAMES, "outsider"]


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    """`api("referent")` is a client carrying a fresh bearer token of that persona."""

    def client_for(persona: str) -> Client:
        _, secret = create_api_token(actor=None, user=user_of(cast, persona))
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return client_for


def ids_of(cast: Cast, names: set[str]) -> set[int]:
    return {getattr(cast, name).pk for name in names}


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return body["items"]  # type: ignore[no-any-return]


def post_json(client: Client, url: str, data: Any) -> Any:
    body = data if isinstance(data, str) else json.dumps(data)
    return client.post(url, body, content_type="application/json")


# --- Reads: each persona sees exactly what the selectors give them -------------------------

@pytest.mark.parametrize("persona", ALL_PERSONAS)
def test_each_persona_lists_and_opens_exactly_what_they_reach_and_gets_404_for_the_rest(
    cast: Cast, api: ApiClient, persona: str
) -> None:
    client = api(persona)
    expected = {"kpas": VISIBLE_KPAS[persona], "structures": VISIBLE_STRUCTURES[persona],
                "persons": VISIBLE_PERSONS[persona]}
    candidates = {"kpas": {"home", "elsewhere"}, "structures": {"cae", "other_structure"},
                  "persons": EVERYONE_WITH_A_ROLE | {"admin"}}
    for path, visible in expected.items():
        listed = {item["id"] for item in items(client.get(f"{API}/{path}"))}
        assert listed == ids_of(cast, visible), path
        for name in candidates[path]:
            status = client.get(f"{API}/{path}/{getattr(cast, name).pk}").status_code
            assert status == (200 if name in visible else 404), (path, name)


def test_the_outsider_gets_404_json_on_every_home_id(cast: Cast, api: ApiClient) -> None:
    client = api("outsider")
    urls = [f"{API}/kpas/{cast.home.pk}", f"{API}/structures/{cast.cae.pk}"] + [
        f"{API}/persons/{getattr(cast, name).pk}" for name in CAE_PEOPLE | {"coordinateur"}
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Introuvable."}
        assert SECRET_MARKER not in response.content.decode()


def test_the_outsider_never_reads_the_home_kpas_data_in_any_list(
    cast: Cast, api: ApiClient
) -> None:
    client = api("outsider")
    for path in ("kpas", "structures", "persons"):
        response = client.get(f"{API}/{path}")
        assert response.status_code == 200
        assert SECRET_MARKER not in response.content.decode(), path


def test_unknown_or_oversized_ids_answer_404_json_and_non_numeric_ids_match_no_route(
    api: ApiClient,
) -> None:
    client = api("admin")
    for path in ("kpas", "structures", "persons"):
        for missing_id in ("987654", "9" * 30):
            missing = client.get(f"{API}/{path}/{missing_id}")
            assert missing.status_code == 404, missing_id
            assert missing.json() == {"detail": "Introuvable."}
        assert client.get(f"{API}/{path}/abc").status_code == 404


def test_a_kpa_shows_its_structures_and_network_by_name(cast: Cast, api: ApiClient) -> None:
    body = api("cooperant").get(f"{API}/kpas/{cast.home.pk}").json()
    assert body["name"] == cast.home.name
    assert body["carrying_structure"] == {"id": cast.cae.pk, "name": cast.cae.name}
    assert body["network"] == {"id": cast.network.pk, "name": cast.network.name}
    assert body["local_structure"] is None
    assert body["status"] == "active"


def test_a_structure_shows_its_legal_identifiers(cast: Cast, api: ApiClient) -> None:
    body = api("gestionnaire").get(f"{API}/structures/{cast.cae.pk}").json()
    assert body["siren"] == cast.cae.siren
    assert body["siret"] == cast.cae.siret
    assert body["kind"] == "cae"


def test_a_person_shows_contact_and_roles_but_no_account_internals(
    cast: Cast, api: ApiClient
) -> None:
    response = api("referent").get(f"{API}/persons/{cast.cooperant.pk}")

    body = response.json()
    assert set(body) == {"id", "first_name", "last_name", "email", "phone", "has_account",
                         "proxy_id", "roles"}
    assert body["email"] == cast.cooperant.email
    assert body["has_account"] is True
    assert body["roles"] == [{
        "id": cast.cooperant.roles.get().pk, "kind": "cooperant", "scope_type": "kpa",
        "scope_id": cast.home.pk, "scope_name": cast.home.name,
        "starts_on": "2026-01-05", "ends_on": None,
    }]
    text = response.content.decode()
    for internal in ("password", "argon2", "is_superuser", "is_staff", "last_login", "username"):
        assert internal not in text


def test_a_person_lists_only_the_roles_the_reader_may_see(cast: Cast, api: ApiClient) -> None:
    # The home coopérant also volunteers in the other KPA, which the home référent cannot see.
    give_role(cast.cooperant, RoleKind.BENEVOLE, cast.elsewhere, starts_on=dt.date(2026, 2, 1))

    seen_by_referent = api("referent").get(f"{API}/persons/{cast.cooperant.pk}").json()
    seen_by_coordinator = api("coordinateur").get(f"{API}/persons/{cast.cooperant.pk}").json()

    assert {r["scope_id"] for r in seen_by_referent["roles"]} == {cast.home.pk}
    assert {r["scope_id"] for r in seen_by_coordinator["roles"]} == {cast.home.pk,
                                                                     cast.elsewhere.pk}


def test_a_cooperant_reads_their_own_record_with_their_roles(cast: Cast, api: ApiClient) -> None:
    body = api("cooperant").get(f"{API}/persons/{cast.cooperant.pk}").json()
    assert body["id"] == cast.cooperant.pk
    assert [r["kind"] for r in body["roles"]] == ["cooperant"]


def test_a_person_without_login_shows_who_acts_for_them(cast: Cast, api: ApiClient) -> None:
    Person.objects.filter(pk=cast.quiet_cooperant.pk).update(proxy=cast.referent)
    body = api("referent").get(f"{API}/persons/{cast.quiet_cooperant.pk}").json()
    assert body["has_account"] is False
    assert body["proxy_id"] == cast.referent.pk


def test_lists_are_paginated_with_limit_and_offset(cast: Cast, api: ApiClient) -> None:
    client = api("referent")
    first = client.get(f"{API}/persons", {"limit": 2, "offset": 0}).json()
    rest = client.get(f"{API}/persons", {"limit": 10, "offset": 2}).json()

    assert first["count"] == rest["count"] == len(HOME_PEOPLE)
    assert len(first["items"]) == 2
    ids = [p["id"] for p in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(ids_of(cast, HOME_PEOPLE))


# --- Query counts: lists cost the same whatever their size ----------------------------------

# Token (1) + last use (1) + reach: person and roles (2) + count (1) + page (1).
LIST_QUERIES = 6


@pytest.fixture
def crowded(cast: Cast) -> Cast:
    start = dt.date(2026, 3, 1)
    for n in range(15):
        kpa = KpaFactory.create(network=cast.network, name=f"KPA bondé {n}",
                                carrying_structure=cast.cae)
        give_role(PersonFactory.create(), RoleKind.COOPERANT, kpa, starts_on=start)
        give_role(PersonFactory.create(), RoleKind.COOPERANT, cast.home, starts_on=start)
    return cast


@pytest.mark.parametrize("persona", ["admin", "coordinateur", "gestionnaire", "referent"])
def test_list_endpoints_run_a_fixed_number_of_queries(
    crowded: Cast, api: ApiClient, django_assert_max_num_queries: Any, persona: str
) -> None:
    for path in ("kpas", "structures", "persons"):
        client = api(persona)  # a fresh token: its first use is written, the worst case
        with django_assert_max_num_queries(LIST_QUERIES):
            response = client.get(f"{API}/{path}")
        assert response.status_code == 200
        assert response.json()["count"] >= 1


def test_a_person_detail_runs_a_fixed_number_of_queries(
    crowded: Cast, api: ApiClient, django_assert_max_num_queries: Any
) -> None:
    give_role(crowded.cooperant, RoleKind.BENEVOLE, crowded.elsewhere,
              starts_on=dt.date(2026, 2, 1))
    client = api("coordinateur")
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(f"{API}/persons/{crowded.cooperant.pk}")
    assert len(response.json()["roles"]) == 2


# --- The one write: inviting a person into a KPA --------------------------------------------

def invite_url(cast: Cast, kpa_name: str = "home") -> str:
    return f"{API}/kpas/{getattr(cast, kpa_name).pk}/persons"


VALID_INVITE = {"first_name": "Inès", "last_name": "Nouvelle", "starts_on": "2026-12-01"}


def test_a_referent_invites_a_person_without_email_and_acts_for_them(
    cast: Cast, api: ApiClient
) -> None:
    response = post_json(api("referent"), invite_url(cast), VALID_INVITE)

    assert response.status_code == 201, response.content
    body = response.json()
    person = Person.objects.get(pk=body["id"])
    assert (person.first_name, person.last_name) == ("Inès", "Nouvelle")
    assert person.user is None
    assert person.proxy == cast.referent
    assert body["proxy_id"] == cast.referent.pk
    assert body["roles"][0]["kind"] == "cooperant"
    assert body["roles"][0]["starts_on"] == "2026-12-01"
    role = Role.objects.get(person=person)
    assert (role.kpa, role.kind, role.starts_on) == (cast.home, "cooperant", dt.date(2026, 12, 1))
    actions = set(AuditEvent.objects.filter(actor=user_of(cast, "referent"))
                  .values_list("action", flat=True))
    assert {"directory.person.invited", "directory.role.granted"} <= actions


def test_an_invitation_with_email_creates_an_account_mails_a_link_and_shows_no_internals(
    cast: Cast, api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    payload = {**VALID_INVITE, "email": "Ines@Exemple.org", "phone": "06 12 34 56 78",
               "kind": "benevole"}
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api("animateur"), invite_url(cast), payload)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "ines@exemple.org"
    assert body["has_account"] is True
    assert body["roles"][0]["kind"] == "benevole"
    assert "password" not in response.content.decode()
    assert Person.objects.get(pk=body["id"]).user is not None
    [message] = mail.outbox
    assert message.to == ["ines@exemple.org"]
    assert "/compte/" in message.body


def test_an_invitation_without_email_sends_no_mail(
    cast: Cast, api: ApiClient, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(api("referent"), invite_url(cast), VALID_INVITE)
    assert response.status_code == 201
    assert mail.outbox == []


def test_the_invite_works_with_a_bearer_token_even_when_csrf_is_enforced(
    cast: Cast
) -> None:
    _, secret = create_api_token(actor=None, user=user_of(cast, "referent"))
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {secret}"})
    assert post_json(client, invite_url(cast), VALID_INVITE).status_code == 201


def test_the_outsider_gets_404_when_inviting_into_the_home_kpa(
    cast: Cast, api: ApiClient
) -> None:
    response = post_json(api("outsider"), invite_url(cast), VALID_INVITE)
    assert response.status_code == 404
    assert response.json() == {"detail": "Introuvable."}
    assert not Person.objects.filter(last_name="Nouvelle").exists()


def test_members_who_may_not_invite_get_403(cast: Cast, api: ApiClient) -> None:
    for persona in ("cooperant", "benevole", "accompagnateur"):
        response = post_json(api(persona), invite_url(cast), VALID_INVITE)
        assert response.status_code == 403, persona
        assert response.json() == {"detail": "Vous n'avez pas le droit de faire cela ici."}
    assert not Person.objects.filter(last_name="Nouvelle").exists()


def test_a_referent_may_not_name_another_referent_and_gets_403(
    cast: Cast, api: ApiClient
) -> None:
    response = post_json(api("referent"), invite_url(cast), {**VALID_INVITE, "kind": "referent"})
    assert response.status_code == 403


def test_the_carrying_structures_gestionnaire_may_name_a_referent(
    cast: Cast, api: ApiClient
) -> None:
    payload = {**VALID_INVITE, "kind": "referent"}
    assert post_json(api("gestionnaire"), invite_url(cast), payload).status_code == 201


def test_unauthenticated_invites_get_401(cast: Cast) -> None:
    assert post_json(Client(), invite_url(cast), VALID_INVITE).status_code == 401


def test_malformed_bodies_answer_422_json(cast: Cast, api: ApiClient) -> None:
    client = api("referent")
    for body in ("{not json", "", "[1, 2]", '"texte"', "null", b"\xff\xfe{"):
        response = client.post(invite_url(cast), body, content_type="application/json")
        assert response.status_code == 422, (body, response.content)
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"], body
    assert not Person.objects.filter(last_name="Nouvelle").exists()


def test_a_body_that_is_not_json_is_explained_in_french(cast: Cast, api: ApiClient) -> None:
    response = post_json(api("referent"), invite_url(cast), "{not json")
    assert response.json()["detail"] == [{
        "loc": ["body"], "msg": "Le corps de la requête n'est pas un JSON valide.",
        "type": "json_invalid",
    }]


def test_invalid_fields_answer_422_naming_the_field(cast: Cast, api: ApiClient) -> None:
    client = api("referent")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"starts_on": "2026-02-30"}, "starts_on"),
        ({"starts_on": "demain"}, "starts_on"),
        ({"starts_on": None}, "starts_on"),
        ({"kind": "coordinateur"}, "kind"),
        ({"first_name": 12}, "first_name"),
    ]
    for change, field in cases:
        response = post_json(client, invite_url(cast), {**VALID_INVITE, **change})
        assert response.status_code == 422, change
        assert field in {error["loc"][-1] for error in response.json()["detail"]}, change
    assert not Person.objects.filter(last_name="Nouvelle").exists()


def test_a_missing_start_date_answers_422(cast: Cast, api: ApiClient) -> None:
    payload = {k: v for k, v in VALID_INVITE.items() if k != "starts_on"}
    response = post_json(api("referent"), invite_url(cast), payload)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "starts_on"


def test_rules_refused_by_the_service_answer_422_in_french_per_field(
    cast: Cast, api: ApiClient
) -> None:
    payload = {**VALID_INVITE, "first_name": "  ", "email": "pas-un-email"}
    response = post_json(api("referent"), invite_url(cast), payload)

    assert response.status_code == 422
    errors = {error["loc"][-1]: error["msg"] for error in response.json()["detail"]}
    assert set(errors) == {"first_name", "email"}
    assert "vide" in errors["first_name"]
    assert "valide" in errors["email"]


def test_an_email_already_in_use_answers_422_in_french(cast: Cast, api: ApiClient) -> None:
    payload = {**VALID_INVITE, "email": cast.cooperant.email}
    response = post_json(api("referent"), invite_url(cast), payload)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "email"]
    assert error["msg"].startswith("Une personne a déjà un compte avec cet e-mail")


def test_an_overlapping_role_period_answers_422_in_french(
    cast: Cast, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A newly invited person has no earlier role, so the endpoint cannot produce an overlap by
    # itself; this sends the service's real overlap refusal through the API's error handling.
    def invite_someone_already_there(**kwargs: Any) -> Person:
        services.grant_role(actor=kwargs["actor"], person=cast.quiet_cooperant,
                            kind=RoleKind.COOPERANT, scope=cast.home,
                            starts_on=kwargs["starts_on"], today=kwargs["today"])
        raise AssertionError("the overlap should have been refused")

    monkeypatch.setattr(services, "invite_person", invite_someone_already_there)
    response = post_json(api("referent"), invite_url(cast), VALID_INVITE)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "starts_on"]
    assert "chevaucher" in error["msg"]


def test_a_non_field_validation_error_answers_422_without_a_field(
    cast: Cast, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**kwargs: Any) -> Person:
        raise ValidationError("Refusé pour une raison générale.")

    monkeypatch.setattr(services, "invite_person", refuse)
    response = post_json(api("referent"), invite_url(cast), VALID_INVITE)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body"], "msg": "Refusé pour une raison générale.", "type": "value_error"}
    ]


# --- The OpenAPI document ---------------------------------------------------------------------

def test_the_openapi_document_is_public_and_lists_every_path(cast: Cast) -> None:
    response = Client().get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/kpas", "/api/v1/kpas/{kpa_id}", "/api/v1/structures",
        "/api/v1/structures/{structure_id}", "/api/v1/persons", "/api/v1/persons/{person_id}",
        "/api/v1/kpas/{kpa_id}/persons",
    } <= paths
    assert "post" in schema["paths"]["/api/v1/kpas/{kpa_id}/persons"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def with_home_ids(path: str, cast: Cast) -> str:
    """Fill a route's ids with the home KPA's objects; ids of later apps get the CAE's pk, which
    names no object of theirs in the outsider's reach either."""
    url = (path.replace("{kpa_id}", str(cast.home.pk))
           .replace("{structure_id}", str(cast.cae.pk))
           .replace("{person_id}", str(cast.referent.pk)))
    return re.sub(r"\{\w+\}", str(cast.cae.pk), url)


def test_every_api_route_answers_401_without_a_token(cast: Cast) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    client = Client()
    for path, operations in schema["paths"].items():
        url = with_home_ids(path, cast)
        for method in operations:
            response = getattr(client, method)(url, content_type="application/json")
            assert response.status_code == 401, (method, path)


def test_the_outsider_probe_walks_every_api_route_with_home_ids_and_gets_404(
    cast: Cast, api: ApiClient
) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    client = api("outsider")
    for path, operations in schema["paths"].items():
        if "{" not in path:
            continue
        url = with_home_ids(path, cast)
        for method in operations:
            if method == "get":
                response = client.get(url)
            else:
                response = getattr(client, method)(url, json.dumps(VALID_INVITE),
                                                   content_type="application/json")
            # A body that does not fit the route (JSON, or a multipart form and its file) is
            # refused before any lookup: that says nothing about the object, so it is as blind
            # as a 404.
            refused_body = response.status_code == 422 and all(
                error["loc"][0] in ("body", "form", "file") for error in response.json()["detail"])
            assert response.status_code == 404 or refused_body, (method, path)
