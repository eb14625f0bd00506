"""The live statement of one treasury account, read from the books: its figures
(`balances`), what was cashed this year, what is pending, its last movements told in plain
words and twelve months of ins and outs; what its coopérant may ask to be paid and until
when; and the overview of many accounts (a structure's or a KPA's) beside the general ledger.

The number of queries is fixed, whatever the number of lines or accounts: for a statement,
the figures, one aggregate grouped by month (the series and what was cashed), one query for
the last movements, one for the unpaid expense claims; for an overview, the figures of all
its accounts, their last remuneration dates, and the structure's own part and its ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, DecimalField, F, Max, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from kpa.core.money import quantize
from kpa.directory.models import Activity, Structure
from kpa.ledger.models import (
    Account,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    TreasuryAccount,
)
from kpa.purchases.models import ExpenseClaim, ExpenseLine
from kpa.treasury import balances, pay
from kpa.treasury.balances import Figures
from kpa.treasury.models import PaySettings

ZERO = Decimal("0.00")
MONTHS = 12
MOVEMENTS = 20
UNPAID_CLAIMS = (ExpenseClaim.Status.SUBMITTED, ExpenseClaim.Status.VALIDATED)
TILL_SOURCE = "sales.till"
ADVANCES_RECEIVED = "4191"


# -- months -----------------------------------------------------------------------------------


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def month_span(first: dt.date, count: int) -> list[dt.date]:
    return [add_months(first, n) for n in range(count)]


# -- the statement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """One entry's effect on the account, in plain words: `amount` is signed (+ money in or
    value earned, - money out or cost)."""

    date: dt.date
    reference: str
    label: str
    words: str
    amount: Decimal
    settles: bool = False  # money paying what an earlier movement already counted


@dataclass(frozen=True)
class MonthFigures:
    """One month: what came in (turnover and other income), what went out (costs,
    contribution, remuneration), the cash at the month's end."""

    month: dt.date
    income: Decimal
    expenses: Decimal
    cash_at_end: Decimal
    turnover: Decimal = ZERO
    other_expenses: Decimal = ZERO


@dataclass(frozen=True)
class Statement:
    account: TreasuryAccount
    figures: Figures
    year: FiscalYear | None
    cashed: Decimal  # this fiscal year: customers' payments and the till's takings
    unpaid_claims: Decimal  # expense claims submitted or validated, not yet reimbursed
    unpaid_claim_count: int
    movements: list[Movement]
    months: list[MonthFigures]

    @property
    def unpaid_invoices(self) -> Decimal:
        """What customers still owe (the account's receivables)."""
        return self.figures.receivables


def _sum(condition: Q, amount: F | object) -> Sum:
    return Sum(Case(When(condition, then=amount), default=Value(ZERO),
                    output_field=DecimalField(max_digits=16, decimal_places=2)))


def _starts(*prefixes: str) -> Q:
    condition = Q()
    for prefix in prefixes:
        condition |= Q(account__number__startswith=prefix)
    return condition


