"""The selling REST API under /api/v1/sales/: customers, catalogues, quotes, invoices, credit
notes, payments and the issued PDF. Thin like the views: scope through `selectors`, write
through `services`, `documents` and `payments`, which hold the gates and the rules.

A customer, activity, item, quote or invoice out of the token user's reach does not exist
(404) — also when its id comes in a body; one they see but may not change answers 403; a
refused input answers 422 with the services' French messages (handlers in `config/api.py`).
The PDF of an invoice exists only once issued: for a draft or a submitted invoice the route
answers 409 with a French `detail`.

The API's parser reads a JSON number as a Decimal, never a float; a string is parsed by the
services ("12,50" or "12.50").
"""

# No `from __future__ import annotations` here: ninja reads the query schemas' annotations
# through the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt
import re
from typing import Annotated

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, File, Form, Query, Router, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity, Structure
from kpa.directory.schemas import ErrorOut
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.sales import documents, payments, permissions, selectors, services
from kpa.sales.documents import LineInput
from kpa.sales.models import CatalogItem, Contact, Customer, Invoice, Payment, Quote
from kpa.sales.schemas import (
    ActivityFilters,
    CatalogFilters,
    CatalogItemIn,
    CatalogItemOut,
    CatalogItemPatch,
    ContactIn,
    ContactOut,
    CreditNoteIn,
    CustomerDetailOut,
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    DepositIn,
    InvoiceDetailOut,
    InvoiceFilters,
    InvoiceIn,
    InvoiceOut,
    InvoicePatch,
    LineIn,
    PaymentIn,
    PaymentOut,
    QuoteDetailOut,
    QuoteFilters,
    QuoteIn,
    QuoteOut,
    QuotePatch,
    SalesActivityOut,
)

router = Router(tags=["ventes"])

NOT_FOUND = {404: ErrorOut}
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut}
PDF_RESPONSE = {"responses": {200: {
    "description": "La facture ou l'avoir tel qu'émis : PDF/A-3 avec son XML Factur-X (son "
                   "SHA-256 est pdf_sha256).",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}}}
HEAVY_INVOICE_FIELDS = ("pdf", "seller_mentions")
FILENAME_PREFIX = {Invoice.Kind.INVOICE: "facture", Invoice.Kind.DEPOSIT: "facture-acompte",
                   Invoice.Kind.CREDIT_NOTE: "avoir"}


