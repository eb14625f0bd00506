"""One invoice's page and its actions: submit, issue, delete, the PDF, a payment, a credit
note. A document out of reach is 404, never 403; an action a service refuses with
PermissionDenied on a visible invoice is 404 too, and its French ValidationError comes back on
the form or as a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.money import format_money
from kpa.directory.models import Structure
from kpa.sales import documents, payments, permissions
from kpa.sales.document_views import line_choices, typed_lines
from kpa.sales.forms import (
    CreditNoteForm,
    PaymentForm,
    compact_lines,
    lines_initial,
    lines_of_formset,
    money_text,
)
from kpa.sales.mentions import mentions_for
from kpa.sales.models import Invoice, Payment
from kpa.sales.totals import compute
from kpa.sales.view_helpers import (
    acted,
    back_to,
    form_page,
    gate,
    history,
    invoice_in_reach,
    invoice_state,
    invoice_url,
    label,
    pdf_response,
    person_of,
    submit,
)


def _invoice_context(request: HttpRequest, invoice: Invoice, today: dt.date, *,
                     payment_form: PaymentForm | None = None) -> dict[str, Any]:
    user = request.user
    lines = list(invoice.lines.all())
    issued = invoice.is_issued
    credit_notes = [] if invoice.is_credit_note else list(
        invoice.credit_notes.defer("pdf", "seller_mentions").order_by("created_at", "id"))
    credited = (Invoice.objects.defer("pdf", "seller_mentions")
                .get(pk=invoice.credited_invoice_id) if invoice.credited_invoice_id else None)
    balance = payments.balance_due(invoice) if issued else invoice.total_incl_vat
    deposits = list(Invoice.objects.filter(quote_id=invoice.quote_id, kind=Invoice.Kind.DEPOSIT)
                    .exclude(pk=invoice.pk).defer("pdf", "seller_mentions")
                    ) if invoice.quote_id and invoice.kind == Invoice.Kind.INVOICE else []
    can_pay = (issued and balance != 0
               and permissions.can_record_payment(user, invoice.activity, today=today))
    if payment_form is None and can_pay:
        payment_form = PaymentForm(auto_id="paiement_%s", initial={
            "amount": money_text(abs(balance)), "received_on": today})
    can_edit = not issued and documents.can_edit(request.user, invoice, today)
    return {
        "invoice": invoice, "lines": lines, "totals": compute(lines), "today": today,
        "franchise": invoice.structure.vat_regime == Structure.VatRegime.FRANCHISE,
        "state": invoice_state(invoice, today, balance),
        "balance": balance, "refund": balance < 0,
        "payments": list(invoice.payments.all()) if issued else [],
        "payment_form": payment_form if can_pay else None,
        "credit_notes": credit_notes, "credited": credited, "deposits": deposits,
        "can_edit": can_edit,
        "can_submit": (invoice.status == Invoice.Status.DRAFT and not invoice.is_credit_note
                       and can_edit),
        "can_issue": documents.may_issue(user, invoice, today),
        "can_credit": (issued and not invoice.is_credit_note
                       and permissions.can_issue_credit_note(user, invoice.structure,
                                                             today=today)
                       and documents.credit_room(invoice) > 0),
        "history": history(invoice),
    }


@login_required
@require_GET
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    return render(request, "sales/invoice_detail.html", _invoice_context(request, invoice, today))


@login_required
@require_POST
def invoice_submit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    acted(request, lambda: documents.submit_invoice(actor=request.user, invoice=invoice,
                                                    today=today),
          _("La facture est envoyée à la structure pour validation. Vous serez prévenu·e "
            "quand elle sera émise."))
    return redirect(invoice_url(invoice))


def _issued_message(invoice: Invoice) -> str:
    if invoice.customer.email:
        return _("%(doc)s est émise. Elle part par e-mail à %(customer)s avec son PDF.") % {
            "doc": label(invoice), "customer": invoice.customer.name}
    return _("%(doc)s est émise. Le client n'a pas d'e-mail : téléchargez le PDF pour le lui "
             "remettre.") % {"doc": label(invoice)}


@login_required
@require_POST
def invoice_issue(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    acted(request, lambda: documents.issue_invoice(actor=request.user, invoice=invoice,
                                                   today=today), _issued_message)
    return redirect(back_to(request, invoice_url(invoice)))


@login_required
@require_POST
def invoice_delete(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    deleted = acted(request, lambda: documents.delete_invoice(actor=request.user,
                                                              invoice=invoice, today=today)
                    or True, _("Le brouillon est supprimé."))
    return redirect("sales:home" if deleted else invoice_url(invoice))


@login_required
@require_GET
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """An issued document's stored Factur-X PDF, byte for byte; a draft's preview, stamped
    "BROUILLON", made on the fly."""
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    if invoice.is_issued:
        if not invoice.pdf:
            raise Http404
        return pdf_response(invoice.pdf, f"{invoice.number.replace('/', '-')}.pdf")
    lines = list(invoice.lines.all())
    try:
        mentions = mentions_for(invoice, on=today, seller=person_of(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(invoice_url(invoice))
    from kpa.sales import pdf  # WeasyPrint loads only where PDFs are made

    return pdf_response(pdf.invoice_pdf(invoice, lines, mentions, draft=True),
                         f"brouillon-{invoice.pk}.pdf")


@login_required
@require_POST
def invoice_payment(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    gate(permissions.can_record_payment(request.user, invoice.activity, today=today))
    form = PaymentForm(request.POST, auto_id="paiement_%s")

    def success(payment: Payment) -> str:
        amount = format_money(payment.amount)
        invoice.refresh_from_db(fields=["paid_on"])
        if invoice.paid_on is not None and not invoice.is_credit_note:
            return _("Paiement de %(amount)s € enregistré. La facture est payée.") % {
                "amount": amount}
        return _("Paiement de %(amount)s € enregistré.") % {"amount": amount}

    done = submit(request, form, lambda: payments.record_payment(
        actor=request.user, invoice=invoice, amount=form.cleaned_data["amount"],
        method=form.cleaned_data["method"], received_on=form.cleaned_data["received_on"],
        reference=form.cleaned_data["reference"], today=today),
        success, then=lambda _payment: invoice_url(invoice))
    if done:
        return done
    context = _invoice_context(request, invoice, today, payment_form=form)
    if context["payment_form"] is None:  # nothing to pay any more: the refusal as a message
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(invoice_url(invoice))
    return render(request, "sales/invoice_detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def invoice_credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    """A credit note on an issued invoice: all of it, or the lines typed here."""
    today = dates.local_today()
    invoice = invoice_in_reach(request, pk, today)
    gate(invoice.is_issued and not invoice.is_credit_note
         and permissions.can_issue_credit_note(request.user, invoice.structure, today=today))
    choices = line_choices(request, [invoice.activity])
    lines, to_save = typed_lines(request, choices, lines_initial(invoice))
    form = CreditNoteForm(compact_lines(request.POST) if to_save else None,
                          initial=request.POST.dict() if request.method == "POST" else None)

    def save() -> Invoice:
        if not lines.is_valid():
            raise ValidationError(_("Corrigez les lignes signalées ci-dessous."))
        partial = form.cleaned_data["scope"] == CreditNoteForm.PART
        return documents.create_credit_note(
            actor=request.user, invoice=invoice, today=today, title=form.cleaned_data["title"],
            lines=lines_of_formset(lines, invoice.operation_category) if partial else None)

    done = submit(request, form, save, _("L'avoir est préparé. Vérifiez-le, puis validez-le "
                                         "pour l'émettre."), then=invoice_url) if to_save else None
    return done or form_page(request, "sales/credit_note_form.html", {
        "invoice": invoice, "form": form, "lines": lines,
        "room": documents.credit_room(invoice), "has_catalog": bool(choices.items),
    })
