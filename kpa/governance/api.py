"""`/api/v1/governance/`: proposals and ballots, meetings, decisions, charter, framework."""

from __future__ import annotations

from ninja import Router

from kpa.governance import (
    charter_api,
    decision_api,
    framework_api,
    meeting_api,
    proposal_api,
)

router = Router(tags=["governance"])
for area in (proposal_api, meeting_api, decision_api, charter_api, framework_api):
    router.add_router("/", area.router)
