"""Checking and reading a FEC: every rule of the DGFiP test tool and the auditors' ones."""

from __future__ import annotations

import codecs
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from stdnum.fr import siren as siren_number

from kpa.ledger.exchange import BookLine
from kpa.ledger.fec.writing import (
    CENT,
    ENCODING,
    FEC_COLUMNS,
    SENS_COLUMNS,
    SEPARATORS,
    ZERO,
    Severity,
    format_date,
)

# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FecProblem:
    line: int | None  # 1-based physical line of the file (header = 1); None for the file itself
    rule: str  # one of the codes in the module docstring
    severity: Severity
    message: str  # French, says where and what to do

    def __str__(self) -> str:
        return self.message


@dataclass
class FecReport:
    problems: list[FecProblem] = field(default_factory=list)
    total_debit: Decimal = ZERO
    total_credit: Decimal = ZERO
    entry_count: int = 0  # distinct JournalCode + EcritureNum
    line_count: int = 0  # non-empty lines after the header
    encoding: str = ENCODING  # how the bytes were read: "ascii", "utf-8" or "iso8859_15"

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[FecProblem]:
        return [p for p in self.problems if p.severity == "erreur"]

    @property
    def alerts(self) -> list[FecProblem]:
        return [p for p in self.problems if p.severity == "alerte"]


class FecError(ValueError):
    """`read_fec` refused the file; `problems` lists every problem found, in line order."""

    def __init__(self, problems: list[FecProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.message for p in problems))


def check_fec(
    data: bytes,
    filename: str,
    *,
    fiscal_year_start: dt.date | None = None,
    fiscal_year_end: dt.date | None = None,
) -> FecReport:
    """Every rule of DGFiP's Test Compta Demat plus the auditors' rules (module docstring)."""
    checker = _Checker(for_import=False, year_start=fiscal_year_start, year_end=fiscal_year_end)
    checker.check_name(filename)
    checker.check_content(data)
    return checker.report


def read_fec(data: bytes, filename: str | None = None) -> list[BookLine]:
    """The FEC's lines as `BookLine`s, in file order, or `FecError` listing every problem.

    The name is checked only when given. The fiscal year is not known here: the caller checks
    the dates. Montantdevise/Idevise are not kept; the treasury code and label are left "".
    """
    checker = _Checker(for_import=True, year_start=None, year_end=None)
    if filename is not None:
        checker.check_name(filename)
    checker.check_content(data)
    if not checker.report.ok:
        raise FecError(sorted(checker.report.problems, key=_line_order))
    return [row.book_line() for row in checker.rows]


def _line_order(problem: FecProblem) -> int:
    return -1 if problem.line is None else problem.line


# Column roles.
_DATE_COLUMNS = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_MANDATORY = ("EcritureNum", "EcritureDate", "CompteNum", "Montant")
# Blank values Test Compta Demat only warns about; the first four break a BookLine on import.
_WANTED_FOR_IMPORT = ("JournalCode", "EcritureLib", "PieceDate", "ValidDate")
_WANTED = (*_WANTED_FOR_IMPORT, "JournalLib", "CompteLib", "PieceRef", "Debit", "Credit")

_KNOWN_COLUMNS = {
    **{name.upper(): name for name in FEC_COLUMNS},
    "MONTANT": "Montant",
    "SENS": "Sens",
}

_VALID_AMOUNT = re.compile(r"[+-]?\d+(?:,\d+)?")
_GROUPED_AMOUNT = re.compile(r"[+-]?\d{1,3}(?:[ .,'\u00a0\u202f]\d{3})+(?:[.,]\d*)?")
_POINT_AMOUNT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)")
_FILE_NAME = re.compile(r"(?P<siren>\d{9})FEC(?P<closing>\d{8})(?:\.[A-Za-z0-9]+)?")
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_RECORD_BREAK = re.compile(r"\r\n|\r|\n")


