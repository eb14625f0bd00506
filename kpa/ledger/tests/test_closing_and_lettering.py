from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kpa.ledger import closing, lettering, reports, services
from kpa.ledger.models import Entry, EntryLine, FiscalYear
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger, sale

D = Decimal
AFTER_YEAR_END = dt.date(2027, 3, 1)


def _year(ledger: Ledger) -> FiscalYear:
    return FiscalYear.objects.get(structure=ledger.structure, starts_on=dt.date(2026, 1, 1))


def _a_year_of_books(ledger: Ledger) -> None:
    customer = ledger.customer()
    treasury = ledger.treasury()
    ledger.entry("OD", dt.date(2026, 1, 2), LineInput("512", debit="1000"),
                 LineInput("101", credit="1000"), label="Capital")
    ledger.entry("VT", dt.date(2026, 2, 1), *sale("600", customer=customer, treasury=treasury),
                 piece_ref="F1")
    ledger.entry("AC", dt.date(2026, 2, 3),
                 LineInput("606", debit="250", treasury_account=treasury),
                 LineInput("401", credit="250"))
    ledger.entry("BQ1", dt.date(2026, 3, 1), LineInput("512", debit="400"),
                 LineInput("411", credit="400", third_party=customer, treasury_account=treasury),
                 piece_ref="F1")


def test_closing_refuses_until_every_check_passes(ledger: Ledger) -> None:
    year = _year(ledger)
    ledger.entry("VT", dt.date(2026, 2, 1), *sale("10"), validate=False)
    checks = {str(c.label): c.passed for c in closing.closing_checks(year, today=ledger.today)}
    assert checks["L'exercice est terminé"] is False
    assert checks["Aucun brouillon ne reste"] is False
    with pytest.raises(ValidationError, match="brouillon"):
        closing.close_fiscal_year(actor=ledger.keeper, year=year, today=AFTER_YEAR_END)
    assert FiscalYear.objects.get(pk=year.pk).is_open


def test_closing_carries_balance_sheet_accounts_and_the_result_into_the_next_year(
        ledger: Ledger) -> None:
    _a_year_of_books(ledger)
    year = _year(ledger)
    closed = closing.close_fiscal_year(actor=ledger.keeper, year=year, today=AFTER_YEAR_END)
    assert (closed.status, closed.result) == ("closed", D("350.00"))
    following = FiscalYear.objects.get(structure=ledger.structure,
                                       starts_on=dt.date(2027, 1, 1))
    opening = Entry.objects.get(fiscal_year=following)
    assert (opening.journal.code, opening.reference, opening.date) == (
        "AN", "AN000001", dt.date(2027, 1, 1))
    carried = {
        (ln.account.number, ln.third_party_id is not None, ln.treasury_account_id is not None):
            ln.debit - ln.credit
        for ln in opening.lines.select_related("account")
    }
    assert carried == {
        ("101", False, False): D("-1000.00"),
        ("401", False, False): D("-250.00"),
        ("411", True, True): D("200.00"),
        ("512", False, False): D("1400.00"),
        ("120", False, False): D("-350.00"),
    }
    # No entry of the closed year zeroes classes 6 and 7: the FEC must not see one.
    assert not EntryLine.objects.filter(fiscal_year=year, account__number__startswith="12")
    # The closing balances of classes 1 to 5 are the opening balances of the next year.
    before = {r.number: r.balance for r in reports.trial_balance(year).rows
              if r.number[0] in "12345"}
    after = {r.number: r.balance for r in reports.trial_balance(following).rows
             if r.number != "120"}
    assert before == after


def test_a_closed_year_takes_no_entry_and_closes_only_once(ledger: Ledger) -> None:
    _a_year_of_books(ledger)
    year = closing.close_fiscal_year(actor=ledger.keeper, year=_year(ledger),
                                     today=AFTER_YEAR_END)
    with pytest.raises(ValidationError, match="clôturé"):
        services.create_entry(actor=ledger.keeper, structure=ledger.structure,
                              journal=ledger.journal("OD"), date=dt.date(2026, 6, 1),
                              label="Oubli", lines=sale("1"), today=AFTER_YEAR_END)
    with pytest.raises(ValidationError, match="L'exercice est ouvert"):
        closing.close_fiscal_year(actor=ledger.keeper, year=year, today=AFTER_YEAR_END)


def test_a_loss_is_carried_to_129(ledger: Ledger) -> None:
    ledger.entry("AC", dt.date(2026, 2, 3), LineInput("606", debit="80"),
                 LineInput("512", credit="80"))
    closing.close_fiscal_year(actor=ledger.keeper, year=_year(ledger), today=AFTER_YEAR_END)
    opening = Entry.objects.get(journal__code="AN")
    assert {ln.account.number: ln.debit - ln.credit for ln in opening.lines.all()} == {
        "512": D("-80.00"), "129": D("80.00")}


