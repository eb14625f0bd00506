"""The analytic breakdown always sums to the general ledger.

Random operations go through the real services — invoices issued by `sales.documents`,
payments recorded by `sales.payments`, credit notes, contributions, remunerations, expense
claims and supplier invoices posted on treasury accounts, the structure's own entries,
internal 580 transfers — and then, for every figure, the treasury accounts plus the
structure's own part equal the whole books (`balances.structure_figures`); the figures of the
books equal what the trial balance (`ledger.reports.trial_balance`) says once its accounts
are sorted by this test's own reading of the chart; per general account, the lines split by
treasury account sum to the trial balance; and hledger, reading the exported journal, prints
for a treasury account (`tag:tresorerie=`) the balances our figures show.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from kpa.core.money import quantize
from kpa.ledger.models import EntryLine, FiscalYear, TreasuryAccount
from kpa.ledger.plaintext import write_hledger
from kpa.ledger.reports import analytic_balance, book_lines, trial_balance
from kpa.ledger.tests.oracles import hledger_balances, hledger_required
from kpa.ledger.treasury_accounts import common_account_for
from kpa.sales import documents, payments
from kpa.sales.documents import LineInput
from kpa.sales.models import Invoice
from kpa.sales.tests.conftest import Shop
from kpa.treasury import balances
from kpa.treasury.balances import Figures
from kpa.treasury.tests.test_balances import (
    c,
    collective,
    contribution,
    d,
    individual,
    platform_accounts,
    post,
    remuneration,
    transfer,
)

ZERO = Decimal("0.00")
FIGURES = ("cash", "receivables", "owed", "turnover", "direct_costs", "contribution",
           "remuneration", "other_expenses", "other_income", "transfers")


# -- this test's own reading of the chart ------------------------------------------------------


def figure_of(number: str) -> list[tuple[str, int]]:
    """Where a general account's balance (debit positive) goes, and with which sign: the
    rules of `balances`, written again here from its documentation."""
    if number.startswith("580"):
        return [("cash", 1), ("transfers", 1)]
    if number.startswith("5"):
        return [("cash", 1)]
    if number.startswith("411"):
        return [("receivables", 1)]
    if number.startswith(("40", "42", "43", "44")):
        return [("owed", -1)]
    if number.startswith("70"):
        return [("turnover", -1)]
    if number.startswith("7"):
        return [("other_income", -1)]
    if number.startswith(("601", "602", "6031", "6037", "604", "607", "608", "609", "611")):
        return [("direct_costs", 1)]
    if number.startswith("6288"):
        return [("contribution", 1)]
    if number.startswith("64"):
        return [("remuneration", 1)]
    if number.startswith("6"):
        return [("other_expenses", 1)]
    return []


def figures_from(balances_by_number: dict[str, Decimal]) -> dict[str, Decimal]:
    found = dict.fromkeys(FIGURES, ZERO)
    for number, balance in balances_by_number.items():
        for name, sign in figure_of(number):
            found[name] += sign * balance
    return found


def as_dict(figures: Figures) -> dict[str, Decimal]:
    return {name: getattr(figures, name) for name in FIGURES}


# -- operations --------------------------------------------------------------------------------

days = st.dates(dt.date(2026, 3, 2), TODAY)
cents = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n) / 100)
targets = st.sampled_from(["individual", "collective", "pot"])

operations = st.one_of(
    st.tuples(st.just("invoice"), st.sampled_from(["individual", "collective"]),
              st.integers(1, 4), st.integers(1, 20_000)),
    st.tuples(st.just("payment"), st.integers(0, 5), st.integers(1, 4),
              st.sampled_from(["transfer", "cash", "card"])),
    st.tuples(st.just("credit_note"), st.integers(0, 5)),
    st.tuples(st.just("contribution"), targets, cents, days),
    st.tuples(st.just("remuneration"), cents.filter(lambda gross: gross >= 10),
              st.integers(60, 95), st.integers(110, 160), days),
    st.tuples(st.just("claim"), targets, cents, st.booleans(), days),
    st.tuples(st.just("supplier"), targets, cents, st.booleans(), days),
    st.tuples(st.just("own"), cents, st.sampled_from(["6226", "606", "7588", "4456"]), days),
    st.tuples(st.just("transfer"), targets, targets, cents, days),
)


def run(shop: Shop, accounts: dict[str, TreasuryAccount], operation: tuple[Any, ...],
        invoices: list[Invoice]) -> None:
    kind, *args = operation
    if kind == "invoice":
        target, quantity, price = args
        activity = shop.activity if target == "individual" else shop.friperie
        invoice = documents.create_invoice(
            actor=shop.seller, activity=activity, customer=shop.company, today=TODAY,
            lines=[LineInput(description="Ouvrage", quantity=quantity,
                             unit_price=Decimal(price) / 100, vat_rate="20.00",
                             is_service=True)])
        documents.submit_invoice(actor=shop.seller, invoice=invoice, today=TODAY)
        invoices.append(documents.issue_invoice(actor=shop.manager, invoice=invoice,
                                                today=TODAY))
    elif kind == "payment" and invoices:
        index, quarters, method = args
        invoice = Invoice.objects.get(pk=invoices[index % len(invoices)].pk)
        amount = quantize(payments.balance_due(invoice) * quarters / 4)
        if amount > 0:
            payments.record_payment(actor=shop.manager, invoice=invoice, amount=amount,
                                    method=method, received_on=TODAY, today=TODAY)
    elif kind == "credit_note" and invoices:
        invoice = Invoice.objects.get(pk=invoices[args[0] % len(invoices)].pk)
        try:
            note = documents.create_credit_note(actor=shop.manager, invoice=invoice,
                                                today=TODAY)
        except ValidationError:
            return  # nothing left to credit: refused, and nothing written
        documents.issue_invoice(actor=shop.manager, invoice=note, today=TODAY)
    elif kind == "contribution":
        target, amount, day = args
        contribution(shop, accounts[target], str(amount), day=day)
    elif kind == "remuneration":
        gross, net_percent, cost_percent, day = args
        net = quantize(gross * net_percent / 100)
        cost = quantize(gross * cost_percent / 100)
        remuneration(shop, accounts["individual"], gross=str(gross), net=str(net),
                     cost=str(cost), day=day)
    elif kind in ("claim", "supplier"):
        target, amount, paid, day = args
        account, owed = accounts[target], "425" if kind == "claim" else "401"
        vat = quantize(amount / 6)
        lines = [d("6068" if kind == "claim" else "601", str(amount - vat), account),
                 d("44566", str(vat), account), c(owed, str(amount), account)]
        post(shop, *(ln for ln in lines if ln.debit or ln.credit), day=day)
        if paid:
            post(shop, d(owed, str(amount), account), c("512", str(amount), account),
                 day=day, journal="BQ1")
    elif kind == "own":
        amount, number, day = args
        if number.startswith("7"):
            post(shop, d("512", str(amount)), c(number, str(amount)), day=day)
        else:
            post(shop, d(number, str(amount)), c("512", str(amount)), day=day)
    elif kind == "transfer":
        giver, receiver, amount, day = args
        if giver != receiver:
            transfer(shop, accounts[giver], accounts[receiver], str(amount), day=day)


# -- the checks --------------------------------------------------------------------------------


def check_buckets(shop: Shop, accounts: dict[str, TreasuryAccount]) -> None:
    structure = shop.cast.cae
    every = balances.figures_for(structure, None, today=TODAY)
    own = balances.structure_figures(structure, today=TODAY, own_lines_only=True)
    books = balances.structure_figures(structure, today=TODAY)
    assert set(every) <= {a.pk for a in accounts.values()}
    for name in FIGURES:
        parts = sum((getattr(f, name) for f in every.values()), ZERO) + getattr(own, name)
        assert parts == getattr(books, name), name

    year = FiscalYear.objects.get(structure=structure, starts_on=dt.date(2026, 1, 1))
    trial = trial_balance(year)
    assert trial.total_debit == trial.total_credit
    assert figures_from(trial.balances()) == as_dict(books)

    # Per general account, the lines split by treasury account sum to the trial balance.
    split: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for number, _treasury, debit, credit in (
            EntryLine.objects.filter(fiscal_year=year, validated=True)
            .values_list("account__number", "treasury_account_id")
            .annotate(debit=Sum("debit"), credit=Sum("credit")).order_by()):
        split[number] += quantize(debit - credit)
    assert {n: b for n, b in split.items() if b} == {
        n: b for n, b in trial.balances().items() if b}

    # The books' own analytic report agrees too, account by account.
    by_code = {a.code: as_dict(every.get(a.pk) or Figures()) for a in accounts.values()}
    for row in analytic_balance(year):
        assert row.revenue == by_code[row.code]["turnover"] + by_code[row.code]["other_income"]
        assert row.expenses == sum((by_code[row.code][name] for name in (
            "direct_costs", "contribution", "remuneration", "other_expenses")), ZERO)


def hledger_figures(shop: Shop, account: TreasuryAccount) -> dict[str, Decimal]:
    """What hledger prints for one treasury account's postings, sorted into figures."""
    year = FiscalYear.objects.get(structure=shop.cast.cae, starts_on=dt.date(2026, 1, 1))
    out = io.StringIO()
    write_hledger(book_lines(year), out)
    printed = hledger_balances(out.getvalue(), query=[f"tag:tresorerie=^{account.code}$"])
    by_number: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for name, balance in printed.items():
        by_number[name.split(":")[0]] += balance
    return figures_from(by_number)


