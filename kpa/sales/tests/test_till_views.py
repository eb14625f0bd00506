"""The till's pages: sell on a phone, print the ticket, close the day after seeing its totals,
read the closings and the integrity check; 404 for whoever is out of reach; fixed query counts
on the pages that list."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from conftest import TODAY
from kpa.core import dates
from kpa.sales import till
from kpa.sales.models import CatalogItem, Till, TillClosing, TillTicket
from kpa.sales.tests.conftest import Shop
from kpa.sales.till import TillLineInput

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.fixture
def counter(shop: Shop) -> Till:
    return till.open_till(actor=shop.seller, activity=shop.friperie, name="Comptoir",
                          today=TODAY)


def as_persona(client: Client, shop: Shop, persona: str) -> Client:
    client.force_login(shop.cast.user(persona))
    return client


def text_of(response: Any) -> str:
    """The page's words without tags, spaces folded, so assertions read like the screen."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def sale_data(method: str | None = "cash", **first: str) -> dict[str, str]:
    """What the browser posts: the formset's management form, three line forms (the two extra
    ones left as shown), the payment method."""
    data = {"ligne-TOTAL_FORMS": "3", "ligne-INITIAL_FORMS": "0", "ligne-MIN_NUM_FORMS": "1",
            "ligne-MAX_NUM_FORMS": "3"}
    for n in range(3):
        data |= {f"ligne-{n}-item": "", f"ligne-{n}-description": "", f"ligne-{n}-amount": "",
                 f"ligne-{n}-vat_rate": "20.00", f"ligne-{n}-quantity": "1"}
    data |= {f"ligne-0-{key}": value for key, value in first.items()}
    if method is not None:
        data["method"] = method
    return data


def sell(shop: Shop, counter: Till, amount: str, *, day: dt.date = TODAY, hour: int = 10,
         method: str = "cash", rate: str = "20.00") -> TillTicket:
    return till.record_sale(
        actor=shop.seller, till=counter, method=method, today=day,
        now=dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS),
        lines=[TillLineInput("Robe", 1, Decimal(amount), rate)])


# -- selling -----------------------------------------------------------------------------------

