"""Who hears about a journey's steps: the person (or whoever acts for them), the KPA's référents
and the structure's gestionnaires. In the platform and by e-mail, through `core.notifications`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import User

from kpa.core.notifications import notify
from kpa.directory.models import Person, Role, RoleKind
from kpa.journey.models import Journey


def person_users(person: Person) -> list[User]:
    """The person's own account, or their proxy's when they have none."""
    if person.user is not None:
        return [person.user]
    if person.proxy is not None and person.proxy.user is not None:
        return [person.proxy.user]
    return []


def staff_users(journey: Journey, today: dt.date) -> list[User]:
    roles = Role.objects.current(today).filter(
        person__user__isnull=False,
    ).filter(
        kind=RoleKind.REFERENT, kpa_id=journey.kpa_id,
    ) | Role.objects.current(today).filter(
        person__user__isnull=False, kind=RoleKind.GESTIONNAIRE,
        structure_id=journey.structure_id,
    )
    return [role.person.user for role in roles.select_related("person__user")
            if role.person.user is not None]


def tell(journey: Journey, *, today: dt.date, topic: str, subject: str, body: str,
         to_person: bool = True, to_staff: bool = True,
         extra: Iterable[User] = ()) -> None:
    recipients: list[User] = list(extra)
    if to_person:
        recipients += person_users(journey.person)
    if to_staff:
        recipients += staff_users(journey, today)
    notify(recipients=recipients, subject=subject, body=body,
           url=journey.get_absolute_url(), topic=topic)
