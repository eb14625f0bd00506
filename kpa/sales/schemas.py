"""Schemas of the selling REST API. Amounts go out as decimal strings ("1234.50"), never JSON
numbers. In, a quantity, a price, a rate or a percentage may be a string ("12,50" or "12.50",
the services parse it and answer in French) or a JSON number: the bodies that carry them are
read by the API's parser (`config.api.ExactJsonParser`), which parses JSON numbers straight to
`Decimal`, so no figure ever goes through a float. Every status and kind comes as its code,
with a French label beside it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from kpa.core.money import PLAIN_AMOUNT
from kpa.sales import payments
from kpa.sales.models import (
    CatalogItem,
    Contact,
    Customer,
    DocumentLine,
    Invoice,
    Payment,
    Quote,
)
from kpa.sales.totals import line_net

if TYPE_CHECKING:
    pass

DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Amount = str  # "1234.50": two decimals, a point, no grouping


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


# -- figures in -----------------------------------------------------------------------------


def _decimal_or_text(value: object) -> Decimal | str:
    """Text is left to the services (they parse "12,50" and explain in French); a number must
    be plain: no exponent, 12 digits at most before the point."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if isinstance(value, Decimal):
        if value.is_finite():
            text = format(value, "f")
            if PLAIN_AMOUNT.fullmatch(text):
                return Decimal(text)
        raise PydanticCustomError("decimal_parsing", _(
            "Ce nombre est trop grand ou mal écrit : 12 chiffres au plus avant la virgule, "
            "par exemple 12.50."))
    raise PydanticCustomError("decimal_type", _(
        "Écrivez un nombre, par exemple 12.50, ou le texte \"12,50\"."))


DecimalIn = Annotated[
    Decimal | str,
    BeforeValidator(_decimal_or_text),
    WithJsonSchema({"anyOf": [{"type": "string", "examples": ["12.50", "12,50"]},
                              {"type": "number"}]}),
]


# -- references -----------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class DocumentRef(Schema):
    id: int
    number: str = Field(description="Vide tant que le document n'est pas émis (ou envoyé).")
    kind: str
    status: str
    total_incl_vat: Amount

    @staticmethod
    def resolve_kind(obj: Invoice | Quote) -> str:
        return obj.kind if isinstance(obj, Invoice) else "quote"

    @staticmethod
    def resolve_total_incl_vat(obj: Invoice | Quote) -> str:
        return amount(obj.total_incl_vat)


# -- activities and the catalogue -----------------------------------------------------------


class SalesActivityOut(Schema):
    id: int
    name: str
    kind: str = Field(description="individual, collective")
    started_on: dt.date
    ended_on: dt.date | None = Field(description="Premier jour sans l'activité (exclu).")
    kpa: Ref
    structure: Ref = Field(description="La structure sous l'identité de laquelle on vend.")


class ActivityFilters(Schema):
    selling: bool = Field(False, description="Seulement les activités ouvertes pour lesquelles "
                                             "vous pouvez vendre.")


class CatalogItemOut(Schema):
    id: int
    activity_id: int
    name: str
    description: str
    is_service: bool
    unit: str = Field(description="piece, hour, day, kg, metre, lump_sum")
    unit_label: str
    unit_price: Amount = Field(description="Prix unitaire HT.")
    vat_rate: str = Field(description="20.00, 10.00, 5.50, 2.10, ou 0.00 en franchise.")
    archived_at: dt.datetime | None

    @staticmethod
    def resolve_unit_label(obj: CatalogItem) -> str:
        return str(obj.get_unit_display())

    @staticmethod
    def resolve_unit_price(obj: CatalogItem) -> str:
        return amount(obj.unit_price)


class CatalogFilters(Schema):
    archived: bool = Field(False, description="Inclure les articles retirés.")


