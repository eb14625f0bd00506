"""The only gates of the books.

The general books of a structure are read and kept by its comptable and its gestionnaire (and
the platform administrator). Nobody else sees them: not the KPA's staff, not the network's
coordinators — a coopérant will see their own treasury, read from these books, elsewhere.
"""

from __future__ import annotations

import datetime as dt

from kpa.core.auth import AnyUser
from kpa.directory.models import Structure
from kpa.directory.permissions import reach_of


def can_read_books(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    # Only gestionnaire and comptable roles are scoped to a structure.
    return reach.is_admin or structure.pk in reach.structures


def can_keep_books(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    """Write entries, validate, reverse, letter, manage the chart, journals and years."""
    return can_read_books(user, structure, today=today)


def can_close_fiscal_year(user: AnyUser, structure: Structure, *, today: dt.date) -> bool:
    return can_keep_books(user, structure, today=today)
