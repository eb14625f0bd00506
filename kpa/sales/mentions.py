"""The legal mentions of a quote or an invoice (CGI ann. II art. 242 nonies A, Code de
commerce L441-9 and R127-3, the e-invoicing reform), gathered in one plain dictionary.

An invoice freezes this dictionary at issue (`Invoice.seller_mentions`): the PDF and the
Factur-X XML are built from it, so a later change of address or settings never alters an
issued document. Keys:

- ``seller``: name, legal_form, siren, siret, vat_number, address, postcode, city, country,
  electronic_address, iban;
- ``buyer``: name, kind, is_business, siren, siret, vat_number, address, postcode, city,
  country, electronic_address, email;
- ``activity`` (the enseigne), ``cape`` (the CAPE mention);
- ``vat_franchise`` (bool) and ``vat_exemption`` (the art. 293 B wording, or "");
- ``payment_terms``, ``late_penalty``, ``recovery_indemnity`` (businesses only), ``discount``;
- ``preceding``: the invoices this one refers to (credited invoice, deducted deposits), each
  ``{"number", "issued_on"}`` with an ISO date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from stdnum.fr import siren

from kpa.directory.models import Person, Structure
from kpa.sales.eligibility import cape_holder
from kpa.sales.models import Customer, Invoice, Quote, SalesSettings

FRANCHISE_WORDING = "TVA non applicable, art. 293 B du CGI"
RECOVERY_INDEMNITY = "Indemnité forfaitaire pour frais de recouvrement : 40 €"


def settings_of(structure: Structure) -> SalesSettings:
    found = SalesSettings.objects.filter(structure=structure).first()
    return found or SalesSettings(structure=structure)


def vat_number_of(structure: Structure, settings: SalesSettings) -> str:
    """The structure's intra-EU VAT number: the one set, else the one its SIREN determines
    (FR + key + SIREN); none under the franchise, which has no VAT to declare."""
    if settings.vat_number:
        return settings.vat_number
    if structure.vat_regime == Structure.VatRegime.FRANCHISE:
        return ""
    return "FR" + siren.to_tva(structure.siren)


def seller_of(structure: Structure, settings: SalesSettings) -> dict[str, Any]:
    return {
        "name": structure.name, "legal_form": settings.legal_form_text,
        "siren": structure.siren, "siret": structure.siret,
        "vat_number": vat_number_of(structure, settings),
        "address": structure.address, "postcode": structure.postcode, "city": structure.city,
        "country": "FR", "electronic_address": settings.electronic_address or structure.siren,
        "iban": settings.iban,
    }


def buyer_of(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name, "kind": customer.kind, "is_business": customer.is_business,
        "siren": customer.siren, "siret": customer.siret, "vat_number": customer.vat_number,
        "address": customer.address, "postcode": customer.postcode, "city": customer.city,
        "country": customer.country or "FR",
        "electronic_address": customer.electronic_address or customer.siren,
        "email": customer.email,
    }


def payment_terms(due_on: dt.date | None, days: int) -> str:
    if due_on is None:
        return _("Paiement à %(days)d jours à réception.") % {"days": days}
    return _("Paiement à réception, au plus tard le %(day)s.") % {
        "day": due_on.strftime("%d/%m/%Y")}


def mentions_for(document: Quote | Invoice, *, on: dt.date,
                 seller: Person | None = None) -> dict[str, Any]:
    """Everything the law asks a document to print, as of `on` (its issue day), in French
    whatever the page's language. Raises a plain `ValidationError` when no member of the
    activity may sell that day."""
    with translation.override("fr"):
        return _mentions(document, on=on, seller=seller)


def _mentions(document: Quote | Invoice, *, on: dt.date,
              seller: Person | None) -> dict[str, Any]:
    structure = document.structure
    settings = settings_of(structure)
    holder = cape_holder(document.activity, on=on, prefer=seller)
    franchise = structure.vat_regime == Structure.VatRegime.FRANCHISE
    customer = document.customer
    preceding: list[dict[str, str]] = []
    if isinstance(document, Invoice):
        terms = payment_terms(document.due_on, settings.payment_terms_days)
        if document.credited_invoice is not None:
            credited = document.credited_invoice
            preceding.append({"number": credited.number,
                              "issued_on": credited.issued_on.isoformat()
                              if credited.issued_on else ""})
        elif document.quote_id is not None and document.kind == Invoice.Kind.INVOICE:
            for deposit in Invoice.objects.filter(
                    quote_id=document.quote_id, kind=Invoice.Kind.DEPOSIT,
                    status=Invoice.Status.ISSUED).order_by("issued_on", "number"):
                preceding.append({"number": deposit.number,
                                  "issued_on": deposit.issued_on.isoformat()
                                  if deposit.issued_on else ""})
    else:
        terms = _("Devis valable jusqu'au %(day)s.") % {
            "day": document.valid_until.strftime("%d/%m/%Y")} if document.valid_until else ""
    return {
        "seller": seller_of(structure, settings),
        "buyer": buyer_of(customer),
        "activity": document.activity.name,
        "cape": holder.mention(structure.name),
        "vat_franchise": franchise,
        "vat_exemption": FRANCHISE_WORDING if franchise else "",
        "payment_terms": terms,
        "late_penalty": settings.late_penalty_text,
        "recovery_indemnity": RECOVERY_INDEMNITY if customer.is_business else "",
        "discount": settings.discount_text,
        "preceding": preceding,
    }
