"""Periods run from a start date to an optional, exclusive end date (None = still open)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone


def local_today() -> dt.date:
    """Today in the platform's time zone; views pass it to services, which never guess."""
    return timezone.localdate()


def current_time() -> dt.datetime:
    """Now, aware; views pass it to services that work with times (votes open and close at a
    time), so that tests can set the clock in one place."""
    return timezone.now()


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date | None = None  # exclusive

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise ValueError("A period must end after it starts.")

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Period) -> bool:
        starts_before_other_ends = other.end is None or self.start < other.end
        ends_after_other_starts = self.end is None or other.start < self.end
        return starts_before_other_ends and ends_after_other_starts
