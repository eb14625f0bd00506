"""The supplier API under /api/v1/purchases/: suppliers (list, create) and supplier invoices
(list, get, upload a base64 PDF, complete a draft, post, pay, the PDF). Thin like the views:
scope through `supplier_selectors`, write through `suppliers`.

An object out of the token user's reach does not exist (404), also when its id comes in a
body; one they see but may not change answers 403; a refused input answers 422 with the
services' French messages (handlers in `config/api.py`).
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper.
import base64
import binascii
import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import AuthenticationError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity, Structure
from kpa.directory.schemas import ErrorOut
from kpa.directory.validators import compact_identifier
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.ledger.models import TreasuryAccount
from kpa.purchases import permissions, suppliers
from kpa.purchases import supplier_selectors as selectors
from kpa.purchases.models import Supplier, SupplierInvoice
from kpa.purchases.supplier_schemas import (
    PayIn,
    SupplierFilters,
    SupplierIn,
    SupplierInvoiceDetailOut,
    SupplierInvoiceFilters,
    SupplierInvoiceOut,
    SupplierInvoicePatch,
    SupplierOut,
    UploadFileIn,
    UploadIn,
)
from kpa.purchases.suppliers import SupplierLineInput

router = Router(tags=["fournisseurs"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}
PDF_RESPONSE = {"responses": {200: {
    "description": "Le PDF tel que reçu du fournisseur (son SHA-256 est pdf_sha256).",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


def _invoice(user: User, invoice_id: int, today: dt.date) -> SupplierInvoice:
    return get_in_scope(selectors.supplier_invoices_for(user, today), pk=invoice_id)


def _detail(user: User, invoice_id: int, today: dt.date) -> SupplierInvoice:
    return get_in_scope(selectors.supplier_invoices_for(user, today)
                        .prefetch_related("lines"), pk=invoice_id)


# -- suppliers -------------------------------------------------------------------------------


@router.get("/suppliers", response=list[SupplierOut], summary="Les fournisseurs",
            description="Ceux des structures dont on tient les comptes (gestionnaire, "
                        "comptable).")
@paginate(LimitOffsetPagination)
def list_suppliers(request: HttpRequest, filters: Query[SupplierFilters]) -> QuerySet[Supplier]:
    found = selectors.suppliers_for(_user(request), dates.local_today()).select_related(
        "third_party")
    if filters.structure_id is not None:
        found = found.filter(structure_id=filters.structure_id)
    if filters.q:
        matches = Q(name__icontains=filters.q.strip())
        digits = compact_identifier(filters.q)
        if digits.isdigit():
            matches |= Q(siren__startswith=digits)
        found = found.filter(matches)
    return found.order_by("name", "id")


@router.post("/suppliers", response={201: SupplierOut, **WRITE_ERRORS},
             summary="Enregistrer un fournisseur",
             description="SIREN et numéro de TVA vérifiés (python-stdnum) ; un SIREN par "
                         "structure.")
def create_supplier(request: HttpRequest, payload: SupplierIn) -> Status[Supplier]:
    user, today = _user(request), dates.local_today()
    structure = get_in_scope(selectors.book_structures_for(user, today),
                             pk=payload.structure_id)
    fields = payload.dict(exclude={"structure_id"})
    return Status(201, suppliers.create_supplier(actor=user, structure=structure, today=today,
                                                 **fields))


# -- supplier invoices -----------------------------------------------------------------------


@router.get("/supplier-invoices", response=list[SupplierInvoiceOut],
            summary="Les factures fournisseurs",
            description="Celles de son activité (coopérant) ou de sa structure (gestionnaire, "
                        "comptable), les plus récentes d'abord.")
@paginate(LimitOffsetPagination)
def list_supplier_invoices(request: HttpRequest,
                           filters: Query[SupplierInvoiceFilters]) -> QuerySet[SupplierInvoice]:
    found = selectors.supplier_invoices_for(_user(request), dates.local_today())
    if filters.status is not None:
        found = found.filter(status=filters.status)
    if filters.structure_id is not None:
        found = found.filter(structure_id=filters.structure_id)
    if filters.activity_id is not None:
        found = found.filter(activity_id=filters.activity_id)
    return found.order_by("-issued_on", "-pk")


@router.get("/supplier-invoices/{int:invoice_id}",
            response={200: SupplierInvoiceDetailOut, **NOT_FOUND},
            summary="Une facture fournisseur, ses lignes et ce que dit son XML Factur-X")
def get_supplier_invoice(request: HttpRequest, invoice_id: int) -> SupplierInvoice:
    user = _user(request)
    return _detail(user, invoice_id, dates.local_today())


def _decoded(text: str) -> bytes:
    # 4 base64 characters carry 3 bytes: refuse a body too big before decoding it.
    if len(text) > (MAX_UPLOAD_BYTES // 3 + 1) * 4 + 4:
        raise ValidationError({"pdf_base64": _("Ce PDF dépasse 10 Mo : demandez au "
                                               "fournisseur un PDF plus léger.")})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"pdf_base64": _(
            "Le PDF doit être encodé en base64 (sans retour à la ligne).")}) from None


def _upload_target(user: User, payload: UploadFileIn, today: dt.date
                   ) -> tuple[Structure, Activity | None]:
    if payload.activity_id is not None:
        activity = get_in_scope(selectors.upload_activities_for(user, today),
                                pk=payload.activity_id)
        return activity.structure, activity
    if payload.structure_id is None:
        raise ValidationError({"activity_id": _(
            "Donnez l'activité pour laquelle l'achat a été fait (ou la structure, pour un "
            "achat de la structure).")})
    return get_in_scope(selectors.book_structures_for(user, today),
                        pk=payload.structure_id), None


def _upload(user: User, payload: UploadFileIn, pdf: bytes, file_name: str,
            today: dt.date) -> SupplierInvoice:
    structure, activity = _upload_target(user, payload, today)
    supplier = (get_in_scope(selectors.suppliers_for(user, today), pk=payload.supplier_id)
                if payload.supplier_id is not None else None)
    invoice = suppliers.upload_supplier_invoice(
        actor=user, structure=structure, pdf=pdf, file_name=file_name, activity=activity,
        today=today, supplier=supplier, supplier_name=payload.supplier_name,
        number=payload.number, issued_on=payload.issued_on)
    return _detail(user, invoice.pk, today)


@router.post("/supplier-invoices", response={201: SupplierInvoiceDetailOut, **WRITE_ERRORS},
             summary="Envoyer le PDF d'une facture fournisseur en base64 (brouillon)",
             description="Le PDF en base64, dans un corps JSON de 2,5 Mo au plus (au-delà, "
                         "envoyez le fichier à /supplier-invoices/file). S'il contient une "
                         "facture Factur-X, fournisseur, lignes et totaux y sont lus ; sinon "
                         "donnez le fournisseur, le numéro et la date, et les lignes ensuite.")
def upload_supplier_invoice(request: HttpRequest,
                            payload: UploadIn) -> Status[SupplierInvoice]:
    user, today = _user(request), dates.local_today()
    return Status(201, _upload(user, payload, _decoded(payload.pdf_base64),
                               payload.file_name, today))


@router.post("/supplier-invoices/file",
             response={201: SupplierInvoiceDetailOut, **WRITE_ERRORS},
             summary="Envoyer le PDF d'une facture fournisseur en fichier (brouillon)",
             description="Le même envoi en multipart/form-data : `file` (le PDF, 10 Mo au "
                         "plus) et les champs de l'envoi en base64, sauf `pdf_base64`.")
def upload_supplier_invoice_file(request: HttpRequest, file: File[UploadedFile],
                                 payload: Form[UploadFileIn]) -> Status[SupplierInvoice]:
    user, today = _user(request), dates.local_today()
    # The size is known from the upload's headers: never read a file we refuse anyway.
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("Ce PDF dépasse 10 Mo : demandez au fournisseur un "
                                         "PDF plus léger.")})
    return Status(201, _upload(user, payload, file.read(), payload.file_name or file.name or "",
                               today))


@router.patch("/supplier-invoices/{int:invoice_id}",
              response={200: SupplierInvoiceDetailOut, **WRITE_ERRORS},
              summary="Vérifier et compléter une facture brouillon",
              description="Seuls les champs envoyés changent ; des lignes envoyées remplacent "
                          "toutes les lignes et les totaux sont recalculés. Une facture "
                          "comptabilisée ne change plus (422).")
def update_supplier_invoice(request: HttpRequest, invoice_id: int,
                            payload: SupplierInvoicePatch) -> SupplierInvoice:
    user, today = _user(request), dates.local_today()
    invoice = _invoice(user, invoice_id, today)
    sent = payload.dict(exclude_unset=True)
    fields: dict[str, Any] = {k: sent[k] for k in ("number", "issued_on", "due_on")
                              if k in sent}
    if "supplier_id" in sent:
        fields["supplier"] = get_in_scope(selectors.suppliers_for(user, today),
                                          pk=sent["supplier_id"])
    if "activity_id" in sent:
        fields["activity"] = (get_in_scope(selectors.upload_activities_for(user, today),
                                           pk=sent["activity_id"])
                              if sent["activity_id"] is not None else None)
    if "treasury_account_id" in sent:
        pots = (TreasuryAccount.objects.filter(structure_id=invoice.structure_id)
                if permissions.keeps_books_of(user, invoice.structure_id, today=today)
                else TreasuryAccount.objects.none())
        fields["treasury_account"] = (get_in_scope(pots, pk=sent["treasury_account_id"])
                                      if sent["treasury_account_id"] is not None else None)
    if payload.lines is not None:
        fields["lines"] = [SupplierLineInput(description=ln.description, category=ln.category,
                                             amount_excl_vat=ln.amount_excl_vat,
                                             vat_rate=ln.vat_rate) for ln in payload.lines]
    suppliers.update_supplier_invoice(actor=user, invoice=invoice, today=today, **fields)
    return _detail(user, invoice_id, today)


@router.post("/supplier-invoices/{int:invoice_id}/post",
             response={200: SupplierInvoiceDetailOut, **WRITE_ERRORS},
             summary="Comptabiliser une facture fournisseur (gestionnaire)",
             description="Journal des achats : 6xx par ligne, 44566, 401 du fournisseur, sur "
                         "le compte de trésorerie de l'activité. Les totaux doivent être ceux "
                         "du XML Factur-X (422 sinon).")
def post_supplier_invoice(request: HttpRequest, invoice_id: int) -> SupplierInvoice:
    user, today = _user(request), dates.local_today()
    suppliers.post_supplier_invoice(actor=user, invoice=_invoice(user, invoice_id, today),
                                    today=today)
    return _detail(user, invoice_id, today)


@router.post("/supplier-invoices/{int:invoice_id}/pay",
             response={200: SupplierInvoiceDetailOut, **WRITE_ERRORS},
             summary="Enregistrer le paiement d'une facture comptabilisée",
             description="Banque : 401 contre 512, le jour donné.")
def pay_supplier_invoice(request: HttpRequest, invoice_id: int,
                         payload: PayIn) -> SupplierInvoice:
    user, today = _user(request), dates.local_today()
    suppliers.pay_supplier_invoice(actor=user, invoice=_invoice(user, invoice_id, today),
                                   paid_on=payload.paid_on, today=today)
    return _detail(user, invoice_id, today)


@router.get("/supplier-invoices/{int:invoice_id}/pdf", response={200: None, **NOT_FOUND},
            summary="Le PDF de la facture fournisseur", openapi_extra=PDF_RESPONSE)
def supplier_invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(_user(request), invoice_id, dates.local_today())
    response = HttpResponse(selectors.pdf_of(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="facture-fournisseur-{invoice.pk}.pdf"'
    return response
