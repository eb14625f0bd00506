"""Property tests: whatever sequence of operations the books accept, they stay true books."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpa.ledger import closing, reports, services
from kpa.ledger.models import Entry, EntryLine, FiscalYear
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger, rolled_back

ACCOUNTS = ["411", "401", "512", "530", "606", "613", "706", "707", "741", "101", "44571"]
JOURNALS = ["VT", "AC", "BQ1", "CA", "OD"]
AFTER_YEAR_END = dt.date(2027, 2, 1)

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@st.composite
def entry_lines(draw: st.DrawFn) -> list[LineInput]:
    """Debits drawn freely, credits split so that the entry balances — or, sometimes, not."""
    debits = draw(st.lists(amounts, min_size=1, max_size=3))
    total = sum(debits, Decimal(0))
    cut = draw(st.integers(min_value=1, max_value=3))
    credits = [total] if cut == 1 or total < Decimal("0.03") else [
        (total / cut).quantize(Decimal("0.01"))] * (cut - 1)
    if len(credits) > 1:
        credits.append(total - sum(credits, Decimal(0)))
    if draw(st.booleans()) and draw(st.booleans()):
        credits[-1] += Decimal("0.01")  # unbalanced: must be refused
    return [LineInput(draw(st.sampled_from(ACCOUNTS)), debit=d) for d in debits] + [
        LineInput(draw(st.sampled_from(ACCOUNTS)), credit=c) for c in credits if c > 0]


operation = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(JOURNALS), st.integers(0, 300), entry_lines(),
              st.booleans()),
    st.tuples(st.just("validate_a_draft")),
    st.tuples(st.just("reverse_one")),
)


def _apply(ledger: Ledger, op: tuple) -> None:  # type: ignore[type-arg]
    try:
        if op[0] == "post":
            _kind, journal, day, lines, validate = op
            ledger.entry(journal, dt.date(2026, 1, 1) + dt.timedelta(days=day), *lines,
                         validate=validate)
        elif op[0] == "validate_a_draft":
            draft = Entry.objects.filter(status="draft").first()
            if draft is not None:
                services.validate_entry(actor=ledger.keeper, entry=draft, today=ledger.today)
        else:
            entry = Entry.objects.filter(status="validated", reverses__isnull=True,
                                         reversal__isnull=True).last()
            if entry is not None:
                services.reverse_entry(actor=ledger.keeper, entry=entry, date=ledger.today,
                                       today=ledger.today)
    except ValidationError:
        pass  # refused as a whole: the invariants below prove nothing was half-written


def _assert_true_books(year: FiscalYear) -> None:
    for entry in Entry.objects.filter(fiscal_year=year):
        totals = entry.lines.aggregate(d=Sum("debit"), c=Sum("credit"))
        assert totals["d"] == totals["c"], entry
        assert entry.lines.count() >= 2
    balance = reports.trial_balance(year)
    assert balance.total_debit == balance.total_credit
    numbers: dict[int, list[int]] = defaultdict(list)
    for journal_id, number in Entry.objects.filter(
            fiscal_year=year, status="validated").values_list("journal_id", "number"):
        numbers[journal_id].append(number)
    for taken in numbers.values():
        assert sorted(taken) == list(range(1, len(taken) + 1))
    assert not EntryLine.objects.filter(entry__status="draft", validated=True).exists()
    assert not EntryLine.objects.filter(entry__status="validated", validated=False).exists()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=12))
def test_any_accepted_sequence_keeps_entries_balanced_and_numbers_contiguous(
        ledger: Ledger, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    year = FiscalYear.objects.get(structure=ledger.structure)
    with rolled_back():
        for op in ops:
            _apply(ledger, op)
        _assert_true_books(year)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=10))
def test_closing_carries_exactly_the_closing_balances_and_the_result(
        ledger: Ledger, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    year = FiscalYear.objects.get(structure=ledger.structure)
    with rolled_back():
        for op in ops:
            _apply(ledger, op)
        EntryLine.objects.filter(entry__status="draft").delete()
        Entry.objects.filter(status="draft").delete()
        closed = closing.close_fiscal_year(actor=ledger.keeper, year=year, today=AFTER_YEAR_END)
        following = FiscalYear.objects.get(structure=ledger.structure, starts_on=year.ends_on)
        before = reports.trial_balance(year).balances()
        result = sum((-b for n, b in before.items() if n[0] in "67"), Decimal(0))
        assert closed.result == result
        expected = {n: b for n, b in before.items() if n[0] in "12345" and b}
        if result:
            key = "120" if result > 0 else "129"
            expected[key] = expected.get(key, Decimal(0)) - result
        after = {n: b for n, b in reports.trial_balance(following).balances().items() if b}
        assert after == expected
        _assert_true_books(following)
