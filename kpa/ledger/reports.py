"""The books' reports, read from validated lines of one fiscal year (drafts are not in the
books). Callers have already scoped the year to a user through `selectors`.

Aggregates run in the database (one GROUP BY); exports stream lines, never holding a year in
memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Sum, Value, When

from kpa.core.money import quantize
from kpa.ledger.exchange import BookLine
from kpa.ledger.models import ZERO, Account, EntryLine, FiscalYear, Journal, ThirdParty
from kpa.ledger.statements import AnnualStatements, build_statements


@dataclass(frozen=True)
class BalanceRow:
    number: str
    label: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit

    @property
    def debit_balance(self) -> Decimal:
        return self.balance if self.balance > 0 else ZERO

    @property
    def credit_balance(self) -> Decimal:
        return -self.balance if self.balance < 0 else ZERO


@dataclass(frozen=True)
class TrialBalance:
    rows: list[BalanceRow]

    @property
    def total_debit(self) -> Decimal:
        return sum((r.debit for r in self.rows), ZERO)

    @property
    def total_credit(self) -> Decimal:
        return sum((r.credit for r in self.rows), ZERO)

    def balances(self) -> dict[str, Decimal]:
        return {r.number: r.balance for r in self.rows}


def validated_lines(year: FiscalYear) -> QuerySet[EntryLine]:
    return EntryLine.objects.filter(fiscal_year=year, validated=True)


def trial_balance(year: FiscalYear) -> TrialBalance:
    """Totals per account: one GROUP BY on the lines, then the few hundred account labels."""
    totals = (
        validated_lines(year).order_by().values_list("account_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    sums = {account_id: (debit, credit) for account_id, debit, credit in totals}
    accounts = Account.objects.filter(pk__in=sums).only("number", "label").order_by("number")
    return TrialBalance([
        BalanceRow(a.number, a.label, quantize(sums[a.pk][0]), quantize(sums[a.pk][1]))
        for a in accounts
    ])


def statement_balances(year: FiscalYear) -> dict[str, Decimal]:
    """Balances per account, split per third party on customer and supplier accounts: a
    customer in credit is a debt and a supplier in debit a receivable, not netted away."""
    # One GROUP BY over the lines, the split done here: a second, filtered GROUP BY gets a poor
    # plan from PostgreSQL at a million lines (see `kpa bench`).
    rows = list(
        validated_lines(year).order_by().values_list("account_id", "third_party_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    numbers = dict(Account.objects.filter(pk__in={r[0] for r in rows}).values_list("pk",
                                                                                  "number"))
    codes = dict(ThirdParty.objects.filter(pk__in={r[1] for r in rows} - {None}).values_list(
        "pk", "code"))
    balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for account_id, third_party_id, debit, credit in rows:
        number = numbers[account_id]
        split = third_party_id is not None and number.startswith(("40", "41"))
        balances[f"{number}/{codes[third_party_id]}" if split else number] += quantize(
            debit - credit)
    return dict(balances)


def statements(year: FiscalYear, previous: FiscalYear | None) -> AnnualStatements:
    template = year.structure.books.chart_template
    return build_statements(
        template=template,
        balances=statement_balances(year),
        previous=statement_balances(previous) if previous is not None else None,
    )


@dataclass(frozen=True)
class ThirdPartyBalance:
    code: str
    name: str
    account: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit


def auxiliary_balances(year: FiscalYear, prefix: str) -> list[ThirdPartyBalance]:
    """Per third party, on the customer (411) or supplier (401) accounts."""
    rows = (
        validated_lines(year).filter(account__number__startswith=prefix,
                                     third_party__isnull=False)
        .order_by().values_list("third_party_id", "account__number")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    names = ThirdParty.objects.in_bulk({r[0] for r in rows})
    return sorted(
        (ThirdPartyBalance(names[tp].code, names[tp].name, number, quantize(debit),
                           quantize(credit))
         for tp, number, debit, credit in rows),
        key=lambda b: (b.account, b.code),
    )


@dataclass(frozen=True)
class TreasuryBalance:
    code: str
    label: str
    revenue: Decimal  # class 7, net credit
    expenses: Decimal  # class 6, net debit
    other: Decimal  # net of the other classes, debit positive

    @property
    def result(self) -> Decimal:
        return self.revenue - self.expenses


def analytic_balance(year: FiscalYear) -> list[TreasuryBalance]:
    """What each treasury account earned and spent this year (its analytic result)."""
    klass = Case(
        When(account__number__startswith="7", then=Value(7)),
        When(account__number__startswith="6", then=Value(6)),
        default=Value(0), output_field=IntegerField(),
    )
    rows = (
        validated_lines(year).filter(treasury_account__isnull=False)
        .annotate(klass=klass).order_by()
        .values_list("treasury_account__code", "treasury_account__label", "klass")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    )
    labels: dict[str, str] = {}
    nets: dict[tuple[str, int], Decimal] = {}
    for code, label, k, debit, credit in rows:
        labels[code] = label
        nets[(code, k)] = quantize(debit - credit)
    return [
        TreasuryBalance(code, label, -nets.get((code, 7), ZERO), nets.get((code, 6), ZERO),
                        nets.get((code, 0), ZERO))
        for code, label in sorted(labels.items())
    ]


LINE_FIELDS = (
    "entry__journal__code", "entry__journal__label", "entry__number", "entry__date",
    "account__number", "account__label", "third_party__code", "third_party__name",
    "entry__piece_ref", "entry__piece_date", "label", "debit", "credit",
    "lettering_code", "lettered_on", "entry__validated_on", "treasury_account__code",
    "treasury_account__label",
)


def ordered_lines(year: FiscalYear, *, journal: Journal | None = None,
                  account_prefix: str = "") -> QuerySet[EntryLine]:
    """Validated lines in the order of the FEC: the à-nouveaux first, then by validation."""
    lines = validated_lines(year)
    if journal is not None:
        lines = lines.filter(entry__journal=journal)
    if account_prefix:
        lines = lines.filter(account__number__startswith=account_prefix)
    opening_first = Case(When(Q(entry__journal__kind=Journal.Kind.OPENING), then=Value(0)),
                         default=Value(1), output_field=IntegerField())
    return lines.annotate(opening_first=opening_first).order_by(
        "opening_first", "entry__validated_at", "entry__journal__code", "entry__number",
        "position",
    )


def book_lines(year: FiscalYear, *, chunk_size: int = 5000) -> Iterator[BookLine]:
    """Every validated line of the year as a `BookLine`, streamed from a server-side cursor."""
    rows = ordered_lines(year).values_list(*LINE_FIELDS).iterator(chunk_size=chunk_size)
    for (jcode, jlabel, number, date, account, account_label, aux, aux_label, piece,
         piece_date, label, debit, credit, letter, lettered_on, validated_on, treasury,
         treasury_label) in rows:
        reference = f"{jcode}{number:06d}"
        yield BookLine(
            journal_code=jcode, journal_label=jlabel, entry_number=reference,
            entry_date=date, account_number=account, account_label=account_label,
            aux_number=aux or "", aux_label=aux_label or "", piece_ref=piece or reference,
            piece_date=piece_date or date, label=label, debit=debit, credit=credit,
            lettering_code=letter, lettered_on=lettered_on, validated_on=validated_on,
            treasury_code=treasury or "", treasury_label=treasury_label or "",
        )
