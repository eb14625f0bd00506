"""Schemas of the expense-claim API. Amounts go out as decimal strings ("1234.50"); in, the
multipart form of a line carries text ("12,50" or "12.50"), which the services parse and judge
in French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from kpa.purchases.models import ExpenseClaim, ExpenseLine


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class ExpenseRef(Schema):
    id: int
    name: str


class ExpenseLineOut(Schema):
    id: int
    spent_on: dt.date
    category: str = Field(description="raw_materials, goods, subcontracting, supplies, travel, "
                                      "mileage, other")
    category_label: str
    description: str
    amount_incl_vat: str
    recoverable_vat: str
    amount_excl_vat: str
    distance_km: str | None = Field(description="Kilomètres (ligne de kilomètres seulement).")
    fiscal_horsepower: int | None
    electric: bool
    receipt_type: str = Field(description="Vide sans justificatif ; sinon application/pdf, "
                                          "image/jpeg, image/png ou image/webp.")
    receipt_sha256: str

    @staticmethod
    def resolve_category_label(obj: ExpenseLine) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_amount_incl_vat(obj: ExpenseLine) -> str:
        return _amount(obj.amount_incl_vat)

    @staticmethod
    def resolve_recoverable_vat(obj: ExpenseLine) -> str:
        return _amount(obj.recoverable_vat)

    @staticmethod
    def resolve_amount_excl_vat(obj: ExpenseLine) -> str:
        return _amount(obj.amount_excl_vat)

    @staticmethod
    def resolve_distance_km(obj: ExpenseLine) -> str | None:
        return None if obj.distance_km is None else f"{obj.distance_km:.1f}"


class ExpenseClaimOut(Schema):
    id: int
    piece_ref: str = Field(description="La pièce des écritures : NF-<id>.")
    structure: ExpenseRef
    person: ExpenseRef
    activity: ExpenseRef
    month: dt.date = Field(description="Le premier jour du mois.")
    status: str = Field(description="draft, submitted, validated, paid, rejected")
    status_label: str
    note: str
    total_incl_vat: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    rejection_reason: str
    entry_id: int | None = Field(description="L'écriture de validation (OD).")
    paid_on: dt.date | None
    payment_entry_id: int | None = Field(description="L'écriture du remboursement (BQ1).")

    @staticmethod
    def resolve_piece_ref(obj: ExpenseClaim) -> str:
        return f"NF-{obj.pk}"

    @staticmethod
    def resolve_person(obj: ExpenseClaim) -> dict[str, object]:
        return {"id": obj.person_id, "name": str(obj.person)}

    @staticmethod
    def resolve_status_label(obj: ExpenseClaim) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_total_incl_vat(obj: ExpenseClaim) -> str:
        total = getattr(obj, "total", None)
        if total is None:
            total = sum((line.amount_incl_vat for line in obj.lines.all()), Decimal(0))
        return _amount(total)


class ExpenseClaimDetailOut(ExpenseClaimOut):
    lines: list[ExpenseLineOut]

    @staticmethod
    def resolve_lines(obj: ExpenseClaim) -> list[ExpenseLine]:
        return list(obj.lines.all())


class ExpenseClaimFilters(Schema):
    status: str | None = Field(None, description="draft, submitted, validated, paid, rejected")
    mine: bool = Field(False, description="Seulement mes propres notes de frais.")


class ExpenseClaimIn(Schema):
    activity_id: int = Field(ge=1, le=2**63 - 1)
    month: dt.date = Field(description="Un jour du mois (le premier est retenu).")
    note: str = ""


class ExpenseLineIn(Schema):
    """The fields of a line, sent as multipart form fields beside the `receipt` file."""

    spent_on: dt.date
    category: str = Field(description="raw_materials, goods, subcontracting, supplies, travel, "
                                      "mileage, other")
    description: str
    amount_incl_vat: str | None = Field(None, description="Montant TTC (sauf kilomètres).")
    recoverable_vat: str = Field("0", description="Dont TVA récupérable ; 0 en franchise.")
    distance_km: str | None = Field(None, description="Kilomètres (catégorie mileage).")
    fiscal_horsepower: int | None = Field(None, ge=1, le=99,
                                          description="Puissance fiscale (catégorie mileage).")
    electric: bool = False


class RejectIn(Schema):
    reason: str


class ReimburseIn(Schema):
    paid_on: dt.date
