"""What every page needs to know about purchases: which links to offer in the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of


def purchasing(request: HttpRequest) -> dict[str, bool]:
    """`claims_expenses`: the user is a member of a KPA (not only its staff), as for "Mes
    ventes" ("Mes notes de frais"); `checks_expenses`: a gestionnaire or comptable of a
    structure, or an administrator ("Notes de frais à valider", supplier invoices). Reads only
    the request's cached reach: no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"claims_expenses": False, "checks_expenses": False}
    reach = reach_of(user, dates.local_today())
    return {
        "claims_expenses": reach.person_id is not None
        and bool(reach.member_kpas - reach.staff_kpas),
        "checks_expenses": reach.is_admin or bool(reach.structures),
    }
