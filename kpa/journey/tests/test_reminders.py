"""Reminders before a contract's end: each offset once, the closest one after missed days, none
once the next step is decided."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.mail import EmailMessage

from conftest import TODAY, Cast
from kpa.core.models import Notification
from kpa.journey import contracts, services
from kpa.journey.models import Contract, ContractReminder, Journey
from kpa.journey.reminders import send_contract_reminders
from kpa.journey.tests.conftest import activate, register

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
ENDS_ON = dt.date(2027, 11, 28)  # the fixtures' first contract: TODAY to ENDS_ON (exclusive)
TOPIC = "journey.contract.ending"


def days_before(days: int) -> dt.date:
    return ENDS_ON - dt.timedelta(days=days)


@pytest.fixture
def contract(cast: Cast) -> Contract:
    journey = activate(cast, register(cast, email="awa@exemple.org"))
    contract = journey.contracts.get()
    assert contract.ends_on == ENDS_ON
    assert services.policy_for(cast.cae).reminder_offsets == [60, 30, 7]
    return contract


def told() -> list[str]:
    return sorted(Notification.objects.filter(topic=TOPIC)
                  .values_list("recipient__username", flat=True))


def test_reminders_come_at_60_then_30_days_each_once(
        contract: Contract, mailoutbox: list[EmailMessage],
        django_capture_on_commit_callbacks: CaptureOnCommit) -> None:
    assert send_contract_reminders(today=days_before(61)) == []
    assert told() == []

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_contract_reminders(today=days_before(60))
    assert [(r.contract, r.days_before) for r in sent] == [(contract, 60)]
    assert told() == ["awa", "gestionnaire", "referent"]
    assert sorted(m.to[0] for m in mailoutbox) == [
        "awa@exemple.org", "gestionnaire@exemple.org", "referent@exemple.org"]
    assert all("Fin de contrat dans 60 jours" in m.subject for m in mailoutbox)
    assert "27/11/2027" in mailoutbox[0].body  # the last day worked, in plain words

    with django_capture_on_commit_callbacks(execute=True):
        assert send_contract_reminders(today=days_before(60)) == []
        assert send_contract_reminders(today=days_before(45)) == []
    assert len(told()) == 3
    assert len(mailoutbox) == 3

    sent = send_contract_reminders(today=days_before(29))
    assert [r.days_before for r in sent] == [30]
    assert len(told()) == 6
    assert set(contract.reminders.values_list("days_before", flat=True)) == {60, 30}


def test_a_run_that_missed_days_sends_one_reminder_not_three(contract: Contract) -> None:
    sent = send_contract_reminders(today=days_before(5))
    assert len(sent) == 1
    assert sent[0].days_before == 7
    assert told() == ["awa", "gestionnaire", "referent"]
    subjects = set(Notification.objects.filter(topic=TOPIC).values_list("subject", flat=True))
    assert subjects == {"Fin de contrat dans 5 jours"}
    # The offsets passed are marked as done, so the next runs stay quiet.
    assert set(contract.reminders.values_list("days_before", flat=True)) == {60, 30, 7}
    assert send_contract_reminders(today=days_before(4)) == []


def test_the_last_day_reminder_speaks_in_the_singular(contract: Contract) -> None:
    send_contract_reminders(today=days_before(1))
    assert set(Notification.objects.filter(topic=TOPIC).values_list("subject", flat=True)) == {
        "Fin de contrat dans 1 jour"}


def test_no_reminder_once_the_next_step_is_decided(cast: Cast, contract: Contract) -> None:
    contracts.decide_next_step(actor=cast.user("referent"), contract=contract,
                               decision=Contract.Decision.EXIT, today=days_before(90))
    assert send_contract_reminders(today=days_before(60)) == []
    assert send_contract_reminders(today=days_before(5)) == []
    assert not ContractReminder.objects.exists()
    assert told() == []


def test_a_renewal_stops_the_reminders_of_the_period_it_follows(cast: Cast,
                                                                contract: Contract) -> None:
    renewal = contracts.renew_contract(actor=cast.user("referent"), contract=contract,
                                       ends_on=dt.date(2028, 11, 28), today=days_before(70))
    assert send_contract_reminders(today=days_before(60)) == []
    contracts.upload_signed_copy(actor=cast.user("referent"), contract=renewal,
                                 content=b"%PDF-1.4 signed", today=days_before(60))
    # The renewal, once signed, has its own reminders before its own end.
    sent = send_contract_reminders(today=dt.date(2028, 11, 28) - dt.timedelta(days=60))
    assert [(r.contract, r.days_before) for r in sent] == [(renewal, 60)]


def test_no_reminder_after_the_exit(cast: Cast, contract: Contract) -> None:
    contracts.record_exit(actor=cast.user("referent"), journey=contract.journey,
                          exited_on=days_before(100), exit_kind=Journey.ExitKind.NONE,
                          today=days_before(100))
    assert send_contract_reminders(today=days_before(60)) == []


def test_the_structure_chooses_its_own_offsets(cast: Cast, contract: Contract) -> None:
    services.update_policy(actor=cast.user("gestionnaire"), structure=cast.cae,
                           reminder_days="15", today=TODAY)
    assert send_contract_reminders(today=days_before(60)) == []
    assert [r.days_before for r in send_contract_reminders(today=days_before(15))] == [15]
