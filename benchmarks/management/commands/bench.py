"""`kpa bench [--scale N] [--json FILE]`: the ledger at scale, in a scratch database.

Scale 1 is one structure-year of 1,000,000 ledger lines. The data never touches the configured
database: on PostgreSQL the command creates a scratch database `kpa_bench_<pid>` on the same
server (and drops it at the end), on SQLite a temporary file; the default connection points to
it while the bench runs, then back.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend

from benchmarks import governance, ledger, sales, treasury


@contextmanager
def scratch_database(workdir: Path) -> Iterator[str]:
    """Point the default connection at a new, migrated, empty database; drop it afterwards.
    Yields its name."""
    original = connections[DEFAULT_DB_ALIAS]
    settings_dict = copy.deepcopy(original.settings_dict)
    vendor = original.vendor
    if vendor == "postgresql":
        name = f"kpa_bench_{os.getpid()}"
        with original._nodb_cursor() as cursor:  # the server's maintenance database
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
    elif vendor == "sqlite":
        name = str(workdir / "bench.sqlite3")
    else:
        raise CommandError(f"kpa bench runs on PostgreSQL or SQLite, not {vendor}.")
    settings_dict["NAME"] = name
    scratch = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict,
                                                                      DEFAULT_DB_ALIAS)
    connections[DEFAULT_DB_ALIAS] = scratch
    ContentType.objects.clear_cache()  # its ids belong to the configured database
    try:
        call_command("migrate", verbosity=0, interactive=False)
        yield name
    finally:
        scratch.close()
        connections[DEFAULT_DB_ALIAS] = original
        ContentType.objects.clear_cache()
        if vendor == "postgresql":
            with original._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


class Command(BaseCommand):
    help = ("Mesure le grand livre à l'échelle (1 = 1 000 000 de lignes) dans une base jetable : "
            "balance, bilan, export FEC et hledger, en ratios contre un plancher mesuré.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0,
                            help="Taille : 1 = 1 000 000 de lignes d'écriture (0.01 = 10 000).")
        parser.add_argument("--json", metavar="FILE",
                            help="Écrire aussi les chiffres en JSON dans ce fichier.")
        parser.add_argument("--runs", type=int, default=3,
                            help="Mesures par scénario (médiane, après un tour d'échauffement).")

    def handle(self, *args: Any, **options: Any) -> None:
        scale, runs = options["scale"], options["runs"]
        if not 0 < scale <= 20:
            raise CommandError("--scale doit être compris entre 0 (exclu) et 20.")
        if runs < 1:
            raise CommandError("--runs doit valoir au moins 1.")
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="kpa-bench-") as directory:
            workdir = Path(directory)
            with scratch_database(workdir) as name:
                self.stdout.write(f"Base jetable : {name} ; échelle {scale:g} "
                                  "(1 = 1 000 000 lignes).")
                report = ledger.run(scale, runs=runs, workdir=workdir, log=self.stdout.write)
                treasury_report = treasury.run(runs=runs, log=self.stdout.write)
                sales_report = sales.run(scale, runs=runs, log=self.stdout.write)
                governance_report = governance.run(scale, runs=runs, log=self.stdout.write)
        self.stdout.write("")
        for row in (ledger.table(report) + treasury.table(treasury_report)
                    + sales.table(sales_report) + governance.table(governance_report)):
            self.stdout.write(row)
        self.stdout.write(f"\n{report.lines} lignes, {report.entries} écritures, "
                          f"{report.vendor} {report.database_version} ; génération "
                          f"{report.generation_seconds:.1f} s ; total "
                          f"{time.perf_counter() - started:.1f} s.")
        if options["json"]:
            target = Path(options["json"])
            target.parent.mkdir(parents=True, exist_ok=True)
            data = report.as_dict() | {"treasury": treasury_report.as_dict(),
                                           "sales": sales_report.as_dict(),
                                           "governance": governance_report.as_dict()}
            target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                              encoding="utf-8")
            self.stdout.write(f"Chiffres écrits dans {target}.")
