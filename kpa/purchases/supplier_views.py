"""The supplier pages: supplier invoices (list, upload from a phone, review of the draft with
what was read from its Factur-X XML, posting, payment, the PDF) and the supplier records.

Thin views: gate → one service or selector → render. Out of reach is 404, never 403; a write a
service's gate refuses is 404 too; its French refusals land on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.audit import events_for
from kpa.core.forms import add_service_errors
from kpa.core.money import format_money
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Activity, Structure
from kpa.directory.validators import compact_identifier
from kpa.purchases import permissions, suppliers
from kpa.purchases import supplier_selectors as selectors
from kpa.purchases.models import Supplier, SupplierInvoice
from kpa.purchases.supplier_forms import (
    InvoiceForm,
    LineFormSet,
    PayForm,
    SupplierForm,
    UploadForm,
    line_inputs,
)

T = TypeVar("T")
PER_PAGE = 50
HISTORY_LIMIT = 30
STATUS_TABS = (
    ("", gettext_lazy("Toutes")),
    (SupplierInvoice.Status.DRAFT, gettext_lazy("À vérifier")),
    (SupplierInvoice.Status.POSTED, gettext_lazy("Comptabilisées")),
    (SupplierInvoice.Status.PAID, gettext_lazy("Payées")),
)
ACTION_LABELS = {
    "purchases.supplier_invoice.uploaded": gettext_lazy("PDF envoyé"),
    "purchases.supplier_invoice.updated": gettext_lazy("Vérifiée et complétée"),
    "purchases.supplier_invoice.posted": gettext_lazy("Comptabilisée"),
    "purchases.supplier_invoice.paid": gettext_lazy("Paiement enregistré"),
}


def gate(allowed: bool) -> None:
    if not allowed:
        raise Http404


def _form_data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _call(form: Any, save: Callable[[], T]) -> T | None:
    """The service's result, or None with its French refusal on the form."""
    try:
        return save()
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    except PermissionDenied:
        raise Http404 from None


