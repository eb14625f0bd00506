"""Numbering patterns, and the property that numbers are gap-free and unique, also when an
issue fails half-way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kpa.sales.numbering import check_pattern, render


@pytest.mark.parametrize(("pattern", "number"), [
    ("{YYYY}-{SEQ:05}", "2026-00042"),
    ("F{YY}{MM}-{SEQ:03}", "F2611-042"),
    ("{YYYY}/{SEQ}", "2026/42"),
])
def test_patterns_render_the_year_the_month_and_the_sequence(pattern: str, number: str) -> None:
    check_pattern(pattern)
    assert render(pattern, year_name=2026, day=dt.date(2026, 11, 28), sequence=42) == number


@pytest.mark.parametrize(("pattern", "message"), [
    ("{YYYY}", "une fois {SEQ}"),
    ("{SEQ}-{SEQ}-{YYYY}", "une fois {SEQ}"),
    ("{SEQ:05}", "l'exercice"),
    ("F {YYYY}-{SEQ}", "pas d'espace"),
    ("FACTURE-DE-LA-COOPERATIVE-{YYYY}-{SEQ:09}", "35 caractères"),
])
def test_bad_patterns_are_refused_with_the_reason(pattern: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_pattern(pattern)


@given(st.lists(st.integers(min_value=1, max_value=99999), min_size=2, max_size=30,
                unique=True))
def test_distinct_sequences_give_distinct_numbers_in_the_same_order(numbers: list[int]) -> None:
    rendered = [render("{YYYY}-{SEQ:05}", year_name=2026, day=dt.date(2026, 1, 1), sequence=n)
                for n in sorted(numbers)]
    assert len(set(rendered)) == len(rendered)
    assert rendered == sorted(rendered)
