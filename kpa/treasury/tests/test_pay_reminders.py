"""Reminders before the cut-off: to every coopérant under contract who has not asked yet, with
what they may ask and the date, once a month; `kpa treasury_daily` runs them."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from kpa.core.models import AuditEvent, Notification
from kpa.treasury import pay
from kpa.treasury.models import PaySettings
from kpa.treasury.tests.test_pay_support import (
    BEFORE_CUTOFF,
    account_of,
    another_cooperant,
    fund,
    requested,
)

THREE_DAYS_BEFORE = dt.date(2026, 11, 22)  # the default: 3 days before the 25th


def reminders() -> list[Notification]:
    return list(Notification.objects.filter(topic="treasury.pay.reminder"))


@pytest.fixture
def funded(shop):
    account = account_of(shop)
    fund(shop, account, "1000")
    return account


def test_a_coopérant_who_has_not_asked_is_reminded_with_the_amount_and_date(shop,
                                                                             funded) -> None:
    sent = pay.send_pay_reminders(today=THREE_DAYS_BEFORE)
    assert [r.account for r in sent] == [funded]
    [told] = reminders()
    assert told.recipient == shop.seller
    assert told.subject == "Demande ta rémunération avant le 25/11/2026"
    assert told.body == (
        "Les demandes de rémunération pour novembre 2026 sont ouvertes jusqu'au 25/11/2026. "
        "Disponible dans ta trésorerie : 1\u202f000,00 € ; tu peux demander jusqu'à 600,00 € "
        "net.")
    assert told.url == "/tresorerie/paie/demander/"


def test_the_reminder_is_sent_once_a_month(shop, funded) -> None:
    pay.send_pay_reminders(today=THREE_DAYS_BEFORE)
    assert pay.send_pay_reminders(today=THREE_DAYS_BEFORE) == []
    assert pay.send_pay_reminders(today=dt.date(2026, 11, 25)) == []
    assert len(reminders()) == 1
    december = pay.send_pay_reminders(today=dt.date(2026, 12, 23))
    assert [r.month for r in december] == [dt.date(2026, 12, 1)]


def test_a_missed_run_is_caught_up_until_the_cutoff(shop, funded) -> None:
    assert len(pay.send_pay_reminders(today=dt.date(2026, 11, 25))) == 1


def test_no_reminder_before_the_window_nor_after_the_cutoff(shop, funded) -> None:
    assert pay.send_pay_reminders(today=dt.date(2026, 11, 21)) == []
    assert pay.send_pay_reminders(today=dt.date(2026, 11, 26)) == []
    assert reminders() == []


def test_the_structure_chooses_how_many_days_before(shop, funded) -> None:
    PaySettings.objects.create(structure=shop.cast.cae, reminder_days=7)
    assert len(pay.send_pay_reminders(today=dt.date(2026, 11, 18))) == 1


def test_who_has_asked_is_not_reminded(shop, funded) -> None:
    requested(shop, funded, shop.seller, "100", today=BEFORE_CUTOFF)
    assert pay.send_pay_reminders(today=THREE_DAYS_BEFORE) == []


def test_who_has_no_running_contract_is_not_reminded(shop) -> None:
    another_cooperant(shop, "sanscontrat", contract=False)
    assert pay.send_pay_reminders(today=THREE_DAYS_BEFORE) == []


def test_every_coopérant_under_contract_hears_it(shop, funded) -> None:
    user, _ = another_cooperant(shop, "bintou")
    pay.send_pay_reminders(today=THREE_DAYS_BEFORE)
    assert {n.recipient for n in reminders()} == {shop.seller, user}


def test_the_daily_command_reminds_and_says_how_many(shop, funded) -> None:
    out = StringIO()
    call_command("treasury_daily", "--today", "2026-11-22", stdout=out)
    assert "Journée du 22/11/2026" in out.getvalue()
    assert f"compte {funded.code}" in out.getvalue()
    assert "1 rappel(s) de paie envoyé(s)." in out.getvalue()
    assert len(reminders()) == 1
    assert AuditEvent.objects.filter(action=pay.REMINDER_ACTION).count() == 1


def test_the_dry_run_sends_and_records_nothing(shop, funded) -> None:
    out = StringIO()
    call_command("treasury_daily", "--today", "2026-11-22", "--dry-run", stdout=out)
    assert "Simulation : 1 rappel(s)" in out.getvalue()
    assert reminders() == []
    assert not AuditEvent.objects.filter(action=pay.REMINDER_ACTION).exists()


def test_a_bad_date_is_refused_plainly(db) -> None:
    with pytest.raises(CommandError, match="écrivez-la AAAA-MM-JJ"):
        call_command("treasury_daily", "--today", "22/11/2026")
