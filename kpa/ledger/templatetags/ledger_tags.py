"""Amounts as French accountants write them: "1 234,50" (`kpa.core.money.format_money`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from kpa.core.money import format_money

register = template.Library()


@register.filter
def money(value: Any, blank_zero: str = "") -> str:
    """`{{ amount|money }}` → "1 234,50"; `{{ amount|money:"blank" }}` leaves zero empty, as
    the debit or credit column of a line that sits on the other side."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return ""
    if blank_zero and amount == 0:
        return ""
    return format_money(amount)
