"""Issue 5's "Done when", in a real browser: a coopérant writes a quote on a phone, the
customer accepts it through the private link of the e-mail, the coopérant turns it into an
invoice and asks for its validation, the gestionnaire validates and issues it, the customer
receives it by e-mail as a Factur-X PDF that the official checks accept, the payment is
recorded, and the books show the sale on the coopérant's treasury account.

Run alone with `KPA_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_selling_journey.py`;
screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from kpa.core.models import AuditEvent
from kpa.ledger.models import EntryLine, FiscalYear
from kpa.sales.checks import check_facturx_pdf
from kpa.sales.models import Invoice, Quote
from kpa.sales.tests.conftest import build_shop
from tests.browser.conftest import Cast, field, log_in, no_sideways_scroll

pytestmark = pytest.mark.browser

PHONE = 360


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"selling-{name}.png"), full_page=True)


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")


def test_a_quote_written_on_a_phone_ends_paid_in_the_books(
        page: Any, browser: Any, live_server: Any, browser_cast: Cast,
        screenshots: Path) -> None:
    shop = build_shop(browser_cast)

    # 1. The coopérant, on a phone, writes the quote from the catalogue.
    page.set_viewport_size({"width": PHONE, "height": 740})
    log_in(page, "cooperant")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Mes ventes").click()
    page.get_by_role("link", name="Nouveau devis").click()
    field(page, "Activité").select_option(label=f"Couture Awa ({shop.cast.home.name})")
    field(page, "Client").select_option(label="Mairie de Roubaix — Roubaix")
    page.get_by_label("Article du catalogue").first.select_option(
        label="Retouche d'ourlet — 12,50 € HT")
    expect(page.get_by_label("Désignation").first).to_have_value("Retouche d'ourlet")
    page.get_by_label("Quantité").first.fill("10")
    no_sideways_scroll(page, "the quote form")
    shot(page, screenshots, "1-quote-form-phone")
    page.get_by_role("button", name="Enregistrer").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Devis en brouillon")
    page.get_by_role("button", name="Envoyer au client").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Devis D2026-"))
    no_sideways_scroll(page, "the quote page")
    shot(page, screenshots, "2-quote-sent-phone")
    quote = Quote.objects.get()
    assert quote.total_incl_vat == Decimal("150.00")
    (sent,) = [m for m in mail.outbox if m.to == ["achats@mairie.test"]]
    link = re.search(r"https?://\S+/devis/accepter/\S+/", sent.body)
    assert link is not None, sent.body
    assert sent.attachments[0][2] == "application/pdf"
    log_out(page)

    # 2. The customer accepts through the link, with no account.
    customer = browser.new_context(base_url=live_server.url, locale="fr-FR",
                                   viewport={"width": PHONE, "height": 740})
    try:
        visit = customer.new_page()
        visit.goto(link.group(0).replace("http://127.0.0.1:8000", live_server.url))
        expect(visit.get_by_role("heading", level=1)).to_have_text(f"Devis {quote.number}")
        field(visit, "Nom").fill("Claire Durand, service achats")
        visit.get_by_role("button", name="J'accepte ce devis").click()
        expect(visit.get_by_text("Merci ! Le devis est accepté")).to_be_visible()
        shot(visit, screenshots, "3-quote-accepted-by-customer")
    finally:
        customer.close()

    # 3. The coopérant makes the invoice and asks for its validation.
    log_in(page, "cooperant")
    page.goto(f"/ventes/devis/{quote.pk}/")
    expect(page.get_by_text("Claire Durand, service achats (en ligne)")).to_be_visible()
    page.get_by_role("button", name="Faire la facture", exact=True).click()
    page.get_by_role("button", name="Demander la validation").click()
    expect(page.get_by_text("En attente de validation par la structure")).to_be_visible()
    shot(page, screenshots, "4-invoice-submitted-phone")
    log_out(page)

    # 4. The gestionnaire validates and issues it from the queue; it leaves by e-mail.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "gestionnaire")
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Factures à valider").click()
    page.get_by_role("button", name=re.compile("^Valider et émettre")).click()
    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert invoice.number == "2026-00001"
    page.goto(f"/ventes/factures/{invoice.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Facture 2026-00001")
    shot(page, screenshots, "5-invoice-issued")
    (e_invoice,) = [m for m in mail.outbox if m.to == ["achats@mairie.test"]
                    and m.subject.startswith("Facture 2026-00001")]
    pdf = e_invoice.attachments[0][1]
    assert pdf == bytes(invoice.pdf)
    report = check_facturx_pdf(pdf)
    assert report.reports_produced == 2
    assert report.xsd_ok
    assert report.failures == []

    # 5. The transfer arrives: the gestionnaire records it, the invoice is paid.
    field(page, "Montant reçu (€)").fill("150,00")
    page.get_by_role("radio", name="Virement").check()
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.get_by_text(re.compile(r"Payée le"))).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.paid_on is not None

    # 6. The books show the sale and its payment on the coopérant's treasury account.
    year = FiscalYear.objects.get(structure=shop.cast.cae, starts_on__year=2026)
    page.goto(f"/comptabilite/exercices/{year.pk}/analytique/")
    row = page.get_by_role("row").filter(has_text=shop.cast.cooperant.last_name)
    expect(row).to_contain_text("125,00")  # revenue: 10 x 12,50 HT
    shot(page, screenshots, "6-books-analytic")
    customer_lines = EntryLine.objects.filter(account__number="411",
                                              entry__piece_ref__in=[invoice.number])
    assert customer_lines.exists()
    assert all(ln.lettering_code for ln in EntryLine.objects.filter(account__number="411"))
    assert set(EntryLine.objects.values_list("treasury_account__person", flat=True)) == {
        shop.cast.cooperant.pk}
    assert AuditEvent.objects.filter(action="sales.invoice.issued").count() == 1
