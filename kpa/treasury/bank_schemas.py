"""Schemas of the bank API. Amounts go out as decimal strings ("-45.90", positive for money in);
a statement comes in as its file, base64-encoded."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from kpa.ledger.models import EntryLine
from kpa.treasury.models import BankStatement, BankTransaction
from kpa.treasury.reconciliation import Suggestion, line_amount

DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Amount = str
StatusCode = Literal["unmatched", "matched", "ignored"]


def amount(value: object) -> str:
    return f"{value:.2f}"


class ImportIn(Schema):
    journal_id: DbId = Field(description="Le journal de banque (BQ1…) dont vient le relevé.")
    layout_id: DbId | None = Field(None, description="Le format CSV de la banque ; vide pour "
                                                     "un relevé OFX (reconnu tout seul).")
    file_name: str = Field(max_length=200)
    content_base64: str = Field(description="Le fichier, encodé en base64 (5 Mo au plus).")


class BankStatementOut(Schema):
    id: int
    journal_id: int
    journal_code: str
    file_name: str
    file_format: str = Field(description="ofx ou csv")
    sha256: str
    imported_at: dt.datetime

    @staticmethod
    def resolve_journal_code(obj: BankStatement) -> str:
        return obj.journal.code


class ImportOut(Schema):
    statement: BankStatementOut
    created: int = Field(description="Opérations nouvelles.")
    duplicates: int = Field(description="Opérations déjà importées (même FITID), passées.")


class TransactionFilters(Schema):
    journal: DbId | None = None
    statement: DbId | None = None
    status: StatusCode | None = None


class TransactionOut(Schema):
    id: int
    statement_id: int
    journal_id: int
    booked_on: dt.date
    label: str
    amount: Amount = Field(description="Signé : positif pour l'argent qui entre.")
    bank_reference: str = Field(description="Le FITID d'un relevé OFX ; vide pour un CSV.")
    status: StatusCode
    status_label: str
    matched_line_ids: list[int]
    matched_at: dt.datetime | None

    @staticmethod
    def resolve_amount(obj: BankTransaction) -> str:
        return amount(obj.amount)

    @staticmethod
    def resolve_status_label(obj: BankTransaction) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_matched_line_ids(obj: BankTransaction) -> list[int]:
        return [line.pk for line in obj.matched_lines.all()]


class BankLineOut(Schema):
    id: int
    entry_id: int
    entry_reference: str
    date: dt.date
    label: str
    amount: Amount = Field(description="Débit moins crédit du compte de banque.")

    @staticmethod
    def resolve_entry_reference(obj: EntryLine) -> str:
        return obj.entry.reference

    @staticmethod
    def resolve_date(obj: EntryLine) -> dt.date:
        return obj.entry.date

    @staticmethod
    def resolve_amount(obj: EntryLine) -> str:
        return amount(line_amount(obj))


class SuggestionOut(Schema):
    line: BankLineOut
    days_apart: int
    likeness: float = Field(description="Ressemblance des libellés, de 0 à 1.")

    @staticmethod
    def resolve_likeness(obj: Suggestion) -> float:
        return round(obj.likeness, 3)


class MatchIn(Schema):
    line_ids: list[DbId] = Field(description="Les lignes du compte de banque dont la somme "
                                             "fait le montant de la banque.",
                                 max_length=100)
