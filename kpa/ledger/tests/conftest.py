"""Books for the cast's CAE: opened on 2026-01-01, plus helpers to post ordinary entries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from conftest import Cast
from kpa.ledger import services
from kpa.ledger.models import Books, Entry, Journal, ThirdParty, TreasuryAccount
from kpa.ledger.services import LineInput

YEAR_START = dt.date(2026, 1, 1)
YEAR_END = dt.date(2027, 1, 1)


@dataclass
class Ledger:
    cast: Cast
    books: Books
    keeper: User
    today: dt.date

    @property
    def structure(self):  # type: ignore[no-untyped-def]
        return self.books.structure

    def journal(self, code: str) -> Journal:
        return Journal.objects.get(structure=self.structure, code=code)

    def entry(self, code: str, day: dt.date, *lines: LineInput, label: str = "Écriture",
              validate: bool = True, piece_ref: str = "") -> Entry:
        return services.create_entry(
            actor=self.keeper, structure=self.structure, journal=self.journal(code), date=day,
            label=label, lines=lines, piece_ref=piece_ref, validate=validate, today=self.today,
        )

    def customer(self, code: str = "C0001", name: str = "Mairie") -> ThirdParty:
        return services.create_third_party(actor=self.keeper, structure=self.structure,
                                           code=code, name=name, kind="customer",
                                           today=self.today)

    def treasury(self, code: str = "T-0001") -> TreasuryAccount:
        person = self.cast.cooperant
        return services.create_treasury_account(
            actor=self.keeper, structure=self.structure, code=code, label=str(person),
            kind="individual", person=person, today=self.today)


@pytest.fixture
def ledger(cast: Cast, today: dt.date) -> Ledger:
    keeper = cast.user("comptable")
    books = services.open_books(actor=keeper, structure=cast.cae,
                                first_year_starts_on=YEAR_START, first_year_ends_on=YEAR_END,
                                today=today)
    return Ledger(cast=cast, books=books, keeper=keeper, today=today)


def sale(amount: str, *, customer: ThirdParty | None = None,
         treasury: TreasuryAccount | None = None) -> tuple[LineInput, LineInput]:
    return (LineInput("411", debit=amount, third_party=customer, treasury_account=treasury),
            LineInput("706", credit=amount, treasury_account=treasury))


@contextmanager
def rolled_back() -> Iterator[None]:
    """One hypothesis example inside a savepoint that is always undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
