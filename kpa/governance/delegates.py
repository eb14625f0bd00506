"""A KPA's delegate to the network: the person who casts the KPA's one vote on network
proposals, for a period. Designating a new one ends the previous period the day before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kpa.core import audit, dates
from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Person, Role
from kpa.governance import permissions
from kpa.governance.models import Decision, NetworkDelegate


def running_on(day: dt.date) -> Q:
    """Designations whose period covers `day` (the end is exclusive)."""
    return Q(starts_on__lte=day) & (Q(ends_on__isnull=True) | Q(ends_on__gt=day))


def _covering(kpa: Kpa, day: dt.date) -> QuerySet[NetworkDelegate]:
    return NetworkDelegate.objects.filter(running_on(day), kpa=kpa)


def current_delegate_ids(kpa_ids: Sequence[int], today: dt.date) -> dict[int, int]:
    """KPA id → person id of its current delegate (the latest designation still running), in
    one query."""
    rows = (NetworkDelegate.objects.filter(running_on(today), kpa_id__in=kpa_ids)
            .order_by("kpa_id", "-starts_on", "-id").values_list("kpa_id", "person_id"))
    delegates: dict[int, int] = {}
    for kpa_id, person_id in rows:
        delegates.setdefault(kpa_id, person_id)
    return delegates


def current_delegate(kpa: Kpa, *, today: dt.date) -> Person | None:
    row = _covering(kpa, today).select_related("person").order_by("-starts_on", "-id").first()
    return row.person if row is not None else None


def delegate_history(kpa: Kpa) -> list[NetworkDelegate]:
    return list(NetworkDelegate.objects.filter(kpa=kpa).select_related("person", "decision")
                .order_by("-starts_on", "-id"))


def candidates(kpa: Kpa, *, today: dt.date) -> QuerySet[Person]:
    """The KPA's current members, whom it may send to the network."""
    return Person.objects.filter(
        pk__in=Role.objects.current(today).filter(kpa=kpa).values("person_id")
    ).order_by("last_name", "first_name", "pk")


@transaction.atomic
def designate_delegate(kpa: Kpa, *, actor: AnyUser, person: Person, starts_on: dt.date,
                       decision: Decision | None = None,
                       today: dt.date | None = None) -> NetworkDelegate:
    """`person` casts the KPA's vote from `starts_on`. The person must be a member of the KPA on
    that day; the delegate in place then stops the day before (or is replaced when their period
    starts that same day)."""
    today = today or dates.local_today()
    if not permissions.can_designate_delegate(actor, kpa, today=today):
        raise PermissionDenied
    if not Role.objects.current(starts_on).filter(kpa=kpa, person=person).exists():
        raise ValidationError({"person": _(
            "Cette personne n'est pas membre du KPA à cette date : choisissez un·e membre.")})
    if decision is not None and decision.kpa_id != kpa.pk:
        raise ValidationError({"decision": _("Choisissez une décision de ce KPA.")})
    # Lock the KPA's periods so that two designations at once cannot overlap.
    periods = list(NetworkDelegate.objects.select_for_update().filter(kpa=kpa))
    later = [p for p in periods if p.starts_on > starts_on]
    if later:
        raise ValidationError({"starts_on": _(
            "Un·e délégué·e est déjà désigné·e à partir du %(day)s : choisissez une date à "
            "partir de celle-ci.") % {"day": max(p.starts_on for p in later).strftime(
                "%d/%m/%Y")}})
    same_day = next((p for p in periods if p.starts_on == starts_on), None)
    previous = None
    if same_day is not None:
        previous = same_day.person_id
        same_day.person, same_day.decision = person, decision
        same_day.save(update_fields=["person", "decision"])
        delegate = same_day
    else:
        for period in periods:
            if period.ends_on is None or period.ends_on > starts_on:
                previous = period.person_id
                period.ends_on = starts_on  # ends are exclusive: the last day is the day before
                period.save(update_fields=["ends_on"])
        delegate = NetworkDelegate.objects.create(kpa=kpa, person=person, starts_on=starts_on,
                                                  decision=decision)
    audit.record(actor=actor, action="governance.delegate.designated", target=delegate,
                 data={"kpa": kpa.pk, "person": person.pk, "starts_on": starts_on.isoformat(),
                       "previous": previous,
                       "decision": decision.pk if decision is not None else None})
    return delegate
