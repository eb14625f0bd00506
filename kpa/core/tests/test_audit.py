"""The audit trail: who did what to which object, when — written once, never rewritten."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import ProtectedError
from django.utils import timezone

from kpa.core import audit
from kpa.core.models import AuditEvent
from kpa.directory.tests.factories import NetworkFactory, PlaceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return UserFactory.create(username="auditrice")


@pytest.fixture
def target():
    return NetworkFactory.create(name="Réseau audité")


def test_record_stores_the_actor_the_action_the_target_and_the_time(actor, target):
    before = timezone.now()

    event = audit.record(actor=actor, action="directory.network.updated", target=target,
                         data={"fields": ["website"]})

    after = timezone.now()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == actor
    assert stored.action == "directory.network.updated"
    assert stored.target_type == "directory.network"
    assert stored.target_id == str(target.pk)
    assert stored.target_repr == "Réseau audité"
    assert stored.data == {"fields": ["website"]}
    assert before <= stored.at <= after
    assert timezone.is_aware(stored.at)


def test_record_without_data_stores_an_empty_dict(actor, target):
    event = audit.record(actor=actor, action="directory.network.updated", target=target)

    assert AuditEvent.objects.get(pk=event.pk).data == {}


def test_record_truncates_a_long_target_representation_to_its_column(actor):
    place = PlaceFactory.create(name="L" * 150, kpa__name="K" * 150)
    assert len(str(place)) > 255

    event = audit.record(actor=actor, action="directory.place.created", target=place)

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.target_repr == str(place)[:255]
    assert stored.target_type == "directory.place"


@pytest.mark.parametrize("action", ["updated", "network.updated", "", "directory-network-updated"])
def test_record_refuses_an_action_that_is_not_a_dotted_app_thing_verb_name(actor, target, action):
    with pytest.raises(ValueError, match="dotted"):
        audit.record(actor=actor, action=action, target=target)

    assert not AuditEvent.objects.exists()


def test_record_accepts_deeper_dotted_names(actor, target):
    event = audit.record(actor=actor, action="sales.invoice.credit_note.issued", target=target)

    assert event.action == "sales.invoice.credit_note.issued"


def test_an_anonymous_actor_is_stored_as_null(target):
    event = audit.record(actor=AnonymousUser(), action="core.login.failed", target=target)

    assert AuditEvent.objects.get(pk=event.pk).actor is None


def test_a_missing_actor_is_stored_as_null(target):
    event = audit.record(actor=None, action="core.system.migrated", target=target)

    assert AuditEvent.objects.get(pk=event.pk).actor_id is None


def test_an_inactive_but_authenticated_user_is_still_recorded_as_the_actor(actor, target):
    actor.is_active = False
    actor.save()

    event = audit.record(actor=actor, action="directory.network.updated", target=target)

    assert event.actor == actor


def test_saving_an_existing_event_again_is_refused(actor, target):
    event = audit.record(actor=actor, action="directory.network.updated", target=target)
    event.action = "directory.network.deleted"

    with pytest.raises(ValueError, match="append-only"):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == "directory.network.updated"


def test_saving_a_reloaded_event_is_refused_too(actor, target):
    event = audit.record(actor=actor, action="directory.network.updated", target=target)
    reloaded = AuditEvent.objects.get(pk=event.pk)
    reloaded.data = {"forged": True}

    with pytest.raises(ValueError, match="append-only"):
        reloaded.save(update_fields=["data"])

    assert AuditEvent.objects.get(pk=event.pk).data == {}


def test_deleting_an_event_is_refused(actor, target):
    event = audit.record(actor=actor, action="directory.network.updated", target=target)

    with pytest.raises(ValueError, match="append-only"):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_user_with_recorded_events_cannot_be_deleted(actor, target):
    audit.record(actor=actor, action="directory.network.updated", target=target)

    with pytest.raises(ProtectedError):
        actor.delete()

    assert get_user_model().objects.filter(pk=actor.pk).exists()


def test_events_for_lists_the_events_of_one_target_newest_first(actor, target):
    other = NetworkFactory.create(name="Autre réseau")
    first = audit.record(actor=actor, action="directory.network.created", target=target)
    audit.record(actor=actor, action="directory.network.created", target=other)
    second = audit.record(actor=actor, action="directory.network.updated", target=target)

    events = list(audit.events_for(target))

    assert events == [second, first]


def test_events_for_does_not_mix_models_that_share_a_primary_key(actor, target):
    user_target = actor  # a user and a network may well both have pk 1
    audit.record(actor=actor, action="directory.network.updated", target=target)
    audit.record(actor=actor, action="core.user.updated", target=user_target)

    assert [e.action for e in audit.events_for(target)] == ["directory.network.updated"]
    assert [e.action for e in audit.events_for(user_target)] == ["core.user.updated"]


def test_the_string_of_an_event_reads_as_a_log_line(actor, target):
    event = audit.record(actor=actor, action="directory.network.updated", target=target)

    text = str(event)

    assert "directory.network.updated" in text
    assert "Réseau audité" in text
    assert text.startswith(f"{event.at:%Y-%m-%d}")
    assert isinstance(event.at, dt.datetime)
