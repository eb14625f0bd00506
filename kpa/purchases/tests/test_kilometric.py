"""The official car scale (impots.gouv.fr, kept from 2024 for 2025): worked examples, the
brackets, the electric bonus, the year lookup, and the property that splitting a year's
kilometres into lines gives the year's figure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kpa.purchases.kilometric import allowance, scale_for, yearly_amount

D = Decimal


@pytest.mark.parametrize(("horsepower", "km", "expected"), [
    (4, "3000", "1818.00"),     # 3 000 * 0,606
    (5, "12000", "5679.00"),    # 12 000 * 0,357 + 1 395
    (3, "2000", "1058.00"),     # 2 000 * 0,529
    (3, "10000", "4225.00"),    # 10 000 * 0,316 + 1 065
    (6, "25000", "11175.00"),   # 25 000 * 0,447
    (7, "5000", "3485.00"),     # 5 000 * 0,697: the first bracket ends at 5 000 km
    (7, "5001", "3485.39"),     # 5 001 * 0,394 + 1 515
    (4, "20000", "8130.00"),    # 20 000 * 0,340 + 1 330: the second ends at 20 000 km
    (4, "20001", "8140.41"),    # 20 001 * 0,407
])
def test_the_scale_gives_the_official_figures(horsepower, km, expected):
    assert yearly_amount(D(km), horsepower=horsepower, electric=False, year=2025) == D(expected)


def test_below_three_and_above_seven_horsepower_use_the_end_rows():
    assert yearly_amount(D(1000), horsepower=2, electric=False, year=2025) == D("529.00")
    assert yearly_amount(D(1000), horsepower=11, electric=False, year=2025) == D("697.00")


def test_an_electric_car_gets_twenty_percent_more():
    assert yearly_amount(D(3000), horsepower=4, electric=True, year=2025) == D("2181.60")


def test_a_year_without_its_own_scale_uses_the_latest_earlier_one():
    assert scale_for(2026) is scale_for(2024)
    assert allowance(D(0), D(3000), 4, False, 2026) == D("1818.00")


def test_a_year_before_the_first_known_scale_is_refused_in_french():
    with pytest.raises(ValidationError, match="barème kilométrique"):
        scale_for(2023)


def test_a_line_is_priced_on_the_kilometres_already_driven_that_year():
    # 4 000 km already claimed, 2 000 more at 5 CV: the line crosses into the second bracket.
    expected = (D(6000) * D("0.357") + 1395) - D(4000) * D("0.636")
    assert allowance(D(4000), D(2000), 5, False, 2025) == expected.quantize(D("0.01"))
    assert allowance(D(4000), D(2000), 5, False, 2025) < D(2000) * D("0.636")


def test_a_distance_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        allowance(D(0), D(0), 4, False, 2025)


kilometres = st.decimals(min_value=D("0.1"), max_value=D(9000), places=1)


@given(st.lists(kilometres, min_size=1, max_size=12), st.integers(1, 12), st.booleans())
def test_splitting_a_years_distance_into_lines_gives_the_years_figure(lines, horsepower,
                                                                      electric):
    done, total = D(0), D(0)
    for km in lines:
        amount = allowance(done, km, horsepower, electric, 2025)
        assert amount > 0
        done += km
        total += amount
    whole = yearly_amount(done, horsepower=horsepower, electric=electric, year=2025)
    assert abs(total - whole) <= D("0.01") * len(lines)
    assert total == whole  # each cumulative figure is rounded once: the sum telescopes
