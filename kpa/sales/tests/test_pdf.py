"""What the customer reads: the mentions the law requires are printed (read back with pypdf),
a draft is marked as such and carries nothing machine-readable, a quote asks for the customer's
agreement."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from django.utils import translation
from pypdf import PdfReader

from conftest import TODAY
from kpa.sales.mentions import FRANCHISE_WORDING, RECOVERY_INDEMNITY, mentions_for
from kpa.sales.models import Invoice, Quote, QuoteLine
from kpa.sales.pdf import invoice_pdf, quote_pdf
from kpa.sales.tests.test_facturx import (
    b2b_services,
    b2c,
    credit_note,
    final_after_deposit,
    franchise,
    mentions_of,
    selling_settings,
)


def read(pdf: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    # Figures are grouped with narrow no-break spaces and glued to "€" with no-break ones; a
    # long title may wrap: compare words, whatever separates them.
    return " ".join(text.split()), reader


def issued(shop: Any, invoice: Invoice) -> tuple[str, PdfReader]:
    return read(invoice_pdf(invoice, list(invoice.lines.all()), mentions_of(shop, invoice)))


def test_a_business_invoice_prints_every_mention_the_law_asks_for(shop):
    invoice = b2b_services(shop).invoice
    cae, company = shop.cast.cae, shop.company

    text, reader = issued(shop, invoice)

    for expected in [
        "Facture n° 2026-00001", "Date d'émission 28/11/2026",
        "Date de la vente ou de la prestation 20/11/2026", "Échéance 28/12/2026",
        "Prestation de services", "BC-2026-42",
        cae.name, f"SIREN {cae.siren}", f"SIRET {cae.siret}", "SCOP SARL à capital variable",
        company.name, f"SIREN {company.siren}", company.vat_number,
        "Retouche d'ourlet", "Atelier couture", "3,5", "12,50 €", "20 %",
        "Total HT 172,50 €", "Total TVA 34,50 €", "207,00 €",
        "Paiement à réception, au plus tard le 28/12/2026.",
        "Pénalités de retard", RECOVERY_INDEMNITY, "Pas d'escompte",
        "entrepreneur·e en CAPE au sein de", "Couture Awa", "FR76 3000 6000 0112 3456 7890 189",
    ]:
        assert expected in text, expected
    assert "BROUILLON" not in text
    assert list(reader.attachments) == ["factur-x.xml"]


def test_a_private_customer_is_not_promised_the_40_euro_indemnity(shop):
    invoice = b2c(shop).invoice

    text, _reader = issued(shop, invoice)

    assert "Jeanne Martin" in text
    assert "Livraison de biens" in text
    assert "40 €" not in text
    assert "frais de recouvrement" not in text
    assert "216,00 €" in text


def test_under_the_franchise_the_invoice_says_vat_does_not_apply(shop):
    invoice = franchise(shop).invoice

    text, _reader = issued(shop, invoice)

    assert FRANCHISE_WORDING in text
    assert "Total TVA" not in text
    assert "0 %" not in text  # no VAT column: there is no rate, not a zero rate
    assert "Net à payer 87,30 €" in text
    assert "Biens et services" in text


def test_a_credit_note_names_the_invoice_it_corrects(shop):
    note = credit_note(shop).invoice

    text, reader = issued(shop, note)

    assert "Avoir n° AV2026-00001 corrigeant la facture n° 2026-00001 du 02/11/2026" in text
    assert "Montant de l'avoir TTC 15,00 €" in text
    assert "IBAN" not in text
    assert list(reader.attachments) == ["factur-x.xml"]


def test_a_final_invoice_deducts_the_deposits_already_paid(shop):
    invoice = final_after_deposit(shop).invoice

    text, _reader = issued(shop, invoice)

    assert "Acomptes déjà versés \u2212 360,00 €" in text  # a minus sign, not a hyphen
    assert "Net à payer 840,00 €" in text
    assert "facture d'acompte n° 2026-00001 du 28/11/2026" in text


def test_a_draft_is_stamped_has_no_number_and_carries_no_xml(shop):
    selling_settings(shop.cast.cae)
    draft = Invoice.objects.create(structure=shop.cast.cae, activity=shop.activity,
                                   customer=shop.company, created_by=shop.seller)
    draft.lines.create(position=1, description="Retouche d'ourlet", quantity=2,
                       unit_price="12.50", vat_rate="20.00")
    mentions = mentions_for(draft, on=TODAY, seller=shop.cast.cooperant)

    with translation.override("en"):  # drafted from a page in English: still in French
        text, reader = read(invoice_pdf(draft, list(draft.lines.all()), mentions, draft=True))

    assert "BROUILLON — sans valeur" in text
    assert "attribué à l'émission" in text
    assert "Facture n°" not in text
    assert "CLIENT" in text  # the label is in capitals
    assert "CUSTOMER" not in text
    assert reader.attachments == {}
    assert "/AF" not in reader.root_object


def test_a_quote_shows_its_validity_and_asks_for_the_customers_agreement(shop):
    selling_settings(shop.cast.cae)
    quote = Quote.objects.create(structure=shop.cast.cae, activity=shop.activity,
                                 customer=shop.company, created_by=shop.seller,
                                 number="D2026-00007", sent_on=TODAY,
                                 valid_until=TODAY + dt.timedelta(days=30),
                                 title="Rideaux de la salle des fêtes")
    QuoteLine.objects.create(quote=quote, position=1, description="Confection de rideaux",
                             quantity=10, unit="hour", unit_price="40.00", vat_rate="20.00")
    mentions = mentions_for(quote, on=TODAY, seller=shop.cast.cooperant)

    text, reader = read(quote_pdf(quote, list(quote.lines.all()), mentions))

    for expected in ["Devis n° D2026-00007", "Valable jusqu'au 28/12/2026", "Bon pour accord",
                     "Rideaux de la salle des fêtes", "Total TTC 480,00 €",
                     "entrepreneur·e en CAPE au sein de", "Couture Awa"]:
        assert expected in text, expected
    assert reader.attachments == {}
