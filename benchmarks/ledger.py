"""The ledger at scale: a generator of one big structure-year and the scenarios `kpa bench`
times against floors measured in the same run.

Scale 1 is one structure-year of 1,000,000 ledger lines (about 333,000 entries of 2 to 4 lines)
across the sales, purchases, bank and miscellaneous journals, with ~200 third parties and 5,000
treasury accounts. The generator writes through the database's bulk paths (COPY on PostgreSQL,
`bulk_create` on SQLite) but keeps every rule the books keep: entries balance, lines carry their
entry's fiscal year, numbers run 1..n per journal with no gap, and on PostgreSQL the triggers of
ledger migration 0002 are obeyed (lines go in unvalidated into draft entries, then the entries
are validated and the deferred trigger checks each one's balance at commit).

Every scenario is a ratio `ours / floor`, both measured in this run on this machine, so that
figures from a laptop and from a server compare (see README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from stdnum import luhn

from kpa.directory.models import Kpa, Network, Person, Structure
from kpa.ledger import exports, fec, reports, services
from kpa.ledger.models import (
    Account,
    Entry,
    EntryLine,
    FiscalYear,
    Journal,
    JournalSequence,
    ThirdParty,
    TreasuryAccount,
)

LINES_AT_SCALE_1 = 1_000_000
YEAR_START = dt.date(2025, 1, 1)
YEAR_END = dt.date(2026, 1, 1)  # exclusive
CUSTOMERS, SUPPLIERS = 150, 50
KPAS, INDIVIDUALS, COLLECTIVES = 10, 4980, 10  # 5,000 treasury accounts
CHUNK_ENTRIES = 20_000
FETCH_SIZE = 5000  # what `reports.book_lines` fetches at a time
MIB = 1024 * 1024

# -- generating ---------------------------------------------------------------------------

FIRST_NAMES = ("Inès", "Karim", "Sophie", "Aïcha", "Jérôme", "Noémie", "Mamadou", "Céline",
               "François", "Zoé", "Loïc", "Hélène", "Moussa", "Agnès", "Théo", "Fatoumata")
LAST_NAMES = ("Benali", "Dufour", "Lefèvre", "Ndiaye", "Moreau", "Da Silva", "Vandamme",
              "Haddad", "Lemaître", "Boucher", "Traoré", "Delattre", "Perrin", "Gaël")
INSTITUTIONS = ("Mairie de", "Centre social de", "CCAS de", "Médiathèque de", "Collège de",
                "Habitat social de")
CITIES = ("Roubaix", "Lille-Moulins", "Mons-en-Barœul", "Coudekerque", "Boulogne-sur-Mer",
          "La Rochelle", "Wattrelos", "Tourcoing", "Hénin-Beaumont", "Béthune")
TRADES = ("couture et retouches", "repas traiteur", "friperie", "menuiserie de récupération",
          "coiffure à domicile", "réparation de vélos", "épicerie partagée", "sérigraphie")
SUPPLIES = ("tissus et mercerie", "denrées alimentaires", "bois et quincaillerie",
            "produits d'entretien", "fournitures de bureau", "petit équipement", "énergie")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")

SALES_ACCOUNTS = ("706", "707", "708")
PURCHASE_ACCOUNTS = ("601", "602", "604", "606", "6061", "6063", "6064", "607", "611", "613",
                     "615", "616", "618", "622", "6226", "623", "625", "626", "628")
OTHER_ACCOUNTS = ("411", "401", "512", "44571", "44566", "627", "641", "645", "421", "431")

ENTRY_COLUMNS = ("id", "structure_id", "journal_id", "fiscal_year_id", "date", "label",
                 "piece_ref", "piece_date", "status", "source", "created_by_id", "created_at")
LINE_COLUMNS = ("id", "entry_id", "fiscal_year_id", "validated", "position", "account_id",
                "third_party_id", "treasury_account_id", "label", "debit", "credit",
                "lettering_code")


@dataclass(frozen=True)
class Generated:
    year: FiscalYear
    entries: int
    lines: int
    seconds: float
    phases: dict[str, float]


@dataclass
class _Context:
    """What the entries refer to, as database ids."""

    structure: Structure
    year: FiscalYear
    actor: User
    accounts: dict[str, int]
    journals: dict[str, int]
    customers: list[tuple[int, str]]  # id, name
    suppliers: list[tuple[int, str]]
    treasuries: list[int]


@dataclass
class _Entry:
    journal: str
    date: dt.date
    label: str
    piece_ref: str
    lines: list[tuple[str, int, int, int | None, int | None]] = field(default_factory=list)
    # (account number, debit cents, credit cents, third party id, treasury id)


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    return body + luhn.calc_check_digit(body)


def _set_up(rng: random.Random) -> _Context:
    """A fresh CAE with opened books (through the services), its tiers and treasuries."""
    actor = User.objects.create_superuser("bench", email="bench@exemple.org", password=None)
    network = Network.objects.create(name="Réseau de banc d'essai")
    siren = _siren(73_282_932)
    body = f"{siren}0001"
    structure = Structure.objects.create(
        network=network, name="CAE Banc d'Essai", kind=Structure.Kind.CAE, siren=siren,
        siret=body + luhn.calc_check_digit(body), vat_regime=Structure.VatRegime.NORMAL,
        chart_template=Structure.ChartTemplate.PCG, city="Lille")
    services.open_books(actor=actor, structure=structure, first_year_starts_on=YEAR_START,
                        first_year_ends_on=YEAR_END, today=YEAR_END)
    year = FiscalYear.objects.get(structure=structure)

    def person_name() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    ThirdParty.objects.bulk_create(
        [ThirdParty(structure=structure, code=f"C{n:05d}", kind=ThirdParty.Kind.CUSTOMER,
                    name=(f"{rng.choice(INSTITUTIONS)} {rng.choice(CITIES)}" if n % 3 == 0
                          else person_name()))
         for n in range(1, CUSTOMERS + 1)]
        + [ThirdParty(structure=structure, code=f"F{n:05d}", kind=ThirdParty.Kind.SUPPLIER,
                      name=f"{rng.choice(SUPPLIES).capitalize()} {rng.choice(LAST_NAMES)}")
           for n in range(1, SUPPLIERS + 1)])
    kpas = Kpa.objects.bulk_create(
        Kpa(network=network, name=f"KPA banc d'essai {n}", city=rng.choice(CITIES),
            carrying_structure=structure) for n in range(1, KPAS + 1))
    persons = Person.objects.bulk_create(
        Person(first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES))
        for _n in range(INDIVIDUALS))
    TreasuryAccount.objects.bulk_create(
        [TreasuryAccount(structure=structure, code=f"KPA-{n:02d}", kpa=kpa,
                         kind=TreasuryAccount.Kind.COMMON, label=f"Caisse commune {kpa.name}")
         for n, kpa in enumerate(kpas, start=1)]
        + [TreasuryAccount(structure=structure, code=f"T-{n:04d}", person=person,
                           kpa=kpas[n % KPAS], kind=TreasuryAccount.Kind.INDIVIDUAL,
                           label=f"{person.first_name} {person.last_name}")
           for n, person in enumerate(persons, start=1)]
        + [TreasuryAccount(structure=structure, code=f"COL-{n:02d}",
                           kind=TreasuryAccount.Kind.COLLECTIVE,
                           label=f"Activité collective : {TRADES[n % len(TRADES)]}")
           for n in range(1, COLLECTIVES + 1)])
    numbers = (*SALES_ACCOUNTS, *PURCHASE_ACCOUNTS, *OTHER_ACCOUNTS)
    accounts = dict(Account.objects.filter(structure=structure, number__in=numbers)
                    .values_list("number", "pk"))
    missing = set(numbers) - set(accounts)
    if missing:
        raise RuntimeError(f"the PCG template lacks {sorted(missing)}")
    tiers = ThirdParty.objects.filter(structure=structure).order_by("code")
    return _Context(
        structure=structure, year=year, actor=actor, accounts=accounts,
        journals=dict(Journal.objects.filter(structure=structure).values_list("code", "pk")),
        customers=list(tiers.filter(kind=ThirdParty.Kind.CUSTOMER).values_list("pk", "name")),
        suppliers=list(tiers.filter(kind=ThirdParty.Kind.SUPPLIER).values_list("pk", "name")),
        treasuries=list(TreasuryAccount.objects.filter(structure=structure)
                        .order_by("code").values_list("pk", flat=True)),
    )


def _cents(rng: random.Random, low: int, high: int) -> int:
    return rng.randint(low * 100, high * 100)


def _entries(ctx: _Context, rng: random.Random, target_lines: int) -> Iterator[_Entry]:
    """Entries of 2 to 4 lines (about 3 on average) in date order until `target_lines`:
    40 % sales, 25 % purchases, 25 % bank, 10 % miscellaneous."""
    days = (YEAR_END - YEAR_START).days
    expected = max(target_lines // 3, 1)
    lines = count = 0
    while lines < target_lines:
        day = YEAR_START + dt.timedelta(days=min(count * days // expected, days - 1))
        count += 1
        draw = rng.random()
        treasury = rng.choice(ctx.treasuries)
        if draw < 0.40:
            entry = _sale(ctx, rng, day, count, treasury)
        elif draw < 0.65:
            entry = _purchase(ctx, rng, day, count, treasury)
        elif draw < 0.90:
            entry = _bank(ctx, rng, day, count, treasury)
        else:
            entry = _payroll(ctx, rng, day, count, treasury)
        lines += len(entry.lines)
        yield entry


def _sale(ctx: _Context, rng: random.Random, day: dt.date, n: int, treasury: int) -> _Entry:
    customer, name = rng.choice(ctx.customers)
    trade = rng.choice(TRADES)
    entry = _Entry("VT", day, f"Vente {trade} - {name}", f"F2025-{n:07d}")
    net = _cents(rng, 10, 1500)
    if rng.random() < 0.15:  # two products on one invoice
        other = _cents(rng, 10, 400)
        tax = round((net + other) * 0.2)
        entry.lines += [("411", net + other + tax, 0, customer, treasury),
                        (rng.choice(SALES_ACCOUNTS), 0, net, None, treasury),
                        (rng.choice(SALES_ACCOUNTS), 0, other, None, treasury),
                        ("44571", 0, tax, None, None)]
    elif rng.random() < 0.2:  # exempt: no VAT line
        entry.lines += [("411", net, 0, customer, treasury),
                        (rng.choice(SALES_ACCOUNTS), 0, net, None, treasury)]
    else:
        tax = round(net * 0.2)
        entry.lines += [("411", net + tax, 0, customer, treasury),
                        (rng.choice(SALES_ACCOUNTS), 0, net, None, treasury),
                        ("44571", 0, tax, None, None)]
    return entry


def _purchase(ctx: _Context, rng: random.Random, day: dt.date, n: int, treasury: int) -> _Entry:
    supplier, name = rng.choice(ctx.suppliers)
    entry = _Entry("AC", day, f"Achat {rng.choice(SUPPLIES)} - {name}", f"A{n:07d}")
    net = _cents(rng, 5, 900)
    parts = [(rng.choice(PURCHASE_ACCOUNTS), net)]
    if rng.random() < 0.2:
        parts.append((rng.choice(PURCHASE_ACCOUNTS), _cents(rng, 5, 200)))
    tax = round(sum(amount for _a, amount in parts) * 0.2)
    entry.lines += [(account, amount, 0, None, treasury) for account, amount in parts]
    entry.lines += [("44566", tax, 0, None, None),
                    ("401", 0, sum(amount for _a, amount in parts) + tax, supplier, None)]
    return entry


def _bank(ctx: _Context, rng: random.Random, day: dt.date, n: int, treasury: int) -> _Entry:
    draw = rng.random()
    amount = _cents(rng, 10, 1800)
    if draw < 0.5:
        customer, name = rng.choice(ctx.customers)
        entry = _Entry("BQ1", day, f"Règlement reçu - {name}", f"F2025-{n:07d}")
        if rng.random() < 0.3:  # card payment: the bank keeps its fee
            fee = min(_cents(rng, 0, 3) + 15, amount - 1)
            entry.lines += [("512", amount - fee, 0, None, None), ("627", fee, 0, None, None)]
        else:
            entry.lines.append(("512", amount, 0, None, None))
        entry.lines.append(("411", 0, amount, customer, treasury))
    elif draw < 0.9:
        supplier, name = rng.choice(ctx.suppliers)
        entry = _Entry("BQ1", day, f"Paiement fournisseur - {name}", f"A{n:07d}")
        entry.lines += [("401", amount, 0, supplier, None), ("512", 0, amount, None, None)]
    else:
        fee = _cents(rng, 2, 40)
        entry = _Entry("BQ1", day, "Frais bancaires et commissions", f"REL-{n:07d}")
        entry.lines += [("627", fee, 0, None, None), ("512", 0, fee, None, None)]
    return entry


def _payroll(ctx: _Context, rng: random.Random, day: dt.date, n: int, treasury: int) -> _Entry:
    gross = _cents(rng, 300, 2200)
    employer, employee = round(gross * 0.25), round(gross * 0.22)
    entry = _Entry("OD", day, f"Salaire de {MONTHS[day.month - 1]} - entrepreneur·e salarié·e",
                   f"PAIE-{n:07d}")
    entry.lines += [("641", gross, 0, None, treasury), ("645", employer, 0, None, treasury),
                    ("421", 0, gross - employee, None, None),
                    ("431", 0, employee + employer, None, None)]
    return entry


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _chunks(ctx: _Context, rng: random.Random, target_lines: int, first_entry: int,
            first_line: int) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Rows for the entry and line tables (columns ENTRY_COLUMNS, LINE_COLUMNS), by chunks."""
    now = timezone.now()
    entry_id, line_id = first_entry, first_line
    entries: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    for entry in _entries(ctx, rng, target_lines):
        entries.append((entry_id, ctx.structure.pk, ctx.journals[entry.journal], ctx.year.pk,
                        entry.date, entry.label, entry.piece_ref, entry.date, "draft", "bench",
                        ctx.actor.pk, now))
        for position, (number, debit, credit, third_party, treasury) in enumerate(
                entry.lines, start=1):
            lines.append((line_id, entry_id, ctx.year.pk, False, position,
                          ctx.accounts[number], third_party, treasury, entry.label,
                          _money(debit), _money(credit), ""))
            line_id += 1
        entry_id += 1
        if len(entries) >= CHUNK_ENTRIES:
            yield entries, lines
            entries, lines = [], []
    if entries:
        yield entries, lines


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    """COPY's text format. The generator writes no tab, newline or backslash in its text."""
    def cell(value: Any) -> str:
        if value is None:
            return "\\N"
        if isinstance(value, bool):
            return "t" if value else "f"
        if isinstance(value, dt.datetime):
            return value.isoformat()
        return str(value)

    return "".join("\t".join(map(cell, row)) + "\n" for row in rows)


