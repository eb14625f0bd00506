"""`kpa treasury_contribution --siren S --month AAAA-MM [--today AAAA-MM-JJ] [--dry-run]`:
count a finished month's cooperative contribution of every treasury account of a structure.

Runs as the platform (no user): one OD entry per account with a non-zero amount, a stored
computation for every account. Running a month again only counts the accounts not counted yet.
`--dry-run` prints what would be booked and writes nothing. The report names accounts by their
code, never a person: it usually ends up in a log.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kpa.core.dates import local_today
from kpa.core.money import format_money
from kpa.ledger.management.commands._books import structure_by_siren
from kpa.treasury import contribution


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"  # French: 0 and 1 take the singular


class Command(BaseCommand):
    help = ("Compte la contribution coopérative d'un mois fini pour chaque trésorerie d'une "
            "structure et la passe en comptabilité.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--siren", required=True, help="SIREN de la structure (9 chiffres).")
        parser.add_argument("--month", required=True, metavar="AAAA-MM",
                            help="Le mois à compter, par exemple 2026-11.")
        parser.add_argument("--today", metavar="AAAA-MM-JJ",
                            help="Le jour du calcul (par défaut : aujourd'hui).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Montrer ce qui serait passé, sans rien écrire.")

    def handle(self, *args: Any, **options: Any) -> None:
        structure = structure_by_siren(options["siren"])
        today = self.parse_today(options["today"])
        dry_run: bool = options["dry_run"]
        try:
            month = contribution.parse_month(options["month"])
            if dry_run:
                plan = contribution.preview_month(actor=None, structure=structure, month=month,
                                                  today=today)
            else:
                result = contribution.run_month(actor=None, structure=structure, month=month,
                                                today=today)
                plan = result.plan
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        code = contribution.month_code(plan.month)
        self.stdout.write(f"Contribution coopérative {code} — {structure.name}"
                          + (" (simulation)" if dry_run else ""))
        for planned in plan.to_book:
            self.stdout.write(f"  {planned.account.code} : {format_money(planned.amount)} €")
        if plan.already_done:
            self.stdout.write(_count(plan.already_done, "compte déjà compté ce mois-là, laissé "
                                     "tel quel", "comptes déjà comptés ce mois-là, laissés tels "
                                     "quels") + ".")
        summary = (f"{_count(len(plan.charges), 'compte', 'comptes')}, "
                   f"{_count(len(plan.to_book), 'écriture', 'écritures')}, total "
                   f"{format_money(plan.total)} €")
        if dry_run:
            self.stdout.write(f"Simulation : {summary}. Rien n'a été écrit.")
            return
        self.stdout.write(self.style.SUCCESS(f"Comptés : {summary}."))

    @staticmethod
    def parse_today(value: str | None) -> dt.date:
        if value is None:
            return local_today()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                f"Date invalide « {value} » : écrivez-la AAAA-MM-JJ, par exemple 2026-12-01."
            ) from None
