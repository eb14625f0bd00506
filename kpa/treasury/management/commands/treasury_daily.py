"""`kpa treasury_daily [--today AAAA-MM-JJ] [--dry-run]`: the treasury's daily run.

Reminds the coopérants who have not asked for their pay yet, in the days before the cut-off
(`pay.send_pay_reminders`: once per person and month; a missed day is caught up by the next
run, until the cut-off). The report names treasury accounts by code, never people: it usually
ends up in a log.

`--dry-run` prints what would be sent and sends nothing: the same run, inside a transaction
that is rolled back, which also discards the e-mails waiting for its commit.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kpa.core.dates import local_today
from kpa.treasury import pay


def _line(reminder: pay.Reminder) -> str:
    return (f"  rappel paie : compte {reminder.account.code} ({reminder.account.structure}), "
            f"{reminder.month:%m/%Y}, date limite le {reminder.cutoff_on:%d/%m/%Y}")


class Command(BaseCommand):
    help = ("Rappelle aux coopérant·es de demander leur rémunération avant la date limite. "
            "À lancer chaque jour.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--today", metavar="AAAA-MM-JJ",
                            help="Le jour à traiter (par défaut : aujourd'hui).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Montrer ce qui serait envoyé, sans rien envoyer.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.parse_today(options["today"])
        dry_run: bool = options["dry_run"]
        with transaction.atomic():
            reminders = pay.send_pay_reminders(today=today)
            lines = [_line(r) for r in reminders]
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(f"Journée du {today:%d/%m/%Y}" + (" (simulation)" if dry_run else ""))
        for line in lines:
            self.stdout.write(line)
        count = len(lines)
        if dry_run:
            self.stdout.write(f"Simulation : {count} rappel(s) de paie serai(en)t envoyé(s). "
                              "Rien n'a été envoyé.")
            return
        self.stdout.write(self.style.SUCCESS(f"{count} rappel(s) de paie envoyé(s)."))

    @staticmethod
    def parse_today(value: str | None) -> dt.date:
        if value is None:
            return local_today()
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(
                f"Date invalide « {value} » : écrivez-la AAAA-MM-JJ, par exemple 2026-11-28."
            ) from None
