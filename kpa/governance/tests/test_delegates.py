"""A KPA's delegate to the network: a current member, designated by a lead; designating the
next one ends the previous period the day before, or replaces it when it starts that day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent
from kpa.governance import delegates
from kpa.governance.models import Decision, NetworkDelegate


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def designate(cast: Cast, persona: str, starts_on: dt.date, *,
              actor: str = "referent", **extra: Any) -> NetworkDelegate:
    return delegates.designate_delegate(cast.home, actor=cast.user(actor),
                                        person=getattr(cast, persona), starts_on=starts_on,
                                        today=TODAY, **extra)


def test_the_next_delegate_ends_the_previous_period_the_day_before(cast: Cast) -> None:
    first = designate(cast, "cooperant", dt.date(2026, 2, 1))
    second = designate(cast, "animateur", dt.date(2026, 9, 1))
    first.refresh_from_db()
    assert first.ends_on == dt.date(2026, 9, 1)  # exclusive: the last day is 31 August
    assert delegates.current_delegate(cast.home, today=dt.date(2026, 8, 31)) == cast.cooperant
    assert delegates.current_delegate(cast.home, today=dt.date(2026, 9, 1)) == cast.animateur
    assert second.ends_on is None
    assert delegates.current_delegate(cast.elsewhere, today=TODAY) is None
    assert AuditEvent.objects.filter(action="governance.delegate.designated").count() == 2


def test_a_designation_starting_the_same_day_replaces_the_previous_one(cast: Cast) -> None:
    designate(cast, "cooperant", TODAY)
    designate(cast, "benevole", TODAY)
    assert NetworkDelegate.objects.filter(kpa=cast.home).count() == 1
    assert delegates.current_delegate(cast.home, today=TODAY) == cast.benevole


def test_the_delegate_is_a_member_of_the_kpa(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="pas membre du KPA"):
        designate(cast, "outsider", TODAY)
    with pytest.raises(ValidationError, match="pas membre du KPA"):
        designate(cast, "coordinateur", TODAY)
    with pytest.raises(ValidationError, match="pas membre du KPA"):
        designate(cast, "cooperant", dt.date(2025, 12, 1))  # before their role began
    assert not NetworkDelegate.objects.exists()


def test_only_the_kpa_s_leads_designate(cast: Cast) -> None:
    for persona in ("cooperant", "outsider", "coordinateur"):
        with pytest.raises(PermissionDenied):
            designate(cast, "cooperant", TODAY, actor=persona)
    designate(cast, "cooperant", TODAY, actor="animateur")
    assert delegates.current_delegate(cast.home, today=TODAY) == cast.cooperant


def test_a_period_already_planned_later_and_another_kpa_s_decision_are_refused(
        cast: Cast) -> None:
    designate(cast, "cooperant", dt.date(2026, 12, 1))
    with pytest.raises(ValidationError, match="01/12/2026"):
        designate(cast, "animateur", TODAY)
    other = Decision.objects.create(kpa=cast.elsewhere, number=1, title="Ailleurs",
                                    source="proposal", outcome="adopted", decided_on=TODAY)
    with pytest.raises(ValidationError, match="décision de ce KPA"):
        designate(cast, "animateur", dt.date(2026, 12, 5), decision=other)
    mine = Decision.objects.create(kpa=cast.home, number=1, title="Élection", source="proposal",
                                   outcome="elected", decided_on=TODAY)
    chosen = designate(cast, "animateur", dt.date(2026, 12, 5), decision=mine)
    assert chosen.decision == mine
