"""What every page needs to know about selling: which links to offer in the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of


def selling(request: HttpRequest) -> dict[str, bool]:
    """`sells`: the user holds a coopérant (or bénévole) role in a KPA, the role every activity
    member holds ("Mes ventes"); `validates_invoices`: the user is a gestionnaire or an
    administrator ("Factures à valider"). Reads only the request's cached reach: no query, so
    every app's pages keep their query budgets (a coopérant not yet in an activity finds a page
    that says so)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"sells": False, "validates_invoices": False}
    reach = reach_of(user, dates.local_today())
    return {
        "sells": reach.person_id is not None and bool(reach.member_kpas - reach.staff_kpas),
        "validates_invoices": reach.is_admin or bool(reach.managed_structures),
    }
