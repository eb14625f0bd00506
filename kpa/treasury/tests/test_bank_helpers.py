"""Shortcuts the bank tests share (no test here): the sample statements written by hand in
`data/bank/`, the shop's bank journal, ledger lines on its 512, layouts and imports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User

from kpa.ledger import services as ledger_services
from kpa.ledger.models import EntryLine, Journal
from kpa.ledger.services import LineInput
from kpa.sales.tests.conftest import Shop
from kpa.treasury import bank_import
from kpa.treasury.bank_import import ImportResult, LayoutSpec
from kpa.treasury.models import BankCsvLayout, BankTransaction

DATA = Path(__file__).parent / "data" / "bank"


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def bookkeeper(shop: Shop) -> User:
    return shop.cast.user("comptable")


def bank_journal(shop: Shop, code: str = "BQ1") -> Journal:
    return Journal.objects.get(structure=shop.cast.cae, code=code)


def post_bank(shop: Shop, day: dt.date, amount: str, label: str, *, journal: str = "BQ1",
              account: str = "512", validate: bool = True,
              piece_ref: str = "") -> EntryLine:
    """One entry with a line on the bank account: money in (+) from a customer (411), money
    out (-) for bank fees (627). Returns the bank account's line."""
    value = Decimal(amount)
    other = "411" if value > 0 else "627"
    lines = ([LineInput(account, debit=value), LineInput(other, credit=value)] if value > 0
             else [LineInput(other, debit=-value), LineInput(account, credit=-value)])
    entry = ledger_services.post_entry(
        actor=bookkeeper(shop), structure=shop.cast.cae,
        journal=bank_journal(shop, journal),
        date=day, label=label, lines=lines, piece_ref=piece_ref, validate=validate,
        today=shop.today)
    return EntryLine.objects.get(entry=entry, account__number=account)


def create_layout(shop: Shop, **changes: object) -> BankCsvLayout:
    values: dict[str, object] = {"name": "Banque Coopérative", "date_column": 1,
                                 "label_column": 2, "amount_column": 3}
    values.update(changes)
    return bank_import.create_layout(actor=bookkeeper(shop), structure=shop.cast.cae,
                                     spec=LayoutSpec(**values), today=shop.today)  # type: ignore[arg-type]


def import_file(shop: Shop, content: bytes, *, layout: BankCsvLayout | None = None,
                name: str = "releve.ofx", actor: User | None = None) -> ImportResult:
    return bank_import.import_statement(
        actor=actor or bookkeeper(shop), journal=bank_journal(shop), file_name=name,
        content=content, layout=layout, today=shop.today)


def import_sample(shop: Shop, name: str, *, layout: BankCsvLayout | None = None
                  ) -> ImportResult:
    return import_file(shop, sample(name), layout=layout, name=name)


def transaction(shop: Shop, label_part: str) -> BankTransaction:
    return BankTransaction.objects.get(journal=bank_journal(shop), label__contains=label_part)
