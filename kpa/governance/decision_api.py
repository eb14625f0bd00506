"""`/api/v1/governance/decisions`: the registers the token user reads (search, filters), one
decision, its ratification and its review date.

A decision out of reach does not exist (404); one they see but may not ratify or date answers
403; refused input answers 422 with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.governance import register, scoping
from kpa.governance.api_common import NOT_FOUND, WRITE_ERRORS, api_user
from kpa.governance.decision_schemas import DecisionFilters, DecisionOut, DecisionReviewIn
from kpa.governance.models import Decision

router = Router()

def _decision(user: User, decision_id: int, today: dt.date) -> Decision:
    return get_in_scope(scoping.decisions_visible_to(user, today=today)
                        .select_related("kpa", "network"), pk=decision_id)


@router.get("/decisions", response=list[DecisionOut],
            summary="Les décisions des registres que vous lisez, les plus récentes d'abord")
@paginate(LimitOffsetPagination)
def list_decisions(request: HttpRequest,
                   filters: Query[DecisionFilters]) -> QuerySet[Decision]:
    found = scoping.decisions_visible_to(api_user(request), today=dates.local_today())
    if filters.kpa is not None:
        found = found.filter(kpa_id=filters.kpa)
    if filters.network is not None:
        found = found.filter(network_id=filters.network)
    q = (filters.q or "").strip()
    if q:
        found = found.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    if filters.method:
        found = found.filter(method=filters.method)
    if filters.year is not None:
        found = found.filter(decided_on__year=filters.year)
    return found.order_by("-decided_on", "-number", "-pk")


@router.get("/decisions/{int:decision_id}", response={200: DecisionOut, **NOT_FOUND},
            summary="Une décision et ses chiffres")
def get_decision(request: HttpRequest, decision_id: int) -> Decision:
    user, today = api_user(request), dates.local_today()
    return _decision(user, decision_id, today)


@router.post("/decisions/{int:decision_id}/ratify", response={200: DecisionOut, **WRITE_ERRORS},
             summary="Ratifier (animateur·rice d'un KPA accompagné)")
def ratify_decision(request: HttpRequest, decision_id: int) -> Decision:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    decision = register.ratify_decision(_decision(user, decision_id, today), actor=user,
                                        now=now)
    return _decision(user, decision.pk, today)


@router.post("/decisions/{int:decision_id}/review", response={200: DecisionOut, **WRITE_ERRORS},
             summary="Fixer (ou retirer) la date de révision")
def set_review(request: HttpRequest, decision_id: int, payload: DecisionReviewIn) -> Decision:
    user, today = api_user(request), dates.local_today()
    decision = register.set_review(_decision(user, decision_id, today), actor=user,
                                   review_on=payload.review_on, today=today)
    return _decision(user, decision.pk, today)
