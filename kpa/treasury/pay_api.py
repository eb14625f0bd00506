"""The pay API under /api/v1/treasury/: what I may ask, my requests (create, list, cancel),
the référent's review (transmit, refuse), and the gestionnaire's month (cut-off, CSV export,
summary import, pay settings). Thin like the views: scope through `pay`'s reads, write
through `pay` and `payroll`, which hold the gates and the rules.

A request or a structure out of reach answers 404; one the user sees but may not act on, 403;
a refused input, 422 with the services' French messages.
"""

# No `from __future__ import annotations` here: ninja reads the query schemas' annotations
# through the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Structure
from kpa.directory.schemas import ErrorOut
from kpa.ledger.models import TreasuryAccount
from kpa.treasury import pay, payroll
from kpa.treasury.models import PayRequest, PayrollImport
from kpa.treasury.pay_schemas import (
    AllowanceOut,
    CutoffIn,
    CutoffOut,
    MonthIn,
    PayRequestFilters,
    PayRequestIn,
    PayRequestOut,
    PayrollImportOut,
    PaySettingsIn,
    PaySettingsOut,
    RefuseIn,
)
from kpa.treasury.permissions import can_process_payroll, keeps_books_of

router = Router(tags=["paie"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}
CSV_RESPONSE = {"responses": {200: {
    "description": "Les demandes transmises du mois, séparateur « ; », UTF-8 avec BOM.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _my_account(user: User, account_id: int | None, today: dt.date) -> TreasuryAccount:
    accounts = pay.my_accounts(user, today)
    for account in accounts:
        if account_id is None or account.pk == account_id:
            return account
    raise Http404


def _request(user: User, request_id: int, today: dt.date) -> PayRequest:
    return get_in_scope(pay.requests_for(user, today), pk=request_id)


def _structure(user: User, structure_id: int, today: dt.date) -> Structure:
    """A structure whose books the user keeps (else 404); processing payroll is the
    gestionnaire's (else 403)."""
    structure = get_in_scope(Structure.objects.all(), pk=structure_id)
    if not keeps_books_of(user, structure.pk, today=today):
        raise Http404
    return structure


# -- the coopérant --------------------------------------------------------------------------

@router.get("/pay/allowance", response={200: AllowanceOut, **NOT_FOUND},
            summary="Ce que je peux demander ce mois-ci (disponible, net maximum, date limite)")
def my_allowance(request: HttpRequest, account_id: int | None = None) -> AllowanceOut:
    user, today = _user(request), dates.local_today()
    account = _my_account(user, account_id, today)
    return AllowanceOut.from_allowance(pay.allowance_for(account, today=today))


@router.post("/pay-requests", response={201: PayRequestOut, **WRITE_ERRORS},
             summary="Demander ma rémunération du mois (un net en euros)")
def create_pay_request(request: HttpRequest, payload: PayRequestIn) -> Status[PayRequest]:
    user, today = _user(request), dates.local_today()
    account = _my_account(user, payload.account_id, today)
    created = pay.request_pay(actor=user, account=account, net_amount=payload.net_amount,
                              month=payload.month, note=payload.note, today=today)
    return Status(201, _request(user, created.pk, today))


@router.get("/pay-requests", response=list[PayRequestOut],
            summary="Les demandes que vous voyez : les vôtres, celles de vos KPA, de vos "
                    "structures")
@paginate(LimitOffsetPagination)
def list_pay_requests(request: HttpRequest,
                      filters: Query[PayRequestFilters]) -> QuerySet[PayRequest]:
    user, today = _user(request), dates.local_today()
    requests = (pay.my_requests(user, today) if filters.mine
                else pay.requests_for(user, today))
    if filters.status is not None:
        requests = requests.filter(status=filters.status)
    if filters.month is not None:
        requests = requests.filter(month=pay.month_of(filters.month))
    return requests.order_by("-month", "-pk")


@router.get("/pay-requests/{int:request_id}", response={200: PayRequestOut, **NOT_FOUND},
            summary="Une demande de rémunération")
def get_pay_request(request: HttpRequest, request_id: int) -> PayRequest:
    user, today = _user(request), dates.local_today()
    return _request(user, request_id, today)


@router.post("/pay-requests/{int:request_id}/cancel",
             response={200: PayRequestOut, **WRITE_ERRORS},
             summary="Annuler ma demande (tant qu'elle n'est pas transmise)")
def cancel_pay_request(request: HttpRequest, request_id: int) -> PayRequest:
    user, today = _user(request), dates.local_today()
    pay.cancel_pay_request(actor=user, pay_request=_request(user, request_id, today),
                           today=today)
    return _request(user, request_id, today)


# -- the référent ---------------------------------------------------------------------------

@router.post("/pay-requests/{int:request_id}/transmit",
             response={200: PayRequestOut, **WRITE_ERRORS},
             summary="Transmettre une demande à la paie (référent·e, gestionnaire)")
def transmit_pay_request(request: HttpRequest, request_id: int) -> PayRequest:
    user, today = _user(request), dates.local_today()
    pay.transmit_pay_request(actor=user, pay_request=_request(user, request_id, today),
                             today=today)
    return _request(user, request_id, today)


@router.post("/pay-requests/{int:request_id}/refuse",
             response={200: PayRequestOut, **WRITE_ERRORS},
             summary="Refuser une demande en disant pourquoi (référent·e, gestionnaire)")
def refuse_pay_request(request: HttpRequest, request_id: int, payload: RefuseIn) -> PayRequest:
    user, today = _user(request), dates.local_today()
    pay.refuse_pay_request(actor=user, pay_request=_request(user, request_id, today),
                           reason=payload.reason, today=today)
    return _request(user, request_id, today)


# -- the gestionnaire -----------------------------------------------------------------------

@router.get("/pay/settings/{int:structure_id}", response={200: PaySettingsOut, **NOT_FOUND},
            summary="Les réglages de la paie d'une structure (jour limite, taux, rappel)")
def get_pay_settings(request: HttpRequest, structure_id: int) -> PaySettingsOut:
    user, today = _user(request), dates.local_today()
    structure = _structure(user, structure_id, today)
    return PaySettingsOut.from_settings(pay.settings_of(structure))


@router.put("/pay/settings/{int:structure_id}", response={200: PaySettingsOut, **WRITE_ERRORS},
            summary="Changer les réglages de la paie d'une structure (gestionnaire)")
def put_pay_settings(request: HttpRequest, structure_id: int,
                     payload: PaySettingsIn) -> PaySettingsOut:
    user, today = _user(request), dates.local_today()
    settings = pay.update_settings(
        actor=user, structure=_structure(user, structure_id, today),
        cutoff_day=payload.cutoff_day, employee_rate=payload.employee_rate,
        employer_rate=payload.employer_rate, reminder_days=payload.reminder_days, today=today)
    return PaySettingsOut.from_settings(settings)


@router.post("/payroll/{int:structure_id}/cutoffs", response={200: CutoffOut, **WRITE_ERRORS},
             summary="Publier la date limite des demandes d'un mois")
def publish_cutoff(request: HttpRequest, structure_id: int, payload: CutoffIn) -> CutoffOut:
    user, today = _user(request), dates.local_today()
    cutoff = pay.publish_cutoff(actor=user, structure=_structure(user, structure_id, today),
                                month=payload.month, cutoff_on=payload.cutoff_on, today=today)
    return CutoffOut(structure_id=cutoff.structure_id, month=cutoff.month,
                     cutoff_on=cutoff.cutoff_on)


@router.post("/payroll/{int:structure_id}/export", response={200: None, **WRITE_ERRORS},
             summary="Exporter les demandes transmises du mois (CSV pour le logiciel de paie)",
             openapi_extra=CSV_RESPONSE)
def export_month(request: HttpRequest, structure_id: int, payload: MonthIn) -> HttpResponse:
    user, today = _user(request), dates.local_today()
    exported = payroll.export_month(actor=user, structure=_structure(user, structure_id, today),
                                    month=payload.month, today=today)
    response = HttpResponse(exported.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{exported.file_name}"'
    return response


@router.post("/payroll/{int:structure_id}/import",
             response={201: PayrollImportOut, **WRITE_ERRORS},
             summary="Importer le récapitulatif de paie du mois (multipart : file, month)",
             description="Colonnes : id_personne (ou compte_tresorerie), brut, net, "
                         "cout_employeur ; « ; » ou « , » ; une ligne d'en-tête. Une seule "
                         "ligne fausse refuse tout le fichier (422, lignes numérotées).")
def import_summary(request: HttpRequest, structure_id: int, file: File[UploadedFile],
                   month: Form[dt.date]) -> Status[PayrollImport]:
    user, today = _user(request), dates.local_today()
    structure = _structure(user, structure_id, today)
    if not can_process_payroll(user, structure, today=today):
        raise PermissionDenied
    if file.size is None or file.size > payroll.MAX_FILE_BYTES:
        raise ValidationError({"file": _("Ce fichier fait plus de 2 Mo : un récapitulatif de "
                                         "paie est bien plus petit.")})
    done = payroll.import_summary(actor=user, structure=structure, month=month,
                                  file_name=file.name or "paie.csv", content=file.read(),
                                  today=today)
    return Status(201, PayrollImport.objects.prefetch_related("lines").get(pk=done.pk))