def _user(request: HttpRequest) -> User:
    """The token's user, set by `kpa.core.api_auth.ApiTokenAuth`."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise AuthenticationError
    return user


# -- scoped lookups -------------------------------------------------------------------------


def _activity(user: User, activity_id: int, today: dt.date) -> Activity:
    return get_in_scope(selectors.activities_for(user, today), pk=activity_id)


def _selling_activity(user: User, activity_id: int, today: dt.date) -> Activity:
    """An activity the user sees (else 404) and sells for (else 403)."""
    activity = _activity(user, activity_id, today)
    if not permissions.can_sell_for(user, activity, today=today):
        raise PermissionDenied
    return activity


def _customers(user: User, today: dt.date) -> QuerySet[Customer]:
    return selectors.customers_for(user, today)


def _customer(user: User, customer_id: int, today: dt.date) -> Customer:
    return get_in_scope(_customers(user, today), pk=customer_id)


def _customer_detail(user: User, customer_id: int, today: dt.date) -> Customer:
    return get_in_scope(_customers(user, today).prefetch_related("contacts"), pk=customer_id)


def _item(user: User, item_id: int, today: dt.date) -> CatalogItem:
    activities = selectors.activities_for(user, today)
    items = CatalogItem.objects.filter(activity__in=activities.values("pk")).select_related(
        "activity__structure")
    return get_in_scope(items, pk=item_id)


def _quote(user: User, quote_id: int, today: dt.date) -> Quote:
    return get_in_scope(selectors.quotes_for(user, today), pk=quote_id)


def _quote_detail(user: User, quote_id: int, today: dt.date) -> Quote:
    quotes = selectors.quotes_for(user, today).prefetch_related(
        "lines", Prefetch("invoices", queryset=Invoice.objects.defer(*HEAVY_INVOICE_FIELDS)
                          .order_by("created_at", "pk")))
    return get_in_scope(quotes, pk=quote_id)


def _invoice(user: User, invoice_id: int, today: dt.date) -> Invoice:
    return get_in_scope(selectors.invoices_for(user, today), pk=invoice_id)


def _invoice_detail(user: User, invoice_id: int, today: dt.date) -> Invoice:
    invoices = selectors.invoices_for(user, today).prefetch_related(
        "lines", "payments",
        Prefetch("credit_notes", queryset=Invoice.objects.defer(*HEAVY_INVOICE_FIELDS)
                 .order_by("created_at", "pk")))
    return get_in_scope(invoices, pk=invoice_id)


def _line_inputs(activity: Activity, lines: list[LineIn]) -> list[LineInput]:
    """The API's lines as the services take them; a catalogue item is looked up in the
    document's activity only, so an id from elsewhere is simply not there."""
    ids = {line.item_id for line in lines if line.item_id is not None}
    items = ({item.pk: item for item in selectors.catalog_for(activity).filter(pk__in=ids)}
             if ids else {})
    errors: list[str] = []
    for position, line in enumerate(lines, start=1):
        if line.item_id is not None and line.item_id not in items:
            errors.append(_("Ligne %(n)d : l'article n° %(id)d n'est pas au catalogue de "
                            "l'activité (ou il en est retiré).") % {"n": position,
                                                                    "id": line.item_id})
        if line.unit and line.unit not in CatalogItem.Unit.values:
            errors.append(_("Ligne %(n)d : l'unité « %(unit)s » n'existe pas ; choisissez "
                            "piece, hour, day, kg, metre ou lump_sum.")
                          % {"n": position, "unit": line.unit})
    if errors:
        raise ValidationError({"lines": errors})
    return [LineInput(description=line.description, quantity=line.quantity,
                      unit_price=line.unit_price,
                      vat_rate=None if line.vat_rate is None else str(line.vat_rate),
                      unit=line.unit or None, is_service=line.is_service,
                      item=items.get(line.item_id) if line.item_id is not None else None)
            for line in lines]


# -- activities and their catalogue ---------------------------------------------------------


@router.get("/activities", response=list[SalesActivityOut],
            summary="Les activités dont vous voyez les ventes")
@paginate(LimitOffsetPagination)
def list_activities(request: HttpRequest, filters: Query[ActivityFilters]) -> QuerySet[Activity]:
    user, today = _user(request), dates.local_today()
    if filters.selling:
        return selectors.selling_activities_for(user, today)
    return selectors.activities_for(user, today)


@router.get("/activities/{int:activity_id}/catalog", response=list[CatalogItemOut],
            summary="Le catalogue d'une activité : produits et services")
@paginate(LimitOffsetPagination)
def list_catalog(request: HttpRequest, activity_id: int,
                 filters: Query[CatalogFilters]) -> QuerySet[CatalogItem]:
    user, today = _user(request), dates.local_today()
    activity = _activity(user, activity_id, today)
    return selectors.catalog_for(activity, include_archived=filters.archived)


@router.post("/activities/{int:activity_id}/catalog",
             response={201: CatalogItemOut, **WRITE_ERRORS},
             summary="Ajouter un produit ou un service au catalogue",
             description="Prix HT au centime ; en franchise de TVA, le taux est 0.")
def create_catalog_item(request: HttpRequest, activity_id: int,
                        payload: CatalogItemIn
                        ) -> Status[CatalogItem]:
    user, today = _user(request), dates.local_today()
    activity = _activity(user, activity_id, today)
    item = services.create_item(actor=user, activity=activity, today=today, **payload.fields())
    return Status(201, item)


