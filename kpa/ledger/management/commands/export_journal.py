"""`kpa export_journal --format hledger|beancount --siren S --year Y [-o FILE]`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kpa.ledger import exports
from kpa.ledger.management.commands._books import add_siren_year, output, year_of


class Command(BaseCommand):
    help = ("Les livres d'un exercice en comptabilité texte (hledger ou beancount), pour les "
            "vérifier avec des outils indépendants : hledger -f FICHIER bal.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["hledger", "beancount"], required=True)
        add_siren_year(parser)
        parser.add_argument("-o", "--output", help="Fichier à écrire (sinon, la sortie).")
        parser.add_argument("--treasury", choices=["tag", "subaccount"], default="tag",
                            help="hledger : comptes de trésorerie en étiquettes ou sous-comptes.")

    def handle(self, *args: Any, **options: Any) -> None:
        year = year_of(options["siren"], options["year"])
        with output(options["output"], self.stdout) as out:
            count = exports.write_plaintext(year, out, fmt=options["format"],
                                            treasury=options["treasury"])
        if options["output"] not in (None, "-"):
            self.stderr.write(f"{count} écritures écrites dans {options['output']}.")
