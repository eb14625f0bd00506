"""Closing a fiscal year and allocating its result: services, as in `services.py`.

Closing writes no entry in the closed year (the FEC must not hold entries that zero classes 6
and 7 into 12): the result is computed, the next year receives the à-nouveaux — every balance
sheet account's balance per third party and treasury account, and the result on 120 or 129
pending allocation — and the year is locked. Reopening is not offered: a closed year is
intangible (BOI-BIC-DECLA-30-10-20-40); corrections go into the open year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, quantize
from kpa.ledger import charts, permissions
from kpa.ledger.models import (
    ZERO,
    Account,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    ThirdParty,
    TreasuryAccount,
)
from kpa.ledger.services import (
    LineInput,
    append_fiscal_year,
    next_year_bounds,
    post_entry,
    require,
)

HALF_CENT = Decimal("0.005")


@dataclass(frozen=True)
class ClosingCheck:
    label: str
    passed: bool
    detail: str = ""


def _net_credit(year: FiscalYear, accounts: Q) -> Decimal:
    totals = EntryLine.objects.filter(accounts, fiscal_year=year, validated=True).aggregate(
        debit=Sum("debit"), credit=Sum("credit"))
    return quantize((totals["credit"] or ZERO) - (totals["debit"] or ZERO))


def year_result(year: FiscalYear) -> Decimal:
    """Σ class 7 - Σ class 6 over the year's validated lines: positive is a surplus."""
    return _net_credit(year, Q(account__number__startswith="6")
                       | Q(account__number__startswith="7"))


def opening_piece_ref(year_name: int) -> str:
    """The piece of a year's à-nouveaux entry: settlements of carried balances name it."""
    return f"AN{year_name}"


def closing_checks(year: FiscalYear, *, today: dt.date) -> list[ClosingCheck]:
    """What the wizard shows before closing; closing refuses unless every check passed."""
    previous = FiscalYear.objects.filter(structure_id=year.structure_id,
                                         ends_on__lte=year.starts_on).order_by("-starts_on").first()
    drafts = Entry.objects.filter(fiscal_year=year, status=Entry.Status.DRAFT).count()
    totals = EntryLine.objects.filter(fiscal_year=year, validated=True).aggregate(
        debit=Sum("debit"), credit=Sum("credit"))
    debit, credit = quantize(totals["debit"] or ZERO), quantize(totals["credit"] or ZERO)
    # A half-cent tolerance, because SQLite sums decimals as floats; PostgreSQL is exact.
    unbalanced = (
        EntryLine.objects.filter(fiscal_year=year, validated=True).order_by().values("entry_id")
        .annotate(gap=Sum("debit") - Sum("credit"))
        .filter(Q(gap__gte=HALF_CENT) | Q(gap__lte=-HALF_CENT)).count()
    )
    return [
        ClosingCheck(_("L'exercice est ouvert"), year.is_open),
        ClosingCheck(
            _("L'exercice est terminé"), today > year.last_day,
            _("Il se termine le %(day)s.") % {"day": year.last_day.strftime("%d/%m/%Y")},
        ),
        ClosingCheck(
            _("L'exercice précédent est clôturé"),
            previous is None or not previous.is_open,
        ),
        ClosingCheck(
            _("Aucun brouillon ne reste"), drafts == 0,
            _("%(n)d brouillon(s) à valider ou supprimer.") % {"n": drafts} if drafts else "",
        ),
        ClosingCheck(
            _("Chaque écriture est équilibrée"), unbalanced == 0,
            _("%(n)d écriture(s) déséquilibrée(s).") % {"n": unbalanced} if unbalanced else "",
        ),
        ClosingCheck(
            _("Le total des débits égale le total des crédits"), debit == credit,
            _("Débit %(d)s, crédit %(c)s.") % {"d": format_money(debit),
                                              "c": format_money(credit)},
        ),
    ]


def _opening_lines(year: FiscalYear, result: Decimal) -> list[LineInput]:
    """Balance sheet balances per account, third party and treasury account, then the result."""
    rows = (
        EntryLine.objects.filter(fiscal_year=year, validated=True)
        .filter(account__number__regex=r"^[1-5]")
        .values("account_id", "third_party_id", "treasury_account_id")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account__number", "third_party_id", "treasury_account_id")
    )
    accounts = Account.objects.in_bulk({r["account_id"] for r in rows})
    third_parties = ThirdParty.objects.in_bulk({r["third_party_id"] for r in rows} - {None})
    treasuries = TreasuryAccount.objects.in_bulk(
        {r["treasury_account_id"] for r in rows} - {None})
    lines: list[LineInput] = []
    for row in rows:
        balance = quantize(row["debit"] - row["credit"])
        if balance == 0:
            continue
        lines.append(LineInput(
            account=accounts[row["account_id"]],
            debit=balance if balance > 0 else ZERO,
            credit=-balance if balance < 0 else ZERO,
            third_party=third_parties.get(row["third_party_id"]),
            treasury_account=treasuries.get(row["treasury_account_id"]),
        ))
    if result:
        number = charts.RESULT_PROFIT if result > 0 else charts.RESULT_LOSS
        account = Account.objects.get(structure_id=year.structure_id, number=number)
        lines.append(LineInput(
            account=account,
            debit=-result if result < 0 else ZERO, credit=result if result > 0 else ZERO,
            label=_("Résultat de l'exercice %(year)s en instance d'affectation")
            % {"year": year.name},
        ))
    return lines


