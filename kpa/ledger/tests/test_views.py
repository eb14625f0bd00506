"""The books' pages, driven through the test client as each persona of the cast.

Views are thin, so these tests check what only a page can get wrong: who reaches it (the
structure's comptable and gestionnaire) and who gets 404 (everybody else, the KPA's référent
and the network's coordinateur included), that a refused input shows the service's French
message and writes nothing, that list pages do not issue one query per row, and that the CSV
and PDF say the same figures as the books.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.directory.models import RoleKind
from kpa.directory.permissions import forget_reach
from kpa.directory.tests.factories import give_role
from kpa.ledger import closing, fec, services
from kpa.ledger import forms as ledger_forms
from kpa.ledger.models import Entry, EntryLine, FiscalYear, ThirdParty, TreasuryAccount
from kpa.ledger.services import LineInput
from kpa.ledger.tests.conftest import Ledger

KEEPERS = ["comptable", "gestionnaire"]
NOT_KEEPERS = ["referent", "cooperant", "coordinateur", "outsider"]
AFTER_YEAR_END = dt.date(2027, 3, 1)
FEC_SAMPLES = Path(__file__).parent / "fec_samples"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views ask `dates.local_today()`; the books were opened on the cast's day."""
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@dataclass
class Year:
    """A year of books with a bit of everything: a sale and its payment, a draft."""

    ledger: Ledger
    year: FiscalYear
    customer: ThirdParty
    treasury: TreasuryAccount
    sale: Entry
    payment: Entry
    draft: Entry

    @property
    def structure(self) -> Any:
        return self.ledger.structure


@pytest.fixture
def books(ledger: Ledger) -> Year:
    customer, treasury = ledger.customer("C0042", "Mairie de Roubaix"), ledger.treasury()
    sale = ledger.entry(
        "VT", dt.date(2026, 2, 1),
        LineInput("411", debit="1440", third_party=customer, treasury_account=treasury),
        LineInput("706", credit="1200", treasury_account=treasury),
        LineInput("44571", credit="240"), label="Atelier couture", piece_ref="F2026-001")
    payment = ledger.entry(
        "BQ1", dt.date(2026, 3, 1), LineInput("512", debit="1440"),
        LineInput("411", credit="1440", third_party=customer), label="Règlement mairie",
        piece_ref="F2026-001")
    draft = ledger.entry("OD", dt.date(2026, 4, 1), LineInput("606", debit="50"),
                         LineInput("512", credit="50"), label="Fournitures", validate=False)
    return Year(ledger, FiscalYear.objects.get(structure=ledger.structure), customer,
                treasury, sale, payment, draft)


STRUCTURE_PAGES = ["books_home", "accounts", "journals", "third_parties", "treasury_accounts",
                   "fiscal_years", "entry_create", "fec_import"]
YEAR_PAGES = ["entries", "lettering", "closing", "allocate_result", "journal",
              "general_ledger", "trial_balance", "auxiliary", "analytic", "balance_sheet",
              "income_statement", "fec_export", "hledger_export", "beancount_export"]
ENTRY_PAGES = {"entry_detail": "sale", "entry_edit": "draft"}
POST_ONLY = {"entry_balance": None, "entry_validate": "draft", "entry_reverse": "sale",
             "entry_delete": "draft"}


def url_of(name: str, books: Year) -> str:
    if name in STRUCTURE_PAGES or name == "entry_balance":
        return reverse(f"ledger:{name}", args=[books.structure.pk])
    if name in YEAR_PAGES:
        return reverse(f"ledger:{name}", args=[books.year.pk])
    entry = getattr(books, {**ENTRY_PAGES, **POST_ONLY}[name] or "sale")
    return reverse(f"ledger:{name}", args=[entry.pk])


