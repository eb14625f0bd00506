"""What the books commands share: finding a structure by SIREN and a year by its name."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError

from kpa.directory.models import Structure
from kpa.ledger.models import FiscalYear
from kpa.ledger.selectors import fiscal_year_named


def add_siren_year(parser: ArgumentParser, *, year: bool = True) -> None:
    parser.add_argument("--siren", required=True, help="SIREN de la structure (9 chiffres).")
    if year:
        parser.add_argument("--year", required=True, type=int,
                            help="Exercice, nommé par l'année civile où il se termine.")


def structure_by_siren(siren: str) -> Structure:
    structure = Structure.objects.filter(siren=siren.replace(" ", "")).first()
    if structure is None:
        raise CommandError(f"Aucune structure de SIREN « {siren} ». Vérifiez le numéro.")
    return structure


def year_of(siren: str, name: int) -> FiscalYear:
    structure = structure_by_siren(siren)
    try:
        return fiscal_year_named(structure, name)
    except FiscalYear.DoesNotExist:
        known = ", ".join(str(y.name) for y in FiscalYear.objects.filter(structure=structure))
        raise CommandError(
            f"{structure.name} n'a pas d'exercice {name} (exercices : {known or 'aucun'})."
        ) from None


@contextmanager
def output(path: str | None, default: Any, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    """Write to `path` ("-" or None: the command's output)."""
    if path in (None, "-"):
        yield default
        return
    target = Path(path)
    if target.is_dir():
        raise CommandError(f"« {path} » est un dossier : donnez un nom de fichier.")
    with target.open("w", encoding=encoding, newline="") as handle:
        yield handle
