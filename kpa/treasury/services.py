"""Every write of the treasury, gathered by area (each service is keyword-only, takes the acting
user and `today`, checks its gate, is atomic and audited):

- contribution: `schemes` (schemes, brackets, overrides), `contribution.run_month`;
- pay: `pay` (cut-offs, settings, requests and their review), `payroll` (export, import);
- contributory budgets and exits: `envelopes`, `transfers`, `exits`;
- bank: `bank_import` (statements, CSV layouts), `reconciliation` (match, unmatch, set aside).
"""

from __future__ import annotations

from kpa.treasury.bank_import import import_statement
from kpa.treasury.contribution import run_month
from kpa.treasury.envelopes import (
    add_task,
    close_envelope,
    declare_reward,
    open_envelope,
    update_reward,
    withdraw_reward,
)
from kpa.treasury.exits import settle_exit
from kpa.treasury.pay import (
    cancel_pay_request,
    publish_cutoff,
    refuse_pay_request,
    request_pay,
    transmit_pay_request,
)
from kpa.treasury.payroll import export_month, import_summary
from kpa.treasury.reconciliation import ignore, match, unmatch
from kpa.treasury.schemes import create_override, create_scheme, end_override, update_scheme

__all__ = [
    "add_task", "cancel_pay_request", "close_envelope", "create_override", "create_scheme",
    "declare_reward", "end_override", "export_month", "ignore", "import_statement",
    "import_summary", "match", "open_envelope", "publish_cutoff", "refuse_pay_request",
    "request_pay", "run_month", "settle_exit", "transmit_pay_request", "unmatch",
    "update_reward", "update_scheme", "withdraw_reward",
]
