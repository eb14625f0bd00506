"""Every write of the books. Keyword-only, takes the acting user, atomic, audited.

Services check their gate (`PermissionDenied`) and the accounting rules (`ValidationError`,
French). Other apps post into the books through `post_entry`, which checks the rules but
leaves the gate to the calling service (an invoice's issuer is not a bookkeeper).
Closing, lettering and the FEC import live in `closing.py`, `lettering.py`, `fec_import.py`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.directory.models import Activity, Kpa, Person, Structure
from kpa.ledger import charts, permissions
from kpa.ledger.models import (
    ZERO,
    Account,
    Books,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    JournalSequence,
    ThirdParty,
    TreasuryAccount,
)

# The journals every structure starts with; bank and cash journals point to their account.
DEFAULT_JOURNALS: tuple[tuple[str, str, str, str | None], ...] = (
    ("VT", "Ventes", Journal.Kind.SALES, None),
    ("AC", "Achats", Journal.Kind.PURCHASES, None),
    ("BQ1", "Banque", Journal.Kind.BANK, charts.BANK),
    ("CA", "Caisse", Journal.Kind.CASH, charts.CASH),
    ("OD", "Opérations diverses", Journal.Kind.MISC, None),
    ("AN", "À-nouveaux", Journal.Kind.OPENING, None),
)
MAX_FISCAL_YEAR_DAYS = 731  # a first or changed year may run up to 24 months


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def books_of(structure: Structure) -> Books:
    books = Books.objects.filter(structure=structure).first()
    if books is None:
        raise ValidationError(_("La comptabilité de cette structure n'est pas encore ouverte."))
    return books


# -- setting up ---------------------------------------------------------------------------


@transaction.atomic
def open_books(*, actor: AnyUser, structure: Structure, first_year_starts_on: dt.date,
               first_year_ends_on: dt.date, today: dt.date) -> Books:
    """Install the structure's chart template, its journals and its first fiscal year."""
    require(permissions.can_keep_books(actor, structure, today=today))
    if Books.objects.filter(structure=structure).exists():
        raise ValidationError(_("La comptabilité de cette structure est déjà ouverte."))
    books = install_books(structure)
    template = books.chart_template
    append_fiscal_year(structure=structure, starts_on=first_year_starts_on,
                        ends_on=first_year_ends_on)
    audit.record(actor=actor, action="ledger.books.opened", target=books,
                 data={"chart": template, "first_year": [str(first_year_starts_on),
                                                         str(first_year_ends_on)]})
    return books


def install_books(structure: Structure) -> Books:
    """The chart chosen at the structure's creation, and the journals every structure starts
    with; the caller checks that the books were not open."""
    Account.objects.bulk_create(
        Account(structure=structure, number=a.number, label=a.label, from_template=True)
        for a in charts.load_chart(structure.chart_template)
    )
    accounts = {a.number: a for a in Account.objects.filter(structure=structure)}
    Journal.objects.bulk_create(
        Journal(structure=structure, code=code, label=label, kind=kind,
                account=accounts[number] if number else None)
        for code, label, kind, number in DEFAULT_JOURNALS
    )
    return Books.objects.create(structure=structure, chart_template=structure.chart_template)


def account_root(structure: Structure, number: str) -> Account | None:
    """The longest template account of at least two digits that `number` extends."""
    prefixes = [number[:n] for n in range(2, len(number))]
    return (
        Account.objects.filter(structure=structure, from_template=True, number__in=prefixes)
        .order_by("-number").first()
    )


def check_account_number(structure: Structure, number: str) -> Account:
    if not number.isdigit() or number[0] not in "12345678":
        raise ValidationError({"number": _(
            "Un numéro de compte ne contient que des chiffres et commence par la classe (1 à 8)."
        )})
    if Account.objects.filter(structure=structure, number=number).exists():
        raise ValidationError({"number": _("Le compte %(number)s existe déjà.")
                               % {"number": number}})
    root = account_root(structure, number)
    if root is None:
        raise ValidationError({"number": _(
            "Le compte %(number)s doit prolonger un compte du plan (par exemple 6061 sous "
            "606 ou 4111 sous 411)."
        ) % {"number": number}})
    return root


@transaction.atomic
def add_account(*, actor: AnyUser, structure: Structure, number: str, label: str,
                today: dt.date) -> Account:
    require(permissions.can_keep_books(actor, structure, today=today))
    books_of(structure)
    number = number.strip()
    check_account_number(structure, number)
    if not label.strip():
        raise ValidationError({"label": _("Donnez un intitulé au compte.")})
    account = Account.objects.create(structure=structure, number=number, label=label.strip())
    audit.record(actor=actor, action="ledger.account.created", target=account)
    return account



