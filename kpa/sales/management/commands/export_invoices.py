"""`kpa export_invoices --siren S --year Y -o DIR`: every issued invoice and credit note of a
structure's fiscal year, as its stored Factur-X PDF, with an index.

Each document is written as `<number>.pdf` ("/" in a number becomes "-") and listed in
`index.csv` (number, kind, issue date, customer, totals, SHA-256), in the spreadsheet form of
the ledger's CSV reports (";", decimal commas, a BOM). The fiscal year is named by the calendar
year in which it ends, as for `kpa export_fec`.

The PDFs are the ones frozen at issue, never rebuilt: each one's SHA-256 must still be the one
recorded at issue. A single mismatch (or a missing PDF) stops the command with an error naming
the documents, and nothing is written: an export is whole or not at all.
"""

from __future__ import annotations

import csv
import hashlib
import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpa.ledger.management.commands._books import add_siren_year, year_of
from kpa.ledger.models import FiscalYear
from kpa.ledger.rendering import CSV_BOM, csv_cell
from kpa.sales.models import Invoice

INDEX = "index.csv"
INDEX_HEADER = ("numero", "type", "date", "client", "total_ht", "tva", "total_ttc", "sha256")


def file_name(invoice: Invoice) -> str:
    return f"{invoice.number.replace('/', '-')}.pdf"


def issued_in(year: FiscalYear) -> Any:
    """The year's issued invoices, deposit invoices and credit notes, in issue order."""
    return (Invoice.objects.filter(structure_id=year.structure_id, status=Invoice.Status.ISSUED,
                                   issued_on__gte=year.starts_on, issued_on__lt=year.ends_on)
            .select_related("customer").order_by("issued_on", "issued_at", "pk"))


class Command(BaseCommand):
    help = ("Écrit chaque facture, facture d'acompte et avoir émis de l'exercice, tel que "
            "stocké à l'émission (PDF Factur-X), dans un dossier, avec un index.csv ; vérifie "
            "l'empreinte SHA-256 de chaque PDF.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_siren_year(parser)
        parser.add_argument("-o", "--output", required=True, metavar="DIR",
                            help="Dossier où écrire les PDF et index.csv (créé s'il manque).")

    def handle(self, *args: Any, **options: Any) -> None:
        year = year_of(options["siren"], options["year"])
        target = Path(options["output"])
        if target.exists() and not target.is_dir():
            raise CommandError(f"« {target} » est un fichier : donnez un dossier.")
        target.mkdir(parents=True, exist_ok=True)
        # Written beside the target, then moved in: a failed check leaves nothing behind.
        with tempfile.TemporaryDirectory(prefix=".export-", dir=target) as scratch:
            count, problems = self.write_all(year, Path(scratch))
            if problems:
                raise CommandError(
                    "Export refusé, rien n'a été écrit : " + " ; ".join(problems)
                    + ". Un document émis ne change jamais : signalez-le à la personne qui "
                    "administre la plateforme.")
            for name in sorted(os.listdir(scratch)):
                os.replace(Path(scratch) / name, target / name)
        self.stdout.write(self.style.SUCCESS(
            f"{count} document{'s' if count > 1 else ''} de l'exercice {year.name} "
            f"({year.structure.name}) écrit{'s' if count > 1 else ''} dans {target}, "
            f"avec {INDEX}."))

    @staticmethod
    def write_all(year: FiscalYear, folder: Path) -> tuple[int, list[str]]:
        """Write each PDF whose SHA-256 holds, and the index; list what does not hold."""
        problems: list[str] = []
        count = 0
        with (folder / INDEX).open("w", encoding="utf-8", newline="") as index:
            index.write(CSV_BOM)
            writer = csv.writer(index, delimiter=";", lineterminator="\r\n")
            writer.writerow(INDEX_HEADER)
            for invoice in issued_in(year).iterator(chunk_size=200):
                pdf = bytes(invoice.pdf) if invoice.pdf is not None else b""
                if not pdf:
                    problems.append(f"{invoice.number} n'a pas de PDF stocké")
                    continue
                digest = hashlib.sha256(pdf).hexdigest()
                if digest != invoice.pdf_sha256:
                    problems.append(f"l'empreinte SHA-256 du PDF de {invoice.number} ne "
                                    f"correspond plus à celle de son émission")
                    continue
                path = folder / file_name(invoice)
                if path.exists():
                    problems.append(f"{invoice.number} donnerait le même nom de fichier "
                                    f"qu'un autre document ({path.name})")
                    continue
                path.write_bytes(pdf)
                writer.writerow([csv_cell(cell) for cell in (
                    invoice.number, invoice.get_kind_display(), invoice.issued_on,
                    invoice.customer.name, invoice.total_excl_vat, invoice.total_vat,
                    invoice.total_incl_vat, digest)])
                count += 1
        return count, problems