def _monthly(account: TreasuryAccount, *, today: dt.date, current_year_id: int | None,
             cash_now: Decimal) -> tuple[list[MonthFigures], Decimal]:
    """The last twelve months and what was cashed this fiscal year, in one query grouped by
    month. The cash at a month's end is the cash now less the moves after that month (the
    à-nouveaux restate a balance, they move nothing)."""
    first = add_months(first_of_month(today), -(MONTHS - 1))
    in_window = Q(entry__date__gte=first)
    direct = _starts(*balances.DIRECT_COST_PREFIXES)
    other_expenses = (_starts("6") & ~direct & ~_starts(balances.CONTRIBUTION_CHARGE)
                      & ~_starts(balances.REMUNERATION))
    bank_or_cash = Q(entry__journal__kind__in=(Journal.Kind.BANK, Journal.Kind.CASH))
    rows = (
        EntryLine.objects.filter(treasury_account=account, validated=True,
                                 entry__date__lte=today)
        .filter(in_window | Q(fiscal_year_id=current_year_id))
        .annotate(month=TruncMonth("entry__date")).values("month").order_by()
        .annotate(
            income=_sum(in_window & _starts("7"), F("credit") - F("debit")),
            turnover=_sum(in_window & _starts(balances.TURNOVER), F("credit") - F("debit")),
            expenses=_sum(in_window & _starts("6"), F("debit") - F("credit")),
            other_expenses=_sum(in_window & other_expenses, F("debit") - F("credit")),
            moves=_sum(in_window & _starts("5")
                       & ~Q(entry__journal__kind=Journal.Kind.OPENING),
                       F("debit") - F("credit")),
            cashed=_sum(Q(fiscal_year_id=current_year_id)
                        & ((_starts(balances.CUSTOMERS) & bank_or_cash)
                           | (_starts("5") & Q(entry__source=TILL_SOURCE))),
                        Case(When(_starts(balances.CUSTOMERS),
                                  then=F("credit") - F("debit")),
                             default=F("debit") - F("credit"))),
        )
    )
    by_month: dict[dt.date, Mapping[str, Any]] = {_as_date(row["month"]): row for row in rows}
    cashed = quantize(sum((row["cashed"] or ZERO for row in by_month.values()), ZERO))
    months: list[MonthFigures] = []
    cash = cash_now
    for month in reversed(month_span(first, MONTHS)):
        row = by_month.get(month, {})
        months.append(MonthFigures(
            month=month, income=quantize(row.get("income") or ZERO),
            expenses=quantize(row.get("expenses") or ZERO), cash_at_end=cash,
            turnover=quantize(row.get("turnover") or ZERO),
            other_expenses=quantize(row.get("other_expenses") or ZERO)))
        cash -= quantize(row.get("moves") or ZERO)
    months.reverse()
    return months, cashed


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _net(lines: Sequence[EntryLine], *prefixes: str) -> Decimal:
    """Debit minus credit of the lines on accounts starting with one of the prefixes."""
    return sum((ln.debit - ln.credit for ln in lines
                if ln.account.number.startswith(prefixes)), ZERO)


def _touches(lines: Sequence[EntryLine], *prefixes: str) -> bool:
    return any(ln.account.number.startswith(prefixes) for ln in lines)


def describe(entry: Entry, lines: Sequence[EntryLine]) -> tuple[str, Decimal, bool]:
    """What an entry did to the account (its lines on it), in plain words, how much (money
    in or out when cash moved, else the value earned or spent), and whether it only pays
    what an earlier entry already counted (a customer's payment, the net salary...)."""
    cash = _net(lines, "5")
    costs = _net(lines, "6")
    if entry.journal.kind == Journal.Kind.OPENING:
        return _("Solde reporté de l'exercice précédent"), cash, False
    if _touches(lines, balances.INTERNAL_TRANSFERS):
        moved = _net(lines, balances.INTERNAL_TRANSFERS)
        return (_("Virement interne reçu") if moved >= 0 else _("Virement interne versé"),
                moved, False)
    if _touches(lines, balances.CONTRIBUTION_CHARGE):
        return _("Contribution coopérative"), -_net(lines, balances.CONTRIBUTION_CHARGE), False
    if _touches(lines, balances.REMUNERATION):
        return (_("Rémunération : salaire et cotisations"),
                -_net(lines, balances.REMUNERATION), False)
    if entry.source == TILL_SOURCE:
        return _("Ventes en caisse"), cash, False
    if _touches(lines, balances.TURNOVER):
        sold = -_net(lines, balances.TURNOVER)
        return (_("Vente facturée (hors TVA)") if sold >= 0
                else _("Avoir : vente annulée (hors TVA)"), sold, False)
    if _touches(lines, ADVANCES_RECEIVED):
        return _("Facture d'acompte (hors TVA)"), -_net(lines, ADVANCES_RECEIVED), False
    if _touches(lines, "421") and cash:
        return _("Salaire net versé"), cash, True
    if _touches(lines, "425"):
        if cash:
            return _("Note de frais remboursée"), cash, True
        return _("Note de frais validée (hors TVA récupérable)"), -costs, False
    if _touches(lines, "401"):
        if cash:
            return _("Facture fournisseur payée"), cash, True
        return _("Facture fournisseur (hors TVA récupérable)"), -costs, False
    if _touches(lines, balances.CUSTOMERS) and cash:
        return (_("Paiement reçu d'un client") if cash > 0
                else _("Remboursement à un client"), cash, True)
    if costs:
        return _("Dépense"), -costs, False
    if cash:
        return _("Argent reçu") if cash > 0 else _("Argent versé"), cash, False
    # Anything else (a VAT correction...): its effect on what is owed to and by the account.
    return _("Autre opération"), (_net(lines, balances.CUSTOMERS)
                                  + _net(lines, *balances.OWED_PREFIXES)), False