def check_hledger(shop: Shop, account: TreasuryAccount) -> None:
    ours = as_dict(balances.figures_of(account.pk, shop.cast.cae, today=TODAY))
    assert hledger_figures(shop, account) == ours


# -- the property ------------------------------------------------------------------------------


@pytest.fixture
def accounts(shop: Shop) -> dict[str, TreasuryAccount]:
    platform_accounts(shop)
    return {"individual": individual(shop), "collective": collective(shop),
            "pot": common_account_for(shop.cast.home, actor=shop.manager)}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operations, min_size=1, max_size=6))
def test_the_treasury_accounts_and_the_structures_own_part_always_equal_the_ledger(
        shop: Shop, accounts: dict[str, TreasuryAccount], steps: list[tuple[Any, ...]]
) -> None:
    assert not EntryLine.objects.exists()  # each example starts from empty books
    with transaction.atomic():
        invoices: list[Invoice] = []
        for step in steps:
            run(shop, accounts, step, invoices)
        check_buckets(shop, accounts)
        transaction.set_rollback(True)


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(operations, min_size=1, max_size=6), which=targets)
def test_hledger_prints_a_treasury_accounts_figures_from_the_exported_journal(
        shop: Shop, accounts: dict[str, TreasuryAccount], steps: list[tuple[Any, ...]],
        which: str) -> None:
    hledger_required()
    with transaction.atomic():
        invoices: list[Invoice] = []
        for step in steps:
            run(shop, accounts, step, invoices)
        check_hledger(shop, accounts[which])
        transaction.set_rollback(True)


