"""The decision register of each KPA and of the network.

Every outcome — of a proposal, of a show of hands in a meeting, of a KPA's vote in the network —
is written here with a number that follows the previous one of the same register without a gap
(the KPA's or the network's row is locked while the number is taken). In a KPA that is not
autonomous an animateur ratifies the decision, which is when its change (charter, autonomy)
takes effect. A decision may carry a review date; the leads are reminded of it once, two weeks
before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.directory.models import Kpa, Network, Person, Role, RoleKind
from kpa.directory.permissions import reach_of
from kpa.governance import effects, permissions
from kpa.governance.models import Decision, Meeting, Method, Proposal

REVIEW_NOTICE = dt.timedelta(days=14)



def _person_id(actor: AnyUser | None, today: dt.date) -> int | None:
    return reach_of(actor, today).person_id if actor is not None else None


@transaction.atomic
def record_decision(
    *,
    actor: AnyUser | None,
    kpa: Kpa | None = None,
    network: Network | None = None,
    title: str,
    summary: str = "",
    source: str,
    method: str = "",
    outcome: str,
    figures: dict[str, Any] | None = None,
    decided_on: dt.date,
    proposal: Proposal | None = None,
    meeting: Meeting | None = None,
    review_on: dt.date | None = None,
) -> Decision:
    """Write a decision in the KPA's (or network's) register under the next number."""
    if (kpa is None) == (network is None):
        raise ValidationError(_("Une décision s'inscrit au registre d'un KPA ou du réseau."))
    if source not in Decision.Source.values:
        raise ValidationError({"source": _("Origine de décision inconnue.")})
    if outcome not in Proposal.Outcome.values:
        raise ValidationError({"outcome": _("Résultat de décision inconnu.")})
    if method and method not in Method.values:
        raise ValidationError({"method": _("Mode de décision inconnu.")})
    title = " ".join(title.split())[:200]
    if not title:
        raise ValidationError({"title": _("Donnez un intitulé à la décision.")})
    # Lock the register's owner first: two decisions recorded at once queue here, so each
    # reads the other's number and none is skipped or taken twice.
    if kpa is not None:
        Kpa.objects.select_for_update().filter(pk=kpa.pk).values_list("pk").get()
        last = Decision.objects.filter(kpa=kpa).aggregate(last=Max("number"))["last"]
    else:
        assert network is not None
        Network.objects.select_for_update().filter(pk=network.pk).values_list("pk").get()
        last = Decision.objects.filter(network=network).aggregate(last=Max("number"))["last"]
    decision = Decision.objects.create(
        kpa=kpa, network=network, number=(last or 0) + 1, title=title, summary=summary,
        source=source, method=method, outcome=outcome, figures=figures or {},
        decided_on=decided_on, proposal=proposal, meeting=meeting, review_on=review_on,
        recorded_by_id=_person_id(actor, decided_on),
    )
    audit.record(actor=actor, action="governance.decision.recorded", target=decision,
                 data={"number": decision.number, "source": source, "outcome": outcome,
                       "proposal": proposal.pk if proposal else None,
                       "meeting": meeting.pk if meeting else None})
    return decision


@transaction.atomic
def ratify_decision(decision: Decision, *, actor: AnyUser, now: dt.datetime) -> Decision:
    """An animateur ratifies a decision of a KPA that is not autonomous; its change (charter,
    autonomy) then takes effect."""
    today = timezone.localdate(now)
    locked = (Decision.objects.select_for_update(of=("self",))
              .select_related("kpa", "proposal").get(pk=decision.pk))
    if locked.ratified_at is not None:
        raise ValidationError(_("Cette décision est déjà ratifiée."))
    if not permissions.can_ratify_decision(actor, locked, today=today):
        raise PermissionDenied
    person_id = reach_of(actor, today).person_id
    locked.ratified_by = Person.objects.get(pk=person_id) if person_id is not None else None
    locked.ratified_at = now
    locked.save(update_fields=["ratified_by", "ratified_at"])
    audit.record(actor=actor, action="governance.decision.ratified", target=locked,
                 data={"number": locked.number, "outcome": locked.outcome})
    effects.apply_if_due(locked, actor=actor)
    decision.ratified_by, decision.ratified_at = locked.ratified_by, locked.ratified_at
    return decision


@transaction.atomic
def set_review(decision: Decision, *, actor: AnyUser, review_on: dt.date | None,
               today: dt.date | None = None) -> Decision:
    """Set (or clear) the date to review the decision; a new date is reminded afresh."""
    today = today or timezone.localdate()
    if not permissions.can_set_review(actor, decision, today=today):
        raise PermissionDenied
    previous = decision.review_on
    decision.review_on = review_on
    decision.review_reminded_on = None
    decision.save(update_fields=["review_on", "review_reminded_on"])
    audit.record(actor=actor, action="governance.decision.review_set", target=decision,
                 data={"from": previous.isoformat() if previous else None,
                       "to": review_on.isoformat() if review_on else None})
    return decision


def _review_recipients(decision: Decision, today: dt.date) -> list[User]:
    roles = Role.objects.current(today)
    if decision.kpa_id is not None:
        roles = roles.filter(kpa_id=decision.kpa_id,
                             kind__in=[RoleKind.REFERENT, RoleKind.ANIMATEUR])
    else:
        assert decision.network_id is not None
        roles = roles.filter(network_id=decision.network_id, kind=RoleKind.COORDINATEUR)
    return list(User.objects.filter(person__in=roles.values("person_id")))


def send_review_reminders(*, today: dt.date) -> int:
    """Remind once the leads of each decision whose review date is less than two weeks away
    (or already past and never reminded). Returns how many decisions were reminded."""
    due = (Decision.objects.filter(review_on__isnull=False, review_on__lte=today + REVIEW_NOTICE,
                                   review_reminded_on__isnull=True)
           .values_list("pk", flat=True))
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            decision = (Decision.objects.select_for_update()
                        .filter(pk=pk, review_reminded_on__isnull=True).first())
            if decision is None or decision.review_on is None:
                continue
            notify(recipients=_review_recipients(decision, today),
                   subject=_("Décision à revoir : %(title)s") % {"title": decision.title},
                   body=_("La décision n° %(number)s est à revoir le %(day)s. Mettez-la à "
                          "l'ordre du jour d'une réunion ou d'une proposition.")
                   % {"number": decision.number, "day": decision.review_on.strftime("%d/%m/%Y")},
                   url=decision.get_absolute_url(), topic="governance.decision.review_due")
            decision.review_reminded_on = today
            decision.save(update_fields=["review_reminded_on"])
            audit.record(actor=None, action="governance.decision.review_reminded",
                         target=decision, data={"review_on": decision.review_on.isoformat()})
            sent += 1
    return sent
