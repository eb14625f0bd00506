"""Money is Decimal, two places, rounded half up — here and nowhere else."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
CENT = Decimal("0.01")


def quantize(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money never goes through float; pass a Decimal, an int or a string.")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"Not an amount of money: {amount!r}")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


THIN_NO_BREAK_SPACE = "\u202f"


def format_money(amount: Decimal | int | str) -> str:
    """"1 234,50", as French accountants write it: a narrow no-break space groups thousands,
    so a figure never breaks across lines, in pages and in messages alike."""
    amount = quantize(amount)
    whole, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", THIN_NO_BREAK_SPACE)
    sign = "-" if amount < 0 else ""
    return f"{sign}{grouped},{cents}"


# Digits, an optional decimal point or comma and decimals: no exponent ("1e999" would pass
# Decimal() and then fail every computation), no more than a trillion.
PLAIN_AMOUNT = re.compile(r"[+-]?[0-9]{1,12}(?:[.,][0-9]+)?")


def parse_amount(text: str) -> Decimal:
    """"1234,50" or "-12.5" as a Decimal (not rounded); ValueError for anything else."""
    cleaned = text.strip()
    if not PLAIN_AMOUNT.fullmatch(cleaned):
        raise ValueError(f"Not an amount: {text!r}")
    return Decimal(cleaned.replace(",", "."))


def money_field(verbose_name: StrOrPromise, *, default: Decimal | None = None
                ) -> models.DecimalField[Decimal | int | str, Decimal]:
    """The one shape of a money column: 14 digits, 2 places."""
    if default is None:
        return models.DecimalField(verbose_name, max_digits=MONEY_MAX_DIGITS,
                                   decimal_places=MONEY_DECIMAL_PLACES)
    return models.DecimalField(verbose_name, max_digits=MONEY_MAX_DIGITS,
                               decimal_places=MONEY_DECIMAL_PLACES, default=default)
