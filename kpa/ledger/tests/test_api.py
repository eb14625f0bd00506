"""The books' REST API: scoping (404 for whoever does not keep the books), writes through the
services (422 with French messages), amounts as decimal strings in and out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.ledger.models import Entry, FiscalYear
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger

API = "/api/v1/ledger"
ApiClient = Callable[[str], Client]
NOT_KEEPERS = ["referent", "cooperant", "coordinateur", "outsider"]


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.fixture
def api(cast: Cast) -> ApiClient:
    def client_for(persona: str) -> Client:
        _, secret = create_api_token(actor=None, user=cast.user(persona))
        return Client(headers={"Authorization": f"Bearer {secret}"})

    return client_for


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def year_of(ledger: Ledger) -> FiscalYear:
    return FiscalYear.objects.get(structure=ledger.structure)


SALE = {"journal": "VT", "date": "2026-11-20", "label": "Atelier couture",
        "piece_ref": "F2026-042", "lines": [
            {"account": "411", "debit": "1440.00", "third_party": "C0001",
             "treasury": "T-0001"},
            {"account": "706", "credit": "1200.00", "treasury": "T-0001"},
            {"account": "44571", "credit": "240.00"}]}


def test_the_comptable_reads_the_chart_journals_and_years(ledger: Ledger,
                                                         api: ApiClient) -> None:
    client, pk = api("comptable"), ledger.structure.pk
    accounts = client.get(f"{API}/structures/{pk}/accounts").json()
    assert {"number": "706", "label": "Prestations de services"}.items() <= next(
        a for a in accounts if a["number"] == "706").items()
    journals = {j["code"]: j for j in client.get(f"{API}/structures/{pk}/journals").json()}
    assert journals["BQ1"]["account"] == "512"
    assert journals["VT"]["account"] is None
    years = client.get(f"{API}/structures/{pk}/fiscal-years").json()
    assert years == [{"id": year_of(ledger).pk, "name": 2026, "starts_on": "2026-01-01",
                      "ends_on": "2027-01-01", "last_day": "2026-12-31", "status": "open",
                      "result": None}]


def test_an_entry_is_created_validated_and_reversed_through_the_api(
        ledger: Ledger, api: ApiClient) -> None:
    ledger.customer(), ledger.treasury()
    client = api("gestionnaire")
    created = post_json(client, f"{API}/structures/{ledger.structure.pk}/entries", SALE)
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["status"], draft["reference"], draft["journal"]) == ("draft", "", "VT")
    assert draft["lines"][0] == {
        "position": 1, "account": "411", "account_label": "Clients", "third_party": "C0001",
        "treasury": "T-0001", "label": "Atelier couture", "debit": "1440.00",
        "credit": "0.00", "lettering_code": ""}
    validated = client.post(f"{API}/entries/{draft['id']}/validate")
    assert validated.status_code == 200
    assert (validated.json()["status"], validated.json()["reference"]) == (
        "validated", "VT000001")
    reversed_ = post_json(client, f"{API}/entries/{draft['id']}/reverse",
                          {"date": "2026-11-28"})
    assert reversed_.status_code == 201
    assert reversed_.json()["reverses_id"] == draft["id"]
    assert reversed_.json()["lines"][0]["credit"] == "1440.00"
    listed = client.get(f"{API}/fiscal-years/{year_of(ledger).pk}/entries?limit=1").json()
    assert listed["count"] == 2
    assert len(listed["items"]) == 1
    assert client.get(f"{API}/entries/{draft['id']}").json()["status"] == "validated"


def test_an_entry_may_be_validated_at_once(ledger: Ledger, api: ApiClient) -> None:
    ledger.customer(), ledger.treasury()
    response = post_json(api("comptable"), f"{API}/structures/{ledger.structure.pk}/entries",
                         {**SALE, "validate": True})
    assert response.status_code == 201
    assert response.json()["reference"] == "VT000001"


@pytest.mark.parametrize(("change", "message"), [
    ({"lines": [{"account": "411", "debit": "10.00"}, {"account": "706", "credit": "9.00"}]},
     "n'est pas équilibrée"),
    ({"lines": [{"account": "411", "debit": "10.00"}, {"account": "799999",
                                                        "credit": "10.00"}]},
     "Ligne 2 : le compte 799999 n'est pas dans le plan"),
    ({"journal": "ZZ"}, "Le journal ZZ n'existe pas"),
    ({"date": "2031-01-05"}, "Aucun exercice ne couvre le 05/01/2031"),
    ({"lines": [{"account": "411", "debit": "10.00", "third_party": "NOPE"},
                {"account": "706", "credit": "10.00"}]}, "Code inconnu"),
])
def test_a_refused_entry_answers_422_in_french_and_writes_nothing(
        ledger: Ledger, api: ApiClient, change: dict[str, Any], message: str) -> None:
    ledger.customer(), ledger.treasury()
    response = post_json(api("comptable"), f"{API}/structures/{ledger.structure.pk}/entries",
                         {**SALE, **change})
    assert response.status_code == 422, response.content
    assert any(message in item["msg"] for item in response.json()["detail"]), response.json()
    assert not Entry.objects.exists()


def test_amounts_are_strings_never_json_numbers(ledger: Ledger, api: ApiClient) -> None:
    response = post_json(api("comptable"), f"{API}/structures/{ledger.structure.pk}/entries", {
        **SALE, "lines": [{"account": "411", "debit": 10.1}, {"account": "706", "credit": 10.1}]})
    assert response.status_code == 422
    assert not Entry.objects.exists()


def test_the_trial_balance_and_statements_come_as_json_with_string_amounts(
        ledger: Ledger, api: ApiClient) -> None:
    ledger.entry("OD", dt.date(2026, 1, 5), LineInput("512", debit="5000"),
                 LineInput("101", credit="5000"), label="Apport")
    ledger.entry("VT", dt.date(2026, 2, 1), LineInput("512", debit="1200"),
                 LineInput("706", credit="1200"))
    client, year = api("comptable"), year_of(ledger)
    balance = client.get(f"{API}/fiscal-years/{year.pk}/trial-balance").json()
    assert balance["provisional"] is True
    assert (balance["total_debit"], balance["total_credit"]) == ("6200.00", "6200.00")
    assert {"number": "512", "label": "Banques", "debit": "6200.00", "credit": "0.00",
            "debit_balance": "6200.00", "credit_balance": "0.00"} in balance["rows"]
    statements = client.get(f"{API}/fiscal-years/{year.pk}/statements").json()
    assert statements["result"] == "1200.00"
    assert statements["previous_result"] is None
    actif = statements["balance_sheet"]["sides"][0]
    assert actif["title"] == "Actif"
    assert actif["total"] == "6200.00"


@pytest.mark.parametrize("persona", NOT_KEEPERS)
def test_whoever_does_not_keep_the_books_gets_404_on_every_route(
        ledger: Ledger, api: ApiClient, persona: str) -> None:
    entry = ledger.entry("VT", dt.date(2026, 2, 1), LineInput("411", debit="10"),
                         LineInput("706", credit="10"))
    client, pk, year = api(persona), ledger.structure.pk, year_of(ledger).pk
    reads = [f"/structures/{pk}/accounts", f"/structures/{pk}/journals",
             f"/structures/{pk}/fiscal-years", f"/fiscal-years/{year}/entries",
             f"/entries/{entry.pk}", f"/fiscal-years/{year}/trial-balance",
             f"/fiscal-years/{year}/statements"]
    for path in reads:
        response = client.get(API + path)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Introuvable."}
    writes = [(f"/structures/{pk}/entries", SALE), (f"/entries/{entry.pk}/validate", {}),
              (f"/entries/{entry.pk}/reverse", {"date": "2026-11-28"})]
    for path, data in writes:
        assert post_json(client, API + path, data).status_code == 404, path
    assert Entry.objects.count() == 1


def test_without_a_token_the_books_answer_401(ledger: Ledger) -> None:
    response = Client().get(f"{API}/structures/{ledger.structure.pk}/accounts")
    assert response.status_code == 401


def test_the_api_cannot_change_a_validated_entry(ledger: Ledger, api: ApiClient) -> None:
    ledger.customer(), ledger.treasury()
    client = api("comptable")
    entry = post_json(client, f"{API}/structures/{ledger.structure.pk}/entries",
                      {**SALE, "validate": True}).json()
    url = f"{API}/entries/{entry['id']}"
    again = client.post(f"{url}/validate")
    assert again.status_code == 422
    assert "ne change plus" in again.content.decode()
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(url, content_type="application/json").status_code \
            in (404, 405)
    post_json(client, f"{url}/reverse", {"date": "2026-11-28"})
    twice = post_json(client, f"{url}/reverse", {"date": "2026-11-28"})
    assert twice.status_code == 422
    assert client.get(url).json()["lines"] == entry["lines"]
