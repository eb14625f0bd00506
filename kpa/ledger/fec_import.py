"""Starting a structure from books kept elsewhere (Paheko, Sage…): a service that loads a FEC.

All or nothing: the file is read and checked whole, every problem is reported with its line
number, and only a clean file writes anything — in one transaction. The FEC becomes the
structure's first fiscal year (its closing date comes from the file name, or from the last
entry date); entries keep their dates, pieces, lettering and validation dates, and are
numbered again per journal in file order, their original number kept in `source`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.directory.models import Structure
from kpa.ledger import fec, permissions
from kpa.ledger.exchange import BookLine
from kpa.ledger.models import (
    Account,
    Books,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    JournalSequence,
    ThirdParty,
)
from kpa.ledger.services import account_root, install_books, require

FILE_NAME_DATE = re.compile(r"FEC(\d{8})")
JOURNAL_KINDS = (  # how other software names its journals, most specific first
    ("AN", Journal.Kind.OPENING), ("RAN", Journal.Kind.OPENING), ("VT", Journal.Kind.SALES),
    ("VE", Journal.Kind.SALES), ("AC", Journal.Kind.PURCHASES), ("HA", Journal.Kind.PURCHASES),
    ("BQ", Journal.Kind.BANK), ("BK", Journal.Kind.BANK), ("CA", Journal.Kind.CASH),
    ("OD", Journal.Kind.MISC),
)


class FecImportError(ValidationError):
    """Refused import: `problems` lists (line number, message) pairs, in file order."""

    def __init__(self, problems: list[tuple[int | None, str]]) -> None:
        self.problems = problems
        super().__init__([
            _("Ligne %(line)d : %(message)s") % {"line": line, "message": message}
            if line else message
            for line, message in problems
        ])


@dataclass(frozen=True)
class FecImportResult:
    fiscal_year: FiscalYear
    entries: int
    lines: int


def _closing_date(filename: str, lines: list[BookLine]) -> dt.date:
    match = FILE_NAME_DATE.search(filename)
    if match:
        try:
            return dt.datetime.strptime(match.group(1), "%Y%m%d").date()  # noqa: DTZ007
        except ValueError:
            pass
    return max(line.entry_date for line in lines)


def _year_bounds(closing: dt.date) -> tuple[dt.date, dt.date]:
    ends_on = closing + dt.timedelta(days=1)
    try:
        return ends_on.replace(year=ends_on.year - 1), ends_on
    except ValueError:
        return ends_on.replace(year=ends_on.year - 1, day=28), ends_on


def _journal_kind(code: str, label: str) -> str:
    if "nouveau" in label.lower():
        return Journal.Kind.OPENING
    for prefix, kind in JOURNAL_KINDS:
        if code.startswith(prefix):
            return kind
    return Journal.Kind.OTHER


def _prepare_books(structure: Structure, starts_on: dt.date, ends_on: dt.date) -> FiscalYear:
    """Open the books if needed and make the FEC's year the first one."""
    if Entry.objects.filter(structure=structure).exists():
        raise FecImportError([(None, _(
            "Cette structure a déjà des écritures : un FEC ne s'importe que dans une "
            "comptabilité vide, pour la démarrer."
        ))])
    if not Books.objects.filter(structure=structure).exists():
        install_books(structure)
    JournalSequence.objects.filter(fiscal_year__structure=structure).delete()
    FiscalYear.objects.filter(structure=structure).delete()
    return FiscalYear.objects.create(structure=structure, starts_on=starts_on, ends_on=ends_on)


