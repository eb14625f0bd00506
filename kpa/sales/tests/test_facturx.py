"""The Factur-X XML and PDF, judged by rules we did not write: the official XSD, the EN 16931
and French BR-FR schematrons (run offline with saxonche) and the PDF/A-3 container markers.

Each scenario builds an invoice straight in the tables (the issuing service has its own tests)
and must pass with zero failed assertions and both SVRL reports really produced. The last
tests prove the oracle can fail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree  # type: ignore[import-untyped]
from stdnum.fr import tva

from conftest import TODAY
from kpa.directory.models import Structure
from kpa.sales import checks, totals
from kpa.sales.facturx import UNIT_CODES, facturx_pdf, invoice_xml
from kpa.sales.mentions import FRANCHISE_WORDING, mentions_for
from kpa.sales.models import (
    CatalogItem,
    Customer,
    Invoice,
    InvoiceLine,
    OperationCategory,
    Quote,
    SalesSettings,
)
from kpa.sales.pdf import invoice_pdf

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
TEST_IBAN = "FR7630006000011234567890189"

# (description, quantity, unit, unit price, VAT rate, is a service)
LineSpec = tuple[str, str, str, str, str, bool]


def french_vat_number(siren: str) -> str:
    number = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    assert tva.is_valid(number)
    return number


def selling_settings(structure: Structure, *, vat_number: bool = True) -> SalesSettings:
    return SalesSettings.objects.create(
        structure=structure, iban=TEST_IBAN,
        vat_number=french_vat_number(structure.siren) if vat_number else "",
        legal_form_text="SCOP SARL à capital variable, RCS Lille Métropole")


def make_invoice(shop: Any, *, customer: Customer, specs: list[LineSpec],
                 number: str = "2026-00001", kind: str = Invoice.Kind.INVOICE,
                 category: str = OperationCategory.SERVICES, **fields: Any) -> Invoice:
    # Lines first, then the issued state: on PostgreSQL an issued document takes no new line.
    invoice = Invoice.objects.create(
        structure=shop.cast.cae, activity=shop.activity, customer=customer,
        created_by=shop.seller, kind=kind, operation_category=category,
        issued_on=fields.pop("issued_on", TODAY),
        due_on=None if kind == Invoice.Kind.CREDIT_NOTE else TODAY + dt.timedelta(days=30),
        **fields)
    for position, (description, quantity, unit, price, rate, service) in enumerate(specs, 1):
        InvoiceLine.objects.create(invoice=invoice, position=position, description=description,
                                   quantity=Decimal(quantity), unit=unit,
                                   unit_price=Decimal(price), vat_rate=rate, is_service=service)
    amounts = totals.compute(invoice.lines.all())
    invoice.total_excl_vat = amounts.excl_vat
    invoice.total_vat = amounts.vat
    invoice.total_incl_vat = amounts.incl_vat
    invoice.status, invoice.number = Invoice.Status.ISSUED, number
    invoice.save()
    return invoice


def mentions_of(shop: Any, invoice: Invoice) -> dict[str, Any]:
    return mentions_for(invoice, on=TODAY, seller=shop.cast.cooperant)


@dataclass
class Scenario:
    invoice: Invoice
    type_code: str
    business_process: str
    buyer_treatment: str


SERVICES_20: list[LineSpec] = [
    ("Retouche d'ourlet", "4", CatalogItem.Unit.PIECE, "12.50", "20.00", True),
    ("Atelier couture", "3.5", CatalogItem.Unit.HOUR, "35.00", "20.00", True),
]


def b2b_services(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    invoice = make_invoice(shop, customer=shop.company, specs=SERVICES_20,
                           purchase_order="BC-2026-42", service_date=dt.date(2026, 11, 20))
    return Scenario(invoice, "380", "S1", "B2B")


def mixed_two_rates(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    # 3.333 * 3.33 = 11.09889, 3.333 * 0.99 = 3.29967…: every line net and each rate's VAT
    # rounds, and the totals must be sums of the rounded figures (BR-CO-10, -13, -17).
    specs: list[LineSpec] = [
        ("Coupon de lin", "3.333", CatalogItem.Unit.METRE, "3.33", "20.00", False),
        ("Fil de coton", "3.333", CatalogItem.Unit.KILOGRAM, "0.99", "5.50", False),
        ("Repas de l'atelier", "3.333", CatalogItem.Unit.PIECE, "7.77", "5.50", False),
        ("Pose", "1", CatalogItem.Unit.LUMP_SUM, "19.99", "20.00", True),
        ("Journée de formation", "0.5", CatalogItem.Unit.DAY, "333.33", "20.00", True),
    ]
    invoice = make_invoice(shop, customer=shop.company, specs=specs,
                           category=OperationCategory.MIXED,
                           delivery_address="Entrepôt municipal, 5 rue de l'Espérance, Roubaix")
    return Scenario(invoice, "380", "M1", "B2B")


def b2c(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    invoice = make_invoice(shop, customer=shop.person_customer, specs=[
        ("Robe sur mesure", "1", CatalogItem.Unit.PIECE, "180.00", "20.00", False)],
        category=OperationCategory.GOODS)
    return Scenario(invoice, "380", "B1", "B2C")


def franchise(shop: Any) -> Scenario:
    shop.cast.cae.vat_regime = Structure.VatRegime.FRANCHISE
    shop.cast.cae.save()
    # Under the franchise the structure often has no VAT number at all.
    selling_settings(shop.cast.cae, vat_number=False)
    invoice = make_invoice(shop, customer=shop.company, specs=[
        ("Retouche d'ourlet", "3", CatalogItem.Unit.PIECE, "12.50", "0.00", True),
        ("Housse de coussin", "2", CatalogItem.Unit.PIECE, "24.90", "0.00", False)],
        category=OperationCategory.MIXED)
    return Scenario(invoice, "380", "M1", "B2B")


def credit_note(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    corrected = make_invoice(shop, customer=shop.company, specs=SERVICES_20,
                             issued_on=dt.date(2026, 11, 2))
    note = make_invoice(shop, customer=shop.company, number="AV2026-00001",
                        kind=Invoice.Kind.CREDIT_NOTE, credited_invoice=corrected, specs=[
                            ("Retouche d'ourlet (non réalisée)", "1", CatalogItem.Unit.PIECE,
                             "12.50", "20.00", True)])
    return Scenario(note, "381", "S1", "B2B")


def deposit(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    invoice = make_invoice(shop, customer=shop.company, kind=Invoice.Kind.DEPOSIT, specs=[
        ("Acompte de 30 % sur le devis D2026-00001", "1", CatalogItem.Unit.LUMP_SUM,
         "300.00", "20.00", True)])
    return Scenario(invoice, "386", "S1", "B2B")


def final_after_deposit(shop: Any) -> Scenario:
    selling_settings(shop.cast.cae)
    quote = Quote.objects.create(structure=shop.cast.cae, activity=shop.activity,
                                 customer=shop.company, created_by=shop.seller,
                                 number="D2026-00001", status=Quote.Status.ACCEPTED)
    paid = make_invoice(shop, customer=shop.company, kind=Invoice.Kind.DEPOSIT, quote=quote,
                        specs=[("Acompte", "1", CatalogItem.Unit.LUMP_SUM, "300.00", "20.00",
                                True)])
    final = make_invoice(shop, customer=shop.company, number="2026-00002", quote=quote,
                         prepaid_amount=paid.total_incl_vat, specs=[
                             ("Confection de rideaux", "10", CatalogItem.Unit.HOUR, "100.00",
                              "20.00", True)])
    return Scenario(final, "380", "S4", "B2B")


SCENARIOS: dict[str, Callable[[Any], Scenario]] = {
    "b2b-services-20": b2b_services, "mixed-two-rates": mixed_two_rates, "b2c": b2c,
    "franchise": franchise, "credit-note": credit_note, "deposit": deposit,
    "final-after-deposit": final_after_deposit,
}


def text(xml: bytes, path: str) -> list[str]:
    return [e.text or "" for e in etree.fromstring(xml).xpath(path, namespaces=NS)]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_kind_of_document_passes_the_xsd_and_both_schematrons(shop, name):
    scenario = SCENARIOS[name](shop)
    invoice = scenario.invoice
    lines = list(invoice.lines.all())
    pdf = invoice_pdf(invoice, lines, mentions_of(shop, invoice))

    report = checks.check_facturx_pdf(pdf)

    assert report.xsd_ok
    assert report.reports_produced == 2
    assert report.failures == []
    assert report.ok
    _name, xml = checks_xml(pdf)
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == [scenario.type_code]
    assert text(xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == [
        scenario.business_process]
    assert scenario.buyer_treatment in text(
        xml, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content")
    expected = totals.compute(lines)
    summed = checks.totals_in(xml)
    assert summed["TaxBasisTotalAmount"] == f"{expected.excl_vat:.2f}"
    assert summed["TaxTotalAmount"] == f"{expected.vat:.2f}"
    assert summed["GrandTotalAmount"] == f"{expected.incl_vat:.2f}"
    assert summed["DuePayableAmount"] == f"{expected.incl_vat - invoice.prepaid_amount:.2f}"


def checks_xml(pdf: bytes) -> tuple[str, bytes]:
    from facturx import get_facturx_xml_from_pdf  # type: ignore[import-untyped]

    name, xml = get_facturx_xml_from_pdf(pdf, check_xsd=False)
    assert name == "factur-x.xml"
    return name, xml


def test_a_mixed_invoice_rounds_each_line_and_each_rate_once(shop):
    invoice = mixed_two_rates(shop).invoice
    xml = invoice_xml(invoice, list(invoice.lines.all()), mentions_of(shop, invoice))

    assert text(xml, "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount") \
        == ["11.10", "3.30", "25.90", "19.99", "166.67"]
    breakdown = etree.fromstring(xml).xpath(
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    by_rate = {t.findtext("ram:RateApplicablePercent", namespaces=NS):
               (t.findtext("ram:BasisAmount", namespaces=NS),
                t.findtext("ram:CalculatedAmount", namespaces=NS)) for t in breakdown}
    # 20 %: 11.10 + 19.99 + 166.67 = 197.76 → 39.552 → 39.55; 5.5 %: 29.20 → 1.606 → 1.61.
    assert by_rate == {"20.00": ("197.76", "39.55"), "5.50": ("29.20", "1.61")}
    assert checks.check_facturx_xml(xml).ok


def test_the_franchise_is_vat_category_e_with_the_293_b_reason(shop):
    invoice = franchise(shop).invoice
    xml = invoice_xml(invoice, list(invoice.lines.all()), mentions_of(shop, invoice))

    assert set(text(xml, "//ram:CategoryCode")) == {"E"}
    assert text(xml, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                     "ram:ExemptionReason") == [FRANCHISE_WORDING]
    assert text(xml, "//ram:ExemptionReasonCode") == ["VATEX-FR-FRANCHISE"]
    # No VAT number: the SIREN as tax registration (BR-E-02).
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == [
        shop.cast.cae.siren]


def test_a_private_customer_gets_no_indemnity_and_no_invented_address(shop):
    invoice = b2c(shop).invoice
    xml = invoice_xml(invoice, list(invoice.lines.all()), mentions_of(shop, invoice))

    pmt = text(xml, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content")
    assert len(pmt) == 1
    assert "sans objet" in pmt[0]
    assert "40" not in pmt[0]
    assert text(xml, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == []
    # The seller's own directory address, never one made up for the customer.
    assert text(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID") == [
        shop.cast.cae.siren]


def test_a_credit_note_points_to_the_invoice_it_corrects(shop):
    note = credit_note(shop).invoice
    xml = invoice_xml(note, list(note.lines.all()), mentions_of(shop, note))

    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ["2026-00001"]
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/*") == [
        "20261102"]
    # The seller's IBAN is no way to pay back a credit note.
    assert text(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == []


def test_every_unit_of_the_catalogue_has_a_un_ece_code():
    assert set(UNIT_CODES) == set(CatalogItem.Unit)


def test_the_oracle_catches_a_total_that_does_not_add_up(shop):
    invoice = b2b_services(shop).invoice
    xml = invoice_xml(invoice, list(invoice.lines.all()), mentions_of(shop, invoice))
    root = etree.fromstring(xml)
    grand = root.xpath("//ram:GrandTotalAmount", namespaces=NS)[0]
    grand.text = str(Decimal(grand.text) + Decimal("10.00"))

    report = checks.check_facturx_xml(etree.tostring(root, xml_declaration=True,
                                                     encoding="UTF-8"))

    assert report.xsd_ok  # still well-formed and schema-valid: only the rules see it
    assert report.reports_produced == 2
    assert {"BR-CO-15", "BR-CO-16"} & set(report.ids())
    assert not report.ok


def test_the_oracle_catches_a_seller_without_siren(shop):
    invoice = b2b_services(shop).invoice
    mentions = mentions_of(shop, invoice)
    mentions["seller"]["siren"] = ""

    report = checks.check_facturx_xml(invoice_xml(invoice, list(invoice.lines.all()), mentions))

    assert any(rule.startswith("BR-FR-10") for rule in report.ids())
    assert not report.ok


def test_the_oracle_refuses_a_pdf_whose_xml_is_not_declared_as_factur_x(shop):
    invoice = b2b_services(shop).invoice
    lines = list(invoice.lines.all())
    xml = invoice_xml(invoice, lines, mentions_of(shop, invoice))
    draft = invoice_pdf(invoice, lines, mentions_of(shop, invoice), draft=True)

    report = checks.check_facturx_pdf(draft)
    assert not report.ok
    assert any(failure.startswith("PDF-EMBED") for failure in report.failures)
    # The same XML embedded in a PDF that is not PDF/A: the container check says so.
    report = checks.check_facturx_pdf(facturx_pdf(draft, xml))
    assert report.failures
    assert all(f.startswith("PDF-") for f in report.failures)


def test_the_oracle_catches_a_taxable_seller_without_vat_number(shop):
    # The structure charges VAT, yet its VAT number is missing from the mentions.
    invoice = make_invoice(shop, customer=shop.company, specs=SERVICES_20)
    mentions = mentions_of(shop, invoice)
    mentions["seller"]["vat_number"] = ""

    report = checks.check_facturx_xml(invoice_xml(invoice, list(invoice.lines.all()), mentions))

    assert "BR-S-02" in report.ids()
    assert report.reports_produced == 2
