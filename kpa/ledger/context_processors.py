"""What every page needs to know about the books: whether to offer the "Comptabilité" link."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of


def books(request: HttpRequest) -> dict[str, bool]:
    """`keeps_books`: the user reads some structure's books (comptable, gestionnaire, admin).

    `reach_of` is cached on the request's user, so pages that already asked cost nothing more.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"keeps_books": False}
    reach = reach_of(user, dates.local_today())
    return {"keeps_books": reach.is_admin or bool(reach.structures)}
