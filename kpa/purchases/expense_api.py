"""Expense claims under /api/v1/purchases/expense-claims: list and read (scoped), create a
claim, add a line with its receipt, submit, validate, reject, reimburse, and read a receipt.

A line is sent as **multipart/form-data**: its fields as form fields and the receipt as the
`receipt` file (a PDF or a photo, JPEG, PNG or WebP, 10 MB at most; none for a mileage line).

A claim out of the token user's reach does not exist (404), also an activity given in a body;
a visible one the user may not act on answers 403; refused input answers 422 with the
services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper (see kpa/sales/api.py).
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.permissions import reach_of
from kpa.directory.schemas import ErrorOut
from kpa.directory.selectors import activities_for
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.purchases import expense_selectors as selectors
from kpa.purchases import expenses, permissions
from kpa.purchases.expense_schemas import (
    ExpenseClaimDetailOut,
    ExpenseClaimFilters,
    ExpenseClaimIn,
    ExpenseClaimOut,
    ExpenseLineIn,
    ReimburseIn,
    RejectIn,
)
from kpa.purchases.expense_views import receipt_response
from kpa.purchases.models import ExpenseClaim, ExpenseLine

router = Router(tags=["notes de frais"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}
RECEIPT_RESPONSE = {"responses": {200: {
    "description": "Le justificatif tel qu'envoyé (PDF, JPEG, PNG ou WebP).",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "image/*": {"schema": {"type": "string", "format": "binary"}}},
}}}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _claim(user: User, claim_id: int, today: dt.date) -> ExpenseClaim:
    return get_in_scope(selectors.claims_for(user, today), pk=claim_id)


def _detail(user: User, claim_id: int, today: dt.date) -> ExpenseClaim:
    claims = selectors.with_totals(selectors.claims_for(user, today)).prefetch_related(
        Prefetch("lines", queryset=ExpenseLine.objects.defer(*selectors.RECEIPT_FIELDS)
                 .order_by("spent_on", "pk")))
    return get_in_scope(claims, pk=claim_id)


@router.get("/expense-claims", response=list[ExpenseClaimOut],
            summary="Les notes de frais que vous voyez, du mois le plus récent au plus ancien")
@paginate(LimitOffsetPagination)
def list_claims(request: HttpRequest,
                filters: Query[ExpenseClaimFilters]) -> QuerySet[ExpenseClaim]:
    user, today = _user(request), dates.local_today()
    claims = selectors.with_totals(selectors.claims_for(user, today)).order_by("-month", "-pk")
    if filters.status:
        claims = claims.filter(status=filters.status)
    if filters.mine:
        person_id = reach_of(user, today).person_id
        claims = claims.filter(person_id=person_id) if person_id else claims.none()
    return claims


@router.get("/expense-claims/{int:claim_id}",
            response={200: ExpenseClaimDetailOut, **NOT_FOUND},
            summary="Une note de frais et ses lignes")
def get_claim(request: HttpRequest, claim_id: int) -> ExpenseClaim:
    user, today = _user(request), dates.local_today()
    return _detail(user, claim_id, today)


@router.post("/expense-claims", response={201: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Commencer une note de frais (un mois, une activité dont vous êtes membre)")
def create_claim(request: HttpRequest, payload: ExpenseClaimIn) -> Status[ExpenseClaim]:
    user, today = _user(request), dates.local_today()
    activity = get_in_scope(activities_for(user, today), pk=payload.activity_id)
    claim = expenses.create_claim(actor=user, activity=activity, month=payload.month,
                                  today=today, note=payload.note)
    return Status(201, _detail(user, claim.pk, today))


@router.post("/expense-claims/{int:claim_id}/lines",
             response={201: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Ajouter une dépense (multipart : ses champs et le fichier receipt)",
             description="Le justificatif est obligatoire sauf pour des kilomètres, dont le "
                         "montant est calculé avec le barème kilométrique.")
def add_line(request: HttpRequest, claim_id: int, payload: Form[ExpenseLineIn],
             receipt: File[UploadedFile | None] = None) -> Status[ExpenseClaim]:
    user, today = _user(request), dates.local_today()
    claim = _claim(user, claim_id, today)
    if not permissions.can_edit_claim(user, claim, today=today):
        raise PermissionDenied
    content = None
    if receipt is not None:
        # The size is known from the upload's headers: never read a file we refuse anyway.
        if receipt.size is None or receipt.size > MAX_UPLOAD_BYTES:
            raise ValidationError({"receipt": _(
                "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
                "scannez en qualité « document »."
            ) % {"size": round((receipt.size or 0) / 1024 / 1024)}})
        content = receipt.read()
    expenses.add_line(actor=user, claim=claim, today=today, spent_on=payload.spent_on,
                      category=payload.category, description=payload.description,
                      amount_incl_vat=payload.amount_incl_vat,
                      recoverable_vat=payload.recoverable_vat,
                      distance_km=payload.distance_km,
                      fiscal_horsepower=payload.fiscal_horsepower, electric=payload.electric,
                      receipt=content, receipt_name=(receipt.name or "") if receipt else "")
    return Status(201, _detail(user, claim_id, today))


@router.get("/expense-claims/{int:claim_id}/lines/{int:line_id}/receipt",
            response={200: None, **NOT_FOUND}, openapi_extra=RECEIPT_RESPONSE,
            summary="Le justificatif d'une dépense")
def get_receipt(request: HttpRequest, claim_id: int, line_id: int) -> HttpResponse:
    user, today = _user(request), dates.local_today()
    line = selectors.line_in_reach(user, line_id, today, with_receipt=True)
    if line.claim_id != claim_id or not line.receipt:
        raise Http404
    return receipt_response(line)


@router.post("/expense-claims/{int:claim_id}/submit",
             response={200: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Envoyer la note de frais à la structure")
def submit_claim(request: HttpRequest, claim_id: int) -> ExpenseClaim:
    user, today = _user(request), dates.local_today()
    expenses.submit_claim(actor=user, claim=_claim(user, claim_id, today), today=today)
    return _detail(user, claim_id, today)


@router.post("/expense-claims/{int:claim_id}/validate",
             response={200: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Valider une note envoyée (gestionnaire) : elle passe en comptabilité")
def validate_claim(request: HttpRequest, claim_id: int) -> ExpenseClaim:
    user, today = _user(request), dates.local_today()
    expenses.validate_claim(actor=user, claim=_claim(user, claim_id, today), today=today)
    return _detail(user, claim_id, today)


@router.post("/expense-claims/{int:claim_id}/reject",
             response={200: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Refuser une note envoyée, avec son motif (gestionnaire)")
def reject_claim(request: HttpRequest, claim_id: int, payload: RejectIn) -> ExpenseClaim:
    user, today = _user(request), dates.local_today()
    expenses.reject_claim(actor=user, claim=_claim(user, claim_id, today),
                          reason=payload.reason, today=today)
    return _detail(user, claim_id, today)


@router.post("/expense-claims/{int:claim_id}/reimburse",
             response={200: ExpenseClaimDetailOut, **WRITE_ERRORS},
             summary="Noter le remboursement d'une note validée (gestionnaire, comptable)")
def reimburse_claim(request: HttpRequest, claim_id: int, payload: ReimburseIn) -> ExpenseClaim:
    user, today = _user(request), dates.local_today()
    expenses.record_reimbursement(actor=user, claim=_claim(user, claim_id, today),
                                  paid_on=payload.paid_on, today=today)
    return _detail(user, claim_id, today)
