"""The contributory budget's rules: funds reserved on the source, rewards declared by each
member within the hourly ceiling and never above the envelope, visible to everyone who sees
the envelope, and closing moving each contributor's total to their individual treasury and
the rest to the pot — 580 netting to zero in the general ledger."""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PERSONA_NAMES, TODAY, Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import ActivityMembership
from kpa.ledger.models import Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.sales import documents, payments
from kpa.sales.models import Invoice
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import hem_lines, issued_invoice
from kpa.treasury import balances, envelopes, permissions
from kpa.treasury.models import Envelope, EnvelopeReward
from kpa.treasury.tests.test_transfers import (
    available,
    friperie_account,
    fund,
    individual,
    ledger_balance,
    pot,
    rolled_back,
    second_member,
)

ZERO = Decimal("0.00")


def open_on_friperie(shop: Shop, amount: str = "80.00", *, funds: str = "100.00",
                     **options: object) -> Envelope:
    source = friperie_account(shop)
    fund(shop, source, funds)
    return envelopes.open_envelope(actor=shop.seller, source=source, title="Marché de Noël",
                                   amount=amount, today=TODAY, **options)  # type: ignore[arg-type]


def friperie_invoice(shop: Shop, count: int = 4, *, paid: bool = True) -> Invoice:
    """An issued invoice of the friperie: count times 12,50 € HT (+20 % VAT), cashed."""
    invoice = documents.create_invoice(actor=shop.seller, activity=shop.friperie,
                                       customer=shop.company, lines=hem_lines(count),
                                       today=TODAY, title="Retouches collectives")
    documents.submit_invoice(actor=shop.seller, invoice=invoice, today=TODAY)
    invoice = documents.issue_invoice(actor=shop.manager, invoice=invoice, today=TODAY)
    if paid:
        payments.record_payment(actor=shop.manager, invoice=invoice,
                                amount=invoice.total_incl_vat, method="transfer",
                                received_on=TODAY, today=TODAY)
    return invoice


# -- opening --------------------------------------------------------------------------------