def _acted(request: HttpRequest, call: Callable[[], T], success: str) -> T | None:
    try:
        result = call()
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return None
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, success)
    return result


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A form page: a refused POST answers 400 so that tools see the refusal."""
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _invoice(request: HttpRequest, pk: int, today: dt.date) -> SupplierInvoice:
    return get_in_scope(selectors.supplier_invoices_for(request.user, today), pk=pk)


def _detail_url(invoice: SupplierInvoice) -> str:
    return reverse("purchases:supplier_invoice_detail", args=[invoice.pk])


# -- supplier invoices ---------------------------------------------------------------------


@login_required
@require_GET
def supplier_invoice_list(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    invoices = selectors.supplier_invoices_for(request.user, today)
    counts = invoices.aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status))
                            for status in SupplierInvoice.Status.values})
    status = request.GET.get("etat", "")
    if status in SupplierInvoice.Status.values:
        invoices = invoices.filter(status=status)
    else:
        status = ""
    paginator = Paginator(invoices.order_by("-issued_on", "-pk"), PER_PAGE)
    paginator.count = counts[status or "all"]  # already counted above
    page = paginator.get_page(request.GET.get("page"))
    tabs = [(value, label, counts[value or "all"], value == status)
            for value, label in STATUS_TABS]
    return render(request, "purchases/suppliers/invoice_list.html", {
        "page": page, "invoices": page.object_list, "tabs": tabs, "status": status,
        "keeps_books": selectors.book_structures_for(request.user, today).exists(),
    })


def _upload_structure(form: UploadForm, activity: Activity | None) -> Structure:
    if activity is not None:
        return activity.structure
    structure = form.cleaned_data.get("structure")
    if structure is None:
        raise ValidationError({"activity": _("Choisissez l'activité pour laquelle vous avez "
                                             "acheté.")})
    return structure  # type: ignore[no-any-return]


@login_required
@require_http_methods(["GET", "POST"])
def supplier_invoice_upload(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    activities = selectors.upload_activities_for(request.user, today)
    structures = selectors.book_structures_for(request.user, today)
    gate(activities.exists() or structures.exists())
    form = UploadForm(_form_data(request), request.FILES or None, activities=activities,
                      structures=structures)
    if request.method == "POST" and form.is_valid():
        activity = form.cleaned_data["activity"]
        upload = form.cleaned_data["pdf"]
        invoice = _call(form, lambda: suppliers.upload_supplier_invoice(
            actor=request.user, structure=_upload_structure(form, activity),
            pdf=upload.read(), file_name=upload.name or "", activity=activity, today=today,
            supplier_name=form.cleaned_data["supplier_name"] or "",
            number=form.cleaned_data["number"] or "",
            issued_on=form.cleaned_data["issued_on"]))
        if invoice is not None:
            messages.success(request, _("Facture lue dans le PDF : vérifiez-la.")
                             if invoice.facturx_xml
                             else _("Facture enregistrée : ajoutez ses lignes."))
            return redirect(_detail_url(invoice))
    return _page(request, "purchases/suppliers/upload.html", {"form": form})


def _read_view(invoice: SupplierInvoice) -> dict[str, Any] | None:
    read = selectors.read_back(invoice)
    if read is None:
        return None
    ours = (invoice.total_excl_vat, invoice.total_vat, invoice.total_incl_vat)
    theirs = (read.total_excl_vat, read.total_vat, read.total_incl_vat)
    return {"read": read, "agrees": ours == theirs}


@login_required
@require_GET
def supplier_invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = _invoice(request, pk, today)
    user = request.user
    status = invoice.status
    can_post = (status == SupplierInvoice.Status.DRAFT
                and permissions.can_post_supplier_invoice(user, invoice, today=today))
    can_pay = (status == SupplierInvoice.Status.POSTED
               and permissions.can_pay_supplier_invoice(user, invoice, today=today))
    return render(request, "purchases/suppliers/invoice_detail.html", {
        "invoice": invoice, "lines": list(invoice.lines.all()),
        "facturx": _read_view(invoice),
        "can_edit": suppliers.can_edit_supplier_invoice(user, invoice, today=today),
        "can_post": can_post,
        "pay_form": PayForm(initial={"paid_on": today}) if can_pay else None,
        "history": [(event, ACTION_LABELS.get(event.action, event.action))
                    for event in events_for(invoice).order_by("-at", "-id")[:HISTORY_LIMIT]],
        "franchise": suppliers.is_franchise(invoice.structure),
    })


def _line_initial(invoice: SupplierInvoice) -> list[dict[str, Any]]:
    return [{"description": ln.description, "category": ln.category,
             "amount_excl_vat": format_money(ln.amount_excl_vat).replace("\u202f", ""),
             "vat_rate": f"{ln.vat_rate.normalize():f}".replace(".", ",")}
            for ln in invoice.lines.all()]


@login_required
@require_http_methods(["GET", "POST"])
def supplier_invoice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    user = request.user
    invoice = _invoice(request, pk, today)
    gate(suppliers.can_edit_supplier_invoice(user, invoice, today=today))
    keeps_books = permissions.keeps_books_of(user, invoice.structure_id, today=today)
    structure_activities = selectors.upload_activities_for(user, today).filter(
        structure_id=invoice.structure_id)
    form = InvoiceForm(
        _form_data(request), initial=InvoiceForm.initial_from(invoice),
        suppliers=(Supplier.objects.filter(structure_id=invoice.structure_id)
                   if keeps_books else None),
        activities=structure_activities,
        pots=selectors.common_pots_of(invoice.structure) if keeps_books else None,
        activity_required=not keeps_books)
    lines = LineFormSet(_form_data(request), prefix="lignes",
                        initial=_line_initial(invoice))
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        saved = _call(form, lambda: suppliers.update_supplier_invoice(
            actor=user, invoice=invoice, today=today, lines=line_inputs(lines),
            **form.cleaned_data))
        if saved is not None:
            messages.success(request, _("La facture est enregistrée."))
            return redirect(_detail_url(saved))
    return _page(request, "purchases/suppliers/invoice_form.html", {
        "invoice": invoice, "form": form, "lines": lines, "facturx": _read_view(invoice),
    })


@login_required
@require_POST
def supplier_invoice_post(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = _invoice(request, pk, today)
    gate(permissions.can_post_supplier_invoice(request.user, invoice, today=today))
    _acted(request, lambda: suppliers.post_supplier_invoice(
        actor=request.user, invoice=invoice, today=today),
        _("La facture est comptabilisée."))
    return redirect(_detail_url(invoice))


@login_required
@require_POST
def supplier_invoice_pay(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = _invoice(request, pk, today)
    gate(permissions.can_pay_supplier_invoice(request.user, invoice, today=today))
    form = PayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Donnez la date du paiement."))
    else:
        _acted(request, lambda: suppliers.pay_supplier_invoice(
            actor=request.user, invoice=invoice, paid_on=form.cleaned_data["paid_on"],
            today=today), _("Le paiement est enregistré."))
    return redirect(_detail_url(invoice))


@login_required
@require_GET
def supplier_invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = _invoice(request, pk, dates.local_today())
    content = selectors.pdf_of(invoice)
    gate(bool(content))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in invoice.number)[:50]
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="facture-fournisseur-{safe}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# -- suppliers -----------------------------------------------------------------------------


@login_required
@require_GET
def supplier_list(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = list(selectors.book_structures_for(request.user, today))
    gate(bool(structures))
    found = selectors.suppliers_for(request.user, today)
    search = request.GET.get("q", "").strip()
    if search:
        matches = Q(name__icontains=search)
        digits = compact_identifier(search)
        if digits.isdigit():
            matches |= Q(siren__startswith=digits)
        found = found.filter(matches)
    page = Paginator(found.order_by("name", "id"), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "purchases/suppliers/supplier_list.html", {
        "page": page, "suppliers": page.object_list, "search": search,
        "several_structures": len(structures) > 1,
    })


@login_required
@require_http_methods(["GET", "POST"])
def supplier_new(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    structures = selectors.book_structures_for(request.user, today)
    choices = list(structures)
    gate(bool(choices))
    several = len(choices) > 1
    form = SupplierForm(_form_data(request), structures=structures if several else None)
    if request.method == "POST" and form.is_valid():
        structure = form.cleaned_data["structure"] if several else choices[0]
        supplier = _call(form, lambda: suppliers.create_supplier(
            actor=request.user, structure=structure, today=today, **form.supplier_fields()))
        if supplier is not None:
            messages.success(request, _("Le fournisseur est enregistré."))
            return redirect("purchases:supplier_detail", supplier.pk)
    return _page(request, "purchases/suppliers/supplier_form.html",
                 {"form": form, "supplier": None})


@login_required
@require_GET
def supplier_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    supplier = get_in_scope(selectors.suppliers_for(request.user, today), pk=pk)
    invoices = (selectors.supplier_invoices_for(request.user, today)
                .filter(supplier=supplier).order_by("-issued_on", "-pk"))
    return render(request, "purchases/suppliers/supplier_detail.html", {
        "supplier": supplier, "invoices": invoices[:PER_PAGE],
        "can_manage": suppliers.can_manage_suppliers(request.user, supplier.structure,
                                                     today=today),
    })


@login_required
@require_http_methods(["GET", "POST"])
def supplier_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    supplier = get_in_scope(selectors.suppliers_for(request.user, today), pk=pk)
    gate(suppliers.can_manage_suppliers(request.user, supplier.structure, today=today))
    form = SupplierForm(_form_data(request), initial=SupplierForm.initial_from(supplier))
    if request.method == "POST" and form.is_valid():
        saved = _call(form, lambda: suppliers.update_supplier(
            actor=request.user, supplier=supplier, today=today, **form.supplier_fields()))
        if saved is not None:
            messages.success(request, _("Le fournisseur est enregistré."))
            return redirect("purchases:supplier_detail", saved.pk)
    return _page(request, "purchases/suppliers/supplier_form.html",
                 {"form": form, "supplier": supplier})
