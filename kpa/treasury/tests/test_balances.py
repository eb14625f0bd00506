"""The live figures of treasury accounts (`balances`) and what they have committed
(`commitments`): each kind of line lands in its figure and in no other, only validated lines
of the right years count, closing a year changes nothing, the structure's own lines stay out
of every account, pay requests in progress and open envelopes are taken off what is
available, and the figures of any number of accounts cost the same queries.

The helpers at the top post straight through `ledger.services.post_entry` and are shared by
the statement, forecast and agreement tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from conftest import TODAY
from kpa.directory import services as directory_services
from kpa.directory.models import Activity
from kpa.ledger import services as ledger_services
from kpa.ledger.closing import close_fiscal_year
from kpa.ledger.models import Entry, FiscalYear, Journal, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.treasury_accounts import ensure_account, treasury_account_for
from kpa.sales.tests.conftest import CAPE_START, Shop
from kpa.treasury import balances, commitments
from kpa.treasury.balances import Figures
from kpa.treasury.models import Envelope, PayRequest

BUCKETS = ("cash", "receivables", "owed", "turnover", "direct_costs", "contribution",
           "remuneration", "other_expenses", "other_income", "transfers")


# -- helpers shared by the treasury statement tests -------------------------------------------


def individual(shop: Shop) -> TreasuryAccount:
    """The coopérant's individual account (the one "Couture Awa" posts to)."""
    return treasury_account_for(shop.activity, actor=shop.manager)


def collective(shop: Shop) -> TreasuryAccount:
    """La Friperie's collective account."""
    return treasury_account_for(shop.friperie, actor=shop.manager)


def platform_accounts(shop: Shop) -> None:
    """The sub-accounts the platform adds to the chart (contribution charge and income)."""
    ensure_account(shop.cast.cae, balances.CONTRIBUTION_CHARGE, "Contribution coopérative",
                   actor=None)
    ensure_account(shop.cast.cae, balances.CONTRIBUTION_INCOME, "Contributions reçues",
                   actor=None)


def post(shop: Shop, *lines: LineInput, day: dt.date = TODAY, journal: str = "OD",
         label: str = "Écriture de test", source: str = "", validate: bool = True,
         today: dt.date = TODAY) -> Entry:
    return ledger_services.post_entry(
        actor=shop.manager, structure=shop.cast.cae,
        journal=Journal.objects.get(structure=shop.cast.cae, code=journal), date=day,
        label=label, lines=list(lines), source=source, validate=validate, today=today)


def d(account: str, amount: str, treasury: TreasuryAccount | None = None) -> LineInput:
    return LineInput(account, debit=Decimal(amount), treasury_account=treasury)


def c(account: str, amount: str, treasury: TreasuryAccount | None = None) -> LineInput:
    return LineInput(account, credit=Decimal(amount), treasury_account=treasury)


def contribution(shop: Shop, account: TreasuryAccount, amount: str,
                 day: dt.date = TODAY) -> Entry:
    """The books contract's monthly contribution: out of the account, into the structure."""
    platform_accounts(shop)
    return post(shop, d("6288", amount, account), c("512", amount, account), d("512", amount),
                c("7588", amount), day=day, label="Contribution coopérative")


def remuneration(shop: Shop, account: TreasuryAccount, *, gross: str, net: str, cost: str,
                 day: dt.date = TODAY) -> Entry:
    """A payroll line booked on the account (then its net paid by the bank)."""
    g, n, k = Decimal(gross), Decimal(net), Decimal(cost)
    post(shop, d("641", gross, account), d("645", str(k - g), account),
         c("421", net, account), c("431", str(k - n), account), day=day,
         label="Rémunération")
    return post(shop, d("421", net, account), c("512", net, account), day=day,
                journal="BQ1", label="Salaire net")


def transfer(shop: Shop, giver: TreasuryAccount, receiver: TreasuryAccount, amount: str,
             day: dt.date = TODAY) -> Entry:
    return post(shop, d("580", amount, receiver), c("580", amount, giver), day=day,
                label="Virement interne")


def figures(shop: Shop, account: TreasuryAccount, today: dt.date = TODAY) -> Figures:
    return balances.figures_of(account.pk, shop.cast.cae, today=today)


def buckets(found: Figures) -> dict[str, Decimal]:
    return {name: getattr(found, name) for name in BUCKETS if getattr(found, name)}


# -- each kind of line lands in its figure ----------------------------------------------------

