"""Where a journey stands, in plain words: who acts next, what blocks it and since when, the
next deadline. Reads only what the journey's prefetched relations hold (see
`selectors.journeys_for`), so the board stays at a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpa.journey import services
from kpa.journey.models import Contract, InsuranceEntry, Journey, JourneyStatus


@dataclass(frozen=True)
class Progress:
    next_actor: str
    blockers: list[str]
    next_deadline: tuple[dt.date, str] | None
    missing: list[str]


def _days(since: dt.date, today: dt.date) -> str:
    days = (today - since).days
    if days <= 0:
        return _("depuis aujourd'hui")
    return ngettext("depuis %(n)s jour", "depuis %(n)s jours", days) % {"n": days}


def live_contracts(journey: Journey) -> list[Contract]:
    """The journey's periods that count (not void), oldest first, from the prefetched list."""
    return sorted((c for c in journey.contracts.all() if c.status != Contract.Status.VOID),
                  key=lambda c: c.period_number)


def progress_of(journey: Journey, today: dt.date) -> Progress:
    # The local day: a status set at 00:30 in Paris is on that day, not on UTC's day before.
    since = timezone.localdate(journey.status_since)
    documents = list(journey.documents.all())
    provided = {d.requirement_id for d in documents}
    checked = {d.requirement_id for d in documents if d.checked_at is not None}
    requirements = [r for r in services.requirements_for(journey, today) if r.required]
    missing = [r.label for r in requirements if r.pk not in provided]
    unchecked = [r.label for r in requirements if r.pk in provided and r.pk not in checked]
    contracts = live_contracts(journey)
    current = contracts[-1] if contracts else None
    blockers: list[str] = []
    deadline: tuple[dt.date, str] | None = None
    status = journey.status
    if status == JourneyStatus.RECEIVED:
        actor = _("la personne ou son référent·e")
        if missing:
            blockers.append(_("pièces manquantes : %(labels)s") % {"labels": ", ".join(missing)})
    elif status == JourneyStatus.COMPLETE:
        actor = _("la structure")
        if unchecked:
            blockers.append(_("pièces à vérifier : %(labels)s") % {"labels": ", ".join(unchecked)})
        blockers.append(_("en attente de validation %(since)s") % {"since": _days(since, today)})
    elif status == JourneyStatus.VALIDATED:
        entries = list(journey.insurance_entries.all())
        pending = [e for e in entries if e.answer == InsuranceEntry.Answer.PENDING]
        if pending:
            actor = _("l'assureur")
            sent_on = pending[0].insurance_list.sent_on
            blockers.append(_("en attente de l'assureur %(since)s")
                            % {"since": _days(sent_on or since, today)}
                            if sent_on else _("fiche navette à envoyer à l'assureur"))
        else:
            actor = _("le ou la référent·e")
            refused = any(e.answer == InsuranceEntry.Answer.REFUSED for e in entries)
            blockers.append(_("l'assureur a refusé : voyez avec lui ou proposez une autre activité")
                            if refused else _("à inscrire sur une fiche navette d'assurance"))
    elif status == JourneyStatus.INSURED:
        actor = _("le ou la référent·e")
        blockers.append(_("contrat CAPE à émettre"))
    elif status == JourneyStatus.CONTRACT_SENT and current is not None:
        actor = _("la personne")
        if today > current.starts_on:
            blockers.append(_("signature en retard : réémettre le contrat avec une nouvelle date"))
        else:
            # Counted from this contract's issue: a reissue restarts the wait.
            issued_on = timezone.localdate(current.issued_at)
            blockers.append(_("contrat à signer %(since)s") % {"since": _days(issued_on, today)})
            deadline = (current.starts_on, _("signer le contrat"))
    elif status == JourneyStatus.SIGNED and current is not None:
        actor = _("le ou la référent·e")
        deadline = (current.starts_on, _("début de l'activité"))
        if not any(e.answer == InsuranceEntry.Answer.ACCEPTED
                   for e in journey.insurance_entries.all()):
            blockers.append(_("pas d'accord de l'assureur"))
    elif status == JourneyStatus.ACTIVE and current is not None:
        actor = _("la personne")
        if current.status == Contract.Status.SENT:
            actor = _("la personne")
            deadline = (current.starts_on, _("signer le renouvellement"))
            if today > current.starts_on:
                blockers.append(_("renouvellement non signé à temps : le réémettre"))
        elif not current.decision:
            deadline = (current.last_day, _("fin du contrat : décider de la suite"))
            if (current.ends_on - today).days <= 60:
                actor = _("le ou la référent·e")
                blockers.append(_("suite à décider avant le %(day)s")
                                % {"day": current.last_day.strftime("%d/%m/%Y")})
        else:
            deadline = (current.last_day, _("fin du contrat"))
    else:
        actor = "—"
    return Progress(next_actor=actor, blockers=blockers, next_deadline=deadline, missing=missing)
