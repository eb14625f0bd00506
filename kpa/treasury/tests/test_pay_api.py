"""The pay API: a request from asking to booked through the API alone, amounts as decimal
strings, refusals in French (422), 404 out of reach, 403 for a visible request one may not
act on, fixed query counts on the list."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.treasury.models import PayRequest, PayrollImport
from kpa.treasury.tests.test_pay_support import (
    BEFORE_CUTOFF,
    account_of,
    another_cooperant,
    fund,
    requested,
    summary,
    transmitted,
)

API = "/api/v1/treasury"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: BEFORE_CUTOFF)


@pytest.fixture
def funded(shop):
    account = account_of(shop)
    fund(shop, account, "1000")
    return account


def client_of(user) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def test_a_coopérant_reads_what_they_may_ask(shop, funded) -> None:
    response = client_of(shop.seller).get(f"{API}/pay/allowance")
    assert response.status_code == 200
    assert response.json() == {
        "account_id": funded.pk, "account_code": funded.code, "structure_id": shop.cast.cae.pk,
        "month": "2026-11-01", "cutoff_on": "2026-11-25", "available": "1000.00",
        "max_net": "600.00", "current_request_id": None}


def test_without_an_individual_treasury_there_is_nothing_to_read(shop) -> None:
    assert client_of(shop.cast.user("referent")).get(
        f"{API}/pay/allowance").status_code == 404


def test_a_request_goes_from_asked_to_transmitted_through_the_api(shop, funded) -> None:
    created = post_json(client_of(shop.seller), f"{API}/pay-requests",
                        {"net_amount": 500.5, "note": "Merci"})
    assert created.status_code == 201
    body = created.json()
    assert (body["net_amount"], body["estimated_gross"], body["estimated_cost"]) == (
        "500.50", "641.67", "834.17")
    assert (body["status"], body["status_label"], body["month"]) == (
        "requested", "Demandée", "2026-11-01")
    done = post_json(client_of(shop.cast.user("referent")),
                     f"{API}/pay-requests/{body['id']}/transmit")
    assert done.status_code == 200
    assert done.json()["status"] == "transmitted"


def test_a_request_above_what_is_available_is_refused_in_french(shop, funded) -> None:
    response = post_json(client_of(shop.seller), f"{API}/pay-requests", {"net_amount": "700"})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "net_amount"]
    assert error["msg"].endswith("Tu peux demander au plus 600,00 € net ce mois-ci.")
    assert not PayRequest.objects.exists()


def test_the_coopérant_lists_and_cancels_their_requests(shop, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    client = client_of(shop.seller)
    listed = client.get(f"{API}/pay-requests", {"mine": "true"})
    assert [r["id"] for r in listed.json()["items"]] == [made.pk]
    cancelled = post_json(client, f"{API}/pay-requests/{made.pk}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    again = post_json(client, f"{API}/pay-requests/{made.pk}/cancel")
    assert again.status_code == 422


def test_a_visible_request_one_may_not_act_on_answers_403(shop, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    assert post_json(client_of(shop.seller),
                     f"{API}/pay-requests/{made.pk}/transmit").status_code == 403
    assert post_json(client_of(shop.cast.user("referent")),
                     f"{API}/pay-requests/{made.pk}/cancel").status_code == 403


def test_a_refusal_needs_its_reason(shop, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    client = client_of(shop.cast.user("referent"))
    assert post_json(client, f"{API}/pay-requests/{made.pk}/refuse",
                     {"reason": " "}).status_code == 422
    refused = post_json(client, f"{API}/pay-requests/{made.pk}/refuse",
                        {"reason": "Pas encore encaissé."})
    assert refused.json()["refusal_reason"] == "Pas encore encaissé."


def test_the_outsider_finds_nothing(shop, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    client = client_of(shop.cast.user("outsider"))
    assert client.get(f"{API}/pay-requests/{made.pk}").status_code == 404
    for action in ("cancel", "transmit"):
        assert post_json(client, f"{API}/pay-requests/{made.pk}/{action}").status_code == 404
    assert client.get(f"{API}/pay-requests").json()["items"] == []
    structure = shop.cast.cae.pk
    assert post_json(client, f"{API}/payroll/{structure}/export",
                     {"month": "2026-11-01"}).status_code == 404
    made.refresh_from_db()
    assert made.status == PayRequest.Status.REQUESTED


# token (with its user), its first use written, person, roles, count, requests
LIST_QUERIES = 6


def test_the_list_costs_the_same_queries_for_1_or_3_requests(
        shop, funded, django_assert_num_queries) -> None:
    requested(shop, funded, shop.seller, "100")
    referent = shop.cast.user("referent")
    client = client_of(referent)  # a fresh token: its first use is written, the worst case
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(f"{API}/pay-requests").json()["items"]) == 1
    for name in ("bintou", "chloe"):
        user, account = another_cooperant(shop, name)
        requested(shop, account, user, "200")
    client = client_of(referent)
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(f"{API}/pay-requests").json()["items"]) == 3


def test_the_gestionnaire_publishes_exports_and_imports_the_month(shop, funded) -> None:
    made = transmitted(shop, funded, shop.seller, "100")
    client = client_of(shop.manager)
    structure = shop.cast.cae.pk
    cutoff = post_json(client, f"{API}/payroll/{structure}/cutoffs",
                       {"month": "2026-12-01", "cutoff_on": "2026-12-18"})
    assert cutoff.json() == {"structure_id": structure, "month": "2026-12-01",
                             "cutoff_on": "2026-12-18"}
    exported = post_json(client, f"{API}/payroll/{structure}/export", {"month": "2026-11-15"})
    assert exported.status_code == 200
    assert exported["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.content.decode("utf-8-sig").splitlines()[1].endswith(
        f";2026-11;100,00;128,21;166,67;{funded.code}")
    upload = SimpleUploadedFile("recap.csv", summary(f"{shop.cast.cooperant.pk};130;100;170"))
    imported = client.post(f"{API}/payroll/{structure}/import",
                           {"file": upload, "month": "2026-11-01"})
    assert imported.status_code == 201
    body = imported.json()
    assert body["month"] == "2026-11-01"
    assert [(ln["gross"], ln["net"], ln["employer_cost"], ln["pay_request_id"])
            for ln in body["lines"]] == [("130.00", "100.00", "170.00", made.pk)]


def test_a_bad_summary_answers_422_with_its_lines(shop, funded) -> None:
    upload = SimpleUploadedFile("recap.csv", summary("999999;130;100;170", "1;1;2;3"))
    response = client_of(shop.manager).post(f"{API}/payroll/{shop.cast.cae.pk}/import",
                                            {"file": upload, "month": "2026-11-01"})
    assert response.status_code == 422
    messages = [e["msg"] for e in response.json()["detail"]]
    assert "Ligne 2 : personne n° 999999 inconnue." in messages
    assert any(m.startswith("Ligne 3 :") for m in messages)
    assert not PayrollImport.objects.exists()


def test_the_comptable_sees_the_structure_but_may_not_process_payroll(shop, funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    client = client_of(shop.cast.user("comptable"))
    structure = shop.cast.cae.pk
    assert post_json(client, f"{API}/payroll/{structure}/export",
                     {"month": "2026-11-01"}).status_code == 403
    upload = SimpleUploadedFile("recap.csv", summary(f"{shop.cast.cooperant.pk};130;100;170"))
    assert client.post(f"{API}/payroll/{structure}/import",
                       {"file": upload, "month": "2026-11-01"}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="treasury.payroll").exists()


def test_the_routes_are_in_the_openapi_document(shop) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for route in ("/pay/allowance", "/pay-requests", "/pay-requests/{request_id}/transmit",
                  "/payroll/{structure_id}/export", "/payroll/{structure_id}/import"):
        assert f"{API}{route}" in paths, route
