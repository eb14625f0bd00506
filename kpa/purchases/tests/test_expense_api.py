"""The expense-claim API: a claim from draft to reimbursed through the API alone (the line and
its receipt as multipart), amounts as decimal strings, 404 out of reach, 403 for a visible
claim one may not act on, 422 in French, a fixed query count on the list."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import TODAY
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.purchases.models import ExpenseClaim
from kpa.purchases.tests.test_expenses import GIF, JPEG, add, new_claim, submitted_claim

API = "/api/v1/purchases/expense-claims"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user):
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client, url, data=None):
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def line_form(**values):
    data = {"spent_on": "2026-11-12", "category": "raw_materials", "description": "Tissu",
            "amount_incl_vat": "60,00", "recoverable_vat": "10.00",
            "receipt": SimpleUploadedFile("ticket.jpg", JPEG, content_type="image/jpeg")}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


def test_a_claim_goes_from_draft_to_reimbursed_through_the_api(shop):
    seller, manager = client_of(shop.seller), client_of(shop.manager)
    created = post_json(seller, API, {"activity_id": shop.activity.pk, "month": "2026-11-20"})
    assert created.status_code == 201, created.content
    claim_id = created.json()["id"]
    assert created.json()["month"] == "2026-11-01"
    assert created.json()["status"] == "draft"
    added = seller.post(f"{API}/{claim_id}/lines", line_form())
    assert added.status_code == 201, added.content
    body = added.json()
    assert body["total_incl_vat"] == "60.00"
    assert body["lines"][0]["amount_excl_vat"] == "50.00"
    assert body["lines"][0]["receipt_type"] == "image/jpeg"
    km = seller.post(f"{API}/{claim_id}/lines", line_form(
        category="mileage", amount_incl_vat=None, recoverable_vat="0", receipt=None,
        distance_km="100", fiscal_horsepower="4"))
    assert km.status_code == 201, km.content
    assert km.json()["lines"][1]["amount_incl_vat"] == "60.60"
    assert km.json()["lines"][1]["distance_km"] == "100.0"
    submitted = post_json(seller, f"{API}/{claim_id}/submit")
    assert submitted.json()["status"] == "submitted"
    assert post_json(seller, f"{API}/{claim_id}/validate").status_code == 403
    validated = post_json(manager, f"{API}/{claim_id}/validate")
    assert validated.status_code == 200
    assert validated.json()["status"] == "validated"
    assert validated.json()["entry_id"] is not None
    assert validated.json()["piece_ref"] == f"NF-{claim_id}"
    paid = post_json(manager, f"{API}/{claim_id}/reimburse", {"paid_on": "2026-11-28"})
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert paid.json()["payment_entry_id"] is not None
    line_id = paid.json()["lines"][0]["id"]
    receipt = seller.get(f"{API}/{claim_id}/lines/{line_id}/receipt")
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "image/jpeg"
    assert receipt.content == JPEG


def test_a_wrong_receipt_is_refused_in_french(shop):
    claim = new_claim(shop)
    response = client_of(shop.seller).post(f"{API}/{claim.pk}/lines", line_form(
        receipt=SimpleUploadedFile("x.gif", GIF, content_type="image/gif")))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "receipt"]
    assert "ni un PDF ni une photo" in response.json()["detail"][0]["msg"]
    assert not claim.lines.exists()


def test_a_late_claim_is_refused_with_its_dates(shop):
    from kpa.purchases import expenses

    expenses.set_expense_deadlines(actor=shop.manager, structure=shop.cast.cae,
                                   deadlines=[(shop.today.replace(month=10, day=1),
                                               shop.today.replace(month=10, day=15))],
                                   today=TODAY)
    early = TODAY.replace(month=10, day=2)
    claim = new_claim(shop, month=TODAY.replace(month=9, day=1), today=early)
    add(shop, claim, spent_on=TODAY.replace(month=9, day=30), today=early)
    response = post_json(client_of(shop.seller), f"{API}/{claim.pk}/submit")
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "Cette dépense du 30/09/2026 devait être déclarée au plus tard le 15/10/2026.")


def test_a_rejection_needs_a_reason(shop):
    claim = submitted_claim(shop)
    manager = client_of(shop.manager)
    response = post_json(manager, f"{API}/{claim.pk}/reject", {"reason": " "})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]
    response = post_json(manager, f"{API}/{claim.pk}/reject", {"reason": "Hors activité"})
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Hors activité"


def test_the_outsider_gets_404_everywhere(shop):
    claim = submitted_claim(shop)
    line = claim.lines.first()
    outsider = client_of(shop.cast.user("outsider"))
    assert outsider.get(API).json()["items"] == []
    assert outsider.get(f"{API}/{claim.pk}").status_code == 404
    assert outsider.get(f"{API}/{claim.pk}/lines/{line.pk}/receipt").status_code == 404
    assert outsider.post(f"{API}/{claim.pk}/lines", line_form()).status_code == 404
    for action in ("submit", "validate"):
        assert post_json(outsider, f"{API}/{claim.pk}/{action}").status_code == 404
    assert post_json(outsider, f"{API}/{claim.pk}/reject", {"reason": "x"}).status_code == 404
    assert post_json(outsider, f"{API}/{claim.pk}/reimburse",
                     {"paid_on": "2026-11-28"}).status_code == 404
    assert post_json(outsider, API, {"activity_id": shop.activity.pk,
                                     "month": "2026-11-01"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


def test_a_visible_activity_one_is_not_a_member_of_answers_403(shop):
    response = post_json(client_of(shop.cast.user("referent")), API,
                         {"activity_id": shop.activity.pk, "month": "2026-11-01"})
    assert response.status_code == 403
    assert not ExpenseClaim.objects.exists()


def test_a_claim_is_read_by_the_structure_but_not_by_the_kpa_staff(shop):
    claim = submitted_claim(shop)
    for persona in ("gestionnaire", "comptable"):
        response = client_of(shop.cast.user(persona)).get(f"{API}/{claim.pk}")
        assert response.status_code == 200
        assert response.json()["total_incl_vat"] == "120.60"
    assert client_of(shop.cast.user("referent")).get(f"{API}/{claim.pk}").status_code == 404


# token (with its user), person, roles, count, claims
LIST_QUERIES = 5


def test_the_list_costs_the_same_queries_for_1_or_4_claims(shop, django_assert_num_queries):
    manager, seller = client_of(shop.manager), client_of(shop.seller)
    for client in (manager, seller):  # a token's first use notes when it was used
        client.get(API)
    submitted_claim(shop)
    with django_assert_num_queries(LIST_QUERIES):
        response = manager.get(API)
    assert response.json()["count"] == 1
    for activity in (shop.friperie,):
        submitted_claim(shop, activity=activity)
    for month in (9, 10):
        claim = new_claim(shop, month=TODAY.replace(month=month, day=1))
        add(shop, claim, spent_on=TODAY.replace(month=month, day=2))
    with django_assert_num_queries(LIST_QUERIES):
        response = manager.get(f"{API}?status=draft")
    assert response.json()["count"] == 2  # the structure sees drafts too
    with django_assert_num_queries(LIST_QUERIES):
        response = seller.get(f"{API}?mine=true")
    assert response.json()["count"] == 4
    assert [item["total_incl_vat"] for item in response.json()["items"]] == [
        "120.60", "120.60", "12.00", "12.00"]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    lines = paths["/api/v1/purchases/expense-claims/{claim_id}/lines"]["post"]
    assert "multipart/form-data" in lines["requestBody"]["content"]
    for action in ("submit", "validate", "reject", "reimburse"):
        assert f"/api/v1/purchases/expense-claims/{{claim_id}}/{action}" in paths
