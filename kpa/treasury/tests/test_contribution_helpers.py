"""Shortcuts for the contribution tests: the Optéos scheme and lines booked straight into the
books on a treasury account (the sales tests prove the invoices; here only the figures
matter)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import TODAY
from kpa.ledger import services as ledger_services
from kpa.ledger.models import Journal, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import treasury_account_for
from kpa.sales.tests.conftest import Shop
from kpa.treasury import schemes
from kpa.treasury.models import ContributionScheme
from kpa.treasury.schemes import BracketInput

OPTEOS = [BracketInput("0", "11.5"), BracketInput("30000", "10.5"),
          BracketInput("60000", "9.5"), BracketInput("90000", "8.5"),
          BracketInput("120000", "7.5")]
ZERO = Decimal("0.00")


def opteos(shop: Shop, *, starts_on: dt.date = dt.date(2026, 1, 1),
           ends_on: dt.date | None = None, monthly_fee: str = "0",
           fee_waived_for_rsa: bool = False, base: str = "gross_margin",
           name: str = "Optéos") -> ContributionScheme:
    return schemes.create_scheme(
        actor=shop.manager, structure=shop.cast.cae, name=name, starts_on=starts_on,
        ends_on=ends_on, brackets=OPTEOS, monthly_fee=monthly_fee,
        fee_waived_for_rsa=fee_waived_for_rsa, base=base, today=TODAY)


def account_of(shop: Shop, collective: bool = False) -> TreasuryAccount:
    activity = shop.friperie if collective else shop.activity
    return treasury_account_for(activity, actor=shop.manager)


def book(shop: Shop, account: TreasuryAccount, day: dt.date, *, sales: str = "0",
         costs: str = "0", other_costs: str = "0") -> None:
    """Sales excl. VAT (D 411 / C 706), direct costs (D 601 / C 401) and other costs
    (D 6256 travel / C 401) on the account, validated."""
    lines: list[LineInput] = []
    for amount, debit, credit in ((sales, "411", "706"), (costs, "601", "401"),
                                  (other_costs, "625", "401")):
        value = Decimal(amount)
        if value > 0:
            lines += [LineInput(debit, debit=value, treasury_account=account),
                      LineInput(credit, credit=value, treasury_account=account)]
        elif value < 0:
            lines += [LineInput(credit, debit=-value, treasury_account=account),
                      LineInput(debit, credit=-value, treasury_account=account)]
    structure = shop.cast.cae
    ledger_services.post_entry(
        actor=shop.manager, structure=structure,
        journal=Journal.objects.get(structure=structure, code="OD"), date=day,
        label="Activité du mois", lines=lines, validate=True, today=max(day, TODAY))