def logged_in(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def text_of(response: Any) -> str:
    return html.unescape(body(response).decode())


def words_of(response: Any) -> str:
    """What a reader reads: tags become spaces (cells stay apart), spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body(response).decode())).split())


# --- Who reaches the books -----------------------------------------------------------------


@pytest.mark.parametrize("name", [*STRUCTURE_PAGES, *YEAR_PAGES, *ENTRY_PAGES])
def test_the_comptable_and_the_gestionnaire_reach_every_page(
        books: Year, client: Client, name: str) -> None:
    url = url_of(name, books)
    for persona in KEEPERS:
        response = logged_in(client, books.ledger.cast, persona).get(url)
        assert response.status_code == 200, (persona, url, response.status_code)


@pytest.mark.parametrize("name", [*STRUCTURE_PAGES, *YEAR_PAGES, *ENTRY_PAGES, *POST_ONLY])
def test_nobody_else_sees_the_general_books_not_even_the_referent_or_the_coordinateur(
        books: Year, client: Client, name: str) -> None:
    url = url_of(name, books)
    audit_before = AuditEvent.objects.count()
    for persona in NOT_KEEPERS:
        logged_in(client, books.ledger.cast, persona)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), (persona, method, url)
            if method == "get" and name not in POST_ONLY:
                assert response.status_code == 404, (persona, url)
    assert AuditEvent.objects.count() == audit_before


def test_the_books_link_and_index_show_only_to_those_who_keep_books(
        books: Year, client: Client) -> None:
    index = reverse("ledger:index")
    keeper = text_of(logged_in(client, books.ledger.cast, "comptable").get("/"))
    assert f'href="{index}"' in keeper
    assert books.structure.name in text_of(client.get(index))
    for persona in NOT_KEEPERS:
        logged_in(client, books.ledger.cast, persona)
        assert f'href="{index}"' not in text_of(client.get("/")), persona
        page = text_of(client.get(index))
        assert books.structure.name not in page, persona


# --- Opening the books, setting them up ---------------------------------------------------


def test_the_books_open_with_the_structure_chart_and_a_first_year(cast: Cast,
                                                                 client: Client) -> None:
    url = reverse("ledger:books_home", args=[cast.cae.pk])
    logged_in(client, cast, "comptable")
    page = text_of(client.get(url))
    assert "Ouvrir la comptabilité" in page
    assert "Plan comptable général" in page
    response = client.post(url, {"starts_on": "2026-01-01", "last_day": "2026-12-31"})
    assert response.status_code == 302
    year = FiscalYear.objects.get(structure=cast.cae)
    assert (year.starts_on, year.ends_on) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert "Brouillons à valider" in text_of(client.get(url))


def test_a_sub_account_is_added_and_a_wrong_one_refused_in_french(books: Year,
                                                                client: Client) -> None:
    url = url_of("accounts", books)
    logged_in(client, books.ledger.cast, "comptable")
    page = text_of(client.get(url))
    assert "Classe 7 — Comptes de produits" in page
    assert client.post(url, {"number": "7061", "label": "Ateliers"}).status_code == 302
    refused = client.post(url, {"number": "9999", "label": "Nulle part"})
    assert refused.status_code == 400
    assert "commence par la classe" in text_of(refused)


def test_a_bank_journal_must_follow_a_bank_account(books: Year, client: Client) -> None:
    url = url_of("journals", books)
    logged_in(client, books.ledger.cast, "comptable")
    refused = client.post(url, {"code": "BQ2", "label": "Crédit coopératif", "kind": "bank"})
    assert refused.status_code == 400
    assert "512" in text_of(refused)
    services.add_account(actor=books.ledger.keeper, structure=books.structure, number="5122",
                         label="Crédit coopératif", today=TODAY)
    account = books.structure.accounts.get(number="5122")
    assert client.post(url, {"code": "bq2", "label": "Crédit coopératif", "kind": "bank",
                             "account": account.pk}).status_code == 302
    assert books.structure.journals.filter(code="BQ2", account=account).exists()


def test_third_parties_treasury_accounts_and_the_next_year_are_created_from_their_pages(
        books: Year, client: Client) -> None:
    cast = books.ledger.cast
    logged_in(client, cast, "gestionnaire")
    assert client.post(url_of("third_parties", books), {
        "code": "F0001", "name": "Tissus du Nord", "kind": "supplier"}).status_code == 302
    assert client.post(url_of("treasury_accounts", books), {
        "code": "T-KPA", "label": "Caisse commune", "kind": "common",
        "kpa": cast.home.pk}).status_code == 302
    assert client.post(url_of("fiscal_years", books), {
        "starts_on": "2027-01-01", "last_day": "2027-12-31"}).status_code == 302
    assert FiscalYear.objects.filter(structure=books.structure).count() == 2
    refused = client.post(url_of("fiscal_years", books), {
        "starts_on": "2029-01-01", "last_day": "2029-12-31"})
    assert refused.status_code == 400
    assert "lendemain du dernier" in text_of(refused)


# --- Query counts --------------------------------------------------------------------------


def grow(books: Year, n: int = 12) -> None:
    ledger = books.ledger
    for i in range(n):
        customer = ledger.customer(f"C9{i:03d}", f"Client {i}")
        treasury = ledger.treasury(f"T-9{i:03d}")
        ledger.entry("VT", dt.date(2026, 5, 1 + i),
                     LineInput("411", debit=f"{10 + i}", third_party=customer,
                               treasury_account=treasury),
                     LineInput("706", credit=f"{10 + i}", treasury_account=treasury),
                     piece_ref=f"F9{i}")
        ledger.entry("OD", dt.date(2026, 6, 1 + i), LineInput("606", debit="5"),
                     LineInput("512", credit="5"), validate=False)
        services.add_account(actor=ledger.keeper, structure=books.structure,
                             number=f"6068{i:02d}", label=f"Fournitures {i}", today=TODAY)


LIST_PAGES = {"entries": 12, "accounts": 10, "journals": 10, "third_parties": 10,
              "treasury_accounts": 11, "fiscal_years": 10, "trial_balance": 10,
              "journal": 13, "general_ledger": 14, "lettering": 14, "auxiliary": 10,
              "analytic": 10, "books_home": 12, "entry_create": 13}


@pytest.mark.parametrize(("name", "budget"), LIST_PAGES.items())
def test_list_pages_stay_within_their_query_budget_and_do_not_grow_with_the_rows(
        books: Year, client: Client, name: str, budget: int,
        django_assert_max_num_queries: Any, django_assert_num_queries: Any) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of(name, books)
    client.get(url)
    with django_assert_max_num_queries(budget) as small:
        assert client.get(url).status_code == 200
    grow(books)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200


def test_the_entry_list_filters_and_pages_by_fifty(books: Year, client: Client) -> None:
    grow(books, n=30)
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of("entries", books)
    first = text_of(client.get(url))
    assert "Page 1 sur 2" in first
    drafts = text_of(client.get(url, {"status": "draft"}))
    assert "Fournitures" in drafts
    assert "Atelier couture" not in drafts
    found = text_of(client.get(url, {"q": "F2026-001"}))
    assert "Règlement mairie" in found
    assert "Fournitures" not in found


# --- The entry form ------------------------------------------------------------------------


def entry_post(journal: Any, lines: list[tuple[str, str, str]], action: str = "validate",
               **header: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "journal": journal.pk, "date": "2026-11-20", "piece_ref": "F2026-099",
        "label": "Atelier retouches", "action": action,
        "lines-TOTAL_FORMS": str(len(lines) + 1), "lines-INITIAL_FORMS": "0", **header}
    for i, (account, debit, credit) in enumerate(lines):
        data.update({f"lines-{i}-account": account, f"lines-{i}-debit": debit,
                     f"lines-{i}-credit": credit})
    return data


def test_a_balanced_entry_is_created_and_validated_from_the_form(books: Year,
                                                                client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    data = entry_post(books.ledger.journal("VT"),
                      [("411", "120,00", ""), ("706", "", "100"), ("44571", "", "20,00")])
    data["lines-0-third_party"] = books.customer.pk
    response = client.post(url_of("entry_create", books), data)
    assert response.status_code == 302, text_of(response)
    entry = Entry.objects.get(piece_ref="F2026-099")
    assert entry.is_validated
    assert entry.reference == "VT000002"
    assert [(ln.account.number, ln.debit, ln.credit) for ln in entry.lines.all()] == [
        ("411", Decimal("120.00"), Decimal("0.00")), ("706", Decimal("0.00"), Decimal("100.00")),
        ("44571", Decimal("0.00"), Decimal("20.00"))]
    assert entry.lines.get(account__number="411").third_party == books.customer
    assert "VT000002" in text_of(client.get(response["Location"]))


def test_an_unbalanced_entry_shows_the_french_message_and_writes_nothing(
        books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    entries, audit = Entry.objects.count(), AuditEvent.objects.count()
    response = client.post(url_of("entry_create", books), entry_post(
        books.ledger.journal("VT"), [("411", "120", ""), ("706", "", "100")]))
    assert response.status_code == 400
    page = text_of(response)
    assert 'role="alert"' in page
    assert "n'est pas équilibrée" in page
    assert "écart 20,00" in page
    assert (Entry.objects.count(), AuditEvent.objects.count()) == (entries, audit)
    unknown = client.post(url_of("entry_create", books), entry_post(
        books.ledger.journal("VT"), [("411", "10", ""), ("799999", "", "10")]))
    assert "Ligne 2 : le compte 799999 n'est pas dans le plan" in text_of(unknown)
    assert Entry.objects.count() == entries


def test_blank_lines_in_the_middle_do_not_shift_the_line_numbers_of_the_messages(
        books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    data = entry_post(books.ledger.journal("VT"),
                      [("411", "10", ""), ("", "", ""), ("799999", "", "10")])
    page = text_of(client.post(url_of("entry_create", books), data))
    assert "Ligne 2 : le compte 799999" in page


def test_a_bad_amount_is_refused_on_its_field(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    response = client.post(url_of("entry_create", books), entry_post(
        books.ledger.journal("VT"), [("411", "12,345", ""), ("706", "", "douze")]))
    assert response.status_code == 400
    page = text_of(response)
    assert "au centime près" in page
    assert "« douze » n'est pas un montant" in page
    assert 'id="id_lines-1-credit_error"' in page


def test_adding_a_line_redraws_the_form_with_what_was_typed(books: Year,
                                                           client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    data = entry_post(books.ledger.journal("VT"), [("411", "120", ""), ("706", "", "100")],
                      action="add_line")
    data["lines-TOTAL_FORMS"] = "2"
    response = client.post(url_of("entry_create", books), data)
    assert response.status_code == 200
    page = text_of(response)
    assert page.count('class="entry-line"') == 3
    assert 'value="120"' in page
    assert "Atelier retouches" in page
    assert 'role="alert"' not in page
    assert Entry.objects.filter(piece_ref="F2026-099").count() == 0


def test_the_balance_fragment_shows_the_gap_as_you_type(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of("entry_balance", books)
    lines = entry_post(books.ledger.journal("VT"), [("411", "1 200,00", ""), ("706", "", "1000")])
    gap = text_of(client.post(url, lines, HTTP_HX_REQUEST="true"))
    assert "Débit <span class=\"num\">1\u202f200,00</span>" in gap
    assert "Écart <span class=\"num\">200,00</span>" in gap
    assert "à équilibrer" in gap
    assert "<html" not in gap
    lines["lines-1-credit"] = "1200"
    assert "équilibrée" in text_of(client.post(url, lines))
    form = text_of(client.get(url_of("entry_create", books)))
    assert 'aria-live="polite"' in form
    assert f'hx-post="{url}"' in form
    assert "input changed delay:300ms" in form


def test_a_draft_is_edited_then_validated_or_deleted(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    edit = url_of("entry_edit", books)
    page = text_of(client.get(edit))
    assert 'value="606"' in page
    assert 'value="50,00"' in page
    response = client.post(edit, entry_post(books.ledger.journal("OD"),
                                            [("606", "60", ""), ("512", "", "60")],
                                            action="draft", label="Fournitures bis"))
    assert response.status_code == 302
    books.draft.refresh_from_db()
    assert books.draft.label == "Fournitures bis"
    assert not books.draft.is_validated
    assert client.post(reverse("ledger:entry_validate", args=[books.draft.pk])).status_code == 302
    books.draft.refresh_from_db()
    assert books.draft.reference == "OD000001"
    other = books.ledger.entry("OD", dt.date(2026, 4, 2), LineInput("606", debit="5"),
                               LineInput("512", credit="5"), validate=False)
    assert client.post(reverse("ledger:entry_delete", args=[other.pk])).status_code == 302
    assert not Entry.objects.filter(pk=other.pk).exists()


def test_a_validated_entry_is_reversed_with_links_both_ways_and_its_history(
        books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    detail = text_of(client.get(url_of("entry_detail", books)))
    assert "Contre-passer" in detail
    assert "ledger.entry.validated" in detail
    response = client.post(reverse("ledger:entry_reverse", args=[books.sale.pk]),
                           {"date": "2026-11-28"})
    assert response.status_code == 302
    reversal = Entry.objects.get(reverses=books.sale)
    assert reversal.is_validated
    assert books.sale.reference in text_of(client.get(response["Location"]))
    again = client.post(reverse("ledger:entry_reverse", args=[books.sale.pk]),
                        {"date": "2026-11-28"})
    assert again.status_code == 400
    assert "déjà sa contre-passation" in text_of(again)


def test_validating_a_draft_dated_after_today_is_refused_in_french(
        books: Year, client: Client) -> None:
    later = books.ledger.entry("OD", dt.date(2026, 12, 20), LineInput("606", debit="5"),
                               LineInput("512", credit="5"), validate=False)
    logged_in(client, books.ledger.cast, "comptable")
    response = client.post(reverse("ledger:entry_validate", args=[later.pk]))
    assert response.status_code == 400
    assert "on la validera ce jour-là" in text_of(response)


# --- Lettering, closing --------------------------------------------------------------------


def test_lettering_through_the_page(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of("lettering", books) + "?compte=411"
    page = text_of(client.get(url))
    assert "Lettrer la sélection" in page
    assert "Lettrer par référence de pièce" in page
    lines = list(EntryLine.objects.filter(account__number="411").order_by("pk"))
    refused = client.post(url, {"action": "letter", "lines": [lines[0].pk]})
    assert refused.status_code == 400
    assert "au moins deux lignes" in text_of(refused)
    assert client.post(url, {"action": "letter",
                             "lines": [ln.pk for ln in lines]}).status_code == 302
    assert {ln.lettering_code for ln in EntryLine.objects.filter(account__number="411")} == {"A"}
    assert "Délettrer A" in text_of(client.get(url))
    assert client.post(url, {"action": "unletter", "code": "A"}).status_code == 302
    assert client.post(url, {"action": "by_reference"}).status_code == 302
    codes = {ln.lettering_code for ln in EntryLine.objects.filter(account__number="411")}
    assert len(codes) == 1
    assert "" not in codes


def test_closing_through_the_wizard_then_allocating_the_result(
        books: Year, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of("closing", books)
    early = words_of(client.get(url))
    assert "✗ L'exercice est terminé — non" in early
    services.delete_draft(actor=books.ledger.keeper, entry=books.draft, today=TODAY)
    monkeypatch.setattr(dates, "local_today", lambda: AFTER_YEAR_END)
    page = text_of(client.get(url))
    assert "✗" not in page
    assert "1\u202f200,00" in page
    assert "J'ai compris qu'un exercice clôturé ne se rouvre pas" in page
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 400
    assert books.year.is_open
    response = client.post(url, {"understood": "on"})
    assert response.status_code == 302
    books.year.refresh_from_db()
    assert not books.year.is_open
    assert books.year.result == Decimal("1200.00")
    following = FiscalYear.objects.get(structure=books.structure, starts_on=dt.date(2027, 1, 1))
    assert response["Location"] == reverse("ledger:allocate_result", args=[following.pk])
    allocate = response["Location"]
    assert "1\u202f200,00" in text_of(client.get(allocate))
    wrong = client.post(allocate, {
        "date": "2027-03-01", "allocations-TOTAL_FORMS": "2", "allocations-INITIAL_FORMS": "0",
        "allocations-0-account": "1068", "allocations-0-amount": "1000"})
    assert wrong.status_code == 400
    assert "exactement" in text_of(wrong)
    assert client.post(allocate, {
        "date": "2027-03-01", "allocations-TOTAL_FORMS": "2", "allocations-INITIAL_FORMS": "0",
        "allocations-0-account": "1068", "allocations-0-amount": "1000",
        "allocations-1-account": "110", "allocations-1-amount": "200,00"}).status_code == 302
    assert closing.pending_result(following) == 0


# --- Reports in HTML, CSV and PDF ----------------------------------------------------------


def pdf_text(response: Any) -> str:
    data = body(response)
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_trial_balance_in_html_csv_and_pdf_says_the_same_figures(
        books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    url = url_of("trial_balance", books)
    page = text_of(client.get(url))
    assert "Provisoire — exercice en cours" in page
    assert "Prestations de services" in page
    assert "1\u202f440,00" in page
    csv_response = client.get(url, {"format": "csv"})
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert "provisoire" in csv_response["Content-Disposition"]
    data = body(csv_response)
    assert data.startswith("\ufeff".encode())
    rows = [row.split(";") for row in data.decode("utf-8-sig").splitlines()]
    assert rows[0][-1] == "Provisoire — exercice en cours"
    assert ["706", "Prestations de services", "0,00", "1200,00", "0,00", "1200,00"] in rows
    assert ["", "Total", "2880,00", "2880,00", "1440,00", "1440,00"] in rows
    text = pdf_text(client.get(url, {"format": "pdf"}))
    assert "Prestations de services" in text
    assert "Provisoire" in text
    assert "1 200,00" in text.replace("\u202f", " ")


def test_the_bilan_and_the_compte_de_resultat_show_the_official_layout(
        books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    bilan = text_of(client.get(url_of("balance_sheet", books)))
    for heading in ("Actif", "Passif", "Disponibilités", "Total Actif circulant",
                    "Résultat de l'exercice"):
        assert heading in bilan, heading
    assert "1\u202f440,00" in bilan  # the bank
    rows = body(client.get(url_of("balance_sheet", books), {"format": "csv"})).decode(
        "utf-8-sig")
    assert "Disponibilités;1440,00;" in rows
    text = pdf_text(client.get(url_of("balance_sheet", books), {"format": "pdf"}))
    assert "Disponibilités" in text
    assert "Provisoire" in text
    result = text_of(client.get(url_of("income_statement", books)))
    assert "Charges" in result
    assert "Produits" in result
    assert "1\u202f200,00" in result


def test_a_closed_year_statement_shows_last_year_in_a_second_column(
        books: Year, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    services.delete_draft(actor=books.ledger.keeper, entry=books.draft, today=TODAY)
    closing.close_fiscal_year(actor=books.ledger.keeper, year=books.year, today=AFTER_YEAR_END)
    monkeypatch.setattr(dates, "local_today", lambda: AFTER_YEAR_END)
    following = FiscalYear.objects.get(structure=books.structure, starts_on=dt.date(2027, 1, 1))
    logged_in(client, books.ledger.cast, "comptable")
    page = text_of(client.get(reverse("ledger:balance_sheet", args=[following.pk])))
    assert "Exercice 2027" in page
    assert "Exercice 2026" in page
    closed = text_of(client.get(url_of("trial_balance", books)))
    assert "Provisoire" not in closed


def test_the_ledgers_and_balances_show_their_lines(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    journal = text_of(client.get(url_of("journal", books), {"journal": "VT"}))
    assert "VT000001" in journal
    assert "Atelier couture" in journal
    ledger = text_of(client.get(url_of("general_ledger", books), {"compte": "411"}))
    assert "Règlement mairie" in ledger
    assert "0,00" in ledger
    ledger_csv = body(client.get(url_of("general_ledger", books), {"format": "csv"}))
    assert "411;Clients;01/02/2026;VT000001;F2026-001;Atelier couture;1440,00;0,00;1440,00" in (
        ledger_csv.decode("utf-8-sig"))
    clients = text_of(client.get(url_of("auxiliary", books), {"type": "clients"}))
    assert "C0042" in clients
    assert "Mairie de Roubaix" in clients
    analytic = text_of(client.get(url_of("analytic", books)))
    assert "T-0001" in analytic
    assert "1\u202f200,00" in analytic
    assert client.get(url_of("auxiliary", books), {"type": "autres"}).status_code == 404


# --- Exports and the FEC import ------------------------------------------------------------


@pytest.mark.parametrize("separator", ["tab", "pipe"])
def test_the_downloaded_fec_passes_the_checker(books: Year, client: Client,
                                              separator: str) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    response = client.get(url_of("fec_export", books), {"separateur": separator})
    assert response.streaming
    name = response["Content-Disposition"].split('filename="')[1].rstrip('"')
    data = body(response)
    # The name of a provisional FEC says so ("-provisoire"), which the official naming rule
    # refuses on purpose; the content is checked under the name it will bear once closed.
    report = fec.check_fec(data, name.replace("-provisoire", ""),
                           fiscal_year_start=books.year.starts_on,
                           fiscal_year_end=books.year.last_day)
    assert report.ok, [p.message for p in report.errors]
    assert report.line_count == 5
    assert (b"|" in data.splitlines()[0]) == (separator == "pipe")


def test_hledger_and_beancount_journals_download(books: Year, client: Client) -> None:
    logged_in(client, books.ledger.cast, "comptable")
    assert "PROVISOIRE" in text_of(client.get(url_of("hledger_export", books)))
    assert "Atelier couture" in text_of(client.get(url_of("beancount_export", books)))


def _sample_fec(structure: Any) -> tuple[str, bytes]:
    data = (FEC_SAMPLES / "golden_tab.txt").read_bytes()
    return f"{structure.siren}FEC20261231.txt", data


def test_the_fec_import_page_refuses_a_broken_file_with_line_numbers(
        ledger: Ledger, client: Client) -> None:
    logged_in(client, ledger.cast, "comptable")
    url = reverse("ledger:fec_import", args=[ledger.structure.pk])
    name, data = _sample_fec(ledger.structure)
    lines = data.split(b"\r\n")
    lines[2] = lines[2].replace(b"0,00\t3000,00", b"0,00\t3000.00")
    response = client.post(url, {"file": SimpleUploadedFile(name, b"\r\n".join(lines))})
    assert response.status_code == 400
    page = text_of(response)
    assert "Rien n'a été importé" in page
    assert "Ligne 3" in page
    assert not Entry.objects.filter(structure=ledger.structure).exists()
    accepted = client.post(url, {"file": SimpleUploadedFile(name, data)})
    assert accepted.status_code == 302
    assert Entry.objects.filter(structure=ledger.structure, status="validated").exists()
    assert "déjà des écritures" in text_of(client.get(url))


def test_the_association_compte_de_resultat_shows_its_contributions_volontaires_en_nature(
        cast: Cast, client: Client) -> None:
    keeper = cast.user("comptable")
    give_role(cast.comptable, RoleKind.COMPTABLE, cast.other_structure,
              starts_on=dt.date(2026, 1, 5))
    forget_reach(keeper)
    services.open_books(actor=keeper, structure=cast.other_structure,
                        first_year_starts_on=dt.date(2026, 1, 1),
                        first_year_ends_on=dt.date(2027, 1, 1), today=TODAY)
    services.create_entry(
        actor=keeper, structure=cast.other_structure, today=TODAY, validate=True,
        journal=cast.other_structure.journals.get(code="OD"), date=dt.date(2026, 6, 1),
        label="Bénévolat de juin", lines=[LineInput("864", debit="300"),
                                          LineInput("875", credit="300")])
    year = FiscalYear.objects.get(structure=cast.other_structure)
    logged_in(client, cast, "comptable")
    page = words_of(client.get(reverse("ledger:income_statement", args=[year.pk])))
    assert "Contributions volontaires en nature" in page
    assert "Bénévolat 300,00" in page
    assert "Personnel bénévole 300,00" in page


def test_the_fec_import_refuses_a_file_over_the_size_limit(
        ledger: Ledger, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_forms, "FEC_MAX_BYTES", 100)
    logged_in(client, ledger.cast, "comptable")
    name, data = _sample_fec(ledger.structure)
    response = client.post(reverse("ledger:fec_import", args=[ledger.structure.pk]),
                           {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 400
    assert "Le fichier dépasse 200 Mo." in text_of(response)
    assert not Entry.objects.filter(structure=ledger.structure).exists()
