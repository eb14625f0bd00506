"""Internal transfers between treasury accounts: D 580 on the receiving account / C 580 on the
giving one, refused above what the giver has available, and 580 always nets to zero in the
general ledger. The helpers at the top (money on an account, a second member of the
friperie) serve the envelope and exit tests too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from kpa.directory.models import ActivityMembership, Person, RoleKind
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.ledger.models import EntryLine, Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.ledger.treasury_accounts import (
    common_account_for,
    individual_account_for,
    treasury_account_for,
)
from kpa.sales.tests.conftest import CAPE_START, Shop
from kpa.treasury import balances
from kpa.treasury.transfers import Move, post_moves, post_transfer

ZERO = Decimal("0.00")


# -- helpers shared with the envelope and exit tests ------------------------------------------

def fund(shop: Shop, account: TreasuryAccount, amount: str) -> None:
    """Money really in on `account`: a sale cashed at once (D 512 / C 706, both on it)."""
    journal = Journal.objects.get(structure=shop.cast.cae, code="BQ1")
    post_entry(actor=shop.manager, structure=shop.cast.cae, journal=journal, date=TODAY,
               label="Vente encaissée", lines=[
                   LineInput("512", debit=amount, treasury_account=account),
                   LineInput("706", credit=amount, treasury_account=account)],
               validate=True, today=TODAY)


def available(account: TreasuryAccount) -> Decimal:
    return balances.figures_of(account.pk, account.structure, today=TODAY).available


def friperie_account(shop: Shop) -> TreasuryAccount:
    return treasury_account_for(shop.friperie, actor=shop.manager)


def individual(shop: Shop, person: Person) -> TreasuryAccount:
    return individual_account_for(person, shop.cast.cae, actor=shop.manager, kpa=shop.cast.home)


def pot(shop: Shop) -> TreasuryAccount:
    return common_account_for(shop.cast.home, actor=shop.manager)


def second_member(shop: Shop, username: str = "binta") -> User:
    """Another coopérant of the home KPA, member of the friperie, with a login."""
    person = person_with_login(username, first_name=username.capitalize(), last_name="Diallo")
    give_role(person, RoleKind.COOPERANT, shop.cast.home, starts_on=dt.date(2026, 1, 5))
    ActivityMembership.objects.create(activity=shop.friperie, person=person,
                                      joined_on=CAPE_START)
    assert person.user is not None
    return person.user


def ledger_balance(shop: Shop, number: str) -> Decimal:
    totals = EntryLine.objects.filter(account__structure=shop.cast.cae, validated=True,
                                      account__number=number).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    return (totals["d"] or ZERO) - (totals["c"] or ZERO)


# -- transfers ------------------------------------------------------------------------------

def test_a_transfer_moves_money_between_treasuries_through_580(shop: Shop) -> None:
    source, target = friperie_account(shop), pot(shop)
    fund(shop, source, "100.00")
    entry = post_transfer(actor=shop.manager, source=source, target=target,
                          amount=Decimal("40.00"), label="Pour la caisse", today=TODAY,
                          source_ref="T-1")
    assert entry.journal.code == "OD"
    assert entry.is_validated
    lines = {(ln.account.number, ln.treasury_account_id): (ln.debit, ln.credit)
             for ln in entry.lines.select_related("account")}
    assert lines == {("580", target.pk): (Decimal("40.00"), ZERO),
                     ("580", source.pk): (ZERO, Decimal("40.00"))}
    assert available(source) == Decimal("60.00")
    assert available(target) == Decimal("40.00")
    figures = balances.figures_of(target.pk, shop.cast.cae, today=TODAY)
    assert figures.transfers == Decimal("40.00")
    assert ledger_balance(shop, "580") == ZERO
    assert balances.structure_figures(shop.cast.cae, today=TODAY).transfers == ZERO


def test_a_transfer_above_what_is_available_is_refused_with_the_figure(shop: Shop) -> None:
    source, target = friperie_account(shop), pot(shop)
    fund(shop, source, "25.00")
    with pytest.raises(ValidationError, match="n'a que 25,00 € disponibles"):
        post_transfer(actor=shop.manager, source=source, target=target,
                      amount=Decimal("25.01"), label="Trop", today=TODAY)
    assert not EntryLine.objects.filter(account__number="580").exists()


def test_what_the_caller_releases_counts_as_available(shop: Shop) -> None:
    source, target = friperie_account(shop), pot(shop)
    with pytest.raises(ValidationError):
        post_transfer(actor=shop.manager, source=source, target=target,
                      amount=Decimal("10.00"), label="Rien", today=TODAY)
    # Only the caller knows it holds 10,00 € that the figures count as committed.
    post_transfer(actor=shop.manager, source=source, target=target, amount=Decimal("10.00"),
                  label="Libéré", today=TODAY, also_available=Decimal("10.00"))
    assert available(target) == Decimal("10.00")


@pytest.mark.parametrize(("amount", "message"), [
    ("0.00", "montant positif"), ("-5.00", "montant positif"), ("1.001", "au centime")])
def test_a_transfer_is_a_positive_amount_to_the_cent(shop: Shop, amount: str,
                                                     message: str) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    with pytest.raises(ValidationError, match=message):
        post_transfer(actor=shop.manager, source=source, target=pot(shop),
                      amount=Decimal(amount), label="X", today=TODAY)


def test_a_treasury_does_not_transfer_to_itself_nor_to_a_closed_one(shop: Shop) -> None:
    source, target = friperie_account(shop), pot(shop)
    fund(shop, source, "100.00")
    with pytest.raises(ValidationError, match="elle-même"):
        post_transfer(actor=shop.manager, source=source, target=source,
                      amount=Decimal("1.00"), label="X", today=TODAY)
    target.is_active = False
    target.save()
    with pytest.raises(ValidationError, match="fermée"):
        post_transfer(actor=shop.manager, source=source, target=target,
                      amount=Decimal("1.00"), label="X", today=TODAY)


def test_a_transfer_stays_inside_one_structure(shop: Shop) -> None:
    source = friperie_account(shop)
    fund(shop, source, "100.00")
    elsewhere = TreasuryAccount.objects.create(
        structure=shop.cast.other_structure, code="KPA-X", label="Ailleurs",
        kind=TreasuryAccount.Kind.COMMON, kpa=shop.cast.elsewhere)
    with pytest.raises(ValidationError, match="autre structure"):
        post_transfer(actor=shop.manager, source=source, target=elsewhere,
                      amount=Decimal("1.00"), label="X", today=TODAY)


@contextmanager
def rolled_back() -> Iterator[None]:
    """One hypothesis example inside a savepoint that is always undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


cents = st.integers(min_value=1, max_value=20_000).map(lambda n: Decimal(n) / 100)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(moves=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), cents), max_size=8))
def test_transfers_never_create_money_nor_leave_580_unbalanced(
        shop: Shop, moves: list[tuple[int, int, Decimal]]) -> None:
    with rolled_back():
        accounts = [friperie_account(shop), pot(shop), individual(shop, shop.cast.cooperant)]
        fund(shop, accounts[0], "150.00")
        fund(shop, accounts[1], "50.00")
        before = sum((available(a) for a in accounts), ZERO)
        for giver, receiver, amount in moves:
            room = available(accounts[giver])
            try:
                post_moves(actor=shop.manager, source=accounts[giver],
                           moves=[Move(accounts[receiver], amount)], label="Aléa", today=TODAY)
            except ValidationError:
                assert giver == receiver or amount > room
            else:
                assert giver != receiver
                assert amount <= room
        assert sum((available(a) for a in accounts), ZERO) == before
        assert all(available(a) >= 0 for a in accounts)
        assert ledger_balance(shop, "580") == ZERO
