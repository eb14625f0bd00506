"""Independent readers of our plain-text exports, for tests: hledger and Beancount themselves.

A test that reads our journal back with our own parser proves little; these helpers hand the
text to the real tools, run as an auditor would run them, and return what the tools saw.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from beancount import loader
from beancount.core import data
from beancount.parser import printer

__all__ = [
    "HledgerError",
    "bean_check",
    "beancount_balances",
    "beancount_transactions",
    "hledger_balances",
    "hledger_postings",
    "hledger_required",
    "hledger_transaction_count",
    "run_hledger",
]

INSTALL_HINT = "apt-get install hledger"
# GHC decodes files with the locale's encoding: under LANG=C hledger rejects any accent.
HLEDGER_LOCALE = {"LC_ALL": "C.UTF-8"}
_AMOUNT = re.compile(r"(-?\d+(?:\.\d+)?)(?: EUR)?")


class HledgerError(RuntimeError):
    """hledger is missing, refused the journal, or printed something we cannot read."""


def _ci() -> bool:
    return os.environ.get("CI", "") not in ("", "0", "false")


def hledger_required() -> str:
    """The path of hledger. Without it the test fails under CI (the oracle must run there) and
    is skipped elsewhere."""
    path = shutil.which("hledger")
    if path is not None:
        return path
    if _ci():
        pytest.fail(f"hledger is missing and CI is set: the oracle must run ({INSTALL_HINT})")
    pytest.skip(f"hledger is not installed ({INSTALL_HINT})")


def run_hledger(journal_text: str, *args: str, strict: bool = True) -> str:
    """hledger's standard output for `hledger -f FILE [--strict] ARGS...` on this journal.

    --strict also checks that every posted account and commodity is declared.
    """
    hledger = shutil.which("hledger")
    if hledger is None:
        raise HledgerError(f"hledger is not installed ({INSTALL_HINT})")
    with tempfile.TemporaryDirectory() as directory:
        journal = Path(directory) / "books.journal"
        journal.write_text(journal_text, encoding="utf-8")
        command = [hledger, "-f", str(journal), *args, *(["--strict"] if strict else [])]
        result = subprocess.run(  # noqa: S603 — the installed hledger, on our own temp file
            command, capture_output=True, encoding="utf-8", timeout=120, check=False,
            env={**os.environ, **HLEDGER_LOCALE},
        )
    if result.returncode != 0:
        raise HledgerError(
            f"hledger {' '.join(args)} failed (exit {result.returncode}):\n{result.stderr}"
        )
    return result.stdout


def _csv_rows(output: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output)))


def _decimal(amount: str) -> Decimal:
    match = _AMOUNT.fullmatch(amount.strip())
    if match is None:
        raise HledgerError(f"cannot read hledger amount {amount!r} (one EUR amount expected)")
    return Decimal(match.group(1))


def hledger_balances(journal_text: str, *, depth: int | None = None,
                     query: Sequence[str] = ()) -> dict[str, Decimal]:
    """Account name → balance, as `hledger bal --flat -E` computes it (debits positive).

    Flat mode gives each account its own postings only, without its sub-accounts', and -E keeps
    the accounts whose balance is zero; with a depth, deeper accounts are summed into their
    ancestor at that depth. `query` narrows the postings (e.g. "tag:tresorerie=^T-0012$").
    """
    args = ["bal", "--flat", "-N", "-E", "-O", "csv", *query]
    if depth is not None:
        args += ["--depth", str(depth)]
    rows = _csv_rows(run_hledger(journal_text, *args))
    return {row["account"]: _decimal(row["balance"]) for row in rows}


def hledger_postings(journal_text: str) -> list[dict[str, str]]:
    """One row per posting as `hledger print -O csv` reads them: txnidx, date, code,
    description, comment, account, amount, posting-comment..."""
    return _csv_rows(run_hledger(journal_text, "print", "-O", "csv"))


def hledger_transaction_count(journal_text: str) -> int:
    return len({row["txnidx"] for row in hledger_postings(journal_text)})


def _bean_check_command() -> str:
    # The console script of the venv running the tests, whatever the PATH.
    beside_python = Path(sys.executable).with_name("bean-check")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("bean-check")
    if found is None:
        pytest.fail("bean-check is missing: pip install -r requirements-dev.txt")
    return found


def bean_check(text: str) -> None:
    """Run `bean-check` on the ledger; AssertionError with its report when it finds errors."""
    with tempfile.TemporaryDirectory() as directory:
        ledger = Path(directory) / "books.beancount"
        ledger.write_text(text, encoding="utf-8")
        result = subprocess.run(  # noqa: S603 — the venv's bean-check, on our own temp file
            [_bean_check_command(), str(ledger)], capture_output=True, encoding="utf-8",
            timeout=120, check=False,
        )
    report = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or report:
        raise AssertionError(f"bean-check rejects the ledger (exit {result.returncode}):\n{report}")


def beancount_transactions(text: str) -> list[data.Transaction]:
    """The transactions as Beancount loads them (booked, validated, sorted by date)."""
    entries, errors, _options = loader.load_string(text)
    if errors:
        report = io.StringIO()
        printer.print_errors(errors, file=report)
        raise AssertionError(f"beancount cannot load the ledger:\n{report.getvalue()}")
    return [entry for entry in entries if isinstance(entry, data.Transaction)]


def beancount_balances(text: str) -> dict[str, Decimal]:
    """Account name → sum of its postings' units, by Beancount's own loader."""
    balances: dict[str, Decimal] = {}
    for transaction in beancount_transactions(text):
        for posting in transaction.postings:
            number = posting.units.number if posting.units is not None else None
            assert number is not None, f"posting without an amount: {posting}"
            balances[posting.account] = balances.get(posting.account, Decimal(0)) + number
    return balances
