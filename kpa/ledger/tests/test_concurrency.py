"""Numbers stay gap-free and unique when many bookkeepers validate at once (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from conftest import TODAY, build_cast
from kpa.ledger import services
from kpa.ledger.models import Entry, Journal
from kpa.ledger.tests.conftest import sale

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql",
                                reason="row locks and real concurrency need PostgreSQL")

WORKERS = 8
DRAFTS = 160


@pytest.mark.django_db(transaction=True)
def test_parallel_validations_give_contiguous_unique_numbers() -> None:
    cast = build_cast()
    keeper = cast.user("comptable")
    structure = cast.cae
    services.open_books(actor=keeper, structure=structure,
                        first_year_starts_on=dt.date(2026, 1, 1),
                        first_year_ends_on=dt.date(2027, 1, 1), today=TODAY)
    journal = Journal.objects.get(structure=structure, code="VT")
    drafts = [
        services.create_entry(actor=keeper, structure=structure, journal=journal,
                              date=dt.date(2026, 3, 1), label=f"Vente {n}",
                              lines=sale("10"), today=TODAY).pk
        for n in range(DRAFTS)
    ]

    def validate(chunk: list[int]) -> None:
        try:
            for pk in chunk:
                services.validate_entry(actor=keeper, entry=Entry.objects.get(pk=pk),
                                        today=TODAY)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(validate, [drafts[i::WORKERS] for i in range(WORKERS)]))
    numbers = sorted(n or 0 for n in Entry.objects.filter(journal=journal).values_list(
        "number", flat=True))
    assert numbers == list(range(1, DRAFTS + 1))
