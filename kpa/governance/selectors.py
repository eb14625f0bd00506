"""Every read of governance starts from what the user may see (`scoping`); the areas' own
reads are gathered here: results in words, the charter's state, the framework, the evidence a
KPA's data gives, delegates, the iCal feed."""

from __future__ import annotations

from kpa.governance.assessment import network_overview, summary
from kpa.governance.ballots import elector_of
from kpa.governance.charter import current_charter, diff_lines, pending_acknowledgements
from kpa.governance.closing import count_results, judgment_tallies
from kpa.governance.delegates import current_delegate
from kpa.governance.eligibility import charter_blocks_vote, eligible_kpas, eligible_persons
from kpa.governance.evidence import suggest_evidence
from kpa.governance.framework import current_version, framework_diff
from kpa.governance.ical import feed_meetings, meeting_calendar
from kpa.governance.results import summarize
from kpa.governance.scoping import (
    assessments_visible_to,
    charter_versions_visible_to,
    decisions_visible_to,
    framework_versions_visible_to,
    governed_kpas,
    meetings_visible_to,
    networks_of,
    proposals_visible_to,
)

__all__ = [
    "assessments_visible_to", "charter_blocks_vote", "charter_versions_visible_to",
    "count_results", "current_charter", "current_delegate", "current_version",
    "decisions_visible_to", "diff_lines", "elector_of", "eligible_kpas", "eligible_persons",
    "feed_meetings", "framework_diff", "framework_versions_visible_to", "governed_kpas",
    "judgment_tallies", "meeting_calendar", "meetings_visible_to", "network_overview",
    "networks_of", "pending_acknowledgements", "proposals_visible_to", "suggest_evidence",
    "summarize", "summary",
]
