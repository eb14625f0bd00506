"""The treasury pages: "Ma trésorerie" says the big numbers in plain words, each account's page
opens to who may see it and is 404 to everyone else, the overviews show every account, the
structure's own part and a total equal to the general ledger, sort by available and cost the
same queries for 1 or 20 accounts; the chart is an accessible SVG without inline style; the
navigation flags cost at most two queries; the selectors agree with the gates."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PERSONA_NAMES, TODAY
from kpa.core import dates
from kpa.directory import services as directory_services
from kpa.directory.models import Activity
from kpa.ledger.models import TreasuryAccount
from kpa.ledger.treasury_accounts import common_account_for, treasury_account_for
from kpa.sales.tests.conftest import CAPE_START, Shop
from kpa.sales.tests.helpers import issued_invoice
from kpa.treasury import permissions, selectors
from kpa.treasury.chart import monthly_chart
from kpa.treasury.context_processors import treasury
from kpa.treasury.statements import MonthFigures
from kpa.treasury.tests.test_balances import (
    c,
    collective,
    contribution,
    d,
    envelope,
    individual,
    post,
    remuneration,
)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def get(client: Client, user: Any, url: str) -> Any:
    client.force_login(user)
    return client.get(url)


def books(shop: Shop) -> dict[str, TreasuryAccount]:
    """A sale paid half, a contribution, a remuneration; the pot and an open envelope."""
    mine, friperie = individual(shop), collective(shop)
    pot = common_account_for(shop.cast.home, actor=shop.manager)
    post(shop, d("512", "2000.00", mine), c("706", "2000.00", mine),
         day=dt.date(2026, 9, 10), label="Costumes du festival")
    issued_invoice(shop)
    contribution(shop, mine, "230.00", day=dt.date(2026, 10, 31))
    remuneration(shop, mine, gross="500.00", net="390.00", cost="650.00",
                 day=dt.date(2026, 10, 31))
    post(shop, d("512", "80.00", friperie), c("707", "80.00", friperie))
    post(shop, d("512", "15.00", pot), c("758", "15.00", pot))
    envelope(shop, friperie, "20.00")
    return {"mine": mine, "friperie": friperie, "pot": pot}


# -- "Ma trésorerie" ----------------------------------------------------------------------------


def test_my_treasury_says_the_big_numbers_in_plain_words(shop: Shop, client: Client) -> None:
    books(shop)

    response = get(client, shop.seller, reverse("treasury:mine"))

    assert response.status_code == 200
    text = text_of(response)
    # 2000 - 230 - 390 in the bank, 5 of VAT and 260 of social charges still owed
    assert "Disponible : 1 115,00 €" in text
    assert "Tu peux demander jusqu'à 669,00 € net avant le 25 décembre." in text
    assert "Pour la paie de décembre 2026." in text
    assert "Ventes facturées (hors TVA) 2 025,00 €" in text
    assert "Factures pas encore payées par les clients 30,00 €" in text
    assert "Contribution coopérative 230,00 €" in text
    assert "Mes trésoreries collectives" in text
    assert "La Friperie" in text
    assert "Disponible : 60,00 €" in text  # the friperie: 80 less the open envelope
    assert reverse("treasury:pay_request_new") in response.content.decode()
    assert "Les trois prochains mois" in text
    assert "Costumes du festival" in text


def test_the_pages_have_no_inline_style_nor_script_and_an_accessible_chart(
        shop: Shop, client: Client) -> None:
    accounts = books(shop)

    for url in (reverse("treasury:mine"),
                reverse("treasury:account", args=[accounts["friperie"].pk])):
        page = get(client, shop.seller, url).content.decode()
        assert "style=" not in page
        assert "<script" not in page
        assert '<svg class="treasury-chart"' in page
        assert 'role="img"' in page
        assert "<title id=" in page
        assert "Trésorerie en fin de mois" in page  # the table under the chart


def test_someone_without_a_treasury_is_told_how_it_starts(shop: Shop, client: Client) -> None:
    response = get(client, shop.cast.user("benevole"), reverse("treasury:mine"))

    assert response.status_code == 200
    assert "Tu n'as pas encore de trésorerie" in text_of(response)


def test_staff_find_their_overviews_from_my_treasury(shop: Shop, client: Client) -> None:
    text = text_of(get(client, shop.manager, reverse("treasury:mine")))
    assert f"Tous les comptes de {shop.cast.cae.name}" in text
    assert f"Les comptes du KPA {shop.cast.home.name}" in text

    text = text_of(get(client, shop.cast.user("referent"), reverse("treasury:mine")))
    assert "Tous les comptes de" not in text
    assert f"Les comptes du KPA {shop.cast.home.name}" in text


def test_my_treasury_needs_a_login(client: Client) -> None:
    response = client.get(reverse("treasury:mine"))

    assert response.status_code == 302


# -- one account ---------------------------------------------------------------------------------

WHO_SEES = {
    "mine": {"cooperant", "referent", "animateur", "accompagnateur", "gestionnaire",
             "comptable", "admin"},
    "friperie": {"cooperant", "referent", "animateur", "accompagnateur", "gestionnaire",
                 "comptable", "admin"},
    "pot": {"cooperant", "referent", "animateur", "accompagnateur", "benevole", "gestionnaire",
            "comptable", "admin"},
}


@pytest.mark.parametrize("which", sorted(WHO_SEES))
def test_an_account_page_opens_to_who_may_see_it_and_is_404_to_everyone_else(
        shop: Shop, client: Client, which: str) -> None:
    account = books(shop)[which]
    url = reverse("treasury:account", args=[account.pk])

    for persona in [*PERSONA_NAMES, "outsider"]:
        response = get(client, shop.cast.user(persona), url)
        expected = 200 if persona in WHO_SEES[which] else 404
        assert response.status_code == expected, persona


def test_a_collective_page_names_its_members_and_offers_no_pay(
        shop: Shop, client: Client) -> None:
    account = books(shop)["friperie"]

    text = text_of(get(client, shop.seller, reverse("treasury:account", args=[account.pk])))

    assert "Trésorerie collective : La Friperie" in text
    assert f"Membres : {shop.cast.cooperant.full_name}" in text
    assert "Tu peux demander" not in text
    assert "Disponible : 60,00 €" in text


def test_staff_read_a_coopérants_payable_net_without_the_tu(shop: Shop, client: Client) -> None:
    account = books(shop)["mine"]

    text = text_of(get(client, shop.cast.user("referent"),
                       reverse("treasury:account", args=[account.pk])))

    assert "Rémunération nette possible : 669,00 €" in text
    assert "Tu peux demander" not in text


def test_the_pot_page_names_its_kpa(shop: Shop, client: Client) -> None:
    pot = books(shop)["pot"]

    text = text_of(get(client, shop.cast.user("benevole"),
                       reverse("treasury:account", args=[pot.pk])))

    assert f"Caisse commune du KPA {shop.cast.home.name}" in text
    assert "Disponible : 15,00 €" in text


def test_an_unknown_account_is_404(shop: Shop, client: Client) -> None:
    assert get(client, shop.manager, reverse("treasury:account", args=[999999])).status_code \
        == 404


# -- overviews ---------------------------------------------------------------------------------


def test_the_structure_overview_shows_every_account_its_own_part_and_the_ledger(
        shop: Shop, client: Client) -> None:
    accounts = books(shop)
    post(shop, d("6226", "100.00"), c("512", "100.00"))

    response = get(client, shop.cast.user("comptable"),
                   reverse("treasury:overview", args=[shop.cast.cae.pk]))

    assert response.status_code == 200
    text = text_of(response)
    for account in accounts.values():
        assert account.code in text
    assert "Part propre de la structure" in text
    assert "Grand livre de la structure" in text
    assert "✓ Égal au total des comptes" in text
    assert "disponible négatif" not in text
    assert response.context["overview"].agrees


def test_the_overview_sorts_by_available(shop: Shop, client: Client) -> None:
    accounts = books(shop)
    url = reverse("treasury:overview", args=[shop.cast.cae.pk])

    rows = get(client, shop.manager, f"{url}?tri=disponible").context["overview"].rows

    assert [r.account.pk for r in rows] == [
        accounts["pot"].pk, accounts["friperie"].pk, accounts["mine"].pk]
    rows = get(client, shop.manager, f"{url}?tri=-disponible").context["overview"].rows
    assert rows[0].account.pk == accounts["mine"].pk


@pytest.mark.parametrize(("persona", "status"), [
    ("gestionnaire", 200), ("comptable", 200), ("admin", 200), ("referent", 404),
    ("cooperant", 404), ("coordinateur", 404), ("outsider", 404)])
def test_the_structure_overview_is_for_its_gestionnaire_and_comptable(
        shop: Shop, client: Client, persona: str, status: int) -> None:
    url = reverse("treasury:overview", args=[shop.cast.cae.pk])

    assert get(client, shop.cast.user(persona), url).status_code == status


@pytest.mark.parametrize(("persona", "status"), [
    ("referent", 200), ("animateur", 200), ("accompagnateur", 200), ("gestionnaire", 200),
    ("cooperant", 404), ("benevole", 404), ("outsider", 404)])
def test_a_kpa_overview_is_for_its_staff(shop: Shop, client: Client, persona: str,
                                         status: int) -> None:
    url = reverse("treasury:kpa_overview", args=[shop.cast.home.pk])

    assert get(client, shop.cast.user(persona), url).status_code == status


def test_a_kpa_overview_shows_only_that_kpas_accounts(shop: Shop, client: Client) -> None:
    accounts = books(shop)
    elsewhere = directory_services.create_activity(
        actor=shop.cast.user("admin"), kpa=shop.cast.elsewhere, name="Ailleurs",
        kind=Activity.Kind.COLLECTIVE, started_on=CAPE_START, today=TODAY)
    assert elsewhere.structure_id != shop.cast.cae.pk

    response = get(client, shop.cast.user("referent"),
                   reverse("treasury:kpa_overview", args=[shop.cast.home.pk]))

    assert {r.account.pk for r in response.context["overview"].rows} == {
        a.pk for a in accounts.values()}
    assert "Grand livre" not in text_of(response)


def twenty_accounts(shop: Shop, count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        activity = directory_services.create_activity(
            actor=shop.manager, kpa=shop.cast.home, name=f"Atelier {n}",
            kind=Activity.Kind.COLLECTIVE, started_on=CAPE_START, today=TODAY,
            members=[shop.cast.cooperant])
        account = treasury_account_for(activity, actor=shop.manager)
        post(shop, d("512", "10.00", account), c("707", "10.00", account))
        remuneration(shop, account, gross="1.00", net="0.78", cost="1.30")


# session, user, the reach (person, roles), the structure, its accounts, their figures (open
# years, year of today, chart, aggregate, pay requests, envelopes), the last pays, the own part
# (4), the general ledger (4), the notification count of the navigation
OVERVIEW_QUERIES = 16
# the KPA instead of the structure, no own part nor general ledger
KPA_OVERVIEW_QUERIES = 13


def test_the_overviews_cost_the_same_queries_for_1_or_20_accounts(
        shop: Shop, client: Client, django_assert_num_queries: Any) -> None:
    twenty_accounts(shop, 1)
    client.force_login(shop.manager)
    structure_url = reverse("treasury:overview", args=[shop.cast.cae.pk])
    kpa_url = reverse("treasury:kpa_overview", args=[shop.cast.home.pk])
    with django_assert_num_queries(OVERVIEW_QUERIES):
        assert len(client.get(structure_url).context["overview"].rows) == 1
    with django_assert_num_queries(KPA_OVERVIEW_QUERIES):
        assert len(client.get(kpa_url).context["overview"].rows) == 1
    twenty_accounts(shop, 19, first=1)
    with django_assert_num_queries(OVERVIEW_QUERIES):
        response = client.get(structure_url)
    assert len(response.context["overview"].rows) == 20
    assert response.context["overview"].agrees
    with django_assert_num_queries(KPA_OVERVIEW_QUERIES):
        assert len(client.get(f"{kpa_url}?tri=disponible").context["overview"].rows) == 20


def test_my_treasury_costs_the_same_queries_however_many_lines(
        shop: Shop, client: Client) -> None:
    books(shop)
    client.force_login(shop.seller)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("treasury:mine"))
    for month in range(1, 12):
        post(shop, d("512", "3.00", individual(shop)), c("706", "3.00", individual(shop)),
             day=dt.date(2026, month, 3))
        issued_invoice(shop)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("treasury:mine"))

    assert len(many) == len(few)


# -- the selectors agree with the gates ---------------------------------------------------------


def test_the_accounts_a_user_sees_are_exactly_those_the_gate_opens(shop: Shop) -> None:
    accounts = list(books(shop).values())
    quiet = treasury_account_for(directory_services.create_activity(
        actor=shop.manager, kpa=shop.cast.home, name="Atelier discret",
        kind=Activity.Kind.COLLECTIVE, started_on=CAPE_START, today=TODAY,
        members=[shop.cast.quiet_cooperant]), actor=shop.manager)
    accounts.append(quiet)

    for persona in [*PERSONA_NAMES, "outsider"]:
        user = shop.cast.user(persona)
        seen = set(selectors.accounts_for(user, TODAY).values_list("pk", flat=True))
        opened = {a.pk for a in accounts if permissions.can_view_account(user, a, today=TODAY)}
        assert seen == opened, persona
    assert quiet.pk not in set(selectors.accounts_for(shop.seller, TODAY).values_list(
        "pk", flat=True))


def test_a_member_who_left_the_collective_no_longer_sees_it(shop: Shop) -> None:
    account = collective(shop)
    shop.friperie.memberships.update(left_on=TODAY)

    assert account.pk not in set(selectors.accounts_for(shop.seller, TODAY).values_list(
        "pk", flat=True))
    assert not selectors.my_accounts(shop.seller, TODAY).filter(pk=account.pk).exists()


# -- the navigation flags ------------------------------------------------------------------------


def flags(shop: Shop, persona: str) -> tuple[dict[str, bool], int]:
    request = RequestFactory().get("/")
    request.user = shop.cast.user(persona)
    from kpa.directory.permissions import reach_of

    reach_of(request.user, TODAY)  # cached on the user, as every page has it already
    with CaptureQueriesContext(connection) as queries:
        found = treasury(request)
        again = treasury(request)
    assert again == found
    return found, len(queries)


def test_the_navigation_flags_cost_no_query(shop: Shop) -> None:
    """Members of a KPA get the link (the page says when they have no treasury yet): reading
    the cached reach only keeps every app's query budgets."""
    individual(shop)

    assert flags(shop, "cooperant") == ({"has_treasury": True,
                                         "sees_treasury_overview": False}, 0)
    assert flags(shop, "benevole") == ({"has_treasury": True,
                                        "sees_treasury_overview": False}, 0)
    assert flags(shop, "referent") == ({"has_treasury": True,
                                        "sees_treasury_overview": True}, 0)
    assert flags(shop, "comptable") == ({"has_treasury": True,
                                         "sees_treasury_overview": True}, 0)
    assert flags(shop, "outsider")[0]["sees_treasury_overview"]  # staff of their own KPA


