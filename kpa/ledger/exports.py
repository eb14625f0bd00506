"""The books leave the platform as files anyone can check: FEC, hledger and beancount.

A closed year exports as it is. The year in progress exports too, marked provisional (file
name and heading), holding validated entries only.
"""

from __future__ import annotations

from typing import Literal, TextIO

from django.utils.translation import gettext as _

from kpa.ledger import fec, plaintext
from kpa.ledger.models import FiscalYear
from kpa.ledger.reports import book_lines

PlainFormat = Literal["hledger", "beancount"]
PROVISIONAL_SUFFIX = "-provisoire"


def fec_name(year: FiscalYear) -> str:
    name = fec.fec_filename(year.structure.siren, year.last_day)
    if year.is_open:
        return name.replace(".txt", f"{PROVISIONAL_SUFFIX}.txt")
    return name


def write_fec(year: FiscalYear, out: TextIO, *, separator: str = "\t") -> int:
    """Stream the year's FEC into `out`, opened with encoding iso8859_15 and newline=""."""
    return fec.write_fec(book_lines(year), out, separator=separator)


def plaintext_name(year: FiscalYear, fmt: PlainFormat) -> str:
    suffix = PROVISIONAL_SUFFIX if year.is_open else ""
    extension = "journal" if fmt == "hledger" else "beancount"
    return f"{year.structure.siren}-{year.name}{suffix}.{extension}"


def plaintext_title(year: FiscalYear) -> str:
    title = _("Livres de %(name)s (SIREN %(siren)s), exercice %(year)s du %(start)s au %(end)s") % {
        "name": year.structure.name, "siren": year.structure.siren, "year": year.name,
        "start": year.starts_on.strftime("%d/%m/%Y"), "end": year.last_day.strftime("%d/%m/%Y"),
    }
    if year.is_open:
        title += " — " + _("PROVISOIRE : exercice en cours, écritures validées seulement")
    return title


def write_plaintext(year: FiscalYear, out: TextIO, *, fmt: PlainFormat,
                    treasury: plaintext.Treasury = "tag") -> int:
    if fmt == "hledger":
        return plaintext.write_hledger(book_lines(year), out, treasury=treasury,
                                       title=plaintext_title(year))
    return plaintext.write_beancount(book_lines(year), out, title=plaintext_title(year))
