"""Shortcuts shared by the pay and payroll tests (no tests here): money put on a coopérant's
individual treasury through a real validated entry, more coopérants under CAPE, a payroll
summary file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import User

from conftest import TODAY, Cast
from kpa.directory.models import Person, RoleKind
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.ledger.models import Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.ledger.treasury_accounts import individual_account_for, treasury_account_for
from kpa.sales.tests.conftest import Shop, give_cape
from kpa.treasury import pay
from kpa.treasury.models import PayRequest

BEFORE_CUTOFF = dt.date(2026, 11, 20)  # November's default cut-off is the 25th
NOVEMBER = dt.date(2026, 11, 1)
DECEMBER = dt.date(2026, 12, 1)


def account_of(shop: Shop) -> TreasuryAccount:
    """The cast coopérant's individual account (opened by their individual activity)."""
    return treasury_account_for(shop.activity, actor=shop.manager)


def fund(shop: Shop, account: TreasuryAccount, amount: str,
         day: dt.date = dt.date(2026, 11, 2)) -> None:
    """Cash in on the account: D 512 / C 706, validated, as a paid sale would leave it."""
    post_entry(actor=shop.cast.user("comptable"), structure=shop.cast.cae,
               journal=Journal.objects.get(structure=shop.cast.cae, code="BQ1"), date=day,
               label="Vente encaissée", lines=[
                   LineInput("512", debit=Decimal(amount), treasury_account=account),
                   LineInput("706", credit=Decimal(amount), treasury_account=account)],
               validate=True, today=TODAY)


def another_cooperant(shop: Shop, username: str, *, amount: str = "3000",
              contract: bool = True) -> tuple[User, TreasuryAccount]:
    """Another coopérant of the home KPA with a login, a CAPE (unless `contract` is False)
    and a funded individual account."""
    cast: Cast = shop.cast
    person: Person = person_with_login(username, first_name=username.capitalize(),
                                       last_name="Martin")
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 1, 5))
    if contract:
        give_cape(cast, person)
    account = individual_account_for(person, cast.cae, actor=shop.manager, kpa=cast.home)
    fund(shop, account, amount)
    assert person.user is not None
    return person.user, account


def requested(shop: Shop, account: TreasuryAccount, user: User, net: str = "800",
              today: dt.date = BEFORE_CUTOFF) -> PayRequest:
    return pay.request_pay(actor=user, account=account, net_amount=net, today=today)


def transmitted(shop: Shop, account: TreasuryAccount, user: User, net: str = "800",
                today: dt.date = BEFORE_CUTOFF) -> PayRequest:
    request = requested(shop, account, user, net, today)
    return pay.transmit_pay_request(actor=shop.cast.user("referent"), pay_request=request,
                                    today=today)


def summary(*rows: str, header: str = "id_personne;brut;net;cout_employeur") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()