@router.patch("/catalog/{int:item_id}", response={200: CatalogItemOut, **WRITE_ERRORS},
              summary="Changer un article (les documents déjà faits gardent leur prix)")
def update_catalog_item(request: HttpRequest, item_id: int,
                        payload: CatalogItemPatch) -> CatalogItem:
    user, today = _user(request), dates.local_today()
    item = _item(user, item_id, today)
    return services.update_item(actor=user, item=item, today=today,
                                **payload.changed_fields())


@router.post("/catalog/{int:item_id}/archive", response={200: CatalogItemOut, **WRITE_ERRORS},
             summary="Retirer un article du catalogue")
def archive_catalog_item(request: HttpRequest, item_id: int) -> CatalogItem:
    user, today = _user(request), dates.local_today()
    return services.archive_item(actor=user, item=_item(user, item_id, today), today=today)


# -- customers ------------------------------------------------------------------------------


@router.get("/customers", response=list[CustomerOut],
            summary="Les clients que vous voyez, par nom")
@paginate(LimitOffsetPagination)
def list_customers(request: HttpRequest, filters: Query[CustomerFilters]) -> QuerySet[Customer]:
    customers = _customers(_user(request), dates.local_today())
    if not filters.archived:
        customers = customers.filter(archived_at__isnull=True)
    if filters.structure is not None:
        customers = customers.filter(structure_id=filters.structure)
    search = (filters.search or "").strip()
    if search:
        customers = customers.filter(
            Q(name__icontains=search) | Q(email__icontains=search) | Q(city__icontains=search)
            | Q(siren__startswith=search.replace(" ", ""))
            | Q(siret__startswith=search.replace(" ", "")))
    return customers.order_by("name", "pk")


def _structure_for_customer(user: User, structure_id: int | None, today: dt.date) -> Structure:
    structures = selectors.customer_structures_for(user, today)
    if structure_id is not None:
        return get_in_scope(structures, pk=structure_id)
    found = list(structures[:2])
    if len(found) != 1:
        raise ValidationError({"structure_id": _(
            "Dites pour quelle structure est ce client (structure_id).")})
    return found[0]


@router.post("/customers", response={201: CustomerDetailOut, **WRITE_ERRORS},
             summary="Créer un client",
             description=("Une entreprise, un organisme public ou une association en France "
                          "se facture avec son SIREN ; SIRET et numéro de TVA sont vérifiés. "
                          "422 avec un message en français sinon."))
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[Customer]:
    user, today = _user(request), dates.local_today()
    structure = _structure_for_customer(user, payload.structure_id, today)
    customer = services.create_customer(actor=user, structure=structure, today=today,
                                        **payload.fields())
    return Status(201, _customer_detail(user, customer.pk, today))


@router.get("/customers/{int:customer_id}", response={200: CustomerDetailOut, **NOT_FOUND},
            summary="Un client et ses contacts")
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    return _customer_detail(_user(request), customer_id, dates.local_today())


@router.patch("/customers/{int:customer_id}", response={200: CustomerDetailOut, **WRITE_ERRORS},
              summary="Compléter ou corriger un client",
              description="Seuls les champs envoyés changent. Les factures émises gardent "
                          "l'identité figée à leur émission.")
def update_customer(request: HttpRequest, customer_id: int,
                    payload: CustomerPatch) -> Customer:
    user, today = _user(request), dates.local_today()
    customer = _customer(user, customer_id, today)
    services.update_customer(actor=user, customer=customer, today=today,
                             **payload.changed_fields())
    return _customer_detail(user, customer_id, today)


@router.post("/customers/{int:customer_id}/archive",
             response={200: CustomerDetailOut, **WRITE_ERRORS},
             summary="Archiver un client (ses documents restent)")
