"""The books' REST API under /api/v1/ledger/: thin like the views — scope through selectors,
write through services. Books out of reach do not exist (404); a service's refusal is a 422
with its French messages, a gate's a 403 (handlers in `config/api.py`)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.directory.models import Structure
from kpa.directory.schemas import ErrorOut
from kpa.ledger import permissions, reports, selectors, services
from kpa.ledger.models import Account, Entry, FiscalYear, Journal, ThirdParty, TreasuryAccount
from kpa.ledger.schemas import (
    AccountOut,
    EntryDetailOut,
    EntryIn,
    EntryOut,
    FiscalYearOut,
    JournalOut,
    ReverseIn,
    StatementsOut,
    TrialBalanceOut,
    amount,
)
from kpa.ledger.statements import Side, Statement

router = Router(tags=["comptabilité"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    """The token's user, set by `kpa.core.api_auth.ApiTokenAuth`."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _structure(request: HttpRequest, structure_id: int) -> Structure:
    user, today = _user(request), dates.local_today()
    structure = selectors.structure_for_books(user, structure_id, today)
    if not permissions.can_read_books(user, structure, today=today):
        raise Http404  # out of reach: not there, never 403
    return structure


def _year(request: HttpRequest, year_id: int) -> FiscalYear:
    return selectors.fiscal_year_for(_user(request), year_id, dates.local_today())


def _entry(request: HttpRequest, entry_id: int) -> Entry:
    return selectors.entry_for(_user(request), entry_id, dates.local_today())


# -- reads ----------------------------------------------------------------------------------


@router.get("/structures/{int:structure_id}/accounts", response={200: list[AccountOut],
            **NOT_FOUND}, summary="Le plan comptable d'une structure")
def list_accounts(request: HttpRequest, structure_id: int) -> QuerySet[Account]:
    return selectors.accounts_of(_structure(request, structure_id))


@router.get("/structures/{int:structure_id}/journals", response={200: list[JournalOut],
            **NOT_FOUND}, summary="Les journaux d'une structure")
def list_journals(request: HttpRequest, structure_id: int) -> QuerySet[Journal]:
    return selectors.journals_of(_structure(request, structure_id))


@router.get("/structures/{int:structure_id}/fiscal-years",
            response={200: list[FiscalYearOut], **NOT_FOUND},
            summary="Les exercices d'une structure, le plus récent d'abord")
def list_fiscal_years(request: HttpRequest, structure_id: int) -> QuerySet[FiscalYear]:
    return selectors.fiscal_years_of(_structure(request, structure_id))


@router.get("/fiscal-years/{int:year_id}/entries", response=list[EntryOut],
            summary="Les écritures d'un exercice, les plus récentes d'abord")
@paginate(LimitOffsetPagination)
def list_entries(request: HttpRequest, year_id: int) -> QuerySet[Entry]:
    return selectors.entries_of(_year(request, year_id))


@router.get("/entries/{int:entry_id}", response={200: EntryDetailOut, **NOT_FOUND},
            summary="Une écriture et ses lignes")
def get_entry(request: HttpRequest, entry_id: int) -> Entry:
    return _entry(request, entry_id)


@router.get("/fiscal-years/{int:year_id}/trial-balance",
            response={200: TrialBalanceOut, **NOT_FOUND},
            summary="La balance générale (écritures validées)")
def get_trial_balance(request: HttpRequest, year_id: int) -> dict[str, Any]:
    year = _year(request, year_id)
    balance = reports.trial_balance(year)
    return {"fiscal_year_id": year.pk, "provisional": year.is_open, "rows": balance.rows,
            "total_debit": amount(balance.total_debit),
            "total_credit": amount(balance.total_credit)}


def _side(side: Side) -> dict[str, Any]:
    return {"title": str(side.title), "total": amount(side.total),
            "previous_total": amount(side.previous_total), "sections": [
                {"title": str(section.title), "total": amount(section.total),
                 "previous_total": amount(section.previous_total), "lines": [
                     {"label": str(line.label), "amount": amount(line.amount),
                      "previous": amount(line.previous), "accounts": list(line.accounts)}
                     for line in section.lines]}
                for section in side.sections]}


