"""One quote's page and its actions: delete, send, the signed copy, refuse, the invoice and
the deposit made from it, the PDF. A quote out of reach is 404, never 403; an action a service
refuses with PermissionDenied on a visible quote is 404 too, and its French ValidationError
comes back as a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kpa.core import dates
from kpa.directory.models import Structure
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.sales import documents, permissions
from kpa.sales.forms import DepositForm, SignedQuoteForm
from kpa.sales.mentions import mentions_for
from kpa.sales.models import Invoice, Quote
from kpa.sales.totals import compute
from kpa.sales.view_helpers import (
    acted,
    gate,
    history,
    invoice_url,
    pdf_response,
    person_of,
    quote_in_reach,
    quote_state,
    quote_url,
)


def _quote_context(request: HttpRequest, quote: Quote, today: dt.date) -> dict[str, Any]:
    lines = list(quote.lines.all())
    can_sell = permissions.can_sell_for(request.user, quote.activity, today=today)
    invoices = list(quote.invoices.defer("pdf", "seller_mentions").order_by("created_at", "id"))
    state = quote_state(quote, today)
    expired = (quote.status == Quote.Status.SENT and quote.valid_until is not None
               and quote.valid_until < today)
    return {
        "quote": quote, "lines": lines, "totals": compute(lines), "state": state,
        "franchise": quote.structure.vat_regime == Structure.VatRegime.FRANCHISE,
        "today": today, "can_sell": can_sell, "expired": expired,
        "acceptance_link": request.build_absolute_uri(
            reverse("sales:quote_accept", args=[quote.acceptance_token]))
        if quote.status == Quote.Status.SENT and quote.acceptance_token else "",
        "invoices": invoices,
        "has_final": any(i.kind == Invoice.Kind.INVOICE for i in invoices),
        "deposit_form": DepositForm(auto_id="acompte_%s"),
        "signed_form": SignedQuoteForm(auto_id="signe_%s"),
        "has_signed_copy": quote.accepted_through == "signed",
        "history": history(quote),
    }


@login_required
@require_GET
def quote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    return render(request, "sales/quote_detail.html", _quote_context(request, quote, today))


@login_required
@require_POST
def quote_delete(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    deleted = acted(request, lambda: documents.delete_quote(actor=request.user, quote=quote,
                                                            today=today) or True,
                    _("Le brouillon de devis est supprimé."))
    return redirect("sales:home" if deleted else quote_url(quote))


def _sent_message(quote: Quote) -> str:
    if quote.customer.email:
        return _("Le devis %(number)s est envoyé par e-mail à %(customer)s, avec le lien pour "
                 "l'accepter.") % {"number": quote.number, "customer": quote.customer.name}
    return _("Le devis %(number)s est prêt. Le client n'a pas d'e-mail : donnez-lui le PDF ou "
             "le lien d'acceptation ci-dessous.") % {"number": quote.number}


@login_required
@require_POST
def quote_send(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    acted(request, lambda: documents.send_quote(actor=request.user, quote=quote, today=today),
          _sent_message)
    return redirect(quote_url(quote))


@login_required
@require_POST
def quote_signed(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    gate(permissions.can_sell_for(request.user, quote.activity, today=today))
    form = SignedQuoteForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(quote_url(quote))
    upload = form.cleaned_data["file"]
    # Refused on its announced size, before a byte is read into memory.
    if upload.size is None or upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une "
                                  "photo moins grande ou scannez en qualité « document ».")
                       % {"size": round((upload.size or 0) / 1024 / 1024)})
        return redirect(quote_url(quote))
    content = upload.read(MAX_UPLOAD_BYTES + 1)
    acted(request, lambda: documents.record_signed_quote(
        actor=request.user, quote=quote, content=content,
        signed_by=form.cleaned_data["signed_by"], today=today),
        _("Le devis signé est déposé : le devis est accepté. Vous pouvez faire la facture."))
    return redirect(quote_url(quote))


@login_required
@require_GET
def quote_signed_copy(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    if not quote.signed_copy:  # deferred by the selector: read only here
        raise Http404
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png",
                 "image/webp": "webp"}.get(quote.signed_copy_type, "bin")
    response = HttpResponse(bytes(quote.signed_copy),
                            content_type=quote.signed_copy_type or "application/octet-stream")
    response["Content-Disposition"] = (
        f'attachment; filename="devis-signe-{quote.number or quote.pk}.{extension}"')
    return response


@login_required
@require_POST
def quote_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    acted(request, lambda: documents.refuse_quote(actor=request.user, quote=quote,
                                                  today=today),
          _("Le devis est marqué refusé."))
    return redirect(quote_url(quote))


@login_required
@require_POST
def quote_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    invoice = acted(request, lambda: documents.invoice_from_quote(
        actor=request.user, quote=quote, today=today),
        _("La facture est préparée avec les lignes du devis ; les acomptes émis seront "
          "déduits. Vérifiez-la, puis demandez sa validation."))
    return redirect(invoice_url(invoice) if invoice else quote_url(quote))


@login_required
@require_POST
def quote_deposit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    form = DepositForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(quote_url(quote))
    invoice = acted(request, lambda: documents.deposit_from_quote(
        actor=request.user, quote=quote, percent=form.cleaned_data["percent"], today=today),
        _("La facture d'acompte est préparée. Vérifiez-la, puis demandez sa validation."))
    return redirect(invoice_url(invoice) if invoice else quote_url(quote))


@login_required
@require_GET
def quote_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    quote = quote_in_reach(request, pk, today)
    lines = list(quote.lines.all())
    try:
        mentions = mentions_for(quote, on=quote.sent_on or today, seller=person_of(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(quote_url(quote))
    from kpa.sales import pdf  # WeasyPrint loads only where PDFs are made

    name = quote.number.replace("/", "-") if quote.number else f"devis-brouillon-{quote.pk}"
    return pdf_response(pdf.quote_pdf(quote, lines, mentions), f"{name}.pdf")
