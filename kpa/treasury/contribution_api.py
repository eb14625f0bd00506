"""The contribution API under /api/v1/treasury/contribution/: a structure's schemes (list,
create), a month's run (or its dry run), the charges of one treasury account and one charge
with its computation. Thin like the views: scope, then `schemes` and `contribution`, which
hold the gates and the rules.

A structure, an account or a charge out of reach answers 404; a structure the user sees (its
comptable) but may not change, 403; a refused input, 422 with the services' French messages.
"""

# No `from __future__ import annotations` here: ninja reads the annotations at runtime.
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.directory.schemas import ErrorOut
from kpa.ledger.models import TreasuryAccount
from kpa.sales.schemas import amount
from kpa.treasury import contribution, permissions, schemes, selectors
from kpa.treasury.contribution_schemas import (
    ChargeOut,
    PlannedOut,
    RunIn,
    RunOut,
    SchemeIn,
    SchemeOut,
)
from kpa.treasury.models import ContributionCharge, ContributionOverride, ContributionScheme

router = Router(tags=["contribution"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _structure(user: User, structure_id: int, today: dt.date) -> Structure:
    return get_in_scope(schemes.structures_for(user, today), pk=structure_id)


def _account(user: User, account_id: int, today: dt.date) -> TreasuryAccount:
    account = get_in_scope(selectors.accounts_for(user, today), pk=account_id)
    if not permissions.can_view_account(user, account, today=today):
        raise Http404
    return account


@router.get("/contribution/structures/{int:structure_id}/schemes",
            response={200: list[SchemeOut], **NOT_FOUND},
            summary="Les barèmes de contribution d'une structure (généraux et particuliers)")
@paginate(LimitOffsetPagination)
def list_schemes(request: HttpRequest, structure_id: int) -> QuerySet[ContributionScheme]:
    user, today = _user(request), dates.local_today()
    structure = _structure(user, structure_id, today)
    return (ContributionScheme.objects.filter(structure=structure)
            .annotate(particular=Exists(ContributionOverride.objects.filter(
                scheme=OuterRef("pk"))))
            .prefetch_related("brackets").order_by("-starts_on", "pk"))


@router.post("/contribution/structures/{int:structure_id}/schemes",
             response={201: SchemeOut, **WRITE_ERRORS},
             summary="Créer un barème général (tranches sur l'assiette cumulée de l'exercice)")
def create_scheme(request: HttpRequest, structure_id: int,
                  payload: SchemeIn) -> Status[ContributionScheme]:
    user, today = _user(request), dates.local_today()
    structure = _structure(user, structure_id, today)
    scheme = schemes.create_scheme(
        actor=user, structure=structure, name=payload.name, base=payload.base,
        starts_on=payload.starts_on, ends_on=payload.ends_on,
        monthly_fee=payload.monthly_fee, fee_waived_for_rsa=payload.fee_waived_for_rsa,
        brackets=[schemes.BracketInput(b.lower_bound, b.rate) for b in payload.brackets],
        today=today)
    return Status(201, ContributionScheme.objects.prefetch_related("brackets").get(
        pk=scheme.pk))


@router.post("/contribution/structures/{int:structure_id}/runs",
             response={200: RunOut, **WRITE_ERRORS},
             summary="Compter la contribution d'un mois fini (ou la calculer sans l'écrire)")
def run_month(request: HttpRequest, structure_id: int, payload: RunIn) -> RunOut:
    user, today = _user(request), dates.local_today()
    structure = _structure(user, structure_id, today)
    if not permissions.can_run_contribution(user, structure, today=today):
        raise PermissionDenied
    month = contribution.parse_month(payload.month)
    if payload.dry_run:
        plan = contribution.preview_month(actor=user, structure=structure, month=month,
                                          today=today)
    else:
        plan = contribution.run_month(actor=user, structure=structure, month=month,
                                      today=today).plan
    return RunOut(month=plan.month, dry_run=payload.dry_run, counted=len(plan.charges),
                  booked=len(plan.to_book), already_counted=plan.already_done,
                  total=amount(plan.total), charges=[PlannedOut.of(c) for c in plan.charges])


@router.get("/contribution/accounts/{int:account_id}/charges",
            response={200: list[ChargeOut], **NOT_FOUND},
            summary="La contribution d'une trésorerie, mois par mois, avec le calcul")
@paginate(LimitOffsetPagination)
def list_charges(request: HttpRequest, account_id: int) -> QuerySet[ContributionCharge]:
    user, today = _user(request), dates.local_today()
    account = _account(user, account_id, today)
    return contribution.charges_of_account(account)


@router.get("/contribution/charges/{int:charge_id}", response={200: ChargeOut, **NOT_FOUND},
            summary="Une contribution du mois et son calcul ligne par ligne")
def get_charge(request: HttpRequest, charge_id: int) -> ContributionCharge:
    user, today = _user(request), dates.local_today()
    return get_in_scope(contribution.charges_for(user, today).select_related("entry__journal"),
                        pk=charge_id)
