"""The only gates of the treasury. Who may do what:

- an individual treasury: its coopérant, the staff of its KPA (référent, animateur,
  accompagnateur) and the structure's gestionnaire and comptable see it; nobody else (404);
- a collective activity's treasury: its current members, its KPA's staff and the structure;
- a KPA's common pot: every member of that KPA and the structure;
- the overview of all accounts: the structure's gestionnaire and comptable (all its KPAs), a
  KPA's staff (that KPA's accounts only);
- contribution schemes: set by the gestionnaire; the monthly run by the gestionnaire or the
  comptable;
- pay: a coopérant asks from their own individual treasury; the KPA's référent or animateur
  (or the gestionnaire) reviews and transmits; the gestionnaire publishes cut-offs, exports the
  month and imports the payroll;
- envelopes: the members of the funding collective (or of the KPA, for its pot) and the KPA's
  staff open them, see them and declare their rewards; the KPA's référent or animateur or the
  gestionnaire closes them;
- an exit's balance and the bank: the structure's gestionnaire (and comptable for the bank).
"""

from __future__ import annotations

import datetime as dt

from kpa.core.auth import AnyUser
from kpa.directory.models import ActivityMembership, Kpa, Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.models import TreasuryAccount


def manages_structure(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.managed_structures


def keeps_books_of(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    """Gestionnaire or comptable of the structure (or administrator)."""
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.structures


def is_staff_of(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> bool:
    return kpa_id is not None and kpa_id in reach_of(user, today).staff_kpas


def leads_kpa(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> bool:
    """Référent or animateur of the KPA: they review pay requests and close envelopes."""
    return kpa_id is not None and kpa_id in reach_of(user, today).inviter_kpas


def account_kpa_id(account: TreasuryAccount) -> int | None:
    if account.kpa_id is not None:
        return account.kpa_id
    return account.activity.kpa_id if account.activity is not None else None


def is_account_member(user: AnyUser, account: TreasuryAccount, *, today: dt.date) -> bool:
    """The coopérant of an individual account, a current member of a collective one, a member
    of the KPA for its common pot."""
    reach = reach_of(user, today)
    if reach.person_id is None:
        return False
    if account.kind == TreasuryAccount.Kind.INDIVIDUAL:
        return account.person_id == reach.person_id
    if account.kind == TreasuryAccount.Kind.COLLECTIVE:
        return account.activity_id is not None and ActivityMembership.objects.current(
            today).filter(activity_id=account.activity_id, person_id=reach.person_id).exists()
    return account.kpa_id is not None and account.kpa_id in reach.member_kpas


def can_view_account(user: AnyUser, account: TreasuryAccount, *, today: dt.date) -> bool:
    return (is_account_member(user, account, today=today)
            or is_staff_of(user, account_kpa_id(account), today=today)
            or keeps_books_of(user, account.structure_id, today=today))


def can_view_structure_overview(user: AnyUser, structure: Structure, *,
                                today: dt.date) -> bool:
    return keeps_books_of(user, structure.pk, today=today)


def can_view_kpa_overview(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return is_staff_of(user, kpa.pk, today=today) or (
        kpa.carrying_structure_id is not None
        and keeps_books_of(user, kpa.carrying_structure_id, today=today))


def can_manage_contribution(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_run_contribution(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return keeps_books_of(user, structure.pk, today=today)


def can_request_pay(user: AnyUser, account: TreasuryAccount, *, today: dt.date) -> bool:
    return (account.kind == TreasuryAccount.Kind.INDIVIDUAL and account.is_active
            and account.person_id is not None
            and account.person_id == reach_of(user, today).person_id)


def can_review_pay_request(user: AnyUser, account: TreasuryAccount, *,
                           today: dt.date) -> bool:
    return (leads_kpa(user, account_kpa_id(account), today=today)
            or manages_structure(user, account.structure_id, today=today))


def can_process_payroll(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return manages_structure(user, structure.pk, today=today)


def can_open_envelope(user: AnyUser, source: TreasuryAccount, *, today: dt.date) -> bool:
    if source.kind == TreasuryAccount.Kind.INDIVIDUAL:
        return False
    return (is_account_member(user, source, today=today)
            or is_staff_of(user, account_kpa_id(source), today=today)
            or manages_structure(user, source.structure_id, today=today))


def can_view_envelope(user: AnyUser, source: TreasuryAccount, *, today: dt.date) -> bool:
    return (can_open_envelope(user, source, today=today)
            or keeps_books_of(user, source.structure_id, today=today))


def can_declare_reward(user: AnyUser, source: TreasuryAccount, *, today: dt.date) -> bool:
    """Every member who sees the envelope may declare what they did (staff too: animating
    the collective is contributory work)."""
    return reach_of(user, today).person_id is not None and can_open_envelope(
        user, source, today=today)


def can_close_envelope(user: AnyUser, source: TreasuryAccount, *, today: dt.date) -> bool:
    return (leads_kpa(user, account_kpa_id(source), today=today)
            or manages_structure(user, source.structure_id, today=today))


def can_settle_exit(user: AnyUser, account: TreasuryAccount, *, today: dt.date) -> bool:
    return manages_structure(user, account.structure_id, today=today)


def can_reconcile_bank(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return keeps_books_of(user, structure.pk, today=today)
