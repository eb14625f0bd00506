"""The only gates of purchases. Who may do what:

- a current member of an activity drafts and submits their own expense claims for it, and
  uploads a supplier invoice for it; they see their own claims and their activity's supplier
  invoices;
- the carrying structure's gestionnaire validates or rejects submitted claims, posts supplier
  invoices, records reimbursements and payments, sets the expense deadlines, and sees
  everything of the structure;
- the structure's comptable sees everything and records reimbursements and payments;
- nobody else reaches a claim (404): a claim and its receipts are personal.
"""

from __future__ import annotations

import datetime as dt

from kpa.core.auth import AnyUser
from kpa.directory.models import Activity, ActivityMembership, Structure
from kpa.directory.permissions import reach_of
from kpa.purchases.models import ExpenseClaim, SupplierInvoice


def is_current_member(user: AnyUser, activity: Activity, *, today: dt.date) -> bool:
    person_id = reach_of(user, today).person_id
    return person_id is not None and ActivityMembership.objects.current(today).filter(
        person_id=person_id, activity=activity).exists()


def manages_structure(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.managed_structures


def keeps_books_of(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    """Gestionnaire or comptable of the structure (or administrator)."""
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.structures


def can_claim_expenses_for(user: AnyUser, activity: Activity, *, today: dt.date) -> bool:
    return is_current_member(user, activity, today=today)


def can_view_claim(user: AnyUser, claim: ExpenseClaim, *, today: dt.date) -> bool:
    return (claim.person_id == reach_of(user, today).person_id
            or keeps_books_of(user, claim.structure_id, today=today))


def can_edit_claim(user: AnyUser, claim: ExpenseClaim, *, today: dt.date) -> bool:
    """Its author, while it is a draft."""
    return claim.is_editable and claim.person_id == reach_of(user, today).person_id


def can_decide_claim(user: AnyUser, claim: ExpenseClaim, *, today: dt.date) -> bool:
    return manages_structure(user, claim.structure_id, today=today)


def can_record_reimbursement(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return keeps_books_of(user, structure.pk, today=today)


def can_configure_purchases(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_upload_supplier_invoice(user: AnyUser, structure: Structure, *,
                                activity: Activity | None, today: dt.date) -> bool:
    if activity is not None and is_current_member(user, activity, today=today):
        return activity.structure_id == structure.pk
    return keeps_books_of(user, structure.pk, today=today)


def can_view_supplier_invoice(user: AnyUser, invoice: SupplierInvoice, *,
                              today: dt.date) -> bool:
    if keeps_books_of(user, invoice.structure_id, today=today):
        return True
    return invoice.activity is not None and is_current_member(user, invoice.activity,
                                                              today=today)


def can_post_supplier_invoice(user: AnyUser, invoice: SupplierInvoice, *,
                              today: dt.date) -> bool:
    return manages_structure(user, invoice.structure_id, today=today)


def can_pay_supplier_invoice(user: AnyUser, invoice: SupplierInvoice, *,
                             today: dt.date) -> bool:
    return keeps_books_of(user, invoice.structure_id, today=today)
