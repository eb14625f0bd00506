"""Who may sell under an activity: a member holding a running, signed CAPE with the carrying
structure, whose insurance the insurer confirmed. The CAPE mention printed on every document
comes from that contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kpa.directory.models import Activity, ActivityMembership, Person
from kpa.journey.models import Contract, InsuranceEntry, Journey, JourneyStatus


@dataclass(frozen=True)
class CapeHolder:
    person: Person
    since: dt.date  # the first period's start
    ends_on: dt.date  # the running period's exclusive end

    def mention(self, structure_name: str) -> str:
        last_day = self.ends_on - dt.timedelta(days=1)
        return _(
            "%(name)s, entrepreneur·e en CAPE au sein de %(structure)s depuis le %(since)s "
            "(contrat d'appui au projet d'entreprise échéant le %(end)s)"
        ) % {"name": f"{self.person.first_name} {self.person.last_name}".strip(),
             "structure": structure_name, "since": self.since.strftime("%d/%m/%Y"),
             "end": last_day.strftime("%d/%m/%Y")}


def _holder(person: Person, activity: Activity, on: dt.date) -> CapeHolder | str:
    """The person's CAPE with the activity's structure on `on`, or why they may not sell."""
    journey = (Journey.objects.filter(person=person, structure_id=activity.structure_id)
               .exclude(status=JourneyStatus.ENDED).order_by("-created_at").first())
    name = f"{person.first_name} {person.last_name}".strip()
    if journey is None or journey.status != JourneyStatus.ACTIVE:
        return _("%(name)s n'a pas de contrat CAPE actif avec %(structure)s : la vente attend "
                 "le début du contrat.") % {"name": name, "structure": activity.structure}
    contracts = list(journey.contracts.exclude(status=Contract.Status.VOID)
                     .order_by("period_number"))
    running = next((c for c in contracts if c.status == Contract.Status.SIGNED
                    and c.starts_on <= on < c.ends_on), None)
    if running is None:
        return _("%(name)s n'a pas de contrat CAPE signé qui couvre le %(day)s.") % {
            "name": name, "day": on.strftime("%d/%m/%Y")}
    if not journey.insurance_entries.filter(answer=InsuranceEntry.Answer.ACCEPTED).exists():
        return _("L'assurance de %(name)s n'est pas encore confirmée par l'assureur : la vente "
                 "attend sa réponse.") % {"name": name}
    return CapeHolder(person=person, since=contracts[0].starts_on, ends_on=running.ends_on)


def cape_holder(activity: Activity, *, on: dt.date, prefer: Person | None = None) -> CapeHolder:
    """The member whose CAPE carries the sale: `prefer` (the seller) when they are a member,
    else the first member who qualifies. Raises a plain `ValidationError` otherwise."""
    members = [m.person for m in ActivityMembership.objects.current(on).filter(
        activity=activity).select_related("person").order_by("joined_on", "id")]
    if prefer is not None and any(p.pk == prefer.pk for p in members):
        members.sort(key=lambda p: p.pk != prefer.pk)
    reasons: list[str] = []
    for person in members:
        found = _holder(person, activity, on)
        if isinstance(found, CapeHolder):
            return found
        reasons.append(found)
    if not members:
        reasons.append(_("L'activité « %(activity)s » n'a aucun membre le %(day)s.") % {
            "activity": activity, "day": on.strftime("%d/%m/%Y")})
    raise ValidationError(reasons[0])
