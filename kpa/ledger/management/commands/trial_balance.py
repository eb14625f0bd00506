"""`kpa trial_balance --siren S --year Y [--format text|csv|json]`: the balance of every account."""

from __future__ import annotations

import csv
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kpa.ledger.management.commands._books import add_siren_year, year_of
from kpa.ledger.reports import trial_balance


class Command(BaseCommand):
    help = "Balance générale d'un exercice (écritures validées)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_siren_year(parser)
        parser.add_argument("--format", choices=["text", "csv", "json"], default="text")

    def handle(self, *args: Any, **options: Any) -> None:
        year = year_of(options["siren"], options["year"])
        balance = trial_balance(year)
        fmt = options["format"]
        if fmt == "json":
            self.stdout.write(json.dumps({
                "siren": year.structure.siren, "year": year.name,
                "provisional": year.is_open,
                "accounts": [{"number": r.number, "label": r.label, "debit": str(r.debit),
                              "credit": str(r.credit), "balance": str(r.balance)}
                             for r in balance.rows],
                "total_debit": str(balance.total_debit),
                "total_credit": str(balance.total_credit),
            }, ensure_ascii=False, indent=2))
            return
        if fmt == "csv":
            writer = csv.writer(self.stdout, delimiter=";", lineterminator="\n")
            writer.writerow(["compte", "intitule", "debit", "credit", "solde"])
            for r in balance.rows:
                writer.writerow([r.number, r.label, r.debit, r.credit, r.balance])
            return
        for r in balance.rows:
            self.stdout.write(f"{r.number:<10} {r.label[:40]:<40} {r.debit:>15} {r.credit:>15} "
                              f"{r.balance:>15}")
        self.stdout.write(f"{'':<51} {balance.total_debit:>15} {balance.total_credit:>15}")