def archive_customer(request: HttpRequest, customer_id: int) -> Customer:
    user, today = _user(request), dates.local_today()
    services.archive_customer(actor=user, customer=_customer(user, customer_id, today),
                              today=today)
    return _customer_detail(user, customer_id, today)


@router.post("/customers/{int:customer_id}/contacts", response={201: ContactOut, **WRITE_ERRORS},
             summary="Ajouter un contact à un client")
def add_contact(request: HttpRequest, customer_id: int, payload: ContactIn) -> Status[Contact]:
    user, today = _user(request), dates.local_today()
    customer = _customer(user, customer_id, today)
    contact = services.add_contact(actor=user, customer=customer, name=payload.name,
                                   role=payload.role, email=payload.email, phone=payload.phone,
                                   today=today)
    return Status(201, contact)


# -- quotes ---------------------------------------------------------------------------------


@router.get("/quotes", response=list[QuoteOut], summary="Les devis que vous voyez, les "
                                                         "plus récents d'abord")
@paginate(LimitOffsetPagination)
def list_quotes(request: HttpRequest, filters: Query[QuoteFilters]) -> QuerySet[Quote]:
    quotes = selectors.quotes_for(_user(request), dates.local_today())
    if filters.status is not None:
        quotes = quotes.filter(status=filters.status)
    if filters.activity is not None:
        quotes = quotes.filter(activity_id=filters.activity)
    if filters.customer is not None:
        quotes = quotes.filter(customer_id=filters.customer)
    return quotes.order_by("-created_at", "-pk")


@router.post("/quotes", response={201: QuoteDetailOut, **WRITE_ERRORS},
             summary="Faire un devis (brouillon) avec ses lignes",
             description=("Quantités et prix en chaînes (\"12,50\") ou en nombres JSON, lus "
                          "comme des décimaux. 422 avec le numéro de ligne pour un taux de TVA "
                          "qui n'existe pas, une quantité négative, un prix faux."))
def create_quote(request: HttpRequest,
                 payload: QuoteIn) -> Status[Quote]:
    user, today = _user(request), dates.local_today()
    activity = _selling_activity(user, payload.activity_id, today)
    customer = _customer(user, payload.customer_id, today)
    quote = documents.create_quote(actor=user, activity=activity, customer=customer,
                                   lines=_line_inputs(activity, payload.lines), today=today,
                                   **payload.header())
    return Status(201, _quote_detail(user, quote.pk, today))


@router.get("/quotes/{int:quote_id}", response={200: QuoteDetailOut, **NOT_FOUND},
            summary="Un devis, ses lignes et les factures qui en viennent")
def get_quote(request: HttpRequest, quote_id: int) -> Quote:
    return _quote_detail(_user(request), quote_id, dates.local_today())


@router.patch("/quotes/{int:quote_id}", response={200: QuoteDetailOut, **WRITE_ERRORS},
              summary="Changer un devis brouillon",
              description="Seuls les champs envoyés changent ; des lignes envoyées remplacent "
                          "toutes les lignes. Un devis envoyé ne change plus (422).")
def update_quote(request: HttpRequest, quote_id: int,
                 payload: QuotePatch) -> Quote:
    user, today = _user(request), dates.local_today()
    quote = _quote(user, quote_id, today)
    customer = (_customer(user, payload.customer_id, today)
                if payload.customer_id is not None else None)
    lines = (_line_inputs(quote.activity, payload.lines)
             if payload.lines is not None else None)
    documents.update_quote(actor=user, quote=quote, lines=lines, customer=customer, today=today,
                           **payload.changed_header())
    return _quote_detail(user, quote_id, today)


@router.delete("/quotes/{int:quote_id}", response={204: None, **WRITE_ERRORS},
               summary="Supprimer un devis brouillon (un devis envoyé se garde : 422)")
def delete_quote(request: HttpRequest, quote_id: int) -> Status[None]:
    user, today = _user(request), dates.local_today()
    documents.delete_quote(actor=user, quote=_quote(user, quote_id, today), today=today)
    return Status(204, None)


