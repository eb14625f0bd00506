"""Sending documents and telling people, always after the transaction commits (a rolled-back
issue sends nothing).

Invoices leave through channels: the e-mail to the customer with the Factur-X PDF attached,
and a drop folder on the server (for an accounting tool or, later, an approved e-invoicing
platform's connector). `KPA_INVOICE_CHANNELS` lists the channels in use; a new channel is a
class with a `name` and a `deliver(invoice) -> bool` method registered in `CHANNELS`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar, Protocol

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core.money import format_money
from kpa.core.notifications import notify
from kpa.directory.models import ActivityMembership, Role, RoleKind
from kpa.sales.mentions import settings_of
from kpa.sales.models import Invoice, Quote

logger = logging.getLogger(__name__)


class Channel(Protocol):
    name: ClassVar[str]

    def deliver(self, invoice: Invoice) -> bool: ...  # True when it was sent


class EmailChannel:
    name: ClassVar[str] = "email"

    def deliver(self, invoice: Invoice, *, reminder: bool = False) -> bool:
        address = invoice.customer.email
        if not address or not invoice.pdf:
            return False
        kind = invoice.get_kind_display()
        values = {"kind": kind.lower(), "number": invoice.number,
                  "total": format_money(invoice.total_incl_vat),
                  "due": invoice.due_on.strftime("%d/%m/%Y") if invoice.due_on else "",
                  "activity": invoice.activity.name, "structure": invoice.structure.name}
        body = (_("Bonjour,\n\nSauf erreur de notre part, la facture n° %(number)s de "
                  "%(total)s € TTC, échue le %(due)s, reste à régler. Vous la trouverez "
                  "ci-jointe.\n\n%(activity)s — %(structure)s") if reminder else
                _("Bonjour,\n\nVeuillez trouver ci-joint %(kind)s n° %(number)s de %(total)s € "
                  "TTC.\nLe fichier PDF contient la facture électronique (Factur-X).\n\n"
                  "%(activity)s — %(structure)s"))
        subject = _("Rappel : facture %(number)s — %(activity)s") if reminder else _(
            "%(kind)s %(number)s — %(activity)s")
        message = EmailMessage(subject=subject % {**values, "kind": kind}, body=body % values,
                               to=[address])
        message.attach(f"{invoice.number.replace('/', '-')}.pdf", bytes(invoice.pdf),
                       "application/pdf")
        message.send()
        return True


class FolderChannel:
    """`<drop folder>/<SIREN>/<number>.pdf`, written whole (temporary file, then rename)."""

    name: ClassVar[str] = "folder"

    def deliver(self, invoice: Invoice) -> bool:
        folder = settings_of(invoice.structure).drop_folder
        if not folder or not invoice.pdf:
            return False
        target = Path(folder) / invoice.structure.siren
        target.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target, suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(bytes(invoice.pdf))
        os.replace(temporary, target / f"{invoice.number.replace('/', '-')}.pdf")
        return True


CHANNELS: dict[str, Callable[[], Channel]] = {"email": EmailChannel, "folder": FolderChannel}


def channels() -> list[Channel]:
    names = getattr(settings, "KPA_INVOICE_CHANNELS", ("email", "folder"))
    return [CHANNELS[name]() for name in names]


def deliver_invoice(invoice: Invoice) -> list[str]:
    """Send through every channel; a failing channel is logged and does not stop the others
    (the invoice is issued whatever happens: it can be sent again from its page)."""
    used: list[str] = []
    for channel in channels():
        try:
            if channel.deliver(invoice):
                used.append(channel.name)
        except Exception:  # a mail server or a disk down must not lose the other channels
            logger.exception("Delivery of invoice %s through %s failed", invoice.pk,
                             channel.name)
    if used:
        Invoice.objects.filter(pk=invoice.pk).update(sent_at=timezone.now())
    return used


def send_invoice_after_commit(invoice: Invoice) -> None:
    transaction.on_commit(lambda: deliver_invoice(invoice))


def send_quote_after_commit(quote: Quote, *, today: dt.date) -> None:
    if not quote.customer.email:
        return

    def send() -> None:
        from kpa.sales.mentions import mentions_for
        from kpa.sales.pdf import quote_pdf

        pdf = quote_pdf(quote, list(quote.lines.all()), mentions_for(quote, on=today))
        link = settings.KPA_SITE_URL + reverse("sales:quote_accept",
                                               args=[quote.acceptance_token])
        message = EmailMessage(
            subject=_("Devis %(number)s — %(activity)s") % {
                "number": quote.number, "activity": quote.activity.name},
            body=_("Bonjour,\n\nVoici le devis n° %(number)s de %(total)s € TTC, valable "
                   "jusqu'au %(until)s.\nPour l'accepter, ouvrez ce lien : %(link)s\n\n"
                   "%(activity)s — %(structure)s") % {
                "number": quote.number, "total": format_money(quote.total_incl_vat),
                "until": quote.valid_until.strftime("%d/%m/%Y") if quote.valid_until else "",
                "link": link, "activity": quote.activity.name,
                "structure": quote.structure.name},
            to=[quote.customer.email],
        )
        message.attach(f"{quote.number.replace('/', '-')}.pdf", pdf, "application/pdf")
        message.send()

    transaction.on_commit(send)


def seller_users(document: Quote | Invoice, today: dt.date) -> list[User]:
    memberships = ActivityMembership.objects.current(today).filter(
        activity_id=document.activity_id, person__user__isnull=False).select_related(
        "person__user")
    return [m.person.user for m in memberships if m.person.user is not None]


def manager_users(structure_id: int, today: dt.date) -> list[User]:
    roles = Role.objects.current(today).filter(
        kind=RoleKind.GESTIONNAIRE, structure_id=structure_id,
        person__user__isnull=False).select_related("person__user")
    return [r.person.user for r in roles if r.person.user is not None]


def tell_sellers(document: Quote | Invoice, *, today: dt.date, topic: str, subject: str,
                 body: str) -> None:
    url = reverse("sales:quote_detail" if isinstance(document, Quote)
                  else "sales:invoice_detail", args=[document.pk])
    notify(recipients=seller_users(document, today), subject=subject, body=body, url=url,
           topic=topic)


def tell_managers(invoice: Invoice, *, today: dt.date) -> None:
    notify(recipients=manager_users(invoice.structure_id, today),
           subject=_("Facture à valider : %(activity)s") % {"activity": invoice.activity.name},
           body=_("%(activity)s demande l'émission d'une facture de %(total)s € TTC à "
                  "%(customer)s.") % {"activity": invoice.activity.name,
                                      "total": format_money(invoice.total_incl_vat),
                                      "customer": invoice.customer},
           url=reverse("sales:validation_queue"), topic="sales.invoice.submitted")