def test_an_open_envelope_reserves_its_funds_on_the_source(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    source = envelope.source_account
    assert (envelope.amount, envelope.status, envelope.mode) == (Decimal("80.00"), "open", "free")
    assert envelope.pot_account == source
    figures = balances.figures_of(source.pk, shop.cast.cae, today=TODAY)
    assert figures.committed_detail["envelopes"] == Decimal("80.00")
    assert figures.available == Decimal("20.00")
    event = AuditEvent.objects.get(action="treasury.envelope.opened")
    assert event.data["amount"] == "80.00"


def test_an_envelope_above_what_the_source_has_is_refused_with_the_figure(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="n'a que 100,00 € disponibles") as refused:
        open_on_friperie(shop, "100.01")
    assert "amount" in refused.value.message_dict
    assert not Envelope.objects.exists()


def test_a_second_envelope_only_takes_what_the_first_left(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    with pytest.raises(ValidationError, match="n'a que 20,00 €"):
        envelopes.open_envelope(actor=shop.seller, source=envelope.source_account,
                                title="Deuxième", amount="20.01", today=TODAY)


@pytest.mark.parametrize(("title", "amount", "field"), [
    ("", "10", "title"), ("Stand", "", "amount"), ("Stand", "dix", "amount"),
    ("Stand", "0", "amount"), ("Stand", "1,001", "amount")])
def test_bad_input_is_refused_on_its_field(shop: Shop, title: str, amount: str,
                                           field: str) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    with pytest.raises(ValidationError) as refused:
        envelopes.open_envelope(actor=shop.seller, source=source, title=title, amount=amount,
                                today=TODAY)
    assert field in refused.value.message_dict


def test_no_envelope_on_an_individual_treasury_nor_by_someone_outside(shop: Shop) -> None:
    mine = individual(shop, shop.cast.cooperant)
    fund(shop, mine, "100.00")
    with pytest.raises(PermissionDenied):
        envelopes.open_envelope(actor=shop.seller, source=mine, title="X", amount="10",
                                today=TODAY)
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    for persona in ("outsider", "benevole", "comptable"):
        with pytest.raises(PermissionDenied):
            envelopes.open_envelope(actor=shop.cast.user(persona), source=source, title="X",
                                    amount="10", today=TODAY)


def test_an_envelope_from_an_invoice_takes_what_is_left_of_its_amount_excl_vat(
        shop: Shop) -> None:
    invoice = friperie_invoice(shop, 4)  # 50,00 € HT, 60,00 € cashed, 10,00 € VAT owed
    source = friperie_account(shop)
    assert available(source) == Decimal("50.00")
    first = envelopes.open_envelope(actor=shop.seller, source=source, title="Première",
                                    amount="30.00", source_invoice=invoice, today=TODAY)
    second = envelopes.open_envelope(actor=shop.seller, source=source, title="Seconde",
                                     source_invoice=invoice, today=TODAY)
    assert (first.amount, second.amount) == (Decimal("30.00"), Decimal("20.00"))
    with pytest.raises(ValidationError, match="déjà d'autres budgets"):
        envelopes.open_envelope(actor=shop.seller, source=source, title="Troisième",
                                source_invoice=invoice, today=TODAY)


def test_an_envelope_may_not_take_more_than_its_invoice(shop: Shop) -> None:
    invoice = friperie_invoice(shop, 4)
    fund(shop, friperie_account(shop), "500.00")
    with pytest.raises(ValidationError, match="peut encore financer 50,00 €"):
        envelopes.open_envelope(actor=shop.seller, source=friperie_account(shop), title="X",
                                amount="50.01", source_invoice=invoice, today=TODAY)


def test_only_an_issued_invoice_of_the_collective_funds_an_envelope(shop: Shop) -> None:
    source = friperie_account(shop)
    fund(shop, source, "500.00")
    individual_sale = issued_invoice(shop)  # the coopérant's own activity
    with pytest.raises(ValidationError, match="n'est pas une facture de l'activité"):
        envelopes.open_envelope(actor=shop.seller, source=source, title="X",
                                source_invoice=individual_sale, today=TODAY)
    draft = documents.create_invoice(actor=shop.seller, activity=shop.friperie,
                                     customer=shop.company, lines=hem_lines(), today=TODAY)
    with pytest.raises(ValidationError, match="facture émise"):
        envelopes.open_envelope(actor=shop.seller, source=source, title="X",
                                source_invoice=draft, today=TODAY)


def test_the_rest_may_go_to_the_kpa_common_pot(shop: Shop) -> None:
    envelope = open_on_friperie(shop, rest_to_common_pot=True)
    assert envelope.pot_account.kind == TreasuryAccount.Kind.COMMON
    assert envelope.pot_account.kpa == shop.cast.home


# -- tasks and rewards ----------------------------------------------------------------------

def test_in_grid_mode_every_task_says_what_it_brings(shop: Shop) -> None:
    envelope = open_on_friperie(shop, mode=Envelope.Mode.GRID)
    with pytest.raises(ValidationError) as refused:
        envelopes.add_task(actor=shop.seller, envelope=envelope, title="Affiches", today=TODAY)
    assert "grid_amount" in refused.value.message_dict
    task = envelopes.add_task(actor=shop.seller, envelope=envelope, title="Affiches",
                              grid_amount="25,00", today=TODAY)
    assert task.grid_amount == Decimal("25.00")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task,
                                      amount="999", today=TODAY)
    assert reward.amount == Decimal("25.00")
    with pytest.raises(ValidationError) as refused:
        envelopes.declare_reward(actor=shop.seller, envelope=envelope, today=TODAY)
    assert "task" in refused.value.message_dict


def test_a_reward_above_the_hourly_ceiling_is_refused_with_the_maximum(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    with pytest.raises(ValidationError, match=r"Au plafond de 30,00 € de l'heure, 1,5 h font "
                                              r"au plus 45,00 €"):
        envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="45.01",
                                 hours="1,5", today=TODAY)
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="45.00",
                                      hours="1,5", note="Tenu le stand", today=TODAY)
    assert (reward.hours, reward.amount, reward.person) == (
        Decimal("1.50"), Decimal("45.00"), shop.cast.cooperant)


