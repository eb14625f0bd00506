"""What every page needs to know about journeys: which links to offer in the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of


def journeys(request: HttpRequest) -> dict[str, bool]:
    """`follows_journeys`: the user sees a board (KPA staff, gestionnaire, admin);
    `has_person`: the user may have a journey of their own ("Mon parcours"): a person who is a
    coopérant or bénévole somewhere, or who holds no staff role (a newly registered person has no
    role until their contract starts). Reads only the request's cached reach: no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"follows_journeys": False, "has_person": False}
    reach = reach_of(user, dates.local_today())
    follows = reach.is_admin or bool(reach.staff_kpas or reach.managed_structures)
    return {
        "follows_journeys": follows,
        "has_person": reach.person_id is not None
        and (not (follows or reach.structures or reach.networks)
             or bool(reach.member_kpas - reach.staff_kpas)),
    }