# (account, side, figure it lands in and sign): the counterpart is 108 (the owner's account),
# which lands in no figure.
LANDINGS = [
    ("512", "debit", {"cash": 1}),
    ("530", "debit", {"cash": 1}),
    ("580", "debit", {"cash": 1, "transfers": 1}),
    ("411", "debit", {"receivables": 1}),
    ("401", "credit", {"owed": 1}),
    ("421", "credit", {"owed": 1}),
    ("425", "credit", {"owed": 1}),
    ("431", "credit", {"owed": 1}),
    ("44571", "credit", {"owed": 1}),
    ("44566", "debit", {"owed": -1}),
    ("706", "credit", {"turnover": 1}),
    ("707", "credit", {"turnover": 1}),
    ("706", "debit", {"turnover": -1}),
    ("758", "credit", {"other_income": 1}),
    ("7588", "credit", {"other_income": 1}),
    ("601", "debit", {"direct_costs": 1}),
    ("604", "debit", {"direct_costs": 1}),
    ("607", "debit", {"direct_costs": 1}),
    ("6068", "debit", {"other_expenses": 1}),
    ("6251", "debit", {"other_expenses": 1}),
    ("628", "debit", {"other_expenses": 1}),
    ("6288", "debit", {"contribution": 1}),
    ("641", "debit", {"remuneration": 1}),
    ("645", "debit", {"remuneration": 1}),
    ("4191", "credit", {}),
    ("2183", "debit", {}),
]


@pytest.mark.parametrize(("number", "side", "expected"), LANDINGS)
def test_each_kind_of_line_lands_in_its_figure_and_in_no_other(
        shop: Shop, number: str, side: str, expected: dict[str, int]) -> None:
    platform_accounts(shop)
    account = individual(shop)
    line, counterpart = LineInput(number, treasury_account=account, **{side: Decimal("100")}), \
        LineInput("108", treasury_account=account,
                  **{("credit" if side == "debit" else "debit"): Decimal("100")})

    post(shop, line, counterpart)

    assert buckets(figures(shop, account)) == {
        name: Decimal("100.00") * sign for name, sign in expected.items()}


def test_gross_margin_result_and_available_are_read_from_the_buckets(shop: Shop) -> None:
    found = Figures(cash=Decimal("1000"), owed=Decimal("150"), committed=Decimal("200"),
                    turnover=Decimal("900"), direct_costs=Decimal("300"),
                    contribution=Decimal("60"), remuneration=Decimal("400"),
                    other_expenses=Decimal("40"), other_income=Decimal("10"))

    assert found.gross_margin == Decimal("600")
    assert found.result == Decimal("110")
    assert found.available == Decimal("650")


def test_a_sale_then_its_payment_moves_receivables_into_cash_and_keeps_the_vat_owed(
        shop: Shop) -> None:
    account = individual(shop)
    post(shop, d("411", "120.00", account), c("706", "100.00", account),
         c("44571", "20.00", account), journal="VT")
    assert buckets(figures(shop, account)) == {
        "receivables": Decimal("120.00"), "owed": Decimal("20.00"),
        "turnover": Decimal("100.00")}

    post(shop, d("512", "120.00", account), c("411", "120.00", account), journal="BQ1")

    after = figures(shop, account)
    assert buckets(after) == {"cash": Decimal("120.00"), "owed": Decimal("20.00"),
                              "turnover": Decimal("100.00")}
    assert after.available == Decimal("100.00")


def test_a_remuneration_costs_its_full_cost_once_booked_and_paying_the_net_changes_nothing(
        shop: Shop) -> None:
    account = individual(shop)
    post(shop, d("512", "3000.00", account), c("108", "3000.00", account))
    remuneration(shop, account, gross="1000.00", net="780.00", cost="1300.00")

    found = figures(shop, account)

    assert found.remuneration == Decimal("1300.00")
    assert found.cash == Decimal("2220.00")
    assert found.owed == Decimal("520.00")  # social charges the structure still pays
    assert found.available == Decimal("1700.00")


def test_lines_without_a_treasury_account_are_the_structures_own(shop: Shop) -> None:
    account = individual(shop)
    contribution(shop, account, "50.00")

    own = balances.structure_figures(shop.cast.cae, today=TODAY, own_lines_only=True)
    everything = balances.structure_figures(shop.cast.cae, today=TODAY)

    assert buckets(figures(shop, account)) == {"cash": Decimal("-50.00"),
                                               "contribution": Decimal("50.00")}
    assert buckets(own) == {"cash": Decimal("50.00"), "other_income": Decimal("50.00")}
    assert buckets(everything) == {"contribution": Decimal("50.00"),
                                   "other_income": Decimal("50.00")}


