"""Three months ahead of a treasury account (`forecast`): unpaid invoices by due month (late
ones in the first), accepted quotes still to invoice in the month after today's, the
contribution scheme's fee and its first-bracket rate on the expected turnover, the recurring
costs of the last three full months, and the projected available at each month's end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from conftest import TODAY
from kpa.ledger.models import TreasuryAccount
from kpa.sales import documents, payments
from kpa.sales.documents import LineInput
from kpa.sales.mentions import settings_of
from kpa.sales.models import Invoice
from kpa.sales.tests.conftest import Shop
from kpa.sales.tests.helpers import accepted_quote, draft_invoice
from kpa.treasury import statements
from kpa.treasury.forecast import Forecast, forecast_of
from kpa.treasury.models import (
    ContributionBracket,
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
    PayRequest,
)
from kpa.treasury.tests.test_balances import c, collective, d, individual, pay_request, post

NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)
ZERO = Decimal("0.00")


def forecast(account: TreasuryAccount, today: dt.date = TODAY) -> Forecast:
    account.refresh_from_db()
    return forecast_of(statements.statement_of(account, today=today), today=today)


def issue(shop: Shop, invoice: Invoice, day: dt.date = TODAY) -> Invoice:
    if invoice.status == Invoice.Status.DRAFT and not invoice.is_credit_note:
        documents.submit_invoice(actor=shop.seller, invoice=invoice, today=day)
    return documents.issue_invoice(actor=shop.manager, invoice=invoice, today=day)


def sell(shop: Shop, day: dt.date = TODAY, *, terms: int = 30) -> Invoice:
    """An invoice of 30,00 € incl. VAT issued on `day`, due `terms` days later."""
    sales_settings = settings_of(shop.cast.cae)
    sales_settings.payment_terms_days = terms
    sales_settings.save()
    return issue(shop, documents.create_invoice(
        actor=shop.seller, activity=shop.activity, customer=shop.company, today=day,
        lines=[LineInput(description="Ourlet", quantity=2, unit_price=Decimal("12.50"),
                         vat_rate="20.00", is_service=True)]), day)


def test_unpaid_invoices_land_in_their_due_month_and_late_ones_in_the_first(
        shop: Shop) -> None:
    late = sell(shop, dt.date(2026, 10, 1))  # due 31 October
    payments.record_payment(actor=shop.manager, invoice=late, amount=Decimal("10.00"),
                            method="transfer", received_on=TODAY, today=TODAY)
    sell(shop)  # due 28 December
    settled = sell(shop)
    payments.record_payment(actor=shop.manager, invoice=settled, amount=Decimal("30.00"),
                            method="transfer", received_on=TODAY, today=TODAY)
    credited = sell(shop)
    issue(shop, documents.create_credit_note(
        actor=shop.manager, invoice=credited, today=TODAY, lines=[LineInput(
            description="Geste", quantity=1, unit_price=Decimal("12.50"), vat_rate="20.00",
            is_service=True)]))
    sell(shop, terms=45)  # due 12 January
    sell(shop, terms=90)  # due 26 February: beyond the three months

    found = forecast(individual(shop))

    assert [m.month for m in found.months] == [NOV, DEC, JAN]
    assert [m.invoices for m in found.months] == [
        Decimal("20.00"), Decimal("45.00"), Decimal("30.00")]
    assert found.overdue == Decimal("20.00")
    assert found.later_invoices == Decimal("30.00")
    assert all(m.quotes == ZERO for m in found.months)


def test_accepted_quotes_count_what_is_left_to_invoice_in_the_month_after_today(
        shop: Shop) -> None:
    quote = accepted_quote(shop)  # 10 hems: 125,00 HT, 150,00 TTC
    account = individual(shop)
    assert [m.quotes for m in forecast(account).months] == [ZERO, Decimal("150.00"), ZERO]

    deposit = issue(shop, documents.deposit_from_quote(actor=shop.seller, quote=quote,
                                                       percent=30, today=TODAY))
    found = forecast(account)
    assert deposit.total_incl_vat == Decimal("45.00")
    assert [m.quotes for m in found.months] == [ZERO, Decimal("105.00"), ZERO]
    assert found.months[1].invoices == Decimal("45.00")  # the deposit, due in December

    issue(shop, documents.invoice_from_quote(actor=shop.seller, quote=quote, today=TODAY))
    found = forecast(account)
    assert all(m.quotes == ZERO for m in found.months)
    assert found.months[1].invoices == Decimal("150.00")  # deposit 45 + the rest 105


def test_a_collective_forecast_reads_its_own_activitys_quotes(shop: Shop) -> None:
    accepted_quote(shop)

    assert all(m.quotes == ZERO for m in forecast(collective(shop)).months)


def scheme(shop: Shop, fee: str = "15.00", starts_on: dt.date = dt.date(2026, 1, 1),
           name: str = "Optéos") -> ContributionScheme:
    made = ContributionScheme.objects.create(structure=shop.cast.cae, name=name,
                                             starts_on=starts_on, monthly_fee=Decimal(fee))
    ContributionBracket.objects.create(scheme=made, lower_bound=Decimal("30000"),
                                       rate=Decimal("10.5"))
    ContributionBracket.objects.create(scheme=made, lower_bound=Decimal("0"),
                                       rate=Decimal("11.5"))
    return made


def test_the_contribution_is_estimated_at_the_first_brackets_rate_with_the_monthly_fee(
        shop: Shop) -> None:
    scheme(shop)
    draft_invoice(shop)  # a draft counts for nothing
    sell(shop)  # 25,00 HT this month, not charged yet
    accepted_quote(shop)  # 125,00 HT expected next month

    found = forecast(individual(shop))

    assert found.rate == Decimal("11.500")
    assert found.rate_text == "11,5"
    assert found.scheme_name == "Optéos"
    assert [m.contribution for m in found.months] == [
        Decimal("2.88"), Decimal("14.38"), ZERO]
    assert [m.fee for m in found.months] == [Decimal("15.00")] * 3
    assert [m.fee for m in forecast(collective(shop)).months] == [ZERO] * 3


def test_a_month_already_charged_is_not_estimated_again(shop: Shop) -> None:
    scheme(shop)
    sell(shop)
    account = individual(shop)
    ContributionCharge.objects.create(structure=shop.cast.cae, treasury_account=account,
                                      month=NOV, amount=Decimal("2.88"))

    november, december, _january = forecast(account).months
    assert (november.contribution, november.fee) == (ZERO, ZERO)
    assert december.fee == Decimal("15.00")


def test_an_exemption_or_another_scheme_of_the_account_wins_over_the_structures(
        shop: Shop) -> None:
    scheme(shop)
    sell(shop)
    account = individual(shop)
    exemption = ContributionOverride.objects.create(
        treasury_account=account, exempt=True, reason="Allocataire du RSA",
        starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2026, 12, 1))

    found = forecast(account)
    assert found.exempt
    assert (found.months[0].fee, found.months[0].contribution) == (ZERO, ZERO)
    assert found.months[1].fee == Decimal("15.00")

    exemption.delete()
    special = scheme(shop, fee="0.00", starts_on=dt.date(2030, 1, 1), name="Démarrage")
    special.brackets.filter(lower_bound=0).update(rate=Decimal("4"))
    ContributionOverride.objects.create(treasury_account=account, scheme=special,
                                        reason="Première année", starts_on=dt.date(2026, 1, 1))
    found = forecast(account)
    assert (found.scheme_name, found.rate) == ("Démarrage", Decimal("4.000"))
    assert found.months[0].contribution == Decimal("1.00")


def test_without_a_scheme_nothing_is_estimated(shop: Shop) -> None:
    sell(shop)

    found = forecast(individual(shop))

    assert found.rate is None
    assert all(m.fee == ZERO and m.contribution == ZERO for m in found.months)


def test_recurring_costs_are_the_average_other_expenses_of_the_last_three_full_months(
        shop: Shop) -> None:
    account = individual(shop)
    for month, amount in ((7, "500.00"), (8, "30.00"), (9, "60.00"), (10, "90.00"),
                          (11, "1000.00")):
        post(shop, d("606", amount, account), c("512", amount, account),
             day=dt.date(2026, month, 10))
    post(shop, d("601", "70.00", account), c("512", "70.00", account),
         day=dt.date(2026, 9, 3))  # a direct cost: not recurring

    found = forecast(account)

    assert found.recurring == Decimal("60.00")
    assert [m.recurring for m in found.months] == [Decimal("60.00")] * 3


def test_the_projected_available_starts_from_todays_and_adds_each_months_ins_and_outs(
        shop: Shop) -> None:
    account = individual(shop)
    post(shop, d("512", "1000.00", account), c("706", "1000.00", account))
    pay_request(shop, account, "400.00", PayRequest.Status.REQUESTED)
    post(shop, d("606", "30.00", account), c("512", "30.00", account),
         day=dt.date(2026, 10, 5))
    sell(shop)
    scheme(shop, fee="10.00")

    found = forecast(account)

    # 1000 + 0 - 30 cash, minus 5 VAT owed on the unpaid invoice, minus 400 committed
    assert found.available_now == Decimal("565.00")
    november, december, january = found.months
    # November: fee 10, contribution on 1025 HT booked this month 117,88, recurring 10
    assert (november.income, november.expenses) == (ZERO, Decimal("137.88"))
    assert november.available_at_end == Decimal("427.12")
    assert (december.income, december.expenses) == (Decimal("30.00"), Decimal("20.00"))
    assert december.available_at_end == Decimal("437.12")
    assert january.available_at_end == Decimal("417.12")


def test_a_forecast_costs_the_same_queries_for_one_or_many_documents(
        shop: Shop, django_assert_num_queries: Any) -> None:
    scheme(shop)
    sell(shop)
    accepted_quote(shop)
    account = individual(shop)
    account.refresh_from_db()
    statement = statements.statement_of(account, today=TODAY)
    # invoices, quotes, this month's charge, overrides, schemes, their brackets
    with django_assert_num_queries(6):
        forecast_of(statement, today=TODAY)
    for _ in range(5):
        sell(shop)
        accepted_quote(shop)
    statement = statements.statement_of(account, today=TODAY)
    with django_assert_num_queries(6):
        found = forecast_of(statement, today=TODAY)
    assert found.months[1].quotes == Decimal("900.00")
