"""Money rounds half up to the cent and never touches float; periods end exclusively."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone
from hypothesis import assume, given
from hypothesis import strategies as st

from kpa.core.dates import Period, local_today
from kpa.core.money import CENT, format_money, parse_amount, quantize

# --- money -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("1.005"), Decimal("1.01")),
        (Decimal("1.004"), Decimal("1.00")),
        (Decimal("2.675"), Decimal("2.68")),  # the classic float trap: 2.675 is 2.67499… in binary
        (Decimal("0.125"), Decimal("0.13")),  # half up, not banker's rounding (which gives 0.12)
        (Decimal("0.135"), Decimal("0.14")),
        (Decimal("-1.005"), Decimal("-1.01")),  # half away from zero for refunds too
        (Decimal("-0.004"), Decimal("-0.00")),
        (Decimal("10"), Decimal("10.00")),
        ("19.999", Decimal("20.00")),
        ("0.5", Decimal("0.50")),
        (7, Decimal("7.00")),
        (0, Decimal("0.00")),
    ],
)
def test_quantize_rounds_to_the_cent_half_up(amount, expected):
    result = quantize(amount)

    assert result == expected
    assert result.as_tuple().exponent == -2


def test_quantize_refuses_a_float():
    with pytest.raises(TypeError, match="float"):
        quantize(0.1)  # type: ignore[arg-type]


def test_quantize_refuses_a_float_even_when_it_looks_round():
    with pytest.raises(TypeError):
        quantize(2.0)  # type: ignore[arg-type]


def test_quantize_returns_a_decimal_that_adds_up_exactly():
    total = sum((quantize("0.10") for _ in range(3)), Decimal(0))

    assert total == Decimal("0.30")
    assert isinstance(total, Decimal)


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6,
                   allow_nan=False, allow_infinity=False))
def test_quantize_is_within_half_a_cent_and_ties_go_away_from_zero(amount):
    result = quantize(amount)
    exact = Fraction(amount)
    distance = abs(Fraction(result) - exact)

    assert result.as_tuple().exponent == -2
    assert distance <= Fraction(1, 200)
    if distance == Fraction(1, 200):
        assert abs(result) > abs(amount)  # a tie rounds up in magnitude


@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_quantize_leaves_an_amount_already_in_cents_unchanged(amount):
    assert quantize(amount) == amount
    assert quantize(quantize(amount)) == quantize(amount)


def test_a_cent_is_one_hundredth():
    assert Decimal(1) / 100 == CENT


# --- periods -----------------------------------------------------------------------------------

JAN_1 = dt.date(2026, 1, 1)
MAR_1 = dt.date(2026, 3, 1)


def test_an_inverted_period_is_refused():
    with pytest.raises(ValueError, match="end after it starts"):
        Period(MAR_1, JAN_1)


def test_a_period_that_ends_the_day_it_starts_is_refused():
    with pytest.raises(ValueError, match="end after it starts"):
        Period(MAR_1, MAR_1)


def test_a_one_day_period_ends_the_next_day():
    period = Period(MAR_1, MAR_1 + dt.timedelta(days=1))

    assert period.contains(MAR_1)
    assert not period.contains(MAR_1 + dt.timedelta(days=1))


def test_contains_includes_the_start_and_excludes_the_end():
    period = Period(JAN_1, MAR_1)

    assert period.contains(JAN_1)
    assert period.contains(dt.date(2026, 2, 28))
    assert not period.contains(MAR_1)
    assert not period.contains(dt.date(2025, 12, 31))


def test_an_open_period_contains_every_day_from_its_start():
    period = Period(JAN_1)

    assert not period.contains(dt.date(2025, 12, 31))
    assert period.contains(JAN_1)
    assert period.contains(dt.date(2099, 12, 31))


def test_adjacent_periods_do_not_overlap():
    before = Period(JAN_1, MAR_1)
    after = Period(MAR_1)

    assert not before.overlaps(after)
    assert not after.overlaps(before)


def test_two_open_periods_always_overlap():
    assert Period(JAN_1).overlaps(Period(dt.date(2030, 1, 1)))


def test_a_period_overlaps_itself():
    assert Period(JAN_1, MAR_1).overlaps(Period(JAN_1, MAR_1))


def test_local_today_is_the_date_in_paris():
    expected = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Paris")).date()
    assert local_today() == expected


# A small window of days: every start and end lies inside it, so a brute-force walk is exact.
WINDOW_START = dt.date(2026, 2, 20)
WINDOW_DAYS = 20
WINDOW = [WINDOW_START + dt.timedelta(days=i) for i in range(WINDOW_DAYS + 1)]


@st.composite
def periods(draw: st.DrawFn) -> Period:
    start = draw(st.integers(min_value=0, max_value=WINDOW_DAYS - 1))
    end = draw(st.none() | st.integers(min_value=start + 1, max_value=WINDOW_DAYS))
    return Period(
        WINDOW_START + dt.timedelta(days=start),
        None if end is None else WINDOW_START + dt.timedelta(days=end),
    )


def days_of(period: Period) -> set[dt.date]:
    """The oracle: the days of a period, listed one by one without using Period's methods.

    An open period is cut at the end of the window; two periods that both start inside the
    window and share a day share the later of their two starts, which is inside the window.
    """
    last = period.end or WINDOW[-1] + dt.timedelta(days=1)
    return {period.start + dt.timedelta(days=i) for i in range((last - period.start).days)}


@given(periods(), periods())
def test_overlaps_is_symmetric(a, b):
    assert a.overlaps(b) == b.overlaps(a)


@given(periods(), periods())
def test_overlaps_agrees_with_a_day_by_day_walk(a, b):
    assert a.overlaps(b) == bool(days_of(a) & days_of(b))


@given(periods(), st.sampled_from(WINDOW))
def test_contains_agrees_with_a_day_by_day_walk(period, day):
    assert period.contains(day) == (day in days_of(period))


@given(periods())
def test_every_period_overlaps_itself(period):
    assert period.overlaps(period)


@given(periods(), periods())
def test_periods_that_share_no_day_can_sit_side_by_side(a, b):
    assume(a.end is not None)
    follower = Period(a.end, b.end if b.end is not None and b.end > a.end else None)

    assert not a.overlaps(follower)


@pytest.mark.parametrize(("amount", "expected"), [
    ("0", "0,00"), ("1234.5", "1\u202f234,50"), ("-1234567.891", "-1\u202f234\u202f567,89"),
    ("999.995", "1\u202f000,00"),
])
def test_amounts_are_written_the_french_way_with_a_narrow_no_break_space(
        amount: str, expected: str) -> None:
    assert format_money(amount) == expected


@pytest.mark.parametrize("text", ["1e999", "NaN", "Infinity", "1 234", "12,5,0", "", "٣",
                                  "1234567890123"])
def test_only_plain_amounts_are_parsed(text: str) -> None:
    with pytest.raises(ValueError, match="Not an amount"):
        parse_amount(text)


def test_plain_amounts_take_a_comma_or_a_point() -> None:
    assert parse_amount(" -1234,5 ") == Decimal("-1234.5")
    assert parse_amount("0.01") == Decimal("0.01")
