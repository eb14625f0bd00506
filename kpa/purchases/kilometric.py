"""The official French "barème kilométrique" for cars (impots.gouv.fr), as the allowance a
coopérant is reimbursed for the kilometres driven with their own car for their activity.

A scale is a function of the distance driven in the whole calendar year, by fiscal horsepower
and bracket (up to 5 000 km, 5 001 to 20 000 km, above 20 000 km); an electric vehicle gets
20 % more. `SCALES` is keyed by the first year a scale applies to; a year without its own scale
uses the latest earlier one: the scale published in 2024 (for 2024 income) was kept for 2025.
When the administration publishes a new scale, add it here under its year — nothing else
changes.

`allowance` gives one expense line's amount as f(cumulative km after the line) - f(cumulative
km before it), each rounded to the cent, so that a person's yearly bracket holds across lines
and the lines of a year always add up to the scale's figure for the year's total distance.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpa.core.money import quantize

FIRST_BRACKET_UP_TO = Decimal(5000)
SECOND_BRACKET_UP_TO = Decimal(20000)
ELECTRIC_BONUS = Decimal("1.20")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Row:
    """One horsepower's formulas: `rate * d` up to 5 000 km, `rate * d + fixed` up to
    20 000 km, `rate * d` above."""

    up_to_5000: Decimal
    up_to_20000: Decimal
    fixed_up_to_20000: Decimal
    above_20000: Decimal

    def amount(self, distance: Decimal) -> Decimal:
        if distance <= FIRST_BRACKET_UP_TO:
            return distance * self.up_to_5000
        if distance <= SECOND_BRACKET_UP_TO:
            return distance * self.up_to_20000 + self.fixed_up_to_20000
        return distance * self.above_20000


def _row(first: str, second: str, fixed: int, third: str) -> Row:
    return Row(Decimal(first), Decimal(second), Decimal(fixed), Decimal(third))


# {first year it applies to: {fiscal horsepower: formulas}}; the lowest horsepower row covers
# "3 CV et moins", the highest "7 CV et plus".
SCALES: dict[int, dict[int, Row]] = {
    2024: {
        3: _row("0.529", "0.316", 1065, "0.370"),
        4: _row("0.606", "0.340", 1330, "0.407"),
        5: _row("0.636", "0.357", 1395, "0.427"),
        6: _row("0.665", "0.374", 1457, "0.447"),
        7: _row("0.697", "0.394", 1515, "0.470"),
    },
}
_YEARS = sorted(SCALES)


def scale_for(year: int) -> dict[int, Row]:
    """The scale that applies to `year`: its own, or the latest published before it."""
    index = bisect_right(_YEARS, year)
    if index == 0:
        raise ValidationError({"spent_on": _(
            "Le barème kilométrique n'est connu qu'à partir de %(first)s : une dépense de "
            "%(year)s ne se déclare plus ici."
        ) % {"first": _YEARS[0], "year": year}})
    return SCALES[_YEARS[index - 1]]


def row_for(scale: dict[int, Row], horsepower: int) -> Row:
    powers = sorted(scale)
    return scale[min(max(horsepower, powers[0]), powers[-1])]


def yearly_amount(distance: Decimal, *, horsepower: int, electric: bool, year: int) -> Decimal:
    """The scale's allowance for `distance` km driven in the whole of `year`, to the cent."""
    if distance <= 0:
        return ZERO
    amount = row_for(scale_for(year), horsepower).amount(distance)
    return quantize(amount * ELECTRIC_BONUS if electric else amount)


def allowance(year_km_before: Decimal, km: Decimal, horsepower: int, electric: bool,
              year: int) -> Decimal:
    """The allowance of `km` more kilometres after `year_km_before` already claimed this
    year: the scale's figure for the cumulative distance after, minus the one before."""
    if km <= 0 or year_km_before < 0:
        raise ValueError("A distance is positive and follows a non-negative one.")
    before = yearly_amount(year_km_before, horsepower=horsepower, electric=electric, year=year)
    after = yearly_amount(year_km_before + km, horsepower=horsepower, electric=electric,
                          year=year)
    return after - before
