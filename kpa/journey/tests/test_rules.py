"""The CAPE rules as pure functions: months, periods, renewals, the age of 16, overlaps.

Property tests compare each rule with a plain restatement of the law, so a change that bends a
rule on some rare date (a 31st, a 29 February, a century year) fails here first.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kpa.journey import rules
from kpa.journey.rules import Span

# The journey's autouse fixtures (media root, language) are function-scoped; they do not matter
# to pure functions, so Hypothesis may reuse them across examples.
pure = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)

dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
month_counts = st.integers(min_value=-1200, max_value=1200)


def month_number(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def shown_day(message: str) -> dt.date:
    found = re.search(r"(\d{2})/(\d{2})/(\d{4})", message)
    assert found, message
    day, month, year = (int(part) for part in found.groups())
    return dt.date(year, month, day)


# ---- add_months ----

@pure
@given(day=dates, months=month_counts)
@example(day=dt.date(2027, 1, 31), months=1)
@example(day=dt.date(2028, 2, 29), months=12)
@example(day=dt.date(2099, 2, 28), months=12)
def test_add_months_lands_in_the_right_month_and_keeps_the_day_when_it_exists(
        day: dt.date, months: int) -> None:
    later = rules.add_months(day, months)
    assert month_number(later) == month_number(day) + months
    days_in_month = calendar.monthrange(later.year, later.month)[1]
    if day.day <= days_in_month:
        assert later.day == day.day
    else:
        assert later.day == days_in_month  # the month's last day, never a spill into the next


@pure
@given(day=dates, months=st.integers(min_value=0, max_value=600))
def test_add_months_never_goes_backwards(day: dt.date, months: int) -> None:
    assert rules.add_months(day, months) < rules.add_months(day, months + 1)
    assert rules.add_months(day, 0) == day


def test_add_months_clamps_to_the_end_of_a_short_month() -> None:
    assert rules.add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert rules.add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert rules.add_months(dt.date(2027, 3, 31), -1) == dt.date(2027, 2, 28)
    assert rules.add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


# ---- one period ----

@pure
@given(starts_on=dates, length=st.integers(min_value=-40, max_value=420))
@example(starts_on=dt.date(2027, 3, 1), length=365)
@example(starts_on=dt.date(2027, 3, 1), length=366)
@example(starts_on=dt.date(2028, 2, 29), length=365)
def test_a_period_is_accepted_exactly_when_it_ends_after_its_start_and_within_twelve_months(
        starts_on: dt.date, length: int) -> None:
    ends_on = starts_on + dt.timedelta(days=length)
    accepted = starts_on < ends_on <= rules.add_months(starts_on, 12)
    problems = rules.period_problems(starts_on, ends_on)
    assert (problems == {}) is accepted
    if not accepted:
        assert list(problems) == ["ends_on"]


def test_twelve_months_from_the_first_of_march_end_on_the_next_first_of_march() -> None:
    assert rules.period_problems(dt.date(2027, 3, 1), dt.date(2028, 3, 1)) == {}
    problems = rules.period_problems(dt.date(2027, 3, 1), dt.date(2028, 3, 2))
    assert "12 mois au plus" in problems["ends_on"][0]
    assert "29/02/2028" in problems["ends_on"][0]  # the last day of the longest period


def test_inverted_or_empty_dates_are_refused_with_a_plain_message() -> None:
    day = dt.date(2027, 5, 10)
    for ends_on in (day, day - dt.timedelta(days=1)):
        problems = rules.period_problems(day, ends_on)
        assert problems == {"ends_on": ["La fin doit venir après le début du contrat."]}


# ---- renewals ----

def twelve_months_chain(first_start: dt.date, periods: int) -> list[Span]:
    chain, start = [], first_start
    for _ in range(periods):
        end = rules.add_months(start, 12)
        chain.append(Span(start, end))
        start = end
    return chain


def test_two_renewals_of_twelve_months_make_thirty_six_months_and_are_accepted() -> None:
    first = dt.date(2026, 11, 28)
    chain = twelve_months_chain(first, 1)
    assert rules.chain_problems(starts_on=chain[-1].ends_on, ends_on=dt.date(2028, 11, 28),
                                chain=chain) == {}
    chain = twelve_months_chain(first, 2)
    assert rules.chain_problems(starts_on=chain[-1].ends_on, ends_on=dt.date(2029, 11, 28),
                                chain=chain) == {}


@pure
@given(first=dates.filter(lambda d: d.year < 2190), length=st.integers(min_value=1, max_value=365))
def test_a_fourth_period_is_always_refused(first: dt.date, length: int) -> None:
    chain = twelve_months_chain(first, 3)
    starts_on = chain[-1].ends_on
    problems = rules.chain_problems(starts_on=starts_on,
                                    ends_on=starts_on + dt.timedelta(days=length), chain=chain)
    assert list(problems) == ["__all__"]
    assert "déjà été renouvelé deux fois" in problems["__all__"][0]
    assert "CESA" in problems["__all__"][0]  # says what to do instead


@pure
@given(first=dates.filter(lambda d: d.year < 2190), periods=st.integers(min_value=1, max_value=2),
       shift=st.integers(min_value=-400, max_value=400))
def test_a_renewal_starts_exactly_the_day_the_previous_period_ends(
        first: dt.date, periods: int, shift: int) -> None:
    chain = twelve_months_chain(first, periods)
    starts_on = chain[-1].ends_on + dt.timedelta(days=shift)
    problems = rules.chain_problems(starts_on=starts_on,
                                    ends_on=starts_on + dt.timedelta(days=30), chain=chain)
    if shift == 0:
        assert problems == {}
    else:
        assert list(problems) == ["starts_on"]
        assert chain[-1].ends_on.strftime("%d/%m/%Y") in problems["starts_on"][0]


@pure
@given(first=dates.filter(lambda d: d.year < 2190),
       lengths=st.lists(st.integers(min_value=1, max_value=800), min_size=1, max_size=2),
       length=st.integers(min_value=1, max_value=366))
def test_a_renewal_is_refused_exactly_when_it_ends_after_thirty_six_months_in_all(
        first: dt.date, lengths: list[int], length: int) -> None:
    # The chain held so far may come from older data; the rule must still hold the total.
    chain, start = [], first
    for days in lengths:
        chain.append(Span(start, start + dt.timedelta(days=days)))
        start = chain[-1].ends_on
    ends_on = start + dt.timedelta(days=length)
    assume(ends_on <= rules.add_months(start, 12))
    problems = rules.chain_problems(starts_on=start, ends_on=ends_on, chain=chain)
    latest = rules.add_months(first, 36)
    if ends_on <= latest:
        assert problems == {}
    else:
        assert list(problems) == ["ends_on"]
        assert "36 mois au plus" in problems["ends_on"][0]
        last_day = latest - dt.timedelta(days=1)  # pages show the last day, not the exclusive end
        assert last_day.strftime("%d/%m/%Y") in problems["ends_on"][0]


@pure
@given(first=dates.filter(lambda d: d.year < 2190), periods=st.integers(min_value=0, max_value=3),
       back=st.integers(min_value=0, max_value=30))
def test_inverted_dates_are_refused_whatever_the_chain(first: dt.date, periods: int,
                                                       back: int) -> None:
    chain = twelve_months_chain(first, periods)
    starts_on = chain[-1].ends_on if chain else first
    problems = rules.chain_problems(starts_on=starts_on,
                                    ends_on=starts_on - dt.timedelta(days=back), chain=chain)
    assert list(problems) == ["ends_on"]
    assert "après le début" in problems["ends_on"][0]


def test_a_first_period_has_no_chain_and_only_the_period_rules() -> None:
    start = dt.date(2027, 1, 31)
    assert rules.chain_problems(starts_on=start, ends_on=dt.date(2028, 1, 31), chain=[]) == {}
    assert "ends_on" in rules.chain_problems(starts_on=start, ends_on=dt.date(2028, 2, 1),
                                             chain=[])


def test_a_reissued_renewal_may_start_after_the_previous_end_but_not_before() -> None:
    chain = twelve_months_chain(dt.date(2026, 11, 28), 1)
    late_start = chain[-1].ends_on + dt.timedelta(days=10)
    assert rules.chain_problems(starts_on=late_start, ends_on=dt.date(2028, 11, 28), chain=chain,
                                reissue=True) == {}
    early = rules.chain_problems(starts_on=chain[-1].ends_on - dt.timedelta(days=1),
                                 ends_on=dt.date(2028, 6, 1), chain=chain, reissue=True)
    assert list(early) == ["starts_on"]
    # The total still counts from the first start, whatever the gap.
    chain = twelve_months_chain(dt.date(2026, 11, 28), 2)
    beyond = rules.chain_problems(starts_on=dt.date(2029, 1, 1), ends_on=dt.date(2029, 12, 1),
                                  chain=chain, reissue=True)
    assert list(beyond) == ["ends_on"]
    assert "36 mois" in beyond["ends_on"][0]
    third = twelve_months_chain(dt.date(2026, 11, 28), 3)
    assert list(rules.chain_problems(starts_on=dt.date(2030, 1, 1), ends_on=dt.date(2030, 2, 1),
                                     chain=third, reissue=True)) == ["__all__"]


# ---- age ----

def reference_age(birth: dt.date, day: dt.date) -> int:
    """Completed years, counted by walking the birthdays (29 February → 1 March)."""
    years = 0
    while True:
        try:
            anniversary = birth.replace(year=birth.year + years + 1)
        except ValueError:
            anniversary = dt.date(birth.year + years + 1, 3, 1)
        if anniversary > day:
            return years
        years += 1


@pure
@given(birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2150, 12, 31)),
       days=st.integers(min_value=1, max_value=30_000))
@example(birth=dt.date(2084, 2, 29), days=(dt.date(2100, 2, 28) - dt.date(2084, 2, 29)).days)
@example(birth=dt.date(2010, 11, 28), days=(dt.date(2026, 11, 28) - dt.date(2010, 11, 28)).days)
def test_the_age_counts_completed_years_and_sixteen_is_the_minimum(birth: dt.date,
                                                                   days: int) -> None:
    today = birth + dt.timedelta(days=days)
    age = reference_age(birth, today)
    assert rules.age_on(birth, today) == age
    assert rules.is_minor(birth, today) is (age < 18)
    problems = rules.birth_date_problems(birth, today)
    assert (problems == {}) is (age >= 16)
    if problems:
        # The day it names is the very first day the inscription is accepted.
        first_day = shown_day(problems["birth_date"][0])
        assert rules.birth_date_problems(birth, first_day) == {}
        assert rules.birth_date_problems(birth, first_day - dt.timedelta(days=1)) != {}


def test_a_sixteenth_birthday_today_is_accepted_and_tomorrow_is_refused(today: dt.date) -> None:
    assert rules.birth_date_problems(dt.date(2010, 11, 28), today) == {}
    problems = rules.birth_date_problems(dt.date(2010, 11, 29), today)
    assert "à partir de 16 ans" in problems["birth_date"][0]
    assert "29/11/2026" in problems["birth_date"][0]


def test_someone_born_on_29_february_turns_sixteen_on_that_day_or_on_1_march() -> None:
    # 2024 is a leap year: the birthday exists.
    assert rules.birth_date_problems(dt.date(2008, 2, 29), dt.date(2024, 2, 28)) != {}
    assert rules.birth_date_problems(dt.date(2008, 2, 29), dt.date(2024, 2, 29)) == {}
    # 2100 is not: the birthday is 1 March, and the message says so.
    refused = rules.birth_date_problems(dt.date(2084, 2, 29), dt.date(2100, 2, 28))
    assert shown_day(refused["birth_date"][0]) == dt.date(2100, 3, 1)
    assert rules.birth_date_problems(dt.date(2084, 2, 29), dt.date(2100, 3, 1)) == {}
    # And majority the same way: 18 on 1 March 2026 for a 29 February 2008 birth.
    assert rules.is_minor(dt.date(2008, 2, 29), dt.date(2026, 2, 28))
    assert not rules.is_minor(dt.date(2008, 2, 29), dt.date(2026, 3, 1))


@pytest.mark.parametrize("birth", [dt.date(2026, 11, 28), dt.date(2027, 1, 1)])
def test_a_birth_date_today_or_in_the_future_is_refused(birth: dt.date, today: dt.date) -> None:
    assert rules.birth_date_problems(birth, today) == {
        "birth_date": ["La date de naissance doit être dans le passé."],
    }


# ---- overlaps ----

spans = st.builds(
    lambda start, length: Span(start, start + dt.timedelta(days=length)),
    st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2040, 1, 1)),
    st.integers(min_value=1, max_value=1200),
)


@pure
@given(a=spans, b=spans)
def test_overlapping_is_symmetric_and_means_sharing_at_least_one_day(a: Span, b: Span) -> None:
    assert rules.overlaps(a, [b]) == rules.overlaps(b, [a])
    a_days = {a.starts_on + dt.timedelta(days=n) for n in range((a.ends_on - a.starts_on).days)}
    shares_a_day = any(b.starts_on <= day < b.ends_on for day in a_days)
    assert rules.overlaps(a, [b]) is shares_a_day
    assert rules.overlaps(a, [a])


def test_a_period_starting_the_day_another_ends_does_not_overlap_it() -> None:
    first = Span(dt.date(2026, 11, 28), dt.date(2027, 11, 28))
    assert not rules.overlaps(Span(dt.date(2027, 11, 28), dt.date(2028, 11, 28)), [first])
    assert rules.overlaps(Span(dt.date(2027, 11, 27), dt.date(2028, 11, 27)), [first])
    assert not rules.overlaps(first, [])
