"""The Factur-X XML of an invoice, a deposit invoice or a credit note (profile EN 16931), and
its embedding in the PDF.

The XML is never written by hand: we fill factur-x's dictionary of EN 16931 business terms
("BT-1", "BG-25"…) and its generator writes the CII, then checks it against the official XSD.
Everything comes from the invoice's rows and its frozen mentions (`kpa.sales.mentions`), so
the XML says what the PDF prints. The amounts are `kpa.sales.totals.compute`'s, the same the
books receive: line nets rounded, VAT once per rate — which is what the BR-CO rules recompute.

The French reform's rules (BR-FR, docs/decisions/0007-factur-x.md) shape a few choices below:
the three payment notes, the BAR note, SIREN and SIRET with their ICD schemes, the electronic
addresses of the annuaire (scheme 0225) and the franchise as VAT category E.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from kpa.core.money import quantize
from kpa.sales.mentions import FRANCHISE_WORDING
from kpa.sales.models import CatalogItem, Invoice, InvoiceLine, OperationCategory
from kpa.sales.totals import compute, line_net

PROFILE = "en16931"
CURRENCY = "EUR"
# The notes, like the printed invoice, are in French whatever the page's language.
LANGUAGE = "fr"

TYPE_CODES = {
    Invoice.Kind.INVOICE: "380",  # commercial invoice
    Invoice.Kind.DEPOSIT: "386",  # prepayment invoice
    Invoice.Kind.CREDIT_NOTE: "381",  # credit note
}

# UN/ECE recommendation 20 (the codes the EN 16931 code list accepts).
UNIT_CODES = {
    CatalogItem.Unit.PIECE: "H87",  # piece
    CatalogItem.Unit.HOUR: "HUR",
    CatalogItem.Unit.DAY: "DAY",
    CatalogItem.Unit.KILOGRAM: "KGM",
    CatalogItem.Unit.METRE: "MTR",
    CatalogItem.Unit.LUMP_SUM: "C62",  # "one": a lump sum is one unit of the service
}

# The letter of BT-23 ("cadre de facturation"), the reform's "catégorie d'opération".
CATEGORY_LETTERS = {
    OperationCategory.GOODS: "B",
    OperationCategory.SERVICES: "S",
    OperationCategory.MIXED: "M",
}

# ISO 6523 ICD schemes and the EAS scheme of the French e-invoicing directory.
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"
ANNUAIRE_SCHEME = "0225"

FRANCHISE_CODE = "VATEX-FR-FRANCHISE"
SEPA_CREDIT_TRANSFER = "58"


def _amount(value: Decimal) -> str:
    return f"{quantize(value):.2f}"


def _quantity(value: Decimal) -> str:
    # At most 4 decimals (BR-FR-DEC-02); ours carry 3.
    return f"{Decimal(value).normalize():f}"


def _rate(value: Decimal | str) -> str:
    # "20.00", "5.50", "0.00": the spellings BR-FR-16 lists.
    return f"{Decimal(value):.2f}"


def business_process(invoice: Invoice) -> str:
    """BT-23: the operation's letter (B goods, S services, M both) and the scenario's digit
    (1 a plain invoice, 4 a final invoice from which deposits are deducted)."""
    letter = CATEGORY_LETTERS[OperationCategory(invoice.operation_category)]
    final_after_deposits = (invoice.kind == Invoice.Kind.INVOICE
                            and invoice.prepaid_amount > 0)
    return f"{letter}{4 if final_after_deposits else 1}"


def buyer_treatment(buyer: dict[str, Any]) -> str:
    """The BAR note (BR-FR-20): between businesses, or to a private person, in France or
    abroad."""
    abroad = (buyer.get("country") or "FR") != "FR"
    kind = "B2B" if buyer.get("is_business") else "B2C"
    return f"{kind}INT" if abroad else kind


def _notes(invoice: Invoice, mentions: dict[str, Any]) -> list[dict[str, str]]:
    buyer = mentions["buyer"]
    # BR-FR-05/06 want exactly one PMT, one PMD and one AAB note on every invoice. The 40 €
    # indemnity exists only between professionals (L441-10, D441-5): to a private customer the
    # PMT note says so instead of promising a sum that cannot be claimed.
    indemnity = mentions.get("recovery_indemnity") or _(
        "Indemnité forfaitaire pour frais de recouvrement : sans objet, le client n'est pas "
        "un professionnel.")
    notes = [
        {"BT-21": "PMT", "BT-22": indemnity},
        {"BT-21": "PMD", "BT-22": mentions["late_penalty"]},
        {"BT-21": "AAB", "BT-22": mentions["discount"]},
        {"BT-21": "BAR", "BT-22": buyer_treatment(buyer)},
        # The CAPE mention is a legal one (R127-3 code de commerce); the activity is the
        # enseigne the customer knows (also BT-28, the seller's trading name).
        {"BT-21": "REG", "BT-22": mentions["cape"]},
        {"BT-21": "AAI", "BT-22": _("Activité : %(activity)s") % {
            "activity": mentions["activity"]}},
    ]
    if invoice.note:
        notes.append({"BT-22": invoice.note})
    return notes


def _address(party: dict[str, Any]) -> dict[str, str]:
    found = {"country_code": party.get("country") or "FR"}
    for ours, theirs in (("address", "addr_l1"), ("postcode", "postcode"), ("city", "city")):
        if party.get(ours):
            found[theirs] = party[ours]
    return found


def _seller(mentions: dict[str, Any]) -> dict[str, Any]:
    seller = mentions["seller"]
    party: dict[str, Any] = {
        "name": seller["name"],
        "identifiers": {SIRET_SCHEME: seller["siret"]} if seller.get("siret") else {},
        "legal_identifier": seller["siren"],  # BT-30, compulsory in France (BR-FR-10)
        "legal_identifier_schemeid": SIREN_SCHEME,
        "biz_name": mentions["activity"],
        "einvoicing_addr": seller.get("electronic_address") or seller["siren"],
        "einvoicing_addr_schemeid": ANNUAIRE_SCHEME,
        **_address(seller),
    }
    if seller.get("legal_form"):
        party["legal_info"] = seller["legal_form"]  # BT-33
    if seller.get("vat_number"):
        party["vat_identifier"] = seller["vat_number"]
    elif mentions.get("vat_franchise"):
        # A structure under the franchise may have no VAT number; EN 16931 (BR-E-02) then wants
        # its tax registration (BT-32), which in France is the SIREN the tax office knows it by.
        party["tax_identifier"] = seller["siren"]
    return party


def _buyer(mentions: dict[str, Any]) -> dict[str, Any]:
    buyer = mentions["buyer"]
    seller = mentions["seller"]
    party: dict[str, Any] = {"name": buyer["name"], **_address(buyer)}
    if buyer.get("siret"):
        party["identifiers"] = {SIRET_SCHEME: buyer["siret"]}
    if buyer.get("siren"):
        party["legal_identifier"] = buyer["siren"]  # BT-47 (BR-FR-11 when B2B)
        party["legal_identifier_schemeid"] = SIREN_SCHEME
    if buyer.get("vat_number"):
        party["vat_identifier"] = buyer["vat_number"]
    address = buyer.get("electronic_address")
    if not address:
        # BR-FR-12 wants a buyer electronic address (BT-49) on every invoice, and BR-FR-23 allows
        # only letters, digits and "+-_." in it — so not the customer's e-mail. A private
        # customer has no address in the directory of e-invoicing (only businesses are listed)
        # and the invoice reaches them by e-mail or on paper; inventing one for them would be
        # false and could route their invoice to a stranger. We give the seller's own directory
        # address: a platform that receives this B2C invoice (BAR note) can only return it to
        # its issuer, for archiving and e-reporting, and nobody's data is exposed.
        address = seller.get("electronic_address") or seller["siren"]
    party["einvoicing_addr"] = address
    party["einvoicing_addr_schemeid"] = ANNUAIRE_SCHEME
    return party


def _vat_category(rate: Decimal, franchise: bool) -> str:
    if franchise:
        # Franchise en base: category E with the art. 293 B reason (BR-FR-15), never Z.
        if rate != 0:
            raise ValueError("Under the VAT franchise every line's VAT rate is 0.")
        return "E"
    if rate == 0:
        raise ValueError("A 0 % VAT rate exists only under the franchise (art. 293 B du CGI).")
    return "S"


def _lines(lines: Sequence[InvoiceLine], franchise: bool) -> list[dict[str, Any]]:
    found = []
    for index, line in enumerate(lines, start=1):
        rate = Decimal(line.vat_rate)
        found.append({
            "BT-126": str(index),
            "BT-153": line.description[:255],
            "BT-129": _quantity(line.quantity),
            "BT-130": UNIT_CODES[CatalogItem.Unit(line.unit)],
            "BT-146": f"{Decimal(line.unit_price):.2f}",
            "BT-131": _amount(line_net(line)),
            "BT-151": _vat_category(rate, franchise),
            "BT-152": _rate(rate),
        })
    return found


def _vat_breakdown(lines: Sequence[InvoiceLine], mentions: dict[str, Any]) -> list[dict[str, str]]:
    franchise = bool(mentions.get("vat_franchise"))
    groups = []
    for group in compute(lines).groups:
        entry = {
            "BT-116": _amount(group.base),
            "BT-117": _amount(group.vat),
            "BT-118": _vat_category(group.rate, franchise),
            "BT-119": _rate(group.rate),
        }
        if franchise:
            entry["BT-120"] = mentions.get("vat_exemption") or FRANCHISE_WORDING
            entry["BT-121"] = FRANCHISE_CODE
        groups.append(entry)
    return groups


def invoice_data(invoice: Invoice, lines: Sequence[InvoiceLine],
                 mentions: dict[str, Any]) -> dict[str, Any]:
    """factur-x's dictionary of EN 16931 business terms for this invoice."""
    if not invoice.number or invoice.issued_on is None:
        raise ValueError("Only a numbered, dated invoice has a Factur-X XML.")
    if not lines:
        raise ValueError("An invoice without lines has no Factur-X XML.")
    franchise = bool(mentions.get("vat_franchise"))
    totals = compute(lines)
    prepaid = quantize(invoice.prepaid_amount or 0)
    data: dict[str, Any] = {
        "BT-1": invoice.number,
        "BT-2": invoice.issued_on,
        "BT-3": TYPE_CODES[Invoice.Kind(invoice.kind)],
        "BT-5": CURRENCY,
        "BT-23": business_process(invoice),
        "BT-24": "urn:cen.eu:en16931:2017",
        "BG-1": _notes(invoice, mentions),
        "BG-4": _seller(mentions),
        "BG-7": _buyer(mentions),
        "BG-25": _lines(lines, franchise),
        "BG-23": _vat_breakdown(lines, mentions),
        "BT-106": _amount(totals.excl_vat),
        "BT-109": _amount(totals.excl_vat),
        "BT-110": _amount(totals.vat),
        "BT-112": _amount(totals.incl_vat),
        "BT-115": _amount(totals.incl_vat - prepaid),
    }
    if prepaid:
        data["BT-113"] = _amount(prepaid)
    if mentions.get("payment_terms"):
        data["BT-20"] = mentions["payment_terms"]
    if invoice.due_on is not None:
        data["BT-9"] = invoice.due_on
    if invoice.purchase_order:
        data["BT-13"] = invoice.purchase_order
    # The delivery block must not be empty (the XSD refuses the nil element factur-x writes
    # then). The date of the sale is the issue date unless another one is given; a deposit
    # precedes the delivery, so it names where the delivery will go instead.
    buyer = mentions["buyer"]
    if invoice.service_date is not None:
        data["BT-72"] = invoice.service_date
    elif invoice.kind != Invoice.Kind.DEPOSIT:
        data["BT-72"] = invoice.issued_on
    if invoice.delivery_address:
        data["BG-13"] = {"name": buyer["name"], "addr_l1": invoice.delivery_address,
                         "country_code": buyer.get("country") or "FR"}
    elif "BT-72" not in data:
        data["BG-13"] = {"name": buyer["name"], **_address(buyer)}
    preceding = [{"BT-25": ref["number"],
                  **({"BT-26": dt.date.fromisoformat(ref["issued_on"])}
                     if ref.get("issued_on") else {})}
                 for ref in mentions.get("preceding") or [] if ref.get("number")]
    if preceding:
        data["BG-3"] = preceding
    iban = (mentions["seller"].get("iban") or "").replace(" ", "").upper()
    if iban and not invoice.is_credit_note:
        # A credit note is owed by the seller: the seller's account is no way to pay it.
        data["BT-81"] = SEPA_CREDIT_TRANSFER
        data["BT-84"] = iban
        data["BT-85"] = mentions["seller"]["name"]
        data["BT-83"] = invoice.number
    return data


