"""The comptable keeps the CAE's books on a 360 px phone: opens them, writes a three-line sale
with the entry form while the balance indicator follows the amounts (htmx, under the strict
CSP), validates it and reads it back in the balance générale.

Run alone with `KPA_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_books_journey.py`;
screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kpa.ledger.models import Entry
from tests.browser.conftest import Cast, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

PHONE = 360


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_the_comptable_writes_a_sale_on_a_phone_and_finds_it_in_the_balance(
        page: Any, browser_cast: Cast, screenshots: Path) -> None:
    page.set_viewport_size({"width": PHONE, "height": 780})
    log_in(page, "comptable")

    page.get_by_role("link", name="Comptabilité", exact=True).click()
    page.get_by_role("link", name=browser_cast.cae.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ouvrir la comptabilité")
    no_sideways_scroll(page, "the opening form")
    page.get_by_role("button", name="Ouvrir la comptabilité").click()
    expect(page.get_by_role("status")).to_contain_text("La comptabilité est ouverte")

    page.get_by_role("link", name="Nouvelle écriture").first.click()
    page.locator("#id_journal").select_option(label="VT Ventes")
    page.locator("#id_piece_ref").fill("F2026-001")
    page.locator("#id_label").fill("Atelier couture — mairie")
    balance = page.locator("#balance")
    expect(balance).to_have_attribute("aria-live", "polite")

    page.locator("#id_lines-0-account").fill("411")
    page.locator("#id_lines-0-debit").fill("120,00")
    expect(balance).to_contain_text("Débit 120,00")
    page.locator("#id_lines-1-account").fill("706")
    page.locator("#id_lines-1-credit").fill("100,00")
    expect(balance).to_contain_text("Écart 20,00")
    expect(balance).to_contain_text("à équilibrer")

    page.get_by_role("button", name="Ajouter une ligne").click()  # htmx swaps the lines in
    third = page.locator("#id_lines-2-account")
    expect(third).to_be_focused()
    expect(page.locator("#id_lines-0-debit")).to_have_value("120,00")
    third.fill("44571")
    page.locator("#id_lines-2-credit").fill("20,00")
    expect(balance).to_contain_text("équilibrée")
    expect(balance).not_to_contain_text("à équilibrer")
    page.screenshot(path=str(screenshots / f"books-entry-form-{PHONE}.png"), full_page=True)
    no_sideways_scroll(page, "the entry form")

    page.get_by_role("button", name="Enregistrer et valider").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Écriture VT000001")
    entry = Entry.objects.get(piece_ref="F2026-001")
    assert entry.is_validated
    assert entry.lines.count() == 3
    no_sideways_scroll(page, "the entry page")

    page.get_by_role("link", name=re.compile(r"^Comptabilité de ")).first.click()
    page.get_by_role("link", name="Balance générale").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Balance générale")
    expect(page.get_by_text("Provisoire — exercice en cours")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Prestations de services")
    expect(row).to_contain_text("100,00")
    expect(page.get_by_role("row").filter(has_text="Clients")).to_contain_text("120,00")
    expect(page.locator("tfoot")).to_contain_text("120,00")
    page.screenshot(path=str(screenshots / f"books-trial-balance-{PHONE}.png"), full_page=True)
    no_sideways_scroll(page, "the balance générale")