def test_draft_entries_count_nowhere(shop: Shop) -> None:
    account = individual(shop)

    post(shop, d("512", "75.00", account), c("706", "75.00", account), validate=False)

    assert buckets(figures(shop, account)) == {}
    assert buckets(balances.structure_figures(shop.cast.cae, today=TODAY)) == {}


def test_figures_are_exact_to_the_cent_after_many_small_amounts(shop: Shop) -> None:
    account = individual(shop)
    for _ in range(30):
        post(shop, d("512", "0.10", account), c("706", "0.10", account))
    post(shop, d("512", "0.20", account), c("706", "0.20", account))

    found = figures(shop, account)

    assert found.cash == Decimal("3.20")
    assert found.cash.as_tuple().exponent == -2
    assert str(found.turnover) == "3.20"


def test_an_account_of_another_activity_is_unaffected(shop: Shop) -> None:
    mine, friperie = individual(shop), collective(shop)
    post(shop, d("512", "40.00", friperie), c("707", "40.00", friperie))

    assert buckets(figures(shop, mine)) == {}
    assert buckets(figures(shop, friperie)) == {"cash": Decimal("40.00"),
                                                "turnover": Decimal("40.00")}


# -- years: income of the current year, balances of every open year ---------------------------

FEB_2027 = dt.date(2027, 2, 15)


def second_year(shop: Shop) -> FiscalYear:
    return ledger_services.open_fiscal_year(
        actor=shop.cast.user("comptable"), structure=shop.cast.cae,
        starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2028, 1, 1), today=FEB_2027)


def two_years_of_sales(shop: Shop, account: TreasuryAccount) -> None:
    second_year(shop)
    post(shop, d("512", "500.00", account), c("706", "500.00", account), day=TODAY,
         today=FEB_2027)
    post(shop, d("601", "80.00", account), c("512", "80.00", account), day=TODAY,
         today=FEB_2027)
    post(shop, d("512", "200.00", account), c("706", "200.00", account),
         day=dt.date(2027, 2, 1), today=FEB_2027)
    post(shop, d("411", "30.00", account), c("706", "30.00", account),
         day=dt.date(2027, 2, 2), today=FEB_2027)


def test_income_figures_are_the_current_years_and_balances_sum_the_open_years(
        shop: Shop) -> None:
    account = individual(shop)
    two_years_of_sales(shop, account)

    in_2027 = figures(shop, account, today=FEB_2027)
    in_2026 = figures(shop, account, today=TODAY)

    assert buckets(in_2027) == {"cash": Decimal("620.00"), "receivables": Decimal("30.00"),
                                "turnover": Decimal("230.00")}
    assert buckets(in_2026) == {"cash": Decimal("420.00"), "turnover": Decimal("500.00"),
                                "direct_costs": Decimal("80.00")}


def test_closing_a_year_moves_its_balances_into_the_a_nouveaux_and_changes_no_figure(
        shop: Shop) -> None:
    account, friperie = individual(shop), collective(shop)
    two_years_of_sales(shop, account)
    post(shop, d("512", "45.00", friperie), c("707", "45.00", friperie), day=TODAY,
         today=FEB_2027)
    before = {a.pk: figures(shop, a, today=FEB_2027) for a in (account, friperie)}
    ledger_before = balances.structure_figures(shop.cast.cae, today=FEB_2027)

    year = FiscalYear.objects.get(structure=shop.cast.cae, starts_on=dt.date(2026, 1, 1))
    close_fiscal_year(actor=shop.cast.user("comptable"), year=year, today=FEB_2027)

    assert [y.starts_on.year for y in balances.open_years(shop.cast.cae.pk, FEB_2027)] == [2027]
    for a in (account, friperie):
        assert figures(shop, a, today=FEB_2027) == before[a.pk]
    assert balances.structure_figures(shop.cast.cae, today=FEB_2027) == ledger_before


def test_a_year_not_yet_begun_is_not_read(shop: Shop) -> None:
    account = individual(shop)
    second_year(shop)
    post(shop, d("512", "10.00", account), c("706", "10.00", account), day=TODAY)

    assert buckets(figures(shop, account, today=TODAY)) == {"cash": Decimal("10.00"),
                                                            "turnover": Decimal("10.00")}
    assert [y.starts_on.year for y in balances.open_years(shop.cast.cae.pk, TODAY)] == [2026]


# -- commitments ------------------------------------------------------------------------------


