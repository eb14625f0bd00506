"""The decision register API: list with kpa/network/q filters (fixed queries), one decision with
its figures in words, ratification (403 for who may not) and the review date; 404 out of
reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.governance import register
from kpa.governance.tests.factories import NOW
from kpa.governance.tests.test_decision_views import record
from kpa.governance.tests.test_meeting_api import API, client_of, messages, send


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def test_the_list_searches_and_filters_by_scope(
        cast: Cast, django_assert_num_queries: Any,
        django_assert_max_num_queries: Any) -> None:
    record(cast.home, title="Acheter un FOUR", decided_on=dt.date(2026, 3, 1))
    record(cast.home, title="Charte", summary="Le four est commun.")
    record(cast.elsewhere, title="Four d'ailleurs")
    register.record_decision(actor=None, network=cast.network, title="Cadre",
                             source="proposal", method="majority", outcome="adopted",
                             decided_on=TODAY)
    client = client_of(cast.user("cooperant"))
    everything = client.get(f"{API}/decisions").json()
    assert [d["title"] for d in everything["items"]] == ["Charte", "Cadre", "Acheter un FOUR"]
    found = client.get(f"{API}/decisions", {"q": "four"}).json()
    assert {d["title"] for d in found["items"]} == {"Acheter un FOUR", "Charte"}
    network = client.get(f"{API}/decisions", {"network": cast.network.pk}).json()
    assert [d["title"] for d in network["items"]] == ["Cadre"]
    with django_assert_max_num_queries(10) as few:
        client.get(f"{API}/decisions", {"kpa": cast.home.pk})
    for n in range(5):
        record(cast.home, title=f"Encore {n}")
    with django_assert_num_queries(len(few)):
        assert client.get(f"{API}/decisions", {"kpa": cast.home.pk}).json()["count"] == 7


def test_one_decision_with_its_words_and_404_out_of_reach(cast: Cast) -> None:
    decision = record(cast.home, title="Acheter un four")
    body = client_of(cast.user("cooperant")).get(f"{API}/decisions/{decision.pk}").json()
    assert body["number"] == 1
    assert body["figures"]["for"] == 7
    assert body["words"].startswith("Pour : 7 · Contre : 2 · Abstentions : 1")
    assert client_of(cast.user("outsider")).get(
        f"{API}/decisions/{decision.pk}").status_code == 404


def test_ratify_and_review(cast: Cast) -> None:
    decision = record(cast.home)
    cooperant, animateur = client_of(cast.user("cooperant")), client_of(cast.user("animateur"))
    assert send(cooperant, "post", f"/decisions/{decision.pk}/ratify").status_code == 403
    ratified = send(animateur, "post", f"/decisions/{decision.pk}/ratify")
    assert ratified.status_code == 200
    assert ratified.json()["ratified_at"] is not None
    again = send(animateur, "post", f"/decisions/{decision.pk}/ratify")
    assert "déjà ratifiée" in messages(again)
    assert send(cooperant, "post", f"/decisions/{decision.pk}/review",
                {"review_on": "2027-01-15"}).status_code == 403
    reviewed = send(animateur, "post", f"/decisions/{decision.pk}/review",
                    {"review_on": "2027-01-15"})
    assert reviewed.json()["review_on"] == "2027-01-15"
    bad = send(animateur, "post", f"/decisions/{decision.pk}/review", {"review_on": "demain"})
    assert bad.status_code == 422
    assert messages(bad)
    assert send(client_of(cast.user("outsider")), "post",
                f"/decisions/{decision.pk}/ratify").status_code == 404
