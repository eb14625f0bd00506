"""The selling REST API: an invoice from draft to paid through the API alone, figures read as
decimals (never floats), bad input refused in French with nothing written, 404 for the
outsider on every object route, 403 for a visible object one may not change, 401 without a
token, fixed query counts on the lists, and the routes in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, include, path

from config.urls import urlpatterns as project_urlpatterns
from conftest import TODAY
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.core.services import create_api_token
from kpa.directory import services as directory_services
from kpa.directory.models import Activity
from kpa.journey.tests.conftest import pdf_bytes
from kpa.sales import documents, services
from kpa.sales.documents import LineInput
from kpa.sales.models import (
    CatalogItem,
    Customer,
    DocumentSequence,
    Invoice,
    Payment,
    Quote,
)
from kpa.sales.tests.conftest import CAPE_START, VALID_SIREN, Shop
from kpa.sales.tests.helpers import accepted_quote, draft_invoice, hem_lines, issued_invoice

API = "/api/v1/sales"
ApiClient = Callable[[User], Client]


def _with_sales_pages() -> list[URLPattern | URLResolver]:
    """The services name the selling pages ("sales:validation_queue" in the gestionnaire's
    notification); until `config/urls.py` mounts them, this module adds them for its tests."""
    mounted = any(isinstance(p, URLResolver) and p.namespace == "sales"
                  for p in project_urlpatterns)
    if mounted:
        return list(project_urlpatterns)
    return [*project_urlpatterns, path("ventes/", include("kpa.sales.urls"))]


urlpatterns = _with_sales_pages()
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's today is the shop's: the CAPE, the books and the fiscal year are set for it."""
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def patch_json(client: Client, url: str, data: Any) -> Any:
    return client.patch(url, json.dumps(data), content_type="application/json")


def post_raw(client: Client, url: str, body: str) -> Any:
    """A body written by hand: JSON numbers exactly as a client would send them."""
    return client.post(url, body, content_type="application/json")


def messages_of(response: Any) -> dict[str, list[str]]:
    """A 422's French messages by field ("" for the whole input)."""
    assert response.status_code == 422, response.content
    found: dict[str, list[str]] = {}
    for error in response.json()["detail"]:
        field = str(error["loc"][-1]) if len(error["loc"]) > 1 else ""
        found.setdefault(field, []).append(error["msg"])
    return found


def all_messages(response: Any) -> str:
    return " ".join(m for messages in messages_of(response).values() for m in messages)


def invoice_body(shop: Shop, *lines: dict[str, Any], **header: Any) -> dict[str, Any]:
    return {"activity_id": shop.activity.pk, "customer_id": shop.company.pk,
            "title": "Retouches", **header,
            "lines": list(lines) or [{"description": "Ourlet de pantalon", "quantity": "2",
                                      "unit_price": "12,50", "vat_rate": "20"}]}


# --- The whole flow, through the API alone ---------------------------------------------------


