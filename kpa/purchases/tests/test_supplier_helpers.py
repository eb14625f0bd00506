"""Shared by the supplier tests (no test here): supplier invoices as a supplier's software
would send them. factur-x itself writes the XML (and checks it against the official XSD) and
embeds it in a PDF; MINIMUM, which factur-x does not write, is typed from the specification.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from facturx import generate_cii_xml, generate_from_binary  # type: ignore[import-untyped]
from pypdf import PdfWriter

from kpa.purchases import suppliers
from kpa.purchases.models import SupplierInvoice
from kpa.sales.tests.conftest import Shop

SUPPLIER_SIREN = "732829320"
SUPPLIER_VAT = "FR44732829320"
SUPPLIER_NAME = "Tissus du Nord"
ISSUED_ON = dt.date(2026, 11, 3)

# (description, net amount excl. VAT, VAT rate)
Spec = tuple[str, str, str]
FABRIC: list[Spec] = [("Coupon de wax 6 yards", "100.00", "20.00"),
                      ("Fil à coudre", "10.00", "5.50")]


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _groups(specs: list[Spec]) -> dict[Decimal, Decimal]:
    groups: dict[Decimal, Decimal] = {}
    for _name, net, rate in specs:
        groups[Decimal(rate)] = groups.get(Decimal(rate), Decimal("0")) + Decimal(net)
    return groups


def supplier_xml(specs: list[Spec] = FABRIC, *, level: str = "en16931",
                 number: str = "F-2026-077", issued_on: dt.date = ISSUED_ON,
                 siren: str = SUPPLIER_SIREN, name: str = SUPPLIER_NAME,
                 type_code: str = "380", currency: str = "EUR",
                 allowance: str | None = None) -> bytes:
    """A supplier's CII XML; `allowance` adds a document-level discount on the 20 % rate."""
    groups = _groups(specs)
    if allowance:
        groups[Decimal("20.00")] -= Decimal(allowance)
    vats = {rate: (base * rate / 100).quantize(Decimal("0.01")) for rate, base in groups.items()}
    lines_total = sum((Decimal(net) for _n, net, _r in specs), Decimal("0"))
    excl = sum(groups.values(), Decimal("0"))
    tax = sum(vats.values(), Decimal("0"))
    data: dict[str, Any] = {
        "BT-1": number, "BT-2": issued_on, "BT-3": type_code, "BT-5": currency,
        "BT-72": issued_on, "BT-9": issued_on + dt.timedelta(days=30),
        "BG-4": {"name": name, "legal_identifier": siren, "legal_identifier_schemeid": "0002",
                 "vat_identifier": SUPPLIER_VAT, "country_code": "FR", "postcode": "59100",
                 "city": "Roubaix", "addr_l1": "12 rue de l'Épeule",
                 "contacts": [{"email": "compta@tissus-du-nord.test"}]},
        "BG-7": {"name": "CAE Zorglub", "country_code": "FR"},
        "BG-23": [{"BT-116": f"{base:.2f}", "BT-117": f"{vats[rate]:.2f}", "BT-118": "S",
                   "BT-119": f"{rate:.2f}"} for rate, base in groups.items()],
        "BT-106": f"{lines_total:.2f}", "BT-109": f"{excl:.2f}", "BT-110": f"{tax:.2f}",
        "BT-112": f"{excl + tax:.2f}", "BT-115": f"{excl + tax:.2f}",
    }
    if allowance:
        data["BT-107"] = allowance
        data["BG-20"] = [{"amount": allowance, "vat_category_code": "S", "vat_rate": "20.00",
                          "reason": "Remise fidélité"}]
    if level != "basicwl":
        data["BG-25"] = [{"BT-126": str(i), "BT-153": desc, "BT-129": "1", "BT-130": "C62",
                          "BT-146": net, "BT-131": net, "BT-151": "S", "BT-152": rate}
                         for i, (desc, net, rate) in enumerate(specs, start=1)]
    xml: bytes = generate_cii_xml(data, level=level, check_xsd=True, check_schematron=False)
    return xml


def minimum_xml(*, excl: str = "110.00", tax: str = "20.55", incl: str = "130.55") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
 xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
 xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
 <rsm:ExchangedDocumentContext>
  <ram:GuidelineSpecifiedDocumentContextParameter>
   <ram:ID>urn:factur-x.eu:1p0:minimum</ram:ID>
  </ram:GuidelineSpecifiedDocumentContextParameter>
 </rsm:ExchangedDocumentContext>
 <rsm:ExchangedDocument>
  <ram:ID>M-12</ram:ID>
  <ram:TypeCode>380</ram:TypeCode>
  <ram:IssueDateTime>
   <udt:DateTimeString format="102">20261102</udt:DateTimeString>
  </ram:IssueDateTime>
 </rsm:ExchangedDocument>
 <rsm:SupplyChainTradeTransaction>
  <ram:ApplicableHeaderTradeAgreement>
   <ram:SellerTradeParty>
    <ram:Name>Mercerie Minimum</ram:Name>
    <ram:SpecifiedLegalOrganization>
     <ram:ID schemeID="0002">{SUPPLIER_SIREN}</ram:ID>
    </ram:SpecifiedLegalOrganization>
    <ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID></ram:PostalTradeAddress>
   </ram:SellerTradeParty>
   <ram:BuyerTradeParty><ram:Name>CAE Zorglub</ram:Name></ram:BuyerTradeParty>
  </ram:ApplicableHeaderTradeAgreement>
  <ram:ApplicableHeaderTradeDelivery/>
  <ram:ApplicableHeaderTradeSettlement>
   <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
   <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    <ram:TaxBasisTotalAmount>{excl}</ram:TaxBasisTotalAmount>
    <ram:TaxTotalAmount currencyID="EUR">{tax}</ram:TaxTotalAmount>
    <ram:GrandTotalAmount>{incl}</ram:GrandTotalAmount>
    <ram:DuePayableAmount>{incl}</ram:DuePayableAmount>
   </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
  </ram:ApplicableHeaderTradeSettlement>
 </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
""".encode()


def pdf_with(xml: bytes, *, level: str = "en16931") -> bytes:
    """A PDF carrying `xml` as factur-x.xml, embedded by factur-x without judging it (so that
    a tampered XML can be embedded too)."""
    result: bytes = generate_from_binary(blank_pdf(), xml, flavor="factur-x", level=level,
                                         check_xsd=False)
    return result


def supplier_pdf(specs: list[Spec] = FABRIC, **kwargs: Any) -> bytes:
    level = kwargs.get("level", "en16931")
    return pdf_with(supplier_xml(specs, **kwargs), level=level)


def uploaded(shop: Shop, pdf: bytes | None = None, *, by: str = "cooperant",
             activity: Any = "shop", **kwargs: Any) -> SupplierInvoice:
    """A draft uploaded for the coopérant's individual activity (or `activity`)."""
    return suppliers.upload_supplier_invoice(
        actor=shop.cast.user(by), structure=shop.cast.cae, pdf=pdf or supplier_pdf(),
        file_name="facture.pdf", activity=shop.activity if activity == "shop" else activity,
        today=shop.today, **kwargs)


def posted(shop: Shop, pdf: bytes | None = None, **kwargs: Any) -> SupplierInvoice:
    invoice = uploaded(shop, pdf, **kwargs)
    return suppliers.post_supplier_invoice(actor=shop.manager, invoice=invoice,
                                           today=shop.today)