class CatalogItemIn(Schema):
    name: str
    description: str = ""
    is_service: bool = False
    unit: str = Field("piece", description="piece, hour, day, kg, metre, lump_sum")
    unit_price: DecimalIn = Field(description="Prix unitaire HT, au centime.")
    vat_rate: DecimalIn = Field("20.00", description="20, 10, 5.5 ou 2.1 ; 0 en franchise "
                                                     "(art. 293 B du CGI).")

    def fields(self) -> dict[str, Any]:
        values = self.dict()
        values["vat_rate"] = str(values["vat_rate"])
        return values


class CatalogItemPatch(Schema):
    """Only the fields sent change."""

    name: str | None = None
    description: str | None = None
    is_service: bool | None = None
    unit: str | None = None
    unit_price: DecimalIn | None = None
    vat_rate: DecimalIn | None = None

    def changed_fields(self) -> dict[str, Any]:
        values = {k: v for k, v in self.dict(exclude_unset=True).items() if v is not None}
        if "vat_rate" in values:
            values["vat_rate"] = str(values["vat_rate"])
        return values


# -- customers ------------------------------------------------------------------------------

CustomerKind = Literal["company", "public", "association", "individual"]


class CustomerOut(Schema):
    id: int
    structure: Ref
    kind: str = Field(description="company, public, association, individual")
    kind_label: str
    name: str
    siren: str
    siret: str
    vat_number: str
    email: str
    phone: str
    address: str
    postcode: str
    city: str
    country: str
    electronic_address: str
    archived_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: Customer) -> str:
        return str(obj.get_kind_display())


class ContactOut(Schema):
    id: int
    name: str
    role: str
    email: str
    phone: str


class CustomerDetailOut(CustomerOut):
    note: str
    contacts: list[ContactOut]

    @staticmethod
    def resolve_contacts(obj: Customer) -> list[Contact]:
        return list(obj.contacts.all())


class CustomerFilters(Schema):
    search: str | None = Field(None, max_length=100,
                               description="Dans le nom, l'e-mail, la ville, le SIREN ou le "
                                           "SIRET.")
    structure: DbId | None = Field(None, description="Seulement les clients de cette "
                                                     "structure.")
    archived: bool = Field(False, description="Inclure les clients archivés.")


class CustomerIn(Schema):
    structure_id: DbId | None = Field(
        None, description="La structure dont c'est le client ; facultatif quand vous n'en "
                          "voyez qu'une.")
    kind: CustomerKind = Field(description="company, public, association, individual")
    name: str
    siren: str = Field("", description="Obligatoire pour une entreprise, un organisme public "
                                       "ou une association en France.")
    siret: str = ""
    vat_number: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = Field("FR", max_length=2, description="Code du pays, par exemple FR.")
    electronic_address: str = ""
    note: str = ""

    def fields(self) -> dict[str, Any]:
        return self.dict(exclude={"structure_id"})


class CustomerPatch(Schema):
    """Only the fields sent change; a text sent as null is emptied."""

    kind: CustomerKind | None = None
    name: str | None = None
    siren: str | None = None
    siret: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = Field(None, max_length=2)
    electronic_address: str | None = None
    note: str | None = None

    def changed_fields(self) -> dict[str, Any]:
        values = self.dict(exclude_unset=True)
        if values.get("kind", "") is None:
            del values["kind"]
        return {k: "" if v is None else v for k, v in values.items()}


class ContactIn(Schema):
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""


# -- lines ----------------------------------------------------------------------------------


class LineIn(Schema):
    """One line. With `item_id`, what is left out comes from the catalogue item."""

    description: str = Field("", description="Ce que vous vendez ; vide : le nom de l'article.")
    quantity: DecimalIn = Field("1", description="Positive, 3 décimales au plus.")
    unit_price: DecimalIn | None = Field(None, description="Prix unitaire HT, au centime.")
    vat_rate: DecimalIn | None = Field(None, description="20, 10, 5.5 ou 2.1 ; 0 en franchise.")
    unit: str | None = Field(None, description="piece, hour, day, kg, metre, lump_sum")
    is_service: bool | None = Field(None, description="Prestation de service (706) ou "
                                                      "vente de biens (707).")
    item_id: DbId | None = Field(None, description="Un article du catalogue de l'activité.")


