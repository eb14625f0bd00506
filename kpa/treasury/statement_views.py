"""The treasury pages: "Ma trésorerie", one account's page (individual, collective or a KPA's
common pot), and the overviews of all accounts (a structure's, a KPA's).

Thin views: scope through `selectors` (out of reach is 404, never 403), read through
`statements` and `forecast`, render.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kpa.core import dates
from kpa.core.auth import AnyUser
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import ActivityMembership, Person
from kpa.ledger.models import TreasuryAccount
from kpa.treasury import balances, permissions, selectors, statements
from kpa.treasury.balances import Figures
from kpa.treasury.chart import monthly_chart
from kpa.treasury.forecast import Forecast, forecast_of
from kpa.treasury.statements import PayWindow, Statement

Kind = TreasuryAccount.Kind


@dataclass(frozen=True)
class Section:
    """One account as its page shows it."""

    account: TreasuryAccount
    statement: Statement
    forecast: Forecast
    chart: SafeString
    pay: PayWindow | None
    max_net: Decimal | None
    mine: bool  # the viewer is the account's coopérant ("tu")


def _section(user: AnyUser, account: TreasuryAccount, *, today: dt.date,
             figures: Figures | None = None) -> Section:
    statement = statements.statement_of(account, today=today, figures=figures)
    pay = max_net = None
    if account.kind == Kind.INDIVIDUAL:
        pay = statements.pay_window(account.structure, today=today)
        max_net = statements.max_net_for(statement.figures.available, pay.settings)
    title = _("Entrées et sorties des 12 derniers mois : %(name)s") % {"name": account.label}
    return Section(account=account, statement=statement,
                   forecast=forecast_of(statement, today=today),
                   chart=monthly_chart(statement.months, chart_id=f"graphique-{account.pk}",
                                       title=title),
                   pay=pay, max_net=max_net,
                   mine=permissions.can_request_pay(user, account, today=today))


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in coopérant's individual account(s) in full, the collective accounts they
    belong to in short, and the overviews they may open."""
    today = dates.local_today()
    accounts = list(selectors.my_accounts(request.user, today))
    figures: dict[int, Figures] = {}
    for structure in {a.structure_id: a.structure for a in accounts}.values():
        figures.update(balances.figures_for(
            structure, [a.pk for a in accounts if a.structure_id == structure.pk],
            today=today))
    sections = [_section(request.user, a, today=today, figures=figures[a.pk])
                for a in accounts if a.kind == Kind.INDIVIDUAL]
    collectives = [(a, figures[a.pk]) for a in accounts if a.kind != Kind.INDIVIDUAL]
    sees_overview = selectors.sees_overview(request.user, today)
    return render(request, "treasury/statement/mine.html", {
        "sections": sections, "collectives": collectives, "today": today,
        "structures": list(selectors.overview_structures(request.user, today))
        if sees_overview else [],
        "kpas": list(selectors.overview_kpas(request.user, today)) if sees_overview else [],
    })


@login_required
@require_GET
def account(request: HttpRequest, pk: int) -> HttpResponse:
    """One account the user may see: its statement, chart and forecast; for a collective,
    its members."""
    today = dates.local_today()
    found = get_in_scope(selectors.accounts_for(request.user, today), pk=pk)
    members: list[Person] = []
    if found.kind == Kind.COLLECTIVE and found.activity_id is not None:
        members = [m.person for m in ActivityMembership.objects.current(today)
                   .filter(activity_id=found.activity_id).select_related("person")
                   .order_by("person__last_name", "person__first_name")]
    return render(request, "treasury/statement/account.html", {
        "section": _section(request.user, found, today=today), "members": members,
        "today": today,
    })


def _sort(request: HttpRequest) -> str:
    sort = request.GET.get("tri", "code")
    return sort if sort in statements.SORTS else "code"


@login_required
@require_GET
def overview(request: HttpRequest, pk: int) -> HttpResponse:
    """Every account of the structure, its own part, and the totals against the general
    ledger: for its gestionnaire and comptable."""
    today = dates.local_today()
    structure = get_in_scope(selectors.overview_structures(request.user, today), pk=pk)
    accounts = list(selectors.structure_accounts(structure))
    sort = _sort(request)
    return render(request, "treasury/statement/overview.html", {
        "overview": statements.overview_of(structure, accounts, today=today, everything=True,
                                           sort=sort),
        "title": structure.name, "structure": structure, "sort": sort, "today": today,
    })


@login_required
@require_GET
def kpa_overview(request: HttpRequest, pk: int) -> HttpResponse:
    """A KPA's accounts only, for its staff (and the carrying structure's)."""
    today = dates.local_today()
    kpa = get_in_scope(selectors.overview_kpas(request.user, today), pk=pk)
    accounts = list(selectors.kpa_accounts(kpa))
    sort = _sort(request)
    return render(request, "treasury/statement/overview.html", {
        "overview": statements.overview_of(kpa.carrying_structure, accounts, today=today,
                                           everything=False, sort=sort),
        "title": kpa.name, "kpa": kpa, "sort": sort, "today": today,
    })
