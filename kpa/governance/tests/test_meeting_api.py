"""The meetings API: plan, read, change (revision for calendars), attendance, minutes, a show of
hands into the register (422 in French when there are more votes than persons present), cancel,
the .ics; 403 for a member who may not manage, 404 out of reach (also for an id in a body); the
list costs fixed queries."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import icalendar
import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.governance.models import Decision, Meeting
from kpa.governance.tests.factories import NOW, make_proposal
from kpa.governance.tests.test_meetings import held, plan

API = "/api/v1/governance"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(client: Client, method: str, path: str, data: Any = None) -> Any:
    return getattr(client, method)(f"{API}{path}", json.dumps({} if data is None else data),
                                   content_type="application/json")


def messages(response: Any) -> str:
    assert response.status_code == 422, response.content
    return " ".join(error["msg"] for error in response.json()["detail"])


def test_a_meeting_goes_from_plan_to_decision_through_the_api(cast: Cast) -> None:
    referent = client_of(cast.user("referent"))
    proposal = make_proposal(cast, method="majority", opened=False)
    start = NOW - dt.timedelta(hours=1)
    created = send(referent, "post", "/meetings", {
        "kpa_id": cast.home.pk, "title": "Réunion", "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "agenda": "- Budget",
        "proposal_ids": [proposal.pk]})
    assert created.status_code == 201, created.content
    body = created.json()
    meeting_id = body["id"]
    assert body["proposal_ids"] == [proposal.pk]
    assert body["sequence"] == 0
    changed = send(referent, "patch", f"/meetings/{meeting_id}", {"location": "Atelier"})
    assert changed.json()["location"] == "Atelier"
    assert changed.json()["sequence"] == 1
    attendance = send(referent, "post", f"/meetings/{meeting_id}/attendance", {"attendance": [
        {"person_id": cast.cooperant.pk, "status": "present"},
        {"person_id": cast.referent.pk, "status": "present"}]})
    assert {a["status"] for a in attendance.json()["attendance"]} == {"present"}
    too_many = send(referent, "post", f"/meetings/{meeting_id}/show-of-hands", {
        "title": "Ouvrir le samedi", "votes_for": 2, "against": 1})
    assert messages(too_many) == "Il y a plus de voix que de personnes présentes."
    voted = send(referent, "post", f"/meetings/{meeting_id}/show-of-hands", {
        "title": "Ouvrir le samedi", "votes_for": 2, "against": 0})
    assert voted.status_code == 201
    assert voted.json()["figures"] == {"for": 2, "against": 0, "abstain": 0, "present": 2,
                                       "threshold": "simple"}
    minutes = send(referent, "post", f"/meetings/{meeting_id}/minutes",
                   {"minutes": "Tout va bien."})
    assert minutes.json()["minutes"] == "Tout va bien."
    detail = referent.get(f"{API}/meetings/{meeting_id}").json()
    assert detail["decisions"][0]["title"] == "Ouvrir le samedi"
    assert Decision.objects.get().meeting_id == meeting_id


def test_refusals_answer_403_404_and_422(cast: Cast) -> None:
    meeting = plan(cast)
    theirs = make_proposal(cast.elsewhere, method="majority", opened=False,
                           actor=cast.user("outsider"))
    cooperant, outsider = client_of(cast.user("cooperant")), client_of(cast.user("outsider"))
    assert cooperant.get(f"{API}/meetings/{meeting.pk}").status_code == 200
    assert send(cooperant, "patch", f"/meetings/{meeting.pk}", {"title": "X"}).status_code \
        == 403
    assert send(cooperant, "post", f"/meetings/{meeting.pk}/cancel").status_code == 403
    assert outsider.get(f"{API}/meetings/{meeting.pk}").status_code == 404
    assert send(outsider, "post", f"/meetings/{meeting.pk}/cancel").status_code == 404
    referent = client_of(cast.user("referent"))
    # A proposal out of reach, named in a body, does not exist.
    assert send(referent, "patch", f"/meetings/{meeting.pk}",
                {"proposal_ids": [theirs.pk]}).status_code == 404
    assert send(referent, "post", "/meetings", {
        "kpa_id": cast.elsewhere.pk, "title": "Chez eux", "starts_at": NOW.isoformat(),
        "ends_at": (NOW + dt.timedelta(hours=1)).isoformat()}).status_code == 404
    backwards = send(referent, "post", "/meetings", {
        "kpa_id": cast.home.pk, "title": "À l'envers", "starts_at": NOW.isoformat(),
        "ends_at": (NOW - dt.timedelta(hours=1)).isoformat()})
    assert "La fin doit venir après le début" in messages(backwards)


def test_cancel_and_ics(cast: Cast) -> None:
    meeting = plan(cast)
    referent = client_of(cast.user("referent"))
    cancelled = send(referent, "post", f"/meetings/{meeting.pk}/cancel")
    assert cancelled.json()["cancelled_at"] is not None
    response = referent.get(f"{API}/meetings/{meeting.pk}/ics")
    assert response.status_code == 200
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1


def test_the_list_filters_and_costs_fixed_queries(
        cast: Cast, django_assert_num_queries: Any,
        django_assert_max_num_queries: Any) -> None:
    plan(cast, title="Future")
    held(cast, title="En cours")
    plan(cast, title="Passée", starts_at=NOW - dt.timedelta(days=3))
    client = client_of(cast.user("cooperant"))
    upcoming = client.get(f"{API}/meetings", {"kpa": cast.home.pk, "upcoming": "true"})
    assert [m["title"] for m in upcoming.json()["items"]] == ["En cours", "Future"]
    with django_assert_max_num_queries(10) as few:
        assert client.get(f"{API}/meetings").json()["count"] == 3
    proposal = make_proposal(cast, method="majority", opened=False)
    for n in range(5):
        plan(cast, title=f"Encore {n}", proposal_ids=[proposal.pk])
    with django_assert_num_queries(len(few)):
        assert client.get(f"{API}/meetings").json()["count"] == 8
    assert client_of(cast.user("outsider")).get(f"{API}/meetings").json()["count"] == 0
    assert Meeting.objects.count() == 8
