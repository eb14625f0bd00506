"""Money is Decimal, two places, rounded half up — here and nowhere else."""

from decimal import ROUND_HALF_UP, Decimal

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
