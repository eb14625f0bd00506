"""`/api/v1/purchases/`: expense claims and supplier invoices."""

from __future__ import annotations

from ninja import Router

from kpa.purchases import expense_api, supplier_api

router = Router(tags=["purchases"])
router.add_router("/", expense_api.router)
router.add_router("/", supplier_api.router)