@transaction.atomic
def create_third_party(*, actor: AnyUser, structure: Structure, code: str, name: str,
                       kind: str, today: dt.date) -> ThirdParty:
    require(permissions.can_keep_books(actor, structure, today=today))
    third_party = ThirdParty(structure=structure, code=code.strip().upper(), name=name.strip(),
                             kind=kind)
    third_party.full_clean()
    third_party.save()
    audit.record(actor=actor, action="ledger.third_party.created", target=third_party)
    return third_party


@transaction.atomic
def create_treasury_account(*, actor: AnyUser, structure: Structure, code: str, label: str,
                            kind: str, person: Person | None = None, kpa: Kpa | None = None,
                            activity: Activity | None = None,
                            today: dt.date) -> TreasuryAccount:
    require(permissions.can_keep_books(actor, structure, today=today))
    return open_treasury_account(actor=actor, structure=structure, code=code, label=label,
                                 kind=kind, person=person, kpa=kpa, activity=activity)


def _check_activity(account: TreasuryAccount, activity: Activity) -> None:
    """An activity's account lives in its carrier's books, for its KPA, with its kind."""
    if activity.structure_id != account.structure_id:
        raise ValidationError({"activity": _(
            "L'activité « %(activity)s » est portée par une autre structure : son compte de "
            "trésorerie s'ouvre dans les comptes de celle-ci."
        ) % {"activity": activity}})
    if account.kpa_id is not None and account.kpa_id != activity.kpa_id:
        raise ValidationError({"kpa": _(
            "L'activité « %(activity)s » appartient à un autre KPA."
        ) % {"activity": activity}})
    expected = (TreasuryAccount.Kind.COLLECTIVE if activity.kind == Activity.Kind.COLLECTIVE
                else TreasuryAccount.Kind.INDIVIDUAL)
    if account.kind != expected:
        raise ValidationError({"kind": _(
            "L'activité « %(activity)s » est %(activity_kind)s : son compte de trésorerie est "
            "du type « %(expected)s »."
        ) % {"activity": activity, "activity_kind": activity.get_kind_display().lower(),
             "expected": TreasuryAccount.Kind(expected).label}})


def open_treasury_account(*, actor: AnyUser, structure: Structure, code: str, label: str,
                          kind: str, person: Person | None = None, kpa: Kpa | None = None,
                          activity: Activity | None = None) -> TreasuryAccount:
    """For other apps' services (a CAPE contract opens its coopérant's treasury).

    With an `activity`, the account follows it: same structure, its KPA (the default), and
    the activity's kind (collective for a collective activity, individual otherwise).
    """
    account = TreasuryAccount(structure=structure, code=code.strip().upper(),
                              label=label.strip(), kind=kind, person=person, kpa=kpa,
                              activity=activity)
    if activity is not None:
        _check_activity(account, activity)
        account.kpa_id = activity.kpa_id
    account.full_clean()
    account.save()
    audit.record(actor=actor, action="ledger.treasury_account.created", target=account)
    return account


@transaction.atomic
def create_journal(*, actor: AnyUser, structure: Structure, code: str, label: str, kind: str,
                   account: Account | None = None, today: dt.date) -> Journal:
    require(permissions.can_keep_books(actor, structure, today=today))
    books_of(structure)
    code = code.strip().upper()
    if kind == Journal.Kind.OPENING:
        raise ValidationError({"kind": _("Le journal des à-nouveaux existe déjà.")})
    if kind in (Journal.Kind.BANK, Journal.Kind.CASH):
        prefix = charts.BANK if kind == Journal.Kind.BANK else charts.CASH[:2]
        if account is None or not account.number.startswith(prefix):
            raise ValidationError({"account": _(
                "Un journal de banque suit un compte 512… et un journal de caisse un compte "
                "53… : choisissez-le (créez d'abord le sous-compte, par exemple 5122)."
            )})
        if Journal.objects.filter(structure=structure, account=account).exists():
            raise ValidationError({"account": _("Ce compte a déjà son journal.")})
    if account is not None and account.structure_id != structure.pk:
        raise ValidationError({"account": _("Ce compte n'est pas dans ce plan.")})
    journal = Journal(structure=structure, code=code, label=label.strip(), kind=kind,
                      account=account)
    journal.full_clean()
    journal.save()
    audit.record(actor=actor, action="ledger.journal.created", target=journal)
    return journal


