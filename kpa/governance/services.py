"""Every write of governance, gathered by area (each service is keyword-only, takes the acting
user and `now` or `today`, checks its gate in `permissions`, is atomic and audited):

- proposals: `proposals` (create, amend, open, approve, cancel, advance a consent round),
  `ballots` (votes, a KPA's one vote, proxies, objections, comments, attachments), `closing`
  (results at closing), `reminders` (the day before closing), `register` (decisions,
  ratification, review dates);
- meetings: `meetings`, `ical` (the personal feed's secret address);
- the charter and autonomy: `charter`, `autonomy`;
- the network: `framework`, `assessment`, `delegates`.
"""

from __future__ import annotations

from kpa.governance.assessment import answer_criterion, start_assessment
from kpa.governance.autonomy import change_autonomy, propose_autonomy_change
from kpa.governance.ballots import (
    add_attachment,
    add_comment,
    cast_kpa_vote,
    cast_vote,
    give_proxy,
    integrate_objection,
    raise_objection,
    revoke_proxy,
    withdraw_objection,
)
from kpa.governance.charter import (
    acknowledge_charter,
    adopt_charter_version,
    draft_charter_version,
    edit_charter_draft,
    propose_charter_version,
    set_charter_policy,
)
from kpa.governance.closing import close_due, close_proposal, ensure_closed
from kpa.governance.delegates import designate_delegate
from kpa.governance.framework import (
    add_criterion,
    adopt_framework_version,
    draft_framework_amendment,
    edit_criterion,
    install_framework,
    remove_criterion,
    rename_pillar,
)
from kpa.governance.ical import reset_feed
from kpa.governance.meetings import (
    cancel_meeting,
    plan_meeting,
    publish_minutes,
    record_attendance,
    record_show_of_hands,
    update_meeting,
)
from kpa.governance.proposals import (
    advance_phase,
    amend_proposal,
    approve_opening,
    cancel_proposal,
    create_proposal,
    open_proposal,
    start_due,
)
from kpa.governance.register import (
    ratify_decision,
    record_decision,
    send_review_reminders,
    set_review,
)
from kpa.governance.reminders import send_closing_reminders

__all__ = [
    "acknowledge_charter", "add_attachment", "add_comment", "add_criterion",
    "adopt_charter_version", "adopt_framework_version", "advance_phase", "amend_proposal",
    "answer_criterion", "approve_opening", "cancel_meeting", "cancel_proposal", "cast_kpa_vote",
    "cast_vote", "change_autonomy", "close_due", "close_proposal", "create_proposal",
    "designate_delegate", "draft_charter_version", "draft_framework_amendment",
    "edit_charter_draft", "edit_criterion", "ensure_closed", "give_proxy", "install_framework",
    "integrate_objection", "open_proposal", "plan_meeting", "propose_autonomy_change",
    "propose_charter_version", "publish_minutes", "raise_objection", "ratify_decision",
    "record_attendance", "record_decision", "record_show_of_hands", "remove_criterion",
    "rename_pillar", "reset_feed", "revoke_proxy", "send_closing_reminders",
    "send_review_reminders", "set_charter_policy",
    "set_review", "start_assessment", "start_due", "update_meeting", "withdraw_objection",
]
