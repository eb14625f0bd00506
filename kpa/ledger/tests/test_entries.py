from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpa.core.models import AuditEvent
from kpa.ledger import reports, services
from kpa.ledger.models import (
    Account,
    Entry,
    EntryLine,
    FiscalYear,
    ImmutableEntryError,
    Journal,
)
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger, sale

MARCH = dt.date(2026, 3, 15)


def test_opening_the_books_installs_the_chart_journals_and_first_year(ledger: Ledger) -> None:
    structure = ledger.structure
    numbers = set(Account.objects.filter(structure=structure).values_list("number", flat=True))
    assert {"411", "401", "512", "530", "706", "120", "129"} <= numbers
    assert set(Journal.objects.filter(structure=structure).values_list("code", flat=True)) == {
        "VT", "AC", "BQ1", "CA", "OD", "AN"}
    bank = Journal.objects.get(structure=structure, code="BQ1").account
    assert bank is not None
    assert bank.number == "512"
    year = FiscalYear.objects.get(structure=structure)
    assert (year.starts_on, year.ends_on, year.name) == (dt.date(2026, 1, 1),
                                                         dt.date(2027, 1, 1), 2026)
    assert AuditEvent.objects.filter(action="ledger.books.opened").count() == 1


def test_books_open_once(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="déjà ouverte"):
        services.open_books(actor=ledger.keeper, structure=ledger.structure,
                            first_year_starts_on=dt.date(2026, 1, 1),
                            first_year_ends_on=dt.date(2027, 1, 1), today=ledger.today)


@pytest.mark.parametrize("persona", ["cooperant", "referent", "coordinateur", "outsider"])
def test_only_the_structures_bookkeepers_open_its_books(cast, today, persona) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.open_books(actor=cast.user(persona), structure=cast.cae,
                            first_year_starts_on=dt.date(2026, 1, 1),
                            first_year_ends_on=dt.date(2027, 1, 1), today=today)


def test_a_draft_has_no_number_and_validation_numbers_each_journal_without_gaps(
        ledger: Ledger) -> None:
    draft = ledger.entry("VT", MARCH, *sale("100.00"), validate=False)
    assert (draft.status, draft.number, draft.reference) == ("draft", None, "")
    first = ledger.entry("VT", MARCH, *sale("50"))
    purchase = ledger.entry("AC", MARCH, LineInput("606", debit="20"),
                            LineInput("401", credit="20"))
    validated = services.validate_entry(actor=ledger.keeper, entry=draft, today=ledger.today)
    assert [first.number, validated.number, purchase.number] == [1, 2, 1]
    assert validated.reference == "VT000002"
    assert validated.validated_on == ledger.today
    assert set(EntryLine.objects.filter(entry=validated).values_list("validated", flat=True)) \
        == {True}


@pytest.mark.parametrize(("lines", "message"), [
    ((LineInput("411", debit="100"), LineInput("706", credit="90")), "pas équilibrée"),
    ((LineInput("411", debit="100", credit="100"), LineInput("706", credit="0")), "pas les deux"),
    ((LineInput("411", debit="0"), LineInput("706", credit="0")), "pas les deux ni aucun"),
    ((LineInput("999", debit="1"), LineInput("706", credit="1")), "n'est pas dans le plan"),
    ((LineInput("411", debit="1.005"), LineInput("706", credit="1.005")), "au centime"),
    ((LineInput("411", debit="-5"), LineInput("706", credit="-5")), "positif"),
    ((LineInput("411", debit="abc"), LineInput("706", credit="1")), "n'est pas un montant"),
    ((LineInput("411", debit="1"),), "au moins deux lignes"),
])
def test_bad_entries_are_refused_with_a_precise_message_and_nothing_is_written(
        ledger: Ledger, lines: tuple[LineInput, ...], message: str) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=message):
        ledger.entry("VT", MARCH, *lines)
    assert not Entry.objects.exists()
    assert not EntryLine.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_date_outside_every_fiscal_year_is_refused(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="Aucun exercice ne couvre le 15/03/2025"):
        ledger.entry("VT", dt.date(2025, 3, 15), *sale("10"))


