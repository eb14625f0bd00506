"""Document totals, computed the way EN 16931 does: per-line rounding, VAT per rate."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kpa.core.money import quantize
from kpa.sales.models import VatRate
from kpa.sales.totals import compute, line_net


@dataclass
class Line:
    quantity: Decimal
    unit_price: Decimal
    vat_rate: str
    is_service: bool


lines = st.lists(st.builds(
    Line,
    quantity=st.decimals(min_value="0.001", max_value="999", places=3),
    unit_price=st.decimals(min_value="0", max_value="99999", places=2),
    vat_rate=st.sampled_from(VatRate.values),
    is_service=st.booleans(),
), min_size=1, max_size=12)


@given(lines)
def test_totals_add_up_to_the_cent_whatever_the_lines(document: list[Line]) -> None:
    totals = compute(document)
    assert totals.excl_vat == sum((line_net(ln) for ln in document), Decimal(0))
    assert totals.excl_vat == totals.goods + totals.services
    assert totals.incl_vat == totals.excl_vat + totals.vat
    assert totals.vat == sum((g.vat for g in totals.groups), Decimal(0))
    for group in totals.groups:
        assert group.vat == quantize(group.base * group.rate / 100)  # BR-CO-17
    for amount in (totals.excl_vat, totals.vat, totals.incl_vat):
        assert amount == quantize(amount)


@given(lines)
def test_the_order_of_lines_never_changes_the_totals(document: list[Line]) -> None:
    assert compute(document).incl_vat == compute(list(reversed(document))).incl_vat


def test_vat_is_rounded_once_per_rate_not_per_line() -> None:
    three = [Line(Decimal(1), Decimal("0.10"), "5.50", True)] * 3
    totals = compute(three)
    # per line 0.0055 would round to 0.01 each (0.03); per rate 0.30 x 5.5 % = 0.0165 → 0.02
    assert totals.vat == Decimal("0.02")
