"""iCalendar, read back with the `icalendar` library as the oracle: the fields of each VEVENT, a
cancelled meeting, the per-meeting download, and the personal feed served without a session by
its secret token — the owner's meetings only, from 90 days ago on; a reset token stops the old
address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.governance import ical, meetings
from kpa.governance.models import CalendarFeed, Meeting
from kpa.governance.tests.factories import NOW
from kpa.governance.tests.test_meetings import START, plan


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KPA_SITE_URL = "https://kpa.example.org"
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def events(content: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "KPA" in str(calendar["PRODID"])
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_a_meeting_becomes_a_vevent_with_every_field(cast: Cast) -> None:
    meeting = plan(cast, title="Réunion; budget, 2027", location="Atelier, rue Haute",
                   agenda="- Le budget\n- La fête")
    parsed = events(ical.meeting_calendar([meeting], stamp=NOW))["Réunion; budget, 2027"]
    assert str(parsed["UID"]) == f"{meeting.uid}@kpa-cite"
    assert parsed.decoded("DTSTART") == START
    assert parsed.decoded("DTEND") == meeting.ends_at
    assert parsed.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert parsed.decoded("DTSTAMP") == NOW
    assert str(parsed["LOCATION"]) == "Atelier, rue Haute"
    assert str(parsed["DESCRIPTION"]) == "- Le budget\n- La fête"
    assert str(parsed["URL"]) == f"https://kpa.example.org/gouvernance/reunions/{meeting.pk}/"
    assert int(parsed["SEQUENCE"]) == 0
    assert str(parsed["STATUS"]) == "CONFIRMED"


def test_a_changed_then_cancelled_meeting_keeps_its_uid_with_a_new_sequence(
        cast: Cast) -> None:
    meeting = plan(cast)
    meetings.update_meeting(meeting, actor=cast.user("referent"), now=NOW, location="Salle")
    meetings.cancel_meeting(meeting, actor=cast.user("referent"), now=NOW)
    parsed = events(ical.meeting_calendar([meeting]))["Réunion du collectif"]
    assert str(parsed["UID"]) == f"{meeting.uid}@kpa-cite"
    assert int(parsed["SEQUENCE"]) == 2
    assert str(parsed["STATUS"]) == "CANCELLED"


def test_a_member_downloads_one_meeting_and_the_outsider_cannot(cast: Cast,
                                                                client: Client) -> None:
    meeting = plan(cast)
    client.force_login(cast.user("cooperant"))
    response = client.get(reverse("governance:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert list(events(response.content)) == ["Réunion du collectif"]
    client.force_login(cast.user("outsider"))
    assert client.get(reverse("governance:meeting_ics", args=[meeting.pk])).status_code == 404


def test_mon_agenda_creates_and_resets_the_secret_address(cast: Cast, client: Client) -> None:
    client.force_login(cast.user("cooperant"))
    page = client.get(reverse("governance:calendar_feed"))
    assert "Créer mon adresse d'agenda" in page.content.decode()
    client.post(reverse("governance:calendar_feed"))
    feed = CalendarFeed.objects.get(user=cast.user("cooperant"))
    assert len(feed.token) >= 43  # token_urlsafe(32)
    address = f"https://kpa.example.org/gouvernance/reunions/agenda/{feed.token}.ics"
    assert address in client.get(reverse("governance:calendar_feed")).content.decode()
    old = feed.token
    client.post(reverse("governance:calendar_feed"))
    feed.refresh_from_db()
    assert feed.token != old
    assert not any(old in str(e.data) for e in AuditEvent.objects.filter(
        action="governance.calendar_feed.reset"))
    anonymous = Client()
    assert anonymous.get(f"/gouvernance/reunions/agenda/{old}.ics").status_code == 404
    assert anonymous.get(f"/gouvernance/reunions/agenda/{feed.token}.ics").status_code == 200


def test_the_feed_holds_the_owners_meetings_without_a_session(cast: Cast) -> None:
    ours = plan(cast, title="Chez nous")
    recent = plan(cast, title="Il y a un mois", starts_at=NOW - dt.timedelta(days=30))
    plan(cast, title="Il y a quatre mois", starts_at=NOW - dt.timedelta(days=120))
    meetings.plan_meeting(actor=cast.user("outsider"), now=NOW, kpa=cast.elsewhere,
                          title="Ailleurs", starts_at=START, ends_at=START + dt.timedelta(hours=1))
    meetings.plan_meeting(actor=cast.user("coordinateur"), now=NOW, network=cast.network,
                          title="Inter-KPA", starts_at=START,
                          ends_at=START + dt.timedelta(hours=1))
    feed = ical.reset_feed(actor=cast.user("cooperant"))
    response = Client().get(reverse("governance:calendar_feed_ics", args=[feed.token]))
    assert response.status_code == 200
    assert set(events(response.content)) == {"Chez nous", "Il y a un mois", "Inter-KPA"}
    assert {ours.pk, recent.pk} <= set(Meeting.objects.values_list("pk", flat=True))


def test_an_unknown_token_is_not_found(cast: Cast, client: Client) -> None:
    ical.reset_feed(actor=cast.user("cooperant"))
    assert client.get("/gouvernance/reunions/agenda/nope.ics").status_code == 404


def test_a_feed_follows_the_owners_current_roles(cast: Cast) -> None:
    plan(cast, title="Chez nous")
    feed = ical.reset_feed(actor=cast.user("outsider"))
    response = Client().get(reverse("governance:calendar_feed_ics", args=[feed.token]))
    assert events(response.content) == {}