@router.post("/quotes/{int:quote_id}/send", response={200: QuoteDetailOut, **WRITE_ERRORS},
             summary="Envoyer le devis : numéro, lien d'acceptation, e-mail au client")
def send_quote(request: HttpRequest, quote_id: int) -> Quote:
    user, today = _user(request), dates.local_today()
    documents.send_quote(actor=user, quote=_quote(user, quote_id, today), today=today)
    return _quote_detail(user, quote_id, today)


@router.post("/quotes/{int:quote_id}/refuse", response={200: QuoteDetailOut, **WRITE_ERRORS},
             summary="Noter que le client a refusé le devis")
def refuse_quote(request: HttpRequest, quote_id: int) -> Quote:
    user, today = _user(request), dates.local_today()
    documents.refuse_quote(actor=user, quote=_quote(user, quote_id, today), today=today)
    return _quote_detail(user, quote_id, today)


@router.post("/quotes/{int:quote_id}/signed-copy",
             response={200: QuoteDetailOut, **WRITE_ERRORS},
             summary="Déposer le devis signé « bon pour accord » (multipart : file, signed_by)",
             description="Un PDF ou une photo de 10 Mo au plus ; le devis devient accepté.")
def record_signed_quote(request: HttpRequest, quote_id: int, file: File[UploadedFile],
                        signed_by: Form[str] = "") -> Quote:
    user, today = _user(request), dates.local_today()
    quote = _quote(user, quote_id, today)
    if not permissions.can_sell_for(user, quote.activity, today=today):
        raise PermissionDenied
    # The size is known from the upload's headers: never read a file we refuse anyway.
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _(
            "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
            "scannez en qualité « document »."
        ) % {"size": round((file.size or 0) / 1024 / 1024)}})
    documents.record_signed_quote(actor=user, quote=quote, content=file.read(),
                                  signed_by=signed_by, today=today)
    return _quote_detail(user, quote_id, today)


@router.post("/quotes/{int:quote_id}/invoice", response={201: InvoiceDetailOut, **WRITE_ERRORS},
             summary="Faire la facture d'un devis accepté (brouillon)",
             description="Les acomptes émis sur le devis sont déduits à l'émission.")
def invoice_from_quote(request: HttpRequest, quote_id: int) -> Status[Invoice]:
    user, today = _user(request), dates.local_today()
    invoice = documents.invoice_from_quote(actor=user, quote=_quote(user, quote_id, today),
                                           today=today)
    return Status(201, _invoice_detail(user, invoice.pk, today))


@router.post("/quotes/{int:quote_id}/deposit", response={201: InvoiceDetailOut, **WRITE_ERRORS},
             summary="Faire une facture d'acompte d'un devis accepté (brouillon)",
             description="percent : entre 1 et 99 ; une ligne par taux de TVA.")
def deposit_from_quote(request: HttpRequest, quote_id: int,
                       payload: DepositIn) -> Status[Invoice]:
    user, today = _user(request), dates.local_today()
    invoice = documents.deposit_from_quote(actor=user, quote=_quote(user, quote_id, today),
                                           percent=payload.percent, today=today)
    return Status(201, _invoice_detail(user, invoice.pk, today))


# -- invoices and credit notes --------------------------------------------------------------


@router.get("/invoices", response=list[InvoiceOut],
            summary="Les factures, acomptes et avoirs que vous voyez, les plus récents d'abord")