def append_fiscal_year(*, structure: Structure, starts_on: dt.date,
                        ends_on: dt.date) -> FiscalYear:
    if ends_on <= starts_on or (ends_on - starts_on).days > MAX_FISCAL_YEAR_DAYS:
        raise ValidationError({"ends_on": _(
            "Un exercice finit après son début et dure au plus 24 mois."
        )})
    last = FiscalYear.objects.filter(structure=structure).order_by("-starts_on").first()
    if last is not None and starts_on != last.ends_on:
        raise ValidationError({"starts_on": _(
            "Le nouvel exercice doit commencer le %(day)s, le lendemain du dernier."
        ) % {"day": last.ends_on.strftime("%d/%m/%Y")}})
    return FiscalYear.objects.create(structure=structure, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def open_fiscal_year(*, actor: AnyUser, structure: Structure, starts_on: dt.date,
                     ends_on: dt.date, today: dt.date) -> FiscalYear:
    """`ends_on` is exclusive: the year 2026 is 2026-01-01 to 2027-01-01."""
    require(permissions.can_keep_books(actor, structure, today=today))
    books_of(structure)
    Structure.objects.select_for_update().get(pk=structure.pk)
    year = append_fiscal_year(structure=structure, starts_on=starts_on, ends_on=ends_on)
    audit.record(actor=actor, action="ledger.fiscal_year.opened", target=year)
    return year


def next_year_bounds(year: FiscalYear) -> tuple[dt.date, dt.date]:
    start = year.ends_on
    try:
        end = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + 1, day=28)
    return start, end


# -- entries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line as a caller gives it: an account number (or Account), one positive side."""

    account: Account | str
    debit: Decimal | str | int = ZERO
    credit: Decimal | str | int = ZERO
    label: str = ""
    third_party: ThirdParty | None = None
    treasury_account: TreasuryAccount | None = None


def _amount(value: Decimal | str | int, where: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value) or "0")
        if not amount.is_finite():
            raise ValueError(value)
    except ValueError:
        raise ValidationError(_("%(where)s : « %(value)s » n'est pas un montant.")
                              % {"where": where, "value": value}) from None
    if abs(amount) >= Decimal(10) ** 12:
        raise ValidationError(_("%(where)s : montant trop grand.") % {"where": where})
    if amount != quantize(amount):
        raise ValidationError(_("%(where)s : un montant s'écrit au centime près.")
                              % {"where": where})
    if amount < 0:
        raise ValidationError(_("%(where)s : un montant est positif ; une somme négative se "
                                "passe dans l'autre colonne.") % {"where": where})
    return quantize(amount)


def fiscal_year_for(structure: Structure, day: dt.date) -> FiscalYear:
    """The open fiscal year holding `day`, or a precise refusal."""
    year = FiscalYear.objects.filter(structure=structure, starts_on__lte=day,
                                     ends_on__gt=day).first()
    if year is None:
        raise ValidationError({"date": _(
            "Aucun exercice ne couvre le %(day)s : ouvrez d'abord l'exercice."
        ) % {"day": day.strftime("%d/%m/%Y")}})
    if not year.is_open:
        raise ValidationError({"date": _(
            "L'exercice %(year)s est clôturé : on n'y passe plus d'écriture. Passez la "
            "correction dans l'exercice ouvert."
        ) % {"year": year.name}})
    return year