def test_without_a_ceiling_hours_do_not_cap_the_reward(shop: Shop) -> None:
    envelope = open_on_friperie(shop, hourly_ceiling="0")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="80.00",
                                      hours="1", today=TODAY)
    assert reward.amount == Decimal("80.00")


def test_rewards_never_exceed_the_envelope_and_the_refusal_says_what_is_left(
        shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="60.00", today=TODAY)
    binta = second_member(shop)
    with pytest.raises(ValidationError, match="Il ne reste que 20,00 € dans l'enveloppe de "
                                              "80,00 €") as refused:
        envelopes.declare_reward(actor=binta, envelope=envelope, amount="20.01", today=TODAY)
    assert "amount" in refused.value.message_dict
    envelopes.declare_reward(actor=binta, envelope=envelope, amount="20.00", today=TODAY)
    assert envelopes.declared_total(envelope) == Decimal("80.00")


def test_one_reward_per_person_and_task(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    task = envelopes.add_task(actor=shop.seller, envelope=envelope, title="Tri", today=TODAY)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task, amount="10",
                             today=TODAY)
    with pytest.raises(ValidationError, match="déjà déclaré"):
        envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task, amount="5",
                                 today=TODAY)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="5", today=TODAY)
    assert EnvelopeReward.objects.filter(person=shop.cast.cooperant).count() == 2


def test_a_task_of_another_envelope_is_refused(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "40.00")
    other = envelopes.open_envelope(actor=shop.seller, source=envelope.source_account,
                                    title="Autre", amount="40.00", today=TODAY)
    task = envelopes.add_task(actor=shop.seller, envelope=other, title="Tri", today=TODAY)
    with pytest.raises(ValidationError, match="pas une tâche de ce budget"):
        envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task, amount="5",
                                 today=TODAY)