class LineOut(Schema):
    position: int
    item_id: int | None
    description: str
    is_service: bool
    quantity: str = Field(description="Décimal, 3 décimales.")
    unit: str
    unit_label: str
    unit_price: Amount
    vat_rate: str
    net: Amount = Field(description="Montant HT de la ligne, arrondi au centime.")

    @staticmethod
    def resolve_quantity(obj: DocumentLine) -> str:
        return f"{obj.quantity:.3f}"

    @staticmethod
    def resolve_unit_label(obj: DocumentLine) -> str:
        return str(obj.get_unit_display())

    @staticmethod
    def resolve_unit_price(obj: DocumentLine) -> str:
        return amount(obj.unit_price)

    @staticmethod
    def resolve_net(obj: DocumentLine) -> str:
        return amount(line_net(obj))


# -- quotes and invoices --------------------------------------------------------------------

OperationCategoryCode = Literal["goods", "services", "mixed"]
QuoteStatusCode = Literal["draft", "sent", "accepted", "refused"]
InvoiceStatusCode = Literal["draft", "submitted", "issued"]
InvoiceKindCode = Literal["invoice", "deposit", "credit_note"]


class DocumentOut(Schema):
    id: int
    number: str = Field(description="Vide pour un brouillon.")
    status: str
    status_label: str
    activity: Ref
    customer: Ref
    structure: Ref
    title: str
    operation_category: str = Field(description="goods, services, mixed")
    total_excl_vat: Amount
    total_vat: Amount
    total_incl_vat: Amount
    created_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Invoice | Quote) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_total_excl_vat(obj: Invoice | Quote) -> str:
        return amount(obj.total_excl_vat)

    @staticmethod
    def resolve_total_vat(obj: Invoice | Quote) -> str:
        return amount(obj.total_vat)

    @staticmethod
    def resolve_total_incl_vat(obj: Invoice | Quote) -> str:
        return amount(obj.total_incl_vat)


class QuoteOut(DocumentOut):
    status: str = Field(description="draft, sent, accepted, refused")
    sent_on: dt.date | None
    valid_until: dt.date | None
    accepted_on: dt.date | None
    refused_on: dt.date | None


class QuoteDetailOut(QuoteOut):
    delivery_address: str
    note: str
    accepted_by_name: str
    accepted_through: str = Field(description="link (par le lien de l'e-mail), signed (copie "
                                              "signée déposée), ou vide")
    has_signed_copy: bool
    lines: list[LineOut]
    invoices: list[DocumentRef] = Field(description="Les factures (acompte, finale) faites "
                                                    "depuis ce devis.")

    @staticmethod
    def resolve_has_signed_copy(obj: Quote) -> bool:
        return bool(obj.signed_copy_type)

    @staticmethod
    def resolve_lines(obj: Quote) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_invoices(obj: Quote) -> list[Invoice]:
        return list(obj.invoices.all())


class InvoiceOut(DocumentOut):
    status: str = Field(description="draft, submitted (à valider), issued")
    kind: str = Field(description="invoice, deposit (acompte), credit_note (avoir)")
    kind_label: str
    quote_id: int | None
    credited_invoice_id: int | None = Field(description="La facture que cet avoir corrige.")
    purchase_order: str
    service_date: dt.date | None
    issued_on: dt.date | None
    due_on: dt.date | None
    amount_paid: Amount = Field(description="Encaissé (remboursé, pour un avoir).")
    paid_on: dt.date | None = Field(description="Le jour où la facture a été soldée.")
    pdf_sha256: str = Field(description="Empreinte du PDF figé à l'émission.")

    @staticmethod
    def resolve_kind_label(obj: Invoice) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_amount_paid(obj: Invoice) -> str:
        return amount(obj.amount_paid)


class PaymentOut(Schema):
    id: int
    invoice_id: int
    received_on: dt.date
    amount: Amount
    method: str = Field(description="transfer, cheque, cash, card")
    method_label: str
    reference: str
    recorded_at: dt.datetime

    @staticmethod
    def resolve_amount(obj: Payment) -> str:
        return amount(obj.amount)

    @staticmethod
    def resolve_method_label(obj: Payment) -> str:
        return str(obj.get_method_display())


