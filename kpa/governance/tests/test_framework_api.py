"""The framework API: read the framework in force and any version, compare two, draft and edit
as a coordinator, assess a KPA criterion by criterion, read the suggested evidence, designate
the delegate; 404 out of reach, 403 visible but not allowed, 422 in French; no route makes a
version current."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.governance import framework
from kpa.governance.models import FrameworkCriterion, FrameworkVersion

API = "/api/v1/governance"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.fixture
def version(cast: Cast) -> FrameworkVersion:
    return framework.install_framework(cast.network, actor=None)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(client: Client, method: str, path: str, data: Any = None) -> Any:
    return getattr(client, method)(f"{API}{path}", json.dumps({} if data is None else data),
                                   content_type="application/json")


def messages(response: Any) -> str:
    assert response.status_code == 422, response.content
    return " ".join(error["msg"] for error in response.json()["detail"])


def test_the_framework_in_force_and_its_versions_read_through_the_api(
        cast: Cast, version: FrameworkVersion) -> None:
    member = client_of(cast.user("cooperant"))
    body = member.get(f"{API}/framework/networks/{cast.network.pk}/current").json()
    assert (body["id"], body["status"], body["adopted_on"]) == (version.pk, "current",
                                                                 "2024-12-06")
    assert [p["position"] for p in body["pillars"]] == [1, 2, 3, 4, 5]
    first = body["pillars"][0]["criteria"][0]
    assert (first["code"], first["evidence_keys"]) == ("1.1", ["activities", "cape"])
    assert sum(len(p["criteria"]) for p in body["pillars"]) == 21
    assert member.get(f"{API}/framework/versions/{version.pk}").json()["label"] == (
        "Cadre d'un KPA — 6 décembre 2024")


def test_a_coordinator_drafts_and_edits_then_the_diff_shows_it(
        cast: Cast, version: FrameworkVersion) -> None:
    coordinator = client_of(cast.user("coordinateur"))
    created = send(coordinator, "post", f"/framework/networks/{cast.network.pk}/drafts",
                   {"label": "Cadre 2027"})
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["status"], draft["based_on_id"], draft["editable"]) == (
        "draft", version.pk, True)
    criterion = draft["pillars"][4]["criteria"][5]
    patched = send(coordinator, "patch",
                   f"/framework/versions/{draft['id']}/criteria/{criterion['id']}",
                   {"text": "Soutient le réseau par une cotisation."})
    assert patched.json()["text"] == "Soutient le réseau par une cotisation."
    pillar = draft["pillars"][3]
    added = send(coordinator, "post",
                 f"/framework/versions/{draft['id']}/pillars/{pillar['id']}/criteria",
                 {"text": "A un diagnostic de territoire écrit.", "evidence_key": ""})
    assert added.status_code == 201
    assert added.json()["code"] == "4.3"
    renamed = send(coordinator, "patch",
                   f"/framework/versions/{draft['id']}/pillars/{pillar['id']}",
                   {"title": "En coopération avec son territoire"})
    assert renamed.json()["title"] == "En coopération avec son territoire"
    removed = coordinator.delete(
        f"{API}/framework/versions/{draft['id']}/criteria/{draft['pillars'][0]['criteria'][4]['id']}")
    assert removed.status_code == 204
    diff = coordinator.get(f"{API}/framework/versions/{version.pk}/diff/{draft['id']}").json()
    assert [c["code"] for c in diff["added"]] == ["4.3"]
    assert [c["code"] for c in diff["removed"]] == ["1.5"]
    assert [c["code"] for c in diff["changed"]] == ["5.6"]
    assert diff["renamed_pillars"][0]["after"] == "En coopération avec son territoire"
    # Nothing of this touched the framework in force.
    assert framework.current_version(cast.network) == version


def test_framework_writes_are_refused_to_members_and_locked_versions(
        cast: Cast, version: FrameworkVersion) -> None:
    member = client_of(cast.user("referent"))
    refused = send(member, "post", f"/framework/networks/{cast.network.pk}/drafts",
                   {"label": "X"})
    assert refused.status_code == 403
    criterion = FrameworkCriterion.objects.get(pillar__version=version, code="1.1")
    coordinator = client_of(cast.user("coordinateur"))
    locked = send(coordinator, "patch",
                  f"/framework/versions/{version.pk}/criteria/{criterion.pk}", {"text": "X"})
    assert "en vote ou adoptée" in messages(locked)
    empty = send(coordinator, "post", f"/framework/networks/{cast.network.pk}/drafts",
                 {"label": " "})
    assert "Donnez un nom" in messages(empty)
    outsider_network = client_of(cast.user("outsider")).get(
        f"{API}/framework/networks/{cast.network.pk + 999}/current")
    assert outsider_network.status_code == 404


def test_no_api_route_makes_a_version_current(cast: Cast, version: FrameworkVersion) -> None:
    from config.api import api

    schema = api.get_openapi_schema()
    framework_routes = {path: ops for path, ops in schema["paths"].items()
                        if "/framework/" in path}
    assert framework_routes
    for path, ops in framework_routes.items():
        for method, op in ops.items():
            text = json.dumps(op)
            assert "adopt" not in path.lower(), (path, method)
            assert "adopt" not in text.lower(), (path, method)
    coordinator = client_of(cast.user("coordinateur"))
    draft = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                label="Projet", today=TODAY)
    send(coordinator, "patch", f"/framework/versions/{draft.pk}/criteria/"
         f"{FrameworkCriterion.objects.filter(pillar__version=draft).first().pk}",  # type: ignore[union-attr]
         {"text": "X", "status": "current"})
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_kpa_assesses_itself_through_the_api(cast: Cast, version: FrameworkVersion) -> None:
    member = client_of(cast.user("cooperant"))
    started = send(member, "post", "/assessments", {"kpa_id": cast.home.pk})
    assert started.status_code == 201, started.content
    again = send(member, "post", "/assessments", {"kpa_id": cast.home.pk})
    assert (again.status_code, again.json()["id"]) == (200, started.json()["id"])
    assessment_id = started.json()["id"]
    criterion = FrameworkCriterion.objects.get(pillar__version=version, code="3.1")
    answered = send(member, "put", f"/assessments/{assessment_id}/criteria/{criterion.pk}",
                    {"status": "met", "evidence": "L'atelier"})
    assert answered.json() == {"criterion_id": criterion.pk, "code": "3.1", "status": "met",
                               "evidence": "L'atelier"}
    bad = send(member, "put", f"/assessments/{assessment_id}/criteria/{criterion.pk}",
               {"status": "bof"})
    assert "rempli, en cours ou pas encore" in messages(bad)
    read = client_of(cast.user("coordinateur")).get(f"{API}/assessments/{assessment_id}")
    assert read.json()["summary"] == {"met": 1, "in_progress": 0, "not_yet": 0,
                                      "unanswered": 20, "total": 21}
    outsider = client_of(cast.user("outsider"))
    assert outsider.get(f"{API}/assessments/{assessment_id}").status_code == 404
    assert send(outsider, "post", "/assessments",
                {"kpa_id": cast.home.pk}).status_code == 404
    forbidden = send(client_of(cast.user("coordinateur")), "put",
                     f"/assessments/{assessment_id}/criteria/{criterion.pk}",
                     {"status": "not_yet"})
    assert forbidden.status_code == 403


def test_the_suggested_evidence_of_a_kpa(cast: Cast, version: FrameworkVersion) -> None:
    found = client_of(cast.user("cooperant")).get(f"{API}/assessments/evidence/{cast.home.pk}")
    assert found.json()["place"] == "Lieu partagé : 1"
    assert found.json()["charter"] == "Pas encore de charte adoptée"
    assert client_of(cast.user("outsider")).get(
        f"{API}/assessments/evidence/{cast.home.pk}").status_code == 404


def test_the_delegate_through_the_api(cast: Cast) -> None:
    referent = client_of(cast.user("referent"))
    designated = send(referent, "post", f"/delegates/kpa/{cast.home.pk}",
                      {"person_id": cast.cooperant.pk, "starts_on": "2026-11-01"})
    assert designated.status_code == 201, designated.content
    assert designated.json()["current"]["person_id"] == cast.cooperant.pk
    send(referent, "post", f"/delegates/kpa/{cast.home.pk}",
         {"person_id": cast.animateur.pk, "starts_on": "2026-11-28"})
    read = client_of(cast.user("benevole")).get(f"{API}/delegates/kpa/{cast.home.pk}").json()
    assert read["current"]["person_id"] == cast.animateur.pk
    assert [(p["person_id"], p["ends_on"]) for p in read["periods"]] == [
        (cast.animateur.pk, None), (cast.cooperant.pk, "2026-11-28")]
    assert send(client_of(cast.user("cooperant")), "post", f"/delegates/kpa/{cast.home.pk}",
                {"person_id": cast.cooperant.pk,
                 "starts_on": "2026-12-01"}).status_code == 403
    assert send(referent, "post", f"/delegates/kpa/{cast.home.pk}",
                {"person_id": cast.outsider.pk,
                 "starts_on": "2026-12-01"}).status_code == 404
    assert client_of(cast.user("outsider")).get(
        f"{API}/delegates/kpa/{cast.home.pk}").status_code == 404
