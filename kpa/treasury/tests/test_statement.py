"""One account's live statement (`statements`): what was cashed this year, what is pending,
the last movements told in plain words, twelve months of ins and outs with the cash at each
month's end, what a coopérant may ask to be paid and until when, and the overview of many
accounts with its flags and its agreement with the general ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY
from kpa.directory.models import Person
from kpa.ledger.models import TreasuryAccount
from kpa.ledger.services import open_treasury_account
from kpa.purchases.models import ExpenseCategory, ExpenseClaim, ExpenseLine
from kpa.sales import documents, payments, till
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import issued_invoice
from kpa.sales.till import TillLineInput
from kpa.treasury import statements
from kpa.treasury.models import PayCutoff, PaySettings
from kpa.treasury.statements import estimated_cost, max_net_for
from kpa.treasury.tests.test_balances import (
    c,
    collective,
    contribution,
    d,
    figures,
    individual,
    post,
    remuneration,
    transfer,
)

FEB_2027 = dt.date(2027, 2, 15)


def statement(account: TreasuryAccount, today: dt.date = TODAY) -> statements.Statement:
    account.refresh_from_db()
    return statements.statement_of(account, today=today)


def pay(shop: Shop, invoice: Any, amount: str, method: str = "transfer") -> None:
    payments.record_payment(actor=shop.manager, invoice=invoice, amount=Decimal(amount),
                            method=method, received_on=TODAY, today=TODAY)


# -- cashed ------------------------------------------------------------------------------------


def test_cashed_counts_customers_payments_by_bank_and_cash_but_not_credit_notes(
        shop: Shop) -> None:
    invoice = issued_invoice(shop)
    pay(shop, invoice, "10.00")
    pay(shop, invoice, "5.00", method="cash")
    credited = issued_invoice(shop)
    note = documents.create_credit_note(actor=shop.manager, invoice=credited, today=TODAY)
    documents.issue_invoice(actor=shop.manager, invoice=note, today=TODAY)

    found = statement(individual(shop))

    assert found.cashed == Decimal("15.00")
    assert found.unpaid_invoices == Decimal("15.00")
    assert found.figures.turnover == Decimal("25.00")


def test_cashed_counts_the_tills_takings_and_a_refund_takes_back(shop: Shop) -> None:
    counter = till.open_till(actor=shop.seller, activity=shop.friperie, name="Comptoir",
                             today=TODAY)
    till.record_sale(actor=shop.seller, till=counter, method="cash", today=TODAY, lines=[
        TillLineInput(description="Robe", quantity=1, unit_price_incl_vat=Decimal("12.00"),
                      vat_rate="20.00")])
    till.record_sale(actor=shop.seller, till=counter, method="card", today=TODAY, lines=[
        TillLineInput(description="Veste", quantity=1, unit_price_incl_vat=Decimal("30.00"),
                      vat_rate="20.00")])
    till.close_day(actor=shop.seller, till=counter, day=TODAY, today=TODAY)
    account = collective(shop)
    post(shop, d("411", "6.00", account), c("512", "6.00", account), journal="BQ1")

    assert statement(account).cashed == Decimal("36.00")


def test_cashed_is_this_fiscal_years_only(shop: Shop) -> None:
    from kpa.treasury.tests.test_balances import second_year

    invoice = issued_invoice(shop)
    pay(shop, invoice, "30.00")
    second_year(shop)

    assert statement(individual(shop), FEB_2027).cashed == Decimal("0.00")
    assert statement(individual(shop), TODAY).cashed == Decimal("30.00")


# -- pending claims ----------------------------------------------------------------------------


def claim(shop: Shop, status: str, *amounts: str, person: Person | None = None,
          collective_one: bool = False) -> ExpenseClaim:
    made = ExpenseClaim.objects.create(
        structure=shop.cast.cae, person=person or shop.cast.cooperant,
        activity=shop.friperie if collective_one else shop.activity,
        month=dt.date(2026, 11, 1), status=status)
    for amount in amounts:
        ExpenseLine.objects.create(claim=made, spent_on=dt.date(2026, 11, 3),
                                   category=ExpenseCategory.SUPPLIES, description="Fil",
                                   amount_incl_vat=Decimal(amount))
    return made


def test_unpaid_claims_are_the_submitted_and_validated_ones_of_the_accounts_activities(
        shop: Shop) -> None:
    claim(shop, ExpenseClaim.Status.SUBMITTED, "20.00")
    claim(shop, ExpenseClaim.Status.VALIDATED, "10.00", "20.00")
    for status in (ExpenseClaim.Status.PAID, ExpenseClaim.Status.DRAFT,
                   ExpenseClaim.Status.REJECTED):
        claim(shop, status, "99.00")
    claim(shop, ExpenseClaim.Status.SUBMITTED, "7.00", collective_one=True)

    mine, friperie = statement(individual(shop)), statement(collective(shop))

    assert (mine.unpaid_claims, mine.unpaid_claim_count) == (Decimal("50.00"), 2)
    assert (friperie.unpaid_claims, friperie.unpaid_claim_count) == (Decimal("7.00"), 1)


def test_a_common_pot_has_no_claims(shop: Shop) -> None:
    from kpa.ledger.treasury_accounts import common_account_for

    pot = common_account_for(shop.cast.home, actor=shop.manager)

    assert (statement(pot).unpaid_claims, statement(pot).unpaid_claim_count) == (
        Decimal("0.00"), 0)


# -- movements ---------------------------------------------------------------------------------


def test_the_last_movements_say_in_plain_words_what_happened_newest_first(shop: Shop) -> None:
    account = individual(shop)
    invoice = issued_invoice(shop)
    pay(shop, invoice, "30.00")
    contribution(shop, account, "2.88")
    remuneration(shop, account, gross="10.00", net="7.80", cost="13.00")
    transfer(shop, collective(shop), account, "4.00")
    post(shop, d("6068", "12.00", account), d("44566", "2.40", account),
         c("425", "14.40", account), label="Note de frais")
    post(shop, d("425", "14.40", account), c("512", "14.40", account), journal="BQ1",
         label="Remboursement")

    found = [(m.words, m.amount) for m in statement(account).movements]

    assert found == [
        ("Note de frais remboursée", Decimal("-14.40")),
        ("Note de frais validée (hors TVA récupérable)", Decimal("-12.00")),
        ("Virement interne reçu", Decimal("4.00")),
        ("Salaire net versé", Decimal("-7.80")),
        ("Rémunération : salaire et cotisations", Decimal("-13.00")),
        ("Contribution coopérative", Decimal("-2.88")),
        ("Paiement reçu d'un client", Decimal("30.00")),
        ("Vente facturée (hors TVA)", Decimal("25.00")),
    ]
    assert [m.settles for m in statement(account).movements] == [
        True, False, False, True, False, False, True, False]
    assert statement(collective(shop)).movements[0].words == "Virement interne versé"


def test_movements_show_the_twenty_latest_entries_by_date(shop: Shop) -> None:
    account = individual(shop)
    for day in range(1, 26):
        post(shop, d("512", f"{day}.00", account), c("706", f"{day}.00", account),
             day=dt.date(2026, 10, day), label=f"Vente du {day}")

    found = statement(account).movements

    assert len(found) == 20
    assert [m.date.day for m in found] == list(range(25, 5, -1))
    assert found[0].label == "Vente du 25"
    assert found[0].reference.startswith("OD")


def test_an_entry_of_other_accounts_is_not_a_movement_of_this_one(shop: Shop) -> None:
    post(shop, d("512", "9.00"), c("706", "9.00"))
    post(shop, d("512", "9.00", collective(shop)), c("707", "9.00", collective(shop)))

    assert statement(individual(shop)).movements == []


# -- months ------------------------------------------------------------------------------------


def test_twelve_months_of_ins_and_outs_end_with_the_current_month_and_its_cash(
        shop: Shop) -> None:
    account = individual(shop)
    post(shop, d("512", "100.00", account), c("706", "100.00", account),
         day=dt.date(2026, 1, 15))
    post(shop, d("606", "40.00", account), c("512", "40.00", account), day=dt.date(2026, 3, 10))
    post(shop, d("411", "60.00", account), c("706", "50.00", account),
         c("44571", "10.00", account), day=dt.date(2026, 11, 5))
    post(shop, d("512", "60.00", account), c("411", "60.00", account),
         day=dt.date(2026, 11, 20), journal="BQ1")
    contribution(shop, account, "5.00", day=dt.date(2026, 11, 27))

    months = statement(account).months

    assert [m.month for m in months] == [dt.date(2025, 12, 1)] + [
        dt.date(2026, n, 1) for n in range(1, 12)]
    by_month = {m.month.month: m for m in months}
    assert (by_month[1].income, by_month[1].expenses) == (Decimal("100.00"), Decimal("0.00"))
    assert by_month[3].expenses == Decimal("40.00")
    assert (by_month[11].income, by_month[11].expenses) == (Decimal("50.00"), Decimal("5.00"))
    assert [m.cash_at_end for m in months] == [Decimal("0.00")] + [Decimal("100.00")] * 2 + [
        Decimal("60.00")] * 7 + [Decimal("60.00"), Decimal("115.00")]
    assert months[-1].cash_at_end == figures(shop, account).cash


def test_after_closing_the_months_still_show_the_cash_through_the_a_nouveaux(
        shop: Shop) -> None:
    from kpa.ledger.closing import close_fiscal_year
    from kpa.ledger.models import FiscalYear
    from kpa.treasury.tests.test_balances import second_year

    account = individual(shop)
    second_year(shop)
    post(shop, d("512", "300.00", account), c("706", "300.00", account),
         day=dt.date(2026, 10, 1), today=FEB_2027)
    post(shop, d("512", "20.00", account), c("706", "20.00", account),
         day=dt.date(2027, 2, 1), today=FEB_2027)
    before = statement(account, FEB_2027).months
    close_fiscal_year(actor=shop.cast.user("comptable"), today=FEB_2027,
                      year=FiscalYear.objects.get(structure=shop.cast.cae,
                                                  starts_on=dt.date(2026, 1, 1)))

    after = statement(account, FEB_2027).months

    assert after == before
    cash = {m.month: m.cash_at_end for m in after}
    assert cash[dt.date(2026, 9, 1)] == Decimal("0.00")
    assert cash[dt.date(2026, 10, 1)] == Decimal("300.00")
    assert cash[dt.date(2027, 1, 1)] == Decimal("300.00")
    assert cash[dt.date(2027, 2, 1)] == Decimal("320.00")


def test_a_statement_costs_the_same_queries_for_one_or_many_lines(
        shop: Shop, django_assert_num_queries: Any) -> None:
    account = individual(shop)
    post(shop, d("512", "1.00", account), c("706", "1.00", account))
    claim(shop, ExpenseClaim.Status.SUBMITTED, "3.00")
    account.refresh_from_db()
    account.structure  # noqa: B018 — loaded once, as the pages' selector does
    # figures (5), year of today, months, claims, movements
    with django_assert_num_queries(9):
        statements.statement_of(account, today=TODAY)
    for month in range(1, 12):
        for _ in range(3):
            post(shop, d("512", "1.00", account), c("706", "1.00", account),
                 day=dt.date(2026, month, 2))
        claim(shop, ExpenseClaim.Status.VALIDATED, "3.00", "4.00")
    with django_assert_num_queries(9):
        found = statements.statement_of(account, today=TODAY)
    assert found.figures.cash == Decimal("34.00")
    assert found.unpaid_claim_count == 12


# -- pay ---------------------------------------------------------------------------------------


def test_the_payable_net_is_what_the_available_pays_with_its_full_cost() -> None:
    assert max_net_for(Decimal("1300.00"), None) == Decimal("780.00")
    assert estimated_cost(Decimal("780.00"), Decimal("22"), Decimal("30")) == Decimal("1300.00")
    assert max_net_for(Decimal("0.00"), None) == Decimal("0.00")
    assert max_net_for(Decimal("-50.00"), None) == Decimal("0.00")
    free = PaySettings(employee_rate=Decimal("0"), employer_rate=Decimal("0"))
    assert max_net_for(Decimal("123.45"), free) == Decimal("123.45")


@settings(max_examples=200, deadline=None)
@given(available=st.integers(min_value=1, max_value=10**9).map(lambda n: Decimal(n) / 100),
       employee=st.integers(min_value=0, max_value=60000).map(lambda n: Decimal(n) / 1000),
       employer=st.integers(min_value=0, max_value=80000).map(lambda n: Decimal(n) / 1000))
def test_the_payable_net_is_the_largest_whose_estimated_cost_fits(
        available: Decimal, employee: Decimal, employer: Decimal) -> None:
    rates = PaySettings(employee_rate=employee, employer_rate=employer)

    net = max_net_for(available, rates)

    assert net >= 0
    assert net == net.quantize(Decimal("0.01"))
    assert net == 0 or estimated_cost(net, employee, employer) <= available
    assert estimated_cost(net + Decimal("0.01"), employee, employer) > available


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(available=st.integers(min_value=-10**6, max_value=10**9).map(lambda n: Decimal(n) / 100))
def test_the_page_promises_what_a_pay_request_accepts(available: Decimal) -> None:
    from kpa.treasury import pay as pay_requests

    rates = PaySettings(employee_rate=Decimal("21.500"), employer_rate=Decimal("41.250"))

    assert max_net_for(available, rates) == pay_requests.max_net(available, rates)


def test_the_cutoff_is_this_months_until_it_passes_then_the_next_months(shop: Shop) -> None:
    structure = shop.cast.cae
    # Nothing set: the 25th, passed on the 28th: December's.
    window = statements.pay_window(structure, today=TODAY)
    assert (window.month, window.cutoff_on, window.settings) == (
        dt.date(2026, 12, 1), dt.date(2026, 12, 25), None)
    assert statements.pay_window(structure, today=dt.date(2026, 11, 25)).cutoff_on == \
        dt.date(2026, 11, 25)

    PaySettings.objects.create(structure=structure, cutoff_day=28)
    window = statements.pay_window(structure, today=TODAY)
    assert (window.month, window.cutoff_on) == (dt.date(2026, 11, 1), dt.date(2026, 11, 28))

    PayCutoff.objects.create(structure=structure, month=dt.date(2026, 11, 1),
                             cutoff_on=dt.date(2026, 11, 20))
    PayCutoff.objects.create(structure=structure, month=dt.date(2026, 12, 1),
                             cutoff_on=dt.date(2026, 12, 18))
    window = statements.pay_window(structure, today=TODAY)
    assert (window.month, window.cutoff_on) == (dt.date(2026, 12, 1), dt.date(2026, 12, 18))
    assert statements.pay_window(structure, today=dt.date(2026, 11, 20)).cutoff_on == \
        dt.date(2026, 11, 20)


# -- overview ----------------------------------------------------------------------------------


def overview(shop: Shop, sort: str = "code") -> statements.Overview:
    accounts = list(TreasuryAccount.objects.filter(structure=shop.cast.cae)
                    .select_related("person", "activity", "kpa"))
    return statements.overview_of(shop.cast.cae, accounts, today=TODAY, everything=True,
                                  sort=sort)


def test_the_overview_flags_negative_accounts_and_coopérants_selling_without_pay(
        shop: Shop) -> None:
    mine, friperie = individual(shop), collective(shop)
    post(shop, d("512", "900.00", mine), c("706", "900.00", mine), day=dt.date(2026, 7, 1))
    remuneration(shop, mine, gross="100.00", net="78.00", cost="130.00",
                 day=dt.date(2026, 8, 31))
    post(shop, d("606", "40.00", friperie), c("512", "40.00", friperie))
    contribution(shop, mine, "10.00")

    rows = {row.account.pk: row for row in overview(shop).rows}

    assert rows[mine.pk].last_pay == dt.date(2026, 8, 31)
    assert rows[mine.pk].unpaid_for_months  # August, then nothing in September to November
    assert not rows[mine.pk].negative
    assert rows[friperie.pk].negative
    assert not rows[friperie.pk].unpaid_for_months  # a collective is not paid
    assert rows[mine.pk].who == shop.cast.cooperant.full_name
    assert rows[friperie.pk].who == "La Friperie"

    remuneration(shop, mine, gross="100.00", net="78.00", cost="130.00",
                 day=dt.date(2026, 9, 1))
    assert not {r.account.pk: r for r in overview(shop).rows}[mine.pk].unpaid_for_months


def test_a_coopérant_never_paid_is_flagged_only_once_selling(shop: Shop) -> None:
    mine = individual(shop)
    assert not overview(shop).rows[0].unpaid_for_months

    post(shop, d("411", "10.00", mine), c("706", "10.00", mine))

    assert overview(shop).rows[0].unpaid_for_months
    assert overview(shop).flagged == 1


def test_the_overview_sorts_by_available_and_its_totals_equal_the_general_ledger(
        shop: Shop) -> None:
    mine, friperie = individual(shop), collective(shop)
    pot = open_treasury_account(actor=shop.manager, structure=shop.cast.cae, code="KPA-X",
                                label="Caisse", kind=TreasuryAccount.Kind.COMMON,
                                kpa=shop.cast.home)
    post(shop, d("512", "300.00", mine), c("706", "300.00", mine))
    post(shop, d("512", "50.00", friperie), c("707", "50.00", friperie))
    post(shop, d("606", "20.00", pot), c("512", "20.00", pot))
    contribution(shop, mine, "30.00")
    post(shop, d("6226", "80.00"), c("401", "80.00"))  # the structure's own fees

    ascending = overview(shop, "disponible")
    descending = overview(shop, "-disponible")

    assert [r.account.pk for r in ascending.rows] == [pot.pk, friperie.pk, mine.pk]
    assert [r.account.pk for r in descending.rows] == [mine.pk, friperie.pk, pot.pk]
    assert [r.account.code for r in overview(shop, "n'importe quoi").rows] == sorted(
        [mine.code, friperie.code, pot.code])
    assert ascending.own is not None
    assert ascending.own.cash == Decimal("30.00")
    assert ascending.own.owed == Decimal("80.00")
    assert ascending.total.cash == Decimal("330.00")
    assert ascending.ledger is not None
    assert ascending.ledger.cash == Decimal("330.00")
    assert ascending.agrees


def test_an_overview_that_would_disagree_with_the_ledger_says_so(shop: Shop) -> None:
    post(shop, d("512", "10.00", individual(shop)), c("706", "10.00", individual(shop)))
    found = overview(shop)
    assert found.ledger is not None

    found.ledger.cash += Decimal("0.01")

    assert not found.agrees


def test_a_kpas_overview_has_no_own_part_nor_ledger(shop: Shop) -> None:
    mine = individual(shop)
    post(shop, d("512", "10.00", mine), c("706", "10.00", mine))

    found = statements.overview_of(shop.cast.cae, [mine], today=TODAY, everything=False)

    assert (found.own, found.ledger, found.agrees) == (None, None, False)
    assert found.total.cash == Decimal("10.00")


@pytest.mark.parametrize(("earlier", "later", "months"), [
    (dt.date(2026, 8, 31), dt.date(2026, 11, 1), 3),
    (dt.date(2025, 12, 1), dt.date(2026, 1, 1), 1),
    (dt.date(2026, 11, 30), dt.date(2026, 11, 1), 0),
])
def test_months_between_counts_calendar_months(earlier: dt.date, later: dt.date,
                                               months: int) -> None:
    assert statements.months_between(earlier, later) == months