def pay_request(shop: Shop, account: TreasuryAccount, cost: str, status: str,
                month: dt.date = dt.date(2026, 11, 1)) -> PayRequest:
    assert account.person is not None
    return PayRequest.objects.create(
        structure=shop.cast.cae, treasury_account=account, person=account.person, month=month,
        net_amount=Decimal("100"), estimated_gross=Decimal("128.21"),
        estimated_cost=Decimal(cost), status=status)


def envelope(shop: Shop, source: TreasuryAccount, amount: str,
             status: str = Envelope.Status.OPEN) -> Envelope:
    return Envelope.objects.create(structure=shop.cast.cae, title="Stand du marché",
                                   source_account=source, pot_account=source,
                                   amount=Decimal(amount), status=status)


def test_pay_requests_in_progress_and_open_envelopes_are_committed(shop: Shop) -> None:
    account, friperie = individual(shop), collective(shop)
    post(shop, d("512", "1000.00", account), c("706", "1000.00", account))
    pay_request(shop, account, "300.00", PayRequest.Status.REQUESTED)
    pay_request(shop, account, "200.00", PayRequest.Status.TRANSMITTED,
                month=dt.date(2026, 10, 1))
    pay_request(shop, account, "100.00", PayRequest.Status.EXPORTED,
                month=dt.date(2026, 9, 1))
    for status, month in ((PayRequest.Status.BOOKED, 8), (PayRequest.Status.REFUSED, 7),
                          (PayRequest.Status.CANCELLED, 6)):
        pay_request(shop, account, "999.00", status, month=dt.date(2026, month, 1))
    envelope(shop, friperie, "70.00")
    envelope(shop, friperie, "30.00")
    envelope(shop, friperie, "500.00", status=Envelope.Status.CLOSED)

    mine, theirs = figures(shop, account), figures(shop, friperie)

    assert mine.committed == Decimal("600.00")
    assert mine.committed_detail == {commitments.PAY_REQUESTS: Decimal("600.00")}
    assert mine.available == Decimal("400.00")
    assert theirs.committed_detail == {commitments.ENVELOPES: Decimal("100.00")}
    assert theirs.available == Decimal("-100.00")


def test_an_account_with_only_commitments_still_appears_in_the_structures_figures(
        shop: Shop) -> None:
    friperie = collective(shop)
    envelope(shop, friperie, "25.00")

    every = balances.figures_for(shop.cast.cae, None, today=TODAY)

    assert every[friperie.pk].committed == Decimal("25.00")
    assert every[friperie.pk].available == Decimal("-25.00")


def test_commitments_of_another_structure_are_not_read(shop: Shop) -> None:
    account = individual(shop)
    pay_request(shop, account, "300.00", PayRequest.Status.REQUESTED)

    assert commitments.committed_by_account(shop.cast.other_structure, None) == {}
    assert commitments.committed_by_account(shop.cast.cae, [account.pk + 999]) == {}


# -- cost --------------------------------------------------------------------------------------


def many_accounts(shop: Shop, count: int, first: int = 0) -> list[TreasuryAccount]:
    """`count` collective activities, each with a sale and an open envelope."""
    accounts = []
    for n in range(first, first + count):
        activity = directory_services.create_activity(
            actor=shop.manager, kpa=shop.cast.home, name=f"Collectif {n}",
            kind=Activity.Kind.COLLECTIVE, started_on=CAPE_START, today=TODAY,
            members=[shop.cast.cooperant])
        account = treasury_account_for(activity, actor=shop.manager)
        post(shop, d("512", "10.00", account), c("707", "10.00", account))
        envelope(shop, account, "1.00")
        accounts.append(account)
    return accounts


def test_the_figures_of_1_or_20_accounts_cost_the_same_queries(
        shop: Shop, django_assert_num_queries: Any) -> None:
    first = many_accounts(shop, 1)
    pay_request(shop, individual(shop), "5.00", PayRequest.Status.REQUESTED)
    # open years, year of today, the chart's accounts, the aggregate, pay requests, envelopes
    with django_assert_num_queries(5):
        one = balances.figures_for(shop.cast.cae, None, today=TODAY)
    more = first + many_accounts(shop, 19, first=1)
    with django_assert_num_queries(5):
        every = balances.figures_for(shop.cast.cae, None, today=TODAY)
    with django_assert_num_queries(5):
        chosen = balances.figures_for(shop.cast.cae, [a.pk for a in more], today=TODAY)

    assert len(one) == 2
    assert len(every) == 21
    assert all(chosen[a.pk].cash == Decimal("10.00") for a in more)
    assert all(chosen[a.pk].available == Decimal("9.00") for a in more)