def _statement(statement: Statement) -> dict[str, Any]:
    return {"title": str(statement.title), "sides": [_side(s) for s in statement.sides],
            "footer": [_side(s) for s in statement.footer]}


@router.get("/fiscal-years/{int:year_id}/statements", response={200: StatementsOut, **NOT_FOUND},
            summary="Bilan et compte de résultat, avec l'exercice précédent")
def get_statements(request: HttpRequest, year_id: int) -> dict[str, Any]:
    year = _year(request, year_id)
    previous = selectors.previous_fiscal_year(year)
    both = reports.statements(year, previous)
    return {"fiscal_year_id": year.pk, "previous_fiscal_year_id": previous.pk if previous
            else None, "provisional": year.is_open,
            "balance_sheet": _statement(both.balance_sheet),
            "income_statement": _statement(both.income_statement),
            "result": amount(both.result), "previous_result": amount(both.previous_result)}


# -- writes ---------------------------------------------------------------------------------


def _by_code(queryset: QuerySet[Any], codes: set[str], field: str) -> dict[str, Any]:
    found = {obj.code: obj for obj in queryset.filter(code__in=codes)}
    missing = sorted(codes - set(found))
    if missing:
        raise ValidationError({field: _("Code inconnu dans cette structure : %(codes)s.")
                               % {"codes": ", ".join(missing)}})
    return found


@router.post(
    "/structures/{int:structure_id}/entries", response={201: EntryDetailOut, **WRITE_ERRORS},
    summary="Passer une écriture (brouillon, ou validée avec validate=true)",
    description=("Les montants sont des chaînes décimales (\"120.00\"). 422 si l'écriture "
                 "n'est pas équilibrée, si un compte n'est pas dans le plan ou si l'exercice "
                 "est clôturé (messages en français, avec le numéro de ligne)."),
)
def create_entry(request: HttpRequest, structure_id: int, payload: EntryIn) -> Status[Entry]:
    structure = _structure(request, structure_id)
    journal = Journal.objects.filter(structure=structure, code=payload.journal.upper()).first()
    if journal is None:
        raise ValidationError({"journal": _("Le journal %(code)s n'existe pas.")
                               % {"code": payload.journal}})
    parties = _by_code(ThirdParty.objects.filter(structure=structure),
                       {ln.third_party for ln in payload.lines if ln.third_party}, "third_party")
    treasuries = _by_code(TreasuryAccount.objects.filter(structure=structure),
                          {ln.treasury for ln in payload.lines if ln.treasury}, "treasury")
    entry = services.create_entry(
        actor=_user(request), structure=structure, journal=journal, date=payload.date,
        label=payload.label, piece_ref=payload.piece_ref, piece_date=payload.piece_date,
        validate=payload.validate_now, today=dates.local_today(), lines=[
            services.LineInput(account=ln.account, debit=ln.debit, credit=ln.credit,
                               label=ln.label,
                               third_party=parties.get(ln.third_party or ""),
                               treasury_account=treasuries.get(ln.treasury or ""))
            for ln in payload.lines])
    return Status(201, entry)


@router.post("/entries/{int:entry_id}/validate", response={200: EntryDetailOut, **WRITE_ERRORS},
             summary="Valider un brouillon (numéro définitif, plus de modification)")
def validate_entry(request: HttpRequest, entry_id: int) -> Entry:
    return services.validate_entry(actor=_user(request), entry=_entry(request, entry_id),
                                   today=dates.local_today())


@router.post("/entries/{int:entry_id}/reverse", response={201: EntryDetailOut, **WRITE_ERRORS},
             summary="Contre-passer une écriture validée (renvoie la contre-passation)")
def reverse_entry(request: HttpRequest, entry_id: int, payload: ReverseIn) -> Status[Entry]:
    reversal = services.reverse_entry(actor=_user(request), entry=_entry(request, entry_id),
                                      date=payload.date, today=dates.local_today())
    return Status(201, reversal)
