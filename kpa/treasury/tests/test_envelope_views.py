"""The budget pages on a phone: the list of budgets and of an account's envelopes (fixed query
counts), opening one, the envelope with everyone's rewards and what is left, declaring and
changing one's own reward, the closing preview and confirmation; 404 for the outsider."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.sales.tests.conftest import Shop
from kpa.treasury import envelopes
from kpa.treasury.models import Envelope, EnvelopeReward
from kpa.treasury.tests.test_envelopes import open_on_friperie
from kpa.treasury.tests.test_transfers import (
    available,
    friperie_account,
    fund,
    individual,
    second_member,
)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def as_persona(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("\u202f", " ").split())


def url(name: str, *args: int) -> str:
    return reverse(f"treasury:{name}", args=args)


def test_the_budget_index_lists_open_envelopes_and_the_accounts_that_fund_them(
        shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop)
    as_persona(client, shop.cast, "cooperant")
    page = client.get(url("envelope_index"))
    assert page.status_code == 200
    text = text_of(page)
    assert "Marché de Noël" in text
    assert "0,00 € demandés sur 80,00 € par 0 personne" in text
    assert url("envelope_account", envelope.source_account_id) in page.content.decode()
    assert "Soldes de sortie" not in text


def test_the_index_costs_the_same_queries_for_more_envelopes(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    envelope = open_on_friperie(shop, "10.00")
    as_persona(client, shop.cast, "cooperant")
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("envelope_index")).status_code == 200
    binta = second_member(shop)
    for n in range(4):
        other = envelopes.open_envelope(actor=shop.seller, source=envelope.source_account,
                                        title=f"Mission {n}", amount="10", today=TODAY)
        envelopes.declare_reward(actor=binta, envelope=other, amount="1", today=TODAY)
    with django_assert_num_queries(len(few)):
        page = client.get(url("envelope_index"))
    assert text_of(page).count("demandés sur 10,00 €") == 5


def test_the_account_page_costs_the_same_queries_for_more_envelopes(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    envelope = open_on_friperie(shop, "10.00")
    page_url = url("envelope_account", envelope.source_account_id)
    as_persona(client, shop.cast, "cooperant")
    with django_assert_max_num_queries(20) as few:
        assert client.get(page_url).status_code == 200
    for n in range(4):
        other = envelopes.open_envelope(actor=shop.seller, source=envelope.source_account,
                                        title=f"Mission {n}", amount="10", today=TODAY)
        envelopes.declare_reward(actor=shop.seller, envelope=other, amount="2", today=TODAY)
    with django_assert_num_queries(len(few)):
        page = client.get(page_url)
    text = text_of(page)
    assert text.count("Ouverte") == 5
    assert "Disponible 50,00 €" in text  # 100 - 5 x 10


def test_a_member_opens_a_budget_from_the_account_page(shop: Shop, client: Client) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    as_persona(client, shop.cast, "cooperant")
    form = client.get(url("envelope_open", source.pk))
    assert form.status_code == 200
    assert "100,00 € disponibles" in text_of(form)
    response = client.post(url("envelope_open", source.pk), {
        "title": "Stand du marché", "description": "", "amount": "60,00", "mode": "free",
        "hourly_ceiling": "30,00", "source_invoice": "", "rest_to_common_pot": "on"})
    envelope = Envelope.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("envelope_detail", envelope.pk)
    assert envelope.amount == Decimal("60.00")
    assert envelope.pot_account.kind == "common"


def test_a_refused_opening_shows_the_reason_on_the_amount(shop: Shop, client: Client) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("envelope_open", source.pk), {
        "title": "Trop", "amount": "150", "mode": "free", "hourly_ceiling": "30"})
    assert response.status_code == 400
    assert "n'a que 100,00 € disponibles" in text_of(response)
    assert not Envelope.objects.exists()


def test_everyone_who_sees_the_envelope_sees_every_reward_and_what_is_left(
        shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    task = envelopes.add_task(actor=shop.seller, envelope=envelope, title="Tenir le stand",
                              today=TODAY)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task, amount="30",
                             hours="2", note="Samedi matin", today=TODAY)
    binta = second_member(shop)
    client.force_login(binta)
    page = client.get(url("envelope_detail", envelope.pk))
    assert page.status_code == 200
    text = text_of(page)
    assert "Tenir le stand" in text
    assert f"{shop.cast.cooperant.full_name} — 30,00 € pour 2 h · Samedi matin" in text
    assert "Il reste 50,00 €" in text
    assert "Je déclare ce que j'ai fait" in text
    # Not binta's reward: no link to change it.
    reward = EnvelopeReward.objects.get()
    assert url("envelope_reward_edit", reward.pk) not in page.content.decode()
    # The KPA's staff sees it too, without a form to declare when they may not.
    as_persona(client, shop.cast, "comptable")
    page = client.get(url("envelope_detail", envelope.pk))
    assert "Samedi matin" in text_of(page)
    assert "Je déclare" not in text_of(page)


def test_a_member_declares_a_reward_from_the_envelope_page(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("envelope_reward_new", envelope.pk),
                           {"task": "", "hours": "1,5", "amount": "45", "note": "Tri"})
    assert response.status_code == 302
    reward = EnvelopeReward.objects.get()
    assert (reward.amount, reward.hours) == (Decimal("45.00"), Decimal("1.50"))


def test_a_reward_above_the_envelope_comes_back_on_the_form(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("envelope_reward_new", envelope.pk),
                           {"task": "", "hours": "", "amount": "80,01", "note": ""})
    assert response.status_code == 400
    assert "Il ne reste que 80,00 € dans l'enveloppe" in text_of(response)
    response = client.post(url("envelope_reward_new", envelope.pk),
                           {"task": "", "hours": "2", "amount": "61", "note": ""})
    assert response.status_code == 400
    assert "2 h font au plus 60,00 €" in text_of(response)
    assert not EnvelopeReward.objects.exists()


def test_a_task_is_added_from_the_envelope_page(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, mode=Envelope.Mode.GRID)
    as_persona(client, shop.cast, "cooperant")
    refused = client.post(url("envelope_task_add", envelope.pk), {"title": "Affiches",
                                                                  "grid_amount": ""})
    assert refused.status_code == 400
    assert "chaque tâche a sa rétribution" in text_of(refused)
    done = client.post(url("envelope_task_add", envelope.pk), {"title": "Affiches",
                                                               "grid_amount": "20"})
    assert done.status_code == 302
    task = envelope.tasks.get()
    page = client.get(url("envelope_detail", envelope.pk))
    assert "Affiches — 20,00 € prévus" in text_of(page)
    client.post(url("envelope_reward_new", envelope.pk), {"task": str(task.pk), "hours": ""})
    assert EnvelopeReward.objects.get().amount == Decimal("20.00")


def test_one_changes_then_withdraws_their_own_reward(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="30",
                                      today=TODAY)
    as_persona(client, shop.cast, "cooperant")
    form = client.get(url("envelope_reward_edit", reward.pk))
    assert form.status_code == 200
    response = client.post(url("envelope_reward_edit", reward.pk),
                           {"amount": "25", "hours": "", "note": "Moins"})
    assert response.status_code == 302
    reward.refresh_from_db()
    assert reward.amount == Decimal("25.00")
    client.post(url("envelope_reward_withdraw", reward.pk))
    assert not EnvelopeReward.objects.exists()


def test_someone_else_reward_cannot_be_changed(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="30",
                                      today=TODAY)
    client.force_login(second_member(shop))
    assert client.get(url("envelope_reward_edit", reward.pk)).status_code == 404
    assert client.post(url("envelope_reward_withdraw", reward.pk)).status_code == 404
    assert EnvelopeReward.objects.filter(pk=reward.pk).exists()


def test_the_close_page_shows_the_moves_then_closes(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00", rest_to_common_pot=True)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="30", today=TODAY)
    as_persona(client, shop.cast, "cooperant")
    assert client.get(url("envelope_close", envelope.pk)).status_code == 404
    as_persona(client, shop.cast, "referent")
    preview = client.get(url("envelope_close", envelope.pk))
    assert preview.status_code == 200
    text = text_of(preview)
    assert f"Trésorerie individuelle de {shop.cast.cooperant.full_name} 30,00" in text
    assert "Le reste, à Caisse commune" in text
    assert "50,00" in text
    response = client.post(url("envelope_close", envelope.pk))
    assert response.status_code == 302
    envelope.refresh_from_db()
    assert envelope.status == "closed"
    assert available(individual(shop, shop.cast.cooperant)) == Decimal("30.00")
    page = client.get(url("envelope_detail", envelope.pk))
    assert "Clôturé le 28/11/2026" in text_of(page)
    assert "Clôturer le budget" not in text_of(page)


def test_the_outsider_gets_404_everywhere_and_changes_nothing(shop: Shop,
                                                              client: Client) -> None:
    envelope = open_on_friperie(shop, "80.00")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="30",
                                      today=TODAY)
    source = envelope.source_account_id
    before = AuditEvent.objects.count()
    as_persona(client, shop.cast, "outsider")
    index = client.get(url("envelope_index"))
    assert index.status_code == 200
    assert SECRET_MARKER not in index.content.decode()
    assert "Marché de Noël" not in text_of(index)
    for page in (url("envelope_account", source), url("envelope_open", source),
                 url("envelope_detail", envelope.pk), url("envelope_close", envelope.pk),
                 url("envelope_reward_edit", reward.pk)):
        assert client.get(page).status_code == 404, page
    for page, data in ((url("envelope_open", source), {"title": "X", "amount": "1"}),
                       (url("envelope_task_add", envelope.pk), {"title": "X"}),
                       (url("envelope_reward_new", envelope.pk), {"amount": "1"}),
                       (url("envelope_reward_edit", reward.pk), {"amount": "1"}),
                       (url("envelope_reward_withdraw", reward.pk), {}),
                       (url("envelope_close", envelope.pk), {})):
        assert client.post(page, data).status_code == 404, page
    assert AuditEvent.objects.count() == before


def test_a_member_of_the_kpa_outside_the_collective_does_not_see_its_budgets(
        shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop)
    as_persona(client, shop.cast, "benevole")
    assert client.get(url("envelope_detail", envelope.pk)).status_code == 404
    assert "Marché de Noël" not in text_of(client.get(url("envelope_index")))


def test_pages_ask_for_a_login(shop: Shop, client: Client) -> None:
    envelope = open_on_friperie(shop)
    response = client.get(url("envelope_detail", envelope.pk))
    assert response.status_code == 302
    assert "connexion" in response["Location"]
