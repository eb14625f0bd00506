"""Exit: what becomes of a leaving coopérant's individual treasury, settled once by the
structure's gestionnaire after the journey has ended (no journey of the person in the
structure may still be running).

The balance settled is the account's `available` figure: cash minus what it still owes
(unpaid claims, suppliers, pay, VAT collected), so that once those are paid the account's
cash is exactly zero. Settling waits while money is still moving: unpaid customer invoices
(receivables) or a pay request in progress (committed). A negative balance is refused: the
structure settles it first (a transfer from the KPA's pot, a write-off decided by the
structure), since there is nothing to hand over.

- **payout** (paid to the person): one bank entry (BQ1) dated the settlement day,
  D 6588 "Solde de trésorerie reversé à la sortie" on the treasury account / C 512 on the
  treasury account. Why a charge and not 467 or 4686: an individual treasury is an analytic
  view of the structure's own money, not a debt recorded in its general ledger, so there is
  no liability to clear; handing the money over is a charge of the structure (6588, under
  658 "Pénalités et autres charges", added to the chart when missing). It shows in the
  account's `other_expenses`, the 512 line carries the treasury account (its cash drops to
  what is still owed) and is what the bank reconciliation matches with the transfer. One
  entry, because the gestionnaire records the settlement when the transfer leaves the bank.
- **transfer** (to another treasury account of the structure, such as the KPA's common pot):
  an internal transfer through `transfers.post_transfer` (D 580 on the target / C 580 on the
  leaving account).

Then the treasury account is marked inactive and the journey's "treasury to pay out" flag is
cleared. With nothing left (a balance of exactly zero) nothing is posted: the decision is
recorded all the same, an `ExitSettlement` of 0 without entry, and the account closed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money
from kpa.core.notifications import notify
from kpa.directory.permissions import reach_of
from kpa.journey.models import Journey, JourneyStatus
from kpa.ledger.models import Entry, Journal, TreasuryAccount
from kpa.ledger.services import LineInput, post_entry
from kpa.ledger.treasury_accounts import ensure_account
from kpa.treasury import balances, permissions, transfers
from kpa.treasury.models import ExitSettlement

ZERO = Decimal("0.00")
PAYOUT_ACCOUNT = ("6588", "Solde de trésorerie reversé à la sortie")
BANK = "512"


@dataclass
class ExitPreview:
    """Where a leaving coopérant's treasury stands, and what stops settling it now."""

    account: TreasuryAccount
    figures: balances.Figures
    settlement: ExitSettlement | None
    problems: list[str] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return self.figures.available

    @property
    def can_settle(self) -> bool:
        return not self.problems


def _journeys(account: TreasuryAccount) -> QuerySet[Journey]:
    return Journey.objects.filter(person=account.person, structure_id=account.structure_id)


def preview(account: TreasuryAccount, *, today: dt.date) -> ExitPreview:
    figures = balances.figures_of(account.pk, account.structure, today=today)
    settlement = ExitSettlement.objects.filter(treasury_account=account).first()
    result = ExitPreview(account=account, figures=figures, settlement=settlement)
    problems = result.problems
    name = account.person.full_name if account.person else account.label
    if account.kind != TreasuryAccount.Kind.INDIVIDUAL:
        problems.append(_("Seule une trésorerie individuelle se solde à la sortie."))
        return result
    if settlement is not None:
        problems.append(_("Le solde de sortie de %(name)s a déjà été réglé le %(day)s.")
                        % {"name": name, "day": settlement.settled_on.strftime("%d/%m/%Y")})
        return result
    if not account.is_active:
        problems.append(_("La trésorerie de %(name)s est déjà fermée.") % {"name": name})
        return result
    statuses = list(_journeys(account).values_list("status", flat=True))
    if any(status != JourneyStatus.ENDED for status in statuses):
        problems.append(_("Le parcours de %(name)s est toujours en cours : enregistrez d'abord "
                          "sa sortie.") % {"name": name})
    elif not statuses:
        problems.append(_("%(name)s n'a pas de parcours terminé dans cette structure : le "
                          "solde de sortie suit l'enregistrement de la sortie.") % {"name": name})
    if figures.receivables != 0:
        problems.append(_("%(amount)s € de factures restent à encaisser : attendez leur "
                          "paiement (ou l'avoir) avant de solder.")
                        % {"amount": format_money(figures.receivables)})
    if figures.committed != 0:
        problems.append(_("%(amount)s € sont engagés (une demande de rémunération en cours) : "
                          "terminez-la avant de solder.")
                        % {"amount": format_money(figures.committed)})
    if figures.available < 0:
        problems.append(_("Le solde de %(name)s est négatif (%(amount)s €) : la structure doit "
                          "d'abord le régler, il n'y a rien à verser.")
                        % {"name": name, "amount": format_money(figures.available)})
    return result