def _write_postgresql(ctx: _Context, rng: random.Random, target: int, log: Callable[[str], None],
                      phases: dict[str, float]) -> tuple[int, int]:
    first_entry = (Entry.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    first_line = (EntryLine.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    entries = lines = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY
        for entry_rows, line_rows in _chunks(ctx, rng, target, first_entry, first_line):
            with cursor.copy(f"COPY ledger_entry ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as cp:
                cp.write(_copy_text(entry_rows))
            with cursor.copy(f"COPY ledger_entryline ({', '.join(LINE_COLUMNS)}) "
                             "FROM STDIN") as cp:
                cp.write(_copy_text(line_rows))
            entries += len(entry_rows)
            lines += len(line_rows)
    phases["copy"] = time.perf_counter() - started
    log(f"  COPY : {entries} écritures brouillons, {lines} lignes ({phases['copy']:.1f} s)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_entryline SET validated = true WHERE fiscal_year_id = %s",
                       [ctx.year.pk])
        phases["validate_lines"] = time.perf_counter() - started
        # Numbers 1..n per journal in date order (ids follow the dates); validated at 18:00
        # on the entry's day, a microsecond apart, so that the FEC order is the number order.
        cursor.execute(
            """
            UPDATE ledger_entry AS e
               SET status = 'validated', number = n.rn, validated_on = e.date,
                   validated_at = e.date + time '18:00' + e.id * interval '1 microsecond'
              FROM (SELECT id, row_number() OVER (PARTITION BY journal_id ORDER BY id) AS rn
                      FROM ledger_entry WHERE fiscal_year_id = %s) AS n
             WHERE e.id = n.id
            """, [ctx.year.pk])
        _sequences(ctx)
        for sql in connection.ops.sequence_reset_sql(no_style(), [Entry, EntryLine]):
            cursor.execute(sql)
        phases["validate_entries"] = time.perf_counter() - started - phases["validate_lines"]
    # The deferred trigger checked every entry's balance at that commit.
    phases["validate_and_check"] = time.perf_counter() - started
    log(f"  validation et contrôle d'équilibre par le trigger "
        f"({phases['validate_and_check']:.1f} s)")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE ledger_entry")
        cursor.execute("VACUUM ANALYZE ledger_entryline")
    phases["vacuum_analyze"] = time.perf_counter() - started
    return entries, lines


def _write_sqlite(ctx: _Context, rng: random.Random, target: int,
                  phases: dict[str, float]) -> tuple[int, int]:
    first_entry = (Entry.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    first_line = (EntryLine.objects.aggregate(n=Max("id"))["n"] or 0) + 1
    numbers: Counter[int] = Counter()
    entries = lines = 0
    started = time.perf_counter()
    with transaction.atomic():
        for entry_rows, line_rows in _chunks(ctx, rng, target, first_entry, first_line):
            batch = []
            for row in entry_rows:
                values = dict(zip(ENTRY_COLUMNS, row, strict=True))
                numbers[values["journal_id"]] += 1
                at = dt.datetime.combine(values["date"], dt.time(17), tzinfo=dt.UTC)
                batch.append(Entry(
                    **values | {"status": Entry.Status.VALIDATED},
                    number=numbers[values["journal_id"]], validated_on=values["date"],
                    validated_at=at + dt.timedelta(microseconds=values["id"])))
            Entry.objects.bulk_create(batch, batch_size=1000)
            EntryLine.objects.bulk_create(
                (EntryLine(**dict(zip(LINE_COLUMNS, row, strict=True)) | {"validated": True})
                 for row in line_rows), batch_size=1000)
            entries += len(entry_rows)
            lines += len(line_rows)
        _sequences(ctx)
    phases["bulk_create"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    phases["analyze"] = time.perf_counter() - started
    return entries, lines


def _sequences(ctx: _Context) -> None:
    """Each journal's sequence holds its last number, as `services._next_number` leaves it."""
    counts = (Entry.objects.filter(fiscal_year=ctx.year).order_by().values_list("journal_id")
              .annotate(n=Max("number")))
    JournalSequence.objects.bulk_create(
        JournalSequence(journal_id=journal, fiscal_year=ctx.year, last_number=n)
        for journal, n in counts)


def generate(scale: float, *, log: Callable[[str], None], seed: int = 2026) -> Generated:
    """One structure-year of `scale` million lines, in the current (scratch) database."""
    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 — benchmark data, not secrets
    target = max(round(scale * LINES_AT_SCALE_1), 10)
    ctx = _set_up(rng)
    phases = {"set_up": time.perf_counter() - started}
    if connection.vendor == "postgresql":
        entries, lines = _write_postgresql(ctx, rng, target, log, phases)
    else:
        entries, lines = _write_sqlite(ctx, rng, target, phases)
    seconds = time.perf_counter() - started
    log(f"Données générées : {entries} écritures, {lines} lignes en {seconds:.1f} s.")
    return Generated(ctx.year, entries, lines, seconds, phases)


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    label: str
    ours: float  # seconds, median of `runs` after a warm-up
    floor: float
    floor_label: str
    target: float  # the ratio ours / floor must stay at or under this
    note: str = ""
    skipped: bool = False

    @property
    def ratio(self) -> float:
        return self.ours / self.floor if self.floor else 0.0

    @property
    def ok(self) -> bool:
        return self.skipped or self.ratio <= self.target

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ratio": self.ratio, "ok": self.ok}


@dataclass
class Memory:
    tracemalloc_peak_mib: float
    rss_growth_mib: float
    max_rss_mib: float
    rss_peak_reset: bool  # the peak was reset before the export: the growth is the export's
    target_mib: float = 250.0

    @property
    def ok(self) -> bool:
        return self.tracemalloc_peak_mib < self.target_mib

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def median_time(action: Callable[[], object], runs: int, *, warm_up: bool = True) -> float:
    """The median of `runs` timings of `action`, after one untimed run."""
    if warm_up:
        action()
    times = []
    for _run in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


FLOOR_BALANCE_SQL = ("SELECT account_id, SUM(debit), SUM(credit) FROM ledger_entryline "
                     "GROUP BY account_id")


def floor_balance() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_BALANCE_SQL)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def write_fec_file(year: FiscalYear, path: Path) -> int:
    with path.open("w", encoding=fec.ENCODING, newline="") as out:
        return exports.write_fec(year, out)


def fec_query(year: FiscalYear) -> tuple[str, tuple[Any, ...]]:
    """The very SQL `reports.book_lines` runs: the same joins, columns and order."""
    queryset = reports.ordered_lines(year).values_list(*reports.LINE_FIELDS)
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def write_floor_file(sql: str, params: tuple[Any, ...], path: Path) -> None:
    """The floor of the FEC export: the same rows from a bare server-side cursor, written by
    the csv module as they come, without building, cleaning or formatting anything."""
    with (path.open("w", encoding=fec.ENCODING, errors="replace", newline="") as out,
          connection.chunked_cursor() as cursor):
        cursor.execute(sql, params)
        writer = csv.writer(out, delimiter="\t", lineterminator="\r\n")
        writer.writerow(fec.FEC_COLUMNS)
        while rows := cursor.fetchmany(FETCH_SIZE):
            writer.writerows(rows)


def _reset_peak_rss() -> bool:
    """Linux lets a process reset its resident-size high-water mark (proc(5), clear_refs),
    which `getrusage` reports: then the growth measured is the next step's alone."""
    try:
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    except OSError:
        return False
    return True


def rss_growth(action: Callable[[], object]) -> tuple[float, float, bool]:
    """How far `action` pushes the process's peak resident size (getrusage), in MiB; the
    peak after it; whether the peak could be reset first (else an earlier peak may hide it)."""
    reset = _reset_peak_rss()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    action()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (after - before) / 1024, after / 1024, reset


def tracemalloc_peak(action: Callable[[], object]) -> float:
    """The peak of Python allocations while `action` runs, in MiB."""
    tracemalloc.start()
    try:
        action()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / MIB


def hledger_time(journal: Path, runs: int) -> float:
    hledger = shutil.which("hledger")
    assert hledger is not None
    env = {**os.environ, "LC_ALL": "C.UTF-8"}  # hledger reads files in the locale's encoding

    def run() -> None:
        subprocess.run([hledger, "-f", str(journal), "bal"], env=env,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)

    return median_time(run, runs)


@dataclass
class Report:
    scale: float
    lines: int
    entries: int
    vendor: str
    database_version: str
    generation_seconds: float
    generation_phases: dict[str, float]
    runs: int
    scenarios: list[Scenario]
    memory: Memory
    extra: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale, "lines": self.lines, "entries": self.entries,
            "vendor": self.vendor, "database_version": self.database_version,
            "generation_seconds": self.generation_seconds,
            "generation_phases": self.generation_phases, "runs": self.runs,
            "scenarios": [s.as_dict() for s in self.scenarios],
            "memory": self.memory.as_dict(), "extra": self.extra,
        }


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return str(cursor.fetchone()[0])


def run(scale: float, *, runs: int, workdir: Path, log: Callable[[str], None]) -> Report:
    """Generate, then measure every scenario (in the current, scratch, database)."""
    generated = generate(scale, log=log)
    year = generated.year
    log("Balance générale…")
    balance = median_time(lambda: reports.trial_balance(year), runs)
    floor = median_time(floor_balance, runs)
    scenarios = [
        Scenario("trial_balance", "Balance générale (reports.trial_balance)", balance, floor,
                 "SELECT account_id, SUM(debit), SUM(credit) … GROUP BY account_id", 1.5),
    ]
    log("Bilan et compte de résultat…")
    scenarios.append(Scenario(
        "statements", "Bilan + compte de résultat (reports.statements)",
        median_time(lambda: reports.statements(year, None), runs), floor,
        "même GROUP BY nu", 1.5))

    log("Export FEC…")
    export = workdir / "fec.txt"
    growth, max_rss, reset = rss_growth(lambda: write_fec_file(year, export))  # the warm-up
    ours_fec = median_time(lambda: write_fec_file(year, export), runs, warm_up=False)
    memory = Memory(tracemalloc_peak(lambda: write_fec_file(year, export)), growth, max_rss,
                    reset)
    sql, params = fec_query(year)
    floor_fec = median_time(lambda: write_floor_file(sql, params, workdir / "floor.txt"), runs)
    scenarios.append(Scenario(
        "fec_export", "Export FEC (exports.write_fec)", ours_fec, floor_fec,
        "mêmes lignes, curseur serveur nu + module csv", 2.0))

    extra: dict[str, float] = {"fec_bytes": (workdir / "fec.txt").stat().st_size}
    if shutil.which("hledger") is None:
        scenarios.append(Scenario(
            "hledger", "Balance : nous contre hledger bal", balance, 0.0, "hledger -f FILE bal",
            0.1, note="hledger absent (apt-get install hledger) : non mesuré", skipped=True))
    else:
        log("Journal hledger, puis hledger bal…")
        journal = workdir / "books.journal"
        started = time.perf_counter()
        with journal.open("w", encoding="utf-8") as out:
            exports.write_plaintext(year, out, fmt="hledger")
        extra["hledger_export_seconds"] = time.perf_counter() - started
        scenarios.append(Scenario(
            "hledger", "Balance : nous contre hledger bal", balance,
            hledger_time(journal, runs), "hledger -f FILE bal (LC_ALL=C.UTF-8)", 0.1,
            note="cible : au moins 10 fois plus rapide que hledger"))
    return Report(
        scale=scale, lines=generated.lines, entries=generated.entries,
        vendor=connection.vendor, database_version=database_version(),
        generation_seconds=generated.seconds, generation_phases=generated.phases, runs=runs,
        scenarios=scenarios, memory=memory, extra=extra,
    )


def table(report: Report) -> list[str]:
    """The figures as text rows: scenario, ours, floor, ratio, target, verdict."""
    head = (f"{'scénario':<48} {'nous (s)':>10} {'plancher (s)':>13} {'ratio':>8} "
            f"{'cible':>8}  verdict")
    rows = [head, "-" * len(head)]
    for s in report.scenarios:
        target = f"≤ {s.target:.2f}"
        if s.skipped:
            rows.append(f"{s.label:<48} {s.ours:>10.4f} {'—':>13} {'—':>8} {target:>8}  "
                        f"ignoré ({s.note})")
        else:
            rows.append(f"{s.label:<48} {s.ours:>10.4f} {s.floor:>13.4f} {s.ratio:>8.3f} "
                        f"{target:>8}  {'ok' if s.ok else 'OVER'}")
    m = report.memory
    rows.append(f"{'Export FEC : pic mémoire tracemalloc (Mio)':<48} "
                f"{m.tracemalloc_peak_mib:>10.1f} {'—':>13} {'—':>8} "
                f"{'< ' + format(m.target_mib, '.0f'):>8}  {'ok' if m.ok else 'OVER'}")
    since = "depuis la remise à zéro du pic" if m.rss_peak_reset else "pic du processus"
    rows.append(f"{'  croissance du RSS max (getrusage, Mio)':<48} {m.rss_growth_mib:>10.1f}"
                f"   (RSS max {m.max_rss_mib:.0f} Mio, {since})")
    return rows
