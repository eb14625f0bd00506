"""Plain words for the journey's history: what each audit action means, who did it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpa.core.models import AuditEvent

register = template.Library()

ACTION_LABELS = {
    "journey.journey.registered": gettext_lazy("inscription"),
    "journey.journey.updated": gettext_lazy("inscription modifiée"),
    "journey.journey.validated": gettext_lazy("inscription validée par la structure"),
    "journey.journey.activated": gettext_lazy("début de l'activité"),
    "journey.journey.exited": gettext_lazy("sortie enregistrée"),
    "journey.document.uploaded": gettext_lazy("pièce déposée"),
    "journey.document.checked": gettext_lazy("pièce vérifiée"),
    "journey.document.purged": gettext_lazy("pièce supprimée (conservation écoulée)"),
    "journey.step.added": gettext_lazy("étape ajoutée"),
    "journey.contract.issued": gettext_lazy("contrat émis"),
    "journey.contract.reissued": gettext_lazy("réémis à la place d'un contrat pas signé à temps"),
    "journey.contract.renewed": gettext_lazy("renouvellement émis"),
    "journey.contract.decided": gettext_lazy("suite du contrat décidée"),
    "journey.person_data.exported": gettext_lazy("données exportées"),
    "journey.person_data.erased": gettext_lazy("données effacées"),
}


@register.filter
def action_label(event: AuditEvent) -> str:
    if event.action == "journey.contract.signed":
        return (_("copie signée déposée") if event.data.get("method") == "scan"
                else _("signé sur la plateforme"))
    return str(ACTION_LABELS.get(event.action, event.action))


@register.filter
def display_name(user: Any) -> str:
    """The person's name when the account has one, else the login; "système" for no one."""
    if user is None:
        return _("système")
    person = getattr(user, "person", None)
    return str(person.full_name if person is not None else user.get_username())
