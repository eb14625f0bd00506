"""`kpa import_fec --siren S FILE`: start a structure's books from a FEC kept elsewhere."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpa.ledger.fec_import import FecImportError, load_fec
from kpa.ledger.management.commands._books import structure_by_siren


class Command(BaseCommand):
    help = ("Importe un FEC (tabulation ou |) dans une comptabilité vide : tout ou rien, avec "
            "la liste numérotée des lignes refusées.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--siren", required=True, help="SIREN de la structure (9 chiffres).")
        parser.add_argument("file", help="Le fichier FEC, par exemple 732829320FEC20251231.txt.")

    def handle(self, *args: Any, **options: Any) -> None:
        structure = structure_by_siren(options["siren"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            result = load_fec(actor=None, structure=structure, data=path.read_bytes(),
                              filename=path.name)
        except FecImportError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(f"Import refusé : {len(error.messages)} problème(s), rien n'a "
                               "été écrit.") from None
        year = result.fiscal_year
        self.stdout.write(f"{result.entries} écritures ({result.lines} lignes) importées dans "
                          f"l'exercice {year.name} de {structure.name}.")
