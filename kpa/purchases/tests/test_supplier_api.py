"""The supplier API: a Factur-X PDF sent in base64 by the coopérant comes back read, the
gestionnaire completes, posts and pays it through the API alone; amounts are decimal strings;
bad input is refused in French (422) with nothing written; what is out of reach is 404, a
visible invoice one may not post is 403; lists cost a fixed number of queries."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import TODAY
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.purchases.models import Supplier, SupplierInvoice
from kpa.purchases.tests.test_supplier_helpers import blank_pdf, supplier_pdf, uploaded
from kpa.sales.tests.conftest import Shop

API = "/api/v1/purchases"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def send(client: Client, method: str, path: str, data: Any = None) -> Any:
    return getattr(client, method)(f"{API}{path}", json.dumps({} if data is None else data),
                                   content_type="application/json")


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_an_invoice_goes_from_pdf_to_paid_through_the_api(shop: Shop) -> None:
    cooperant, manager = client_of(shop.seller), client_of(shop.manager)

    created = send(cooperant, "post", "/supplier-invoices", {
        "pdf_base64": b64(supplier_pdf()), "file_name": "wax.pdf",
        "activity_id": shop.activity.pk})

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["number"], body["supplier_name"]) == (
        "draft", "F-2026-077", "Tissus du Nord")
    assert (body["total_excl_vat"], body["total_vat"], body["total_incl_vat"]) == (
        "110.00", "20.55", "130.55")
    assert body["facturx"]["profile"] == "en16931"
    assert body["facturx"]["agrees"] is True
    assert body["facturx"]["lines"][1] == {"description": "Fil à coudre",
                                           "amount_excl_vat": "10.00", "vat_rate": "5.50"}
    invoice_id = body["id"]

    completed = send(cooperant, "patch", f"/supplier-invoices/{invoice_id}", {"lines": [
        {"description": "Coupon de wax", "category": "raw_materials",
         "amount_excl_vat": 100, "vat_rate": "20"},
        {"description": "Fil à coudre", "category": "supplies", "amount_excl_vat": "10,00",
         "vat_rate": 5.5}]})
    assert completed.status_code == 200, completed.content
    assert [ln["category"] for ln in completed.json()["lines"]] == ["raw_materials",
                                                                    "supplies"]
    assert completed.json()["lines"][1]["vat_amount"] == "0.55"

    assert send(cooperant, "post", f"/supplier-invoices/{invoice_id}/post").status_code == 403
    booked = send(manager, "post", f"/supplier-invoices/{invoice_id}/post")
    assert booked.status_code == 200
    assert booked.json()["status"] == "posted"
    assert booked.json()["treasury_account_code"] == f"T-{shop.cast.cooperant.pk}"

    paid = send(manager, "post", f"/supplier-invoices/{invoice_id}/pay",
                {"paid_on": "2026-11-27"})
    assert paid.status_code == 200
    assert paid.json()["paid_on"] == "2026-11-27"
    assert paid.json()["payment_entry_id"] is not None


def test_a_pdf_too_big_for_a_json_body_goes_as_a_file(shop: Shop) -> None:
    pdf = supplier_pdf() + b"%" + b"0" * 3_000_000  # bytes after %%EOF: still the same PDF
    response = client_of(shop.seller).post(f"{API}/supplier-invoices/file", {
        "file": SimpleUploadedFile("wax.pdf", pdf, content_type="application/pdf"),
        "activity_id": shop.activity.pk})
    assert response.status_code == 201, response.content
    assert response.json()["facturx"]["number"] == "F-2026-077"
    too_big = client_of(shop.seller).post(f"{API}/supplier-invoices/file", {
        "file": SimpleUploadedFile("gros.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)),
        "activity_id": shop.activity.pk})
    assert too_big.status_code == 422
    assert "10 Mo" in too_big.json()["detail"][0]["msg"]


def test_a_plain_pdf_needs_its_supplier_number_and_date(shop: Shop) -> None:
    client = client_of(shop.manager)
    refused = send(client, "post", "/supplier-invoices", {
        "pdf_base64": b64(blank_pdf()), "structure_id": shop.cast.cae.pk})
    assert refused.status_code == 422
    assert "donnez le nom du fournisseur" in refused.json()["detail"][0]["msg"]

    created = send(client, "post", "/supplier-invoices", {
        "pdf_base64": b64(blank_pdf()), "structure_id": shop.cast.cae.pk,
        "supplier_name": "Mercerie", "number": "M-1", "issued_on": "2026-11-20"})
    assert created.status_code == 201
    assert created.json()["activity_id"] is None
    assert created.json()["facturx"] is None


@pytest.mark.parametrize(("pdf_base64", "words"), [
    ("pas du base64 !", "base64"),
    (base64.b64encode(b"GIF89a une image").decode(), "PDF"),
])
def test_a_bad_upload_is_refused_in_french(shop: Shop, pdf_base64: str, words: str) -> None:
    response = send(client_of(shop.seller), "post", "/supplier-invoices", {
        "pdf_base64": pdf_base64, "activity_id": shop.activity.pk, "supplier_name": "X",
        "number": "1", "issued_on": "2026-11-20"})
    assert response.status_code == 422
    assert words in response.json()["detail"][0]["msg"]
    assert not SupplierInvoice.objects.exists()


def test_the_same_invoice_twice_is_a_422(shop: Shop) -> None:
    client = client_of(shop.seller)
    payload = {"pdf_base64": b64(supplier_pdf()), "activity_id": shop.activity.pk}
    assert send(client, "post", "/supplier-invoices", payload).status_code == 201
    again = send(client, "post", "/supplier-invoices", payload)
    assert again.status_code == 422
    assert "déjà enregistré" in again.json()["detail"][0]["msg"]


def test_the_outsider_gets_404_on_every_invoice_route(shop: Shop) -> None:
    invoice = uploaded(shop)
    outsider = client_of(shop.cast.user("outsider"))
    assert outsider.get(f"{API}/supplier-invoices/{invoice.pk}").status_code == 404
    assert outsider.get(f"{API}/supplier-invoices/{invoice.pk}/pdf").status_code == 404
    assert send(outsider, "patch", f"/supplier-invoices/{invoice.pk}",
                {"number": "X"}).status_code == 404
    assert send(outsider, "post", f"/supplier-invoices/{invoice.pk}/post").status_code == 404
    assert send(outsider, "post", f"/supplier-invoices/{invoice.pk}/pay",
                {"paid_on": "2026-11-27"}).status_code == 404
    assert send(outsider, "post", "/supplier-invoices", {
        "pdf_base64": b64(supplier_pdf(number="X")),
        "activity_id": shop.activity.pk}).status_code == 404
    assert send(outsider, "post", "/suppliers", {
        "structure_id": shop.cast.cae.pk, "name": "X"}).status_code == 404
    assert outsider.get(f"{API}/supplier-invoices").json()["count"] == 0
    assert outsider.get(f"{API}/suppliers").json()["count"] == 0


def test_an_id_out_of_reach_in_a_body_is_404(shop: Shop) -> None:
    invoice = uploaded(shop)
    response = send(client_of(shop.seller), "patch", f"/supplier-invoices/{invoice.pk}",
                    {"supplier_id": invoice.supplier_id})  # the coopérant sees no supplier
    assert response.status_code == 404


def test_the_pdf_comes_back(shop: Shop) -> None:
    pdf = supplier_pdf()
    invoice = uploaded(shop, pdf)
    response = client_of(shop.seller).get(f"{API}/supplier-invoices/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response.content == pdf


def test_suppliers_are_listed_and_created_by_those_who_keep_the_books(shop: Shop) -> None:
    client = client_of(shop.cast.user("comptable"))
    created = send(client, "post", "/suppliers", {
        "structure_id": shop.cast.cae.pk, "name": "Tissus du Nord", "siren": "732829320"})
    assert created.status_code == 201
    assert created.json()["third_party_code"] is None
    refused = send(client, "post", "/suppliers", {
        "structure_id": shop.cast.cae.pk, "name": "Autre", "siren": "111"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "siren"]
    listing = client.get(f"{API}/suppliers", {"q": "7328"})
    assert [s["name"] for s in listing.json()["items"]] == ["Tissus du Nord"]
    assert client_of(shop.seller).get(f"{API}/suppliers").json()["count"] == 0
    assert Supplier.objects.count() == 1


def test_the_invoice_list_costs_the_same_queries_for_one_or_many(
        shop: Shop, django_assert_num_queries: Any) -> None:
    client = client_of(shop.manager)
    uploaded(shop)
    client.get(f"{API}/supplier-invoices")  # the token's first use is recorded once
    with django_assert_num_queries(6):
        one = client.get(f"{API}/supplier-invoices")
    for number in range(2, 6):
        uploaded(shop, supplier_pdf(number=f"F-{number}"))
    with django_assert_num_queries(6):
        many = client.get(f"{API}/supplier-invoices", {"status": "draft"})
    assert one.json()["count"] == 1
    assert many.json()["count"] == 5
    assert many.json()["items"][0]["total_incl_vat"] == "130.55"


def test_the_routes_are_in_the_openapi_document(shop: Shop) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for path in ("/suppliers", "/supplier-invoices", "/supplier-invoices/{invoice_id}",
                 "/supplier-invoices/{invoice_id}/post", "/supplier-invoices/{invoice_id}/pay",
                 "/supplier-invoices/{invoice_id}/pdf"):
        assert f"{API}{path}" in paths, path

