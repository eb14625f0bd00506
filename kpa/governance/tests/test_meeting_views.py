"""Meeting pages on a phone: the list (upcoming first, then past; fixed query count), planning
with datetime-local inputs, the meeting page (agenda and minutes as sanitised Markdown,
attendance, decisions with their counts), the show-of-hands form, cancelling; 403 for a member
who may not manage, 404 for the outsider."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.governance import meetings
from kpa.governance.models import Attendance, Decision, Meeting
from kpa.governance.tests.factories import NOW, PARIS
from kpa.governance.tests.test_meetings import held, plan


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("&quot;", '"').split())


def url(name: str, *args: int) -> str:
    return reverse(f"governance:{name}", args=args)


def test_the_list_shows_upcoming_meetings_first_then_past_ones(cast: Cast,
                                                               client: Client) -> None:
    plan(cast, title="Passée ancienne", starts_at=NOW - dt.timedelta(days=20))
    plan(cast, title="Passée récente", starts_at=NOW - dt.timedelta(days=2))
    plan(cast, title="Bientôt", starts_at=NOW + dt.timedelta(days=1))
    plan(cast, title="Plus tard", starts_at=NOW + dt.timedelta(days=9))
    client.force_login(cast.user("cooperant"))
    page = client.get(url("meeting_list", cast.home.pk))
    assert page.status_code == 200
    text = text_of(page)
    order = [text.index(t) for t in ("Bientôt", "Plus tard", "Passée récente",
                                     "Passée ancienne")]
    assert order == sorted(order)
    assert "Prévoir une réunion" not in text  # a coopérant of a supervised KPA


def test_the_list_costs_the_same_queries_for_more_meetings(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    plan(cast, title="Une")
    plan(cast, title="Deux", starts_at=NOW - dt.timedelta(days=1))
    client.force_login(cast.user("referent"))
    with django_assert_max_num_queries(14) as few:
        assert client.get(url("meeting_list", cast.home.pk)).status_code == 200
    for n in range(6):
        plan(cast, title=f"Future {n}", starts_at=NOW + dt.timedelta(days=n + 1))
        plan(cast, title=f"Passée {n}", starts_at=NOW - dt.timedelta(days=n + 2))
    with django_assert_num_queries(len(few)):
        assert client.get(url("meeting_list", cast.home.pk)).status_code == 200


def test_a_referent_plans_a_meeting_with_the_phone_date_pickers(cast: Cast,
                                                                client: Client) -> None:
    client.force_login(cast.user("referent"))
    form = client.get(url("meeting_new", cast.home.pk))
    assert 'type="datetime-local"' in form.content.decode()
    response = client.post(url("meeting_new", cast.home.pk), {
        "title": "Réunion de décembre", "starts_at": "2026-12-05T18:00",
        "ends_at": "2026-12-05T20:00", "location": "Atelier", "agenda": "- Budget"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("meeting_detail",
                                                                        meeting.pk)
    assert meeting.starts_at == dt.datetime(2026, 12, 5, 18, 0, tzinfo=PARIS)
    refused = client.post(url("meeting_new", cast.home.pk), {
        "title": "À l'envers", "starts_at": "2026-12-05T18:00", "ends_at": "2026-12-05T17:00"})
    assert refused.status_code == 400
    assert "La fin doit venir après le début" in text_of(refused)


def test_a_member_who_may_not_manage_gets_403_and_the_outsider_404(cast: Cast,
                                                                    client: Client) -> None:
    meeting = plan(cast)
    client.force_login(cast.user("cooperant"))
    assert client.get(url("meeting_detail", meeting.pk)).status_code == 200
    assert client.get(url("meeting_new", cast.home.pk)).status_code == 403
    assert client.get(url("meeting_edit", meeting.pk)).status_code == 403
    assert client.post(url("meeting_cancel", meeting.pk)).status_code == 403
    client.force_login(cast.user("outsider"))
    for name in ("meeting_detail", "meeting_edit", "meeting_minutes", "meeting_show_of_hands",
                 "meeting_cancel"):
        assert client.get(url(name, meeting.pk)).status_code == 404, name
    assert client.get(url("meeting_list", cast.home.pk)).status_code == 404


def test_the_meeting_page_renders_agenda_and_minutes_safely(cast: Cast,
                                                            client: Client) -> None:
    meeting = held(cast, agenda="## Points\n- **Budget**\n<script>alert(1)</script>")
    meetings.publish_minutes(meeting, actor=cast.user("referent"), now=NOW,
                             minutes="Le *budget* est voté.")
    client.force_login(cast.user("cooperant"))
    page = client.get(url("meeting_detail", meeting.pk))
    html = page.content.decode()
    assert "<strong>Budget</strong>" in html
    assert "<script>alert" not in html
    assert "<em>budget</em>" in html
    assert "Noter les présences" not in html  # not for a coopérant


def test_a_manager_records_attendance_and_a_show_of_hands_from_the_page(
        cast: Cast, client: Client) -> None:
    meeting = held(cast)
    client.force_login(cast.user("referent"))
    page = client.get(url("meeting_detail", meeting.pk))
    assert f'name="person_{cast.cooperant.pk}"' in page.content.decode()
    assert f'name="person_{cast.outsider.pk}"' not in page.content.decode()
    client.post(url("meeting_attendance", meeting.pk), {
        f"person_{cast.cooperant.pk}": "present", f"person_{cast.referent.pk}": "present",
        f"person_{cast.animateur.pk}": "present", f"person_{cast.benevole.pk}": "excused"})
    assert Attendance.objects.filter(meeting=meeting, status="present").count() == 3
    form = client.get(url("meeting_show_of_hands", meeting.pk))
    assert "Nombre de mains levées pour" in text_of(form)
    assert "3 personnes présentes" in text_of(form)
    too_many = client.post(url("meeting_show_of_hands", meeting.pk), {
        "title": "Ouvrir le samedi", "votes_for": "3", "against": "1", "abstain": "0",
        "threshold": "simple"})
    assert too_many.status_code == 400
    assert "Il y a plus de voix que de personnes présentes." in text_of(too_many)
    done = client.post(url("meeting_show_of_hands", meeting.pk), {
        "title": "Ouvrir le samedi", "votes_for": "2", "against": "1", "abstain": "0",
        "threshold": "simple"})
    assert done.status_code == 302
    decision = Decision.objects.get()
    text = text_of(client.get(url("meeting_detail", meeting.pk)))
    assert "n° 1 — Ouvrir le samedi" in text
    assert "Adoptée" in text
    assert "Pour : 2 · Contre : 1 · Abstentions : 0" in text
    assert decision.meeting == meeting


def test_a_manager_cancels_after_confirming(cast: Cast, client: Client) -> None:
    meeting = plan(cast)
    client.force_login(cast.user("animateur"))
    assert "Oui, annuler la réunion" in text_of(client.get(url("meeting_cancel", meeting.pk)))
    client.post(url("meeting_cancel", meeting.pk))
    meeting.refresh_from_db()
    assert meeting.cancelled_at is not None
    assert "Cette réunion est annulée." in text_of(client.get(url("meeting_detail",
                                                                   meeting.pk)))


def test_the_edit_form_changes_the_meeting_and_its_revision(cast: Cast,
                                                            client: Client) -> None:
    meeting = plan(cast)
    client.force_login(cast.user("referent"))
    form = client.get(url("meeting_edit", meeting.pk)).content.decode()
    assert 'value="2026-12-01T10:00"' in form
    client.post(url("meeting_edit", meeting.pk), {
        "title": "Réunion du collectif", "starts_at": "2026-12-01T14:00",
        "ends_at": "2026-12-01T16:00", "location": "", "agenda": ""})
    meeting.refresh_from_db()
    assert meeting.starts_at == dt.datetime(2026, 12, 1, 14, 0, tzinfo=PARIS)
    assert meeting.sequence == 1


def test_the_minutes_form_publishes(cast: Cast, client: Client) -> None:
    meeting = held(cast)
    client.force_login(cast.user("referent"))
    client.post(url("meeting_minutes", meeting.pk), {"minutes": "Tout s'est bien passé."})
    meeting.refresh_from_db()
    assert meeting.minutes == "Tout s'est bien passé."
    assert meeting.minutes_published_at


def test_the_index_and_the_network_list(cast: Cast, client: Client) -> None:
    plan(cast, title="Chez nous")
    meetings.plan_meeting(actor=cast.user("coordinateur"), now=NOW, network=cast.network,
                          title="Inter-KPA", starts_at=NOW + dt.timedelta(days=2),
                          ends_at=NOW + dt.timedelta(days=2, hours=2))
    client.force_login(cast.user("cooperant"))
    text = text_of(client.get(url("meeting_index")))
    assert "Chez nous" in text
    assert "Inter-KPA" in text
    page = client.get(url("meeting_list_network", cast.network.pk))
    assert "Inter-KPA" in text_of(page)
    assert "Prévoir une réunion" not in text_of(page)
    client.force_login(cast.user("coordinateur"))
    assert "Prévoir une réunion" in text_of(client.get(url("meeting_list_network",
                                                           cast.network.pk)))
