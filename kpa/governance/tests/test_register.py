"""The decision register: gap-free numbers per KPA and for the network, ratification, review
dates and their reminders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY
from kpa.core.models import AuditEvent, Notification
from kpa.governance import register
from kpa.governance.models import Decision
from kpa.governance.tests.factories import NOW, make_autonomous


def record(cast, actor=None, *, kpa=None, network=None, **fields):
    if network is None:
        kpa = kpa or cast.home
    fields.setdefault("title", "Ouvrir le samedi")
    fields.setdefault("source", "show_of_hands")
    fields.setdefault("outcome", "adopted")
    fields.setdefault("decided_on", TODAY)
    return register.record_decision(actor=actor, kpa=kpa, network=network, **fields)


def test_numbers_follow_per_kpa_and_for_the_network(cast):
    home = [record(cast).number for _ in range(3)]
    elsewhere = [record(cast, kpa=cast.elsewhere).number for _ in range(2)]
    network = [record(cast, network=cast.network).number for _ in range(3)]
    assert home == [1, 2, 3]
    assert elsewhere == [1, 2]
    assert network == [1, 2, 3]


def test_recording_is_audited_with_its_author(cast):
    decision = record(cast, cast.user("animateur"), figures={"for": 3}, method="majority")
    assert decision.recorded_by == cast.animateur
    assert decision.figures == {"for": 3}
    event = AuditEvent.objects.get(action="governance.decision.recorded")
    assert event.target_id == str(decision.pk)
    assert event.data["number"] == 1


def test_record_refuses_bad_input(cast):
    with pytest.raises(ValidationError):
        record(cast, network=cast.network, kpa=cast.home)
    with pytest.raises(ValidationError):
        record(cast, outcome="won")
    with pytest.raises(ValidationError):
        record(cast, title="  ")


def test_ratification_by_the_animateur_of_a_supervised_kpa(cast):
    decision = record(cast)
    with pytest.raises(PermissionDenied):
        register.ratify_decision(decision, actor=cast.user("referent"), now=NOW)
    register.ratify_decision(decision, actor=cast.user("animateur"), now=NOW)
    decision.refresh_from_db()
    assert decision.ratified_by == cast.animateur
    assert decision.ratified_at == NOW
    assert AuditEvent.objects.filter(action="governance.decision.ratified").count() == 1
    with pytest.raises(ValidationError):
        register.ratify_decision(decision, actor=cast.user("animateur"), now=NOW)


def test_an_autonomous_kpa_needs_no_ratification(cast):
    make_autonomous(cast.home)
    decision = record(cast)
    with pytest.raises(PermissionDenied):
        register.ratify_decision(decision, actor=cast.user("animateur"), now=NOW)


def test_set_review_by_a_lead_resets_the_reminder(cast):
    decision = record(cast, review_on=TODAY + dt.timedelta(days=3))
    assert register.send_review_reminders(today=TODAY) == 1
    with pytest.raises(PermissionDenied):
        register.set_review(decision, actor=cast.user("cooperant"), review_on=TODAY,
                            today=TODAY)
    register.set_review(decision, actor=cast.user("referent"),
                        review_on=TODAY + dt.timedelta(days=60), today=TODAY)
    decision.refresh_from_db()
    assert decision.review_on == TODAY + dt.timedelta(days=60)
    assert decision.review_reminded_on is None
    assert AuditEvent.objects.filter(action="governance.decision.review_set").exists()


def test_review_reminders_are_sent_once_two_weeks_ahead(cast):
    due = record(cast, review_on=TODAY + dt.timedelta(days=14))
    record(cast, review_on=TODAY + dt.timedelta(days=15))
    record(cast)
    assert register.send_review_reminders(today=TODAY) == 1
    assert register.send_review_reminders(today=TODAY) == 0
    due.refresh_from_db()
    assert due.review_reminded_on == TODAY
    told = set(Notification.objects.filter(topic="governance.decision.review_due")
               .values_list("recipient__username", flat=True))
    assert told == {"referent", "animateur"}
    assert register.send_review_reminders(today=TODAY + dt.timedelta(days=1)) == 1


def test_network_review_reminders_go_to_coordinators(cast):
    record(cast, network=cast.network, review_on=TODAY)
    assert register.send_review_reminders(today=TODAY) == 1
    told = set(Notification.objects.filter(topic="governance.decision.review_due")
               .values_list("recipient__username", flat=True))
    assert told == {"coordinateur"}
    assert Decision.objects.get(network=cast.network).review_reminded_on == TODAY