def test_an_invoice_goes_from_draft_to_paid_through_the_api_alone(
    shop: Shop, django_capture_on_commit_callbacks: Any,
) -> None:
    pytest.importorskip("kpa.sales.pdf")
    seller, manager = client_of(shop.seller), client_of(shop.manager)

    created = post_json(seller, f"{API}/invoices", invoice_body(
        shop, {"item_id": shop.item.pk, "quantity": 1},
        {"description": "Ourlet de pantalon", "quantity": "2", "unit_price": "12,50",
         "vat_rate": "20"}))
    assert created.status_code == 201, created.content
    invoice = created.json()
    url = f"{API}/invoices/{invoice['id']}"
    assert (invoice["status"], invoice["number"], invoice["kind"]) == ("draft", "", "invoice")
    assert [(ln["description"], ln["quantity"], ln["unit_price"], ln["vat_rate"], ln["net"])
            for ln in invoice["lines"]] == [
        ("Retouche d'ourlet", "1.000", "12.50", "20.00", "12.50"),
        ("Ourlet de pantalon", "2.000", "12.50", "20.00", "25.00"),
    ]
    assert (invoice["total_excl_vat"], invoice["total_vat"], invoice["total_incl_vat"]) == (
        "37.50", "7.50", "45.00")
    assert invoice["balance_due"] == "45.00"

    submitted = post_json(seller, f"{url}/submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    queue = manager.get(f"{API}/validation-queue").json()
    assert [i["id"] for i in queue["items"]] == [invoice["id"]]
    # Without a self-validation right the seller may not issue: the gestionnaire does.
    refused = post_json(seller, f"{url}/issue")
    assert "soumettez-la" in all_messages(refused)

    with django_capture_on_commit_callbacks(execute=True):
        issued = post_json(manager, f"{url}/issue")
    assert issued.status_code == 200, issued.content
    body = issued.json()
    assert (body["status"], body["number"]) == ("issued", "2026-00001")
    assert (body["issued_on"], body["due_on"]) == ("2026-11-28", "2026-12-28")
    assert manager.get(f"{API}/validation-queue").json()["count"] == 0

    pdf = seller.get(f"{url}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert 'filename="facture-2026-00001.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")
    assert hashlib.sha256(pdf.content).hexdigest() == body["pdf_sha256"]

    first = post_raw(seller, f"{url}/payments",
                     '{"amount": 20.5, "method": "cheque", "reference": "Chq 1234567"}')
    assert first.status_code == 201, first.content
    assert (first.json()["amount"], first.json()["method_label"]) == ("20.50", "Chèque")
    assert seller.get(url).json()["balance_due"] == "24.50"
    too_much = post_json(seller, f"{url}/payments", {"amount": "30", "method": "transfer"})
    assert "24,50" in " ".join(messages_of(too_much)["amount"])
    second = post_json(seller, f"{url}/payments",
                       {"amount": "24,50", "method": "transfer", "received_on": "2026-11-27"})
    assert second.status_code == 201, second.content

    paid = seller.get(url).json()
    assert (paid["balance_due"], paid["amount_paid"], paid["paid_on"]) == (
        "0.00", "45.00", "2026-11-27")
    assert [(p["amount"], p["method"]) for p in paid["payments"]] == [
        ("24.50", "transfer"), ("20.50", "cheque")]
    assert len(seller.get(f"{url}/payments").json()) == 2
    stored = Invoice.objects.get(pk=invoice["id"])
    assert stored.entry is not None
    assert Payment.objects.filter(invoice=stored).count() == 2
    assert AuditEvent.objects.filter(action="sales.payment.recorded").count() == 2
    unpaid = seller.get(f"{API}/invoices", {"unpaid": "true"}).json()
    assert unpaid["count"] == 0


def test_a_quote_is_sent_accepted_and_gives_a_deposit_and_its_invoice(shop: Shop) -> None:
    seller = client_of(shop.seller)
    created = post_json(seller, f"{API}/quotes", {
        "activity_id": shop.activity.pk, "customer_id": shop.company.pk,
        "title": "Costumes de scène", "operation_category": "mixed",
        "lines": [{"description": "Costume", "quantity": 4, "unit_price": "150",
                   "vat_rate": "20"}],
    })
    assert created.status_code == 201, created.content
    quote = created.json()
    url = f"{API}/quotes/{quote['id']}"
    assert quote["lines"][0]["vat_rate"] == "20.00"
    assert quote["total_incl_vat"] == "720.00"
    changed = patch_json(seller, url, {"title": "Costumes du spectacle"})
    assert changed.json()["title"] == "Costumes du spectacle"
    assert changed.json()["total_incl_vat"] == "720.00"  # lines not sent: unchanged

    sent = post_json(seller, f"{url}/send")
    assert sent.status_code == 200, sent.content
    assert (sent.json()["status"], sent.json()["number"]) == ("sent", "D2026-00001")
    assert "ne change plus" in all_messages(patch_json(seller, url, {"title": "Autre"}))
    assert "se garde" in all_messages(seller.delete(url))

    stored = Quote.objects.get(pk=quote["id"])
    documents.accept_quote_by_link(token=stored.acceptance_token, name="Mme Durand",
                                   today=shop.today)
    assert "Seul un devis envoyé" in all_messages(post_json(seller, f"{url}/refuse"))
    deposit = post_json(seller, f"{url}/deposit", {"percent": 30})
    assert deposit.status_code == 201, deposit.content
    assert (deposit.json()["kind"], deposit.json()["total_incl_vat"]) == ("deposit", "216.00")
    final = post_json(seller, f"{url}/invoice")
    assert final.status_code == 201, final.content
    assert (final.json()["kind"], final.json()["quote_id"]) == ("invoice", quote["id"])
    assert final.json()["total_incl_vat"] == "720.00"
    again = post_json(seller, f"{url}/invoice")
    assert "déjà sa facture" in all_messages(again)
    detail = seller.get(url).json()
    assert detail["status"] == "accepted"
    assert sorted(i["kind"] for i in detail["invoices"]) == ["deposit", "invoice"]


def test_a_draft_quote_is_deleted_and_a_refused_one_is_kept(shop: Shop) -> None:
    seller = client_of(shop.seller)
    draft = documents.create_quote(actor=shop.seller, activity=shop.activity,
                                   customer=shop.company, lines=hem_lines(), today=shop.today)
    assert seller.delete(f"{API}/quotes/{draft.pk}").status_code == 204
    assert not Quote.objects.filter(pk=draft.pk).exists()
    other = documents.create_quote(actor=shop.seller, activity=shop.activity,
                                   customer=shop.company, lines=hem_lines(), today=shop.today)
    documents.send_quote(actor=shop.seller, quote=other, today=shop.today)
    refused = post_json(seller, f"{API}/quotes/{other.pk}/refuse")
    assert (refused.status_code, refused.json()["status"]) == (200, "refused")
    assert refused.json()["refused_on"] == "2026-11-28"


def test_a_signed_quote_is_uploaded_and_accepts_the_quote(shop: Shop) -> None:
    quote = documents.create_quote(actor=shop.seller, activity=shop.activity,
                                   customer=shop.company, lines=hem_lines(), today=shop.today)
    documents.send_quote(actor=shop.seller, quote=quote, today=shop.today)
    response = client_of(shop.seller).post(
        f"{API}/quotes/{quote.pk}/signed-copy",
        {"signed_by": "M. Durand", "file": SimpleUploadedFile("devis.pdf", pdf_bytes())})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["accepted_through"], body["accepted_by_name"]) == (
        "accepted", "signed", "M. Durand")
    assert body["has_signed_copy"] is True


# --- Figures: decimals, never floats ---------------------------------------------------------


def test_json_numbers_are_read_as_exact_decimals(shop: Shop) -> None:
    seller = client_of(shop.seller)
    body = json.dumps(invoice_body(shop))
    # 19.99 times 3: exact as decimals; as floats 59.97 would come out 59.96999…
    exact = post_raw(seller, f"{API}/invoices", body.replace(
        '"quantity": "2", "unit_price": "12,50", "vat_rate": "20"',
        '"quantity": 3, "unit_price": 19.99, "vat_rate": 5.5'))
    assert exact.status_code == 201, exact.content
    line = exact.json()["lines"][0]
    assert (line["quantity"], line["unit_price"], line["vat_rate"], line["net"]) == (
        "3.000", "19.99", "5.50", "59.97")
    # A float would round this quantity to 1.0 and let it through; a decimal keeps its
    # 19 places and the service refuses it.
    precise = post_raw(seller, f"{API}/invoices", body.replace(
        '"quantity": "2"', '"quantity": 1.0000000000000000001'))
    assert "3 décimales au plus" in all_messages(precise)
    for junk in ('1e999', '"beaucoup"', 'true'):
        refused = post_raw(seller, f"{API}/invoices",
                           body.replace('"unit_price": "12,50"', f'"unit_price": {junk}'))
        assert refused.status_code == 422, (junk, refused.content)
        assert all_messages(refused)
    assert post_raw(seller, f"{API}/invoices", body.replace('"quantity": "2"',
                                                            '"quantity": NaN')).status_code == 422
    assert Invoice.objects.count() == 1


BAD_LINES = [
    pytest.param({"vat_rate": "19.6"}, "Le taux de TVA 19.6 n'existe pas", id="vat-19.6"),
    pytest.param({"vat_rate": 19.6}, "Le taux de TVA 19.6 n'existe pas", id="vat-19.6-number"),
    pytest.param({"quantity": "-2"}, "la quantité doit être positive", id="negative-quantity"),
    pytest.param({"quantity": -1}, "la quantité doit être positive", id="negative-number"),
    pytest.param({"unit_price": "-5"}, "Un prix n'est pas négatif", id="negative-price"),
    pytest.param({"unit_price": "12.505"}, "au centime près", id="price-below-a-cent"),
    pytest.param({"unit": "barrique"}, "l'unité « barrique » n'existe pas", id="unknown-unit"),
    pytest.param({"unit_price": None}, "indiquez le prix unitaire HT", id="no-price"),
]


@pytest.mark.parametrize(("change", "message"), BAD_LINES)
def test_a_bad_line_answers_422_in_french_and_writes_nothing(
    shop: Shop, change: dict[str, Any], message: str,
) -> None:
    line = {"description": "Ourlet", "quantity": "2", "unit_price": "12,50", "vat_rate": "20",
            **change}
    seller = client_of(shop.seller)
    audit_before = AuditEvent.objects.count()
    response = post_json(seller, f"{API}/invoices", invoice_body(shop, line))
    assert message in all_messages(response), response.json()
    assert "Ligne 1" in all_messages(response)
    assert not Invoice.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_an_item_of_another_activity_is_not_in_this_catalogue(shop: Shop) -> None:
    elsewhere = services.create_item(actor=shop.seller, activity=shop.friperie, name="Veste",
                                     unit_price="15", vat_rate="20", today=shop.today)
    response = post_json(client_of(shop.seller), f"{API}/invoices",
                         invoice_body(shop, {"item_id": elsewhere.pk}))
    assert "n'est pas au catalogue" in " ".join(messages_of(response)["lines"])
    assert not Invoice.objects.exists()


def test_junk_input_answers_422_never_500(shop: Shop) -> None:
    seller = client_of(shop.seller)
    assert post_raw(seller, f"{API}/invoices", "{pas du json").status_code == 422
    assert post_raw(seller, f"{API}/invoices", "[1, 2]").status_code == 422
    for change in ({"activity_id": "abc"}, {"customer_id": 0}, {"lines": "tout"},
                   {"service_date": "2026-02-30"}, {"operation_category": "magie"}):
        response = post_json(seller, f"{API}/invoices", {**invoice_body(shop), **change})
        assert response.status_code == 422, (change, response.content)
    assert "au moins une ligne" in all_messages(
        post_json(seller, f"{API}/invoices", {**invoice_body(shop), "lines": []}))
    assert seller.get(f"{API}/invoices", {"status": "perdue"}).status_code == 422
    assert not Invoice.objects.exists()


# --- Customers -------------------------------------------------------------------------------


def test_a_seller_creates_a_customer_finds_it_and_adds_a_contact(shop: Shop) -> None:
    seller = client_of(shop.seller)
    created = post_json(seller, f"{API}/customers", {
        "kind": "company", "name": "Boulangerie du Coin", "siret": "732 829 320 00074",
        "city": "Tourcoing"})
    assert created.status_code == 201, created.content
    customer = created.json()
    # The only structure the seller sells for is taken; the SIREN comes from the SIRET.
    assert customer["structure"]["id"] == shop.cast.cae.pk
    assert (customer["siren"], customer["siret"]) == (VALID_SIREN, "73282932000074")
    url = f"{API}/customers/{customer['id']}"

    found = seller.get(f"{API}/customers", {"search": "boulang"}).json()
    assert [c["id"] for c in found["items"]] == [customer["id"]]
    assert seller.get(f"{API}/customers", {"search": "tourcoing"}).json()["count"] == 1
    assert seller.get(f"{API}/customers").json()["count"] == 3

    changed = patch_json(seller, url, {"email": "pain@exemple.org", "phone": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["email"], changed.json()["city"]) == ("pain@exemple.org",
                                                                 "Tourcoing")
    contact = post_json(seller, f"{url}/contacts", {"name": "Paul", "role": "Gérant"})
    assert contact.status_code == 201, contact.content
    assert [c["name"] for c in seller.get(url).json()["contacts"]] == ["Paul"]
    assert "nom du contact" in all_messages(post_json(seller, f"{url}/contacts",
                                                      {"name": "  "}))
    archived = post_json(seller, f"{url}/archive")
    assert archived.json()["archived_at"] is not None
    assert seller.get(f"{API}/customers", {"search": "boulang"}).json()["count"] == 0
    assert seller.get(f"{API}/customers", {"search": "boulang",
                                           "archived": "true"}).json()["count"] == 1


BAD_CUSTOMERS = [
    pytest.param({"kind": "company", "name": "Sans SIREN"}, "siren", "SIREN", id="b2b-no-siren"),
    pytest.param({"kind": "public", "name": "Mairie"}, "siren", "SIREN", id="public-no-siren"),
    pytest.param({"kind": "company", "name": "Faux", "siren": "123456789"}, "siren", "SIREN",
                 id="wrong-siren"),
    pytest.param({"kind": "individual", "name": "Jo", "vat_number": "FR00000000000"},
                 "vat_number", "n'est pas un numéro de TVA", id="wrong-vat-number"),
    pytest.param({"kind": "individual", "name": "  "}, "name", "nom du client", id="no-name"),
]


@pytest.mark.parametrize(("body", "field", "message"), BAD_CUSTOMERS)
def test_a_bad_customer_answers_422_in_french_and_writes_nothing(
    shop: Shop, body: dict[str, Any], field: str, message: str,
) -> None:
    before = Customer.objects.count()
    response = post_json(client_of(shop.seller), f"{API}/customers", body)
    assert any(message in text for text in messages_of(response)[field]), response.json()
    assert Customer.objects.count() == before


def test_a_business_customer_cannot_lose_its_siren(shop: Shop) -> None:
    response = patch_json(client_of(shop.seller), f"{API}/customers/{shop.company.pk}",
                          {"siren": "", "siret": ""})
    assert "siren" in messages_of(response)
    shop.company.refresh_from_db()
    assert shop.company.siren == VALID_SIREN


# --- Catalogue -------------------------------------------------------------------------------


def test_the_catalogue_is_kept_through_the_api(shop: Shop) -> None:
    seller = client_of(shop.seller)
    url = f"{API}/activities/{shop.activity.pk}/catalog"
    created = post_raw(seller, url, '{"name": "Tissu wax", "unit": "metre", '
                                    '"unit_price": 8.5, "vat_rate": 5.5}')
    assert created.status_code == 201, created.content
    item = created.json()
    assert (item["unit_price"], item["vat_rate"], item["unit_label"]) == ("8.50", "5.50",
                                                                          "mètre")
    changed = patch_json(seller, f"{API}/catalog/{item['id']}", {"unit_price": "9,20"})
    assert changed.json()["unit_price"] == "9.20"
    assert "19.6 n'existe pas" in " ".join(messages_of(
        patch_json(seller, f"{API}/catalog/{item['id']}", {"vat_rate": "19.6"}))["vat_rate"])
    assert CatalogItem.objects.get(pk=item["id"]).vat_rate == "5.50"
    assert {i["name"] for i in seller.get(url).json()["items"]} == {"Retouche d'ourlet",
                                                                    "Tissu wax"}
    assert post_json(seller, f"{API}/catalog/{item['id']}/archive").status_code == 200
    assert [i["name"] for i in seller.get(url).json()["items"]] == ["Retouche d'ourlet"]
    assert seller.get(url, {"archived": "true"}).json()["count"] == 2
    selling = seller.get(f"{API}/activities", {"selling": "true"}).json()
    assert {a["name"] for a in selling["items"]} == {"Couture Awa", "La Friperie"}


# --- Issued documents never change; credit notes ---------------------------------------------


def test_an_issued_invoice_cannot_be_edited_or_deleted(shop: Shop) -> None:
    pytest.importorskip("kpa.sales.pdf")
    invoice = issued_invoice(shop)
    manager = client_of(shop.manager)
    url = f"{API}/invoices/{invoice.pk}"
    for response in (patch_json(manager, url, {"title": "Autre chose"}),
                     patch_json(manager, url, {"lines": [{"description": "Rien",
                                                          "unit_price": "1",
                                                          "vat_rate": "20"}]}),
                     manager.delete(url)):
        assert "est émise : elle ne change plus" in all_messages(response)
    invoice.refresh_from_db()
    assert (invoice.title, invoice.total_incl_vat) == ("Retouches", Decimal("30.00"))
    assert invoice.lines.count() == 1


def test_a_credit_note_may_not_exceed_its_invoice(shop: Shop) -> None:
    pytest.importorskip("kpa.sales.pdf")
    invoice = issued_invoice(shop)  # 2 hems at 12.50, + 20 %: 30.00
    manager = client_of(shop.manager)
    url = f"{API}/invoices/{invoice.pk}/credit-note"
    too_big = post_json(manager, url, {"lines": [{"description": "Ourlet", "quantity": 3,
                                                  "unit_price": "12.50", "vat_rate": "20"}]})
    assert "dépasse ce qui reste à corriger" in all_messages(too_big)
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()

    partial = post_json(manager, url, {"lines": [{"description": "Ourlet mal fait",
                                                  "quantity": 1, "unit_price": "12.50",
                                                  "vat_rate": "20"}]})
    assert partial.status_code == 201, partial.content
    assert (partial.json()["kind"], partial.json()["credited_invoice_id"]) == (
        "credit_note", invoice.pk)
    assert partial.json()["total_incl_vat"] == "15.00"
    rest = post_json(manager, url, {"lines": [{"description": "Encore", "quantity": 2,
                                               "unit_price": "12.50", "vat_rate": "20"}]})
    assert "15,00" in all_messages(rest)  # what remains to correct
    queue = manager.get(f"{API}/validation-queue").json()
    assert [i["id"] for i in queue["items"]] == [partial.json()["id"]]


def test_a_full_credit_note_is_made_with_no_body_and_only_by_the_gestionnaire(
    shop: Shop,
) -> None:
    pytest.importorskip("kpa.sales.pdf")
    invoice = issued_invoice(shop)
    url = f"{API}/invoices/{invoice.pk}/credit-note"
    assert post_json(client_of(shop.seller), url).status_code == 403
    full = post_json(client_of(shop.manager), url)
    assert full.status_code == 201, full.content
    assert full.json()["total_incl_vat"] == "30.00"
    assert full.json()["title"] == f"Avoir sur la facture {invoice.number}"
    detail = client_of(shop.seller).get(f"{API}/invoices/{invoice.pk}").json()
    assert [n["id"] for n in detail["credit_notes"]] == [full.json()["id"]]


def test_the_pdf_of_a_draft_answers_409_in_french(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    response = client_of(shop.seller).get(f"{API}/invoices/{invoice.pk}/pdf")
    assert response.status_code == 409
    assert "pas encore émis" in response.json()["detail"]


def test_a_draft_invoice_is_changed_then_deleted(shop: Shop) -> None:
    seller = client_of(shop.seller)
    invoice = draft_invoice(shop)
    url = f"{API}/invoices/{invoice.pk}"
    changed = patch_json(seller, url, {
        "customer_id": shop.person_customer.pk, "purchase_order": "BC-42",
        "lines": [{"item_id": shop.item.pk, "quantity": "3"}]})
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["customer"]["id"], body["purchase_order"]) == (shop.person_customer.pk,
                                                                "BC-42")
    assert (body["total_incl_vat"], len(body["lines"])) == ("45.00", 1)
    assert body["lines"][0]["item_id"] == shop.item.pk
    assert seller.delete(url).status_code == 204
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


# --- Who reaches what ------------------------------------------------------------------------


def object_routes(shop: Shop) -> list[tuple[str, str, Any]]:
    """Every route that names an object of the home structure, with a body that would pass."""
    invoice = issued_invoice(shop)
    draft = draft_invoice(shop)
    quote = accepted_quote(shop)
    line = [{"description": "Ourlet", "quantity": "1", "unit_price": "10", "vat_rate": "20"}]
    customer, item, activity = shop.company.pk, shop.item.pk, shop.activity.pk
    return [
        ("get", f"/activities/{activity}/catalog", None),
        ("post", f"/activities/{activity}/catalog",
         {"name": "Bouton", "unit_price": "1", "vat_rate": "20"}),
        ("patch", f"/catalog/{item}", {"unit_price": "1"}),
        ("post", f"/catalog/{item}/archive", None),
        ("post", "/customers", {"structure_id": shop.cast.cae.pk, "kind": "individual",
                                "name": "Intrus"}),
        ("get", f"/customers/{customer}", None),
        ("patch", f"/customers/{customer}", {"name": "Pris"}),
        ("post", f"/customers/{customer}/archive", None),
        ("post", f"/customers/{customer}/contacts", {"name": "Intrus"}),
        ("post", "/quotes", {"activity_id": activity, "customer_id": customer, "lines": line}),
        ("get", f"/quotes/{quote.pk}", None),
        ("patch", f"/quotes/{quote.pk}", {"title": "Pris"}),
        ("delete", f"/quotes/{quote.pk}", None),
        ("post", f"/quotes/{quote.pk}/send", None),
        ("post", f"/quotes/{quote.pk}/refuse", None),
        ("post", f"/quotes/{quote.pk}/invoice", None),
        ("post", f"/quotes/{quote.pk}/deposit", {"percent": "30"}),
        ("post", "/invoices", {"activity_id": activity, "customer_id": customer,
                               "lines": line}),
        ("get", f"/invoices/{invoice.pk}", None),
        ("patch", f"/invoices/{draft.pk}", {"title": "Pris"}),
        ("delete", f"/invoices/{draft.pk}", None),
        ("post", f"/invoices/{draft.pk}/submit", None),
        ("post", f"/invoices/{draft.pk}/issue", None),
        ("post", f"/invoices/{invoice.pk}/credit-note", None),
        ("get", f"/invoices/{invoice.pk}/payments", None),
        ("post", f"/invoices/{invoice.pk}/payments", {"amount": "1", "method": "cash"}),
        ("get", f"/invoices/{invoice.pk}/pdf", None),
    ]


def send(client: Client, method: str, url: str, body: Any) -> Any:
    if method == "get":
        return client.get(url)
    if method == "delete":
        return client.delete(url)
    return getattr(client, method)(url, json.dumps(body or {}), content_type="application/json")


def test_the_outsider_finds_nothing_of_the_shop_anywhere(shop: Shop) -> None:
    pytest.importorskip("kpa.sales.pdf")
    routes = object_routes(shop)
    outsider = client_of(shop.cast.user("outsider"))
    audit_before = AuditEvent.objects.count()
    for method, route, body in routes:
        response = send(outsider, method, f"{API}{route}", body)
        assert response.status_code == 404, (method, route, response.content)
        assert response.json() == {"detail": "Introuvable."}
    assert AuditEvent.objects.count() == audit_before
    for route in ("/customers", "/quotes", "/invoices", "/validation-queue", "/activities"):
        assert outsider.get(f"{API}{route}").json()["count"] == 0, route
    # The seller reaches every one of them: the 404s above are about reach, not the routes.
    seller = client_of(shop.seller)
    for method, route, _body in routes:
        if method == "get":
            assert seller.get(f"{API}{route}").status_code == 200, route


def test_unknown_ids_answer_404_json(shop: Shop) -> None:
    client = client_of(shop.cast.user("admin"))
    for route in ("customers/{}", "quotes/{}", "invoices/{}", "invoices/{}/pdf",
                  "invoices/{}/payments", "activities/{}/catalog"):
        for missing in ("987654", "9" * 30):
            url = f"{API}/{route.format(missing)}"
            response = client.get(url)
            assert response.status_code == 404, (url, response.content)
            assert response.json() == {"detail": "Introuvable."}


def test_a_referent_reads_the_kpa_s_invoices_but_changes_nothing(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    referent = client_of(shop.cast.user("referent"))
    url = f"{API}/invoices/{invoice.pk}"
    assert referent.get(url).status_code == 200
    for response in (post_json(referent, f"{url}/submit"), post_json(referent, f"{url}/issue"),
                     patch_json(referent, url, {"title": "Autre"}), referent.delete(url),
                     post_json(referent, f"{API}/invoices", invoice_body(shop)),
                     post_json(referent, f"{API}/activities/{shop.activity.pk}/catalog",
                               {"name": "Bouton", "unit_price": "1"})):
        assert response.status_code == 403, response.content
        assert response.json() == {"detail": "Vous n'avez pas le droit de faire cela ici."}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.title) == (Invoice.Status.DRAFT, "Retouches")
    assert Invoice.objects.count() == 1


def test_the_comptable_records_a_payment_on_any_activity_of_the_structure(shop: Shop) -> None:
    pytest.importorskip("kpa.sales.pdf")
    invoice = issued_invoice(shop)
    response = post_json(client_of(shop.cast.user("comptable")),
                         f"{API}/invoices/{invoice.pk}/payments",
                         {"amount": "30.00", "method": "transfer"})
    assert response.status_code == 201, response.content
    invoice.refresh_from_db()
    assert invoice.paid_on == shop.today


def test_a_payment_on_a_draft_is_refused_and_the_sequence_is_untouched(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    response = post_json(client_of(shop.seller), f"{API}/invoices/{invoice.pk}/payments",
                         {"amount": "10", "method": "cash"})
    assert "facture émise" in all_messages(response)
    assert not Payment.objects.exists()
    assert not DocumentSequence.objects.exists()


def test_without_a_token_the_sales_api_answers_401(shop: Shop) -> None:
    invoice = draft_invoice(shop)
    anonymous = Client()
    for response in (anonymous.get(f"{API}/invoices"),
                     anonymous.get(f"{API}/invoices/{invoice.pk}"),
                     anonymous.get(f"{API}/invoices/{invoice.pk}/pdf"),
                     post_json(anonymous, f"{API}/invoices", invoice_body(shop)),
                     post_json(anonymous, f"{API}/invoices/{invoice.pk}/submit"),
                     anonymous.get(f"{API}/customers")):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="kpa"'
    bad = Client(headers={"Authorization": "Bearer kpa_pas-un-vrai-jeton"})
    assert bad.get(f"{API}/quotes").status_code == 401
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT


def test_lists_filter_by_status_kind_and_activity(shop: Shop) -> None:
    pytest.importorskip("kpa.sales.pdf")
    issued = issued_invoice(shop)
    draft = draft_invoice(shop, customer=shop.person_customer)
    friperie = documents.create_invoice(
        actor=shop.seller, activity=shop.friperie, customer=shop.person_customer,
        lines=[LineInput(description="Veste", unit_price="15", vat_rate="20",
                         is_service=False)], today=shop.today)
    note = documents.create_credit_note(actor=shop.manager, invoice=issued, today=shop.today)
    client = client_of(shop.seller)

    def ids(**params: Any) -> set[int]:
        response = client.get(f"{API}/invoices", params)
        assert response.status_code == 200, response.content
        return {i["id"] for i in response.json()["items"]}

    assert ids() == {issued.pk, draft.pk, friperie.pk, note.pk}
    assert ids(status="issued") == {issued.pk}
    assert ids(kind="credit_note") == {note.pk}
    assert ids(activity=shop.friperie.pk) == {friperie.pk}
    assert ids(activity=shop.activity.pk, status="draft", kind="invoice") == {draft.pk}
    assert ids(customer=shop.company.pk) == {issued.pk, note.pk}
    assert ids(unpaid="true") == {issued.pk}
    assert client.get(f"{API}/invoices", {"kind": "ticket"}).status_code == 422
    quotes = client.get(f"{API}/quotes", {"status": "draft"}).json()
    assert quotes["count"] == 0


# --- Query counts ----------------------------------------------------------------------------


def fill(shop: Shop, count: int) -> None:
    start = Customer.objects.count()
    for n in range(start, start + count):
        customer = Customer.objects.create(
            structure=shop.cast.cae, kind=Customer.Kind.INDIVIDUAL, name=f"Client {n}")
        documents.create_invoice(actor=shop.seller, activity=shop.activity, customer=customer,
                                 lines=hem_lines(), today=shop.today)
        invoice = documents.create_invoice(actor=shop.seller, activity=shop.friperie,
                                           customer=customer, lines=hem_lines(),
                                           today=shop.today)
        documents.submit_invoice(actor=shop.seller, invoice=invoice, today=shop.today)
        documents.create_quote(actor=shop.seller, activity=shop.activity, customer=customer,
                               lines=hem_lines(), today=shop.today)
        services.create_item(actor=shop.seller, activity=shop.activity, name=f"Article {n}",
                             unit_price="3", vat_rate="20", today=shop.today)
        directory_services.create_activity(
            actor=shop.manager, kpa=shop.cast.home, name=f"Atelier {n}",
            kind=Activity.Kind.COLLECTIVE, started_on=CAPE_START, today=shop.today,
            members=[shop.cast.cooperant])


def list_paths(shop: Shop) -> dict[str, tuple[str, int]]:
    # Each: token, its last use, the user's reach (2), the member activities, then the
    # count and the page (select_related: no query per row). Customers also read the
    # structures of those activities; the catalogue, the activity it belongs to.
    return {
        "customers": ("/customers", 8),
        "quotes": ("/quotes", 7),
        "invoices": ("/invoices", 7),
        "validation-queue": ("/validation-queue", 6),
        "activities": ("/activities", 7),
        "catalog": (f"/activities/{shop.activity.pk}/catalog", 8),
    }


@pytest.mark.parametrize("name", ["customers", "quotes", "invoices", "validation-queue",
                                  "activities", "catalog"])
def test_list_endpoints_run_a_fixed_number_of_queries(
    shop: Shop, django_assert_num_queries: Any, name: str,
) -> None:
    path, queries = list_paths(shop)[name]
    persona = shop.manager if name == "validation-queue" else shop.seller
    fill(shop, 1)
    client = client_of(persona)
    with django_assert_num_queries(queries):
        few = client.get(f"{API}{path}")
    fill(shop, 4)
    client = client_of(persona)  # a fresh token: its first use is written, the worst case
    with django_assert_num_queries(queries):
        many = client.get(f"{API}{path}")
    assert many.json()["count"] > few.json()["count"] >= 1


def test_an_invoice_detail_costs_the_same_however_many_lines_and_payments(
    shop: Shop, django_assert_num_queries: Any,
) -> None:
    pytest.importorskip("kpa.sales.pdf")
    small = issued_invoice(shop)
    big = issued_invoice(shop, lines=hem_lines() * 5)
    for amount in ("10", "20", "30"):
        from kpa.sales import payments
        payments.record_payment(actor=shop.seller, invoice=big, amount=amount, method="cash",
                                received_on=shop.today, today=shop.today)
    documents.create_credit_note(actor=shop.manager, invoice=big, today=shop.today,
                                 lines=hem_lines(1))
    client = client_of(shop.seller)
    client.get(f"{API}/invoices")  # the token's first use is written once
    # token, reach (2), member activities, the invoice, its lines, payments, credit notes,
    # and the issued credit notes that balance_due reads
    with django_assert_num_queries(9):
        assert client.get(f"{API}/invoices/{small.pk}").status_code == 200
    with django_assert_num_queries(9):
        body = client.get(f"{API}/invoices/{big.pk}").json()
    assert (len(body["lines"]), len(body["payments"]), len(body["credit_notes"])) == (5, 3, 1)


# --- OpenAPI ---------------------------------------------------------------------------------


def test_the_openapi_document_lists_the_sales_routes() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = set(schema["paths"])
    expected = {
        "activities", "activities/{activity_id}/catalog", "catalog/{item_id}",
        "catalog/{item_id}/archive", "customers", "customers/{customer_id}",
        "customers/{customer_id}/archive", "customers/{customer_id}/contacts", "quotes",
        "quotes/{quote_id}", "quotes/{quote_id}/send", "quotes/{quote_id}/refuse",
        "quotes/{quote_id}/signed-copy", "quotes/{quote_id}/invoice",
        "quotes/{quote_id}/deposit", "invoices", "invoices/{invoice_id}",
        "invoices/{invoice_id}/submit", "invoices/{invoice_id}/issue",
        "invoices/{invoice_id}/credit-note", "invoices/{invoice_id}/payments",
        "invoices/{invoice_id}/pdf", "validation-queue",
    }
    assert {f"{API}/{path}" for path in expected} <= paths
    pdf = schema["paths"][f"{API}/invoices/{{invoice_id}}/pdf"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"]
    assert "409" in pdf
    quantity = schema["components"]["schemas"]["LineIn"]["properties"]["quantity"]
    assert {"string", "number"} <= {option["type"] for option in quantity["anyOf"]}


def test_dates_given_to_the_api_are_its_today(shop: Shop) -> None:
    """The service gets the API's today: a payment dated tomorrow is refused."""
    pytest.importorskip("kpa.sales.pdf")
    invoice = issued_invoice(shop)
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    response = post_json(client_of(shop.seller), f"{API}/invoices/{invoice.pk}/payments",
                         {"amount": "1", "method": "cash", "received_on": tomorrow})
    assert "à l'avance" in " ".join(messages_of(response)["received_on"])
    assert not Payment.objects.exists()