class _Resolver:
    """Finds or creates the accounts, journals and third parties the file names."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure
        self.accounts = {a.number: a for a in Account.objects.filter(structure=structure)}
        self.journals = {j.code: j for j in Journal.objects.filter(structure=structure)}
        self.third_parties = {t.code: t for t in ThirdParty.objects.filter(structure=structure)}

    def account(self, line: BookLine) -> Account:
        number = line.account_number.strip()
        found = self.accounts.get(number)
        if found is None:
            if not number.isdigit() or number[0] not in "12345678" \
                    or account_root(self.structure, number) is None:
                raise ValueError(_(
                    "le compte %(number)s ne prolonge aucun compte du plan ; corrigez son "
                    "numéro dans le fichier."
                ) % {"number": number})
            found = Account.objects.create(structure=self.structure, number=number,
                                           label=(line.account_label or number)[:150])
            self.accounts[number] = found
        return found

    def journal(self, line: BookLine) -> Journal:
        code = re.sub(r"[^A-Z0-9]", "", line.journal_code.upper())[:6]
        if not code:
            raise ValueError(_("le code journal « %(code)s » est vide une fois nettoyé.")
                             % {"code": line.journal_code})
        found = self.journals.get(code)
        if found is None:
            found = Journal.objects.create(
                structure=self.structure, code=code, label=line.journal_label[:100] or code,
                kind=_journal_kind(code, line.journal_label))
            self.journals[code] = found
        return found

    def third_party(self, line: BookLine) -> ThirdParty | None:
        code = line.aux_number.strip().upper()[:17]
        if not code:
            return None
        found = self.third_parties.get(code)
        if found is None:
            kind = (ThirdParty.Kind.CUSTOMER if line.account_number.startswith("41")
                    else ThirdParty.Kind.SUPPLIER if line.account_number.startswith("40")
                    else ThirdParty.Kind.OTHER)
            found = ThirdParty.objects.create(structure=self.structure, code=code,
                                              name=(line.aux_label or code)[:150], kind=kind)
            self.third_parties[code] = found
        return found


def _validated_at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _load(structure: Structure, year: FiscalYear,
          lines: list[BookLine]) -> tuple[int, int]:
    resolver = _Resolver(structure)
    problems: list[tuple[int | None, str]] = []
    grouped: dict[tuple[str, str], list[tuple[int, BookLine]]] = defaultdict(list)
    for index, line in enumerate(lines):
        grouped[line.entry_key].append((index + 2, line))  # the header is line 1
    sequences: dict[int, int] = defaultdict(int)
    entries: list[tuple[Entry, list[EntryLine]]] = []
    for key, numbered in grouped.items():
        first_line_no, first = numbered[0]
        if not year.contains(first.entry_date):
            problems.append((first_line_no, _(
                "l'écriture %(num)s est datée du %(day)s, hors de l'exercice du %(start)s au "
                "%(end)s."
            ) % {"num": key[1], "day": first.entry_date.strftime("%d/%m/%Y"),
                 "start": year.starts_on.strftime("%d/%m/%Y"),
                 "end": year.last_day.strftime("%d/%m/%Y")}))
            continue
        try:
            journal = resolver.journal(first)
            built = [
                EntryLine(fiscal_year=year, position=position, account=resolver.account(ln),
                          third_party=resolver.third_party(ln), label=ln.label[:200],
                          debit=ln.debit, credit=ln.credit, lettering_code=ln.lettering_code[:6],
                          lettered_on=ln.lettered_on)
                for position, (_no, ln) in enumerate(numbered, start=1)
            ]
        except ValueError as error:
            problems.append((first_line_no, str(error)))
            continue
        sequences[journal.pk] += 1
        entry = Entry(
            structure=structure, journal=journal, fiscal_year=year, date=first.entry_date,
            label=first.label[:200], piece_ref=first.piece_ref[:50],
            piece_date=first.piece_date, source=f"fec:{key[1]}"[:60],
        )
        entry.number = sequences[journal.pk]  # kept aside: set when validated below
        entry.validated_on = max(first.validated_on, first.entry_date)
        entries.append((entry, built))
    if problems:
        raise FecImportError(problems)
    numbers = [(e.number, e.validated_on or e.date) for e, _lines in entries]
    for entry, _lines in entries:
        entry.number, entry.validated_on = None, None
    Entry.objects.bulk_create([e for e, _lines in entries], batch_size=2000)
    for entry, built in entries:
        for entry_line in built:
            entry_line.entry = entry
    EntryLine.objects.bulk_create([ln for _e, built in entries for ln in built],
                                  batch_size=5000)
    EntryLine.objects.filter(fiscal_year=year).update(validated=True)
    for (entry, _lines), (number, validated_on) in zip(entries, numbers, strict=True):
        entry.status, entry.number = Entry.Status.VALIDATED, number
        entry.validated_on, entry.validated_at = validated_on, _validated_at(validated_on)
    Entry.objects.bulk_update([e for e, _lines in entries],
                              ["status", "number", "validated_on", "validated_at"],
                              batch_size=2000)
    JournalSequence.objects.bulk_create(
        JournalSequence(journal_id=journal_id, fiscal_year=year, last_number=last)
        for journal_id, last in sequences.items()
    )
    return len(entries), sum(len(built) for _e, built in entries)


def load_fec(*, actor: AnyUser | None, structure: Structure, data: bytes,
             filename: str) -> FecImportResult:
    """Import without a gate, for trusted callers (the `import_fec` command)."""
    try:
        lines = fec.read_fec(data, filename)
    except fec.FecError as error:
        raise FecImportError([(p.line, p.message) for p in error.problems]) from None
    if not lines:
        raise FecImportError([(None, _("Le fichier ne contient aucune écriture."))])
    with transaction.atomic():
        starts_on, ends_on = _year_bounds(_closing_date(filename, lines))
        year = _prepare_books(structure, starts_on, ends_on)
        entry_count, line_count = _load(structure, year, lines)
        audit.record(actor=actor, action="ledger.fec.imported", target=year,
                     data={"file": filename, "entries": entry_count, "lines": line_count})
    return FecImportResult(fiscal_year=year, entries=entry_count, lines=line_count)


def import_fec(*, actor: AnyUser, structure: Structure, data: bytes, filename: str,
               today: dt.date) -> FecImportResult:
    require(permissions.can_keep_books(actor, structure, today=today))
    return load_fec(actor=actor, structure=structure, data=data, filename=filename)