def _payout(*, actor: AnyUser, account: TreasuryAccount, amount: Decimal, label: str,
            today: dt.date) -> Entry:
    charge = ensure_account(account.structure, *PAYOUT_ACCOUNT, actor=actor)
    journal = Journal.objects.get(structure_id=account.structure_id, code="BQ1")
    return post_entry(actor=actor, structure=account.structure, journal=journal, date=today,
                      label=label, lines=[
                          LineInput(charge, debit=amount, treasury_account=account),
                          LineInput(BANK, credit=amount, treasury_account=account),
                      ], piece_ref=f"SORTIE-{account.code}", source="treasury.exit",
                      validate=True, today=today)


@transaction.atomic
def settle_exit(*, actor: AnyUser, account: TreasuryAccount, kind: str, today: dt.date,
                target: TreasuryAccount | None = None) -> ExitSettlement:
    """Pay the remaining balance to the person or transfer it, once; then close the account.
    A zero balance is settled without entry."""
    if not permissions.can_settle_exit(actor, account, today=today):
        raise PermissionDenied
    account = transfers.lock(account)
    if kind not in ExitSettlement.Kind.values:
        raise ValidationError({"kind": _("Choisissez : verser le solde à la personne, ou le "
                                         "transférer sur une autre trésorerie.")})
    state = preview(account, today=today)
    if state.problems:
        raise ValidationError(state.problems)
    amount = state.balance
    person = account.person
    assert person is not None
    label = _("Solde de sortie — %(name)s") % {"name": person.full_name}
    if kind == ExitSettlement.Kind.TRANSFER:
        if target is None:
            raise ValidationError({"target": _("Choisissez la trésorerie qui reçoit le solde.")})
        if target.pk == account.pk or target.structure_id != account.structure_id \
                or not target.is_active:
            raise ValidationError({"target": _("Choisissez une autre trésorerie ouverte de la "
                                               "même structure.")})
    else:
        target = None
    entry: Entry | None = None
    if amount > 0 and target is not None:
        entry = transfers.post_transfer(actor=actor, source=account, target=target,
                                        amount=amount, label=label, today=today,
                                        source_ref=f"SORTIE-{account.code}",
                                        origin="treasury.exit")
    elif amount > 0:
        entry = _payout(actor=actor, account=account, amount=amount, label=label, today=today)
    settlement = ExitSettlement.objects.create(
        treasury_account=account, kind=kind, amount=amount, target_account=target,
        settled_on=today, entry=entry, decided_by=actor if actor.is_authenticated else None)
    account.is_active = False
    account.save(update_fields=["is_active"])
    _journeys(account).filter(treasury_payout_pending=True).update(
        treasury_payout_pending=False)
    audit.record(actor=actor, action="treasury.exit.settled", target=settlement, data={
        "account": account.code, "kind": kind, "amount": str(amount),
        "target": target.code if target else None, "entry": entry.pk if entry else None})
    if person.user is not None and amount > 0:
        body = (_("Le solde de votre trésorerie, %(amount)s €, vous est versé.")
                if target is None else
                _("Le solde de votre trésorerie, %(amount)s €, est transféré à « %(target)s », "
                  "comme décidé à votre sortie.")) % {"amount": format_money(amount),
                                                     "target": target.label if target else ""}
        notify(recipients=[person.user], subject=_("Solde de votre trésorerie"), body=body,
               topic="treasury.exit.settled")
    return settlement


# -- reads -----------------------------------------------------------------------------------


def exits_to_settle(user: AnyUser, today: dt.date) -> QuerySet[TreasuryAccount]:
    """The open individual treasuries, in the structures the user manages, of people whose
    journeys there have all ended."""
    reach = reach_of(user, today)
    journeys = Journey.objects.filter(person_id=OuterRef("person_id"),
                                      structure_id=OuterRef("structure_id"))
    accounts = TreasuryAccount.objects.filter(kind=TreasuryAccount.Kind.INDIVIDUAL,
                                              is_active=True)
    if not reach.is_admin:
        accounts = accounts.filter(structure_id__in=reach.managed_structures)
    return (accounts.filter(Exists(journeys.filter(status=JourneyStatus.ENDED)))
            .exclude(Exists(journeys.exclude(status=JourneyStatus.ENDED)))
            .select_related("structure", "person").order_by("structure__name", "label", "pk"))
