"""Gap-free numbers for invoices, credit notes and quotes, per structure and fiscal year.

A number is taken only inside the issuing transaction, after every check has passed, by
locking the series' counter row (`SELECT … FOR UPDATE`): a refused or rolled-back issue
leaves no hole, and parallel issuers wait for each other instead of sharing a number.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpa.directory.models import Structure
from kpa.ledger.models import FiscalYear
from kpa.ledger.services import fiscal_year_for
from kpa.sales.models import DocumentSequence

TOKEN = re.compile(r"\{(YYYY|YY|MM|SEQ(?::0?(\d))?)\}")
ALLOWED_TEXT = re.compile(r"[A-Za-z0-9+\-_/]*")  # BR-FR-02: no spaces, no other signs
MAX_LENGTH = 35  # BR-FR-01


def check_pattern(pattern: str) -> None:
    """A pattern holds exactly one {SEQ} or {SEQ:0N} and a year token, and yields numbers
    that the French e-invoicing rules accept."""
    tokens = [m.group(1) for m in TOKEN.finditer(pattern)]
    literal = TOKEN.sub("", pattern)
    if sum(1 for t in tokens if t.startswith("SEQ")) != 1:
        raise ValidationError(_("Le modèle doit contenir une fois {SEQ}, par exemple "
                                "{YYYY}-{SEQ:05}."))
    if not any(t in ("YYYY", "YY") for t in tokens):
        raise ValidationError(_("Le modèle doit contenir l'exercice, {YYYY} ou {YY} : la "
                                "numérotation repart à chaque exercice."))
    if not ALLOWED_TEXT.fullmatch(literal):
        raise ValidationError(_("Le modèle ne peut contenir que des lettres, des chiffres et "
                                "les signes + - _ / (pas d'espace)."))
    if len(render(pattern, year_name=9999, day=dt.date(2026, 12, 1), sequence=99999)) > MAX_LENGTH:
        raise ValidationError(_("Le numéro ne peut pas dépasser 35 caractères."))


def render(pattern: str, *, year_name: int, day: dt.date, sequence: int) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "YYYY":
            return f"{year_name:04d}"
        if token == "YY":
            return f"{year_name % 100:02d}"
        if token == "MM":
            return f"{day.month:02d}"
        width = int(match.group(2) or 1)
        return f"{sequence:0{width}d}"

    return TOKEN.sub(replace, pattern)


def year_name(year: FiscalYear) -> int:
    """A fiscal year is named by the calendar year in which it ends (its last day)."""
    return (year.ends_on - dt.timedelta(days=1)).year


def take_number(*, structure: Structure, series: str, pattern: str, day: dt.date) -> str:
    """The next number of the series for `day`'s fiscal year. Call inside the transaction
    that issues the document, after its checks."""
    year = fiscal_year_for(structure, day)
    DocumentSequence.objects.get_or_create(structure=structure, fiscal_year=year,
                                           series=series)
    sequence = DocumentSequence.objects.select_for_update().get(
        structure=structure, fiscal_year=year, series=series)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return render(pattern, year_name=year_name(year), day=day, sequence=sequence.last_number)
