"""The customer's public acceptance page: whoever holds the private link of the e-mail reads
the quote and accepts it with their name, without an account. A wrong link answers 404; an
expired quote says so and accepts nothing."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.sales import documents
from kpa.sales.documents import LineInput
from kpa.sales.models import Quote
from kpa.sales.tests.conftest import Shop


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def sent_quote(shop: Shop, *, on: dt.date = TODAY) -> Quote:
    quote = documents.create_quote(
        actor=shop.seller, activity=shop.activity, customer=shop.person_customer,
        lines=[LineInput(description="Robe de mariée sur mesure", quantity=1,
                         unit_price="400.00", vat_rate="20.00", is_service=True),
               LineInput(description="Retouche d'ourlet", quantity=3, unit_price="12.50",
                         vat_rate="20.00", is_service=True)],
        today=on, title="Mariage de juin")
    return documents.send_quote(actor=shop.seller, quote=quote, today=on)


def accept_url(quote: Quote) -> str:
    return reverse("sales:quote_accept", args=[quote.acceptance_token])


def test_the_link_shows_the_quote_its_lines_and_totals_without_logging_in(
        shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    response = client.get(accept_url(quote))
    assert response.status_code == 200
    page = text_of(response)
    assert "Devis D2026-00001" in page
    assert "Robe de mariée sur mesure" in page
    assert "Retouche d'ourlet" in page
    assert "Total HT 437,50 €" in page
    assert "TVA 20 % sur 437,50 € 87,50 €" in page
    assert "Total TTC 525,00 €" in page
    assert "Valable jusqu'au 28 décembre 2026" in page
    assert 'for="id_name"' in response.content.decode()  # the "Nom" field, labelled
    assert "J'accepte ce devis" in page
    assert "Se déconnecter" not in page  # nobody is signed in


def test_the_customer_accepts_with_their_name(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    response = client.post(accept_url(quote), {"name": "  Jeanne Martin "}, follow=True)
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert (quote.accepted_by_name, quote.accepted_through, quote.accepted_on) == (
        "Jeanne Martin", "link", TODAY)
    page = text_of(response)
    assert "Merci ! Le devis est accepté." in page
    assert "Ce devis est accepté depuis le 28 novembre 2026 (Jeanne Martin)" in page
    assert "J'accepte ce devis" not in page
    event = AuditEvent.objects.get(action="sales.quote.accepted")
    assert event.actor is None
    assert event.data["name"] == "Jeanne Martin"


def test_accepting_twice_changes_nothing(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    client.post(accept_url(quote), {"name": "Jeanne Martin"})
    response = client.post(accept_url(quote), {"name": "Quelqu'un d'autre"})
    assert response.status_code == 400
    assert "Ce devis est déjà accepté. Merci !" in text_of(response)
    quote.refresh_from_db()
    assert quote.accepted_by_name == "Jeanne Martin"
    assert AuditEvent.objects.filter(action="sales.quote.accepted").count() == 1


def test_a_name_is_needed_to_accept(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    response = client.post(accept_url(quote), {"name": "   "})
    assert response.status_code == 400
    assert "Écrivez votre nom pour accepter le devis." in text_of(response)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT


@pytest.mark.parametrize("token", ["x", "a" * 43, "not-a-token-but-long-enough-to-look"])
def test_a_wrong_link_answers_404(shop: Shop, client: Client, token: str) -> None:
    sent_quote(shop)
    url = reverse("sales:quote_accept", args=[token])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Pirate"}).status_code == 404
    assert not Quote.objects.filter(status=Quote.Status.ACCEPTED).exists()


def test_an_expired_quote_says_so_and_accepts_nothing(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop, on=TODAY - dt.timedelta(days=40))  # valid 30 days
    response = client.get(accept_url(quote))
    assert response.status_code == 200
    page = text_of(response)
    assert "Ce devis n'est plus valable depuis le 18/11/2026 : demandez-en un nouveau." in page
    assert "J'accepte ce devis" not in page
    response = client.post(accept_url(quote), {"name": "Jeanne Martin"})
    assert response.status_code == 400
    assert "n'est plus valable depuis le 18/11/2026" in text_of(response)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT


def test_a_refused_quote_is_no_longer_open(shop: Shop, client: Client) -> None:
    quote = documents.refuse_quote(actor=shop.seller, quote=sent_quote(shop), today=TODAY)
    response = client.get(accept_url(quote))
    assert "Ce devis n'est plus ouvert à l'acceptation." in text_of(response)
    assert client.post(accept_url(quote), {"name": "Jeanne"}).status_code == 400
    quote.refresh_from_db()
    assert quote.status == Quote.Status.REFUSED


def test_the_seller_is_told_when_the_customer_accepts(shop: Shop, client: Client) -> None:
    from kpa.core.models import Notification

    quote = sent_quote(shop)
    client.post(accept_url(quote), {"name": "Jeanne Martin"})
    notice = Notification.objects.get(recipient=shop.seller)
    assert "a accepté le devis D2026-00001" in notice.body