def test_the_result_is_allocated_by_an_entry_of_the_new_year(ledger: Ledger) -> None:
    _a_year_of_books(ledger)
    closing.close_fiscal_year(actor=ledger.keeper, year=_year(ledger), today=AFTER_YEAR_END)
    following = FiscalYear.objects.get(starts_on=dt.date(2027, 1, 1))
    assert closing.pending_result(following) == D("350.00")
    with pytest.raises(ValidationError, match="exactement"):
        closing.allocate_result(actor=ledger.keeper, year=following, date=AFTER_YEAR_END,
                                allocations=[("1068", D("300"))], today=AFTER_YEAR_END)
    with pytest.raises(ValidationError, match="classe 1"):
        closing.allocate_result(actor=ledger.keeper, year=following, date=AFTER_YEAR_END,
                                allocations=[("512", D("350"))], today=AFTER_YEAR_END)
    entry = closing.allocate_result(
        actor=ledger.keeper, year=following, date=AFTER_YEAR_END,
        allocations=[("1068", D("300")), ("110", D("50"))], today=AFTER_YEAR_END)
    assert entry.is_validated
    assert entry.journal.code == "OD"
    assert closing.pending_result(following) == 0
    balances = reports.trial_balance(following).balances()
    assert (balances["1068"], balances["110"]) == (D("-300.00"), D("-50.00"))


def test_lettering_matches_lines_that_settle_each_other(ledger: Ledger) -> None:
    _a_year_of_books(ledger)
    customer_lines = list(EntryLine.objects.filter(account__number="411").order_by("pk"))
    with pytest.raises(ValidationError, match="ne se soldent pas"):
        lettering.letter_lines(actor=ledger.keeper, lines=customer_lines, today=ledger.today)
    ledger.entry("BQ1", dt.date(2026, 3, 5), LineInput("512", debit="200"),
                 LineInput("411", credit="200", third_party=customer_lines[0].third_party),
                 piece_ref="F1")
    customer_lines = list(EntryLine.objects.filter(account__number="411").order_by("pk"))
    code = lettering.letter_lines(actor=ledger.keeper, lines=customer_lines, today=ledger.today)
    assert code == "A"
    assert {ln.lettering_code for ln in EntryLine.objects.filter(account__number="411")} == {"A"}
    with pytest.raises(ValidationError, match="déjà lettrée"):
        lettering.letter_lines(actor=ledger.keeper, lines=customer_lines, today=ledger.today)
    account = customer_lines[0].account
    assert lettering.unletter(actor=ledger.keeper, account=account, code="A",
                              today=ledger.today) == 3
    assert lettering.letter_by_reference(actor=ledger.keeper, account=account, year=_year(ledger),
                                         today=ledger.today) == ["A"]


def test_lettering_refuses_lines_of_different_accounts(ledger: Ledger) -> None:
    entry = ledger.entry("VT", dt.date(2026, 2, 1), *sale("10"))
    with pytest.raises(ValidationError, match="même compte"):
        lettering.letter_lines(actor=ledger.keeper, lines=list(entry.lines.all()),
                               today=ledger.today)


@pytest.mark.parametrize(("code", "following"), [
    ("", "A"), ("A", "B"), ("Z", "AA"), ("AZ", "BA"), ("ZZ", "AAA")])
def test_lettering_codes_follow_the_handwritten_sequence(code: str, following: str) -> None:
    assert lettering.code_after(code) == following


def test_the_bilan_balances_and_shows_the_previous_year_beside_the_new_one(
        ledger: Ledger) -> None:
    _a_year_of_books(ledger)
    ledger.entry("VT", dt.date(2026, 4, 1),
                 LineInput("411", credit="30", third_party=ledger.customer("C0002", "Avance")),
                 LineInput("512", debit="30"), label="Acompte reçu")
    year = _year(ledger)
    closing.close_fiscal_year(actor=ledger.keeper, year=year, today=AFTER_YEAR_END)
    following = FiscalYear.objects.get(starts_on=dt.date(2027, 1, 1))
    for current, previous in ((year, None), (following, year)):
        sheet = reports.statements(current, previous)
        actif, passif = sheet.balance_sheet.sides
        assert actif.total == passif.total
        assert actif.total == D("1630.00")  # bank 1430 + customer C0001 200 on the asset side
    assert reports.statements(year, None).result == D("350.00")
    assert reports.statements(following, year).previous_result == D("350.00")
    _actif, passif = reports.statements(year, None).balance_sheet.sides
    assert D("30.00") in {line.amount for s in passif.sections for line in s.lines
                          if any("C0002" in a for a in line.accounts)}
