"""Schemas of the contributory budget and exit API. Amounts go out as decimal strings
("1234.50"); in, a string ("12,50") or a JSON number, read as a Decimal (see
`kpa.sales.schemas.DecimalIn`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from kpa.sales.schemas import Amount, DbId, DecimalIn, amount
from kpa.treasury.envelopes import ClosingPlan, Share
from kpa.treasury.exits import ExitPreview
from kpa.treasury.models import Envelope, EnvelopeReward, EnvelopeTask, ExitSettlement

ZERO = Decimal("0.00")


def _hours(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


class AccountRef(Schema):
    id: int
    code: str
    label: str
    kind: str = Field(description="individual, collective, common")


class EnvelopePersonRef(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(getattr(obj, "full_name", ""))


class TaskOut(Schema):
    id: int
    title: str
    grid_amount: Amount = Field(description="La rétribution prévue (mode grid).")

    @staticmethod
    def resolve_grid_amount(obj: EnvelopeTask) -> str:
        return amount(obj.grid_amount)


class RewardOut(Schema):
    id: int
    envelope_id: int
    task_id: int | None = Field(description="Vide : pour toute la mission.")
    person: EnvelopePersonRef
    hours: str | None
    amount: Amount
    note: str
    declared_at: dt.datetime

    @staticmethod
    def resolve_hours(obj: EnvelopeReward) -> str | None:
        return _hours(obj.hours)

    @staticmethod
    def resolve_amount(obj: EnvelopeReward) -> str:
        return amount(obj.amount)


class ShareOut(Schema):
    person: EnvelopePersonRef
    hours: str | None
    amount: Amount = Field(description="Le total de la personne, versé à la clôture.")

    @staticmethod
    def resolve_hours(obj: Share) -> str | None:
        return _hours(obj.hours)

    @staticmethod
    def resolve_amount(obj: Share) -> str:
        return amount(obj.amount)


class EnvelopeOut(Schema):
    id: int
    title: str
    description: str
    status: str = Field(description="open, closed")
    mode: str = Field(description="free (chacun·e fixe sa rétribution), grid (par tâche)")
    source_account: AccountRef
    pot_account: AccountRef = Field(description="Où va le reste à la clôture.")
    source_invoice_id: int | None
    amount: Amount
    hourly_ceiling: Amount = Field(description="Plafond en € de l'heure ; 0 : aucun.")
    declared: Amount = Field(description="La somme des rétributions déclarées.")
    left: Amount = Field(description="Ce qui reste à déclarer.")
    opened_at: dt.datetime
    closed_on: dt.date | None
    closing_entry_id: int | None

    @staticmethod
    def resolve_amount(obj: Envelope) -> str:
        return amount(obj.amount)

    @staticmethod
    def resolve_hourly_ceiling(obj: Envelope) -> str:
        return amount(obj.hourly_ceiling)

    @staticmethod
    def resolve_declared(obj: Envelope) -> str:
        return amount(getattr(obj, "declared", ZERO))

    @staticmethod
    def resolve_left(obj: Envelope) -> str:
        return amount(obj.amount - getattr(obj, "declared", ZERO))


class EnvelopeDetailOut(EnvelopeOut):
    """Read from an envelope carrying its sheet (`envelope_api.with_sheet`)."""

    tasks: list[TaskOut]
    rewards: list[RewardOut] = Field(description="Toutes les rétributions, visibles de tous.")
    shares: list[ShareOut] = Field(description="Le total de chaque personne.")

    @staticmethod
    def resolve_tasks(obj: Any) -> list[EnvelopeTask]:
        return list(obj.sheet.tasks)

    @staticmethod
    def resolve_rewards(obj: Any) -> list[EnvelopeReward]:
        return list(obj.sheet.rewards)

    @staticmethod
    def resolve_shares(obj: Any) -> list[Share]:
        return list(obj.sheet.shares)


class EnvelopeFilters(Schema):
    account: int | None = Field(None, description="Les budgets d'une trésorerie.")
    status: str | None = Field(None, description="open, closed")


class EnvelopeIn(Schema):
    source_account_id: DbId = Field(description="Une trésorerie collective ou la caisse "
                                                "commune d'un KPA.")
    title: str
    description: str = ""
    amount: DecimalIn | None = Field(None, description="Sans montant avec une facture : son "
                                                       "montant HT encore libre.")
    source_invoice_id: DbId | None = None
    mode: str = Field("free", description="free, grid")
    hourly_ceiling: DecimalIn = Field("30.00", description="€ de l'heure ; 0 : aucun.")
    rest_to_common_pot: bool = Field(False, description="Le reste va à la caisse commune du "
                                                        "KPA à la clôture.")


class TaskIn(Schema):
    title: str
    grid_amount: DecimalIn | None = Field(None, description="Obligatoire en mode grid.")


class RewardIn(Schema):
    task_id: DbId | None = None
    amount: DecimalIn | None = Field(None, description="En mode free ; en mode grid, la "
                                                       "rétribution de la tâche.")
    hours: DecimalIn | None = None
    note: str = ""


class RewardPatch(Schema):
    amount: DecimalIn | None = None
    hours: DecimalIn | None = Field(None, description="Remplace les heures déclarées.")
    note: str | None = None


class ClosingOut(Schema):
    shares: list[ShareOut]
    rest: Amount
    rest_to: AccountRef | None = Field(description="Vide : le reste reste sur la trésorerie "
                                                   "qui finance.")

    @staticmethod
    def resolve_rest(obj: ClosingPlan) -> str:
        return amount(obj.rest)


class SettlementOut(Schema):
    kind: str = Field(description="payout (versé à la personne), transfer")
    amount: Amount
    target_account_id: int | None
    settled_on: dt.date
    entry_id: int | None

    @staticmethod
    def resolve_amount(obj: ExitSettlement) -> str:
        return amount(obj.amount)


class ExitOut(Schema):
    """Read from `exits.ExitPreview`."""

    account: AccountRef
    is_active: bool
    balance: Amount = Field(description="Ce qui serait réglé : le disponible.")
    problems: list[str] = Field(description="Ce qui empêche de solder maintenant.")
    settlement: SettlementOut | None

    @staticmethod
    def resolve_is_active(obj: ExitPreview) -> bool:
        return obj.account.is_active

    @staticmethod
    def resolve_balance(obj: ExitPreview) -> str:
        return amount(obj.balance)


class ExitSettleIn(Schema):
    kind: str = Field(description="payout, transfer")
    target_account_id: DbId | None = None