def last_movements(account: TreasuryAccount, *, limit: int = MOVEMENTS) -> list[Movement]:
    """The account's last `limit` entries, newest first, in one query."""
    touching = EntryLine.objects.filter(treasury_account=account).values("entry_id")
    latest = (Entry.objects.filter(status=Entry.Status.VALIDATED, pk__in=touching)
              .order_by("-date", "-pk").values("pk")[:limit])
    lines = (EntryLine.objects.filter(treasury_account=account, entry_id__in=latest)
             .select_related("entry__journal", "account")
             .order_by("-entry__date", "-entry_id", "position"))
    grouped: dict[int, list[EntryLine]] = {}
    for line in lines:
        grouped.setdefault(line.entry_id, []).append(line)
    movements = []
    for entry_lines in grouped.values():
        entry = entry_lines[0].entry
        words, amount, settles = describe(entry, entry_lines)
        movements.append(Movement(date=entry.date, reference=entry.reference,
                                  label=entry.label, words=words, amount=quantize(amount),
                                  settles=settles))
    return movements


def _claims(account: TreasuryAccount) -> tuple[Decimal, int]:
    """The expense claims posted (or to be posted) on this account and not yet reimbursed."""
    claims = ExpenseClaim.objects.filter(structure_id=account.structure_id,
                                         status__in=UNPAID_CLAIMS)
    if account.person_id is not None:
        claims = claims.filter(person_id=account.person_id,
                               activity__kind=Activity.Kind.INDIVIDUAL)
    elif account.activity_id is not None:
        claims = claims.filter(activity_id=account.activity_id)
    else:
        return ZERO, 0
    totals = ExpenseLine.objects.filter(claim__in=claims).aggregate(
        total=Sum("amount_incl_vat"), count=Count("claim_id", distinct=True))
    return quantize(totals["total"] or ZERO), totals["count"] or 0


def statement_of(account: TreasuryAccount, *, today: dt.date,
                 figures: Figures | None = None) -> Statement:
    """The live statement of an account the caller already reached."""
    structure = account.structure
    if figures is None:
        figures = balances.figures_of(account.pk, structure, today=today)
    year = balances.year_of(structure.pk, today)
    months, cashed = _monthly(account, today=today, current_year_id=year.pk if year else None,
                              cash_now=figures.cash)
    unpaid_claims, claim_count = _claims(account)
    return Statement(account=account, figures=figures, year=year, cashed=cashed,
                     unpaid_claims=unpaid_claims, unpaid_claim_count=claim_count,
                     movements=last_movements(account), months=months)


# -- what a coopérant may ask to be paid -------------------------------------------------------


def estimated_cost(net: Decimal, employee_rate: Decimal, employer_rate: Decimal) -> Decimal:
    """The full cost of a net pay, as payroll estimates it (`pay.estimate`)."""
    return pay.estimate(net, PaySettings(employee_rate=employee_rate,
                                         employer_rate=employer_rate)).cost


def max_net_for(available: Decimal, settings: PaySettings | None) -> Decimal:
    """The net pay that the available treasury can fund, its full cost included
    (`pay.max_net`); without the structure's settings, their defaults apply."""
    return pay.max_net(available, settings or PaySettings())


@dataclass(frozen=True)
class PayWindow:
    """The next pay month still open to requests and its cut-off date (inclusive)."""

    month: dt.date
    cutoff_on: dt.date
    settings: PaySettings | None


def pay_window(structure: Structure, *, today: dt.date) -> PayWindow:
    """This month's cut-off, once it has passed next month's: the rule of `pay.pay_month`
    (the published date, else the structure's usual day, else the 25th)."""
    settings = PaySettings.objects.filter(structure=structure).first()
    window = pay.pay_month(structure, today, settings or PaySettings(structure=structure))
    return PayWindow(month=window.month, cutoff_on=window.cutoff_on, settings=settings)