def test_hledger_and_our_figures_agree_on_a_month_of_a_coopérants_life(
        shop: Shop, accounts: dict[str, TreasuryAccount]) -> None:
    hledger_required()
    invoices: list[Invoice] = []
    for step in (("invoice", "individual", 3, 4_000), ("invoice", "collective", 1, 1_250),
                 ("payment", 0, 4, "transfer"), ("payment", 1, 2, "cash"),
                 ("contribution", "individual", Decimal("13.80"), TODAY),
                 ("remuneration", Decimal("50.00"), 78, 130, TODAY),
                 ("claim", "individual", Decimal("36.00"), True, TODAY),
                 ("supplier", "collective", Decimal("60.00"), False, TODAY),
                 ("transfer", "collective", "individual", Decimal("5.00"), TODAY),
                 ("own", Decimal("20.00"), "6226", TODAY)):
        run(shop, accounts, step, invoices)

    mine = hledger_figures(shop, accounts["individual"])

    assert mine["turnover"] == Decimal("120.00")
    assert mine["cash"] == Decimal("144.00") - Decimal("13.80") - Decimal("39.00") \
        - Decimal("36.00") + Decimal("5.00")
    assert mine == as_dict(balances.figures_of(accounts["individual"].pk, shop.cast.cae,
                                               today=TODAY))
    check_hledger(shop, accounts["collective"])
    check_buckets(shop, accounts)
