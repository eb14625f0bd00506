"""The contribution API: schemes listed and created (decimals in, decimal strings out), a month
run and its dry run, an account's charges with their computation, 404 out of reach, 403 for
the comptable who sees but does not set schemes, 422 in French."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import reset_queries
from django.test import Client

from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.sales.tests.conftest import Shop
from kpa.treasury.models import ContributionCharge, ContributionScheme
from kpa.treasury.tests.test_contribution_helpers import account_of, book, opteos

API = "/api/v1/treasury/contribution"
AFTER_NOVEMBER = dt.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: AFTER_NOVEMBER)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body, default=str), content_type="application/json")


def test_the_gestionnaire_creates_a_scheme_with_exact_decimals(shop: Shop) -> None:
    client = client_of(shop.manager)
    # a raw body: 10.5 stays a JSON number, read as a Decimal
    body = ('{"name": "Optéos", "starts_on": "2026-01-01", "monthly_fee": 20, '
            '"fee_waived_for_rsa": true, "brackets": [{"lower_bound": 0, "rate": 11.5}, '
            '{"lower_bound": "30000", "rate": 10.5}]}')
    response = client.post(f"{API}/structures/{shop.cast.cae.pk}/schemes", body,
                           content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["monthly_fee"] == "20.00"
    assert data["brackets"] == [{"lower_bound": "0.00", "rate": "11.500"},
                                {"lower_bound": "30000.00", "rate": "10.500"}]
    assert data["particular"] is False
    listed = client.get(f"{API}/structures/{shop.cast.cae.pk}/schemes").json()
    assert [s["name"] for s in listed["items"]] == ["Optéos"]


def test_a_bad_scheme_is_refused_in_french_with_nothing_written(shop: Shop) -> None:
    response = post(client_of(shop.manager), f"{API}/structures/{shop.cast.cae.pk}/schemes",
                    {"name": "x", "starts_on": "2026-01-15",
                     "brackets": [{"lower_bound": "100", "rate": "5"}]})
    assert response.status_code == 422
    messages = {item["msg"] for item in response.json()["detail"]}
    assert "La première tranche commence à 0 € (ici à 100,00 €)." in messages
    assert not ContributionScheme.objects.exists()


def test_the_comptable_sees_schemes_but_may_not_create_one(shop: Shop) -> None:
    opteos(shop)
    client = client_of(shop.cast.user("comptable"))
    path = f"{API}/structures/{shop.cast.cae.pk}/schemes"
    assert client.get(path).status_code == 200
    response = post(client, path, {"name": "x", "starts_on": "2027-01-01",
                                   "brackets": [{"lower_bound": "0", "rate": "5"}]})
    assert response.status_code == 403


@pytest.mark.parametrize("persona", ["cooperant", "referent", "outsider"])
def test_a_structures_contribution_does_not_exist_for_others(shop: Shop, persona: str) -> None:
    opteos(shop)
    client = client_of(shop.cast.user(persona))
    base = f"{API}/structures/{shop.cast.cae.pk}"
    assert client.get(f"{base}/schemes").status_code == 404
    assert post(client, f"{base}/runs", {"month": "2026-11"}).status_code == 404
    assert not ContributionCharge.objects.exists()


def test_a_month_is_dry_run_then_run_once(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="12000")
    client = client_of(shop.cast.user("comptable"))
    path = f"{API}/structures/{shop.cast.cae.pk}/runs"
    dry = post(client, path, {"month": "2026-11", "dry_run": True})
    assert dry.status_code == 200, dry.content
    assert dry.json()["total"] == "1380.00"
    assert dry.json()["charges"][0]["lines"][3] == (
        "De 0 à 30\u202f000 € : 11,5 % de 12\u202f000,00 € = 1\u202f380,00 €")
    assert not ContributionCharge.objects.exists()
    done = post(client, path, {"month": "2026-11"}).json()
    assert (done["counted"], done["booked"], done["already_counted"]) == (1, 1, 0)
    again = post(client, path, {"month": "2026-11"}).json()
    assert (again["counted"], again["already_counted"], again["total"]) == (0, 1, "0.00")
    not_over = post(client, path, {"month": "2026-12"})
    assert not_over.status_code == 422
    assert "n'est pas fini" in not_over.json()["detail"][0]["msg"]
    bad = post(client, path, {"month": "novembre"})
    assert bad.status_code == 422


def test_the_coopérant_reads_their_charges_with_the_computation(shop: Shop) -> None:
    opteos(shop)
    account = account_of(shop)
    book(shop, account, dt.date(2026, 11, 10), sales="12000")
    post(client_of(shop.manager), f"{API}/structures/{shop.cast.cae.pk}/runs",
         {"month": "2026-11"})
    client = client_of(shop.seller)
    listed = client.get(f"{API}/accounts/{account.pk}/charges")
    assert listed.status_code == 200
    charge = listed.json()["items"][0]
    assert (charge["amount"], charge["base_year_to_date"]) == ("1380.00", "12000.00")
    assert charge["entry"].startswith("OD")
    assert "Contribution de ce mois : 1\u202f380,00 €" in charge["lines"]
    one = client.get(f"{API}/charges/{charge['id']}").json()
    assert Decimal(one["contribution"]) == Decimal("1380.00")
    outsider = client_of(shop.cast.user("outsider"))
    assert outsider.get(f"{API}/accounts/{account.pk}/charges").status_code == 404
    assert outsider.get(f"{API}/charges/{charge['id']}").status_code == 404


def test_the_charges_list_costs_the_same_queries_for_more_months(
        shop: Shop, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    opteos(shop)
    account = account_of(shop)
    manager = client_of(shop.manager)
    runs = f"{API}/structures/{shop.cast.cae.pk}/runs"
    post(manager, runs, {"month": "2026-09"})
    client = client_of(shop.seller)
    path = f"{API}/accounts/{account.pk}/charges"
    client.get(path)  # the token's first use writes its date once
    reset_queries()  # a full query log (9000 entries long) would capture nothing
    with django_assert_max_num_queries(20) as few:
        assert len(client.get(path).json()["items"]) == 1
    count = len(few)  # read now: it slices the log, which is reset below
    for month in ("2026-10", "2026-11"):
        book(shop, account, dt.date(2026, int(month[-2:]), 3), sales="500")
        post(manager, runs, {"month": month})
    reset_queries()
    with django_assert_num_queries(count):
        assert len(client.get(path).json()["items"]) == 3


def test_the_routes_are_in_the_openapi_document(shop: Shop) -> None:
    document = Client().get("/api/v1/openapi.json").json()
    for route in ("/api/v1/treasury/contribution/structures/{structure_id}/schemes",
                  "/api/v1/treasury/contribution/structures/{structure_id}/runs",
                  "/api/v1/treasury/contribution/accounts/{account_id}/charges",
                  "/api/v1/treasury/contribution/charges/{charge_id}"):
        assert route in document["paths"]
