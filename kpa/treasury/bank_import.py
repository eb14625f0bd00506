"""Bank statements come in: OFX 1.x (SGML) and 2.x (XML) read by ofxtools
(docs/decisions/0008-ofxtools.md), or CSV read through one of the structure's column mappings
(`BankCsvLayout`, kept here too).

An import is all or nothing. A file is refused whole, with one French sentence per bad line
("Ligne 7 : « 12,5x » n'est pas un montant."), when it cannot be read; the same file twice on
one bank journal (same SHA-256) is refused; a transaction the bank already sent in an earlier
file (same FITID on that journal) is skipped and counted, never doubled. Amounts are signed,
positive for money in; a zero line (information only) is not kept.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from xml.etree.ElementTree import Element
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.transaction import atomic
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ofxtools import Types as ofx_types
from ofxtools.Parser import OFXTree

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import quantize
from kpa.directory.models import Structure
from kpa.ledger.models import Journal
from kpa.treasury.models import BankCsvLayout, BankStatement, BankTransaction
from kpa.treasury.permissions import can_reconcile_bank

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 30
MAX_AMOUNT = Decimal(10) ** 12
MAX_COLUMN = 100
MAX_SKIP_ROWS = 50
REFERENCE_MAX_LENGTH = 100  # BankTransaction.bank_reference
LABEL_MAX_LENGTH = 300
NO_LABEL = "—"
DATE_WORDS = (("%d", "JJ"), ("%m", "MM"), ("%Y", "AAAA"), ("%y", "AA"))
SPACES = re.compile(r"[\s\u00a0\u202f']")
# With a decimal comma, points group thousands (1.234,56); with a decimal point, commas do.
COMMA_AMOUNT = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
POINT_AMOUNT = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@dataclass(frozen=True)
class ParsedTransaction:
    """One line as the bank wrote it, already checked."""

    booked_on: dt.date
    label: str
    amount: Decimal
    bank_reference: str = ""


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    created: int
    duplicates: int


def _clean_label(*parts: str | None) -> str:
    words: list[str] = []
    for part in parts:
        text = " ".join((part or "").split())
        if text and text.casefold() not in " ".join(words).casefold():
            words.append(text)
    return " — ".join(words)[:LABEL_MAX_LENGTH] or NO_LABEL


def _checked_amount(value: Decimal) -> Decimal | None:
    """The amount at the cent, or None when it is not one (NaN, too big, a tenth of a cent)."""
    if not value.is_finite() or abs(value) >= MAX_AMOUNT or value != quantize(value):
        return None
    return quantize(value)


def _too_many(errors: list[str]) -> list[str]:
    if len(errors) <= MAX_REPORTED_ERRORS:
        return errors
    rest = len(errors) - MAX_REPORTED_ERRORS
    return [*errors[:MAX_REPORTED_ERRORS],
            _("… et %(count)d autres erreurs.") % {"count": rest}]


def file_refusal(messages: list[str]) -> ValidationError:
    return ValidationError({"file": _too_many(messages)})


# -- OFX ------------------------------------------------------------------------------------


def is_ofx(content: bytes) -> bool:
    """OFX 1.x starts with its `OFXHEADER:100` block, OFX 2.x is XML with an `<?OFX ?>`
    processing instruction."""
    start = content[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    return start.startswith(b"OFXHEADER") or (start.startswith(b"<?XML") and b"<?OFX" in start)


def _local_day(moment: dt.datetime) -> dt.date:
    """ofxtools gives aware datetimes in UTC; the day is the one the bank meant, here."""
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def _ofx_text(element: Element, tag: str) -> str | None:
    found = element.find(tag)
    return found.text if found is not None else None


def _ofx_words(element: Element, tag: str) -> str | None:
    """A text element with its entities ("&amp;") read as ofxtools reads them."""
    text = _ofx_text(element, tag)
    return ofx_types.String().convert(text) if text else None


def _ofx_transaction(element: Element, number: int) -> ParsedTransaction:
    where = _("Opération n° %(n)d") % {"n": number}
    fitid = (_ofx_text(element, "FITID") or "").strip()
    if fitid:
        where = _("Opération n° %(n)d (FITID %(fitid)s)") % {"n": number, "fitid": fitid}
    errors: list[str] = []
    posted, amount = _ofx_text(element, "DTPOSTED"), _ofx_text(element, "TRNAMT")
    booked_on: dt.date | None = None
    value: Decimal | None = None
    if not posted:
        errors.append(_("%(where)s : il manque la date (DTPOSTED).") % {"where": where})
    else:
        try:
            booked_on = _local_day(ofx_types.DateTime(required=True).convert(posted))
        except (ValueError, TypeError, ArithmeticError):
            errors.append(_("%(where)s : « %(value)s » n'est pas une date OFX (DTPOSTED).")
                          % {"where": where, "value": posted})
    if not amount:
        errors.append(_("%(where)s : il manque le montant (TRNAMT).") % {"where": where})
    else:
        try:
            value = _checked_amount(ofx_types.Decimal(required=True).convert(amount))
        except (ValueError, TypeError, ArithmeticError):
            value = None
        if value is None:
            errors.append(_("%(where)s : « %(value)s » n'est pas un montant (TRNAMT).")
                          % {"where": where, "value": amount})
    if not fitid:
        errors.append(_("%(where)s : il manque l'identifiant de la banque (FITID).")
                      % {"where": where})
    if errors:
        raise ValidationError(errors)
    assert booked_on is not None
    assert value is not None
    if len(fitid) > REFERENCE_MAX_LENGTH:
        # Too long to keep as is: its digest is as unique and always the same.
        fitid = "sha256:" + hashlib.sha256(fitid.encode()).hexdigest()
    return ParsedTransaction(
        booked_on=booked_on, amount=value, bank_reference=fitid,
        label=_clean_label(_ofx_words(element, "NAME"), _ofx_words(element, "MEMO")))


def read_ofx(content: bytes) -> list[ParsedTransaction]:
    """The STMTTRN of an OFX statement: DTPOSTED, TRNAMT, NAME and MEMO, FITID."""
    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(content))
    except (SyntaxError, ValueError, LookupError, ArithmeticError, TypeError):
        raise file_refusal([_(
            "Ce fichier OFX est illisible (en-tête ou balises abîmées). Téléchargez à nouveau "
            "le relevé depuis le site de la banque, au format OFX ou CSV.")]) from None
    currencies = {(e.text or "").strip().upper() for e in tree.iter("CURDEF")}
    foreign = sorted(currencies - {"EUR"})
    if foreign:
        raise file_refusal([_("Ce relevé est en %(currency)s : seuls les relevés en euros "
                              "s'importent.") % {"currency": ", ".join(foreign)}])
    accounts = len(list(tree.iter("STMTRS"))) + len(list(tree.iter("CCSTMTRS")))
    if accounts > 1:
        raise file_refusal([_("Ce fichier contient les relevés de %(count)d comptes : "
                              "téléchargez un fichier par compte.") % {"count": accounts}])
    found: list[ParsedTransaction] = []
    errors: list[str] = []
    for number, element in enumerate(tree.iter("STMTTRN"), start=1):
        try:
            found.append(_ofx_transaction(element, number))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise file_refusal(errors)
    return found


# -- CSV ------------------------------------------------------------------------------------


def human_date_format(date_format: str) -> str:
    """"%d/%m/%Y" as people read it: "JJ/MM/AAAA"."""
    for directive, words in DATE_WORDS:
        date_format = date_format.replace(directive, words)
    return date_format


def read_day(text: str, date_format: str) -> dt.date:
    """A calendar day, as written (no time, no zone); ValueError when it is not one."""
    return dt.datetime.strptime(text, date_format).date()  # noqa: DTZ007


def _decode(content: bytes, encoding: str) -> str:
    codec = codecs.lookup(encoding).name
    try:
        return content.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        raise file_refusal([_(
            "Ligne %(line)d : ce caractère n'est pas écrit en %(encoding)s. Choisissez dans le "
            "format l'encodage de votre banque (souvent windows-1252 pour un fichier ouvert "
            "dans Excel).") % {"line": line, "encoding": encoding}]) from None


def parse_bank_amount(text: str, *, decimal_comma: bool) -> Decimal | None:
    """"-1 234,56", "1.234,56" or "1,234.56" (as the layout says) as a Decimal at the cent;
    None when it is not an amount. An empty cell is None too: the caller says which."""
    cleaned = SPACES.sub("", text).removesuffix("€").removesuffix("EUR")
    pattern = COMMA_AMOUNT if decimal_comma else POINT_AMOUNT
    if not pattern.fullmatch(cleaned):
        return None
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        return _checked_amount(Decimal(cleaned))
    except InvalidOperation:  # pragma: no cover - the pattern lets only digits through
        return None


def _column_names(layout: BankCsvLayout) -> list[tuple[int, str]]:
    columns = [(layout.date_column, _("date")), (layout.label_column, _("libellé"))]
    if layout.amount_column is not None:
        columns.append((layout.amount_column, _("montant")))
    else:
        assert layout.debit_column is not None
        assert layout.credit_column is not None
        columns += [(layout.debit_column, _("débit")), (layout.credit_column, _("crédit"))]
    return columns


def _csv_amount(record: list[str], layout: BankCsvLayout, where: str) -> Decimal:
    def cell(column: int) -> str:
        return record[column - 1].strip()

    def amount(text: str) -> Decimal:
        value = parse_bank_amount(text, decimal_comma=layout.decimal_comma)
        if value is None:
            raise ValidationError(_("%(where)s : « %(value)s » n'est pas un montant.")
                                  % {"where": where, "value": text})
        return value

    if layout.amount_column is not None:
        text = cell(layout.amount_column)
        if not text:
            raise ValidationError(_("%(where)s : le montant est vide.") % {"where": where})
        return amount(text)
    assert layout.debit_column is not None
    assert layout.credit_column is not None
    debit_text, credit_text = cell(layout.debit_column), cell(layout.credit_column)
    debit = abs(amount(debit_text)) if debit_text else Decimal("0.00")
    credit = abs(amount(credit_text)) if credit_text else Decimal("0.00")
    if not debit_text and not credit_text:
        raise ValidationError(_("%(where)s : ni débit ni crédit.") % {"where": where})
    if debit and credit:
        raise ValidationError(_("%(where)s : un débit et un crédit sur la même ligne ; la "
                                "banque en écrit un seul par opération.") % {"where": where})
    return credit - debit


def _csv_row(record: list[str], layout: BankCsvLayout, line: int) -> ParsedTransaction:
    where = _("Ligne %(line)d") % {"line": line}
    for column, name in _column_names(layout):
        if column > len(record):
            raise ValidationError(_(
                "%(where)s : il manque la colonne %(column)d (%(name)s) ; cette ligne n'en a "
                "que %(count)d. Vérifiez le séparateur du format."
            ) % {"where": where, "column": column, "name": name, "count": len(record)})
    errors: list[str] = []
    date_text = record[layout.date_column - 1].strip()
    booked_on: dt.date | None = None
    try:
        booked_on = read_day(date_text, layout.date_format)
    except ValueError:
        errors.append(_("%(where)s : « %(value)s » n'est pas une date au format %(format)s.")
                      % {"where": where, "value": date_text,
                         "format": human_date_format(layout.date_format)})
    amount: Decimal | None = None
    try:
        amount = _csv_amount(record, layout, where)
    except ValidationError as error:
        errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    assert booked_on is not None
    assert amount is not None
    return ParsedTransaction(booked_on=booked_on, amount=amount,
                             label=_clean_label(record[layout.label_column - 1]))


def read_csv(content: bytes, layout: BankCsvLayout) -> list[ParsedTransaction]:
    """Every line after the header rows; blank lines are passed over."""
    reader = csv.reader(io.StringIO(_decode(content, layout.encoding), newline=""),
                        delimiter=layout.delimiter)
    found: list[ParsedTransaction] = []
    errors: list[str] = []
    try:
        for index, record in enumerate(reader):
            if index < layout.skip_rows or not any(cell.strip() for cell in record):
                continue
            try:
                found.append(_csv_row(record, layout, reader.line_num))
            except ValidationError as error:
                errors.extend(error.messages)
    except csv.Error:
        errors.append(_("Ligne %(line)d : ligne CSV mal formée (guillemet non fermé ?).")
                      % {"line": reader.line_num})
    if errors:
        raise file_refusal(errors)
    return found


def read_statement(content: bytes, layout: BankCsvLayout | None
                   ) -> tuple[str, list[ParsedTransaction]]:
    """The file's format ("ofx" or "csv") and its transactions; OFX is recognised by itself,
    a CSV needs its layout."""
    if is_ofx(content):
        return "ofx", read_ofx(content)
    if layout is None:
        raise file_refusal([_(
            "Ce fichier n'est pas un relevé OFX, et aucun format CSV n'est choisi : choisissez "
            "le format de votre banque (ou créez-le), ou téléchargez le relevé au format OFX.")])
    return "csv", read_csv(content, layout)


# -- import ---------------------------------------------------------------------------------


def check_bank_journal(journal: Journal) -> None:
    if journal.kind != Journal.Kind.BANK or journal.account_id is None:
        raise ValidationError({"journal": _(
            "Choisissez un journal de banque relié à son compte 512 : c'est ce compte que "
            "l'on rapproche du relevé.")})


@atomic
def import_statement(*, actor: AnyUser, journal: Journal, file_name: str, content: bytes,
                     layout: BankCsvLayout | None = None, today: dt.date) -> ImportResult:
    """Record a statement and its new transactions on `journal` (its bank account)."""
    structure = journal.structure
    require(can_reconcile_bank(actor, structure, today=today))
    check_bank_journal(journal)
    if layout is not None and layout.structure_id != structure.pk:
        raise ValidationError({"layout": _("Ce format CSV n'est pas celui de la structure.")})
    if not content:
        raise file_refusal([_("Le fichier est vide.")])
    if len(content) > MAX_FILE_BYTES:
        raise file_refusal([_("Le fichier dépasse %(size)d Mo : téléchargez un relevé plus "
                              "court (un mois, par exemple).")
                            % {"size": MAX_FILE_BYTES // (1024 * 1024)}])
    # One import at a time per bank journal: FITIDs and file digests are checked, then written.
    journal = Journal.objects.select_for_update().get(pk=journal.pk)
    digest = hashlib.sha256(content).hexdigest()
    earlier = BankStatement.objects.filter(journal=journal, sha256=digest).first()
    if earlier is not None:
        raise file_refusal([_(
            "Ce fichier a déjà été importé le %(day)s (« %(name)s ») : rien n'est importé deux "
            "fois.") % {"day": timezone.localtime(earlier.imported_at).strftime("%d/%m/%Y"),
                        "name": earlier.file_name}])
    file_format, read = read_statement(content, layout)
    parsed = [item for item in read if item.amount]  # a zero line moves no money
    if not parsed:
        raise file_refusal([_("Ce fichier ne contient aucune opération.")])
    known = set(BankTransaction.objects.filter(
        journal=journal, bank_reference__in=[p.bank_reference for p in parsed
                                             if p.bank_reference]
    ).values_list("bank_reference", flat=True))
    fresh: list[ParsedTransaction] = []
    for item in parsed:
        if item.bank_reference:
            if item.bank_reference in known:
                continue
            known.add(item.bank_reference)
        fresh.append(item)
    name = PurePath(file_name.replace("\\", "/")).name.strip()[:200] or "releve"
    statement = BankStatement.objects.create(
        structure=structure, journal=journal, file_name=name, file_format=file_format,
        sha256=digest, imported_by=actor if actor.is_authenticated else None)
    BankTransaction.objects.bulk_create(
        BankTransaction(statement=statement, journal=journal, booked_on=p.booked_on,
                        label=p.label, amount=p.amount, bank_reference=p.bank_reference)
        for p in fresh)
    duplicates = len(parsed) - len(fresh)
    audit.record(actor=actor, action="treasury.bank_statement.imported", target=statement,
                 data={"journal": journal.code, "format": file_format, "created": len(fresh),
                       "duplicates": duplicates, "sha256": digest})
    return ImportResult(statement=statement, created=len(fresh), duplicates=duplicates)


def import_summary(result: ImportResult) -> str:
    """"3 opérations importées. 1 déjà importée auparavant, passée." after an import."""
    text = ngettext("%(count)d opération importée.", "%(count)d opérations importées.",
                    result.created) % {"count": result.created}
    if result.duplicates:
        text += " " + ngettext("%(count)d déjà importée auparavant, passée.",
                               "%(count)d déjà importées auparavant, passées.",
                               result.duplicates) % {"count": result.duplicates}
    return text


# -- CSV layouts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LayoutSpec:
    """What a layout says, as a form or a caller gives it; columns count from 1."""

    name: str
    date_column: int
    label_column: int
    amount_column: int | None = None
    debit_column: int | None = None
    credit_column: int | None = None
    delimiter: str = ";"
    encoding: str = "utf-8"
    skip_rows: int = 1
    date_format: str = "%d/%m/%Y"
    decimal_comma: bool = True


def _column_errors(spec: LayoutSpec) -> dict[str, str]:
    errors: dict[str, str] = {}
    split = spec.debit_column is not None or spec.credit_column is not None
    if spec.amount_column is not None and split:
        errors["amount_column"] = _("Soit une colonne de montant signé, soit deux colonnes "
                                    "débit et crédit : pas les deux.")
    elif spec.amount_column is None and (spec.debit_column is None
                                         or spec.credit_column is None):
        errors["amount_column"] = _("Indiquez la colonne du montant, ou les deux colonnes "
                                    "débit et crédit.")
    used = {"date_column": spec.date_column, "label_column": spec.label_column,
            "amount_column": spec.amount_column, "debit_column": spec.debit_column,
            "credit_column": spec.credit_column}
    seen: dict[int, str] = {}
    for field, column in used.items():
        if column is None:
            continue
        if not 1 <= column <= MAX_COLUMN:
            errors[field] = _("Une colonne se compte de 1 (la première) à %(max)d.") % {
                "max": MAX_COLUMN}
        elif column in seen:
            errors.setdefault(field, _("La colonne %(column)d sert déjà à autre chose.")
                              % {"column": column})
        seen.setdefault(column, field)
    return errors


def _format_errors(spec: LayoutSpec) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(spec.delimiter) != 1 or spec.delimiter in "\"\r\n" or spec.delimiter.isalnum():
        errors["delimiter"] = _("Le séparateur est un seul signe : « ; », « , », une "
                                "tabulation…")
    try:
        codecs.lookup(spec.encoding)
    except LookupError:
        errors["encoding"] = _("« %(encoding)s » n'est pas un encodage connu (utf-8, "
                               "windows-1252, latin-1…).") % {"encoding": spec.encoding}
    if not 0 <= spec.skip_rows <= MAX_SKIP_ROWS:
        errors["skip_rows"] = _("Entre 0 et %(max)d lignes d'en-tête.") % {
            "max": MAX_SKIP_ROWS}
    sample = dt.date(2026, 11, 28)
    try:
        readable = read_day(sample.strftime(spec.date_format), spec.date_format) == sample
    except ValueError:
        readable = False
    if not readable:
        errors["date_format"] = _("Ce format de date ne dit pas le jour, le mois et l'année "
                                  "(par exemple %(example)s pour 28/11/2026).") % {
                                      "example": "%d/%m/%Y"}
    return errors


def _checked_spec(structure: Structure, spec: LayoutSpec, *,
                  exclude_pk: int | None = None) -> LayoutSpec:
    name = " ".join(spec.name.split())
    errors = {**_column_errors(spec), **_format_errors(spec)}
    if not name:
        errors["name"] = _("Donnez un nom au format, par exemple celui de la banque.")
    elif BankCsvLayout.objects.filter(structure=structure, name__iexact=name).exclude(
            pk=exclude_pk or 0).exists():
        errors["name"] = _("La structure a déjà un format « %(name)s ».") % {"name": name}
    if errors:
        raise ValidationError(errors)
    return replace(spec, name=name[:100])


def _layout_values(spec: LayoutSpec) -> dict[str, object]:
    return asdict(spec)


@atomic
def create_layout(*, actor: AnyUser, structure: Structure, spec: LayoutSpec,
                  today: dt.date) -> BankCsvLayout:
    require(can_reconcile_bank(actor, structure, today=today))
    spec = _checked_spec(structure, spec)
    layout = BankCsvLayout.objects.create(structure=structure, **_layout_values(spec))
    audit.record(actor=actor, action="treasury.bank_layout.created", target=layout,
                 data=_layout_values(spec))
    return layout


@atomic
def update_layout(*, actor: AnyUser, layout: BankCsvLayout, spec: LayoutSpec,
                  today: dt.date) -> BankCsvLayout:
    require(can_reconcile_bank(actor, layout.structure, today=today))
    spec = _checked_spec(layout.structure, spec, exclude_pk=layout.pk)
    for field, value in _layout_values(spec).items():
        setattr(layout, field, value)
    layout.save()
    audit.record(actor=actor, action="treasury.bank_layout.updated", target=layout,
                 data=_layout_values(spec))
    return layout


@atomic
def delete_layout(*, actor: AnyUser, layout: BankCsvLayout, today: dt.date) -> None:
    """Statements keep what they imported: a layout only says how to read the next files."""
    require(can_reconcile_bank(actor, layout.structure, today=today))
    audit.record(actor=actor, action="treasury.bank_layout.deleted", target=layout,
                 data={"name": layout.name})
    layout.delete()


def layout_summary(layout: BankCsvLayout) -> str:
    """"; · utf-8 · date col. 1 (JJ/MM/AAAA) · libellé col. 2 · montant col. 3"."""
    separator = _("tabulation") if layout.delimiter == "\t" else f"« {layout.delimiter} »"
    parts: Iterable[str] = (
        separator, layout.encoding,
        _("date col. %(n)d (%(format)s)") % {"n": layout.date_column,
                                              "format": human_date_format(layout.date_format)},
        _("libellé col. %(n)d") % {"n": layout.label_column},
        (_("montant col. %(n)d") % {"n": layout.amount_column}
         if layout.amount_column is not None else
         _("débit col. %(d)s, crédit col. %(c)s") % {"d": layout.debit_column,
                                                     "c": layout.credit_column}),
        _("virgule décimale") if layout.decimal_comma else _("point décimal"),
    )
    return " · ".join(parts)

