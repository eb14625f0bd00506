"""Three months ahead of a treasury account: the current month (what is left of it) and the
next two.

- Expected in: the unpaid issued invoices by due month (overdue ones and those due this
  month in the first), the accepted quotes not yet fully invoiced (their remaining amount
  incl. VAT, in the month after today's).
- Expected out: the contribution scheme's monthly fee, the contribution estimated at the
  rate of the scheme's first bracket (the real scale lowers it on larger yearly amounts: an
  upper estimate) on the expected turnover — this month's sales not charged yet, next
  month's the quotes' —, the recurring costs (the average monthly "other expenses" of the
  last three full months). A month already charged (`ContributionCharge`) costs nothing
  more. Pay requests in progress are already taken off the available figure (`committed`).
- Each month: in, out and the projected available at its end.

Six queries, whatever the number of invoices and quotes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from kpa.core.money import quantize
from kpa.directory.models import Activity
from kpa.ledger.models import EntryLine, TreasuryAccount
from kpa.sales.models import Invoice, Quote
from kpa.treasury.models import (
    ContributionCharge,
    ContributionOverride,
    ContributionScheme,
)
from kpa.treasury.statements import Statement, add_months, first_of_month, month_span

ZERO = Decimal("0.00")
HORIZON = 3
RECURRING_MONTHS = 3
MONEY = DecimalField(max_digits=16, decimal_places=2)


@dataclass(frozen=True)
class ForecastMonth:
    month: dt.date
    invoices: Decimal  # unpaid invoices due this month (the first month: also overdue ones)
    quotes: Decimal  # accepted quotes still to invoice
    fee: Decimal
    contribution: Decimal
    recurring: Decimal
    available_at_end: Decimal

    @property
    def income(self) -> Decimal:
        return self.invoices + self.quotes

    @property
    def expenses(self) -> Decimal:
        return self.fee + self.contribution + self.recurring


@dataclass(frozen=True)
class Forecast:
    available_now: Decimal
    months: list[ForecastMonth]
    overdue: Decimal  # part of the first month's invoices already past their due date
    later_invoices: Decimal  # unpaid invoices due after the horizon (not counted)
    rate: Decimal | None  # the first bracket's rate of the scheme used (None: no scheme)
    scheme_name: str
    exempt: bool
    recurring: Decimal

    @property
    def rate_text(self) -> str:
        """"11,5" for 11.500."""
        return f"{(self.rate or ZERO).normalize():f}".replace(".", ",")


def _account_entries(account: TreasuryAccount) -> QuerySet[EntryLine, Any]:
    return EntryLine.objects.filter(treasury_account=account).values("entry_id")


def _unpaid_invoices(account: TreasuryAccount) -> list[tuple[dt.date | None, Decimal]]:
    """(due date, balance due) of the issued invoices posted on this account still owed:
    total incl. VAT less deposits deducted, payments and credit notes (less what those
    refunded), as `sales.payments.balance_due` computes it, in one query."""
    credited = (Invoice.objects.filter(credited_invoice=OuterRef("pk"),
                                       status=Invoice.Status.ISSUED)
                .order_by().values("credited_invoice")
                .annotate(total=Sum(F("total_incl_vat") - F("amount_paid"))).values("total"))
    rows = (Invoice.objects.filter(status=Invoice.Status.ISSUED, paid_on__isnull=True,
                                   kind__in=(Invoice.Kind.INVOICE, Invoice.Kind.DEPOSIT),
                                   entry_id__in=_account_entries(account))
            .annotate(credited=Coalesce(Subquery(credited, output_field=MONEY), Value(ZERO),
                                        output_field=MONEY))
            .annotate(due=F("total_incl_vat") - F("prepaid_amount") - F("amount_paid")
                      - F("credited"))
            .values_list("due_on", "issued_on", "due"))
    return [(due_on or issued_on, quantize(due)) for due_on, issued_on, due in rows if due > 0]


def _activities(account: TreasuryAccount) -> Q:
    """The activities whose sales land on this account: those it follows, and for an
    individual account its coopérant's individual activities without an account of their
    own (`ledger.treasury_accounts.treasury_account_for`)."""
    condition = Q(pk__in=TreasuryAccount.objects.filter(pk=account.pk,
                                                        activity__isnull=False)
                  .values("activity_id"))
    if account.kind == TreasuryAccount.Kind.INDIVIDUAL:
        condition |= (Q(kind=Activity.Kind.INDIVIDUAL, structure_id=account.structure_id,
                        memberships__person_id=account.person_id)
                      & ~Q(pk__in=TreasuryAccount.objects.filter(activity__isnull=False)
                           .values("activity_id")))
    return condition


def _quotes_to_invoice(account: TreasuryAccount) -> tuple[Decimal, Decimal]:
    """What accepted quotes still have to invoice, incl. and excl. VAT: the quote's total
    less its issued invoices and deposit invoices (net of the deposits deducted)."""
    invoiced = (Invoice.objects.filter(quote=OuterRef("pk"), status=Invoice.Status.ISSUED)
                .exclude(kind=Invoice.Kind.CREDIT_NOTE)
                .order_by().values("quote")
                .annotate(total=Sum(F("total_incl_vat") - F("prepaid_amount")))
                .values("total"))
    activities = Activity.objects.filter(_activities(account)).values("pk")
    rows = (Quote.objects.filter(status=Quote.Status.ACCEPTED, activity_id__in=activities)
            .annotate(invoiced=Coalesce(Subquery(invoiced, output_field=MONEY), Value(ZERO),
                                        output_field=MONEY))
            .values_list("total_incl_vat", "total_excl_vat", "invoiced"))
    incl, excl = ZERO, ZERO
    for total_incl, total_excl, done in rows:
        remaining = total_incl - done
        if remaining <= 0 or total_incl <= 0:
            continue
        incl += remaining
        excl += remaining * total_excl / total_incl
    return quantize(incl), quantize(excl)


@dataclass(frozen=True)
class _Terms:
    rate: Decimal | None
    fee: Decimal
    name: str
    exempt: bool


def _covers(start: dt.date, end: dt.date | None, month: dt.date) -> bool:
    return start <= month and (end is None or month < end)


def _contribution_terms(account: TreasuryAccount, months: list[dt.date]
                        ) -> dict[dt.date, _Terms]:
    """Per month: the rate (first bracket) and fee of the scheme that applies to the
    account — its override when it has one (or its exemption), else the structure's."""
    if account.kind == TreasuryAccount.Kind.COMMON:
        return {m: _Terms(None, ZERO, "", False) for m in months}
    last = add_months(months[-1], 1)
    overrides = list(ContributionOverride.objects.filter(
        treasury_account=account, starts_on__lt=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=months[0]))
        .order_by("-starts_on"))
    # An override's scheme applies for the override's period, whatever its own dates.
    schemes = list(ContributionScheme.objects.filter(
        Q(structure_id=account.structure_id, starts_on__lt=last)
        & (Q(ends_on__isnull=True) | Q(ends_on__gt=months[0]))
        | Q(pk__in=[o.scheme_id for o in overrides if o.scheme_id]))
        .prefetch_related("brackets").order_by("-starts_on"))
    by_id = {s.pk: s for s in schemes}
    terms: dict[dt.date, _Terms] = {}
    for month in months:
        override = next((o for o in overrides if _covers(o.starts_on, o.ends_on, month)), None)
        if override is not None and override.exempt:
            terms[month] = _Terms(ZERO, ZERO, override.reason, True)
            continue
        scheme = (by_id.get(override.scheme_id) if override is not None and override.scheme_id
                  else next((s for s in schemes if s.structure_id == account.structure_id
                             and _covers(s.starts_on, s.ends_on, month)), None))
        if scheme is None:
            terms[month] = _Terms(None, ZERO, "", False)
            continue
        brackets = sorted(scheme.brackets.all(), key=lambda b: b.lower_bound)
        rate = brackets[0].rate if brackets else ZERO
        fee = scheme.monthly_fee if account.kind == TreasuryAccount.Kind.INDIVIDUAL else ZERO
        terms[month] = _Terms(rate, fee, scheme.name, False)
    return terms


