"""The live figures of treasury accounts, read from the validated lines of the books.

Every line about a coopérant, a collective activity or a KPA pot carries its treasury account,
so an account's figures are sums of its lines, grouped by general account:

- balance-sheet figures (cash, receivables, what is owed) sum the open fiscal years up to
  today: the à-nouveaux of the first open year carries everything before it;
- income figures (turnover, costs, contribution, remuneration) are those of the fiscal year
  holding today.

`figures_for` reads any number of accounts with five queries whatever their number: the
fiscal years and the general accounts (small), one GROUP BY over the lines (per treasury
account, general account and year, as cheap as a bare sum), pay requests in progress and open
envelopes. The lines without a
treasury account are the structure's own: `structure_figures` sums every line, so that the
accounts plus the structure's own part always equal the general ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import BooleanField, ExpressionWrapper, Q, Sum

from kpa.core.money import quantize
from kpa.directory.models import Structure
from kpa.ledger.models import Account, EntryLine, FiscalYear

ZERO = Decimal("0.00")

CONTRIBUTION_CHARGE = "6288"  # on the treasury account that pays it
CONTRIBUTION_INCOME = "7588"  # on the structure's own lines
INTERNAL_TRANSFERS = "580"
REMUNERATION = "64"
TURNOVER = "70"
CUSTOMERS = "411"
# Bought to be sold or built into what is sold: they make the gross margin.
DIRECT_COST_PREFIXES = ("601", "602", "6031", "6037", "604", "607", "608", "609", "611")
OWED_PREFIXES = ("40", "42", "43", "44")


@dataclass
class Figures:
    """One treasury account's (or the structure's) figures; debit-positive balances are
    turned into plain-language signs: turnover and costs are positive, `owed` is what the
    account still has to pay (positive)."""

    cash: Decimal = ZERO
    receivables: Decimal = ZERO
    owed: Decimal = ZERO
    turnover: Decimal = ZERO
    direct_costs: Decimal = ZERO
    contribution: Decimal = ZERO
    remuneration: Decimal = ZERO
    other_expenses: Decimal = ZERO
    other_income: Decimal = ZERO
    transfers: Decimal = ZERO
    committed: Decimal = ZERO
    committed_detail: dict[str, Decimal] = field(default_factory=dict)

    @property
    def gross_margin(self) -> Decimal:
        return self.turnover - self.direct_costs

    @property
    def result(self) -> Decimal:
        return (self.turnover + self.other_income - self.direct_costs - self.contribution
                - self.remuneration - self.other_expenses)

    @property
    def available(self) -> Decimal:
        """Cash really in, minus what is owed (suppliers, claims, pay, social charges, VAT)
        and what is committed (pay requests in progress, open envelopes)."""
        return self.cash - self.owed - self.committed


def open_years(structure_id: int, today: dt.date) -> list[FiscalYear]:
    """The open fiscal years up to today, oldest first (the first holds the à-nouveaux)."""
    return list(FiscalYear.objects.filter(structure_id=structure_id,
                                          status=FiscalYear.Status.OPEN,
                                          starts_on__lte=today).order_by("starts_on"))


def year_of(structure_id: int, today: dt.date) -> FiscalYear | None:
    return FiscalYear.objects.filter(structure_id=structure_id, starts_on__lte=today,
                                     ends_on__gt=today).first()


BUCKET_NAMES = ("cash", "receivables", "owed", "turnover", "direct_costs", "contribution",
                "remuneration", "other_expenses", "other_income", "transfers")


def bucket_of(number: str) -> tuple[str, ...]:
    """The figures a general account's lines count in (580 is cash and a transfer)."""
    if number.startswith("5"):
        return ("cash", "transfers") if number.startswith(INTERNAL_TRANSFERS) else ("cash",)
    for prefixes, name in ((CUSTOMERS, "receivables"), (OWED_PREFIXES, "owed"),
                           (TURNOVER, "turnover"), ("7", "other_income"),
                           (DIRECT_COST_PREFIXES, "direct_costs"),
                           (CONTRIBUTION_CHARGE, "contribution"),
                           (REMUNERATION, "remuneration"), ("6", "other_expenses")):
        if number.startswith(prefixes):
            return (name,)
    return ()


INCOME_BUCKETS = frozenset({"turnover", "direct_costs", "contribution", "remuneration",
                            "other_expenses", "other_income"})
CREDIT_POSITIVE = frozenset({"owed", "turnover", "other_income"})


