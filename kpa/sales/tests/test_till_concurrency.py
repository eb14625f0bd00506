"""Till tickets stay numbered without gaps and chained in one line when several phones sell at
once (PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, connections

from conftest import TODAY, build_cast
from kpa.sales import till
from kpa.sales.models import TillTicket
from kpa.sales.tests.conftest import build_shop

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks and real concurrency need PostgreSQL")

WORKERS = 8
SALES = 160


@pytest.mark.django_db(transaction=True)
def test_parallel_sales_give_one_unbroken_chain() -> None:
    shop = build_shop(build_cast())
    shop_till = till.open_till(actor=shop.manager, activity=shop.friperie, name="Comptoir",
                               today=TODAY)
    sale = [till.TillLineInput(description="Pull", quantity=1,
                               unit_price_incl_vat=Decimal("4.00"), vat_rate="20.00")]

    def sell(count: int) -> None:
        try:
            for _ in range(count):
                till.record_sale(actor=shop.seller, till=shop_till, lines=sale,
                                 method="cash", today=TODAY)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(sell, [SALES // WORKERS] * WORKERS))

    numbers = list(TillTicket.objects.filter(till=shop_till).order_by("number")
                   .values_list("number", flat=True))
    assert numbers == list(range(1, SALES + 1))
    assert till.verify_chain(shop_till) == []
    closing = till.close_day(actor=shop.seller, till=shop_till, day=TODAY, today=TODAY)
    assert closing.ticket_count == SALES
    assert closing.total_incl_vat == Decimal("4.00") * SALES