# -- the overview of many accounts ------------------------------------------------------------
# A structure's (or one KPA's) accounts: each one's figures, its last remuneration, what needs
# a look (negative, not paid for months while selling), the structure's own part and the
# totals beside the general ledger's. A constant number of queries: the figures, the last
# remuneration dates, and for a structure its own part and its general ledger.

UNPAID_MONTHS = 3  # flag a coopérant selling but not paid for this many months
# The figures a general ledger also has (nothing is committed there).
LEDGER_FIGURES = ("cash", "receivables", "owed", "turnover", "direct_costs", "contribution",
                  "remuneration", "other_expenses", "other_income", "transfers")
SORTS = {"code": "code", "disponible": "available", "-disponible": "-available"}


def who(account: TreasuryAccount) -> str:
    """The person, activity or KPA the account follows (select_related by the caller)."""
    if account.person is not None:
        return account.person.full_name
    if account.activity is not None:
        return account.activity.name
    if account.kpa is not None:
        return account.kpa.name
    return account.label


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


@dataclass(frozen=True)
class Row:
    account: TreasuryAccount
    who: str
    figures: Figures
    last_pay: dt.date | None
    unpaid_for_months: bool

    @property
    def negative(self) -> bool:
        return self.figures.available < 0


@dataclass(frozen=True)
class Overview:
    rows: list[Row]
    total: Figures  # the accounts, plus the structure's own part when there is one
    own: Figures | None
    ledger: Figures | None  # the general ledger, read on its own, to compare with `total`

    @property
    def agrees(self) -> bool:
        """The accounts plus the structure's own part equal the general ledger."""
        return self.ledger is not None and all(
            getattr(self.total, name) == getattr(self.ledger, name) for name in LEDGER_FIGURES)

    @property
    def flagged(self) -> int:
        return sum(1 for row in self.rows if row.negative or row.unpaid_for_months)


def _last_pays(accounts: list[TreasuryAccount], structure: Structure,
               everything: bool) -> dict[int, dt.date]:
    """The date of each account's last remuneration entry (641…, 645…), every year."""
    remuneration = Account.objects.filter(structure=structure,
                                          number__startswith=balances.REMUNERATION)
    lines = EntryLine.objects.filter(validated=True, account_id__in=remuneration.values("pk"))
    if everything:
        lines = lines.filter(treasury_account__isnull=False)
    else:
        lines = lines.filter(treasury_account_id__in=[a.pk for a in accounts])
    return dict(lines.values_list("treasury_account_id").annotate(last=Max("entry__date"))
                .order_by())


def add_figures(figures: Iterable[Figures]) -> Figures:
    total = Figures()
    for each in figures:
        for name in (*LEDGER_FIGURES, "committed"):
            setattr(total, name, getattr(total, name) + getattr(each, name))
    return total


def overview_of(structure: Structure, accounts: list[TreasuryAccount], *, today: dt.date,
                everything: bool, sort: str = "code") -> Overview:
    """The rows of `accounts` (all the structure's when `everything`, then with its own
    part and its general ledger), sorted by code or by available."""
    figures = balances.figures_for(structure, None if everything else
                                   [a.pk for a in accounts], today=today)
    last_pays = _last_pays(accounts, structure, everything)
    this_month = first_of_month(today)
    rows = []
    for account in accounts:
        own = figures.get(account.pk) or Figures()
        last = last_pays.get(account.pk)
        unpaid = (account.kind == TreasuryAccount.Kind.INDIVIDUAL and own.turnover > 0
                  and (last is None or months_between(last, this_month) >= UNPAID_MONTHS))
        rows.append(Row(account=account, who=who(account), figures=own, last_pay=last,
                        unpaid_for_months=unpaid))
    key = SORTS.get(sort, "code")
    if key == "code":
        rows.sort(key=lambda r: r.account.code)
    else:
        rows.sort(key=lambda r: (r.figures.available, r.account.code),
                  reverse=key.startswith("-"))
    own_part = ledger = None
    if everything:
        own_part, ledger = balances.structure_parts(structure, today=today)
    parts = [r.figures for r in rows] + ([own_part] if own_part is not None else [])
    return Overview(rows=rows, total=add_figures(parts), own=own_part, ledger=ledger)
