"""Treasury at scale: the live figures read from the ledger bench's structure-year (1,000,000
lines at scale 1, 5,000 treasury accounts), against bare SQL aggregates of the same lines
measured in the same run.

- `treasury_overview`: `balances.figures_for(structure, None)`, every account's figures (what
  the structure's overview page shows), against `SELECT treasury_account_id, SUM(debit),
  SUM(credit) … GROUP BY treasury_account_id` over the same lines;
- `treasury_account`: one account's figures (`balances.figures_of`, the heart of "Ma
  trésorerie"), against the bare sums of that account's lines (the account with the most lines);
- `treasury_statement`: the whole statement page's reads for that account
  (`statements.statement_of`: figures, cashed, movements, 12-month series), against the same
  floor.

The number of queries of the overview is counted for 10 accounts and for all of them: it must
not grow with the number of accounts (`extra.overview_queries_*`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from benchmarks.ledger import Scenario, median_time
from kpa.directory.models import Structure
from kpa.ledger.models import EntryLine, FiscalYear, TreasuryAccount
from kpa.treasury import balances, statements

# Provisional targets (see README), from runs at scale 0.1 on PostgreSQL 15 (5.0, 18 and 65).
# The overview groups the lines by treasury account, general account and year (the floor by
# treasury account only) and sorts the groups into figures in Python. One account's figures
# take five round trips and its statement nine, against a floor of one indexed sum over a few
# dozen lines (0.3 ms): those ratios measure a constant number of queries, not a growth.
OVERVIEW_TARGET = 6.0
ACCOUNT_TARGET = 25.0
STATEMENT_TARGET = 80.0


@dataclass
class TreasuryReport:
    accounts: int
    runs: int
    scenarios: list[Scenario]
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def queries_constant(self) -> bool:
        return self.extra.get("overview_queries_10") == self.extra.get("overview_queries_all")

    def as_dict(self) -> dict[str, Any]:
        return {"accounts": self.accounts, "runs": self.runs,
                "scenarios": [s.as_dict() for s in self.scenarios], "extra": self.extra,
                "queries_constant": self.queries_constant}


def _floor_all(year_id: int) -> Callable[[], object]:
    def run() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT treasury_account_id, SUM(debit), SUM(credit) FROM ledger_entryline "
                "WHERE fiscal_year_id = %s AND validated GROUP BY treasury_account_id",
                [year_id])
            return list(cursor.fetchall())
    return run


def _floor_one(year_id: int, account_id: int) -> Callable[[], object]:
    def run() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT account_id, SUM(debit), SUM(credit) FROM ledger_entryline "
                "WHERE treasury_account_id = %s AND fiscal_year_id = %s AND validated "
                "GROUP BY account_id", [account_id, year_id])
            return list(cursor.fetchall())
    return run


def _queries(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def run(*, runs: int, log: Callable[[str], None]) -> TreasuryReport:
    """Measure on the structure the ledger bench generated (in the scratch database)."""
    structure = Structure.objects.get(name="CAE Banc d'Essai")
    year = FiscalYear.objects.get(structure=structure)
    today = year.last_day
    accounts = TreasuryAccount.objects.filter(structure=structure)
    busiest = (EntryLine.objects.filter(fiscal_year=year, treasury_account__isnull=False)
               .values("treasury_account_id").annotate(n=Count("id")).order_by("-n")
               .values_list("treasury_account_id", "n").first())
    if busiest is None:
        raise RuntimeError("the ledger bench wrote no line with a treasury account")
    account_id, account_lines = busiest
    account = TreasuryAccount.objects.get(pk=account_id)
    log(f"Trésorerie : {accounts.count()} comptes ; le plus chargé a {account_lines} lignes…")

    def overview() -> object:
        return balances.figures_for(structure, None, today=today)

    def one() -> object:
        return balances.figures_of(account_id, structure, today=today)

    def statement() -> object:
        return statements.statement_of(account, today=today)

    floor_all = median_time(_floor_all(year.pk), runs)
    floor_one = median_time(_floor_one(year.pk, account_id), runs)
    scenarios = [
        Scenario("treasury_overview", "Trésorerie : tous les comptes (figures_for)",
                 median_time(overview, runs), floor_all,
                 "SELECT treasury_account_id, SUM… GROUP BY treasury_account_id",
                 OVERVIEW_TARGET, note=f"{accounts.count()} comptes de trésorerie"),
        Scenario("treasury_account", "Trésorerie : un compte (figures_of)",
                 median_time(one, runs), floor_one, "SUM… WHERE treasury_account_id = …",
                 ACCOUNT_TARGET, note=f"{account_lines} lignes sur ce compte"),
        Scenario("treasury_statement", "Trésorerie : relevé d'un compte (statement_of)",
                 median_time(statement, runs), floor_one, "SUM… WHERE treasury_account_id = …",
                 STATEMENT_TARGET, note="chiffres, encaissé, mouvements, 12 mois"),
    ]
    ten = list(accounts.order_by("pk").values_list("pk", flat=True)[:10])
    extra = {
        "overview_queries_10": float(_queries(
            lambda: balances.figures_for(structure, ten, today=today))),
        "overview_queries_all": float(_queries(overview)),
        "statement_queries": float(_queries(statement)),
        "busiest_account_lines": float(account_lines),
    }
    return TreasuryReport(accounts=accounts.count(), runs=runs, scenarios=scenarios,
                          extra=extra)


def table(report: TreasuryReport) -> list[str]:
    """The figures as text rows, in the ledger table's columns."""
    rows = []
    for s in report.scenarios:
        rows.append(f"{s.label:<48} {s.ours:>10.4f} {s.floor:>13.4f} {s.ratio:>8.3f} "
                    f"{'≤ ' + format(s.target, '.2f'):>8}  {'ok' if s.ok else 'OVER'}")
        rows.append(f"{'  ' + s.note:<48}")
    e = report.extra
    rows.append(f"{'Trésorerie : requêtes, 10 comptes / tous':<48} "
                f"{e['overview_queries_10']:>10.0f} {e['overview_queries_all']:>13.0f} "
                f"{'':>8} {'égales':>8}  {'ok' if report.queries_constant else 'OVER'}")
    return rows

