"""Bank reconciliation ("rapprochement bancaire"): each transaction of an imported statement is
matched to the validated ledger lines of its journal's bank account (512…) that record the same
money, or set aside; what is left on either side is listed, down to the bank balance the books
lead to.

Only the structure's gestionnaire and comptable (and administrators) reach a structure's bank:
the reads here are scoped to them, every write checks `can_reconcile_bank` and is audited.

A ledger line on the bank account counts as money at the bank unless it is an à-nouveau
(the opening balance) or its entry moves nothing at the bank (its lines on the account cancel
out, like the monthly contribution that passes from a treasury account to the structure's own
part of the same 512).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.db.transaction import atomic
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money
from kpa.directory.models import Structure
from kpa.directory.permissions import reach_of
from kpa.ledger.models import EntryLine, FiscalYear, Journal
from kpa.treasury.models import BankCsvLayout, BankStatement, BankTransaction
from kpa.treasury.permissions import can_reconcile_bank

ZERO = Decimal("0.00")
WINDOW_DAYS = 10  # a suggestion is dated at most this far from the bank's date
NEARBY_DAYS = 31  # the lines offered to pick by hand
MAX_SUGGESTIONS = 3
LIST_LIMIT = 200
MatchedLink = BankTransaction.matched_lines.through


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


# -- reads, scoped to the user ----------------------------------------------------------------


def bank_structures_for(user: AnyUser, today: dt.date) -> QuerySet[Structure]:
    """The structures whose bank the user reconciles."""
    reach = reach_of(user, today)
    if reach.is_admin:
        return Structure.objects.all()
    return Structure.objects.filter(pk__in=reach.structures)


def bank_journals_for(user: AnyUser, today: dt.date) -> QuerySet[Journal]:
    return Journal.objects.filter(
        structure__in=bank_structures_for(user, today), kind=Journal.Kind.BANK,
        account__isnull=False,
    ).select_related("structure", "account").order_by("structure__name", "code")


def statements_for(user: AnyUser, today: dt.date) -> QuerySet[BankStatement]:
    return BankStatement.objects.filter(
        structure__in=bank_structures_for(user, today)).select_related("journal", "structure")


def transactions_for(user: AnyUser, today: dt.date) -> QuerySet[BankTransaction]:
    return BankTransaction.objects.filter(
        statement__structure__in=bank_structures_for(user, today)
    ).select_related("journal__structure", "statement")


def layouts_for(user: AnyUser, today: dt.date) -> QuerySet[BankCsvLayout]:
    return BankCsvLayout.objects.filter(
        structure__in=bank_structures_for(user, today)).select_related("structure")


# -- the ledger side ----------------------------------------------------------------------------


def bank_lines(journal: Journal) -> QuerySet[EntryLine]:
    """The validated lines of the journal's bank account that moved money at the bank."""
    if journal.account_id is None:
        return EntryLine.objects.none()
    account_id = journal.account_id
    netting = (EntryLine.objects.filter(account_id=account_id, validated=True)
               .values("entry_id")
               .annotate(net=Sum(F("debit") - F("credit")))
               .filter(net=0).values("entry_id"))
    return (EntryLine.objects
            .filter(account_id=account_id, validated=True)
            .exclude(entry__journal__kind=Journal.Kind.OPENING)
            .exclude(entry_id__in=netting)
            .select_related("entry__journal"))


def unmatched_lines(journal: Journal) -> QuerySet[EntryLine]:
    return bank_lines(journal).exclude(pk__in=MatchedLink.objects.values("entryline_id"))


def nearby_lines(transaction: BankTransaction) -> QuerySet[EntryLine]:
    """What may be picked by hand for a transaction: the unmatched lines within a month."""
    window = dt.timedelta(days=NEARBY_DAYS)
    return unmatched_lines(transaction.journal).filter(
        entry__date__range=(transaction.booked_on - window, transaction.booked_on + window),
    ).order_by("entry__date", "entry__journal__code", "entry__number", "position")


def line_amount(line: EntryLine) -> Decimal:
    """Money in at the bank is a debit of 512: the same sign as the bank's amount."""
    return line.debit - line.credit


def line_words(line: EntryLine) -> str:
    entry = line.entry
    words = [line.label]
    if entry.label not in line.label:
        words.append(entry.label)
    if entry.piece_ref:
        words.append(entry.piece_ref)
    return " ".join(words)


def similarity(bank_label: str, line: EntryLine) -> float:
    """How alike the bank's label and the line's words read, from 0 to 1 (difflib)."""
    return difflib.SequenceMatcher(None, bank_label.casefold(),
                                   line_words(line).casefold()).ratio()


@dataclass(frozen=True)
class Suggestion:
    line: EntryLine
    days_apart: int
    likeness: float


