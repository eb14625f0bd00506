"""The contribution's pure math: marginal brackets on the cumulative base, the Optéos scale,
the month as "due to date minus already settled", and its properties under hypothesis."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from kpa.core.money import quantize
from kpa.treasury.contribution import (
    NO_CAPE,
    RSA,
    BaseFigures,
    Bracket,
    Rule,
    contribution_due,
    describe,
    finished_months,
    format_rate,
    last_day,
    month_computation,
    parse_month,
    settled_by,
)

OPTEOS = (Bracket(Decimal("0"), Decimal("11.5")), Bracket(Decimal("30000"), Decimal("10.5")),
          Bracket(Decimal("60000"), Decimal("9.5")), Bracket(Decimal("90000"), Decimal("8.5")),
          Bracket(Decimal("120000"), Decimal("7.5")))
OPTEOS_RULE = Rule(name="Optéos", base="gross_margin", brackets=OPTEOS)

amounts = st.decimals(min_value=Decimal("-50000"), max_value=Decimal("500000"), places=2,
                      allow_nan=False, allow_infinity=False)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3,
                    allow_nan=False, allow_infinity=False)


@st.composite
def scales(draw: st.DrawFn) -> tuple[Bracket, ...]:
    bounds = draw(st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200000"),
                                       places=2, allow_nan=False, allow_infinity=False),
                           max_size=5, unique=True))
    chosen = draw(st.lists(rates, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    return tuple(Bracket(bound, rate)
                 for bound, rate in zip([Decimal("0"), *sorted(bounds)], chosen, strict=True))


def test_a_yearly_margin_of_45_000_gives_5_025_on_the_opteos_scale() -> None:
    due, lines = contribution_due(Decimal("45000"), OPTEOS)
    assert due == Decimal("5025.00")
    assert [(line.lower, line.upper, line.part, line.amount) for line in lines] == [
        (Decimal("0"), Decimal("30000"), Decimal("30000.00"), Decimal("3450.00")),
        (Decimal("30000"), Decimal("60000"), Decimal("15000.00"), Decimal("1575.00")),
    ]


def test_above_120_000_every_opteos_bracket_is_used_and_the_last_is_open() -> None:
    due, lines = contribution_due(Decimal("150000"), OPTEOS)
    # 3 450 + 3 150 + 2 850 + 2 550 + 30 000 x 7.5 % = 2 250
    assert due == Decimal("14250.00")
    assert lines[-1].upper is None
    assert lines[-1].amount == Decimal("2250.00")


def test_a_base_at_zero_or_below_owes_nothing() -> None:
    assert contribution_due(Decimal("0"), OPTEOS) == (Decimal("0.00"), [])
    assert contribution_due(Decimal("-120.00"), OPTEOS) == (Decimal("0.00"), [])


def test_bracket_lines_are_rounded_so_that_they_add_up_to_the_rounded_total() -> None:
    brackets = (Bracket(Decimal("0"), Decimal("11.5")), Bracket(Decimal("0.03"),
                                                                  Decimal("11.5")))
    due, lines = contribution_due(Decimal("0.06"), brackets)
    # exact 0.0069, rounded once: 0.01; the lines 0.00 + 0.01 add up to it
    assert due == Decimal("0.01")
    assert sum(line.amount for line in lines) == due


@given(amounts, amounts, scales())
def test_the_due_never_decreases_when_the_base_grows(a: Decimal, b: Decimal,
                                                      brackets: tuple[Bracket, ...]) -> None:
    low, high = sorted((a, b))
    assert contribution_due(low, brackets)[0] <= contribution_due(high, brackets)[0]


@given(amounts, scales())
def test_the_due_is_never_more_than_the_base_at_the_highest_rate(
        base: Decimal, brackets: tuple[Bracket, ...]) -> None:
    due, lines = contribution_due(base, brackets)
    top = max(b.rate for b in brackets)
    assert due <= quantize(max(base, Decimal(0)) * top / 100)
    assert sum((line.amount for line in lines), Decimal("0.00")) == due


@given(st.lists(amounts, min_size=1, max_size=12), scales())
def test_charging_month_by_month_ends_the_year_on_what_charging_once_gives(
        months: list[Decimal], brackets: tuple[Bracket, ...]) -> None:
    rule = Rule(name="x", base="turnover", brackets=brackets)
    cumulative, settled = Decimal("0.00"), Decimal("0.00")
    for month in months:
        cumulative += month
        result = month_computation(rule=rule, figures=BaseFigures(turnover=cumulative),
                                   settled=settled, fee_due=False)
        settled += settled_by(result.contribution, result.detail)
    assert settled == contribution_due(cumulative, brackets)[0]


def test_a_month_charges_the_due_to_date_minus_what_was_already_settled() -> None:
    result = month_computation(rule=OPTEOS_RULE, settled=Decimal("3450.00"), fee_due=False,
                               figures=BaseFigures(turnover=Decimal("50000"),
                                               direct_costs=Decimal("5000"),
                                               month_turnover=Decimal("15000")))
    assert result.base_year_to_date == Decimal("45000")
    assert result.base_of_month == Decimal("15000")
    assert result.contribution == Decimal("1575.00")
    assert result.amount == Decimal("1575.00")


def test_a_lower_base_than_last_month_gives_money_back() -> None:
    result = month_computation(rule=OPTEOS_RULE, settled=Decimal("115.00"), fee_due=False,
                               figures=BaseFigures(turnover=Decimal("600")))
    assert result.contribution == Decimal("-46.00")  # 600 x 11.5 % = 69 - 115
    assert "Trop compté les mois précédents : 46,00 € rendus ce mois-ci." in describe(
        result.detail)


def test_the_turnover_base_ignores_direct_costs() -> None:
    rule = Rule(name="CA", base="turnover", brackets=(Bracket(Decimal("0"), Decimal("10")),))
    result = month_computation(rule=rule, settled=Decimal("0"), fee_due=False,
                               figures=BaseFigures(turnover=Decimal("1000"),
                                               direct_costs=Decimal("400")))
    assert result.contribution == Decimal("100.00")


def test_the_monthly_fee_is_added_only_when_due() -> None:
    rule = Rule(name="Forfait", base="turnover", brackets=OPTEOS,
                monthly_fee=Decimal("20.00"), fee_waived_for_rsa=True)
    with_fee = month_computation(rule=rule, figures=BaseFigures(), settled=Decimal("0"),
                                 fee_due=True)
    assert (with_fee.contribution, with_fee.fee, with_fee.amount) == (
        Decimal("0.00"), Decimal("20.00"), Decimal("20.00"))
    waived = month_computation(rule=rule, figures=BaseFigures(), settled=Decimal("0"),
                               fee_due=False, no_fee_reason=RSA)
    assert waived.amount == 0
    assert "Pas de forfait mensuel (20,00 €) : allocataire du RSA." in describe(waived.detail)
    no_cape = month_computation(rule=rule, figures=BaseFigures(), settled=Decimal("0"),
                                fee_due=False, no_fee_reason=NO_CAPE)
    assert "pas de CAPE en cours ce mois-ci" in describe(no_cape.detail)[-2]


def test_an_exempt_month_settles_its_due_without_charging_it() -> None:
    result = month_computation(rule=OPTEOS_RULE, settled=Decimal("0"), fee_due=True,
                               figures=BaseFigures(turnover=Decimal("1000")),
                               exemption="Premier trimestre offert")
    assert result.amount == 0
    assert result.waived == Decimal("115.00")
    assert settled_by(result.contribution, result.detail) == Decimal("115.00")
    assert describe(result.detail)[1] == ("Exonération : Premier trimestre offert. Rien "
                                          "n'est prélevé ce mois-ci.")


def test_a_common_pot_or_a_month_without_scheme_owes_nothing() -> None:
    pot = month_computation(rule=OPTEOS_RULE, figures=BaseFigures(turnover=Decimal("9000")),
                            settled=Decimal("0"), fee_due=False, common_pot=True)
    assert pot.amount == 0
    assert describe(pot.detail) == ["Caisse commune du KPA : elle ne paie pas de "
                                    "contribution."]
    none = month_computation(rule=None, figures=BaseFigures(turnover=Decimal("9000")),
                             settled=Decimal("0"), fee_due=True)
    assert none.amount == 0


def test_the_computation_reads_in_plain_french_line_by_line() -> None:
    rule = Rule(name="Optéos", base="gross_margin", brackets=OPTEOS,
                monthly_fee=Decimal("15.00"))
    result = month_computation(rule=rule, settled=Decimal("3000.00"), fee_due=True,
                               figures=BaseFigures(turnover=Decimal("50000"),
                                               direct_costs=Decimal("5000"),
                                               month_turnover=Decimal("4000")))
    nbsp = "\u202f"
    assert describe(result.detail) == [
        "Barème : « Optéos ».",
        f"Assiette : marge brute depuis le début de l'exercice = chiffre d'affaires HT "
        f"50{nbsp}000,00 € moins coûts directs 5{nbsp}000,00 € = 45{nbsp}000,00 €.",
        "Dont ce mois-ci : 4\u202f000,00 €.",
        f"De 0 à 30{nbsp}000 € : 11,5 % de 30{nbsp}000,00 € = 3{nbsp}450,00 €",
        f"De 30{nbsp}000 à 60{nbsp}000 € : 10,5 % de 15{nbsp}000,00 € = 1{nbsp}575,00 €",
        f"Contribution due depuis le début de l'exercice : 5{nbsp}025,00 €",
        f"Déjà comptée les mois précédents : 3{nbsp}000,00 €",
        f"Contribution de ce mois : 2{nbsp}025,00 €",
        "Forfait mensuel : 15,00 €",
        f"Total pris sur la trésorerie : 2{nbsp}040,00 €",
    ]


def test_the_last_bracket_reads_as_beyond_its_bound() -> None:
    result = month_computation(rule=OPTEOS_RULE, settled=Decimal("0"), fee_due=False,
                               figures=BaseFigures(turnover=Decimal("130000")))
    assert "Au-delà de 120\u202f000 € : 7,5 % de 10\u202f000,00 € = 750,00 €" in describe(
        result.detail)


def test_months_are_read_as_yyyy_mm_and_a_bad_one_is_refused_in_french() -> None:
    assert parse_month("2026-11") == dt.date(2026, 11, 1)
    assert parse_month("11/2026") == dt.date(2026, 11, 1)
    with pytest.raises(ValidationError, match="n'est pas un mois"):
        parse_month("novembre")
    assert last_day(dt.date(2026, 2, 1)) == dt.date(2026, 2, 28)
    assert finished_months(dt.date(2026, 12, 1), 2) == [dt.date(2026, 11, 1),
                                                        dt.date(2026, 10, 1)]


def test_rates_are_written_without_useless_zeros() -> None:
    assert format_rate(Decimal("11.500")) == "11,5"
    assert format_rate(Decimal("10.000")) == "10"
    assert format_rate(Decimal("8.125")) == "8,125"