def test_an_entry_dated_after_today_stays_a_draft(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="pas avant"):
        ledger.entry("VT", dt.date(2026, 12, 20), *sale("10"))
    assert not Entry.objects.exists()


def test_a_validated_entry_never_changes_through_any_orm_path(ledger: Ledger) -> None:
    entry = ledger.entry("VT", MARCH, *sale("10"))
    line = entry.lines.first()
    assert line is not None
    entry.label = "autre"
    with pytest.raises(ImmutableEntryError):
        entry.save()
    with pytest.raises(ImmutableEntryError):
        entry.delete()
    with pytest.raises(ImmutableEntryError):
        Entry.objects.filter(pk=entry.pk).update(label="autre")
    with pytest.raises(ImmutableEntryError):
        Entry.objects.filter(pk=entry.pk).delete()
    line.debit = Decimal("11.00")
    with pytest.raises(ImmutableEntryError):
        line.save()
    with pytest.raises(ImmutableEntryError):
        line.delete()
    with pytest.raises(ImmutableEntryError):
        EntryLine.objects.filter(entry=entry).update(debit=Decimal("1"))
    with pytest.raises(ImmutableEntryError):
        EntryLine.objects.create(entry=entry, fiscal_year=entry.fiscal_year, position=3,
                                 account=line.account, label="x", debit=Decimal("1"))
    with pytest.raises(ValidationError, match="Contre-passez"):
        services.delete_draft(actor=ledger.keeper, entry=entry, today=ledger.today)
    with pytest.raises(ValidationError, match="Contre-passez"):
        services.update_draft(actor=ledger.keeper, entry=entry, journal=entry.journal,
                              date=MARCH, label="x", lines=sale("1"), today=ledger.today)
    stored = EntryLine.objects.get(pk=line.pk)
    assert (stored.debit, Entry.objects.get(pk=entry.pk).label) == (Decimal("10.00"), "Écriture")


def test_lettering_is_the_only_change_a_validated_line_accepts(ledger: Ledger) -> None:
    entry = ledger.entry("VT", MARCH, *sale("10"))
    EntryLine.objects.filter(entry=entry).update(lettering_code="A", lettered_on=MARCH)
    assert set(EntryLine.objects.filter(entry=entry).values_list("lettering_code", flat=True)) \
        == {"A"}


def test_a_draft_can_be_rewritten_and_deleted(ledger: Ledger) -> None:
    draft = ledger.entry("VT", MARCH, *sale("10"), validate=False)
    services.update_draft(actor=ledger.keeper, entry=draft, journal=ledger.journal("OD"),
                          date=dt.date(2026, 4, 1), label="Corrigée",
                          lines=(LineInput("512", debit="7"), LineInput("758", credit="7")),
                          today=ledger.today)
    draft.refresh_from_db()
    assert (draft.journal.code, draft.label, draft.lines.count()) == ("OD", "Corrigée", 2)
    services.delete_draft(actor=ledger.keeper, entry=draft, today=ledger.today)
    assert not Entry.objects.exists()


def test_reversal_mirrors_the_entry_in_one_action_and_only_once(ledger: Ledger) -> None:
    customer = ledger.customer()
    entry = ledger.entry("VT", MARCH, *sale("120", customer=customer), piece_ref="F1")
    reversal = services.reverse_entry(actor=ledger.keeper, entry=entry,
                                      date=dt.date(2026, 4, 2), today=ledger.today)
    assert reversal.is_validated
    assert reversal.reverses == entry
    assert reversal.reference == "VT000002"
    assert [(ln.account.number, ln.debit, ln.credit, ln.third_party)
            for ln in reversal.lines.order_by("position")] == [
        ("411", Decimal("0.00"), Decimal("120.00"), customer),
        ("706", Decimal("120.00"), Decimal("0.00"), None),
    ]
    assert all(row.balance == 0 for row in reports.trial_balance(entry.fiscal_year).rows)
    with pytest.raises(ValidationError, match="déjà sa contre-passation"):
        services.reverse_entry(actor=ledger.keeper, entry=entry, date=MARCH, today=ledger.today)


