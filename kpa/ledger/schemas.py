"""Schemas of the books' REST API. Amounts are decimal strings ("1234.50") in and out, never
JSON numbers: a float would round them, so a number is refused (422)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from kpa.ledger.models import Entry, EntryLine, FiscalYear, Journal
from kpa.ledger.reports import BalanceRow

Amount = str  # "1234.50": two decimals, a point, no grouping


def amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class AccountOut(Schema):
    id: int
    number: str
    label: str
    from_template: bool = Field(description="Compte du plan officiel, ou sous-compte ajouté.")
    is_active: bool


class JournalOut(Schema):
    id: int
    code: str
    label: str
    kind: str = Field(description="sales, purchases, bank, cash, misc, opening, other")
    account: str | None = Field(description="Compte 512… ou 53… d'un journal de trésorerie.")

    @staticmethod
    def resolve_account(obj: Journal) -> str | None:
        return obj.account.number if obj.account else None


class FiscalYearOut(Schema):
    id: int
    name: int = Field(description="L'année civile où l'exercice se termine.")
    starts_on: dt.date
    ends_on: dt.date = Field(description="Premier jour après l'exercice (fin exclue).")
    last_day: dt.date
    status: str = Field(description="open, closed")
    result: Amount | None = Field(description="Le résultat, connu à la clôture.")

    @staticmethod
    def resolve_result(obj: FiscalYear) -> str | None:
        return amount(obj.result)


class EntryLineOut(Schema):
    position: int
    account: str
    account_label: str
    third_party: str | None = Field(description="Code du tiers.")
    treasury: str | None = Field(description="Code du compte de trésorerie.")
    label: str
    debit: Amount
    credit: Amount
    lettering_code: str

    @staticmethod
    def resolve_account(obj: EntryLine) -> str:
        return obj.account.number

    @staticmethod
    def resolve_account_label(obj: EntryLine) -> str:
        return obj.account.label

    @staticmethod
    def resolve_third_party(obj: EntryLine) -> str | None:
        return obj.third_party.code if obj.third_party else None

    @staticmethod
    def resolve_treasury(obj: EntryLine) -> str | None:
        return obj.treasury_account.code if obj.treasury_account else None

    @staticmethod
    def resolve_debit(obj: EntryLine) -> str:
        return f"{obj.debit:.2f}"

    @staticmethod
    def resolve_credit(obj: EntryLine) -> str:
        return f"{obj.credit:.2f}"


class EntryOut(Schema):
    id: int
    reference: str = Field(description="Code journal et numéro (VT000012) ; vide en brouillon.")
    journal: str
    fiscal_year_id: int
    date: dt.date
    label: str
    piece_ref: str
    piece_date: dt.date | None
    status: str = Field(description="draft, validated")
    validated_on: dt.date | None
    reverses_id: int | None = Field(description="L'écriture que celle-ci contre-passe.")

    @staticmethod
    def resolve_journal(obj: Entry) -> str:
        return obj.journal.code


class EntryDetailOut(EntryOut):
    lines: list[EntryLineOut]

    @staticmethod
    def resolve_lines(obj: Entry) -> list[EntryLine]:
        return list(obj.lines.select_related("account", "third_party", "treasury_account")
                    .order_by("position"))


class EntryLineIn(Schema):
    account: str = Field(description="Numéro du compte, par exemple 411 ou 706.")
    debit: Amount = "0"
    credit: Amount = "0"
    label: str = ""
    third_party: str | None = Field(None, description="Code d'un tiers de la structure.")
    treasury: str | None = Field(None, description="Code d'un compte de trésorerie.")


class EntryIn(Schema):
    journal: str = Field(description="Code du journal, par exemple VT.")
    date: dt.date
    label: str
    piece_ref: str = ""
    piece_date: dt.date | None = None
    validate_now: bool = Field(False, alias="validate",
                               description="Valider aussitôt (sinon : un brouillon).")
    lines: list[EntryLineIn]


class ReverseIn(Schema):
    date: dt.date = Field(description="Date de la contre-passation.")


class BalanceRowOut(Schema):
    number: str
    label: str
    debit: Amount
    credit: Amount
    debit_balance: Amount
    credit_balance: Amount

    @staticmethod
    def resolve_debit(obj: BalanceRow) -> str:
        return f"{obj.debit:.2f}"

    @staticmethod
    def resolve_credit(obj: BalanceRow) -> str:
        return f"{obj.credit:.2f}"

    @staticmethod
    def resolve_debit_balance(obj: BalanceRow) -> str:
        return f"{obj.debit_balance:.2f}"

    @staticmethod
    def resolve_credit_balance(obj: BalanceRow) -> str:
        return f"{obj.credit_balance:.2f}"


class TrialBalanceOut(Schema):
    fiscal_year_id: int
    provisional: bool = Field(description="Vrai tant que l'exercice est ouvert.")
    rows: list[BalanceRowOut]
    total_debit: Amount
    total_credit: Amount


class StatementLineOut(Schema):
    label: str
    amount: Amount
    previous: Amount | None
    accounts: list[str]


class SectionOut(Schema):
    title: str
    lines: list[StatementLineOut]
    total: Amount
    previous_total: Amount | None


class SideOut(Schema):
    title: str
    sections: list[SectionOut]
    total: Amount
    previous_total: Amount | None


class StatementOut(Schema):
    title: str
    sides: list[SideOut]
    footer: list[SideOut] = Field(description="Hors totaux : contributions volontaires en "
                                              "nature.")


class StatementsOut(Schema):
    fiscal_year_id: int
    previous_fiscal_year_id: int | None
    provisional: bool
    balance_sheet: StatementOut
    income_statement: StatementOut
    result: Amount
    previous_result: Amount | None
