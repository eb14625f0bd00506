"""Schemas of the pay API. Amounts go out as decimal strings ("812.40"); in, an amount may be a
string ("812,40") or a JSON number (read as a Decimal, never a float)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from kpa.sales.schemas import Amount, DecimalIn, amount
from kpa.treasury.models import PayRequest, PayrollImport, PayrollLine, PaySettings
from kpa.treasury.pay import Allowance


class AllowanceOut(Schema):
    account_id: int
    account_code: str
    structure_id: int
    month: dt.date = Field(description="Le mois de paie d'une demande faite aujourd'hui.")
    cutoff_on: dt.date = Field(description="Dernier jour pour demander (inclus).")
    available: Amount
    max_net: Amount = Field(description="Le plus grand net dont le coût estimé tient dans "
                                        "le disponible.")
    current_request_id: int | None

    @staticmethod
    def from_allowance(allowance: Allowance) -> AllowanceOut:
        return AllowanceOut(
            account_id=allowance.account.pk, account_code=allowance.account.code,
            structure_id=allowance.account.structure_id, month=allowance.month,
            cutoff_on=allowance.cutoff_on, available=amount(allowance.available),
            max_net=amount(allowance.max_net),
            current_request_id=allowance.current.pk if allowance.current else None)


class PayRequestIn(Schema):
    net_amount: DecimalIn
    note: str = ""
    month: dt.date | None = Field(None, description="Facultatif : le mois de paie en cours "
                                                    "(après la date limite, le suivant).")
    account_id: int | None = Field(None, description="Facultatif : votre trésorerie "
                                                     "individuelle (la première sinon).")


class RefuseIn(Schema):
    reason: str


class MonthIn(Schema):
    month: dt.date = Field(description="N'importe quel jour du mois de paie.")


class CutoffIn(Schema):
    month: dt.date
    cutoff_on: dt.date


class CutoffOut(Schema):
    structure_id: int
    month: dt.date
    cutoff_on: dt.date


class PaySettingsIn(Schema):
    cutoff_day: int = Field(description="Jour limite des demandes, de 1 à 28.")
    employee_rate: DecimalIn = Field(description="Cotisations salariales en % du brut, de 0 "
                                                 "à moins de 100, trois décimales au plus.")
    employer_rate: DecimalIn = Field(description="Cotisations patronales en % du brut, de 0 "
                                                 "à 200, trois décimales au plus.")
    reminder_days: int = Field(description="Rappel aux coopérant·es, de 0 à 20 jours avant "
                                           "la date limite.")


class PaySettingsOut(Schema):
    structure_id: int
    cutoff_day: int
    employee_rate: str = Field(description="En % du brut, trois décimales (« 22.000 »).")
    employer_rate: str = Field(description="En % du brut, trois décimales (« 30.000 »).")
    reminder_days: int
    defaults: bool = Field(description="Vrai tant que la structure n'a rien réglé : ce sont "
                                       "les valeurs par défaut.")

    @staticmethod
    def from_settings(settings: PaySettings) -> PaySettingsOut:
        return PaySettingsOut(
            structure_id=settings.structure_id, cutoff_day=settings.cutoff_day,
            employee_rate=f"{settings.employee_rate:.3f}",
            employer_rate=f"{settings.employer_rate:.3f}",
            reminder_days=settings.reminder_days, defaults=settings.pk is None)


class PayRequestOut(Schema):
    id: int
    structure_id: int
    treasury_account_id: int
    person_id: int
    person_name: str
    month: dt.date
    net_amount: Amount
    estimated_gross: Amount
    estimated_cost: Amount
    status: str = Field(description="requested, transmitted, exported, booked, refused, "
                                    "cancelled")
    status_label: str
    note: str
    refusal_reason: str
    created_at: dt.datetime
    reviewed_at: dt.datetime | None

    @staticmethod
    def resolve_person_name(obj: PayRequest) -> str:
        return obj.person.full_name

    @staticmethod
    def resolve_status_label(obj: PayRequest) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_net_amount(obj: PayRequest) -> str:
        return amount(obj.net_amount)

    @staticmethod
    def resolve_estimated_gross(obj: PayRequest) -> str:
        return amount(obj.estimated_gross)

    @staticmethod
    def resolve_estimated_cost(obj: PayRequest) -> str:
        return amount(obj.estimated_cost)


class PayRequestFilters(Schema):
    status: str | None = None
    month: dt.date | None = Field(None, description="N'importe quel jour du mois.")
    mine: bool = Field(False, description="Seulement mes demandes.")


class PayrollLineOut(Schema):
    person_id: int
    treasury_account_id: int
    gross: Amount
    net: Amount
    employer_cost: Amount
    pay_request_id: int | None
    entry_id: int

    @staticmethod
    def resolve_gross(obj: PayrollLine) -> str:
        return amount(obj.gross)

    @staticmethod
    def resolve_net(obj: PayrollLine) -> str:
        return amount(obj.net)

    @staticmethod
    def resolve_employer_cost(obj: PayrollLine) -> str:
        return amount(obj.employer_cost)


class PayrollImportOut(Schema):
    id: int
    structure_id: int
    month: dt.date
    file_name: str
    sha256: str
    imported_at: dt.datetime
    lines: list[PayrollLineOut]

    @staticmethod
    def resolve_lines(obj: PayrollImport) -> list[PayrollLine]:
        return list(obj.lines.all())
