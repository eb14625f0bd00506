"""The general accounts purchases post to. Every one exists in both charts (PCG and the
associations' ANC 2018-06)."""

from __future__ import annotations

from kpa.purchases.models import ExpenseCategory

ACCOUNT_OF: dict[str, str] = {
    ExpenseCategory.RAW_MATERIALS: "601",
    ExpenseCategory.GOODS: "607",
    ExpenseCategory.SUBCONTRACTING: "604",
    ExpenseCategory.SUPPLIES: "6068",
    ExpenseCategory.TRAVEL: "6251",
    ExpenseCategory.MILEAGE: "6251",
    ExpenseCategory.OTHER: "628",
}
EXPENSE_CLAIMS_DUE = "425"  # Personnel - avances et acomptes: what the structure owes back
SUPPLIERS = "401"
VAT_DEDUCTIBLE = "44566"
