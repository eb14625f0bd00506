"""Lettering: services that match customer and supplier lines that settle each other.

A lettering code groups validated lines of one account and one third party whose debits equal
their credits (an invoice and its payments). The code and its date are the only things a
validated line may ever change.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money
from kpa.ledger import permissions
from kpa.ledger.models import ZERO, Account, EntryLine, FiscalYear
from kpa.ledger.services import require

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def code_after(code: str) -> str:
    """A, B … Z, AA, AB … ZZ, AAA: the sequence accountants write by hand."""
    if not code:
        return "A"
    chars = list(code)
    for i in range(len(chars) - 1, -1, -1):
        if chars[i] != "Z":
            chars[i] = LETTERS[LETTERS.index(chars[i]) + 1]
            return "".join(chars[: i + 1]) + "A" * (len(chars) - i - 1)
    return "A" * (len(code) + 1)


def _last_code(account: Account) -> str:
    codes = EntryLine.objects.filter(account=account).exclude(lettering_code="").values_list(
        "lettering_code", flat=True).distinct()
    return max(codes, key=lambda c: (len(c), c), default="")


def _letter(lines: Sequence[EntryLine], *, today: dt.date, code: str) -> None:
    EntryLine.objects.filter(pk__in=[ln.pk for ln in lines]).update(
        lettering_code=code, lettered_on=today)


def _check_group(lines: Sequence[EntryLine]) -> None:
    if len(lines) < 2:
        raise ValidationError(_("Choisissez au moins deux lignes à lettrer."))
    if len({(ln.account_id, ln.third_party_id) for ln in lines}) != 1:
        raise ValidationError(_("On ne lettre ensemble que des lignes d'un même compte et d'un "
                                "même tiers."))
    if len({ln.fiscal_year_id for ln in lines}) != 1:
        # What a closed year leaves open is carried by the à-nouveaux: letter against those.
        raise ValidationError(_("On ne lettre ensemble que des lignes d'un même exercice ; "
                                "lettrez avec la ligne d'à-nouveaux."))
    if any(not ln.validated for ln in lines):
        raise ValidationError(_("Seules les lignes d'écritures validées se lettrent."))
    if any(ln.lettering_code for ln in lines):
        raise ValidationError(_("Une de ces lignes est déjà lettrée ; délettrez-la d'abord."))
    debit = sum((ln.debit for ln in lines), ZERO)
    credit = sum((ln.credit for ln in lines), ZERO)
    if debit != credit:
        raise ValidationError(_(
            "Ces lignes ne se soldent pas : débit %(d)s, crédit %(c)s (écart %(gap)s)."
        ) % {"d": format_money(debit), "c": format_money(credit),
             "gap": format_money(debit - credit)})


def letter_settled(*, actor: AnyUser, lines: Sequence[EntryLine], today: dt.date) -> str:
    """For other apps' services (a paid invoice letters its lines): the rules of
    `letter_lines` without its gate, which the calling service holds."""
    if not lines:
        raise ValidationError(_("Choisissez au moins deux lignes à lettrer."))
    account = lines[0].account
    locked = list(EntryLine.objects.select_for_update().filter(pk__in=[ln.pk for ln in lines]))
    _check_group(locked)
    code = code_after(_last_code(account))
    _letter(locked, today=today, code=code)
    audit.record(actor=actor, action="ledger.lettering.created", target=account,
                 data={"code": code, "lines": [ln.pk for ln in locked]})
    return code


@transaction.atomic
def letter_lines(*, actor: AnyUser, lines: Sequence[EntryLine], today: dt.date) -> str:
    require(permissions.can_keep_books(actor, lines[0].account.structure, today=today)
            if lines else True)
    return letter_settled(actor=actor, lines=lines, today=today)


@transaction.atomic
def unletter(*, actor: AnyUser, account: Account, code: str, today: dt.date) -> int:
    require(permissions.can_keep_books(actor, account.structure, today=today))
    count = EntryLine.objects.filter(account=account, lettering_code=code).update(
        lettering_code="", lettered_on=None)
    if not count:
        raise ValidationError(_("Aucune ligne ne porte le lettrage %(code)s.") % {"code": code})
    audit.record(actor=actor, action="ledger.lettering.removed", target=account,
                 data={"code": code, "lines": count})
    return count


@transaction.atomic
def letter_by_reference(*, actor: AnyUser, account: Account, year: FiscalYear,
                        today: dt.date) -> list[str]:
    """Letter every group of open lines of the year sharing a third party and a document
    reference whose debits equal their credits — an invoice and the payments that name it."""
    require(permissions.can_keep_books(actor, account.structure, today=today))
    open_lines = EntryLine.objects.select_for_update().filter(
        account=account, fiscal_year=year, validated=True, lettering_code="",
    ).exclude(entry__piece_ref="").select_related("entry").order_by("pk")
    groups: dict[tuple[int | None, str], list[EntryLine]] = defaultdict(list)
    for line in open_lines:
        groups[(line.third_party_id, line.entry.piece_ref)].append(line)
    codes: list[str] = []
    last = _last_code(account)
    for group in groups.values():
        total: Decimal = sum((ln.debit - ln.credit for ln in group), ZERO)
        if len(group) < 2 or total != 0:
            continue
        last = code_after(last)
        _letter(group, today=today, code=last)
        codes.append(last)
    if codes:
        audit.record(actor=actor, action="ledger.lettering.created", target=account,
                     data={"codes": codes, "by": "reference"})
    return codes
