"""`kpa sales_daily [--today AAAA-MM-JJ] [--dry-run]`: selling's daily run.

Reminds the customers of overdue invoices (`payments.send_overdue_reminders`: once a week, from
the structure's delay after the due date; the customer by e-mail with the invoice, the sellers
in the platform), then prints a short report. Run it once a day (cron, systemd timer); a missed
day is caught up by the next run. The report names invoices by number and structure, never the
customer: it usually ends up in a log.

`--dry-run` prints what would be done and changes nothing: the service then only lists the
invoices due for a reminder.
"""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kpa.core.dates import local_today
from kpa.core.money import format_money
from kpa.sales import payments
from kpa.sales.models import Invoice


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n <= 1 else plural}"  # French: 0 and 1 take the singular


def _reminder_line(invoice: Invoice, today: dt.date) -> str:
    assert invoice.due_on is not None
    late = (today - invoice.due_on).days
    return (f"  relance : facture {invoice.number} ({invoice.structure.name}), échue le "
            f"{invoice.due_on:%d/%m/%Y} (depuis {_count(late, 'jour', 'jours')}), reste dû "
            f"{format_money(payments.balance_due(invoice))} €")


class Command(BaseCommand):
    help = ("Relance les clients des factures échues et impayées (une fois par semaine, après le "
            "délai de la structure). À lancer chaque jour.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--today", metavar="AAAA-MM-JJ",
                            help="Le jour à traiter (par défaut : aujourd'hui).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Montrer ce qui serait fait, sans rien envoyer.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.parse_today(options["today"])
        dry_run: bool = options["dry_run"]
        reminded = payments.send_overdue_reminders(today=today, dry_run=dry_run)

        self.stdout.write(f"Journée du {today:%d/%m/%Y}" + (" (simulation)" if dry_run else ""))
        for invoice in sorted(reminded, key=lambda i: (i.structure_id, i.number)):
            self.stdout.write(_reminder_line(invoice, today))
        if dry_run:
            would = _count(len(reminded), "relance serait envoyée", "relances seraient envoyées")
            self.stdout.write(f"Simulation : {would}. Rien n'a été envoyé.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"{_count(len(reminded), 'relance envoyée', 'relances envoyées')}."))

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
