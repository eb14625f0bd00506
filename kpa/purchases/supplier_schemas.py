"""Schemas of the supplier API. Amounts go out as decimal strings ("1234.50"), never JSON
numbers; in, an amount or a rate is a string ("12,50" or "12.50") or a JSON number, which the
API's parser reads straight to Decimal. The services judge them and answer in French."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema

from kpa.purchases import supplier_selectors
from kpa.purchases.facturx_reader import ReadInvoice
from kpa.purchases.models import Supplier, SupplierInvoice, SupplierInvoiceLine

Status = Literal["draft", "posted", "paid"]


def amount(value: Decimal) -> str:
    return f"{value:.2f}"


class SupplierOut(Schema):
    id: int
    structure_id: int
    name: str
    siren: str
    vat_number: str
    email: str
    address: str
    postcode: str
    city: str
    country: str
    third_party_code: str | None = Field(None, description="401 + ce code, dès la première "
                                                           "facture comptabilisée.")

    @staticmethod
    def resolve_third_party_code(obj: Supplier) -> str | None:
        return obj.third_party.code if obj.third_party else None


class SupplierFilters(Schema):
    structure_id: int | None = None
    q: str | None = Field(None, description="Nom (contient) ou début du SIREN.")


class SupplierIn(Schema):
    structure_id: int
    name: str
    siren: str = ""
    vat_number: str = ""
    email: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    country: str = Field("FR", max_length=2)


class SupplierLineOut(Schema):
    position: int
    description: str
    category: str
    category_label: str
    amount_excl_vat: str
    vat_rate: str
    vat_amount: str

    @staticmethod
    def resolve_category_label(obj: SupplierInvoiceLine) -> str:
        return str(obj.get_category_display())

    @staticmethod
    def resolve_amount_excl_vat(obj: SupplierInvoiceLine) -> str:
        return amount(obj.amount_excl_vat)

    @staticmethod
    def resolve_vat_rate(obj: SupplierInvoiceLine) -> str:
        return amount(obj.vat_rate)

    @staticmethod
    def resolve_vat_amount(obj: SupplierInvoiceLine) -> str:
        return amount(obj.vat_amount)


class SupplierInvoiceOut(Schema):
    id: int
    structure_id: int
    supplier_id: int
    supplier_name: str
    activity_id: int | None
    treasury_account_code: str | None = Field(
        None, description="Le compte de trésorerie des écritures (vide : la structure).")
    number: str
    issued_on: dt.date
    due_on: dt.date | None
    status: Status
    status_label: str
    total_excl_vat: str
    total_vat: str
    total_incl_vat: str
    facturx_profile: str = Field(description="Vide : saisie à la main.")
    pdf_sha256: str
    paid_on: dt.date | None
    entry_id: int | None
    payment_entry_id: int | None

    @staticmethod
    def resolve_supplier_name(obj: SupplierInvoice) -> str:
        return obj.supplier.name

    @staticmethod
    def resolve_treasury_account_code(obj: SupplierInvoice) -> str | None:
        return obj.treasury_account.code if obj.treasury_account else None

    @staticmethod
    def resolve_status_label(obj: SupplierInvoice) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_total_excl_vat(obj: SupplierInvoice) -> str:
        return amount(obj.total_excl_vat)

    @staticmethod
    def resolve_total_vat(obj: SupplierInvoice) -> str:
        return amount(obj.total_vat)

    @staticmethod
    def resolve_total_incl_vat(obj: SupplierInvoice) -> str:
        return amount(obj.total_incl_vat)


class ReadLineOut(Schema):
    description: str
    amount_excl_vat: str
    vat_rate: str


class FacturxOut(Schema):
    """What the invoice's Factur-X XML says."""

    profile: str
    seller_name: str
    seller_siren: str
    seller_vat_number: str
    number: str
    issued_on: dt.date
    due_on: dt.date | None
    lines: list[ReadLineOut]
    lines_from_breakdown: bool = Field(description="Le profil ne donne pas de lignes : une "
                                                   "ligne par taux de TVA (ou une seule).")
    total_excl_vat: str
    total_vat: str
    total_incl_vat: str
    agrees: bool = Field(description="Les lignes de la facture donnent ces totaux.")


def facturx_out(read: ReadInvoice, invoice: SupplierInvoice) -> dict[str, Any]:
    ours = (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat)
    return {
        "profile": read.profile, "seller_name": read.seller_name,
        "seller_siren": read.seller_siren, "seller_vat_number": read.seller_vat_number,
        "number": read.number, "issued_on": read.issued_on, "due_on": read.due_on,
        "lines": [{"description": ln.description, "amount_excl_vat": amount(ln.amount_excl_vat),
                   "vat_rate": amount(ln.vat_rate)} for ln in read.lines],
        "lines_from_breakdown": read.lines_from_breakdown,
        "total_excl_vat": amount(read.total_excl_vat), "total_vat": amount(read.total_vat),
        "total_incl_vat": amount(read.total_incl_vat),
        "agrees": ours == (read.total_excl_vat, read.total_vat, read.total_incl_vat),
    }


class SupplierInvoiceDetailOut(SupplierInvoiceOut):
    lines: list[SupplierLineOut]
    facturx: FacturxOut | None = None

    @staticmethod
    def resolve_facturx(obj: SupplierInvoice) -> dict[str, Any] | None:
        read = supplier_selectors.read_back(obj)
        return facturx_out(read, obj) if read is not None else None


class SupplierInvoiceFilters(Schema):
    status: Status | None = None
    structure_id: int | None = None
    activity_id: int | None = None


class UploadFileIn(Schema):
    """With Factur-X XML everything is read from the PDF; without, give `supplier_id` or
    `supplier_name`, `number` and `issued_on`."""

    file_name: str = Field("", max_length=200)
    activity_id: int | None = Field(None, description="Vide : un achat de la structure "
                                                      "(`structure_id`).")
    structure_id: int | None = None
    supplier_id: int | None = None
    supplier_name: str = ""
    number: str = ""
    issued_on: dt.date | None = None


class UploadIn(UploadFileIn):
    """The supplier's PDF in base64."""

    pdf_base64: str = Field(description="Le PDF encodé en base64.")


class SupplierLineIn(Schema):
    description: str
    category: str = Field(description="raw_materials, goods, subcontracting, supplies, travel, "
                                      "mileage, other")
    amount_excl_vat: Decimal | str
    vat_rate: Decimal | str = "20.00"


class SupplierInvoicePatch(Schema):
    """Only the fields sent change; lines sent replace all the lines."""

    supplier_id: int | None = None
    number: str | None = None
    issued_on: dt.date | None = None
    due_on: dt.date | None = None
    activity_id: int | None = None
    treasury_account_id: int | None = None
    lines: list[SupplierLineIn] | None = None


class PayIn(Schema):
    paid_on: dt.date
