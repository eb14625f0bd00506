"""Issue 6's "Done when", in a real browser: on her phone, a coopérant sells, spends, sees the
contribution taken on her treasury, asks to be paid before the cut-off and sees the
remuneration booked; and the sum of every treasury account (with the structure's own part)
equals what the general ledger says.

The story runs from 20 October to 28 November 2026: the pages' clock (`dates.local_today`)
is set to each step's day, as the services' `today` is. What the structure's staff do (issue,
record the payment, validate and reimburse the claim, run the month's contribution, transmit
the request, export and import the payroll) goes through the same services their pages call,
as their own tests drive those pages.

Run alone with `KPA_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_treasury_journey.py`;
screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kpa.core import dates
from kpa.ledger import reports
from kpa.ledger.models import FiscalYear, TreasuryAccount
from kpa.purchases import expenses
from kpa.purchases.models import ExpenseClaim
from kpa.sales import documents, payments
from kpa.sales.models import Invoice, PaymentMethod
from kpa.sales.tests.conftest import build_shop
from kpa.treasury import balances, contribution, pay, payroll, schemes
from kpa.treasury.models import PayRequest
from kpa.treasury.schemes import BracketInput
from tests.browser.conftest import Cast, field, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

PHONE = 360


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"treasury-{name}.png"), full_page=True)


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name, exact=True).click()


def receipt_photo(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buffer, format="PNG")
    path = tmp_path / "ticket-tissu.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_a_cooperant_sells_spends_and_is_paid_from_her_treasury_on_a_phone(
        page: Any, live_server: Any, browser_cast: Cast, screenshots: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shop = build_shop(browser_cast)
    cast = shop.cast
    clock = {"today": dt.date(2026, 10, 20)}
    monkeypatch.setattr(dates, "local_today", lambda: clock["today"])
    manager, accountant = cast.user("gestionnaire"), cast.user("comptable")
    schemes.create_scheme(
        actor=manager, structure=cast.cae, name="Barème Optéos", starts_on=dt.date(2026, 1, 1),
        brackets=[BracketInput("0", "11.5"), BracketInput("30000", "10.5"),
                  BracketInput("60000", "9.5"), BracketInput("90000", "8.5"),
                  BracketInput("120000", "7.5")], today=clock["today"])
    page.set_viewport_size({"width": PHONE, "height": 740})

    # 1. 20 October: she sells — an invoice from the catalogue, sent for validation.
    log_in(page, "cooperant")
    nav(page, "Mes ventes")
    page.get_by_role("link", name="Nouvelle facture").first.click()
    field(page, "Activité").select_option(label=f"Couture Awa ({cast.home.name})")
    field(page, "Client").select_option(label="Mairie de Roubaix — Roubaix")
    page.wait_for_load_state("networkidle")  # the activity's catalogue comes through htmx
    page.get_by_label("Article du catalogue").first.select_option(
        label="Retouche d'ourlet — 12,50 € HT")
    expect(page.get_by_label("Désignation").first).to_have_value("Retouche d'ourlet")
    page.get_by_label("Quantité").first.fill("40")
    page.get_by_role("button", name="Enregistrer et demander la validation").click()
    expect(page.get_by_text("En attente de validation par la structure")).to_be_visible()
    invoice = Invoice.objects.get()
    assert invoice.total_incl_vat == Decimal("600.00")
    documents.issue_invoice(actor=manager, invoice=invoice, today=clock["today"])
    payments.record_payment(actor=accountant, invoice=invoice, amount="600.00",
                            method=PaymentMethod.TRANSFER, received_on=dt.date(2026, 10, 22),
                            today=dt.date(2026, 10, 22))

    # 2. 24 October: she spends — fabric bought for her work, the ticket photographed.
    clock["today"] = dt.date(2026, 10, 24)
    nav(page, "Mes notes de frais")
    field(page, "Pour quelle activité ?").select_option(label="Couture Awa")
    field(page, "Mois des dépenses").fill("2026-10")
    page.get_by_role("button", name="Commencer la note de frais").click()
    field(page, "Date de la dépense").fill("2026-10-23")
    field(page, "Catégorie").select_option(label="Matières premières (dans ce que je vends)")
    field(page, "Ce que vous avez payé").fill("Tissu wax, 3 mètres")
    field(page, "Montant TTC (€)").fill("36,00")
    field(page, "Dont TVA récupérable (€)").fill("6,00")
    page.get_by_label("Justificatif (photo ou PDF)").set_input_files(str(receipt_photo(tmp_path)))
    page.get_by_role("button", name="Ajouter la dépense").click()
    expect(page.get_by_role("rowheader", name=re.compile("^Tissu wax, 3 mètres"))).to_be_visible()
    no_sideways_scroll(page, "the expense claim")
    shot(page, screenshots, "1-expense-claim-phone")
    page.get_by_role("button", name="Envoyer la note de frais").click()
    claim = ExpenseClaim.objects.get()
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    expenses.validate_claim(actor=manager, claim=claim, today=dt.date(2026, 10, 26))
    expenses.record_reimbursement(actor=accountant, claim=claim, paid_on=dt.date(2026, 10, 28),
                                  today=dt.date(2026, 10, 28))

    # 3. 2 November: October's contribution is taken; she sees it and how it was computed.
    clock["today"] = dt.date(2026, 11, 2)
    contribution.run_month(actor=accountant, structure=cast.cae, month=dt.date(2026, 10, 1),
                           today=clock["today"])
    nav(page, "Ma trésorerie")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ma trésorerie")
    # 500,00 of sales less 30,00 of fabric: 470,00 of gross margin at 11,5 %.
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("470,00")
    expect(facts).to_contain_text("54,05")
    page.get_by_role("link", name="Ma contribution coopérative : le calcul, mois par mois").click()
    page.get_by_role("link", name="octobre 2026").click()
    expect(page.get_by_text(re.compile(r"11,5\s?%")).first).to_be_visible()
    shot(page, screenshots, "2-contribution-phone")

    # 4. 20 November, before the cut-off of the 25th: she asks to be paid.
    clock["today"] = dt.date(2026, 11, 20)
    nav(page, "Ma trésorerie")
    account = TreasuryAccount.objects.get(person=cast.cooperant)
    figures = balances.figures_of(account.pk, cast.cae, today=clock["today"])
    # 600 cashed, 36 reimbursed, 54,05 of contribution; 100 of VAT collected, 6 to recover.
    assert figures.available == Decimal("415.95")
    expect(page.get_by_text(re.compile(r"Disponible : 415,95"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"Tu peux demander jusqu'à .* avant le 25 novembre"))
           ).to_be_visible()
    no_sideways_scroll(page, "Ma trésorerie")
    shot(page, screenshots, "3-my-treasury-phone")
    page.get_by_role("link", name="Demander ma rémunération").first.click()
    field(page, "Montant net que tu demandes (en €)").fill("200")
    page.get_by_role("button", name="Voir le coût et confirmer").click()
    page.get_by_role("button", name=re.compile(r"^Oui, je demande 200,00 € net")).click()
    pay_request = PayRequest.objects.get()
    assert pay_request.month == dt.date(2026, 11, 1)
    assert pay_request.estimated_cost == pay.estimate(Decimal("200.00"), pay.settings_of(
        cast.cae)).cost
    shot(page, screenshots, "4-pay-requested-phone")

    # 5. The référent transmits it; the payroll is exported, done, and its summary imported.
    pay.transmit_pay_request(actor=cast.user("referent"), pay_request=pay_request,
                             today=dt.date(2026, 11, 21))
    payroll.export_month(actor=manager, structure=cast.cae, month=dt.date(2026, 11, 1),
                         today=dt.date(2026, 11, 26))
    summary = (f"id_personne;brut;net;cout_employeur\n"
               f"{cast.cooperant.pk};256,41;200,00;333,33\n").encode()
    payroll.import_summary(actor=manager, structure=cast.cae, month=dt.date(2026, 11, 1),
                           file_name="paie-2026-11.csv", content=summary,
                           today=dt.date(2026, 11, 27))

    # 6. 28 November: she is told, and her treasury shows the remuneration booked.
    clock["today"] = dt.date(2026, 11, 28)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=re.compile("^Notifications")).click()
    expect(page.get_by_text(re.compile(r"Ta rémunération de novembre 2026 est payée"))
           .first).to_be_visible()
    nav(page, "Ma trésorerie")
    expect(page.locator("dl.facts").first).to_contain_text("333,33")
    shot(page, screenshots, "5-remuneration-booked-phone")
    pay_request.refresh_from_db()
    assert pay_request.status == PayRequest.Status.BOOKED
    after = balances.figures_of(account.pk, cast.cae, today=clock["today"])
    assert after.remuneration == Decimal("333.33")
    assert after.available == Decimal("415.95") - Decimal("333.33")

    # 7. Every treasury account plus the structure's own lines equal the general ledger.
    accounts = balances.figures_for(cast.cae, None, today=clock["today"])
    own = balances.structure_figures(cast.cae, today=clock["today"], own_lines_only=True)
    whole = balances.structure_figures(cast.cae, today=clock["today"])
    for name in balances.BUCKET_NAMES:
        split = sum((getattr(f, name) for f in accounts.values()), Decimal("0")) + getattr(
            own, name)
        assert split == getattr(whole, name), name
    # The trial balance, read by the ledger's own report, says the same about the money.
    year = FiscalYear.objects.get(structure=cast.cae, starts_on__year=2026)
    trial = reports.trial_balance(year).balances()
    assert sum(trial.values(), Decimal("0")) == 0
    assert whole.cash == sum((b for n, b in trial.items() if n.startswith("5")), Decimal("0"))
    assert whole.remuneration == sum((b for n, b in trial.items() if n.startswith("64")),
                                     Decimal("0"))