def test_someone_without_a_role_in_the_kpa_declares_nothing(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    # The gestionnaire may open and see the structure's budgets, but holds no role in the KPA.
    with pytest.raises(ValidationError, match="rôle dans le KPA"):
        envelopes.declare_reward(actor=shop.manager, envelope=envelope, amount="10",
                                 today=TODAY)
    for persona in ("comptable", "outsider", "benevole"):
        with pytest.raises(PermissionDenied):
            envelopes.declare_reward(actor=shop.cast.user(persona), envelope=envelope,
                                     amount="10", today=TODAY)
    assert not EnvelopeReward.objects.exists()


def test_the_kpa_staff_declares_their_own_contribution(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    reward = envelopes.declare_reward(actor=shop.cast.user("animateur"), envelope=envelope,
                                      amount="15", note="Animé la réunion", today=TODAY)
    assert reward.person == shop.cast.animateur


def test_one_changes_or_withdraws_only_their_own_reward_while_open(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    reward = envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="50",
                                      today=TODAY)
    binta = second_member(shop)
    envelopes.declare_reward(actor=binta, envelope=envelope, amount="30", today=TODAY)
    with pytest.raises(PermissionDenied):
        envelopes.update_reward(actor=binta, reward=reward, amount="1", today=TODAY)
    with pytest.raises(PermissionDenied):
        envelopes.withdraw_reward(actor=binta, reward=reward, today=TODAY)
    with pytest.raises(ValidationError, match="Il ne reste que 50,00 €"):
        envelopes.update_reward(actor=shop.seller, reward=reward, amount="50.01", today=TODAY)
    changed = envelopes.update_reward(actor=shop.seller, reward=reward, amount="40",
                                      hours="2", note="Moins", today=TODAY)
    assert (changed.amount, changed.hours, changed.note) == (
        Decimal("40.00"), Decimal("2.00"), "Moins")
    # What is not given stays; empty hours clear them.
    changed = envelopes.update_reward(actor=shop.seller, reward=reward, note="Encore",
                                      today=TODAY)
    assert (changed.amount, changed.hours, changed.note) == (
        Decimal("40.00"), Decimal("2.00"), "Encore")
    changed = envelopes.update_reward(actor=shop.seller, reward=reward, hours="", today=TODAY)
    assert changed.hours is None
    with pytest.raises(ValidationError, match="2 h font au plus 60,00 €"):
        envelopes.update_reward(actor=shop.seller, reward=reward, amount="61", hours="2",
                                today=TODAY)
    envelopes.withdraw_reward(actor=shop.seller, reward=reward, today=TODAY)
    assert not EnvelopeReward.objects.filter(pk=reward.pk).exists()
    assert AuditEvent.objects.filter(action="treasury.envelope_reward.withdrawn").count() == 1


# -- closing --------------------------------------------------------------------------------

def test_closing_moves_each_total_to_individual_accounts_and_the_rest_to_the_pot(
        shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00", rest_to_common_pot=True)
    task = envelopes.add_task(actor=shop.seller, envelope=envelope, title="Stand", today=TODAY)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, task=task, amount="20",
                             hours="1", today=TODAY)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="10", today=TODAY)
    binta = second_member(shop)
    envelopes.declare_reward(actor=binta, envelope=envelope, task=task, amount="20",
                             today=TODAY)
    mine_before = available(individual(shop, shop.cast.cooperant))

    closed = envelopes.close_envelope(actor=shop.cast.user("referent"), envelope=envelope,
                                      today=TODAY)

    assert (closed.status, closed.closed_on) == ("closed", TODAY)
    entry = closed.closing_entry
    assert entry is not None
    assert entry.journal.code == "OD"
    assert entry.is_validated
    assert {ln.account.number for ln in entry.lines.select_related("account")} == {"580"}
    assert available(individual(shop, shop.cast.cooperant)) == mine_before + Decimal("30.00")
    binta_account = TreasuryAccount.objects.get(person__user=binta, kind="individual")
    assert available(binta_account) == Decimal("20.00")
    assert available(pot(shop)) == Decimal("30.00")
    assert available(envelope.source_account) == Decimal("20.00")  # 100 - 80
    assert ledger_balance(shop, "580") == ZERO
    event = AuditEvent.objects.get(action="treasury.envelope.closed")
    assert event.data["rest"] == "30.00"
    told = Notification.objects.filter(topic="treasury.envelope.closed")
    assert {n.recipient for n in told} == {shop.seller, binta}
    assert "30,00 €" in told.get(recipient=shop.seller).body


def test_closing_leaves_the_rest_on_the_source_when_it_is_the_pot(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="50", today=TODAY)
    envelopes.close_envelope(actor=shop.manager, envelope=envelope, today=TODAY)
    assert available(envelope.source_account) == Decimal("50.00")
    assert available(individual(shop, shop.cast.cooperant)) == Decimal("50.00")


def test_an_envelope_nobody_claimed_closes_without_an_entry(shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    closed = envelopes.close_envelope(actor=shop.manager, envelope=envelope, today=TODAY)
    assert closed.closing_entry is None
    assert available(envelope.source_account) == Decimal("100.00")


def test_only_the_kpa_leads_or_the_gestionnaire_close_and_only_once(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="10", today=TODAY)
    for persona in ("cooperant", "accompagnateur", "comptable", "outsider"):
        with pytest.raises(PermissionDenied):
            envelopes.close_envelope(actor=shop.cast.user(persona), envelope=envelope,
                                     today=TODAY)
    envelopes.close_envelope(actor=shop.cast.user("animateur"), envelope=envelope, today=TODAY)
    with pytest.raises(ValidationError, match="clôturé depuis le 28/11/2026"):
        envelopes.close_envelope(actor=shop.manager, envelope=envelope, today=TODAY)
    with pytest.raises(ValidationError, match="clôturé"):
        envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="1", today=TODAY)


def test_closing_refuses_when_the_source_spent_the_reserved_money_elsewhere(
        shop: Shop) -> None:
    envelope = open_on_friperie(shop, "80.00")
    envelopes.declare_reward(actor=shop.seller, envelope=envelope, amount="80", today=TODAY)
    # The source's cash went elsewhere (an unbudgeted supplier debt of 90,00 €).
    post_entry(actor=shop.manager, structure=shop.cast.cae,
               journal=Journal.objects.get(structure=shop.cast.cae, code="OD"), date=TODAY,
               label="Achat", lines=[
                   LineInput("606", debit="90.00", treasury_account=envelope.source_account),
                   LineInput("401", credit="90.00", treasury_account=envelope.source_account)],
               validate=True, today=TODAY)
    with pytest.raises(ValidationError, match="n'a que 10,00 € disponibles"):
        envelopes.close_envelope(actor=shop.manager, envelope=envelope, today=TODAY)
    envelope.refresh_from_db()
    assert envelope.status == "open"


# -- who sees it ----------------------------------------------------------------------------

def test_every_member_sees_the_envelope_and_the_selector_agrees_with_the_gate(
        cast: Cast, shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    binta = second_member(shop)
    seen = {persona: envelopes.envelopes_for(cast.user(persona), TODAY).filter(
        pk=envelope.pk).exists() for persona in [*PERSONA_NAMES, "outsider"]}
    assert seen == {"cooperant": True, "referent": True, "animateur": True,
                    "accompagnateur": True, "benevole": False, "gestionnaire": True,
                    "comptable": True, "coordinateur": False, "admin": True,
                    "outsider": False}
    assert envelopes.envelopes_for(binta, TODAY).filter(pk=envelope.pk).exists()
    for persona, sees in seen.items():
        assert permissions.can_view_envelope(cast.user(persona), envelope.source_account,
                                             today=TODAY) == sees, persona


def test_an_envelope_on_the_kpa_pot_is_seen_by_every_member_of_the_kpa(shop: Shop) -> None:
    common = pot(shop)
    fund(shop, common, "50.00")
    envelope = envelopes.open_envelope(actor=shop.cast.user("benevole"), source=common,
                                       title="Fête de quartier", amount="50", today=TODAY)
    assert envelope.pot_account == common
    for persona in ("benevole", "cooperant", "referent", "comptable"):
        assert envelopes.envelopes_for(shop.cast.user(persona), TODAY).filter(
            pk=envelope.pk).exists(), persona
    assert not envelopes.envelopes_for(shop.cast.user("outsider"), TODAY).exists()


def test_a_former_member_no_longer_sees_the_collective_envelopes(shop: Shop) -> None:
    envelope = open_on_friperie(shop)
    binta = second_member(shop)
    ActivityMembership.objects.filter(person__user=binta).update(left_on=TODAY)
    assert not envelopes.envelopes_for(binta, TODAY).filter(pk=envelope.pk).exists()


# -- the money invariant --------------------------------------------------------------------

@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(claims=st.lists(st.tuples(st.integers(0, 2), st.integers(1, 6000),
                                 st.one_of(st.none(), st.integers(1, 400))), max_size=8),
       to_pot=st.booleans())
def test_whatever_is_declared_closing_moves_exactly_the_envelope(
        shop: Shop, claims: list[tuple[int, int, int | None]], to_pot: bool) -> None:
    with rolled_back():
        envelope = open_on_friperie(shop, "80.00", rest_to_common_pot=to_pot)
        people = [shop.seller, second_member(shop), shop.cast.user("animateur")]
        for who, cents, quarter_hours in claims:
            hours = None if quarter_hours is None else Decimal(quarter_hours) / 4
            with suppress(ValidationError):  # refused as a whole, nothing half-written
                envelopes.declare_reward(actor=people[who], envelope=envelope,
                                         amount=Decimal(cents) / 100, hours=hours,
                                         today=TODAY)
            assert envelopes.declared_total(envelope) <= envelope.amount
        declared = envelopes.declared_total(envelope)
        for reward in EnvelopeReward.objects.filter(envelope=envelope, hours__isnull=False):
            assert reward.hours is not None
            assert reward.amount <= reward.hours * envelope.hourly_ceiling
        envelopes.close_envelope(actor=shop.manager, envelope=envelope, today=TODAY)
        gained = sum((available(individual(shop, p)) for p in (
            shop.cast.cooperant, *(u.person for u in people[1:]))), ZERO)
        assert gained == declared
        kept = available(envelope.source_account)
        assert kept + gained + (available(pot(shop)) if to_pot else ZERO) == Decimal("100.00")
        assert kept == (Decimal("20.00") if to_pot else Decimal("100.00") - declared)
        assert ledger_balance(shop, "580") == ZERO
