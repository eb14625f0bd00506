"""`kpa export_fec --siren S --year Y [-o FILE] [--separator tab|pipe]`: the FEC of a year."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from kpa.ledger import exports
from kpa.ledger.management.commands._books import add_siren_year, output, year_of


class Command(BaseCommand):
    help = ("Fichier des écritures comptables (art. A47 A-1 du LPF), en ISO-8859-15. Sans -o, "
            "écrit <SIREN>FEC<AAAAMMJJ>.txt dans le dossier courant ; « -o - » l'affiche.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_siren_year(parser)
        parser.add_argument("-o", "--output", help="Fichier à écrire, ou « - ».")
        parser.add_argument("--separator", choices=["tab", "pipe"], default="tab")

    def handle(self, *args: Any, **options: Any) -> None:
        year = year_of(options["siren"], options["year"])
        separator = "\t" if options["separator"] == "tab" else "|"
        path = options["output"] or exports.fec_name(year)
        with output(path, self.stdout, encoding="iso8859_15") as out:
            count = exports.write_fec(year, out, separator=separator)
            out.flush()
        if path != "-":
            note = " (provisoire : exercice en cours)" if year.is_open else ""
            self.stderr.write(f"{count} lignes écrites dans {Path(path)}{note}.")