def _fold(text: str) -> str:
    """Upper case without accents: how Test Compta Demat compares names."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _show(amount: Decimal) -> str:
    """An amount for a message; unlike `format_amount`, never raises (huge or odd input)."""
    return "0,00" if amount == 0 else f"{amount:.2f}".replace(".", ",")


@dataclass(frozen=True)
class _Layout:
    separator: str
    width: int  # number of fields in the header, so in every line
    index: dict[str, int]  # canonical column name -> position
    with_sens: bool


@dataclass
class _Row:
    """One data line: its raw values and what could be parsed from them (None = unreadable)."""

    number: int
    values: dict[str, str]
    dates: dict[str, dt.date | None] = field(default_factory=dict)
    debit: Decimal | None = None
    credit: Decimal | None = None

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def date(self, name: str) -> dt.date:
        value = self.dates.get(name)
        if value is None:  # read_fec converts only rows without errors
            raise RuntimeError(f"line {self.number}: {name} was not checked")
        return value

    def book_line(self) -> BookLine:
        if self.debit is None or self.credit is None:
            raise RuntimeError(f"line {self.number}: amounts were not checked")
        return BookLine(
            journal_code=self.get("JournalCode"),
            journal_label=self.get("JournalLib"),
            entry_number=self.get("EcritureNum"),
            entry_date=self.date("EcritureDate"),
            account_number=self.get("CompteNum"),
            account_label=self.get("CompteLib"),
            aux_number=self.get("CompAuxNum"),
            aux_label=self.get("CompAuxLib"),
            piece_ref=self.get("PieceRef"),
            piece_date=self.date("PieceDate"),
            label=self.get("EcritureLib"),
            debit=self.debit.quantize(CENT),
            credit=self.credit.quantize(CENT),
            lettering_code=self.get("EcritureLet"),
            lettered_on=self.dates.get("DateLet"),
            validated_on=self.date("ValidDate"),
        )


@dataclass
class _Entry:
    """What the auditor rules need to know of one JournalCode + EcritureNum."""

    journal: str
    number: str
    first_line: int
    last_line: int
    date: dt.date | None = None
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    amounts_readable: bool = True
    moves_income_or_expense: bool = False  # a line on class 6 or 7
    moves_result: bool = False  # a line on 12x


@dataclass
class _Numbering:
    """Continuity of EcritureNum, per journal and over the whole file."""

    last_by_journal: dict[str, tuple[int, str]] = field(default_factory=dict)
    undigited_journals: set[str] = field(default_factory=set)
    per_journal_problems: list[FecProblem] = field(default_factory=list)
    last_global: int | None = None
    globally_continuous: bool = True


class _Checker:
    """One pass over the file; `report` gathers the problems, `rows` the readable lines."""

    def __init__(
        self, *, for_import: bool, year_start: dt.date | None, year_end: dt.date | None
    ) -> None:
        self.for_import = for_import
        self.year_start = year_start
        self.year_end = year_end
        self.report = FecReport()
        self.rows: list[_Row] = []
        self.entries: dict[tuple[str, str], _Entry] = {}
        self.numbering = _Numbering()
        self.first_ordinary_line: int | None = None  # first line of a non-opening entry
        self.totals_complete = True  # every amount was readable

    # -- reporting ------------------------------------------------------------------------------

    def add(
        self,
        line: int | None,
        rule: str,
        message: str,
        *,
        alert: bool = False,
        blocks: bool = False,
    ) -> None:
        """Record a problem; `blocks` makes an alert an error when importing."""
        is_error = not alert or (blocks and self.for_import)
        severity: Severity = "erreur" if is_error else "alerte"
        self.report.problems.append(FecProblem(line, rule, severity, message))

    # -- rule 1: the name -----------------------------------------------------------------------

    def check_name(self, filename: str) -> None:
        base = re.split(r"[\\/]", filename)[-1]
        match = _FILE_NAME.fullmatch(base)
        if match is None:
            self.add(None, "nom_fichier", _(
                "Le nom de fichier « %(name)s » ne suit pas le modèle SIRENFECAAAAMMJJ "
                "(par exemple 732829320FEC20261231.txt) ; renommez-le avec le SIREN et la date "
                "de clôture de l'exercice."
            ) % {"name": base})
            return
        closing = _calendar_date(match["closing"])
        if closing is None:
            self.add(None, "nom_fichier", _(
                "Le nom de fichier « %(name)s » porte la date de clôture « %(date)s », qui "
                "n'existe pas ; écrivez-la au format AAAAMMJJ."
            ) % {"name": base, "date": match["closing"]})
        if not siren_number.is_valid(match["siren"]):
            self.add(None, "nom_fichier", _(
                "Le SIREN « %(siren)s » du nom de fichier n'est pas valide (clé de contrôle) ; "
                "vérifiez-le."
            ) % {"siren": match["siren"]}, alert=True)
        if closing and self.year_end and closing != self.year_end:
            self.add(None, "nom_fichier", _(
                "Le nom de fichier porte la clôture %(name_date)s mais l'exercice se termine le "
                "%(year_end)s ; renommez le fichier."
            ) % {"name_date": format_date(closing), "year_end": format_date(self.year_end)},
                alert=True)

    # -- rules 2 to 11 and the auditor rules ------------------------------------------------------

    def check_content(self, data: bytes) -> None:
        text = self.decode(data)
        records = _RECORD_BREAK.split(text)
        if records and records[-1] == "":  # the terminator of the last record
            records.pop()
        if not any(record.strip() for record in records):
            self.add(None, "fichier_vide", _(
                "Le fichier est vide ; exportez à nouveau le FEC de l'exercice."
            ))
            return
        layout = self.read_header(records[0])
        if len(records) == 1:
            self.add(1, "entete_seule", _(
                "Ligne 1 : le fichier ne contient que la ligne d'en-tête, aucune écriture ; "
                "vérifiez l'exercice exporté."
            ))
        if layout is None:
            return
        for number, record in enumerate(records[1:], start=2):
            self.check_record(number, record, layout)
        self.check_entries()
        self.check_totals()

    def decode(self, data: bytes) -> str:
        """UTF-8 if the bytes are strictly UTF-8 (a BOM is dropped), else ISO-8859-15."""
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode(ENCODING)
        if text.isascii():
            self.report.encoding = "ascii"  # what the arrêté names first; also valid UTF-8
        else:
            self.report.encoding = "utf-8"
            self.add(None, "encodage", _(
                "Le fichier est encodé en UTF-8 ; l'arrêté A47 A-1 prévoit ASCII, ISO 8859-15 ou "
                "EBCDIC : exportez-le de préférence en ISO 8859-15."
            ), alert=True)
        return text

    # -- header (rules 2 and 3) ---------------------------------------------------------------

    def read_header(self, header: str) -> _Layout | None:
        separator = _detect_separator(header)
        if separator is None:
            self.add(1, "separateur", _(
                "Ligne 1 : séparateur de champs non reconnu ; le FEC sépare ses champs par une "
                "tabulation ou par « | » (la virgule et le point-virgule sont refusés)."
            ))
            return None
        names = [name.strip(" ") for name in header.split(separator)]
        index = self.map_columns(names)
        with_sens = "Debit" not in index and "Credit" not in index and (
            "Montant" in index or "Sens" in index
        )
        expected = SENS_COLUMNS if with_sens else FEC_COLUMNS
        for name in [n for n in index if n not in expected]:  # Montant beside Debit, say
            self.report_extra_column(names[index.pop(name)])
        self.check_columns_present(expected, index)
        return _Layout(separator, len(names), index, with_sens)

    def map_columns(self, names: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for position, name in enumerate(names):
            canonical = _KNOWN_COLUMNS.get(_fold(name))
            if canonical is None:
                self.report_extra_column(name)
            elif canonical in index:
                self.add(1, "entete", _(
                    "Ligne 1 : la colonne « %(name)s » apparaît deux fois dans l'en-tête ; "
                    "supprimez le doublon."
                ) % {"name": canonical})
            else:
                index[canonical] = position
                if name != canonical:
                    self.add(1, "entete", _(
                        "Ligne 1 : l'en-tête « %(found)s » devrait s'écrire exactement "
                        "« %(name)s »."
                    ) % {"found": name, "name": canonical}, alert=True)
        return index

    def report_extra_column(self, name: str) -> None:
        if not name:
            self.add(1, "colonne_supplementaire", _(
                "Ligne 1 : l'en-tête contient une colonne sans nom (un séparateur en trop, "
                "peut-être en fin de ligne) ; retirez-la."
            ), alert=True)
            return
        self.add(1, "colonne_supplementaire", _(
            "Ligne 1 : la colonne « %(name)s » ne fait pas partie des 18 colonnes de l'arrêté "
            "A47 A-1 ; elle est admise en fin de ligne mais ne sera pas lue."
        ) % {"name": name}, alert=True)

    def check_columns_present(self, expected: tuple[str, ...], index: dict[str, int]) -> None:
        for name in expected:
            if name not in index:
                self.add(1, "entete", _(
                    "Ligne 1 : la colonne obligatoire « %(name)s » manque dans l'en-tête ; le FEC "
                    "a 18 colonnes, de JournalCode à Idevise, dans l'ordre de l'arrêté."
                ) % {"name": name})
        present = [name for name in expected if name in index]
        if sorted(present, key=index.__getitem__) != present:
            self.add(1, "ordre_colonnes", _(
                "Ligne 1 : les colonnes ne sont pas dans l'ordre de l'arrêté A47 A-1 (%(order)s)."
            ) % {"order": ", ".join(expected)}, alert=True)

    # -- one line (rules 4 to 10, per-line auditor rules) --------------------------------------

    def check_record(self, number: int, record: str, layout: _Layout) -> None:
        if not record.strip():
            self.add(number, "ligne_vide", _(
                "Ligne %(line)d : ligne vide ; supprimez-la (chaque ligne du FEC est une ligne "
                "d'écriture)."
            ) % {"line": number})
            return
        self.report.line_count += 1
        fields = record.split(layout.separator)
        if len(fields) != layout.width:
            self.add(number, "nombre_champs", _(
                "Ligne %(line)d : %(found)d champs au lieu des %(expected)d de l'en-tête ; un "
                "libellé contient peut-être le séparateur, retirez-le."
            ) % {"line": number, "found": len(fields), "expected": layout.width})
            self.totals_complete = False
            return
        values = {name: fields[position].strip(" ") for name, position in layout.index.items()}
        row = _Row(number, values)
        self.check_fields(row, layout)
        self.check_pairs(row)
        self.rows.append(row)
        self.add_to_entry(row)

    def check_fields(self, row: _Row, layout: _Layout) -> None:
        self.check_blanks(row)
        self.check_account(row)
        for name in _DATE_COLUMNS:
            if name in row.values:
                row.dates[name] = self.parse_date(row, name)
        if layout.with_sens:
            self.parse_montant_sens(row)
        else:
            row.debit = self.parse_amount(row, "Debit")
            row.credit = self.parse_amount(row, "Credit")
        if row.get("Montantdevise"):
            self.parse_amount(row, "Montantdevise")
        self.check_one_side(row)

    def check_blanks(self, row: _Row) -> None:
        for name in _MANDATORY:
            if name in row.values and _is_blank(row, name):
                self.add(row.number, "champ_obligatoire", _(
                    "Ligne %(line)d : le champ obligatoire %(name)s est vide ; renseignez-le."
                ) % {"line": row.number, "name": name})
        for name in _WANTED:
            if name in row.values and _is_blank(row, name):
                self.add(row.number, "champ_vide", _(
                    "Ligne %(line)d : le champ %(name)s est vide ; il devrait être renseigné."
                ) % {"line": row.number, "name": name},
                    alert=True, blocks=name in _WANTED_FOR_IMPORT)

    def check_account(self, row: _Row) -> None:
        account = row.get("CompteNum")
        if account and not account[:3].isdigit():
            self.add(row.number, "compte_num", _(
                "Ligne %(line)d : le numéro de compte « %(account)s » ne commence pas par trois "
                "chiffres du plan comptable ; utilisez un compte du PCG (par exemple 411000)."
            ) % {"line": row.number, "account": account}, alert=True, blocks=True)

    def parse_date(self, row: _Row, name: str) -> dt.date | None:
        value = row.values[name]
        if not value or not value.strip("0"):  # "00000000" means no date, as for DGFiP
            return None
        parsed = _calendar_date(value) if re.fullmatch(r"\d{8}", value) else None
        if parsed is None:
            self.add(row.number, "date", _(
                "Ligne %(line)d : la date %(name)s « %(value)s » n'est pas une date valide au "
                "format AAAAMMJJ (par exemple 20260315)."
            ) % {"line": row.number, "name": name, "value": value})
        elif not 1900 <= parsed.year <= 2099:
            self.add(row.number, "date_annee", _(
                "Ligne %(line)d : la date %(name)s « %(value)s » a une année hors de 1900-2099 ; "
                "vérifiez-la."
            ) % {"line": row.number, "name": name, "value": value}, alert=True)
        return parsed

    def parse_amount(self, row: _Row, name: str) -> Decimal | None:
        """The amount, ZERO when blank, None when unreadable (and then reported) or absent."""
        value = row.values.get(name)
        if value is None:  # the column is missing: reported with the header
            return None
        if not value:
            return ZERO
        rule = _amount_rule(value)
        if rule is not None:
            self.add(row.number, rule, _amount_message(rule, row.number, name, value))
            return None
        amount = Decimal(value.replace(",", "."))
        if self.for_import and not self.importable_amount(row, name, amount):
            return None
        return amount

    def importable_amount(self, row: _Row, name: str, amount: Decimal) -> bool:
        """A BookLine holds positive whole cents; say so rather than guess a sign or round."""
        ok = True
        if amount < 0 and name != "Montantdevise":
            self.add(row.number, "import", _(
                "Ligne %(line)d : le montant %(name)s « %(value)s » est négatif ; portez-le en "
                "positif dans l'autre colonne (débit ou crédit)."
            ) % {"line": row.number, "name": name, "value": row.values[name]})
            ok = False
        if amount != amount.quantize(CENT):
            self.add(row.number, "import", _(
                "Ligne %(line)d : le montant %(name)s « %(value)s » a plus de deux décimales ; "
                "arrondissez-le au centime."
            ) % {"line": row.number, "name": name, "value": row.values[name]})
            ok = False
        return ok

    def parse_montant_sens(self, row: _Row) -> None:
        amount = self.parse_amount(row, "Montant")
        sens = row.get("Sens").upper()
        if sens not in {"D", "C", "+1", "-1"}:
            self.add(row.number, "sens", _(
                "Ligne %(line)d : le sens « %(value)s » est inconnu ; écrivez D (débit) ou "
                "C (crédit), ou +1 / -1."
            ) % {"line": row.number, "value": row.get("Sens")})
            return
        if amount is not None:
            is_debit = sens in {"D", "+1"}
            row.debit, row.credit = (amount, ZERO) if is_debit else (ZERO, amount)

    def check_one_side(self, row: _Row) -> None:
        if row.debit is None or row.credit is None or (row.debit != 0) != (row.credit != 0):
            return
        if row.debit:
            message = _(
                "Ligne %(line)d : débit %(debit)s et crédit %(credit)s sont tous deux renseignés ; "
                "une ligne porte un seul montant, l'autre vaut 0,00 (scindez-la en deux lignes)."
            ) % {"line": row.number, "debit": _show(row.debit), "credit": _show(row.credit)}
        else:
            message = _(
                "Ligne %(line)d : débit et crédit sont nuls ; supprimez la ligne ou portez son "
                "montant au débit ou au crédit."
            ) % {"line": row.number}
        self.add(row.number, "debit_credit", message, alert=True, blocks=True)

    def check_pairs(self, row: _Row) -> None:
        """Fields that go together: lettering, third party, currency, validation date."""
        self.check_pair(row, "EcritureLet", "DateLet", "lettrage")
        self.check_pair(row, "CompAuxNum", "CompAuxLib", "compte_auxiliaire")
        self.check_pair(row, "Montantdevise", "Idevise", "devise")
        posted, validated = row.dates.get("EcritureDate"), row.dates.get("ValidDate")
        if posted and validated and validated < posted:
            self.add(row.number, "date_validation", _(
                "Ligne %(line)d : la date de validation %(valid)s précède la date d'écriture "
                "%(posted)s ; une écriture se valide le jour de sa saisie ou après."
            ) % {"line": row.number, "valid": format_date(validated),
                 "posted": format_date(posted)}, alert=True)

    def check_pair(self, row: _Row, first: str, second: str, rule: str) -> None:
        for present, missing in ((first, second), (second, first)):
            if not _is_blank(row, present) and _is_blank(row, missing):
                self.add(row.number, rule, _(
                    "Ligne %(line)d : %(present)s est renseigné mais %(missing)s est vide ; "
                    "renseignez les deux ou aucun."
                ) % {"line": row.number, "present": present, "missing": missing}, alert=True)

    # -- entries (auditor rules) ---------------------------------------------------------------

    def add_to_entry(self, row: _Row) -> None:
        number = row.get("EcritureNum")
        if not number:
            return  # already an error; it cannot be grouped
        key = (row.get("JournalCode"), number)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = _Entry(key[0], number, row.number, row.number)
            self.check_opening_order(entry, row)
            self.check_numbering(entry)
        entry.last_line = row.number
        self.add_date(entry, row)
        self.add_amounts(entry, row)
        account = row.get("CompteNum")
        entry.moves_income_or_expense |= account[:1] in {"6", "7"}
        entry.moves_result |= account.startswith("12")

    def add_date(self, entry: _Entry, row: _Row) -> None:
        posted = row.dates.get("EcritureDate")
        if posted is None:
            return
        if entry.date is None:
            entry.date = posted
            self.check_in_year(entry, posted, row.number)
        elif posted != entry.date:
            self.add(row.number, "ecriture_dates", _(
                "Ligne %(line)d : l'écriture %(number)s est datée du %(date)s alors que sa "
                "ligne %(first)d est datée du %(first_date)s ; toutes les lignes d'une écriture "
                "portent la même EcritureDate."
            ) % {"line": row.number, "number": entry.number, "date": format_date(posted),
                 "first": entry.first_line, "first_date": format_date(entry.date)})

    def check_in_year(self, entry: _Entry, posted: dt.date, line: int) -> None:
        too_early = self.year_start is not None and posted < self.year_start
        too_late = self.year_end is not None and posted > self.year_end
        if too_early or too_late:
            self.add(line, "hors_exercice", _(
                "Ligne %(line)d : l'écriture %(number)s est datée du %(date)s, hors de "
                "l'exercice (%(start)s-%(end)s) ; le FEC ne contient que les écritures de "
                "l'exercice."
            ) % {"line": line, "number": entry.number, "date": format_date(posted),
                 "start": format_date(self.year_start) or "…",
                 "end": format_date(self.year_end) or "…"})

    def add_amounts(self, entry: _Entry, row: _Row) -> None:
        if row.debit is None or row.credit is None:
            entry.amounts_readable = False
            self.totals_complete = False
            return
        entry.debit += row.debit
        entry.credit += row.credit
        self.report.total_debit += row.debit
        self.report.total_credit += row.credit

    def check_opening_order(self, entry: _Entry, row: _Row) -> None:
        """À-nouveaux carry the previous year's balances and must open the file (A47 A-1 VII)."""
        if not _is_opening_journal(entry.journal, row.get("JournalLib")):
            if self.first_ordinary_line is None:
                self.first_ordinary_line = row.number
            return
        if self.first_ordinary_line is not None:
            self.add(row.number, "a_nouveaux", _(
                "Ligne %(line)d : l'écriture d'à-nouveaux %(number)s vient après d'autres "
                "écritures (dès la ligne %(first)d) ; placez les à-nouveaux en tête du fichier."
            ) % {"line": row.number, "number": entry.number, "first": self.first_ordinary_line})

    def check_numbering(self, entry: _Entry) -> None:
        """Numbers must follow each other per journal; a single sequence for the whole file,
        which A47 A-1 also allows, is accepted instead (decided in `check_entries`)."""
        state = self.numbering
        digits = _TRAILING_DIGITS.search(entry.number)
        if digits is None:
            state.globally_continuous = False
            if entry.journal not in state.undigited_journals:
                state.undigited_journals.add(entry.journal)
                self.add(entry.first_line, "numerotation", _(
                    "Ligne %(line)d : le numéro d'écriture « %(number)s » ne finit pas par des "
                    "chiffres ; la continuité de la numérotation ne peut pas être vérifiée."
                ) % {"line": entry.first_line, "number": entry.number}, alert=True)
            return
        value = int(digits.group(1))
        if state.last_global is not None and value != state.last_global + 1:
            state.globally_continuous = False
        state.last_global = value
        previous = state.last_by_journal.get(entry.journal)
        state.last_by_journal[entry.journal] = (value, entry.number)
        if previous is not None and value != previous[0] + 1:
            state.per_journal_problems.append(
                self.numbering_problem(entry, previous[1], previous[0] + 1, value)
            )

    def numbering_problem(
        self, entry: _Entry, previous: str, expected: int, value: int
    ) -> FecProblem:
        values = {"line": entry.first_line, "journal": entry.journal, "number": entry.number,
                  "previous": previous, "expected": expected}
        if value > expected:
            message = _(
                "Ligne %(line)d : dans le journal %(journal)s, l'écriture %(number)s suit "
                "%(previous)s ; la numérotation doit être continue (numéro attendu : "
                "%(expected)d)."
            ) % values
        else:
            message = _(
                "Ligne %(line)d : dans le journal %(journal)s, l'écriture %(number)s vient après "
                "%(previous)s ; les numéros doivent croître dans l'ordre du fichier."
            ) % values
        return FecProblem(entry.first_line, "numerotation", "alerte", message)

    def check_entries(self) -> None:
        self.report.entry_count = len(self.entries)
        for entry in self.entries.values():
            self.check_balance(entry)
            self.check_not_closing(entry)
        if not self.numbering.globally_continuous or len(self.numbering.last_by_journal) < 2:
            self.report.problems.extend(self.numbering.per_journal_problems)

    def check_balance(self, entry: _Entry) -> None:
        if not entry.amounts_readable or entry.debit == entry.credit:
            return
        self.add(entry.first_line, "ecriture_desequilibree", _(
            "Ligne %(line)d : l'écriture %(number)s n'est pas équilibrée (débit %(debit)s, "
            "crédit %(credit)s) ; corrigez ses lignes %(first)d à %(last)d pour que débit et "
            "crédit soient égaux."
        ) % {"line": entry.first_line, "number": entry.number, "debit": _show(entry.debit),
             "credit": _show(entry.credit), "first": entry.first_line, "last": entry.last_line})

    def check_not_closing(self, entry: _Entry) -> None:
        if entry.moves_income_or_expense and entry.moves_result:
            self.add(entry.first_line, "cloture", _(
                "Ligne %(line)d : l'écriture %(number)s solde des comptes de classe 6 ou 7 dans "
                "un compte 12 ; les écritures de clôture ne doivent pas figurer dans le FEC, "
                "retirez-la."
            ) % {"line": entry.first_line, "number": entry.number})

    def check_totals(self) -> None:
        """Rule 11: totals are reported; DGFiP disabled its imbalance alert, we keep ours."""
        report = self.report
        # An unreadable amount is already reported; the totals would only repeat it.
        if self.totals_complete and report.total_debit != report.total_credit:
            self.add(None, "equilibre_global", _(
                "Le total des débits (%(debit)s) diffère du total des crédits (%(credit)s) ; "
                "le FEC d'un exercice est équilibré."
            ) % {"debit": _show(report.total_debit), "credit": _show(report.total_credit)},
                alert=True)


