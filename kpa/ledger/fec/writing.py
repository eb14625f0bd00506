"""Writing the FEC: columns, free text mapped into ISO-8859-15, amounts and dates."""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Literal, TextIO

from kpa.ledger.exchange import BookLine

FEC_COLUMNS: tuple[str, ...] = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
# The Montant + Sens variant replaces Debit + Credit in place (A47 A-1, BOI-CF-IOR-60-40-20).
SENS_COLUMNS: tuple[str, ...] = tuple(
    {"Debit": "Montant", "Credit": "Sens"}.get(name, name) for name in FEC_COLUMNS
)

ENCODING = "iso8859_15"
RECORD_SEPARATOR = "\r\n"
SEPARATORS = ("\t", "|")

Severity = Literal["erreur", "alerte"]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

# ---------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------

# Characters a French label often carries that ISO-8859-15 lacks, or that would shift columns.
_REPLACEMENTS: dict[str, str] = {
    "\t": " ",
    "|": " ",
    "\r": " ",
    "\n": " ",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2026": "...",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2022": "-",
    "\u2044": "/",
}


@functools.lru_cache(maxsize=65536)
def sanitize_text(text: str) -> str:
    """`text` made safe for one FEC field: ISO-8859-15 only, no tab, pipe or line break.

    Idempotent. Spaces at both ends are dropped, since readers (ours and DGFiP's) strip them.
    Cached, with a fast path for plain ASCII: a year's FEC repeats the same journal, account
    and third-party labels on every line, and this runs on eleven fields of each.
    """
    if text.isascii() and text.isprintable() and "|" not in text:
        return text.strip(" ")
    composed = unicodedata.normalize("NFC", text)  # "e" + U+0301 becomes "é", which is encodable
    return "".join(_sanitize_char(char) for char in composed).strip(" ")


@functools.lru_cache(maxsize=4096)
def _sanitize_char(char: str) -> str:
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    category = unicodedata.category(char)
    # Controls (tab, CR, LF...) and every space, including the no-break U+00A0 that
    # ISO-8859-15 has and the narrow U+202F of French typography: one plain space.
    if category in {"Cc", "Zs", "Zl", "Zp"}:
        return " "
    if category == "Cf":  # zero-width joiners, BOM, soft hyphen: invisible, so dropped
        return ""
    if _encodable(char):
        return char
    return _folded(char)


def _folded(char: str) -> str:
    """The closest ISO-8859-15 text: "ł" has no decomposition so "?", "ő" → "o", "½" → "1/2"."""
    pieces = [
        _REPLACEMENTS.get(piece, piece)
        for piece in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(piece)
    ]
    if not pieces:  # a lone combining accent: nothing to show
        return "" if unicodedata.combining(char) else "?"
    folded = "".join(" " if unicodedata.category(p) == "Zs" else p for p in pieces)
    return folded if _encodable(folded) else "?"


def _encodable(text: str) -> bool:
    try:
        text.encode(ENCODING)
    except UnicodeEncodeError:
        return False
    return True


def sanitize_line(line: BookLine) -> BookLine:
    """The line exactly as `write_fec` writes it (and `read_fec` gives it back)."""
    aux_number = sanitize_text(line.aux_number)
    # CompAuxLib is blank iff CompAuxNum is; an unnamed third party is labelled by its code.
    aux_label = (sanitize_text(line.aux_label) or aux_number) if aux_number else ""
    return replace(
        line,
        journal_code=sanitize_text(line.journal_code),
        journal_label=sanitize_text(line.journal_label),
        entry_number=sanitize_text(line.entry_number),
        account_number=sanitize_text(line.account_number),
        account_label=sanitize_text(line.account_label),
        aux_number=aux_number,
        aux_label=aux_label,
        piece_ref=sanitize_text(line.piece_ref),
        label=sanitize_text(line.label),
        lettering_code=sanitize_text(line.lettering_code),
        treasury_code=sanitize_text(line.treasury_code),
        treasury_label=sanitize_text(line.treasury_label),
    )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def fec_filename(siren: str, closing_date: dt.date) -> str:
    """`732829320FEC20261231.txt`: the name A47 A-1 asks for, from the year's closing date."""
    return f"{siren}FEC{format_date(closing_date)}.txt"


def format_date(value: dt.date | None) -> str:
    """AAAAMMJJ, or "" for no date (strftime does not zero-pad years below 1000 everywhere)."""
    if value is None:
        return ""
    if value.year >= 1000:
        return value.isoformat().replace("-", "")
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def format_amount(amount: Decimal) -> str:
    """Decimal comma, no thousands separator, sign on the left: `-1234,50`, `0,00`.

    Raises ValueError on a fraction of a cent: rounding it silently would unbalance the file.
    """
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"FEC amount {amount} is not a whole number of cents")
    if amount == 0:  # Decimal("-0.00") would print as "-0,00"
        return "0,00"
    return f"{amount:.2f}".replace(".", ",")


def write_fec(lines: Iterable[BookLine], out: TextIO, *, separator: str = "\t") -> int:
    """Stream `lines` to `out` as a FEC, one record at a time; return how many lines were written
    (the header is not counted).

    Open `out` with `encoding="iso8859_15", newline=""`. Lines are written in the order given:
    the caller sorts them (opening entries first, then in order of validation).
    """
    _check_separator(separator)
    out.write(_record(FEC_COLUMNS, separator))
    count = 0
    for line in lines:
        out.write(_record(_fields(line), separator))
        count += 1
    return count


def encode_fec(
    lines: Iterable[BookLine], *, separator: str = "\t", chunk_size: int = 65536
) -> Iterator[bytes]:
    """The FEC as ISO-8859-15 byte chunks, e.g. for a `StreamingHttpResponse`."""
    _check_separator(separator)  # here, not in the generator, so a bad separator fails at once
    return _encoded_chunks(lines, separator, chunk_size)


def _encoded_chunks(lines: Iterable[BookLine], separator: str, chunk_size: int) -> Iterator[bytes]:
    buffer = [_record(FEC_COLUMNS, separator)]
    size = len(buffer[0])
    for line in lines:
        record = _record(_fields(line), separator)
        buffer.append(record)
        size += len(record)
        if size >= chunk_size:
            yield "".join(buffer).encode(ENCODING)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode(ENCODING)


def _check_separator(separator: str) -> None:
    if separator not in SEPARATORS:
        raise ValueError(f"FEC separator must be a tab or '|', not {separator!r}")


def _record(fields: Iterable[str], separator: str) -> str:
    return separator.join(fields) + RECORD_SEPARATOR


def _fields(line: BookLine) -> tuple[str, ...]:
    # The same cleaning as `sanitize_line`, without building a second BookLine per line.
    aux_number = sanitize_text(line.aux_number)
    aux_label = (sanitize_text(line.aux_label) or aux_number) if aux_number else ""
    lettering_code = sanitize_text(line.lettering_code)
    return (
        sanitize_text(line.journal_code),
        sanitize_text(line.journal_label),
        sanitize_text(line.entry_number),
        format_date(line.entry_date),
        sanitize_text(line.account_number),
        sanitize_text(line.account_label),
        aux_number,
        aux_label,
        sanitize_text(line.piece_ref),
        format_date(line.piece_date),
        sanitize_text(line.label),
        format_amount(line.debit),
        format_amount(line.credit),
        lettering_code,
        format_date(line.lettered_on) if lettering_code else "",
        format_date(line.validated_on),
        "",  # Montantdevise: the platform keeps its books in euros only
        "",  # Idevise
    )

