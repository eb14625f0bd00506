"""Schemas of the contribution API. Amounts go out as decimal strings ("1380.00"), rates as
written ("11.500"); in, an amount or a rate may be a string ("10,5") or a JSON number (read as
a Decimal, never a float). A charge carries its computation twice: the stored `detail`
(machine-readable) and `lines`, the same in plain French."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from kpa.sales.schemas import Amount, DecimalIn, amount
from kpa.treasury.contribution import PlannedCharge, describe
from kpa.treasury.models import ContributionBracket, ContributionCharge, ContributionScheme


class BracketIn(Schema):
    lower_bound: DecimalIn = Field(description="À partir de ce montant cumulé sur l'exercice "
                                               "(la première tranche commence à 0).")
    rate: DecimalIn = Field(description="Taux en %, trois décimales au plus.")


class BracketOut(Schema):
    lower_bound: Amount
    rate: str

    @staticmethod
    def resolve_lower_bound(obj: ContributionBracket) -> str:
        return amount(obj.lower_bound)

    @staticmethod
    def resolve_rate(obj: ContributionBracket) -> str:
        return str(obj.rate)


class SchemeIn(Schema):
    name: str = Field(max_length=100)
    base: str = Field("gross_margin", description="gross_margin ou turnover")
    starts_on: dt.date = Field(description="Le 1er d'un mois.")
    ends_on: dt.date | None = Field(None, description="Premier jour sans (le 1er d'un mois).")
    monthly_fee: DecimalIn = "0"
    fee_waived_for_rsa: bool = False
    brackets: list[BracketIn] = Field(max_length=20)


class SchemeOut(Schema):
    id: int
    name: str
    base: str
    base_label: str
    starts_on: dt.date
    ends_on: dt.date | None
    monthly_fee: Amount
    fee_waived_for_rsa: bool
    particular: bool = Field(description="Fait pour des dérogations par activité.")
    brackets: list[BracketOut]

    @staticmethod
    def resolve_base_label(obj: ContributionScheme) -> str:
        return str(obj.get_base_display())

    @staticmethod
    def resolve_monthly_fee(obj: ContributionScheme) -> str:
        return amount(obj.monthly_fee)

    @staticmethod
    def resolve_particular(obj: ContributionScheme) -> bool:
        return bool(getattr(obj, "particular", False))

    @staticmethod
    def resolve_brackets(obj: ContributionScheme) -> list[ContributionBracket]:
        return list(obj.brackets.all())


class ChargeOut(Schema):
    id: int
    month: dt.date
    treasury_account_id: int
    scheme_id: int | None
    base_of_month: Amount
    base_year_to_date: Amount
    contribution: Amount
    fee: Amount
    amount: Amount = Field(description="Pris sur la trésorerie (négatif : rendu).")
    entry: str = Field(description="La référence de l'écriture (vide à zéro).")
    lines: list[str] = Field(description="Le calcul en français, ligne par ligne.")
    detail: list[dict[str, Any]]

    @staticmethod
    def resolve_base_of_month(obj: ContributionCharge) -> str:
        return amount(obj.base_of_month)

    @staticmethod
    def resolve_base_year_to_date(obj: ContributionCharge) -> str:
        return amount(obj.base_year_to_date)

    @staticmethod
    def resolve_contribution(obj: ContributionCharge) -> str:
        return amount(obj.contribution)

    @staticmethod
    def resolve_fee(obj: ContributionCharge) -> str:
        return amount(obj.fee)

    @staticmethod
    def resolve_amount(obj: ContributionCharge) -> str:
        return amount(obj.amount)

    @staticmethod
    def resolve_entry(obj: ContributionCharge) -> str:
        return obj.entry.reference if obj.entry is not None else ""

    @staticmethod
    def resolve_lines(obj: ContributionCharge) -> list[str]:
        return describe(obj.detail)


class RunIn(Schema):
    month: str = Field(description="Le mois fini à compter, AAAA-MM.", examples=["2026-11"])
    dry_run: bool = Field(False, description="Calculer sans rien écrire.")


class PlannedOut(Schema):
    treasury_account_id: int
    treasury_account_code: str
    base_year_to_date: Amount
    contribution: Amount
    fee: Amount
    amount: Amount
    lines: list[str]

    @classmethod
    def of(cls, planned: PlannedCharge) -> PlannedOut:
        computation = planned.computation
        return cls(treasury_account_id=planned.account.pk,
                   treasury_account_code=planned.account.code,
                   base_year_to_date=amount(computation.base_year_to_date),
                   contribution=amount(computation.contribution), fee=amount(computation.fee),
                   amount=amount(computation.amount), lines=planned.lines)


class RunOut(Schema):
    month: dt.date
    dry_run: bool
    counted: int = Field(description="Trésoreries comptées par cet appel (ou à compter).")
    booked: int = Field(description="Écritures passées (ou à passer).")
    already_counted: int = Field(description="Trésoreries déjà comptées ce mois-là, laissées "
                                             "telles quelles.")
    total: Amount
    charges: list[PlannedOut]
