"""What every page needs to know about treasuries: whether to offer the "Trésorerie" link."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of
from kpa.treasury import selectors


def treasury(request: HttpRequest) -> dict[str, bool]:
    """`sees_treasury_overview`: the user may open some overview (a structure's gestionnaire
    or comptable, a KPA's staff, an administrator); `has_treasury`: that, or the user is a
    member of a KPA (its coopérants and bénévoles have or will have a treasury: the page says
    which). Both read only the request's cached reach: no query, so every app's pages keep
    their query budgets."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"has_treasury": False, "sees_treasury_overview": False}
    today = dates.local_today()
    reach = reach_of(user, today)
    sees = selectors.sees_overview(user, today)
    member = reach.person_id is not None and bool(reach.member_kpas - reach.staff_kpas)
    return {"has_treasury": sees or member, "sees_treasury_overview": sees}