def forecast_of(statement: Statement, *, today: dt.date) -> Forecast:
    """The account's next three months, from its statement (figures and monthly series)."""
    account = statement.account
    this_month = first_of_month(today)
    months = month_span(this_month, HORIZON)
    after = add_months(this_month, HORIZON)

    invoices = dict.fromkeys(months, ZERO)
    overdue, later = ZERO, ZERO
    for due_on, due in _unpaid_invoices(account):
        if due_on is None or due_on < today:
            overdue += due
            invoices[this_month] += due
        elif due_on >= after:
            later += due
        else:
            invoices[first_of_month(due_on)] += due

    quotes_incl, quotes_excl = _quotes_to_invoice(account)
    quote_month = months[1]

    past = [m for m in statement.months if m.month < this_month][-RECURRING_MONTHS:]
    recurring = quantize(sum((m.other_expenses for m in past), ZERO) / RECURRING_MONTHS)
    recurring = max(recurring, ZERO)

    # This month's turnover still to be charged, unless this month's charge is booked.
    charged = ContributionCharge.objects.filter(treasury_account=account,
                                                month=this_month).exists()
    current = next((m for m in statement.months if m.month == this_month), None)
    uncharged = current.turnover if current is not None and not charged else ZERO

    terms = _contribution_terms(account, months)
    available = statement.figures.available
    rows: list[ForecastMonth] = []
    for month in months:
        term = terms[month]
        turnover = (uncharged if month == this_month else ZERO) + (
            quotes_excl if month == quote_month else ZERO)
        contribution = max(quantize(turnover * (term.rate or ZERO) / 100), ZERO)
        fee = ZERO if charged and month == this_month else term.fee
        row = ForecastMonth(month=month, invoices=invoices[month],
                            quotes=quotes_incl if month == quote_month else ZERO,
                            fee=fee, contribution=contribution, recurring=recurring,
                            available_at_end=ZERO)
        available += row.income - row.expenses
        rows.append(replace(row, available_at_end=available))
    first_terms = terms[months[0]]
    return Forecast(available_now=statement.figures.available, months=rows, overdue=overdue,
                    later_invoices=later, rate=first_terms.rate,
                    scheme_name=first_terms.name, exempt=first_terms.exempt,
                    recurring=recurring)