def test_the_till_page_offers_the_catalogue_and_big_payment_choices(
        client: Client, shop: Shop, counter: Till) -> None:
    CatalogItem.objects.create(activity=shop.friperie, name="Pull", unit_price=Decimal("5.00"),
                               vat_rate="20.00")
    response = as_persona(client, shop, "cooperant").get(
        reverse("sales:till_detail", args=[counter.pk]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Pull — 6,00 €" in page  # 5.00 excl. VAT shown incl. VAT
    assert "Retouche d'ourlet" not in page  # another activity's catalogue
    body = response.content.decode()
    for method in ("cash", "card", "cheque", "transfer"):
        assert f'type="radio" name="method" value="{method}"' in body
    assert "Encaisser" in page
    assert "Clôturer la journée" in page


def test_a_free_amount_is_sold_and_leads_to_its_ticket(
        client: Client, shop: Shop, counter: Till) -> None:
    response = as_persona(client, shop, "cooperant").post(
        reverse("sales:till_sell", args=[counter.pk]),
        sale_data(amount="12,50", quantity="2", description="Robe d'été"))
    ticket = TillTicket.objects.get(till=counter)
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:till_ticket", args=[counter.pk, 1])
    assert ticket.total_incl_vat == Decimal("25.00")
    assert ticket.lines[0]["description"] == "Robe d'été"
    assert ticket.sold_at.astimezone(PARIS).date() == TODAY
    assert messages_of(response) == ["Vente enregistrée : ticket n° 1, 25,00 €."]


def test_a_catalogue_item_and_a_second_line_go_on_one_ticket(
        client: Client, shop: Shop, counter: Till) -> None:
    pull = CatalogItem.objects.create(activity=shop.friperie, name="Pull",
                                      unit_price=Decimal("5.00"), vat_rate="20.00")
    data = sale_data(method="card", item=str(pull.pk), quantity="3")
    data |= {"ligne-1-amount": "2", "ligne-1-vat_rate": "5.50", "ligne-1-description": "Confiture"}
    as_persona(client, shop, "cooperant").post(reverse("sales:till_sell", args=[counter.pk]), data)
    ticket = TillTicket.objects.get(till=counter)
    assert [(ln["description"], ln["quantity"], ln["total_incl_vat"], ln["vat_rate"])
            for ln in ticket.lines] == [("Pull", 3, "18.00", "20.00"),
                                        ("Confiture", 1, "2.00", "5.50")]
    assert (ticket.method, ticket.total_incl_vat) == ("card", Decimal("20.00"))


def test_a_sale_without_method_or_amount_is_refused_in_plain_french(
        client: Client, shop: Shop, counter: Till) -> None:
    response = as_persona(client, shop, "cooperant").post(
        reverse("sales:till_sell", args=[counter.pk]), sale_data(method=None))
    assert response.status_code == 400
    page = text_of(response)
    assert "Choisissez le moyen de paiement." in page
    assert "Choisissez un article ou tapez un montant." in page
    assert not TillTicket.objects.exists()


def test_a_sale_refused_by_the_service_shows_why(
        client: Client, shop: Shop, counter: Till) -> None:
    till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    response = as_persona(client, shop, "cooperant").post(
        reverse("sales:till_sell", args=[counter.pk]), sale_data(amount="3"))
    assert response.status_code == 400
    assert "La journée du 28/11/2026 est déjà clôturée (Z1)" in text_of(response)
    assert not TillTicket.objects.exists()


def test_the_ticket_prints_what_a_receipt_must_show(
        client: Client, shop: Shop, counter: Till) -> None:
    till.record_sale(
        actor=shop.seller, till=counter, method="cheque", today=TODAY,
        now=dt.datetime(2026, 11, 28, 15, 42, tzinfo=PARIS),
        lines=[TillLineInput("Manteau", 1, Decimal("24.00"), "20.00"),
               TillLineInput("Confiture", 2, Decimal("2.11"), "5.50")])
    response = as_persona(client, shop, "cooperant").get(
        reverse("sales:till_ticket", args=[counter.pk, 1]))
    assert response.status_code == 200
    page = text_of(response)
    cae = shop.cast.cae
    for expected in (cae.name, f"SIRET {cae.siret}", "La Friperie", "Ticket n° 1",
                     "28/11/2026 15:42", "Manteau", "Confiture", "4,22",
                     "20 % 20,00 4,00 24,00", "5,50 % 4,00 0,22 4,22",
                     "Total TTC 28,22 €", "Payé en : Chèque"):
        assert expected in page, expected


def test_a_franchise_ticket_says_vat_does_not_apply(
        client: Client, shop: Shop, counter: Till) -> None:
    type(shop.cast.cae).objects.filter(pk=shop.cast.cae.pk).update(vat_regime="franchise")
    sell(shop, counter, "9.00", rate="0.00")
    response = as_persona(client, shop, "cooperant").get(
        reverse("sales:till_ticket", args=[counter.pk, 1]))
    assert "TVA non applicable, art. 293 B du CGI" in text_of(response)


# -- closing the day ---------------------------------------------------------------------------

def test_closing_shows_the_totals_then_posts_the_z(
        client: Client, shop: Shop, counter: Till) -> None:
    sell(shop, counter, "12.00", hour=9)
    sell(shop, counter, "8.00", hour=10, method="card")
    as_persona(client, shop, "cooperant")
    url = reverse("sales:till_close", args=[counter.pk])
    confirm = client.get(url)
    page = text_of(confirm)
    assert "Clôturer la journée du 28 novembre 2026" in page
    assert "2 tickets — 20,00 € TTC" in page
    assert "Espèces 1 12,00" in page
    assert "Carte 1 8,00" in page
    assert "20 % 16,67 3,33 20,00" in page
    response = client.post(url, {"day": "2026-11-28"})
    closing = TillClosing.objects.get(till=counter)
    assert response["Location"] == reverse("sales:till_closing", args=[counter.pk, 1])
    assert closing.entry is not None
    assert closing.total_incl_vat == Decimal("20.00")
    assert messages_of(response) == ["Journée du 28/11/2026 clôturée : Z1, 20,00 €."]
    again = client.get(url)
    assert "Cette journée est déjà clôturée (Z1)." in text_of(again)
    refused = client.post(url, {"day": "2026-11-28"})
    assert refused.status_code == 400
    assert "une journée ne se clôture qu'une fois" in text_of(refused)
    assert TillClosing.objects.count() == 1


def test_the_closing_page_lists_its_totals_entry_and_tickets(
        client: Client, shop: Shop, counter: Till) -> None:
    sell(shop, counter, "12.00")
    closing = till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    assert closing.entry is not None
    response = as_persona(client, shop, "referent").get(
        reverse("sales:till_closing", args=[counter.pk, 1]))
    page = text_of(response)
    assert "Clôture Z1 du 28 novembre 2026" in page
    assert "Par Cooperant Zorglubcooperant" in page
    assert closing.entry.reference in page
    assert "n° 1 (12,00 €)" in page


def test_a_future_day_posted_to_the_close_page_is_refused(
        client: Client, shop: Shop, counter: Till) -> None:
    response = as_persona(client, shop, "cooperant").post(
        reverse("sales:till_close", args=[counter.pk]), {"day": "2026-11-29"})
    assert response.status_code == 400
    assert "On ne clôture pas une journée à venir" in text_of(response)
    assert not TillClosing.objects.exists()


# -- integrity ---------------------------------------------------------------------------------

def test_the_integrity_page_says_all_is_well_then_names_the_tampered_ticket(
        client: Client, shop: Shop, counter: Till) -> None:
    for hour in (9, 10, 11):
        sell(shop, counter, "5.00", hour=hour)
    as_persona(client, shop, "comptable")
    url = reverse("sales:till_verify", args=[counter.pk])
    assert ("Aucune anomalie. Tickets vérifiés : 3 ; clôtures vérifiées : 0. Tout est intact."
            in text_of(client.get(url)))
    TillTicket.objects.filter(till=counter, number=2).update(total_incl_vat=Decimal("0.50"))
    page = text_of(client.get(url))
    assert "anomalies trouvées" in page
    assert "Le ticket n° 2 a été modifié après son enregistrement" in page


# -- reach -------------------------------------------------------------------------------------

def every_url(shop: Shop, counter: Till) -> list[str]:
    return [reverse("sales:till_list", args=[shop.friperie.pk]),
            reverse("sales:till_detail", args=[counter.pk]),
            reverse("sales:till_ticket", args=[counter.pk, 1]),
            reverse("sales:till_close", args=[counter.pk]),
            reverse("sales:till_closings", args=[counter.pk]),
            reverse("sales:till_closing", args=[counter.pk, 1]),
            reverse("sales:till_verify", args=[counter.pk])]


def test_an_outsider_finds_nothing_at_all(client: Client, shop: Shop, counter: Till) -> None:
    sell(shop, counter, "5.00")
    till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    as_persona(client, shop, "outsider")
    for url in every_url(shop, counter):
        assert client.get(url).status_code == 404, url
    for url in (reverse("sales:till_open", args=[shop.friperie.pk]),
                reverse("sales:till_sell", args=[counter.pk]),
                reverse("sales:till_close", args=[counter.pk])):
        assert client.post(url, sale_data(amount="3") | {"name": "X", "day": "2026-11-28"}
                           ).status_code == 404, url
    assert TillTicket.objects.count() == 1
    assert Till.objects.count() == 1


def test_the_referent_reads_the_till_but_cannot_sell_or_close(
        client: Client, shop: Shop, counter: Till) -> None:
    sell(shop, counter, "5.00")
    as_persona(client, shop, "referent")
    detail = client.get(reverse("sales:till_detail", args=[counter.pk]))
    assert detail.status_code == 200
    assert "Encaisser" not in text_of(detail)
    assert "Ouvrir une caisse" not in text_of(
        client.get(reverse("sales:till_list", args=[shop.friperie.pk])))
    assert client.post(reverse("sales:till_sell", args=[counter.pk]),
                       sale_data(amount="3")).status_code == 404
    assert client.get(reverse("sales:till_close", args=[counter.pk])).status_code == 404
    assert TillTicket.objects.count() == 1


def test_a_member_opens_a_till_from_the_activitys_list(client: Client, shop: Shop) -> None:
    as_persona(client, shop, "cooperant")
    response = client.post(reverse("sales:till_open", args=[shop.friperie.pk]),
                           {"name": "Comptoir"})
    opened = Till.objects.get(activity=shop.friperie)
    assert response["Location"] == reverse("sales:till_detail", args=[opened.pk])
    listing = text_of(client.get(reverse("sales:till_list", args=[shop.friperie.pk])))
    assert "Comptoir Aucune vente aujourd'hui" in listing
    blank = client.post(reverse("sales:till_open", args=[shop.friperie.pk]), {"name": ""})
    assert blank.status_code == 400
    assert Till.objects.count() == 1


# -- query counts ------------------------------------------------------------------------------

def test_the_tills_list_costs_the_same_for_more_tills(
        client: Client, shop: Shop, counter: Till, django_assert_num_queries: Any) -> None:
    sell(shop, counter, "5.00")
    url = reverse("sales:till_list", args=[shop.friperie.pk])
    as_persona(client, shop, "cooperant")
    client.get(url)  # the session's first read is not the page's cost
    with django_assert_num_queries(LIST_QUERIES) as few:
        assert client.get(url).status_code == 200
    for name in ("Marché", "Dépôt"):
        sell(shop, till.open_till(actor=shop.seller, activity=shop.friperie, name=name,
                                  today=TODAY), "3.00")
    with django_assert_num_queries(LIST_QUERIES) as many:
        response = client.get(url)
    assert len(few.captured_queries) == len(many.captured_queries)
    assert "Dépôt 1 vente aujourd'hui · 3,00 €" in text_of(response)


def test_the_till_page_costs_the_same_for_more_tickets(
        client: Client, shop: Shop, counter: Till, django_assert_num_queries: Any) -> None:
    sell(shop, counter, "5.00", hour=8)
    url = reverse("sales:till_detail", args=[counter.pk])
    as_persona(client, shop, "cooperant")
    client.get(url)
    with django_assert_num_queries(DETAIL_QUERIES):
        client.get(url)
    for hour in range(9, 20):
        sell(shop, counter, "5.00", hour=hour, method="card" if hour % 2 else "cash")
    for name in ("Pull", "Jupe", "Sac"):  # the catalogue is read once for the three lines
        CatalogItem.objects.create(activity=shop.friperie, name=name,
                                   unit_price=Decimal("4.00"), vat_rate="20.00")
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(url)
    page = text_of(response)
    assert "Total 12 60,00" in page  # today's takings: 12 sales
    assert page.count("n° ") == 10  # the last ten tickets


def test_the_closings_list_costs_the_same_for_more_closings(
        client: Client, shop: Shop, counter: Till, django_assert_num_queries: Any) -> None:
    first = TODAY - dt.timedelta(days=4)
    sell(shop, counter, "5.00", day=first)
    till.close_day(actor=shop.seller, till=counter, day=first, today=TODAY)
    url = reverse("sales:till_closings", args=[counter.pk])
    as_persona(client, shop, "cooperant")
    client.get(url)
    with django_assert_num_queries(CLOSINGS_QUERIES):
        client.get(url)
    for back in (3, 2, 1, 0):
        day = TODAY - dt.timedelta(days=back)
        if back != 2:  # a day without sales still gets its Z, at zero
            sell(shop, counter, "7.00", day=day)
        till.close_day(actor=shop.seller, till=counter, day=day, today=TODAY)
    with django_assert_num_queries(CLOSINGS_QUERIES):
        response = client.get(url)
    page = text_of(response)
    assert "Z5 28/11/2026 1 7,00 CA" in page
    assert "Z3 26/11/2026 0 0,00 aucune (journée à zéro)" in page


# Session, user, reach (person, roles), memberships, the activity (or till), unread
# notifications, then each page's own reads: the tills with today's figures (list); the
# catalogue, the last tickets, today's takings, today's closing (till page); the closings with
# their entries (closings).
LIST_QUERIES = 8
DETAIL_QUERIES = 11
CLOSINGS_QUERIES = 8
