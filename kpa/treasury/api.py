"""`/api/v1/treasury/`: statements, contribution, pay, envelopes, bank."""

from __future__ import annotations

from ninja import Router

from kpa.treasury import bank_api, contribution_api, envelope_api, pay_api, statement_api

router = Router(tags=["treasury"])
for area in (statement_api, contribution_api, pay_api, envelope_api, bank_api):
    router.add_router("/", area.router)