def _build_lines(structure: Structure, lines: Sequence[LineInput],
                 entry_label: str) -> list[EntryLine]:
    if len(lines) < 2:
        raise ValidationError(_("Une écriture a au moins deux lignes."))
    numbers = {ln.account for ln in lines if isinstance(ln.account, str)}
    accounts = {a.number: a for a in Account.objects.filter(structure=structure,
                                                           number__in=numbers)}
    built: list[EntryLine] = []
    errors: list[str] = []
    for position, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d") % {"n": position}
        try:
            account = (line.account if isinstance(line.account, Account)
                       else accounts.get(line.account.strip()))
            if account is None or account.structure_id != structure.pk:
                raise ValidationError(_("%(where)s : le compte %(number)s n'est pas dans le plan "
                                        "de la structure ; ajoutez-le d'abord.")
                                      % {"where": where, "number": line.account})
            if not account.is_active:
                raise ValidationError(_("%(where)s : le compte %(number)s est désactivé.")
                                      % {"where": where, "number": account.number})
            debit, credit = _amount(line.debit, where), _amount(line.credit, where)
            if (debit > 0) == (credit > 0):
                raise ValidationError(_("%(where)s : mettez un montant au débit ou au crédit, "
                                        "pas les deux ni aucun.") % {"where": where})
            for linked in (line.third_party, line.treasury_account):
                if linked is not None and linked.structure_id != structure.pk:
                    raise ValidationError(_("%(where)s : ce tiers ou ce compte de trésorerie "
                                            "n'appartient pas à la structure.")
                                          % {"where": where})
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        built.append(EntryLine(
            position=position, account=account, debit=debit, credit=credit,
            label=(line.label or entry_label).strip()[:200], third_party=line.third_party,
            treasury_account=line.treasury_account,
        ))
    if errors:
        raise ValidationError(errors)
    total_debit = sum((ln.debit for ln in built), ZERO)
    total_credit = sum((ln.credit for ln in built), ZERO)
    if total_debit != total_credit:
        raise ValidationError(_(
            "L'écriture n'est pas équilibrée : débit %(debit)s, crédit %(credit)s (écart "
            "%(gap)s). Corrigez les montants."
        ) % {"debit": format_money(total_debit), "credit": format_money(total_credit),
             "gap": format_money(total_debit - total_credit)})
    return built


def _check_header(structure: Structure, journal: Journal, label: str) -> None:
    if journal.structure_id != structure.pk:
        raise ValidationError({"journal": _("Ce journal n'est pas celui de la structure.")})
    if not label.strip():
        raise ValidationError({"label": _("Donnez un libellé à l'écriture.")})


def post_entry(*, actor: AnyUser, structure: Structure, journal: Journal, date: dt.date,
               label: str, lines: Sequence[LineInput], piece_ref: str = "",
               piece_date: dt.date | None = None, source: str = "", validate: bool = False,
               today: dt.date) -> Entry:
    """Record an entry (a draft, or validated at once). The caller's service holds the gate
    and the transaction; this checks every accounting rule."""
    _check_header(structure, journal, label)
    year = fiscal_year_for(structure, date)
    built = _build_lines(structure, lines, label)
    entry = Entry.objects.create(
        structure=structure, journal=journal, fiscal_year=year, date=date,
        label=label.strip()[:200], piece_ref=piece_ref.strip()[:50],
        piece_date=piece_date or date, source=source[:60],
        created_by=actor if actor.is_authenticated else None,
    )
    for line in built:
        line.entry, line.fiscal_year = entry, year
    EntryLine.objects.bulk_create(built)
    audit.record(actor=actor, action="ledger.entry.created", target=entry,
                 data={"journal": journal.code, "lines": len(built)})
    if validate:
        entry = _validate(actor=actor, entry=entry, today=today)
    return entry


@transaction.atomic
def create_entry(*, actor: AnyUser, structure: Structure, journal: Journal, date: dt.date,
                 label: str, lines: Sequence[LineInput], piece_ref: str = "",
                 piece_date: dt.date | None = None, validate: bool = False,
                 today: dt.date) -> Entry:
    require(permissions.can_keep_books(actor, structure, today=today))
    return post_entry(actor=actor, structure=structure, journal=journal, date=date,
                      label=label, lines=lines, piece_ref=piece_ref, piece_date=piece_date,
                      validate=validate, today=today)


def _refuse_if_validated(entry: Entry) -> Entry:
    stored = Entry.objects.select_for_update(of=("self",)).select_related("journal").get(
        pk=entry.pk)
    if stored.is_validated:
        raise ValidationError(_(
            "L'écriture %(ref)s est validée : elle ne change plus. Contre-passez-la pour la "
            "corriger."
        ) % {"ref": stored.reference})
    return stored


@transaction.atomic
def update_draft(*, actor: AnyUser, entry: Entry, journal: Journal, date: dt.date, label: str,
                 lines: Sequence[LineInput], piece_ref: str = "",
                 piece_date: dt.date | None = None, today: dt.date) -> Entry:
    require(permissions.can_keep_books(actor, entry.structure, today=today))
    entry = _refuse_if_validated(entry)
    structure = entry.structure
    _check_header(structure, journal, label)
    year = fiscal_year_for(structure, date)
    built = _build_lines(structure, lines, label)
    EntryLine.objects.filter(entry=entry).delete()
    Entry.objects.filter(pk=entry.pk).update(
        journal=journal, fiscal_year=year, date=date, label=label.strip()[:200],
        piece_ref=piece_ref.strip()[:50], piece_date=piece_date or date,
    )
    entry.refresh_from_db()
    for line in built:
        line.entry, line.fiscal_year = entry, year
    EntryLine.objects.bulk_create(built)
    audit.record(actor=actor, action="ledger.entry.updated", target=entry,
                 data={"lines": len(built)})
    return entry


