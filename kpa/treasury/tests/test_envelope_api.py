"""The budget API: open, add a task, declare, change, withdraw, preview and close through the
API alone; amounts as decimal strings; 404 out of reach (also for ids in a body), 403 for a
visible envelope one may not change, 422 in French; the list costs fixed queries."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.sales.tests.conftest import Shop
from kpa.treasury import envelopes
from kpa.treasury.models import Envelope, EnvelopeReward
from kpa.treasury.tests.test_envelopes import friperie_invoice, open_on_friperie
from kpa.treasury.tests.test_transfers import (
    available,
    friperie_account,
    fund,
    individual,
    pot,
    second_member,
)

API = "/api/v1/treasury"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def messages(response: Any) -> str:
    assert response.status_code == 422, response.content
    return " ".join(error["msg"] for error in response.json()["detail"])


def test_a_budget_goes_from_open_to_closed_through_the_api_alone(shop: Shop) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    seller, binta = client_of(shop.seller), client_of(second_member(shop))

    opened = post_json(seller, f"{API}/envelopes", {
        "source_account_id": source.pk, "title": "Marché de Noël", "amount": 80,
        "hourly_ceiling": "25,00", "rest_to_common_pot": True})
    assert opened.status_code == 201, opened.content
    body = opened.json()
    url = f"{API}/envelopes/{body['id']}"
    assert (body["amount"], body["hourly_ceiling"], body["declared"], body["left"]) == (
        "80.00", "25.00", "0.00", "80.00")
    assert body["pot_account"]["kind"] == "common"

    task = post_json(seller, f"{url}/tasks", {"title": "Tenir le stand"})
    assert task.status_code == 201, task.content
    mine = post_json(seller, f"{url}/rewards", {"task_id": task.json()["id"], "amount": 50,
                                                "hours": 2, "note": "Samedi"})
    assert mine.status_code == 201, mine.content
    assert (mine.json()["amount"], mine.json()["hours"]) == ("50.00", "2.00")
    theirs = post_json(binta, f"{url}/rewards", {"amount": "20,00"})
    assert theirs.status_code == 201, theirs.content

    detail = binta.get(url).json()
    assert [(r["person"]["name"], r["amount"]) for r in detail["rewards"]] == [
        (shop.cast.cooperant.full_name, "50.00"), ("Binta Diallo", "20.00")]
    assert (detail["declared"], detail["left"]) == ("70.00", "10.00")

    changed = binta.patch(f"{API}/envelope-rewards/{theirs.json()['id']}",
                          json.dumps({"amount": "25"}), content_type="application/json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["amount"] == "25.00"

    manager = client_of(shop.manager)
    preview = manager.get(f"{url}/closing").json()
    assert [s["amount"] for s in preview["shares"]] == ["50.00", "25.00"]
    assert preview["rest"] == "5.00"
    assert preview["rest_to"]["kind"] == "common"
    closed = post_json(manager, f"{url}/close")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"
    assert closed.json()["closing_entry_id"] is not None
    assert available(individual(shop, shop.cast.cooperant)) == Decimal("50.00")
    assert available(pot(shop)) == Decimal("5.00")


def test_an_envelope_from_an_invoice_through_the_api(shop: Shop) -> None:
    invoice = friperie_invoice(shop, 4)
    opened = post_json(client_of(shop.seller), f"{API}/envelopes", {
        "source_account_id": friperie_account(shop).pk, "title": "Partage",
        "source_invoice_id": invoice.pk})
    assert opened.status_code == 201, opened.content
    assert (opened.json()["amount"], opened.json()["source_invoice_id"]) == ("50.00",
                                                                            invoice.pk)


def test_refusals_come_back_in_french_and_write_nothing(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    seller = client_of(shop.seller)
    url = f"{API}/envelopes/{envelope.pk}/rewards"
    assert "Il ne reste que 80,00 €" in messages(post_json(seller, url, {"amount": "80.01"}))
    assert "font au plus 30,00 €" in messages(post_json(seller, url, {"amount": 31,
                                                                      "hours": 1}))
    assert "n'est pas un montant" in messages(post_json(seller, url, {"amount": "beaucoup"}))
    assert "n'a que 20,00 € disponibles" in messages(post_json(seller, f"{API}/envelopes", {
        "source_account_id": envelope.source_account_id, "title": "X", "amount": "20.01"}))
    assert not EnvelopeReward.objects.exists()
    assert Envelope.objects.count() == 1


def test_a_visible_envelope_one_may_not_change_answers_403(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="10",
                                      today=TODAY)
    comptable = client_of(shop.cast.user("comptable"))
    assert comptable.get(f"{API}/envelopes/{envelope.pk}").status_code == 200
    assert post_json(comptable, f"{API}/envelopes/{envelope.pk}/rewards",
                     {"amount": 1}).status_code == 403
    assert post_json(comptable, f"{API}/envelopes/{envelope.pk}/close").status_code == 403
    binta = client_of(second_member(shop))
    assert binta.delete(f"{API}/envelope-rewards/{reward.pk}").status_code == 403
    assert post_json(client_of(shop.seller),
                     f"{API}/envelopes/{envelope.pk}/close").status_code == 403
    assert EnvelopeReward.objects.filter(pk=reward.pk).exists()


def test_the_outsider_gets_404_on_every_route(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="10",
                                      today=TODAY)
    task = envelopes.add_task(actor=shop.seller, envelope=envelope, title="T", today=TODAY)
    outsider = client_of(shop.cast.user("outsider"))
    before = AuditEvent.objects.count()
    url = f"{API}/envelopes/{envelope.pk}"
    assert outsider.get(f"{API}/envelopes").json()["items"] == []
    assert outsider.get(f"{API}/envelopes?account={envelope.source_account_id}").json()[
        "items"] == []
    for path in (url, f"{url}/closing"):
        assert outsider.get(path).status_code == 404, path
    for path, data in ((f"{url}/tasks", {"title": "X"}), (f"{url}/rewards", {"amount": 1}),
                       (f"{url}/close", {}),
                       (f"{API}/envelopes", {"source_account_id": envelope.source_account_id,
                                             "title": "X", "amount": 1})):
        assert post_json(outsider, path, data).status_code == 404, path
    assert outsider.delete(f"{API}/envelope-rewards/{reward.pk}").status_code == 404
    assert outsider.patch(f"{API}/envelope-rewards/{reward.pk}", json.dumps({"amount": 1}),
                          content_type="application/json").status_code == 404
    assert AuditEvent.objects.count() == before
    # An id of another envelope's task in a body does not exist either.
    other = open_on_friperie(shop, "10.00", funds="10.00")
    assert post_json(client_of(shop.seller), f"{API}/envelopes/{other.pk}/rewards",
                     {"task_id": task.pk, "amount": 1}).status_code == 404
    assert not EnvelopeReward.objects.filter(envelope=other).exists()


def test_the_list_by_account_costs_fixed_queries(shop: Shop,
                                                 django_assert_max_num_queries: Any,
                                                 django_assert_num_queries: Any) -> None:
    envelope = open_on_friperie(shop, "10.00")
    seller = client_of(shop.seller)
    url = f"{API}/envelopes?account={envelope.source_account_id}"
    seller.get(url)  # the token's first use is recorded once
    with django_assert_max_num_queries(12) as few:
        assert seller.get(url).status_code == 200
    for n in range(4):
        other = envelopes.open_envelope(actor=shop.seller, source=envelope.source_account,
                                        title=f"Mission {n}", amount="10", today=TODAY)
        envelopes.declare_reward(actor=shop.seller, envelope=other, amount="3", today=TODAY)
    with django_assert_num_queries(len(few)):
        body = seller.get(url).json()
    assert body["count"] == 5
    assert sorted(item["declared"] for item in body["items"]) == ["0.00"] + ["3.00"] * 4
    assert seller.get(f"{API}/envelopes?account={envelope.source_account_id}&status=closed"
                      ).json()["count"] == 0


def test_a_body_account_out_of_reach_is_404(shop: Shop) -> None:
    mine = individual(shop, shop.cast.cooperant)
    fund(shop, mine, "10.00")
    # An individual treasury funds no budget: not among the accounts one may open on.
    assert post_json(client_of(shop.seller), f"{API}/envelopes", {
        "source_account_id": mine.pk, "title": "X", "amount": 1}).status_code == 404
