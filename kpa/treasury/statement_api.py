"""Statement routes of `/api/v1/treasury/`: the accounts one may see with their live figures,
one account's statement and forecast, a structure's overview. An account or a structure out
of reach does not exist (404)."""

# No `from __future__ import annotations`: ninja reads the route signatures' annotations.
from collections import defaultdict

from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.schemas import ErrorOut
from kpa.ledger.models import TreasuryAccount
from kpa.sales.schemas import amount
from kpa.treasury import balances, selectors, statements
from kpa.treasury.forecast import forecast_of
from kpa.treasury.statement_schemas import OverviewOut, TreasuryAccountOut, TreasuryStatementOut

router = Router()

NOT_FOUND = {404: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


@router.get("/accounts", response=list[TreasuryAccountOut], summary="Les comptes de trésorerie "
            "que je vois, avec leurs chiffres")
def list_accounts(request: HttpRequest) -> list[TreasuryAccountOut]:
    """Individual, collective and common accounts in reach, by code; the figures are read
    with one aggregate per structure."""
    user, today = _user(request), dates.local_today()
    accounts = list(selectors.accounts_for(user, today).order_by("structure_id", "code"))
    by_structure: dict[int, list[TreasuryAccount]] = defaultdict(list)
    for account in accounts:
        by_structure[account.structure_id].append(account)
    out = []
    for group in by_structure.values():
        figures = balances.figures_for(group[0].structure, [a.pk for a in group], today=today)
        out += [TreasuryAccountOut.of(a, figures[a.pk]) for a in group]
    return out


@router.get("/accounts/{account_id}", response={200: TreasuryStatementOut, **NOT_FOUND},
            summary="Le relevé d'un compte et ses trois prochains mois")
def account_statement(request: HttpRequest, account_id: int) -> TreasuryStatementOut:
    user, today = _user(request), dates.local_today()
    account = get_in_scope(selectors.accounts_for(user, today), pk=account_id)
    statement = statements.statement_of(account, today=today)
    pay = max_net = None
    if account.kind == TreasuryAccount.Kind.INDIVIDUAL:
        pay = statements.pay_window(account.structure, today=today)
        max_net = amount(statements.max_net_for(statement.figures.available, pay.settings))
    return TreasuryStatementOut.of(statement, forecast_of(statement, today=today), pay, max_net)


@router.get("/structures/{structure_id}/overview", response={200: OverviewOut, **NOT_FOUND},
            summary="Tous les comptes d'une structure, sa part propre et son grand livre")
def structure_overview(request: HttpRequest, structure_id: int) -> OverviewOut:
    """For the structure's gestionnaire and comptable. `agrees` says that the accounts plus
    the structure's own part equal the general ledger."""
    user, today = _user(request), dates.local_today()
    structure = get_in_scope(selectors.overview_structures(user, today), pk=structure_id)
    accounts = list(selectors.structure_accounts(structure))
    return OverviewOut.of(structure.pk, statements.overview_of(
        structure, accounts, today=today, everything=True))