@paginate(LimitOffsetPagination)
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilters]) -> QuerySet[Invoice]:
    invoices = selectors.invoices_for(_user(request), dates.local_today())
    if filters.status is not None:
        invoices = invoices.filter(status=filters.status)
    if filters.kind is not None:
        invoices = invoices.filter(kind=filters.kind)
    if filters.activity is not None:
        invoices = invoices.filter(activity_id=filters.activity)
    if filters.customer is not None:
        invoices = invoices.filter(customer_id=filters.customer)
    if filters.unpaid is not None:
        unpaid = Q(status=Invoice.Status.ISSUED, paid_on__isnull=True) & ~Q(
            kind=Invoice.Kind.CREDIT_NOTE)
        invoices = invoices.filter(unpaid) if filters.unpaid else invoices.exclude(unpaid)
    return invoices.order_by("-created_at", "-pk")


@router.get("/validation-queue", response=list[InvoiceOut],
            summary="Ce qui attend la validation du ou de la gestionnaire",
            description="Les factures soumises et les avoirs en brouillon des structures que "
                        "vous gérez, les plus anciens d'abord.")
@paginate(LimitOffsetPagination)
def list_validation_queue(request: HttpRequest) -> QuerySet[Invoice]:
    return selectors.validation_queue(_user(request), dates.local_today())


@router.post("/invoices", response={201: InvoiceDetailOut, **WRITE_ERRORS},
             summary="Faire une facture (brouillon) avec ses lignes",
             description=("Quantités et prix en chaînes (\"12,50\") ou en nombres JSON, lus "
                          "comme des décimaux. 422 avec le numéro de ligne pour un taux de TVA "
                          "qui n'existe pas, une quantité négative, un prix faux."))
def create_invoice(request: HttpRequest,
                   payload: InvoiceIn) -> Status[Invoice]:
    user, today = _user(request), dates.local_today()
    activity = _selling_activity(user, payload.activity_id, today)
    customer = _customer(user, payload.customer_id, today)
    invoice = documents.create_invoice(actor=user, activity=activity, customer=customer,
                                       lines=_line_inputs(activity, payload.lines), today=today,
                                       **payload.header())
    return Status(201, _invoice_detail(user, invoice.pk, today))


@router.get("/invoices/{int:invoice_id}", response={200: InvoiceDetailOut, **NOT_FOUND},
            summary="Une facture : lignes, paiements, avoirs et reste dû")
def get_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    return _invoice_detail(_user(request), invoice_id, dates.local_today())


@router.patch("/invoices/{int:invoice_id}", response={200: InvoiceDetailOut, **WRITE_ERRORS},
              summary="Changer une facture pas encore émise",
              description="Seuls les champs envoyés changent ; des lignes envoyées remplacent "
                          "toutes les lignes. Une facture émise ne change plus (422) : faites "
                          "un avoir.")
def update_invoice(request: HttpRequest, invoice_id: int,
                   payload: InvoicePatch) -> Invoice:
    user, today = _user(request), dates.local_today()
    invoice = _invoice(user, invoice_id, today)
    customer = (_customer(user, payload.customer_id, today)
                if payload.customer_id is not None else None)
    lines = (_line_inputs(invoice.activity, payload.lines)
             if payload.lines is not None else None)
    documents.update_invoice(actor=user, invoice=invoice, lines=lines, customer=customer,
                             today=today, **payload.changed_header())
    return _invoice_detail(user, invoice_id, today)


@router.delete("/invoices/{int:invoice_id}", response={204: None, **WRITE_ERRORS},
               summary="Supprimer une facture pas encore émise (émise : 422, faites un avoir)")
def delete_invoice(request: HttpRequest, invoice_id: int) -> Status[None]:
    user, today = _user(request), dates.local_today()
    documents.delete_invoice(actor=user, invoice=_invoice(user, invoice_id, today), today=today)
    return Status(204, None)


@router.post("/invoices/{int:invoice_id}/submit", response={200: InvoiceDetailOut,
                                                            **WRITE_ERRORS},
             summary="Soumettre le brouillon à la validation de la structure")
def submit_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    user, today = _user(request), dates.local_today()
    documents.submit_invoice(actor=user, invoice=_invoice(user, invoice_id, today), today=today)
    return _invoice_detail(user, invoice_id, today)


