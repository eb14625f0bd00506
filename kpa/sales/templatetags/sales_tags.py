"""Plain words for a document's history (what each audit action means) and its figures
("1,5", "20 %")."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpa.core.models import AuditEvent
from kpa.sales.forms import decimal_text
from kpa.sales.totals import PricedLine, line_net

register = template.Library()

ACTION_LABELS = {
    "sales.invoice.created": gettext_lazy("brouillon créé"),
    "sales.invoice.updated": gettext_lazy("brouillon modifié"),
    "sales.invoice.submitted": gettext_lazy("envoyée à la structure pour validation"),
    "sales.invoice.issued": gettext_lazy("facture validée et émise"),
    "sales.deposit.issued": gettext_lazy("facture d'acompte validée et émise"),
    "sales.credit_note.issued": gettext_lazy("avoir validé et émis"),
    "sales.invoice.reminded": gettext_lazy("rappel envoyé au client"),
    "sales.quote.created": gettext_lazy("brouillon créé"),
    "sales.quote.updated": gettext_lazy("brouillon modifié"),
    "sales.quote.sent": gettext_lazy("devis envoyé au client"),
    "sales.quote.refused": gettext_lazy("devis refusé par le client"),
}


@register.filter
def action_label(event: AuditEvent) -> str:
    if event.action == "sales.quote.accepted":
        if event.data.get("through") == "link":
            return _("accepté en ligne par %(name)s") % {"name": event.data.get("name", "")}
        return _("copie signée déposée : devis accepté")
    return str(ACTION_LABELS.get(event.action, event.action))


@register.filter
def net(line: PricedLine) -> Decimal:
    """A line's amount excl. VAT, rounded as the totals round it."""
    return line_net(line)


@register.filter
def quantity(value: Decimal | None) -> str:
    """"1,5" rather than "1.500"."""
    return decimal_text(value)


@register.filter
def rate(value: Decimal | str) -> str:
    """"20 %", "5,5 %"."""
    text = f"{Decimal(value).normalize():f}".replace(".", ",")
    return f"{text}\u00a0%"
