"""The bank API: a statement imported as base64, its transactions listed (amounts as decimal
strings) at a fixed number of queries, suggestions, match and unmatch; 404 for what is out of
reach, 422 in French for refused input."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.ledger import services as ledger_services
from kpa.ledger.models import EntryLine, Journal
from kpa.ledger.services import LineInput
from kpa.sales.tests.conftest import Shop
from kpa.treasury.models import BankCsvLayout, BankStatement, BankTransaction
from kpa.treasury.tests.test_bank_helpers import (
    bank_journal,
    create_layout,
    import_file,
    import_sample,
    post_bank,
    sample,
    transaction,
)
from kpa.treasury.tests.test_bank_reconciliation import ofx

API = "/api/v1/treasury/bank"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def bookkeeper_client(shop: Shop) -> Client:
    return client_of(shop.cast.user("comptable"))


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def encoded(content: bytes) -> str:
    return base64.b64encode(content).decode()


def test_a_statement_is_imported_as_base64(shop: Shop) -> None:
    response = post_json(bookkeeper_client(shop), f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "file_name": "releve-ofx2.ofx",
        "content_base64": encoded(sample("releve-ofx2.ofx"))})
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["duplicates"]) == (3, 0)
    assert body["statement"]["file_format"] == "ofx"
    assert body["statement"]["journal_code"] == "BQ1"
    again = post_json(bookkeeper_client(shop), f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "file_name": "x.ofx",
        "content_base64": encoded(sample("releve-ofx2.ofx") + b"\n")})
    assert again.json()["duplicates"] == 3


def test_a_csv_is_imported_with_its_layout_and_refused_line_by_line(shop: Shop) -> None:
    layout = create_layout(shop)
    client = bookkeeper_client(shop)
    good = post_json(client, f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "layout_id": layout.pk, "file_name": "r.csv",
        "content_base64": encoded(sample("releve-montant-signe.csv"))})
    assert good.status_code == 201
    bad = post_json(client, f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "layout_id": layout.pk, "file_name": "r.csv",
        "content_base64": encoded(b"D;L;M\n01/11/2026;VIR;12,5x\n")})
    assert bad.status_code == 422
    assert bad.json()["detail"] == [{"loc": ["body", "file"], "type": "value_error",
                                     "msg": "Ligne 2 : « 12,5x » n'est pas un montant."}]


def test_bad_base64_and_an_unknown_layout_are_refused(shop: Shop) -> None:
    client = bookkeeper_client(shop)
    response = post_json(client, f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "file_name": "r.ofx", "content_base64": "%%%"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "content_base64"]
    response = post_json(client, f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "file_name": "r.csv",
        "content_base64": encoded(sample("releve-montant-signe.csv"))})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("Ce fichier n'est pas un relevé OFX")
    assert not BankStatement.objects.exists()


def test_a_journal_or_layout_out_of_reach_does_not_exist(shop: Shop) -> None:
    foreign = BankCsvLayout.objects.create(structure=shop.cast.other_structure, name="X",
                                           date_column=1, label_column=2, amount_column=3)
    client = bookkeeper_client(shop)
    od = Journal.objects.get(structure=shop.cast.cae, code="OD")
    for journal_id, layout_id in [(od.pk, None), (bank_journal(shop).pk, foreign.pk)]:
        response = post_json(client, f"{API}/statements", {
            "journal_id": journal_id, "layout_id": layout_id, "file_name": "r.ofx",
            "content_base64": encoded(sample("releve-ofx1.ofx"))})
        assert response.status_code == 404
    assert not BankStatement.objects.exists()


def test_transactions_are_listed_with_decimal_strings_and_filters(shop: Shop) -> None:
    import_sample(shop, "releve-ofx1.ofx")
    client = bookkeeper_client(shop)
    body = client.get(f"{API}/transactions").json()
    assert body["count"] == 4
    first = body["items"][0]
    assert (first["booked_on"], first["amount"], first["bank_reference"], first["status"],
            first["status_label"], first["matched_line_ids"]) == (
        "2026-11-05", "30.00", "CE2026110500001", "unmatched", "À rapprocher", [])
    assert [t["amount"] for t in body["items"]] == ["30.00", "-45.90", "-62.18", "-6.50"]
    statement = BankStatement.objects.get()
    assert client.get(f"{API}/transactions", {"statement": statement.pk,
                                               "status": "matched"}).json()["count"] == 0
    assert client.get(f"{API}/transactions", {"status": "nope"}).status_code == 422
    assert client.get(f"{API}/statements").json()["count"] == 1


def test_the_list_costs_the_same_queries_for_more_transactions(
        shop: Shop, django_assert_num_queries: Any) -> None:
    import_file(shop, ofx(("20261101", "10.00", "A1", "VIR")))
    line = post_bank(shop, TODAY.replace(day=1), "10.00", "Remise")
    from kpa.treasury.reconciliation import match

    match(actor=shop.manager, transaction=BankTransaction.objects.get(), lines=[line],
          today=TODAY)
    client = bookkeeper_client(shop)
    client.get(f"{API}/statements")  # the token's first use is written once
    with django_assert_num_queries(6):
        few = client.get(f"{API}/transactions").json()
    import_file(shop, ofx(*[(f"202611{n:02d}", f"-{n}.00", f"B{n}", "CB") for n in range(1, 6)]),
                name="b.ofx")
    with django_assert_num_queries(6):
        many = client.get(f"{API}/transactions").json()
    assert (few["count"], many["count"]) == (1, 6)
    assert few["items"][0]["matched_line_ids"] == [line.pk]


def test_suggest_match_and_unmatch_through_the_api(shop: Shop) -> None:
    line = post_bank(shop, TODAY.replace(day=4), "30.00", "Règlement mairie")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    client = bookkeeper_client(shop)
    found = client.get(f"{API}/transactions/{item.pk}/suggestions").json()
    assert len(found) == 1
    assert found[0]["line"]["id"] == line.pk
    assert found[0]["line"]["amount"] == "30.00"
    assert found[0]["line"]["date"] == "2026-11-04"
    assert found[0]["days_apart"] == 1
    matched = post_json(client, f"{API}/transactions/{item.pk}/match", {"line_ids": [line.pk]})
    assert matched.status_code == 200
    assert (matched.json()["status"], matched.json()["matched_line_ids"]) == (
        "matched", [line.pk])
    assert client.get(f"{API}/transactions/{item.pk}/suggestions").json() == []
    undone = post_json(client, f"{API}/transactions/{item.pk}/unmatch")
    assert (undone.json()["status"], undone.json()["matched_line_ids"]) == ("unmatched", [])
    aside = post_json(client, f"{API}/transactions/{item.pk}/ignore")
    assert aside.json()["status"] == "ignored"
    assert client.get(f"{API}/transactions/{item.pk}").json()["status"] == "ignored"


def test_a_match_that_does_not_add_up_is_422(shop: Shop) -> None:
    line = post_bank(shop, TODAY.replace(day=4), "25.00", "Acompte")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    response = post_json(bookkeeper_client(shop), f"{API}/transactions/{item.pk}/match",
                         {"line_ids": [line.pk]})
    assert response.status_code == 422
    assert response.json()["detail"] == [{
        "loc": ["body", "lines"], "type": "value_error",
        "msg": "Les lignes choisies font 25,00 € ; l'opération de la banque est de 30,00 €. "
               "Choisissez des lignes dont la somme est égale."}]
    response = post_json(bookkeeper_client(shop), f"{API}/transactions/{item.pk}/unmatch")
    assert response.status_code == 422


def test_a_line_of_another_structure_does_not_exist(shop: Shop) -> None:
    other = shop.cast.other_structure
    admin = shop.cast.user("admin")
    ledger_services.open_books(actor=admin, structure=other,
                               first_year_starts_on=TODAY.replace(month=1, day=1),
                               first_year_ends_on=TODAY.replace(year=2027, month=1, day=1),
                               today=TODAY)
    entry = ledger_services.post_entry(
        actor=admin, structure=other, journal=Journal.objects.get(structure=other, code="BQ1"),
        date=TODAY.replace(day=5), label="Ailleurs", validate=True, today=TODAY,
        lines=[LineInput("512", debit="30.00"), LineInput("411", credit="30.00")])
    foreign = EntryLine.objects.get(entry=entry, account__number="512")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    response = post_json(bookkeeper_client(shop), f"{API}/transactions/{item.pk}/match",
                         {"line_ids": [foreign.pk]})
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["cooperant", "referent", "outsider"])
def test_the_bank_does_not_exist_for_anyone_else(shop: Shop, persona: str) -> None:
    line = post_bank(shop, TODAY.replace(day=5), "30.00", "Règlement")
    import_sample(shop, "releve-ofx1.ofx")
    item = transaction(shop, "MAIRIE")
    client = client_of(shop.cast.user(persona))
    assert client.get(f"{API}/transactions").json()["count"] == 0
    assert client.get(f"{API}/statements").json()["count"] == 0
    for url in [f"{API}/transactions/{item.pk}", f"{API}/transactions/{item.pk}/suggestions"]:
        assert client.get(url).status_code == 404
    assert post_json(client, f"{API}/transactions/{item.pk}/match",
                     {"line_ids": [line.pk]}).status_code == 404
    for action in ("unmatch", "ignore"):
        assert post_json(client, f"{API}/transactions/{item.pk}/{action}").status_code == 404
    assert post_json(client, f"{API}/statements", {
        "journal_id": bank_journal(shop).pk, "file_name": "r.ofx",
        "content_base64": encoded(sample("releve-ofx2.ofx"))}).status_code == 404
    item.refresh_from_db()
    assert item.status == BankTransaction.Status.UNMATCHED
    assert BankStatement.objects.count() == 1


def test_the_routes_are_in_the_openapi_document(shop: Shop) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    for route in ["/statements", "/transactions", "/transactions/{transaction_id}/suggestions",
                  "/transactions/{transaction_id}/match",
                  "/transactions/{transaction_id}/unmatch"]:
        assert f"{API}{route}" in paths
