"""The statement API: the accounts I may see with their figures as decimal strings, one
account's statement and forecast, a structure's overview that agrees with its general ledger;
404 for what is out of reach, 401 without a token, the routes in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.sales.tests.conftest import Shop
from kpa.treasury.tests.test_statement_views import books

API = "/api/v1/treasury"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def get(user: User, path: str) -> Any:
    return client_of(user).get(f"{API}{path}")


def test_the_accounts_i_see_come_with_their_figures_as_decimal_strings(shop: Shop) -> None:
    accounts = books(shop)

    response = get(shop.seller, "/accounts")

    assert response.status_code == 200
    found = {row["id"]: row for row in response.json()}
    assert set(found) == {a.pk for a in accounts.values()}
    mine = found[accounts["mine"].pk]
    assert mine["kind"] == "individual"
    assert mine["who"] == shop.cast.cooperant.full_name
    assert mine["figures"]["available"] == "1115.00"
    assert mine["figures"]["turnover"] == "2025.00"
    assert found[accounts["friperie"].pk]["figures"]["committed"] == "20.00"
    assert {row["id"] for row in get(shop.cast.user("benevole"), "/accounts").json()} == {
        accounts["pot"].pk}
    assert get(shop.cast.user("outsider"), "/accounts").json() == []


def test_an_accounts_statement_carries_its_movements_months_pay_and_forecast(
        shop: Shop) -> None:
    account = books(shop)["mine"]

    response = get(shop.seller, f"/accounts/{account.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["account"]["code"] == account.code
    assert body["unpaid_invoices"] == "30.00"
    assert body["pay"] == {"month": "2026-12-01", "cutoff_on": "2026-12-25",
                           "max_net": "669.00"}
    assert len(body["months"]) == 12
    assert body["months"][-1] == {"month": "2026-11-01", "income": "25.00",
                                  "expenses": "0.00", "cash_at_end": "1380.00"}
    assert body["movements"][0]["words"] == "Vente facturée (hors TVA)"
    assert body["movements"][0]["amount"] == "25.00"
    assert [m["month"] for m in body["forecast"]["months"]] == [
        "2026-11-01", "2026-12-01", "2027-01-01"]
    assert body["forecast"]["months"][1]["invoices"] == "30.00"
    assert body["forecast"]["rate"] is None
    assert all(isinstance(Decimal(m["available_at_end"]), Decimal)
               for m in body["forecast"]["months"])


def test_a_collective_statement_has_no_pay(shop: Shop) -> None:
    account = books(shop)["friperie"]

    assert get(shop.seller, f"/accounts/{account.pk}").json()["pay"] is None


def test_an_account_out_of_reach_is_404(shop: Shop) -> None:
    accounts = books(shop)

    for account in accounts.values():
        assert get(shop.cast.user("outsider"), f"/accounts/{account.pk}").status_code == 404
    assert get(shop.cast.user("benevole"),
               f"/accounts/{accounts['mine'].pk}").status_code == 404
    assert get(shop.manager, "/accounts/999999").status_code == 404


def test_the_structure_overview_agrees_with_the_general_ledger(shop: Shop) -> None:
    books(shop)
    from kpa.treasury.tests.test_balances import c, d, post

    post(shop, d("6226", "100.00"), c("512", "100.00"), day=dt.date(2026, 11, 2))

    response = get(shop.cast.user("comptable"), f"/structures/{shop.cast.cae.pk}/overview")

    assert response.status_code == 200
    body = response.json()
    assert body["agrees"] is True
    assert body["total"]["cash"] == body["general_ledger"]["cash"] == "1605.00"
    assert body["own"]["cash"] == "130.00"  # 230 of contribution less 100 of fees
    assert len(body["rows"]) == 3
    assert {r["unpaid_for_months"] for r in body["rows"]} == {False}


@pytest.mark.parametrize("persona", ["referent", "cooperant", "outsider", "coordinateur"])
def test_the_structure_overview_is_404_to_others(shop: Shop, persona: str) -> None:
    response = get(shop.cast.user(persona), f"/structures/{shop.cast.cae.pk}/overview")

    assert response.status_code == 404


def test_the_statement_routes_need_a_token_and_are_documented(shop: Shop,
                                                              client: Client) -> None:
    assert client.get(f"{API}/accounts").status_code == 401
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {f"{API}/accounts", f"{API}/accounts/{{account_id}}",
            f"{API}/structures/{{structure_id}}/overview"} <= set(paths)