def suggestions_for(transactions: Iterable[BankTransaction], *,
                    limit: int = MAX_SUGGESTIONS) -> dict[int, list[Suggestion]]:
    """For each unmatched transaction, the unmatched lines of the same amount dated within
    ten days, best first (closest date, then the most alike label). One query per bank
    journal, however many transactions."""
    waiting = [t for t in transactions if t.status == BankTransaction.Status.UNMATCHED]
    found: dict[int, list[Suggestion]] = {t.pk: [] for t in waiting}
    by_journal: dict[int, list[BankTransaction]] = defaultdict(list)
    for item in waiting:
        by_journal[item.journal_id].append(item)
    window = dt.timedelta(days=WINDOW_DAYS)
    for group in by_journal.values():
        money_in = {t.amount for t in group if t.amount > 0}
        money_out = {-t.amount for t in group if t.amount < 0}
        lines = list(unmatched_lines(group[0].journal).filter(
            Q(debit__in=money_in) | Q(credit__in=money_out),
            entry__date__range=(min(t.booked_on for t in group) - window,
                                max(t.booked_on for t in group) + window)))
        by_amount: dict[Decimal, list[EntryLine]] = defaultdict(list)
        for line in lines:
            by_amount[line_amount(line)].append(line)
        for item in group:
            ranked = sorted(
                (Suggestion(line=line, days_apart=abs((line.entry.date - item.booked_on).days),
                            likeness=similarity(item.label, line))
                 for line in by_amount[item.amount]
                 if abs((line.entry.date - item.booked_on).days) <= WINDOW_DAYS),
                key=lambda s: (s.days_apart, -s.likeness, s.line.pk))
            found[item.pk] = ranked[:limit]
    return found