@transaction.atomic
def delete_draft(*, actor: AnyUser, entry: Entry, today: dt.date) -> None:
    require(permissions.can_keep_books(actor, entry.structure, today=today))
    entry = _refuse_if_validated(entry)
    audit.record(actor=actor, action="ledger.entry.deleted", target=entry,
                 data={"label": entry.label, "date": str(entry.date)})
    EntryLine.objects.filter(entry=entry).delete()
    entry.delete()


def _next_number(journal: Journal, year: FiscalYear) -> int:
    """Lock the journal's sequence for the year and take its next number: gap-free, since
    the number is only taken inside the validating transaction."""
    sequence, _created = JournalSequence.objects.get_or_create(journal=journal,
                                                               fiscal_year=year)
    sequence = JournalSequence.objects.select_for_update().get(pk=sequence.pk)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _validate(*, actor: AnyUser, entry: Entry, today: dt.date) -> Entry:
    entry = _refuse_if_validated(entry)
    year = FiscalYear.objects.select_for_update().get(pk=entry.fiscal_year_id)
    if not year.is_open:
        raise ValidationError(_("L'exercice %(year)s est clôturé : on n'y valide plus rien.")
                              % {"year": year.name})
    if entry.date > today:
        raise ValidationError(_(
            "L'écriture est datée du %(day)s : on la validera ce jour-là, pas avant."
        ) % {"day": entry.date.strftime("%d/%m/%Y")})
    lines = list(EntryLine.objects.filter(entry=entry))
    total_debit = sum((ln.debit for ln in lines), ZERO)
    total_credit = sum((ln.credit for ln in lines), ZERO)
    if len(lines) < 2 or total_debit != total_credit:
        raise ValidationError(_("L'écriture n'est pas équilibrée : elle ne peut pas être "
                                "validée."))
    validated = {"status": Entry.Status.VALIDATED, "number": _next_number(entry.journal, year),
                 "validated_on": today, "validated_at": timezone.now()}
    EntryLine.objects.filter(entry=entry).update(validated=True)
    Entry.objects.filter(pk=entry.pk).update(**validated)
    for name, value in validated.items():
        setattr(entry, name, value)
    audit.record(actor=actor, action="ledger.entry.validated", target=entry,
                 data={"number": entry.reference})
    return entry


@transaction.atomic
def validate_entry(*, actor: AnyUser, entry: Entry, today: dt.date) -> Entry:
    require(permissions.can_keep_books(actor, entry.structure, today=today))
    return _validate(actor=actor, entry=entry, today=today)


@transaction.atomic
def reverse_entry(*, actor: AnyUser, entry: Entry, date: dt.date, today: dt.date) -> Entry:
    """Correct a validated entry the only lawful way: a validated mirror entry."""
    require(permissions.can_keep_books(actor, entry.structure, today=today))
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    if not entry.is_validated:
        raise ValidationError(_("Un brouillon se corrige ou se supprime ; seule une écriture "
                                "validée se contre-passe."))
    if Entry.objects.filter(reverses=entry).exists() or entry.reverses_id is not None:
        raise ValidationError(_("L'écriture %(ref)s a déjà sa contre-passation.")
                              % {"ref": entry.reference})
    mirrored = [
        LineInput(account=ln.account, debit=ln.credit, credit=ln.debit, label=ln.label,
                  third_party=ln.third_party, treasury_account=ln.treasury_account)
        for ln in entry.lines.select_related("account", "third_party", "treasury_account")
    ]
    label = _("Contre-passation de %(ref)s : %(label)s") % {"ref": entry.reference,
                                                             "label": entry.label}
    reversal = post_entry(actor=actor, structure=entry.structure, journal=entry.journal,
                          date=date, label=label, lines=mirrored, piece_ref=entry.piece_ref,
                          piece_date=entry.piece_date, today=today)
    Entry.objects.filter(pk=reversal.pk).update(reverses=entry)
    reversal = _validate(actor=actor, entry=reversal, today=today)
    audit.record(actor=actor, action="ledger.entry.reversed", target=entry,
                 data={"reversal": reversal.reference})
    return reversal