def _detect_separator(header: str) -> str | None:
    """Rule 2, as Test Compta Demat: tab if it gives >= 9 header fields, else pipe, else none."""
    for separator in SEPARATORS:
        if len(header.split(separator)) >= 9:
            return separator
    return None


def _calendar_date(value: str) -> dt.date | None:
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _amount_rule(value: str) -> str | None:
    """None for a well-formed FEC amount, else the rule it breaks (rule 7)."""
    if _VALID_AMOUNT.fullmatch(value):
        return None
    has_group_mark = any(mark in value for mark in " '\u00a0\u202f")
    if _GROUPED_AMOUNT.fullmatch(value) and (
        has_group_mark or value.count(".") + value.count(",") >= 2
    ):
        return "montant_milliers"
    if _POINT_AMOUNT.fullmatch(value):
        return "montant_point"
    return "montant_non_numerique"


def _amount_message(rule: str, line: int, name: str, value: str) -> str:
    values = {"line": line, "name": name, "value": value}
    if rule == "montant_milliers":
        return _(
            "Ligne %(line)d : le montant %(name)s « %(value)s » contient un séparateur de "
            "milliers ; le FEC n'en admet pas (écrivez par exemple 1200,00)."
        ) % values
    if rule == "montant_point":
        return _(
            "Ligne %(line)d : le montant %(name)s « %(value)s » utilise un point ; le FEC "
            "demande une virgule décimale (par exemple %(fixed)s)."
        ) % {**values, "fixed": value.replace(".", ",")}
    return _(
        "Ligne %(line)d : le montant %(name)s « %(value)s » n'est pas un nombre ; écrivez par "
        "exemple 1200,00 (signe éventuel en tête : -12,50)."
    ) % values


def _is_blank(row: _Row, name: str) -> bool:
    """Blank as DGFiP reads it: a date of zeros ("00000000") is no date."""
    value = row.get(name)
    return not (value.strip("0") if name in _DATE_COLUMNS else value)


def _is_opening_journal(code: str, label: str) -> bool:
    """The à-nouveaux journal: code AN, or a label such as « À nouveaux », « Reports à-nouveau »."""
    return _fold(code) == "AN" or "NOUVEAU" in _fold(label)
