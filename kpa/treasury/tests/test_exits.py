"""The exit: once the journey has ended, the gestionnaire settles the leaving coopérant's
individual treasury once — paid out (BQ1: D 6588 / C 512 on the account) or transferred
(580) — then the account is closed; with nothing left, the decision is recorded without an
entry. Refused while the journey runs, twice, on a negative balance or while money is still
moving. Pages and API included."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import SECRET_MARKER, TODAY
from kpa.core import dates
from kpa.core.models import AuditEvent, Notification
from kpa.core.services import create_api_token
from kpa.directory.tests.factories import PersonFactory
from kpa.journey import contracts
from kpa.journey.models import Journey, JourneyStatus
from kpa.ledger.models import Entry, Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.sales.tests.conftest import Shop
from kpa.treasury import balances, exits
from kpa.treasury.models import ExitSettlement
from kpa.treasury.tests.test_transfers import available, fund, individual, ledger_balance, pot

ZERO = Decimal("0.00")
API = "/api/v1/treasury"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def leave(shop: Shop) -> Journey:
    """The coopérant's journey ends today, through the journey's own service."""
    journey = Journey.objects.get(person=shop.cast.cooperant)
    return contracts.record_exit(actor=shop.cast.user("referent"), journey=journey,
                                 exited_on=TODAY, exit_kind=Journey.ExitKind.OWN_BUSINESS,
                                 today=TODAY)


def owe(shop: Shop, account: TreasuryAccount, amount: str) -> None:
    """An expense claim validated and not yet reimbursed: D 6251 / C 425 on the account."""
    post_entry(actor=shop.manager, structure=shop.cast.cae,
               journal=Journal.objects.get(structure=shop.cast.cae, code="OD"), date=TODAY,
               label="Note de frais", lines=[
                   LineInput("6251", debit=amount, treasury_account=account),
                   LineInput("425", credit=amount, treasury_account=account)],
               validate=True, today=TODAY)


def settle(shop: Shop, kind: str = "payout", **options: Any) -> ExitSettlement:
    return exits.settle_exit(actor=shop.manager, account=individual(shop, shop.cast.cooperant),
                             kind=kind, today=TODAY, **options)


# -- the rules ------------------------------------------------------------------------------

def test_the_balance_is_not_settled_while_the_journey_runs(shop: Shop) -> None:
    fund(shop, individual(shop, shop.cast.cooperant), "100.00")
    with pytest.raises(ValidationError, match="toujours en cours : enregistrez d'abord sa "
                                              "sortie"):
        settle(shop)
    assert not ExitSettlement.objects.exists()
    assert individual(shop, shop.cast.cooperant).is_active


def test_a_payout_pays_what_is_available_and_closes_the_account(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "120.00")
    owe(shop, account, "20.00")  # a claim still to reimburse stays covered
    journey = leave(shop)
    assert journey.treasury_payout_pending

    settlement = settle(shop)

    assert (settlement.kind, settlement.amount, settlement.settled_on) == (
        "payout", Decimal("100.00"), TODAY)
    assert settlement.target_account is None
    entry = settlement.entry
    assert entry is not None
    assert entry.journal.code == "BQ1"
    assert entry.is_validated
    assert {(ln.account.number, ln.debit, ln.credit, ln.treasury_account_id)
            for ln in entry.lines.select_related("account")} == {
        ("6588", Decimal("100.00"), ZERO, account.pk),
        ("512", ZERO, Decimal("100.00"), account.pk)}
    figures = balances.figures_of(account.pk, shop.cast.cae, today=TODAY)
    assert (figures.cash, figures.owed, figures.available) == (
        Decimal("20.00"), Decimal("20.00"), ZERO)
    account.refresh_from_db()
    assert not account.is_active
    journey.refresh_from_db()
    assert not journey.treasury_payout_pending
    assert AuditEvent.objects.get(action="treasury.exit.settled").data["amount"] == "100.00"
    told = Notification.objects.get(topic="treasury.exit.settled")
    assert told.recipient == shop.seller
    assert "100,00 €" in told.body


def test_a_transfer_sends_the_balance_to_another_treasury_through_580(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "75.00")
    leave(shop)
    common = pot(shop)
    settlement = settle(shop, "transfer", target=common)
    assert (settlement.amount, settlement.target_account) == (Decimal("75.00"), common)
    assert settlement.entry is not None
    assert settlement.entry.journal.code == "OD"
    assert available(common) == Decimal("75.00")
    assert available(account) == ZERO
    assert ledger_balance(shop, "580") == ZERO


def test_a_transfer_needs_another_open_treasury_of_the_structure(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "75.00")
    leave(shop)
    with pytest.raises(ValidationError) as refused:
        settle(shop, "transfer")
    assert "target" in refused.value.message_dict
    with pytest.raises(ValidationError, match="autre trésorerie ouverte"):
        settle(shop, "transfer", target=account)
    with pytest.raises(ValidationError) as refused:
        settle(shop, "gift")
    assert "kind" in refused.value.message_dict
    assert account.is_active


def test_the_balance_is_settled_only_once(shop: Shop) -> None:
    fund(shop, individual(shop, shop.cast.cooperant), "30.00")
    leave(shop)
    settle(shop)
    with pytest.raises(ValidationError, match="a déjà été réglé le 28/11/2026"):
        settle(shop)
    assert ExitSettlement.objects.count() == 1


def test_a_negative_balance_is_refused_until_the_structure_settles_it(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    owe(shop, account, "50.00")
    leave(shop)
    with pytest.raises(ValidationError, match=r"négatif \(-50,00 €\) : la structure doit "
                                              r"d'abord le régler"):
        settle(shop)
    account.refresh_from_db()
    assert account.is_active


def test_unpaid_invoices_keep_the_account_open(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    post_entry(actor=shop.manager, structure=shop.cast.cae,
               journal=Journal.objects.get(structure=shop.cast.cae, code="VT"), date=TODAY,
               label="Facture", lines=[LineInput("411", debit="40.00", treasury_account=account),
                                       LineInput("706", credit="40.00",
                                                 treasury_account=account)],
               validate=True, today=TODAY)
    leave(shop)
    with pytest.raises(ValidationError, match="40,00 € de factures restent à encaisser"):
        settle(shop)


def test_a_zero_balance_is_settled_without_an_entry_and_closes_the_account(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "20.00")
    owe(shop, account, "20.00")  # cash 20, owed 20: exactly nothing available
    journey = leave(shop)
    assert journey.treasury_payout_pending
    entries = Entry.objects.count()

    settlement = settle(shop)

    assert (settlement.kind, settlement.amount, settlement.entry, settlement.target_account,
            settlement.settled_on, settlement.decided_by) == (
        "payout", ZERO, None, None, TODAY, shop.manager)
    assert Entry.objects.count() == entries
    account.refresh_from_db()
    assert not account.is_active
    journey.refresh_from_db()
    assert not journey.treasury_payout_pending
    event = AuditEvent.objects.get(action="treasury.exit.settled")
    assert (event.target_id, event.data["amount"], event.data["entry"]) == (
        str(settlement.pk), "0.00", None)
    assert not Notification.objects.filter(topic="treasury.exit.settled").exists()


def test_a_zero_balance_keeps_the_decision_to_transfer(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    leave(shop)
    common = pot(shop)
    settlement = settle(shop, "transfer", target=common)
    assert (settlement.kind, settlement.amount, settlement.entry, settlement.target_account) == (
        "transfer", ZERO, None, common)
    assert available(common) == ZERO
    account.refresh_from_db()
    assert not account.is_active


def test_a_zero_balance_keeps_the_refusals(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    with pytest.raises(ValidationError, match="toujours en cours"):
        settle(shop)
    leave(shop)
    with pytest.raises(ValidationError) as refused:
        settle(shop, "transfer")
    assert "target" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        settle(shop, "gift")
    assert "kind" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        exits.settle_exit(actor=shop.cast.user("comptable"), account=account, kind="payout",
                          today=TODAY)
    assert not ExitSettlement.objects.exists()
    settle(shop)
    with pytest.raises(ValidationError, match="a déjà été réglé le 28/11/2026"):
        settle(shop)
    assert ExitSettlement.objects.count() == 1


def test_only_the_gestionnaire_settles_an_exit(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "30.00")
    leave(shop)
    for persona in ("referent", "comptable", "cooperant", "outsider"):
        with pytest.raises(PermissionDenied):
            exits.settle_exit(actor=shop.cast.user(persona), account=account, kind="payout",
                              today=TODAY)


def test_only_an_individual_treasury_is_settled_at_an_exit(shop: Shop) -> None:
    common = pot(shop)
    fund(shop, common, "30.00")
    with pytest.raises(ValidationError, match="Seule une trésorerie individuelle"):
        exits.settle_exit(actor=shop.manager, account=common, kind="payout", today=TODAY)


# -- pages ----------------------------------------------------------------------------------

def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("\u202f", " ").split())


def left_too(shop: Shop, n: int) -> TreasuryAccount:
    """Another person whose journey has ended, with money on their treasury."""
    person = PersonFactory.create(first_name=f"Sortant{n}", last_name="Test")
    Journey.objects.create(person=person, kpa=shop.cast.home, structure=shop.cast.cae,
                           status=JourneyStatus.ENDED, status_since=timezone.now())
    account = individual(shop, person)
    fund(shop, account, "10.00")
    return account


def test_the_exit_list_shows_who_is_left_to_settle_with_fixed_queries(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    fund(shop, individual(shop, shop.cast.cooperant), "42.00")
    leave(shop)
    client.force_login(shop.manager)
    with django_assert_max_num_queries(20) as few:
        page = client.get(reverse("treasury:exit_list"))
    assert f"{shop.cast.cooperant.full_name} {shop.cast.cae.name} 42,00" in text_of(page)
    for n in range(3):
        left_too(shop, n)
    with django_assert_num_queries(len(few)):
        page = client.get(reverse("treasury:exit_list"))
    assert text_of(page).count("Solder") == 4


def test_the_gestionnaire_settles_an_exit_from_its_page(shop: Shop, client: Client) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "42.00")
    client.force_login(shop.manager)
    running = client.get(reverse("treasury:exit_settle", args=[account.pk]))
    assert "toujours en cours" in text_of(running)
    assert "Régler le solde" not in text_of(running)
    leave(shop)
    page = client.get(reverse("treasury:exit_settle", args=[account.pk]))
    assert "Solde à régler 42,00 €" in text_of(page)
    response = client.post(reverse("treasury:exit_settle", args=[account.pk]),
                           {"kind": "transfer", "target": ""})
    assert response.status_code == 400
    assert "Choisissez la trésorerie qui reçoit le solde" in text_of(response)
    response = client.post(reverse("treasury:exit_settle", args=[account.pk]),
                           {"kind": "payout"})
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert "42,00 € réglés le 28/11/2026 — Versée à la personne" in text_of(done)


def test_the_exit_page_closes_a_treasury_with_nothing_left(shop: Shop, client: Client) -> None:
    account = individual(shop, shop.cast.cooperant)
    leave(shop)
    client.force_login(shop.manager)
    page = text_of(client.get(reverse("treasury:exit_settle", args=[account.pk])))
    assert "Solde à régler 0,00 €" in page
    assert "Il ne reste rien à verser ni à transférer : aucune écriture ne sera passée." in page
    assert "Fermer la trésorerie" in page
    assert "Régler le solde" not in page
    response = client.post(reverse("treasury:exit_settle", args=[account.pk]),
                           {"kind": "payout"})
    assert response.status_code == 302
    done = text_of(client.get(response["Location"]))
    assert ("Trésorerie fermée le 28/11/2026 : il ne restait rien à verser ni à "
            "transférer.") in done
    assert "0,00 € réglés" not in done
    assert ExitSettlement.objects.get().entry is None


def test_the_exit_pages_are_404_for_everyone_but_the_gestionnaire(shop: Shop,
                                                                  client: Client) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "42.00")
    leave(shop)
    for persona in ("outsider", "referent", "comptable", "cooperant"):
        client.force_login(shop.cast.user(persona))
        assert client.get(reverse("treasury:exit_list")).status_code == 404, persona
        page = reverse("treasury:exit_settle", args=[account.pk])
        assert client.get(page).status_code == 404, persona
        response = client.post(page, {"kind": "payout"})
        assert response.status_code == 404, persona
        assert SECRET_MARKER not in response.content.decode()
    assert not ExitSettlement.objects.exists()


# -- API ------------------------------------------------------------------------------------

def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_an_exit_is_read_and_settled_through_the_api(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "42.00")
    manager = client_of(shop.manager)
    url = f"{API}/exits/{account.pk}"
    state = manager.get(url).json()
    assert state["balance"] == "42.00"
    assert any("toujours en cours" in p for p in state["problems"])
    refused = manager.post(f"{url}/settle", json.dumps({"kind": "payout"}),
                           content_type="application/json")
    assert refused.status_code == 422
    leave(shop)
    common = pot(shop)
    done = manager.post(f"{url}/settle", json.dumps({"kind": "transfer",
                                                     "target_account_id": common.pk}),
                        content_type="application/json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["is_active"] is False
    assert (body["settlement"]["kind"], body["settlement"]["amount"],
            body["settlement"]["target_account_id"]) == ("transfer", "42.00", common.pk)


def test_the_api_answers_403_to_who_sees_and_404_to_who_does_not(shop: Shop) -> None:
    account = individual(shop, shop.cast.cooperant)
    fund(shop, account, "42.00")
    leave(shop)
    body = json.dumps({"kind": "payout"})
    for persona, status in (("comptable", 403), ("referent", 403), ("outsider", 404)):
        api = client_of(shop.cast.user(persona))
        assert api.post(f"{API}/exits/{account.pk}/settle", body,
                        content_type="application/json").status_code == status, persona
    assert client_of(shop.cast.user("outsider")).get(
        f"{API}/exits/{account.pk}").status_code == 404
    assert not ExitSettlement.objects.exists()
