"""Internal transfers between the treasury accounts of one structure.

Money moving from one treasury to another never leaves the bank: one OD entry debits 580
("Virements internes") on each receiving treasury account and credits 580 on the giving one,
so 580 nets to zero in the general ledger while each account's `transfers` figure shows the
move. No gate here: the calling service (an envelope being closed, an exit being settled)
holds its own and its own audit event; this checks the money.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpa.core.auth import AnyUser
from kpa.core.money import format_money, quantize
from kpa.ledger.models import Entry, Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.treasury import balances

ZERO = Decimal("0.00")
INTERNAL_TRANSFERS = balances.INTERNAL_TRANSFERS


@dataclass(frozen=True)
class Move:
    """`amount` going to `target`; `label` names it on the target's line."""

    target: TreasuryAccount
    amount: Decimal
    label: str = ""


def available_of(account: TreasuryAccount, *, today: dt.date) -> Decimal:
    return balances.figures_of(account.pk, account.structure, today=today).available


def lock(account: TreasuryAccount) -> TreasuryAccount:
    """Serialise what is taken from an account: two transfers at once never both pass the
    available check."""
    return (TreasuryAccount.objects.select_for_update(of=("self",))
            .select_related("structure").get(pk=account.pk))


@transaction.atomic
def post_moves(*, actor: AnyUser, source: TreasuryAccount, moves: Sequence[Move], label: str,
               today: dt.date, source_ref: str = "", also_available: Decimal = ZERO,
               origin: str = "treasury.transfer") -> Entry:
    """One OD entry moving each amount from `source` to its target (dated `today`). Refused
    when the total exceeds what `source` has available, plus `also_available` (what the
    caller releases at the same time, such as the envelope being closed)."""
    source = lock(source)
    if not moves:
        raise ValidationError(_("Rien à transférer."))
    if not source.is_active:
        raise ValidationError(_("La trésorerie « %(account)s » est fermée : on n'en transfère "
                                "plus rien.") % {"account": source.label})
    for move in moves:
        if move.amount <= 0 or move.amount != quantize(move.amount):
            raise ValidationError({"amount": _(
                "Un transfert est un montant positif, au centime près.")})
        if move.target.pk == source.pk:
            raise ValidationError({"target": _(
                "Une trésorerie ne se transfère pas à elle-même : choisissez une autre "
                "trésorerie.")})
        if move.target.structure_id != source.structure_id:
            raise ValidationError({"target": _(
                "« %(account)s » est dans les comptes d'une autre structure : un transfert "
                "interne reste dans une même structure.") % {"account": move.target.label}})
        if not move.target.is_active:
            raise ValidationError({"target": _(
                "La trésorerie « %(account)s » est fermée : elle ne reçoit plus rien.")
                % {"account": move.target.label}})
    total = sum((move.amount for move in moves), ZERO)
    room = available_of(source, today=today) + also_available
    if total > room:
        raise ValidationError({"amount": _(
            "« %(account)s » n'a que %(room)s € disponibles : on ne peut pas en transférer "
            "%(total)s €.") % {"account": source.label, "room": format_money(max(room, ZERO)),
                                "total": format_money(total)}})
    lines: list[LineInput] = []
    for move in moves:
        line_label = (move.label or label)[:200]
        lines.append(LineInput(INTERNAL_TRANSFERS, debit=move.amount, label=line_label,
                               treasury_account=move.target))
        lines.append(LineInput(INTERNAL_TRANSFERS, credit=move.amount, label=line_label,
                               treasury_account=source))
    journal = Journal.objects.get(structure_id=source.structure_id, code="OD")
    return post_entry(actor=actor, structure=source.structure, journal=journal, date=today,
                      label=label, lines=lines, piece_ref=source_ref, source=origin,
                      validate=True, today=today)


def post_transfer(*, actor: AnyUser, source: TreasuryAccount, target: TreasuryAccount,
                  amount: Decimal, label: str, today: dt.date, source_ref: str = "",
                  also_available: Decimal = ZERO,
                  origin: str = "treasury.transfer") -> Entry:
    """Move `amount` from `source` to `target` (D 580 on target / C 580 on source)."""
    return post_moves(actor=actor, source=source, moves=[Move(target, amount)], label=label,
                      today=today, source_ref=source_ref, also_available=also_available,
                      origin=origin)