class InvoiceDetailOut(InvoiceOut):
    delivery_address: str
    note: str
    prepaid_amount: Amount = Field(description="Acomptes déduits (TTC).")
    balance_due: Amount = Field(description="Ce que le client doit encore ; négatif : ce qui "
                                            "lui reste à rembourser (avoir).")
    submitted_at: dt.datetime | None
    issued_at: dt.datetime | None
    sent_at: dt.datetime | None
    lines: list[LineOut]
    payments: list[PaymentOut]
    credit_notes: list[DocumentRef] = Field(description="Les avoirs sur cette facture.")

    @staticmethod
    def resolve_prepaid_amount(obj: Invoice) -> str:
        return amount(obj.prepaid_amount)

    @staticmethod
    def resolve_balance_due(obj: Invoice) -> str:
        return amount(payments.balance_due(obj))

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[Any]:
        return list(obj.lines.all())

    @staticmethod
    def resolve_payments(obj: Invoice) -> list[Payment]:
        return list(obj.payments.all())

    @staticmethod
    def resolve_credit_notes(obj: Invoice) -> list[Invoice]:
        return list(obj.credit_notes.all())


class QuoteFilters(Schema):
    status: QuoteStatusCode | None = None
    activity: DbId | None = None
    customer: DbId | None = None


class InvoiceFilters(Schema):
    status: InvoiceStatusCode | None = None
    kind: InvoiceKindCode | None = None
    activity: DbId | None = None
    customer: DbId | None = None
    unpaid: bool | None = Field(None, description="true : seulement les factures émises pas "
                                                  "encore soldées.")


HEADER_FIELDS = ("title", "operation_category", "delivery_address", "note")


class QuoteIn(Schema):
    activity_id: DbId
    customer_id: DbId
    title: str = ""
    operation_category: OperationCategoryCode = Field(
        "services", description="goods (biens), services, mixed (les deux)")
    delivery_address: str = Field("", description="Seulement si elle diffère de l'adresse du "
                                                  "client.")
    note: str = ""
    lines: list[LineIn]

    def header(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HEADER_FIELDS}


class InvoiceIn(QuoteIn):
    purchase_order: str = Field("", description="La référence de commande du client.")
    service_date: dt.date | None = Field(None, description="Date de la vente ou de la "
                                                           "prestation, si elle diffère.")

    def header(self) -> dict[str, Any]:
        return {**super().header(), "purchase_order": self.purchase_order,
                "service_date": self.service_date}


class QuotePatch(Schema):
    """Only the fields sent change; `lines`, when sent, replace all the lines."""

    customer_id: DbId | None = None
    title: str | None = None
    operation_category: OperationCategoryCode | None = None
    delivery_address: str | None = None
    note: str | None = None
    lines: list[LineIn] | None = None

    def changed_header(self) -> dict[str, Any]:
        values = self.dict(exclude_unset=True, exclude={"customer_id", "lines"})
        if values.get("operation_category", "") is None:
            del values["operation_category"]
        return {k: "" if v is None and k != "service_date" else v for k, v in values.items()}


class InvoicePatch(QuotePatch):
    purchase_order: str | None = None
    service_date: dt.date | None = None


class CreditNoteIn(Schema):
    lines: list[LineIn] | None = Field(
        None, description="Vide : un avoir de toute la facture. Sinon les lignes à créditer.")
    title: str = Field("", description="Vide : « Avoir sur la facture … ».")


class DepositIn(Schema):
    percent: DecimalIn = Field(description="Le pourcentage du devis, entre 1 et 99.")


class PaymentIn(Schema):
    amount: DecimalIn = Field(description="TTC, au centime.")
    method: str = Field(description="transfer (virement), cheque, cash (espèces), card")
    received_on: dt.date | None = Field(None, description="Vide : aujourd'hui.")
    reference: str = Field("", max_length=100,
                           description="Numéro de chèque, libellé du virement…")
