"""Quotes, invoices, deposit invoices and credit notes: every write. Keyword-only, takes the
acting user, atomic, audited.

The flow: a seller (a member of the activity) drafts; a quote is sent (numbered, a private
acceptance link) and accepted by the customer or by an uploaded signed copy; an invoice is
drafted (from scratch or from the quote, deposit or final), submitted, then issued by the
structure's gestionnaire — or by the seller when a self-validation right covers its total.
Issuing checks everything first, then in one transaction takes the number, freezes the
mentions and the Factur-X PDF (SHA-256), posts the entry and records the audit event. The
delivery (e-mail, folder) runs once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import format_money, parse_amount, quantize
from kpa.directory.models import Activity, Person
from kpa.journey.uploads import check_upload
from kpa.sales import delivery, mentions, numbering, payments, permissions, posting
from kpa.sales.models import (
    ZERO,
    CatalogItem,
    Customer,
    DocumentSequence,
    Invoice,
    InvoiceLine,
    OperationCategory,
    Quote,
    QuoteLine,
    SellingRight,
)
from kpa.sales.services import price, require, signed_in, vat_rate_for
from kpa.sales.totals import Totals, compute

MAX_LINES = 200
MAX_QUANTITY = Decimal("1000000")
HEADER_FIELDS = ("title", "operation_category", "delivery_address", "note")
INVOICE_FIELDS = (*HEADER_FIELDS, "purchase_order", "service_date")


@dataclass
class LineInput:
    """One line as a form or the API gives it."""

    description: str = ""
    quantity: Decimal | str | int = 1
    unit_price: Decimal | str | int | None = None
    vat_rate: str | None = None
    unit: str | None = None
    is_service: bool | None = None
    item: CatalogItem | None = None


def _quantity(value: Decimal | str | int, where: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value))
    except ValueError:
        raise ValidationError(_("%(where)s : « %(value)s » n'est pas une quantité.")
                              % {"where": where, "value": value}) from None
    if amount <= 0:
        raise ValidationError(_(
            "%(where)s : la quantité doit être positive. Pour rendre de l'argent à un client, "
            "faites un avoir sur sa facture.") % {"where": where})
    if amount >= MAX_QUANTITY or amount != amount.quantize(Decimal("0.001")):
        raise ValidationError(_("%(where)s : quantité trop grande ou trop précise (3 décimales "
                                "au plus).") % {"where": where})
    return amount


def clean_lines(activity: Activity, lines: Sequence[LineInput]) -> list[dict[str, Any]]:
    """Checked lines, ready to store; every problem listed with its line number."""
    if not lines:
        raise ValidationError(_("Ajoutez au moins une ligne : ce que vous vendez."))
    if len(lines) > MAX_LINES:
        raise ValidationError(_("%(n)d lignes au plus par document.") % {"n": MAX_LINES})
    structure = activity.structure
    cleaned: list[dict[str, Any]] = []
    errors: list[str] = []
    for position, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d") % {"n": position}
        item = line.item
        try:
            if item is not None and item.activity_id != activity.pk:
                raise ValidationError(_("%(where)s : cet article n'est pas au catalogue de "
                                        "l'activité.") % {"where": where})
            description = (line.description or (item.name if item else "")).strip()
            if not description:
                raise ValidationError(_("%(where)s : dites ce que vous vendez.")
                                      % {"where": where})
            unit_price = line.unit_price if line.unit_price not in (None, "") else (
                item.unit_price if item else None)
            if unit_price is None:
                raise ValidationError(_("%(where)s : indiquez le prix unitaire HT.")
                                      % {"where": where})
            try:
                rate = vat_rate_for(structure, line.vat_rate or (item.vat_rate if item else ""))
                checked_price = price(unit_price)
            except ValidationError as error:
                raise ValidationError(f"{where} : {' '.join(error.messages)}") from None
            unit = line.unit or (item.unit if item else CatalogItem.Unit.PIECE)
            if unit not in CatalogItem.Unit.values:
                raise ValidationError(_("%(where)s : l'unité « %(unit)s » n'existe pas ; "
                                        "choisissez pièce, heure, jour, kg, mètre ou forfait.")
                                      % {"where": where, "unit": unit})
            cleaned.append({
                "position": position, "item": item, "description": description[:255],
                "quantity": _quantity(line.quantity, where), "unit_price": checked_price,
                "vat_rate": rate, "unit": unit,
                "is_service": line.is_service if line.is_service is not None else (
                    item.is_service if item else True),
            })
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _store_lines(document: Quote | Invoice, cleaned: list[dict[str, Any]]) -> Totals:
    rows: list[QuoteLine] | list[InvoiceLine]
    if isinstance(document, Quote):
        QuoteLine.objects.filter(quote=document).delete()
        rows = QuoteLine.objects.bulk_create([QuoteLine(quote=document, **values)
                                              for values in cleaned])
    else:
        InvoiceLine.objects.filter(invoice=document).delete()
        rows = InvoiceLine.objects.bulk_create([InvoiceLine(invoice=document, **values)
                                                for values in cleaned])
    totals = compute(rows)
    document.total_excl_vat = totals.excl_vat
    document.total_vat = totals.vat
    document.total_incl_vat = totals.incl_vat
    document.save(update_fields=["total_excl_vat", "total_vat", "total_incl_vat"])
    return totals


def _check_parties(activity: Activity, customer: Customer, day: dt.date) -> None:
    if customer.structure_id != activity.structure_id:
        raise ValidationError({"customer": _("Ce client est celui d'une autre structure.")})
    if customer.archived_at is not None:
        raise ValidationError({"customer": _("Ce client est archivé : réactivez-le ou "
                                             "choisissez-en un autre.")})
    if activity.ended_on is not None and activity.ended_on <= day:
        raise ValidationError({"activity": _("L'activité « %(activity)s » est terminée.")
                               % {"activity": activity}})


def _header(fields: dict[str, Any], allowed: Sequence[str]) -> dict[str, Any]:
    header = {k: v for k, v in fields.items() if k in allowed}
    category = header.get("operation_category")
    if category is not None and category not in OperationCategory.values:
        raise ValidationError({"operation_category": _("Choisissez biens, services ou les "
                                                       "deux.")})
    for name in ("title", "delivery_address", "note", "purchase_order"):
        if isinstance(header.get(name), str):
            header[name] = header[name].strip()
    return header


def _seller_person(actor: AnyUser) -> Person | None:
    return Person.objects.filter(user_id=actor.pk).first() if actor.is_authenticated else None


# -- quotes --------------------------------------------------------------------------------

@transaction.atomic
def create_quote(*, actor: AnyUser, activity: Activity, customer: Customer,
                 lines: Sequence[LineInput], today: dt.date, **fields: Any) -> Quote:
    require(permissions.can_sell_for(actor, activity, today=today))
    _check_parties(activity, customer, today)
    cleaned = clean_lines(activity, lines)
    quote = Quote.objects.create(structure=activity.structure, activity=activity,
                                 customer=customer, created_by=signed_in(actor),
                                 **_header(fields, HEADER_FIELDS))
    _store_lines(quote, cleaned)
    audit.record(actor=actor, action="sales.quote.created", target=quote,
                 data={"total": str(quote.total_incl_vat)})
    return quote


def _locked_quote(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().select_related(
        "activity__structure", "customer", "structure").get(pk=quote.pk)


@transaction.atomic
def update_quote(*, actor: AnyUser, quote: Quote, lines: Sequence[LineInput] | None = None,
                 today: dt.date, customer: Customer | None = None, **fields: Any) -> Quote:
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Le devis %(number)s est envoyé : il ne change plus. Faites "
                                "un nouveau devis.") % {"number": quote.number})
    if customer is not None:
        _check_parties(quote.activity, customer, today)
        quote.customer = customer
    for name, value in _header(fields, HEADER_FIELDS).items():
        setattr(quote, name, value)
    quote.save()
    if lines is not None:
        _store_lines(quote, clean_lines(quote.activity, lines))
    audit.record(actor=actor, action="sales.quote.updated", target=quote)
    return quote


@transaction.atomic
def delete_quote(*, actor: AnyUser, quote: Quote, today: dt.date) -> None:
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Un devis envoyé se garde ; marquez-le refusé s'il n'a pas "
                                "abouti."))
    audit.record(actor=actor, action="sales.quote.deleted", target=quote)
    quote.delete()


@transaction.atomic
def send_quote(*, actor: AnyUser, quote: Quote, today: dt.date) -> Quote:
    """Number the quote, open its private acceptance link and e-mail it to the customer."""
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Ce devis est déjà envoyé."))
    _check_parties(quote.activity, quote.customer, today)
    mentions.mentions_for(quote, on=today, seller=_seller_person(actor))  # may the seller sell?
    settings = mentions.settings_of(quote.structure)
    quote.number = numbering.take_number(structure=quote.structure,
                                         series=DocumentSequence.Series.QUOTE,
                                         pattern=settings.quote_pattern, day=today)
    quote.status = Quote.Status.SENT
    quote.sent_on = today
    quote.valid_until = today + dt.timedelta(days=settings.quote_validity_days)
    quote.acceptance_token = secrets.token_urlsafe(32)
    quote.save()
    audit.record(actor=actor, action="sales.quote.sent", target=quote,
                 data={"number": quote.number})
    delivery.send_quote_after_commit(quote, today=today)
    return quote


def quote_for_token(token: str) -> Quote | None:
    if not token or len(token) < 20:
        return None
    return (Quote.objects.select_related("activity", "customer", "structure")
            .filter(acceptance_token=token).first())


def _accept(quote: Quote, *, today: dt.date) -> None:
    if quote.status == Quote.Status.ACCEPTED:
        raise ValidationError(_("Ce devis est déjà accepté. Merci !"))
    if quote.status != Quote.Status.SENT:
        raise ValidationError(_("Ce devis n'est plus ouvert à l'acceptation."))
    if quote.valid_until is not None and today > quote.valid_until:
        raise ValidationError(_("Ce devis n'est plus valable depuis le %(day)s : demandez-en "
                                "un nouveau.") % {"day": quote.valid_until.strftime("%d/%m/%Y")})
    quote.status = Quote.Status.ACCEPTED
    quote.accepted_on = today


@transaction.atomic
def accept_quote_by_link(*, token: str, name: str, today: dt.date) -> Quote:
    """The customer accepts through the private link of the e-mail: no account needed; the
    typed name and the day are kept."""
    found = quote_for_token(token)
    if found is None:
        raise ValidationError(_("Ce lien d'acceptation n'est pas valable."))
    quote = _locked_quote(found)
    if not name.strip():
        raise ValidationError({"name": _("Écrivez votre nom pour accepter le devis.")})
    _accept(quote, today=today)
    quote.accepted_by_name = name.strip()[:150]
    quote.accepted_through = "link"
    quote.save()
    audit.record(actor=None, action="sales.quote.accepted", target=quote,
                 data={"through": "link", "name": quote.accepted_by_name})
    delivery.tell_sellers(quote, today=today, topic="sales.quote.accepted",
                          subject=_("Devis %(number)s accepté") % {"number": quote.number},
                          body=_("%(customer)s a accepté le devis %(number)s. Vous pouvez "
                                 "faire la facture.") % {"customer": quote.customer,
                                                         "number": quote.number})
    return quote


@transaction.atomic
def record_signed_quote(*, actor: AnyUser, quote: Quote, content: bytes, signed_by: str,
                        today: dt.date) -> Quote:
    """The customer signed the paper quote ("bon pour accord"): keep the scan."""
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _locked_quote(quote)
    upload = check_upload(content, field="signed_copy")
    _accept(quote, today=today)
    quote.signed_copy = upload.content
    quote.signed_copy_type = upload.content_type
    quote.accepted_by_name = signed_by.strip()[:150] or quote.customer.name
    quote.accepted_through = "signed"
    quote.save()
    audit.record(actor=actor, action="sales.quote.accepted", target=quote,
                 data={"through": "signed", "sha256": upload.sha256})
    return quote


@transaction.atomic
def refuse_quote(*, actor: AnyUser, quote: Quote, today: dt.date) -> Quote:
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.SENT:
        raise ValidationError(_("Seul un devis envoyé, pas encore accepté, peut être refusé."))
    quote.status = Quote.Status.REFUSED
    quote.refused_on = today
    quote.save()
    audit.record(actor=actor, action="sales.quote.refused", target=quote)
    return quote


def _lines_of(quote: Quote) -> list[LineInput]:
    return [LineInput(description=ln.description, quantity=ln.quantity,
                      unit_price=ln.unit_price, vat_rate=ln.vat_rate, unit=ln.unit,
                      is_service=ln.is_service, item=ln.item)
            for ln in quote.lines.all()]


def _accepted(quote: Quote) -> Quote:
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError(_("Le devis doit d'abord être accepté par le client."))
    return quote


@transaction.atomic
def invoice_from_quote(*, actor: AnyUser, quote: Quote, today: dt.date) -> Invoice:
    """The final invoice of an accepted quote: its lines; deposits already issued are
    deducted when it is issued."""
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _accepted(quote)
    if quote.invoices.filter(kind=Invoice.Kind.INVOICE).exists():
        raise ValidationError(_("Ce devis a déjà sa facture."))
    return _create_invoice(actor=actor, activity=quote.activity, customer=quote.customer,
                           lines=_lines_of(quote), kind=Invoice.Kind.INVOICE, quote=quote,
                           today=today, title=quote.title,
                           operation_category=quote.operation_category,
                           delivery_address=quote.delivery_address)


@transaction.atomic
def deposit_from_quote(*, actor: AnyUser, quote: Quote, percent: Decimal | str | int,
                       today: dt.date) -> Invoice:
    """A deposit invoice ("facture d'acompte") for `percent` of an accepted quote, one line
    per VAT rate so the VAT is right."""
    require(permissions.can_sell_for(actor, quote.activity, today=today))
    quote = _accepted(quote)
    try:
        share = Decimal(str(percent).replace(",", "."))
    except ArithmeticError:
        share = Decimal(-1)
    if not Decimal(0) < share < Decimal(100):
        raise ValidationError({"percent": _("Un acompte est un pourcentage entre 1 et 99.")})
    already = sum((i.total_incl_vat for i in quote.invoices.filter(kind=Invoice.Kind.DEPOSIT)),
                  ZERO)
    totals = compute(list(quote.lines.all()))
    lines = [LineInput(description=_("Acompte de %(pct)s %% sur le devis %(number)s")
                       % {"pct": f"{share:g}".replace(".", ","), "number": quote.number},
                       quantity=1, unit_price=quantize(group.base * share / 100),
                       vat_rate=f"{group.rate:.2f}", is_service=True)
             for group in totals.groups]
    deposit = _create_invoice(actor=actor, activity=quote.activity, customer=quote.customer,
                              lines=lines, kind=Invoice.Kind.DEPOSIT, quote=quote,
                              today=today, title=quote.title,
                              operation_category=quote.operation_category)
    if already + deposit.total_incl_vat > quote.total_incl_vat:  # rolled back with the rest
        raise ValidationError({"percent": _("Les acomptes dépasseraient le montant du devis.")})
    return deposit


# -- invoices ------------------------------------------------------------------------------

def _create_invoice(*, actor: AnyUser, activity: Activity, customer: Customer,
                    lines: Sequence[LineInput], kind: str, today: dt.date,
                    quote: Quote | None = None, credited: Invoice | None = None,
                    **fields: Any) -> Invoice:
    _check_parties(activity, customer, today)
    cleaned = clean_lines(activity, lines)
    invoice = Invoice.objects.create(
        structure=activity.structure, activity=activity, customer=customer, kind=kind,
        quote=quote, credited_invoice=credited, created_by=signed_in(actor),
        **_header(fields, INVOICE_FIELDS))
    _store_lines(invoice, cleaned)
    audit.record(actor=actor, action="sales.invoice.created", target=invoice,
                 data={"kind": kind, "total": str(invoice.total_incl_vat)})
    return invoice


@transaction.atomic
def create_invoice(*, actor: AnyUser, activity: Activity, customer: Customer,
                   lines: Sequence[LineInput], today: dt.date, **fields: Any) -> Invoice:
    require(permissions.can_sell_for(actor, activity, today=today))
    return _create_invoice(actor=actor, activity=activity, customer=customer, lines=lines,
                           kind=Invoice.Kind.INVOICE, today=today, **fields)


def _locked_invoice(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update(of=("self",)).select_related(
        "activity__structure", "customer", "structure", "credited_invoice").get(pk=invoice.pk)
    if locked.is_issued:
        raise ValidationError(_(
            "%(kind)s %(number)s est émise : elle ne change plus et ne se supprime pas. Pour la "
            "corriger, faites un avoir.") % {"kind": locked.get_kind_display(),
                                             "number": locked.number})
    return locked


def can_edit(actor: AnyUser, invoice: Invoice, today: dt.date) -> bool:
    if invoice.is_credit_note:
        return permissions.can_issue_credit_note(actor, invoice.structure, today=today)
    return permissions.can_sell_for(actor, invoice.activity, today=today)


@transaction.atomic
def update_invoice(*, actor: AnyUser, invoice: Invoice,
                   lines: Sequence[LineInput] | None = None, customer: Customer | None = None,
                   today: dt.date, **fields: Any) -> Invoice:
    require(can_edit(actor, invoice, today))
    invoice = _locked_invoice(invoice)
    if customer is not None and customer.pk != invoice.customer_id:
        if invoice.quote_id or invoice.credited_invoice_id:
            raise ValidationError({"customer": _("Le client vient du devis ou de la facture "
                                                 "corrigée ; il ne change pas.")})
        _check_parties(invoice.activity, customer, today)
        invoice.customer = customer
    for name, value in _header(fields, INVOICE_FIELDS).items():
        setattr(invoice, name, value)
    invoice.save()
    if lines is not None:
        _store_lines(invoice, clean_lines(invoice.activity, lines))
    if invoice.is_credit_note:
        _check_credit_fits(invoice)
    audit.record(actor=actor, action="sales.invoice.updated", target=invoice)
    return invoice


@transaction.atomic
def delete_invoice(*, actor: AnyUser, invoice: Invoice, today: dt.date) -> None:
    require(can_edit(actor, invoice, today))
    invoice = _locked_invoice(invoice)
    audit.record(actor=actor, action="sales.invoice.deleted", target=invoice,
                 data={"kind": invoice.kind})
    invoice.lines.all().delete()
    invoice.delete()


@transaction.atomic
def submit_invoice(*, actor: AnyUser, invoice: Invoice, today: dt.date) -> Invoice:
    """Ask the structure to validate and issue the draft."""
    require(permissions.can_sell_for(actor, invoice.activity, today=today))
    invoice = _locked_invoice(invoice)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError(_("Cette facture attend déjà la validation."))
    _check_issuable(invoice, today=today, seller=_seller_person(actor))
    invoice.status = Invoice.Status.SUBMITTED
    invoice.submitted_at = timezone.now()
    invoice.save(update_fields=["status", "submitted_at"])
    audit.record(actor=actor, action="sales.invoice.submitted", target=invoice)
    delivery.tell_managers(invoice, today=today)
    return invoice


def credit_room(invoice: Invoice, *, excluding: Invoice | None = None) -> Decimal:
    """What may still be credited on an invoice: its total less the credit notes issued or
    drafted against it."""
    notes = invoice.credit_notes.all()
    if excluding is not None:
        notes = notes.exclude(pk=excluding.pk)
    return invoice.total_incl_vat - sum((n.total_incl_vat for n in notes), ZERO)


def _check_credit_fits(note: Invoice) -> None:
    credited = note.credited_invoice
    assert credited is not None
    room = credit_room(credited, excluding=note)
    if note.total_incl_vat > room:
        raise ValidationError(_(
            "L'avoir (%(note)s €) dépasse ce qui reste à corriger sur la facture %(number)s "
            "(%(room)s €)."
        ) % {"note": format_money(note.total_incl_vat), "number": credited.number,
             "room": format_money(room)})


@transaction.atomic
def create_credit_note(*, actor: AnyUser, invoice: Invoice, today: dt.date,
                       lines: Sequence[LineInput] | None = None, title: str = "") -> Invoice:
    """A draft credit note on an issued invoice: all of it (no `lines`) or part of it."""
    require(permissions.can_issue_credit_note(actor, invoice.structure, today=today))
    invoice = Invoice.objects.select_for_update(of=("self",)).select_related(
        "activity__structure", "customer").get(pk=invoice.pk)
    if not invoice.is_issued or invoice.is_credit_note:
        raise ValidationError(_("Un avoir corrige une facture émise."))
    if lines is None:
        lines = [LineInput(description=ln.description, quantity=ln.quantity,
                           unit_price=ln.unit_price, vat_rate=ln.vat_rate, unit=ln.unit,
                           is_service=ln.is_service, item=ln.item)
                 for ln in invoice.lines.all()]
    note = _create_invoice(
        actor=actor, activity=invoice.activity, customer=invoice.customer, lines=lines,
        kind=Invoice.Kind.CREDIT_NOTE, credited=invoice, today=today,
        title=title or _("Avoir sur la facture %(number)s") % {"number": invoice.number},
        operation_category=invoice.operation_category)
    _check_credit_fits(note)
    return note


def _check_issuable(invoice: Invoice, *, today: dt.date,
                    seller: Person | None) -> dict[str, Any]:
    """Everything that must hold before a number is taken; raises a plain message. Returns
    the document's legal mentions as of `today`."""
    _check_parties(invoice.activity, invoice.customer, today)
    if not invoice.lines.exists() or invoice.total_incl_vat <= 0:
        raise ValidationError(_("Une facture sans montant ne s'émet pas : ajoutez une ligne."))
    customer = invoice.customer
    if customer.is_business and customer.country == "FR" and not customer.siren:
        raise ValidationError({"customer": _(
            "%(customer)s est un client professionnel : son SIREN doit figurer sur la facture. "
            "Complétez sa fiche client.") % {"customer": customer}})
    if invoice.is_credit_note:
        _check_credit_fits(invoice)
    return mentions.mentions_for(invoice, on=today, seller=seller)  # raises: nobody may sell