@transaction.atomic
def close_fiscal_year(*, actor: AnyUser, year: FiscalYear, today: dt.date) -> FiscalYear:
    structure = year.structure
    require(permissions.can_close_fiscal_year(actor, structure, today=today))
    year = FiscalYear.objects.select_for_update().get(pk=year.pk)
    failed = [c for c in closing_checks(year, today=today) if not c.passed]
    if failed:
        raise ValidationError([f"{c.label} : {c.detail}" if c.detail else str(c.label)
                               for c in failed])
    result = year_result(year)
    next_start, next_end = next_year_bounds(year)
    following = FiscalYear.objects.filter(structure=structure, starts_on=year.ends_on).first()
    if following is None:
        following = append_fiscal_year(structure=structure, starts_on=next_start,
                                        ends_on=next_end)
    opening_journal = Journal.objects.get(structure=structure, kind=Journal.Kind.OPENING)
    lines = _opening_lines(year, result)
    label = _("À-nouveaux de l'exercice %(year)s") % {"year": year.name}
    opening = None
    if len(lines) >= 2:
        opening = post_entry(actor=actor, structure=structure, journal=opening_journal,
                             date=following.starts_on, label=label, lines=lines,
                             piece_ref=opening_piece_ref(following.name), validate=True,
                             today=today)
    FiscalYear.objects.filter(pk=year.pk).update(
        status=FiscalYear.Status.CLOSED, closed_at=timezone.now(),
        closed_by=actor if actor.is_authenticated else None, result=result,
    )
    year.refresh_from_db()
    audit.record(actor=actor, action="ledger.fiscal_year.closed", target=year,
                 data={"result": str(result),
                       "opening_entry": opening.reference if opening else None})
    return year


def pending_result(year: FiscalYear) -> Decimal:
    """What 120 and 129 still hold in `year`: the previous result awaiting allocation."""
    return _net_credit(year, Q(account__number__in=[charts.RESULT_PROFIT, charts.RESULT_LOSS]))


@transaction.atomic
def allocate_result(*, actor: AnyUser, year: FiscalYear, date: dt.date,
                    allocations: Sequence[tuple[str, Decimal]], today: dt.date) -> Entry:
    """Book the general assembly's decision: move the pending result of 120/129 to reserves
    (106x, 1068), retained earnings (110/119) or elsewhere, by an entry of the open year."""
    structure = year.structure
    require(permissions.can_keep_books(actor, structure, today=today))
    pending = pending_result(year)
    if pending == 0:
        raise ValidationError(_("Aucun résultat n'attend d'affectation dans cet exercice."))
    total = sum((amount for _number, amount in allocations), ZERO)
    if total != pending:
        raise ValidationError(_(
            "L'affectation doit répartir exactement le résultat en attente (%(pending)s) ; "
            "vous répartissez %(total)s."
        ) % {"pending": format_money(pending), "total": format_money(total)})
    lines: list[LineInput] = []
    source = charts.RESULT_PROFIT if pending > 0 else charts.RESULT_LOSS
    for number, amount in allocations:
        if not number.startswith("1") or number.startswith("12"):
            raise ValidationError(_("Le résultat s'affecte à un compte de capitaux (classe 1, "
                                    "hors 12) : %(number)s ne convient pas.")
                                  % {"number": number})
        if amount == 0:
            continue
        lines.append(LineInput(account=number, credit=max(amount, ZERO),
                               debit=max(-amount, ZERO)))
    if pending > 0:
        lines.insert(0, LineInput(account=source, debit=pending))
    else:
        lines.insert(0, LineInput(account=source, credit=-pending))
    journal = Journal.objects.filter(structure=structure, kind=Journal.Kind.MISC).order_by(
        "code").first()
    if journal is None:
        raise ValidationError(_("Créez d'abord un journal d'opérations diverses."))
    label = _("Affectation du résultat")
    entry = post_entry(actor=actor, structure=structure, journal=journal, date=date,
                       label=label, lines=lines, validate=True, today=today)
    audit.record(actor=actor, action="ledger.result.allocated", target=entry,
                 data={"allocations": [[n, str(a)] for n, a in allocations]})
    return entry
