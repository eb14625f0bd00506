"""Shared governance at scale: tallying a majority-judgment vote of 1,000,000 ballots over 10
options (scale 1) from the database, against a bare SQL count of the same judgments.

- `judgment_tally`: `kpa.governance.closing.judgment_tallies(proposal)` (one GROUP BY over the
  proposal's grades: per option, the grade counts worst first) then
  `tally.majority_judgment_ranking` on those counts — what closing a judgment vote costs —
  against `SELECT count(*) FROM governance_ballotgrade WHERE option_id IN (…)`: the database
  reading the same rows with nothing of ours in the way.

Everything lives in a KPA of its own (its network and carrying structure), beside the other
benches' data in the scratch database: one closed judgment proposal, 10 options, N ballots that
each grade every option (10 N `BallotGrade` rows). Grades are pseudo-random with a fixed seed
and a different lean per option (7 `power(random(), lean)`, see `LEANS`), so that majority
grades are shared and the tie-break has work to do. Generation goes straight to the tables: on
PostgreSQL two INSERT … SELECT (`generate_series`, `gen_random_uuid()`, `random()` after
`setseed`), on SQLite `executemany` in chunks. Ballots are anonymous (no elector), as in a
secret vote.

The result is checked once, untimed: every (option, grade) row streamed through a bare cursor
and counted in Python must give the same tallies, hence the same ranking.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from stdnum import luhn

from benchmarks.ledger import Scenario, median_time
from kpa.directory.models import Kpa, Network, Person, Structure
from kpa.governance import closing, tally
from kpa.governance.models import (
    GRADES,
    Method,
    Proposal,
    ProposalOption,
)

BALLOTS_AT_SCALE_1 = 1_000_000
SEED = 0.2026  # PostgreSQL's setseed takes a number in [-1, 1]
CHUNK_BALLOTS = 10_000  # SQLite: ballots written per executemany
FETCH_SIZE = 50_000  # the check's bare cursor
# Measured 1.65 on PostgreSQL at scale 1 (see README); counting ids instead of rows gave 3.5.
TALLY_TARGET = 2.5


# The exponent of each option's grades, by position: below 1 leans to good grades, above 1 to
# bad ones. Out of order, so that the ranking is not the order of the options; close enough
# that several options share a majority grade and the tie-break decides.
LEANS = (0.85, 0.6, 1.25, 0.75, 1.0, 0.65, 1.45, 0.9, 0.7, 1.1)
OPTIONS = len(LEANS)


@dataclass
class GovernanceReport:
    ballots: int
    options: int
    grades: int  # BallotGrade rows
    runs: int
    generation_seconds: float
    scenarios: list[Scenario]
    ranking: list[int]
    check_ok: bool  # the Python count gives the same tallies and ranking
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ballots": self.ballots, "options": self.options, "grades": self.grades,
                "runs": self.runs, "generation_seconds": self.generation_seconds,
                "scenarios": [s.as_dict() for s in self.scenarios], "ranking": self.ranking,
                "check_ok": self.check_ok, "extra": self.extra}


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    return body + luhn.calc_check_digit(body)


def _set_up() -> Proposal:
    network = Network.objects.create(name="Réseau de banc d'essai (gouvernance)")
    siren = _siren(73_204_118)
    structure = Structure.objects.create(
        network=network, name="CAE Banc d'Essai Gouvernance", kind=Structure.Kind.CAE,
        siren=siren, siret=siren + "0001" + luhn.calc_check_digit(siren + "0001"),
        vat_regime=Structure.VatRegime.NORMAL, chart_template=Structure.ChartTemplate.PCG,
        city="Roubaix")
    kpa = Kpa.objects.create(network=network, name="KPA banc d'essai (gouvernance)",
                             city="Roubaix", carrying_structure=structure,
                             autonomy=Kpa.Autonomy.AUTONOMOUS)
    author = Person.objects.create(first_name="Fatou", last_name="Camara")
    now = timezone.now()
    proposal = Proposal.objects.create(
        kpa=kpa, author=author, title="Quel nom pour notre épicerie solidaire ?",
        body="Chaque personne donne une mention à chaque nom.", method=Method.JUDGMENT,
        status=Proposal.Status.CLOSED, opens_at=now - dt.timedelta(days=14),
        closes_at=now - dt.timedelta(days=1), secret=True)
    names = ("La Fourmilière", "Le Panier du Quartier", "Épi'Sol", "La Cagette", "Bocal & Co",
             "Le Grenier Partagé", "La Bonne Pioche", "Vrac'n'Roll", "L'Étal Commun",
             "Au Coin d'la Rue")
    ProposalOption.objects.bulk_create(
        ProposalOption(proposal=proposal, label=label, position=position)
        for position, label in enumerate(names[:OPTIONS]))
    return proposal


def _write_postgresql(proposal: Proposal, ballots: int) -> None:
    top = len(GRADES) - 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [SEED])
        cursor.execute(
            "INSERT INTO governance_ballot (id, proposal_id, choice, by_proxy) "
            "SELECT gen_random_uuid(), %s, '', false FROM generate_series(1, %s)",
            [proposal.pk, ballots])
        cursor.execute(
            "INSERT INTO governance_ballotgrade (id, ballot_id, option_id, grade) "
            "SELECT gen_random_uuid(), b.id, o.id, "
            "least(%s, floor(power(random(), (%s::float8[])[o.position + 1]) * %s))::smallint "
            "FROM governance_ballot b CROSS JOIN governance_proposaloption o "
            "WHERE b.proposal_id = %s AND o.proposal_id = %s",
            [top, list(LEANS), top + 1, proposal.pk, proposal.pk])
    with connection.cursor() as cursor:  # outside a transaction, as VACUUM requires
        cursor.execute("VACUUM ANALYZE governance_ballot")
        cursor.execute("VACUUM ANALYZE governance_ballotgrade")


def _write_sqlite(proposal: Proposal, ballots: int) -> None:
    rng = random.Random(SEED)  # noqa: S311 — benchmark data, not secrets
    top = len(GRADES) - 1
    options = [(option.pk, LEANS[option.position]) for option in proposal.options.all()]
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        while written < ballots:
            size = min(CHUNK_BALLOTS, ballots - written)
            ids = [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(size)]
            cursor.executemany(
                "INSERT INTO governance_ballot (id, proposal_id, choice, by_proxy) "
                "VALUES (%s, %s, '', 0)", [(ballot_id, proposal.pk) for ballot_id in ids])
            cursor.executemany(
                "INSERT INTO governance_ballotgrade (id, ballot_id, option_id, grade) "
                "VALUES (%s, %s, %s, %s)",
                [(uuid.UUID(int=rng.getrandbits(128), version=4).hex, ballot_id, option_id,
                  min(top, int(rng.random() ** exponent * (top + 1))))
                 for ballot_id in ids for option_id, exponent in options])
            written += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _option_ids(proposal: Proposal) -> list[int]:
    return list(proposal.options.order_by("position", "id").values_list("pk", flat=True))


def _in_options(select: str, option_ids: list[int]) -> str:
    placeholders = ", ".join(["%s"] * len(option_ids))
    # Only our own column list and placeholders go into the text; the ids are parameters.
    return f"SELECT {select} FROM governance_ballotgrade WHERE option_id IN ({placeholders})"  # noqa: S608


def _floor(option_ids: list[int]) -> Callable[[], int]:
    sql = _in_options("count(*)", option_ids)

    def run() -> int:
        # The rows counted are the floor's whole work: nothing is built from them.
        with connection.cursor() as cursor:
            cursor.execute(sql, option_ids)
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])
    return run


def _rows(option_ids: list[int]) -> Iterator[tuple[int, int]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(_in_options("option_id, grade", option_ids), option_ids)
        while rows := cursor.fetchmany(FETCH_SIZE):
            yield from rows


def python_tallies(option_ids: list[int]) -> list[list[int]]:
    """The same tallies, counted in Python from every row: the check, never timed."""
    counts = Counter(_rows(option_ids))
    return [[counts[(option_id, grade)] for grade, _label in GRADES] for option_id in option_ids]


def run(scale: float, *, runs: int, log: Callable[[str], None]) -> GovernanceReport:
    ballots = max(1, round(BALLOTS_AT_SCALE_1 * scale))
    started = time.perf_counter()
    proposal = _set_up()
    log(f"Gouvernance : {ballots} bulletins, {OPTIONS} options chacun…")
    if connection.vendor == "postgresql":
        _write_postgresql(proposal, ballots)
    else:
        _write_sqlite(proposal, ballots)
    generation = time.perf_counter() - started
    option_ids = _option_ids(proposal)
    grades = _floor(option_ids)()
    log(f"Gouvernance : {grades} mentions écrites en {generation:.1f} s.")

    def ours() -> list[int]:
        # As closing does: the tallies come padded to the number of ballots.
        return tally.majority_judgment_ranking(closing.judgment_tallies(proposal))

    timed = median_time(ours, runs)
    floor = median_time(_floor(option_ids), runs)
    tallies = closing.judgment_tallies(proposal)
    ranking = tally.majority_judgment_ranking(tallies)
    started = time.perf_counter()
    counted = python_tallies(option_ids)
    check_seconds = time.perf_counter() - started
    check_ok = (counted == tallies and sum(map(sum, counted)) == grades == ballots * OPTIONS
                and tally.majority_judgment_ranking(counted, participants=ballots) == ranking)
    profiles = tally.majority_judgment_profiles(tallies, participants=ballots)
    scenarios = [
        Scenario("judgment_tally", "Jugement majoritaire : dépouillement",
                 timed, floor, "SELECT count(*) … WHERE option_id IN (…)", TALLY_TARGET,
                 note=f"{ballots} bulletins, {grades} mentions"),
    ]
    extra: dict[str, Any] = {
        "python_check_seconds": check_seconds,
        "majority_grades": [p.majority_grade if p else -1 for p in profiles],
    }
    return GovernanceReport(ballots=ballots, options=OPTIONS, grades=grades, runs=runs,
                            generation_seconds=generation, scenarios=scenarios,
                            ranking=ranking, check_ok=check_ok, extra=extra)


def table(report: GovernanceReport) -> list[str]:
    """The figures as text rows, in the ledger table's columns."""
    rows = []
    for s in report.scenarios:
        rows.append(f"{s.label:<48} {s.ours:>10.4f} {s.floor:>13.4f} {s.ratio:>8.3f} "
                    f"{'≤ ' + format(s.target, '.2f'):>8}  {'ok' if s.ok else 'OVER'}")
        rows.append(f"{'  ' + s.note:<48}")
    rows.append(f"{'Jugement majoritaire : rangs (compte Python)':<48} "
                f"{' '.join(map(str, report.ranking)):>33}  "
                f"{'ok' if report.check_ok else 'DIFFÉRENT'}")
    return rows
