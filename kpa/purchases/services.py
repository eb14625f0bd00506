"""Every write of purchases, gathered: expense claims live in `expenses`, suppliers and their
invoices in `suppliers`. Each service is keyword-only, takes the acting user and `today`,
checks its gate, is atomic and audited."""

from __future__ import annotations

from kpa.purchases.expenses import (
    add_line,
    create_claim,
    delete_claim,
    delete_line,
    record_reimbursement,
    reject_claim,
    set_expense_deadlines,
    submit_claim,
    update_line,
    validate_claim,
)
from kpa.purchases.suppliers import (
    create_supplier,
    pay_supplier_invoice,
    post_supplier_invoice,
    update_supplier,
    update_supplier_invoice,
    upload_supplier_invoice,
)

__all__ = [
    "add_line", "create_claim", "create_supplier", "delete_claim", "delete_line",
    "pay_supplier_invoice", "post_supplier_invoice", "record_reimbursement", "reject_claim",
    "set_expense_deadlines", "submit_claim", "update_line", "update_supplier",
    "update_supplier_invoice", "upload_supplier_invoice", "validate_claim",
]
