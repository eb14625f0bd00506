"""Meetings as iCalendar (RFC 5545), written by the `icalendar` library: one VEVENT per meeting,
identified by the meeting's uid so that a calendar application updates the same event when the
meeting changes (SEQUENCE) or is cancelled (STATUS:CANCELLED) instead of adding a new one.

Also the personal feed: a secret address (`CalendarFeed.token`) that a calendar application
reads without a session."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

import icalendar
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from kpa.core import audit
from kpa.core.notifications import absolute_url
from kpa.directory.permissions import reach_of
from kpa.governance.models import CalendarFeed, Meeting
from kpa.governance.permissions import network_visible_q

PRODID = "-//KPA-Cité//Réunions//FR"
UID_DOMAIN = "kpa-cite"
FEED_HISTORY_DAYS = 90


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def meeting_event(meeting: Meeting, *, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{meeting.uid}@{UID_DOMAIN}")
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(meeting.starts_at))
    event.add("dtend", _utc(meeting.ends_at))
    event.add("summary", meeting.title)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.agenda:
        event.add("description", meeting.agenda)
    event.add("url", absolute_url(meeting.get_absolute_url()))
    event.add("sequence", meeting.sequence)
    event.add("status", "CANCELLED" if meeting.cancelled_at is not None else "CONFIRMED")
    return event


def meeting_calendar(meetings: Iterable[Meeting], *, name: str = "",
                     stamp: dt.datetime | None = None) -> bytes:
    """A VCALENDAR holding one VEVENT per meeting (cancelled ones included, so that calendars
    learn of the cancellation)."""
    stamp = stamp or timezone.now()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if name:
        calendar.add("x-wr-calname", name)
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, stamp=stamp))
    return calendar.to_ical()  # type: ignore[no-any-return]


# -- the personal feed ---------------------------------------------------------------------------


def feed_of(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


@transaction.atomic
def reset_feed(*, actor: User) -> CalendarFeed:
    """Create the user's secret feed address, or replace it (the old one stops working: the way
    to shut out someone who learnt it)."""
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(
        user=actor, defaults={"token": token})
    if not created:
        feed.token = token
        feed.save(update_fields=["token"])
    # The token is a secret: it never goes into the audit trail.
    audit.record(actor=actor, action="governance.calendar_feed.reset", target=feed,
                 data={"created": created})
    return feed


def feed_meetings(user: User, *, today: dt.date) -> QuerySet[Meeting]:
    """The meetings of the KPAs and networks the user currently takes part in, from
    `FEED_HISTORY_DAYS` days ago on. Even for an administrator: a calendar is personal."""
    reach = reach_of(user, today)
    if reach.person_id is None:
        return Meeting.objects.none()
    since = timezone.make_aware(dt.datetime.combine(
        today - dt.timedelta(days=FEED_HISTORY_DAYS), dt.time.min))
    scope = Q(kpa_id__in=sorted(reach.member_kpas)) | (
        Q(network__isnull=False) & network_visible_q(user, today=today))
    return Meeting.objects.filter(scope, ends_at__gte=since).order_by("starts_at", "pk")
