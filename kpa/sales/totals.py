"""A document's amounts, the way EN 16931 computes them (so our PDF, our XML and our books
agree to the cent): each line's net amount is rounded, VAT is computed once per rate on the sum
of that rate's lines (BR-CO-17), and the totals are sums of rounded figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from kpa.core.money import quantize

ZERO = Decimal("0.00")


class PricedLine(Protocol):
    quantity: Decimal
    unit_price: Decimal
    vat_rate: str
    is_service: bool


def line_net(line: PricedLine) -> Decimal:
    return quantize(Decimal(line.quantity) * Decimal(line.unit_price))


@dataclass(frozen=True)
class VatGroup:
    rate: Decimal  # percent, e.g. 20.00
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal
    groups: tuple[VatGroup, ...]
    goods: Decimal  # net amount of goods lines (posted to 707)
    services: Decimal  # net amount of service lines (posted to 706)


def compute(lines: Iterable[PricedLine]) -> Totals:
    bases: dict[Decimal, Decimal] = {}
    goods = services = ZERO
    for line in lines:
        net = line_net(line)
        rate = Decimal(line.vat_rate)
        bases[rate] = bases.get(rate, ZERO) + net
        if line.is_service:
            services += net
        else:
            goods += net
    groups = tuple(VatGroup(rate=rate, base=base, vat=quantize(base * rate / 100))
                   for rate, base in sorted(bases.items(), reverse=True))
    excl = sum((g.base for g in groups), ZERO)
    vat = sum((g.vat for g in groups), ZERO)
    return Totals(excl_vat=excl, vat=vat, incl_vat=excl + vat, groups=groups, goods=goods,
                  services=services)