def test_anonymous_visitors_get_no_treasury_link() -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    assert treasury(request) == {"has_treasury": False, "sees_treasury_overview": False}


# -- the chart -----------------------------------------------------------------------------------


def month(n: int, income: str, expenses: str) -> MonthFigures:
    return MonthFigures(month=dt.date(2026, n, 1), income=Decimal(income),
                        expenses=Decimal(expenses), cash_at_end=Decimal("0"))


def test_the_chart_draws_two_bars_a_month_scaled_to_the_largest(shop: Shop) -> None:
    svg = str(monthly_chart([month(1, "100.00", "50.00"), month(2, "0.00", "200.00")],
                            chart_id="g", title="Entrées <et> sorties"))

    bars = re.findall(r'<rect class="(bar-in|bar-out)" x="[\d.]+" y="([\d.]+)" '
                      r'width="[\d.]+" height="([\d.]+)">', svg)
    assert [b[0] for b in bars] == ["bar-in", "bar-out"] * 2
    heights = [Decimal(b[2]) for b in bars]
    assert heights[3] == max(heights)  # 200 is the tallest
    assert heights[0] == heights[3] / 2
    assert heights[2] == 0
    assert "Entrées &lt;et&gt; sorties" in svg
    assert 'aria-labelledby="g-titre g-desc"' in svg
    assert "style" not in svg
    assert "février 2026 : sorties 200,00 €" in svg


def test_a_negative_month_is_drawn_below_the_axis_and_an_empty_year_draws_flat() -> None:
    svg = str(monthly_chart([month(1, "-40.00", "0.00"), month(2, "80.00", "0.00")],
                            chart_id="n", title="t"))
    axis = re.search(r'class="chart-axis" x1="[\d.]+" y1="([\d.]+)"', svg)
    first = re.search(r'class="bar-in" x="[\d.]+" y="([\d.]+)"', svg)
    assert axis is not None
    assert first is not None
    assert Decimal(first[1]) == Decimal(axis[1])  # starts at the axis and goes down

    flat = str(monthly_chart([month(n, "0", "0") for n in range(1, 13)], chart_id="f",
                             title="t"))
    assert flat.count("<rect") == 24
    assert set(re.findall(r'height="([\d.]+)"><title>', flat)) == {"0.0"}
