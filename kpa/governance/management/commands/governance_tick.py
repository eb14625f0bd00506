"""`kpa governance_tick`: the governance clock, to run every few minutes.

Opens the scheduled votes whose time has come, closes those whose time is over (counting them
and writing their decisions), reminds the electors whose voice is missing a day before a vote
closes, and reminds the leads of decisions due for review. Each step commits on its own, so a
run cut short leaves nothing half done and the next run catches up.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from kpa.core import dates
from kpa.governance import closing, proposals, register, reminders


class Command(BaseCommand):
    help = ("Ouvre les votes programmés, clôture les votes arrivés à leur terme, rappelle les "
            "votes qui se terminent dans la journée et les décisions à revoir. À lancer toutes "
            "les quelques minutes.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = dates.current_time()
        started = proposals.start_due(now=now)
        closed = closing.close_due(now=now)
        closing_soon = reminders.send_closing_reminders(now=now)
        reviews = register.send_review_reminders(today=timezone.localdate(now))
        self.stdout.write(f"Votes ouverts : {started}. Votes clos : {closed}. "
                          f"Rappels avant clôture : {closing_soon}. "
                          f"Rappels de révision : {reviews}.")
