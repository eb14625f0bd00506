"""The demo books: every structure of the demo network has a closed 2025 and a 2026 in
progress, and tools we did not write (the FEC checker's rules, hledger, bean-check) accept them.

The demo is built once for the module, inside a transaction rolled back at the end; each test
runs in its own savepoint within it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.directory.demo import seed_demo_network
from kpa.directory.models import Structure
from kpa.ledger import closing, exports, fec, reports
from kpa.ledger.demo import (
    CLOSING_DAY,
    DemoBooksResult,
    demo_structures,
    seed_app_demo,
    seed_demo_books,
)
from kpa.ledger.models import Entry, EntryLine, FiscalYear, TreasuryAccount
from kpa.ledger.tests.oracles import bean_check, hledger_balances, hledger_required

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker) -> Iterator[DemoBooksResult]:  # type: ignore[no-untyped-def]
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo_network()
        result = seed_demo_books(today=TODAY)
        yield result
        transaction.set_rollback(True)


def _years(structure: Structure) -> tuple[FiscalYear, FiscalYear]:
    first, second = FiscalYear.objects.filter(structure=structure).order_by("starts_on")
    return first, second


def _every_year(demo: DemoBooksResult) -> Iterator[FiscalYear]:
    for structure in demo_structures():
        yield from _years(structure)


def _non_zero(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    return {number: balance for number, balance in balances.items() if balance}


def test_the_demo_opens_the_books_of_the_cae_and_of_both_associations(demo):
    structures = demo_structures()

    assert demo.created
    assert [s.name for s in demo.structures] == [s.name for s in structures]
    assert {s.kind for s in structures} == {Structure.Kind.CAE, Structure.Kind.ASSOCIATION}
    for structure in structures:
        assert structure.books.chart_template == structure.chart_template
    for books in demo.structures:
        assert 100 <= books.entries_2025 + books.entries_2026 <= 400, books


def test_every_structure_has_closed_2025_with_its_result(demo):
    for structure in demo_structures():
        first, second = _years(structure)
        assert (first.starts_on, first.ends_on) == (dt.date(2025, 1, 1), dt.date(2026, 1, 1))
        assert not first.is_open
        assert second.is_open
        assert first.result == closing.year_result(first) != 0
        assert reports.statements(first, None).result == first.result
        assert first.closed_at is not None


def test_2026_opens_with_the_a_nouveaux_first_and_allocates_the_2025_result(demo):
    for structure in demo_structures():
        first, second = _years(structure)
        lines = list(reports.book_lines(second))
        opening = [ln for ln in lines if ln.journal_code == "AN"]
        assert opening
        assert lines[: len(opening)] == opening
        assert {ln.entry_number for ln in opening} == {"AN000001"}
        assert {ln.entry_date for ln in opening} == {dt.date(2026, 1, 1)}
        pending = sum((ln.credit - ln.debit for ln in opening
                       if ln.account_number in ("120", "129")), Decimal(0))
        assert pending == first.result
        assert closing.pending_result(second) == 0  # the assembly allocated it
        allocated = "1068" if first.result > 0 else "119"
        assert reports.trial_balance(second).balances()[allocated] == -first.result


def test_the_bilan_balances_in_2025_and_in_2026(demo):
    for structure in demo_structures():
        first, second = _years(structure)
        for year, previous in ((first, None), (second, first)):
            bilan = reports.statements(year, previous).balance_sheet
            actif, passif = bilan.sides
            assert actif.total == passif.total > 0, (structure, year)
        assert reports.statements(second, first).balance_sheet.sides[0].previous_total == (
            reports.statements(first, None).balance_sheet.sides[0].total)


def test_every_report_of_every_year_has_data(demo):
    for structure in demo_structures():
        treasuries = set(TreasuryAccount.objects.filter(structure=structure)
                         .values_list("code", flat=True))
        for year in _years(structure):
            balance = reports.trial_balance(year)
            assert len(balance.rows) >= 10
            assert balance.total_debit == balance.total_credit
            customers = reports.auxiliary_balances(year, "411")
            suppliers = reports.auxiliary_balances(year, "401")
            assert len(customers) >= 2
            assert suppliers
            analytic = {row.code: row for row in reports.analytic_balance(year)}
            assert set(analytic) == treasuries, (structure, year)
            assert any(row.revenue > 0 for row in analytic.values())
            assert any(row.expenses > 0 for row in analytic.values())


def test_the_associations_show_their_volunteering_at_the_foot_of_the_compte_de_resultat(demo):
    associations = [s for s in demo_structures() if s.kind == Structure.Kind.ASSOCIATION]
    assert len(associations) == 2
    for structure in associations:
        for year in _years(structure):
            footer = reports.statements(year, None).income_statement.footer
            totals = {str(side.title): side.total for side in footer}
            contributions = totals["Contributions volontaires en nature"]
            assert contributions > 0
            assert totals["Emplois des contributions volontaires en nature"] == contributions


def test_vat_is_collected_under_the_normal_regime_and_absent_under_the_franchise(demo):
    for structure in demo_structures():
        balances = reports.trial_balance(_years(structure)[0]).balances()
        if structure.vat_regime == Structure.VatRegime.NORMAL:
            assert balances.get("44571") == 0
            assert "44566" in balances
        else:
            assert not {"44571", "44566"} & set(balances)


def test_entries_are_validated_except_a_few_drafts_and_none_is_dated_after_today(demo):
    for books in demo.structures:
        assert 2 <= books.drafts <= 3, books
    entries = Entry.objects.filter(structure__in=demo_structures())
    assert not entries.filter(date__gt=TODAY).exists()
    assert not entries.filter(validated_on__gt=TODAY).exists()
    assert not entries.filter(fiscal_year__starts_on=dt.date(2025, 1, 1),
                              status=Entry.Status.DRAFT).exists()
    assert not EntryLine.objects.filter(entry__status=Entry.Status.DRAFT, validated=True).exists()


def test_customers_and_suppliers_are_lettered_also_across_the_a_nouveaux(demo):
    for structure in demo_structures():
        first, second = _years(structure)
        for prefix in ("411", "401"):
            lines = EntryLine.objects.filter(account__structure=structure,
                                             account__number=prefix, validated=True)
            assert lines.filter(fiscal_year=first).exclude(lettering_code="").exists()
            carried = lines.filter(fiscal_year=second, entry__journal__code="AN")
            assert not carried.filter(lettering_code="").exists(), (structure, prefix)
        assert EntryLine.objects.filter(fiscal_year=first, lettered_on=CLOSING_DAY).exists()
    assert EntryLine.objects.filter(account__number="411", entry__journal__code="AN").exists()


def _fec(year: FiscalYear) -> bytes:
    out = io.StringIO(newline="")
    exports.write_fec(year, out)
    return out.getvalue().encode(fec.ENCODING)


def test_the_fec_of_2025_and_the_provisional_fec_of_2026_pass_the_checker(demo):
    for year in _every_year(demo):
        name = exports.fec_name(year).replace(exports.PROVISIONAL_SUFFIX, "")
        report = fec.check_fec(_fec(year), name, fiscal_year_start=year.starts_on,
                               fiscal_year_end=year.last_day)
        assert report.ok, (year.structure, year, report.errors[:5])
        assert report.total_debit == report.total_credit
        assert report.line_count == EntryLine.objects.filter(fiscal_year=year,
                                                             validated=True).count()


def test_hledger_prints_our_trial_balance_for_both_years(demo):
    hledger_required()
    for year in _every_year(demo):
        out = io.StringIO()
        exports.write_plaintext(year, out, fmt="hledger")
        theirs = hledger_balances(out.getvalue(), depth=1)
        assert _non_zero(theirs) == _non_zero(reports.trial_balance(year).balances()), year


def test_bean_check_accepts_the_beancount_export_of_both_years(demo):
    for year in _every_year(demo):
        out = io.StringIO()
        exports.write_plaintext(year, out, fmt="beancount")
        bean_check(out.getvalue())


def test_seeding_the_demo_books_again_changes_nothing(demo):
    before = (Entry.objects.count(), EntryLine.objects.count(), AuditEvent.objects.count())

    again = seed_demo_books(today=TODAY)

    assert not again.created
    assert again.entries == demo.entries
    assert [(s.entries_2025, s.entries_2026, s.result_2025) for s in again.structures] == [
        (s.entries_2025, s.entries_2026, s.result_2025) for s in demo.structures]
    assert (Entry.objects.count(), EntryLine.objects.count(),
            AuditEvent.objects.count()) == before
    assert seed_app_demo(today=TODAY) == (
        f"Comptabilité déjà présente : 3 structures, 2025 clôturé, {demo.entries} écritures.")


def test_the_seed_demo_command_runs_the_ledger_hook_and_says_what_it_did(demo):
    out = io.StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Réseau de démonstration déjà présent")
    assert lines[1].startswith(
        f"Comptabilité déjà présente : 3 structures, 2025 clôturé, {demo.entries} écritures.")
    assert "[ledger," in lines[1]
