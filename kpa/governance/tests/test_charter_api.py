"""The charter and autonomy API: read the charter in force and its versions, the differences,
draft, change a draft (never an adopted version), acknowledge once, who has not read it (leads
only), the structure's rule, the autonomy level and its proposal; 404 out of reach, 403 visible
but not allowed, 422 in French."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.directory.models import Kpa
from kpa.governance import charter
from kpa.governance.models import CharterAcknowledgement, CharterPolicy, CharterVersion, Proposal
from kpa.governance.tests.test_charter import NOW, adopted, draft

API = "/api/v1/governance"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(client: Client, method: str, url: str, data: Any = None) -> Any:
    return getattr(client, method)(url, json.dumps({} if data is None else data),
                                   content_type="application/json")


def messages(response: Any) -> str:
    assert response.status_code == 422, response.content
    return " ".join(error["msg"] for error in response.json()["detail"])


def test_a_charter_goes_from_draft_to_acknowledged_through_the_api(cast: Cast) -> None:
    first = adopted(cast)
    api = client_of(cast.user("cooperant"))
    created = send(api, "post", f"{API}/charter/kpa/{cast.home.pk}/drafts",
                   {"body": "# Charte v2\n\nOn se respecte."})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["number"], body["status"], body["kpa_id"]) == (2, "draft", cast.home.pk)
    changed = send(api, "patch", f"{API}/charter/versions/{body['id']}",
                   {"body": "# Charte v2\n\nOn se respecte tous."})
    assert changed.status_code == 200
    assert changed.json()["body"] == "# Charte v2\n\nOn se respecte tous.\n"

    read = api.get(f"{API}/charter/kpa/{cast.home.pk}")
    assert read.status_code == 200
    charter_out = read.json()
    assert charter_out["current"]["id"] == first.pk
    assert charter_out["current"]["acknowledged_at"] is None
    assert charter_out["current"]["decision_id"] == first.decision_id
    assert [v["number"] for v in charter_out["versions"]] == [2, 1]

    acked = send(api, "post", f"{API}/charter/versions/{first.pk}/acknowledge")
    assert acked.status_code == 200, acked.content
    assert acked.json()["person_id"] == cast.cooperant.pk
    again = send(api, "post", f"{API}/charter/versions/{first.pk}/acknowledge")
    assert (dt.datetime.fromisoformat(again.json()["acknowledged_at"])
            == dt.datetime.fromisoformat(acked.json()["acknowledged_at"]) == NOW)
    assert CharterAcknowledgement.objects.count() == 1
    one = api.get(f"{API}/charter/versions/{first.pk}").json()
    assert one["acknowledged_at"] is not None


def test_an_adopted_version_is_refused_in_french(cast: Cast) -> None:
    version = adopted(cast)
    api = client_of(cast.user("cooperant"))
    refused = send(api, "patch", f"{API}/charter/versions/{version.pk}", {"body": "x"})
    assert messages(refused) == "Une version adoptée ne change plus : rédige une nouvelle version."
    blank = send(api, "post", f"{API}/charter/kpa/{cast.home.pk}/drafts", {"body": " "})
    assert "ne peut pas être vide" in messages(blank)
    old = draft(cast, "v2")
    assert "n'est pas la charte en vigueur" in messages(
        send(api, "post", f"{API}/charter/versions/{old.pk}/acknowledge"))


def test_the_differences_default_to_the_version_in_force_against_the_one_before(
        cast: Cast) -> None:
    adopted(cast, "A\nB\nC")
    adopted(cast, "A\nC\nD")
    api = client_of(cast.user("benevole"))
    diff = api.get(f"{API}/charter/kpa/{cast.home.pk}/diff")
    assert diff.status_code == 200, diff.content
    assert diff.json() == {
        "from_number": 1, "to_number": 2, "added": 1, "removed": 1,
        "lines": [{"kind": "same", "text": "A"}, {"kind": "removed", "text": "B"},
                  {"kind": "same", "text": "C"}, {"kind": "added", "text": "D"}],
    }
    reverse = api.get(f"{API}/charter/kpa/{cast.home.pk}/diff", {"from": 2, "to": 1})
    assert [line["kind"] for line in reverse.json()["lines"]] == [
        "same", "added", "same", "removed"]
    assert api.get(f"{API}/charter/kpa/{cast.home.pk}/diff",
                   {"from": 1, "to": 7}).status_code == 404


def test_leads_read_who_has_not_acknowledged_and_others_are_refused(cast: Cast) -> None:
    version = adopted(cast)
    charter.acknowledge_charter(version, actor=cast.user("cooperant"), now=NOW)
    pending = client_of(cast.user("animateur")).get(f"{API}/charter/kpa/{cast.home.pk}/pending")
    assert pending.status_code == 200
    rows = pending.json()
    assert rows[0] == {"id": cast.quiet_cooperant.pk, "name": cast.quiet_cooperant.full_name,
                       "is_cooperant": True}
    assert cast.cooperant.pk not in [row["id"] for row in rows]
    assert len(rows) == 5
    assert client_of(cast.user("cooperant")).get(
        f"{API}/charter/kpa/{cast.home.pk}/pending").status_code == 403


def test_the_gestionnaire_sets_the_rule_and_the_comptable_may_not(cast: Cast) -> None:
    url = f"{API}/charter/structures/{cast.cae.pk}/policy"
    saved = send(client_of(cast.user("gestionnaire")), "put", url, {"required": True})
    assert saved.status_code == 200
    assert saved.json() == {"structure_id": cast.cae.pk, "required": True}
    assert CharterPolicy.objects.get(structure=cast.cae).acknowledgement_required
    assert send(client_of(cast.user("comptable")), "put", url,
                {"required": False}).status_code == 403
    assert send(client_of(cast.user("outsider")), "put", url,
                {"required": False}).status_code == 404
    assert CharterPolicy.objects.get(structure=cast.cae).acknowledgement_required


def test_a_draft_is_put_to_the_vote(cast: Cast) -> None:
    version = draft(cast)
    api = client_of(cast.user("cooperant"))
    done = send(api, "post", f"{API}/charter/versions/{version.pk}/propose")
    assert done.status_code == 201
    proposal = Proposal.objects.get(charter_version=version)
    assert done.json() == {"proposal_id": proposal.pk, "url": proposal.get_absolute_url()}
    assert api.get(f"{API}/charter/versions/{version.pk}").json()["proposal_id"] == proposal.pk
    assert "déjà proposée" in messages(
        send(api, "post", f"{API}/charter/versions/{version.pk}/propose"))


def test_the_autonomy_level_in_words_and_a_proposal_to_change_it(cast: Cast) -> None:
    api = client_of(cast.user("referent"))
    read = api.get(f"{API}/autonomy/kpa/{cast.home.pk}")
    assert read.status_code == 200
    body = read.json()
    assert body["current"]["level"] == "supervised"
    assert "donne son accord" in body["current"]["votes"]
    assert [o["level"] for o in body["others"]] == ["accompanied", "autonomous"]
    assert body["live_proposal_id"] is None
    done = send(api, "post", f"{API}/autonomy/kpa/{cast.home.pk}/propose",
                {"level": "autonomous"})
    assert done.status_code == 201, done.content
    proposal = Proposal.objects.get(pk=done.json()["proposal_id"])
    assert (proposal.method, proposal.autonomy_target) == ("majority", "autonomous")
    assert api.get(f"{API}/autonomy/kpa/{cast.home.pk}").json()["live_proposal_id"] == \
        proposal.pk
    assert Kpa.objects.get(pk=cast.home.pk).autonomy == Kpa.Autonomy.SUPERVISED
    same = send(api, "post", f"{API}/autonomy/kpa/{cast.elsewhere.pk}/propose",
                {"level": "autonomous"})
    assert same.status_code == 404


def test_the_outsider_reaches_nothing_through_the_api(cast: Cast) -> None:
    version = adopted(cast)
    other = draft(cast, "v2")
    api = client_of(cast.user("outsider"))
    home = cast.home.pk
    for path in (f"/charter/kpa/{home}", f"/charter/versions/{version.pk}",
                 f"/charter/kpa/{home}/diff", f"/charter/kpa/{home}/pending",
                 f"/autonomy/kpa/{home}"):
        assert api.get(API + path).status_code == 404, path
    for method, path in (("post", f"/charter/kpa/{home}/drafts"),
                         ("patch", f"/charter/versions/{other.pk}"),
                         ("post", f"/charter/versions/{version.pk}/acknowledge"),
                         ("post", f"/charter/versions/{other.pk}/propose"),
                         ("post", f"/autonomy/kpa/{home}/propose")):
        response = send(api, method, API + path, {"body": "x", "level": "autonomous"})
        assert response.status_code == 404, path
    assert CharterVersion.objects.count() == 2
    assert not CharterAcknowledgement.objects.exists()
    assert not Proposal.objects.exists()