def test_sub_accounts_extend_a_listed_account_only(ledger: Ledger) -> None:
    account = services.add_account(actor=ledger.keeper, structure=ledger.structure,
                                   number="60611", label="Électricité",
                                   today=ledger.today)
    assert not account.from_template
    for number, message in [("60A", "que des chiffres"), ("9123", "que des chiffres"),
                            ("60611", "existe déjà"), ("5512", "prolonger")]:
        with pytest.raises(ValidationError, match=message):
            services.add_account(actor=ledger.keeper, structure=ledger.structure,
                                 number=number, label="x", today=ledger.today)


def test_a_bank_journal_follows_its_own_bank_account(ledger: Ledger) -> None:
    second = services.add_account(actor=ledger.keeper, structure=ledger.structure,
                                  number="5122", label="Crédit coopératif",
                                  today=ledger.today)
    journal = services.create_journal(actor=ledger.keeper, structure=ledger.structure,
                                      code="bq2", label="Crédit coopératif", kind="bank",
                                      account=second, today=ledger.today)
    assert journal.code == "BQ2"
    with pytest.raises(ValidationError, match="déjà son journal"):
        services.create_journal(actor=ledger.keeper, structure=ledger.structure, code="BQ3",
                                label="x", kind="bank", account=second, today=ledger.today)
    with pytest.raises(ValidationError, match="512"):
        services.create_journal(actor=ledger.keeper, structure=ledger.structure, code="BQ4",
                                label="x", kind="bank", account=None, today=ledger.today)


def test_fiscal_years_follow_each_other_without_gap_or_overlap(ledger: Ledger) -> None:
    with pytest.raises(ValidationError, match="01/01/2027"):
        services.open_fiscal_year(actor=ledger.keeper, structure=ledger.structure,
                                  starts_on=dt.date(2027, 2, 1), ends_on=dt.date(2028, 1, 1),
                                  today=ledger.today)
    year = services.open_fiscal_year(actor=ledger.keeper, structure=ledger.structure,
                                     starts_on=dt.date(2027, 1, 1),
                                     ends_on=dt.date(2028, 1, 1), today=ledger.today)
    assert year.name == 2027


def test_other_apps_post_without_a_bookkeepers_gate_but_with_every_rule(ledger: Ledger) -> None:
    cooperant = ledger.cast.user("cooperant")
    entry = services.post_entry(actor=cooperant, structure=ledger.structure,
                                journal=ledger.journal("VT"), date=MARCH, label="Facture",
                                lines=sale("30"), source="sales.invoice:1", validate=True,
                                today=ledger.today)
    assert entry.is_validated
    assert entry.source == "sales.invoice:1"
    with pytest.raises(PermissionDenied):
        services.create_entry(actor=cooperant, structure=ledger.structure,
                              journal=ledger.journal("VT"), date=MARCH, label="x",
                              lines=sale("1"), today=ledger.today)


def test_the_admin_shows_a_validated_entry_and_changes_nothing(ledger: Ledger, client) -> None:  # type: ignore[no-untyped-def]
    entry = ledger.entry("VT", MARCH, *sale("10"))
    client.force_login(ledger.cast.user("admin"))
    url = f"/admin/ledger/entry/{entry.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"label": "changé", "status": "draft"})
    assert response.status_code == 403
    assert client.post(f"/admin/ledger/entry/{entry.pk}/delete/", {"post": "yes"}).status_code \
        == 403
    stored = Entry.objects.get(pk=entry.pk)
    assert (stored.label, stored.status) == ("Écriture", "validated")