def may_issue(actor: AnyUser, invoice: Invoice, today: dt.date) -> bool:
    """The gestionnaire issues; a seller too when a self-validation right covers the total
    (credit notes: the gestionnaire only). Pages use it to offer the button."""
    if invoice.is_issued:
        return False
    if invoice.is_credit_note:
        return permissions.can_issue_credit_note(actor, invoice.structure, today=today)
    if permissions.can_validate_invoices(actor, invoice.structure, today=today):
        return True
    if not permissions.can_sell_for(actor, invoice.activity, today=today):
        return False
    right = SellingRight.objects.filter(structure=invoice.structure,
                                        person__user=signed_in(actor)).first()
    return right is not None and invoice.total_incl_vat <= right.self_validation_ceiling


@transaction.atomic
def issue_invoice(*, actor: AnyUser, invoice: Invoice, today: dt.date) -> Invoice:
    """Validate and issue: number, frozen mentions and Factur-X PDF, entry, audit; the
    e-mail and folder drop follow the commit. Nothing is written when a check fails."""
    if not can_edit(actor, invoice, today) and not permissions.can_validate_invoices(
            actor, invoice.structure, today=today):
        raise PermissionDenied
    invoice = _locked_invoice(invoice)
    if not may_issue(actor, invoice, today):
        raise ValidationError(_(
            "Cette facture dépasse votre plafond d'auto-validation, ou vous n'en avez pas : "
            "soumettez-la, le ou la gestionnaire de la structure la validera."))
    seller = _seller_person(actor)
    if permissions.manages_structure(actor, invoice.structure_id, today=today):
        seller = None
    settings = mentions.settings_of(invoice.structure)
    invoice.issued_on = today
    if not invoice.is_credit_note:
        invoice.due_on = today + dt.timedelta(days=settings.payment_terms_days)
    if invoice.kind == Invoice.Kind.INVOICE and invoice.quote_id:
        invoice.prepaid_amount = sum(
            (d.total_incl_vat for d in Invoice.objects.filter(
                quote_id=invoice.quote_id, kind=Invoice.Kind.DEPOSIT,
                status=Invoice.Status.ISSUED)), ZERO)
    frozen = _check_issuable(invoice, today=today, seller=seller)
    series, pattern = ((DocumentSequence.Series.CREDIT_NOTE, settings.credit_note_pattern)
                       if invoice.is_credit_note
                       else (DocumentSequence.Series.INVOICE, settings.invoice_pattern))
    invoice.number = numbering.take_number(structure=invoice.structure, series=series,
                                           pattern=pattern, day=today)
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_at = timezone.now()
    invoice.issued_by = signed_in(actor)
    invoice.seller_mentions = frozen
    lines = list(invoice.lines.all())
    totals = compute(lines)
    invoice.entry = posting.post_invoice(actor=actor, invoice=invoice, totals=totals,
                                         today=today)
    from kpa.sales.pdf import invoice_pdf  # WeasyPrint loads only where PDFs are made

    invoice.pdf = invoice_pdf(invoice, lines, invoice.seller_mentions)
    invoice.pdf_sha256 = hashlib.sha256(invoice.pdf).hexdigest()
    invoice.save()
    audit.record(actor=actor, action=f"sales.{invoice.kind}.issued", target=invoice,
                 data={"number": invoice.number, "total": str(invoice.total_incl_vat),
                       "sha256": invoice.pdf_sha256})
    if invoice.is_credit_note:
        payments.settle_after_credit(actor=actor, note=invoice, today=today)
    delivery.send_invoice_after_commit(invoice)
    if seller is None:  # issued by the structure: tell the activity
        delivery.tell_sellers(
            invoice, today=today, topic=f"sales.{invoice.kind}.issued",
            subject=_("%(kind)s %(number)s émise") % {"kind": invoice.get_kind_display(),
                                                     "number": invoice.number},
            body=_("%(kind)s %(number)s de %(total)s € TTC à %(customer)s est émise et "
                   "envoyée au client.") % {
                "kind": invoice.get_kind_display(), "number": invoice.number,
                "total": format_money(invoice.total_incl_vat), "customer": invoice.customer})
    return invoice
