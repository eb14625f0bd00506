"""Invoice numbers stay contiguous and unique when many people issue at once (PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from conftest import TODAY, build_cast
from kpa.sales import documents
from kpa.sales.models import Customer, Invoice
from kpa.sales.tests.conftest import build_shop
from kpa.sales.tests.helpers import hem_lines

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks and real concurrency need PostgreSQL")

WORKERS = 8
INVOICES = 240
DOOMED = 24  # refused issues among the others: they must leave no hole


@pytest.mark.django_db(transaction=True)
def test_parallel_issues_give_contiguous_unique_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    # The numbers are under test here, not the PDF (checked by test_facturx): a fixed PDF
    # keeps 240 issues within seconds while the lock, the entry and the audit stay real.
    monkeypatch.setattr("kpa.sales.pdf.invoice_pdf", lambda *args, **kwargs: b"%PDF-1.7 test")
    shop = build_shop(build_cast())
    anonymous = Customer.objects.create(structure=shop.cast.cae, kind=Customer.Kind.COMPANY,
                                        name="Sans SIREN")
    drafts = [documents.create_invoice(actor=shop.seller, activity=shop.activity,
                                       customer=shop.company, lines=hem_lines(),
                                       today=TODAY).pk for _ in range(INVOICES)]
    doomed = [documents.create_invoice(actor=shop.seller, activity=shop.activity,
                                       customer=anonymous, lines=hem_lines(),
                                       today=TODAY).pk for _ in range(DOOMED)]
    # Interleaved with the good ones, issues refused for the missing SIREN take no number.
    padded = doomed + [None] * (INVOICES - DOOMED)
    queue = [pk for pair in zip(drafts, padded, strict=True) for pk in pair if pk]

    def issue(chunk: list[int]) -> int:
        failures = 0
        try:
            for pk in chunk:
                try:
                    documents.issue_invoice(actor=shop.manager,
                                            invoice=Invoice.objects.get(pk=pk), today=TODAY)
                except ValidationError:
                    failures += 1
        finally:
            connections.close_all()
        return failures

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        failures = sum(pool.map(issue, [queue[i::WORKERS] for i in range(WORKERS)]))

    assert failures == DOOMED
    numbers = sorted(Invoice.objects.filter(status="issued").values_list("number", flat=True))
    assert numbers == [f"2026-{n:05d}" for n in range(1, INVOICES + 1)]
    assert Invoice.objects.filter(status="issued").values("entry").distinct().count() == INVOICES
