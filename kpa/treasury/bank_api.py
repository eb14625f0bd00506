"""The bank API under /api/v1/treasury/bank/: import a statement, list its transactions, ask
for suggestions, match and unmatch (and set aside). The same selectors and services as the
pages: a journal, layout, statement, transaction or line out of reach is 404 (also when its id
comes in a body), a refused input 422 with the services' French messages.
"""

# No `from __future__ import annotations` here: ninja reads the query schemas' annotations
# through the paginator's wrapper, whose module cannot resolve names imported in this one.
import base64
import binascii
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.schemas import ErrorOut
from kpa.ledger.models import EntryLine
from kpa.treasury import bank_import, reconciliation
from kpa.treasury.bank_schemas import (
    BankStatementOut,
    ImportIn,
    ImportOut,
    MatchIn,
    SuggestionOut,
    TransactionFilters,
    TransactionOut,
)
from kpa.treasury.models import BankStatement, BankTransaction
from kpa.treasury.reconciliation import Suggestion

router = Router(tags=["banque"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _transactions(user: User, today: dt.date) -> QuerySet[BankTransaction]:
    return reconciliation.transactions_for(user, today).prefetch_related(
        Prefetch("matched_lines", queryset=EntryLine.objects.only("pk")))


def _transaction(user: User, transaction_id: int, today: dt.date) -> BankTransaction:
    return get_in_scope(_transactions(user, today), pk=transaction_id)


def _decoded(text: str) -> bytes:
    if len(text) > (bank_import.MAX_FILE_BYTES * 4) // 3 + 4:
        raise ValidationError({"content_base64": _(
            "Le fichier dépasse %(size)d Mo : téléchargez un relevé plus court (un mois, par "
            "exemple).") % {"size": bank_import.MAX_FILE_BYTES // (1024 * 1024)}})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"content_base64": _(
            "Le contenu n'est pas du base64 : envoyez le fichier encodé en base64.")}) from None


@router.post("/bank/statements", response={201: ImportOut, **WRITE_ERRORS},
             summary="Importer un relevé bancaire (OFX ou CSV)",
             description="Tout ou rien : une ligne illisible refuse le fichier (422, une phrase "
                         "par ligne) ; le même fichier deux fois est refusé ; une opération "
                         "déjà importée (même FITID) est passée et comptée.")
def import_statement(request: HttpRequest, payload: ImportIn) -> Status[dict[str, object]]:
    user, today = _user(request), dates.local_today()
    journal = get_in_scope(reconciliation.bank_journals_for(user, today), pk=payload.journal_id)
    layout = None
    if payload.layout_id is not None:
        layout = get_in_scope(reconciliation.layouts_for(user, today).filter(
            structure_id=journal.structure_id), pk=payload.layout_id)
    result = bank_import.import_statement(
        actor=user, journal=journal, layout=layout, file_name=payload.file_name,
        content=_decoded(payload.content_base64), today=today)
    return Status(201, {"statement": result.statement, "created": result.created,
                        "duplicates": result.duplicates})


@router.get("/bank/statements", response=list[BankStatementOut],
            summary="Les relevés importés, les plus récents d'abord")
@paginate(LimitOffsetPagination)
def list_statements(request: HttpRequest) -> QuerySet[BankStatement]:
    return reconciliation.statements_for(_user(request), dates.local_today()).order_by(
        "-imported_at", "-pk")


@router.get("/bank/transactions", response=list[TransactionOut],
            summary="Les opérations des relevés, par date")
@paginate(LimitOffsetPagination)
def list_transactions(request: HttpRequest,
                      filters: Query[TransactionFilters]) -> QuerySet[BankTransaction]:
    transactions = _transactions(_user(request), dates.local_today())
    if filters.journal is not None:
        transactions = transactions.filter(journal_id=filters.journal)
    if filters.statement is not None:
        transactions = transactions.filter(statement_id=filters.statement)
    if filters.status is not None:
        transactions = transactions.filter(status=filters.status)
    return transactions.order_by("booked_on", "pk")


@router.get("/bank/transactions/{int:transaction_id}", response={200: TransactionOut,
                                                                  **NOT_FOUND},
            summary="Une opération de la banque")
def get_transaction(request: HttpRequest, transaction_id: int) -> BankTransaction:
    user = _user(request)
    return _transaction(user, transaction_id, dates.local_today())


@router.get("/bank/transactions/{int:transaction_id}/suggestions",
            response={200: list[SuggestionOut], **NOT_FOUND},
            summary="Les lignes du compte de banque qui pourraient être cette opération",
            description="Même montant, pas encore rapprochées, à dix jours près ; la date la "
                        "plus proche d'abord, puis le libellé le plus ressemblant. Vide pour "
                        "une opération déjà rapprochée ou mise de côté.")
def transaction_suggestions(request: HttpRequest, transaction_id: int) -> list[Suggestion]:
    user = _user(request)
    item = _transaction(user, transaction_id, dates.local_today())
    return reconciliation.suggestions(item, limit=10)


@router.post("/bank/transactions/{int:transaction_id}/match",
             response={200: TransactionOut, **WRITE_ERRORS},
             summary="Rapprocher une opération de lignes d'écriture",
             description="La somme des lignes (débit moins crédit du compte de banque) doit "
                         "égaler le montant de la banque.")
def match_transaction(request: HttpRequest, transaction_id: int,
                      payload: MatchIn) -> BankTransaction:
    user, today = _user(request), dates.local_today()
    item = _transaction(user, transaction_id, today)
    ids = set(payload.line_ids)
    lines = list(EntryLine.objects.filter(pk__in=ids,
                                          entry__structure_id=item.journal.structure_id))
    if len(lines) != len(ids):
        raise Http404
    reconciliation.match(actor=user, transaction=item, lines=lines, today=today)
    return _transaction(user, transaction_id, today)


@router.post("/bank/transactions/{int:transaction_id}/unmatch",
             response={200: TransactionOut, **WRITE_ERRORS},
             summary="Défaire un rapprochement (ou reprendre une opération mise de côté)")
def unmatch_transaction(request: HttpRequest, transaction_id: int) -> BankTransaction:
    user, today = _user(request), dates.local_today()
    reconciliation.unmatch(actor=user, transaction=_transaction(user, transaction_id, today),
                           today=today)
    return _transaction(user, transaction_id, today)


@router.post("/bank/transactions/{int:transaction_id}/ignore",
             response={200: TransactionOut, **WRITE_ERRORS},
             summary="Mettre une opération de côté")
def ignore_transaction(request: HttpRequest, transaction_id: int) -> BankTransaction:
    user, today = _user(request), dates.local_today()
    reconciliation.ignore(actor=user, transaction=_transaction(user, transaction_id, today),
                          today=today)
    return _transaction(user, transaction_id, today)