@router.post("/invoices/{int:invoice_id}/issue", response={200: InvoiceDetailOut,
                                                           **WRITE_ERRORS},
             summary="Valider et émettre : numéro, PDF Factur-X figé, écriture, envoi",
             description=("Le ou la gestionnaire de la structure, ou le coopérant dans la "
                          "limite de son plafond d'auto-validation. Rien n'est écrit si une "
                          "vérification échoue (422)."))
def issue_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    user, today = _user(request), dates.local_today()
    documents.issue_invoice(actor=user, invoice=_invoice(user, invoice_id, today), today=today)
    return _invoice_detail(user, invoice_id, today)


@router.post("/invoices/{int:invoice_id}/credit-note",
             response={201: InvoiceDetailOut, **WRITE_ERRORS},
             summary="Faire un avoir (brouillon) sur une facture émise",
             description=("Sans lignes : l'avoir de toute la facture. Avec des lignes : un "
                          "avoir partiel, jamais plus que ce qui reste à corriger (422)."))
def create_credit_note(request: HttpRequest, invoice_id: int,
                       payload: Annotated[CreditNoteIn | None, Body(None)] = None
                       ) -> Status[Invoice]:
    user, today = _user(request), dates.local_today()
    invoice = _invoice(user, invoice_id, today)
    wanted = payload or CreditNoteIn(lines=None, title="")
    lines = (_line_inputs(invoice.activity, wanted.lines)
             if wanted.lines is not None else None)
    note = documents.create_credit_note(actor=user, invoice=invoice, today=today, lines=lines,
                                        title=wanted.title)
    return Status(201, _invoice_detail(user, note.pk, today))


@router.get("/invoices/{int:invoice_id}/payments", response={200: list[PaymentOut],
                                                             **NOT_FOUND},
            summary="Les paiements reçus (ou remboursés, pour un avoir)")
def list_payments(request: HttpRequest, invoice_id: int) -> QuerySet[Payment]:
    invoice = _invoice(_user(request), invoice_id, dates.local_today())
    return invoice.payments.all()


@router.post("/invoices/{int:invoice_id}/payments", response={201: PaymentOut, **WRITE_ERRORS},
             summary="Enregistrer un paiement, partiel ou total",
             description=("Virement, chèque, espèces ou carte, au plus le reste dû ; il est "
                          "passé en comptabilité aussitôt."))
def record_payment(request: HttpRequest, invoice_id: int,
                   payload: PaymentIn) -> Status[Payment]:
    user, today = _user(request), dates.local_today()
    payment = payments.record_payment(
        actor=user, invoice=_invoice(user, invoice_id, today), amount=payload.amount,
        method=payload.method, received_on=payload.received_on or today,
        reference=payload.reference, today=today)
    return Status(201, payment)


@router.get("/invoices/{int:invoice_id}/pdf", response={404: ErrorOut, 409: ErrorOut},
            openapi_extra=PDF_RESPONSE,
            summary="Le PDF Factur-X d'une facture ou d'un avoir émis",
            description="409 tant que le document n'est pas émis : son PDF se fait à "
                        "l'émission.")
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    user, today = _user(request), dates.local_today()
    invoices = selectors.invoices_for(user, today).defer(None).defer("seller_mentions")
    invoice = get_in_scope(invoices, pk=invoice_id)
    if not invoice.is_issued or not invoice.pdf:
        raise HttpError(409, _("Ce document n'est pas encore émis : son PDF se fait à "
                               "l'émission, avec son numéro."))
    response = HttpResponse(bytes(invoice.pdf), content_type="application/pdf")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", invoice.number)
    response["Content-Disposition"] = (
        f'inline; filename="{FILENAME_PREFIX[Invoice.Kind(invoice.kind)]}-{name}.pdf"')
    response["ETag"] = f'"{invoice.pdf_sha256}"'
    return response