def invoice_xml(invoice: Invoice, lines: Sequence[InvoiceLine], mentions: dict[str, Any]) -> bytes:
    """The CII XML, EN 16931 profile, checked against the official XSD by factur-x (which
    raises when it does not hold). The schematrons are run by `kpa.sales.checks`."""
    from facturx import generate_cii_xml  # type: ignore[import-untyped]

    with translation.override(LANGUAGE):
        data = invoice_data(invoice, lines, mentions)
    xml: bytes = generate_cii_xml(data, level=PROFILE, check_xsd=True, check_schematron=False)
    return xml


def _pdf_metadata(xml: bytes) -> dict[str, str]:
    """French title and subject for the PDF (factur-x would write English ones)."""
    root = etree.fromstring(xml)
    ns = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:"
                 "ReusableAggregateBusinessInformationEntity:100"}
    number = root.findtext("rsm:ExchangedDocument/ram:ID", default="", namespaces=ns)
    code = root.findtext("rsm:ExchangedDocument/ram:TypeCode", default="", namespaces=ns)
    seller = root.findtext("rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
                           "ram:SellerTradeParty/ram:Name", default="", namespaces=ns)
    kind = {"381": _("Avoir"), "386": _("Facture d'acompte")}.get(code, _("Facture"))
    return {"author": seller, "keywords": "Factur-X, EN 16931",
            "title": f"{seller} : {kind} {number}",
            "subject": _("%(kind)s n° %(number)s émise par %(seller)s") % {
                "kind": kind, "number": number, "seller": seller}}


def facturx_pdf(pdf: bytes, xml: bytes) -> bytes:
    """The PDF/A-3b with the XML embedded as ``factur-x.xml`` (/AFRelationship /Data) and the
    Factur-X XMP markers, by factur-x."""
    from facturx import generate_from_binary

    with translation.override(LANGUAGE):
        metadata = _pdf_metadata(xml)
    result: bytes = generate_from_binary(
        pdf, xml, flavor="factur-x", level=PROFILE, check_xsd=True, check_schematron=False,
        pdf_metadata=metadata, lang="fr-FR")
    return result
