"""What every page needs to know about governance: whether to offer its link."""

from __future__ import annotations

from django.http import HttpRequest

from kpa.core import dates
from kpa.directory.permissions import reach_of


def governance(request: HttpRequest) -> dict[str, bool]:
    """`takes_part_in_governance`: the user holds a role in a KPA (every role there sees its
    proposals, register, meetings and charter) or coordinates a network. Reads only the
    request's cached reach: no query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"takes_part_in_governance": False}
    reach = reach_of(user, dates.local_today())
    return {"takes_part_in_governance": reach.is_admin or bool(reach.member_kpas
                                                                or reach.networks)}