def suggestions(transaction: BankTransaction, *,
                limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    return suggestions_for([transaction], limit=limit).get(transaction.pk, [])


# -- writes -----------------------------------------------------------------------------------


def _locked(transaction: BankTransaction, actor: AnyUser, today: dt.date
            ) -> tuple[Journal, BankTransaction]:
    """The gate, then the journal's lock (one reconciliation at a time per bank account, so a
    line is never matched twice) and a fresh copy of the transaction."""
    journal = Journal.objects.select_related("structure", "account").get(
        pk=transaction.journal_id)
    require(can_reconcile_bank(actor, journal.structure, today=today))
    Journal.objects.select_for_update().filter(pk=journal.pk).exists()
    return journal, BankTransaction.objects.select_for_update().get(pk=transaction.pk)


def _describe(line: EntryLine) -> str:
    return _("la ligne du %(day)s « %(label)s » (%(amount)s)") % {
        "day": _day(line.entry.date), "label": line.label,
        "amount": format_money(line_amount(line))}


@atomic
def match(*, actor: AnyUser, transaction: BankTransaction, lines: Sequence[EntryLine],
          today: dt.date) -> BankTransaction:
    """The transaction is the money of these lines: they sit on the journal's bank account,
    are matched to nothing else, and add up to the bank's amount."""
    journal, transaction = _locked(transaction, actor, today)
    if transaction.status == BankTransaction.Status.MATCHED:
        raise ValidationError(_("Cette opération est déjà rapprochée : défaites d'abord ce "
                                "rapprochement."))
    ids = {line.pk for line in lines}
    if not ids:
        raise ValidationError({"lines": _("Choisissez au moins une ligne d'écriture.")})
    chosen = list(EntryLine.objects.filter(pk__in=ids).select_related("entry")
                  .order_by("entry__date", "pk"))
    errors: list[str] = []
    if len(chosen) != len(ids):
        errors.append(_("Une des lignes choisies n'existe pas."))
    for line in chosen:
        if (line.entry.structure_id != journal.structure_id
                or line.account_id != journal.account_id):
            errors.append(_("%(line)s n'est pas sur le compte %(account)s du journal.")
                          % {"line": _describe(line), "account": journal.account})
        elif not line.validated:
            errors.append(_("%(line)s est dans une écriture en brouillon : validez-la "
                            "d'abord.") % {"line": _describe(line)})
    taken = set(MatchedLink.objects.filter(entryline_id__in=ids).exclude(
        banktransaction_id=transaction.pk).values_list("entryline_id", flat=True))
    errors += [_("%(line)s est déjà rapprochée d'une autre opération de la banque.")
               % {"line": _describe(line)} for line in chosen if line.pk in taken]
    total = sum((line_amount(line) for line in chosen), ZERO)
    if not errors and total != transaction.amount:
        errors.append(_(
            "Les lignes choisies font %(total)s € ; l'opération de la banque est de "
            "%(amount)s €. Choisissez des lignes dont la somme est égale."
        ) % {"total": format_money(total), "amount": format_money(transaction.amount)})
    if errors:
        raise ValidationError({"lines": errors})
    transaction.status = BankTransaction.Status.MATCHED
    transaction.matched_by = actor if actor.is_authenticated else None
    transaction.matched_at = timezone.now()
    transaction.save(update_fields=["status", "matched_by", "matched_at"])
    transaction.matched_lines.set(chosen)
    audit.record(actor=actor, action="treasury.bank_transaction.matched", target=transaction,
                 data={"lines": sorted(ids), "amount": str(transaction.amount)})
    return transaction


@atomic
def unmatch(*, actor: AnyUser, transaction: BankTransaction,
            today: dt.date) -> BankTransaction:
    """Back to "à rapprocher": a match undone, or a transaction taken back from the side."""
    _journal, transaction = _locked(transaction, actor, today)
    if transaction.status == BankTransaction.Status.UNMATCHED:
        raise ValidationError(_("Cette opération n'est ni rapprochée ni mise de côté."))
    previous = sorted(transaction.matched_lines.values_list("pk", flat=True))
    was = transaction.status
    transaction.status = BankTransaction.Status.UNMATCHED
    transaction.matched_by = None
    transaction.matched_at = None
    transaction.save(update_fields=["status", "matched_by", "matched_at"])
    transaction.matched_lines.clear()
    audit.record(actor=actor, action="treasury.bank_transaction.unmatched",
                 target=transaction, data={"was": was, "lines": previous})
    return transaction


@atomic
def ignore(*, actor: AnyUser, transaction: BankTransaction,
           today: dt.date) -> BankTransaction:
    """Set aside a transaction that no ledger line will ever match (a line the bank cancelled
    the same day, a movement booked before the platform kept the books…)."""
    _journal, transaction = _locked(transaction, actor, today)
    if transaction.status != BankTransaction.Status.UNMATCHED:
        raise ValidationError(_("Seule une opération à rapprocher se met de côté."))
    transaction.status = BankTransaction.Status.IGNORED
    transaction.matched_by = actor if actor.is_authenticated else None
    transaction.matched_at = timezone.now()
    transaction.save(update_fields=["status", "matched_by", "matched_at"])
    audit.record(actor=actor, action="treasury.bank_transaction.ignored", target=transaction,
                 data={"amount": str(transaction.amount)})
    return transaction


# -- the reconciliation statement -------------------------------------------------------------


def _sum(queryset: QuerySet[EntryLine]) -> Decimal:
    total = queryset.aggregate(total=Coalesce(
        Sum(F("debit") - F("credit")), Value(ZERO),
        output_field=DecimalField(max_digits=16, decimal_places=2)))["total"]
    return Decimal(total)


def book_balance(journal: Journal, as_of: dt.date) -> Decimal:
    """The bank account's balance in the books on `as_of`: the open fiscal years (the first
    one's à-nouveaux carry the years before), or the year holding `as_of` when it is closed."""
    if journal.account_id is None:
        return ZERO
    years = FiscalYear.objects.filter(structure_id=journal.structure_id).filter(
        Q(status=FiscalYear.Status.OPEN) | Q(starts_on__lte=as_of, ends_on__gt=as_of))
    return _sum(EntryLine.objects.filter(
        account_id=journal.account_id, validated=True, fiscal_year__in=years,
        entry__date__lte=as_of))


@dataclass
class Reconciliation:
    """The "état de rapprochement" of one bank journal on one day: the book balance, what the
    bank shows that the books do not, what the books show that the bank does not yet, and the
    bank balance that follows; compared with the balance the bank states, when given."""

    journal: Journal
    as_of: dt.date
    since: dt.date | None
    book_balance: Decimal
    bank_only: list[BankTransaction] = field(default_factory=list)
    bank_only_count: int = 0
    bank_only_total: Decimal = ZERO
    books_only: list[EntryLine] = field(default_factory=list)
    books_only_count: int = 0
    books_only_total: Decimal = ZERO
    ignored_count: int = 0
    stated_bank_balance: Decimal | None = None

    @property
    def expected_bank_balance(self) -> Decimal:
        return self.book_balance - self.books_only_total + self.bank_only_total

    @property
    def gap(self) -> Decimal | None:
        if self.stated_bank_balance is None:
            return None
        return self.stated_bank_balance - self.expected_bank_balance


def reconciliation(journal: Journal, *, as_of: dt.date,
                   stated_bank_balance: Decimal | None = None) -> Reconciliation:
    """Both unmatched lists up to `as_of` (the ledger's from the first imported bank date: what
    came before is in the bank's opening balance) and the balances. Constant queries."""
    transactions = BankTransaction.objects.filter(journal=journal)
    since = transactions.order_by("booked_on").values_list("booked_on", flat=True).first()
    waiting = transactions.filter(status=BankTransaction.Status.UNMATCHED,
                                  booked_on__lte=as_of).order_by("booked_on", "pk")
    counted = waiting.aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("amount"), Value(ZERO),
                       output_field=DecimalField(max_digits=16, decimal_places=2)))
    found = Reconciliation(
        journal=journal, as_of=as_of, since=since, book_balance=book_balance(journal, as_of),
        bank_only=list(waiting[:LIST_LIMIT]), bank_only_count=int(counted["count"]),
        bank_only_total=Decimal(counted["total"]),
        ignored_count=transactions.filter(status=BankTransaction.Status.IGNORED).count(),
        stated_bank_balance=stated_bank_balance)
    if since is not None:
        lines = unmatched_lines(journal).filter(entry__date__range=(since, as_of))
        found.books_only = list(lines.order_by("entry__date", "pk")[:LIST_LIMIT])
        found.books_only_count = lines.count()
        found.books_only_total = _sum(lines)
    return found
