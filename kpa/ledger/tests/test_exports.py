"""The books as files, checked by tools and code we did not write for them: hledger reads our
journal and prints our trial balance, bean-check accepts our beancount file, the FEC passes the
checker and comes back through an import into an empty structure with the same balance."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpa.directory.tests.factories import StructureFactory
from kpa.ledger import closing, exports, fec, reports
from kpa.ledger.fec_import import FecImportError, load_fec
from kpa.ledger.models import Entry, FiscalYear
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger, rolled_back, sale
from kpa.ledger.tests.oracles import bean_check, hledger_balances, hledger_required
from kpa.ledger.tests.test_properties import _apply, operation

D = Decimal


def _books_with_everything(ledger: Ledger) -> None:
    customer = ledger.customer("C0042", "Mairie de Roubaix ’quartier’ | Nord")  # noqa: RUF001
    treasury = ledger.treasury()
    ledger.entry("OD", dt.date(2026, 1, 5), LineInput("512", debit="5000"),
                 LineInput("101", credit="5000"), label="Apport")
    ledger.entry("VT", dt.date(2026, 2, 1),
                 LineInput("411", debit="1440", third_party=customer, treasury_account=treasury),
                 LineInput("706", credit="1200", treasury_account=treasury),
                 LineInput("44571", credit="240"), piece_ref="2026-00001",
                 label="Atelier couture\tfacture 2026-00001")
    ledger.entry("AC", dt.date(2026, 2, 3), LineInput("606", debit="100"),
                 LineInput("44566", debit="20"), LineInput("401", credit="120"),
                 label="Tissus « bio »")
    ledger.entry("BQ1", dt.date(2026, 3, 1), LineInput("512", debit="1440"),
                 LineInput("411", credit="1440", third_party=customer), piece_ref="2026-00001")


def _our_balances(year: FiscalYear) -> dict[str, Decimal]:
    return {r.number: r.balance for r in reports.trial_balance(year).rows}


def _hledger_of(year: FiscalYear) -> str:
    out = io.StringIO()
    exports.write_plaintext(year, out, fmt="hledger")
    return out.getvalue()


def test_hledger_prints_our_trial_balance(ledger: Ledger) -> None:
    hledger_required()
    _books_with_everything(ledger)
    year = FiscalYear.objects.get(structure=ledger.structure)
    theirs = hledger_balances(_hledger_of(year), depth=1)
    assert {k: v for k, v in theirs.items() if v} == {
        k: v for k, v in _our_balances(year).items() if v}
    assert "PROVISOIRE" in _hledger_of(year)


def test_bean_check_accepts_our_beancount_export(ledger: Ledger) -> None:
    _books_with_everything(ledger)
    out = io.StringIO()
    exports.write_plaintext(FiscalYear.objects.get(structure=ledger.structure), out,
                            fmt="beancount")
    bean_check(out.getvalue())


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=10))
def test_hledger_agrees_with_us_on_random_books(ledger: Ledger, ops: list[tuple]) -> None:  # type: ignore[type-arg]
    hledger_required()
    year = FiscalYear.objects.get(structure=ledger.structure)
    with rolled_back():
        for op in ops:
            _apply(ledger, op)
        theirs = hledger_balances(_hledger_of(year), depth=1)
        assert {k: v for k, v in theirs.items() if v} == {
            k: v for k, v in _our_balances(year).items() if v}


def _fec_bytes(year: FiscalYear, separator: str = "\t") -> bytes:
    out = io.StringIO(newline="")
    exports.write_fec(year, out, separator=separator)
    return out.getvalue().encode("iso8859_15")


def test_the_fec_of_a_closed_year_passes_the_checker_with_opening_entries_first(
        ledger: Ledger) -> None:
    _books_with_everything(ledger)
    year = FiscalYear.objects.get(structure=ledger.structure)
    closing.close_fiscal_year(actor=ledger.keeper, year=year, today=dt.date(2027, 2, 1))
    ledger.today = dt.date(2027, 2, 1)
    ledger.entry("VT", dt.date(2027, 1, 10), *sale("50"))
    following = FiscalYear.objects.get(starts_on=dt.date(2027, 1, 1))
    for target in (year, following):
        target.refresh_from_db()
        name = exports.fec_name(target)
        report = fec.check_fec(_fec_bytes(target), name.replace("-provisoire", ""),
                               fiscal_year_start=target.starts_on,
                               fiscal_year_end=target.last_day)
        assert report.ok, report.problems
        assert report.total_debit == report.total_credit
    assert exports.fec_name(year) == f"{ledger.structure.siren}FEC20261231.txt"
    assert exports.fec_name(following).endswith("FEC20271231-provisoire.txt")
    rows = _fec_bytes(following).decode("iso8859_15").splitlines()
    assert rows[1].startswith("AN\t")
    assert not any(r.split("\t")[4].startswith("12") and r.split("\t")[0] != "AN"
                   for r in rows[1:])


def test_a_fec_exported_then_imported_into_an_empty_structure_gives_the_same_balance(
        ledger: Ledger) -> None:
    _books_with_everything(ledger)
    year = FiscalYear.objects.get(structure=ledger.structure)
    data = _fec_bytes(year, "|")
    twin = StructureFactory.create(network=ledger.structure.network,
                                   chart_template=ledger.structure.chart_template)
    result = load_fec(actor=None, structure=twin, data=data,
                      filename=f"{twin.siren}FEC20261231.txt")
    assert (result.entries, result.lines) == (4, 10)
    assert _our_balances(result.fiscal_year) == _our_balances(year)
    imported = Entry.objects.filter(structure=twin, journal__code="VT").get()
    assert (imported.reference, imported.piece_ref, imported.source) == (
        "VT000001", "2026-00001", "fec:VT000001")


def test_an_import_with_problems_writes_nothing_and_names_the_lines(ledger: Ledger) -> None:
    _books_with_everything(ledger)
    text = _fec_bytes(ledger.structure.fiscal_years.get()).decode("iso8859_15")
    rows = text.split("\r\n") if "\r\n" in text else text.split("\n")
    cells = rows[2].split("\t")
    cells[11] = cells[11].replace(",", ".") if cells[11] != "0,00" else cells[11]
    cells[12] = cells[12].replace(",", ".") if cells[12] != "0,00" else cells[12]
    rows[2] = "\t".join(cells)
    twin = StructureFactory.create(network=ledger.structure.network)
    with pytest.raises(FecImportError) as refused:
        load_fec(actor=None, structure=twin, data="\n".join(rows).encode("iso8859_15"),
                 filename=f"{twin.siren}FEC20261231.txt")
    assert any(line == 3 for line, _message in refused.value.problems)
    assert not Entry.objects.filter(structure=twin).exists()
    assert not FiscalYear.objects.filter(structure=twin).exists()


def test_an_import_into_books_that_have_entries_is_refused(ledger: Ledger) -> None:
    _books_with_everything(ledger)
    data = _fec_bytes(ledger.structure.fiscal_years.get())
    with pytest.raises(FecImportError, match="déjà des écritures"):
        load_fec(actor=None, structure=ledger.structure, data=data,
                 filename=f"{ledger.structure.siren}FEC20261231.txt")


def test_the_commands_export_and_import_by_siren_and_year(ledger: Ledger,
                                                          tmp_path: Path) -> None:
    _books_with_everything(ledger)
    siren = ledger.structure.siren
    target = tmp_path / f"{siren}FEC20261231.txt"
    call_command("export_fec", siren=siren, year=2026, output=str(target),
                 stderr=io.StringIO())
    assert target.read_bytes().startswith(b"JournalCode\t")
    out = io.StringIO()
    call_command("trial_balance", siren=siren, year=2026, format="json", stdout=out)
    assert '"provisional": true' in out.getvalue()
    journal = tmp_path / "books.journal"
    call_command("export_journal", format="hledger", siren=siren, year=2026,
                 output=str(journal), stderr=io.StringIO())
    assert "2026-02-01" in journal.read_text()
    twin = StructureFactory.create(network=ledger.structure.network)
    out = io.StringIO()
    call_command("import_fec", str(target), siren=twin.siren, stdout=out)
    assert "4 écritures" in out.getvalue()
    with pytest.raises(CommandError, match="pas d'exercice 2031"):
        call_command("trial_balance", siren=siren, year=2031)
    with pytest.raises(CommandError, match="Aucune structure"):
        call_command("export_fec", siren="000000000", year=2026)