@dataclass(frozen=True)
class _Scope:
    """What one reading needs to know first (two small queries): the open fiscal years up to
    today, the one holding today, and each general account's figures."""

    open_year_ids: list[int]
    current_year_id: int | None
    buckets: dict[int, tuple[str, ...]]


def _scope(structure_id: int, today: dt.date) -> _Scope:
    years = list(FiscalYear.objects.filter(structure_id=structure_id, starts_on__lte=today)
                 .filter(Q(status=FiscalYear.Status.OPEN) | Q(ends_on__gt=today))
                 .values_list("pk", "status", "ends_on"))
    buckets = {pk: bucket_of(number) for pk, number in Account.objects.filter(
        structure_id=structure_id).values_list("pk", "number")}
    return _Scope(
        open_year_ids=[pk for pk, status, _end in years if status == FiscalYear.Status.OPEN],
        current_year_id=next((pk for pk, _status, end in years if end > today), None),
        buckets=buckets)


def _add(figures: Figures, scope: _Scope, account_id: int, year_id: int, debit: Decimal,
         credit: Decimal) -> None:
    for name in scope.buckets.get(account_id, ()):
        if name in INCOME_BUCKETS and year_id != scope.current_year_id:
            continue
        amount = credit - debit if name in CREDIT_POSITIVE else debit - credit
        setattr(figures, name, getattr(figures, name) + amount)


def _rounded(figures: Figures) -> Figures:
    """To the cent: SQLite sums decimals as floats (PostgreSQL is exact)."""
    for name in BUCKET_NAMES:
        setattr(figures, name, quantize(getattr(figures, name)))
    return figures


def figures_for(structure: Structure, account_ids: Iterable[int] | None, *,
                today: dt.date) -> dict[int, Figures]:
    """Figures of the structure's treasury accounts (all when `account_ids` is None), with a
    constant number of queries: the lines are summed in SQL per treasury account, general
    account and fiscal year — as cheap as a bare GROUP BY — and sorted into figures here.
    Accounts without a line get zero figures."""
    from kpa.treasury import commitments  # the commitments read this app's models

    scope = _scope(structure.pk, today)
    wanted = None if account_ids is None else list(account_ids)
    lines = EntryLine.objects.filter(validated=True, fiscal_year_id__in=scope.open_year_ids,
                                     treasury_account__isnull=False)
    if wanted is not None:
        lines = lines.filter(treasury_account_id__in=wanted)
    rows = (lines.values_list("treasury_account_id", "account_id", "fiscal_year_id")
            .annotate(debit_sum=Sum("debit"), credit_sum=Sum("credit")).order_by())
    result: dict[int, Figures] = {}
    for treasury_id, account_id, year_id, debit, credit in rows:
        figures = result.get(treasury_id)
        if figures is None:
            figures = result[treasury_id] = Figures()
        _add(figures, scope, account_id, year_id, debit, credit)
    for figures in result.values():
        _rounded(figures)
    for account_id in wanted or []:
        result.setdefault(account_id, Figures())
    for account_id, detail in commitments.committed_by_account(structure, wanted).items():
        figures = result.setdefault(account_id, Figures())
        figures.committed_detail = detail
        figures.committed = sum(detail.values(), ZERO)
    return result


def figures_of(account_id: int, structure: Structure, *, today: dt.date) -> Figures:
    return figures_for(structure, [account_id], today=today)[account_id]


def structure_parts(structure: Structure, *, today: dt.date) -> tuple[Figures, Figures]:
    """The structure's own part (the lines that carry no treasury account) and its whole
    general ledger, from one scan of the lines. Nothing is committed at this level."""
    scope = _scope(structure.pk, today)
    own, whole = Figures(), Figures()
    rows = (EntryLine.objects.filter(validated=True, fiscal_year_id__in=scope.open_year_ids)
            .annotate(own=ExpressionWrapper(Q(treasury_account__isnull=True),
                                            output_field=BooleanField()))
            .values_list("account_id", "fiscal_year_id", "own")
            .annotate(debit_sum=Sum("debit"), credit_sum=Sum("credit")).order_by())
    for account_id, year_id, is_own, debit, credit in rows:
        _add(whole, scope, account_id, year_id, debit, credit)
        if is_own:
            _add(own, scope, account_id, year_id, debit, credit)
    return _rounded(own), _rounded(whole)


def structure_figures(structure: Structure, *, today: dt.date,
                      own_lines_only: bool = False) -> Figures:
    """The figures over every line of the books, or only the structure's own part."""
    own, whole = structure_parts(structure, today=today)
    return own if own_lines_only else whole
