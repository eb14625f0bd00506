"""`kpa journey_daily [--today AAAA-MM-JJ] [--dry-run]`: the journey's daily run.

Sends the reminders before each contract's end (`reminders.send_contract_reminders`) and deletes
the pieces whose retention period is over (`privacy.purge_documents`), then prints a short report.
Run it once a day (cron, systemd timer); a missed day is caught up by the next run. The report
names contracts and journeys by number, never people: it usually ends up in a log.

`--dry-run` prints what would be done and changes nothing: the reminders are prepared inside a
transaction that is rolled back, which also discards the e-mails waiting for its commit.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kpa.core.dates import local_today
from kpa.journey import privacy, reminders
from kpa.journey.models import ContractReminder


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"  # French: 0 and 1 take the singular


def _reminder_line(reminder: ContractReminder) -> str:
    contract = reminder.contract
    return (f"  rappel J-{reminder.days_before} : contrat n° {contract.pk} (parcours n° "
            f"{contract.journey_id}, {contract.journey.kpa.name}), dernier jour le "
            f"{contract.last_day:%d/%m/%Y}")


def _purge_line(item: privacy.PurgeItem) -> str:
    return (f"  pièce : {item.what} (parcours n° {item.journey_id}, terminé le "
            f"{item.ended_on:%d/%m/%Y})")


class Command(BaseCommand):
    help = ("Envoie les rappels avant la fin des contrats CAPE et supprime les pièces dont la "
            "durée de conservation est écoulée. À lancer chaque jour.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--today", metavar="AAAA-MM-JJ",
                            help="Le jour à traiter (par défaut : aujourd'hui).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Montrer ce qui serait fait, sans rien envoyer ni supprimer.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.parse_today(options["today"])
        dry_run: bool = options["dry_run"]
        reminded = self.simulate_reminders(today) if dry_run else self.send_reminders(today)
        purged = privacy.purge_documents(today=today, dry_run=dry_run)

        self.stdout.write(f"Journée du {today:%d/%m/%Y}" + (" (simulation)" if dry_run else ""))
        for line in reminded:
            self.stdout.write(line)
        for item in purged:
            self.stdout.write(_purge_line(item))
        if dry_run:
            would_remind = _count(len(reminded), "rappel serait envoyé", "rappels seraient envoyés")
            deleted = _count(len(purged), "pièce serait supprimée", "pièces seraient supprimées")
            self.stdout.write(f"Simulation : {would_remind}, {deleted} (conservation écoulée). "
                              "Rien n'a été envoyé ni supprimé.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"{_count(len(reminded), 'rappel envoyé', 'rappels envoyés')}, "
            f"{_count(len(purged), 'pièce supprimée', 'pièces supprimées')} "
            "(conservation écoulée)."))

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

    @staticmethod
    def send_reminders(today: dt.date) -> list[str]:
        return [_reminder_line(r) for r in reminders.send_contract_reminders(today=today)]

    @staticmethod
    def simulate_reminders(today: dt.date) -> list[str]:
        # The same code as the real run, so the simulation cannot drift from it, rolled back:
        # notifications e-mail only once their transaction commits (kpa.core.notifications).
        with transaction.atomic():
            lines = Command.send_reminders(today)
            transaction.set_rollback(True)
        return lines
