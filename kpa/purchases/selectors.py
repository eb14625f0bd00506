"""Every read of purchases, scoped to what the user may reach, gathered: expense claims in
`expense_selectors`, suppliers and their invoices in `supplier_selectors`."""

from __future__ import annotations

from kpa.purchases.expense_selectors import (
    claim_in_reach,
    claims_for,
    my_claims,
    queue_for,
)
from kpa.purchases.supplier_selectors import supplier_invoices_for, suppliers_for

__all__ = ["claim_in_reach", "claims_for", "my_claims", "queue_for", "supplier_invoices_for",
           "suppliers_for"]
