"""`kpa journey_daily`: the reminders before a contract's end and the purge of pieces past
retention, with a dry run that changes nothing; and `kpa seed_demo`'s journeys once committed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import TODAY, Cast
from kpa.core.dates import local_today
from kpa.core.models import Notification
from kpa.directory.demo import seed_demo_network
from kpa.journey import contracts
from kpa.journey.demo import seed_app_demo
from kpa.journey.models import (
    ContractReminder,
    DocumentRequirement,
    Journey,
    JourneyDocument,
    RetentionLog,
)
from kpa.journey.tests.conftest import activate, complete

pytestmark = pytest.mark.django_db

ENDS_ON = dt.date(2027, 11, 28)  # the contract `activate` issues runs from TODAY to this day
THIRTY_DAYS_BEFORE = ENDS_ON - dt.timedelta(days=30)
RETENTION_DAYS = 730  # the structure's default


def daily(*args: str) -> str:
    out = io.StringIO()
    call_command("journey_daily", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def active(cast: Cast, journey: Journey) -> Journey:
    return activate(cast, journey)


@pytest.fixture
def ended(cast: Cast, journey: Journey) -> Journey:
    """A journey that ended today, its three required pieces still stored."""
    complete(cast, journey)
    return contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                                 exit_kind=Journey.ExitKind.NONE, today=TODAY)


def stored(journey: Journey) -> list[str]:
    return [d.file.name for d in JourneyDocument.objects.filter(journey=journey)
            if d.file and default_storage.exists(d.file.name)]


# -- reminders ---------------------------------------------------------------------------------


def test_the_daily_run_sends_the_reminder_thirty_days_before_the_end(
        active, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", THIRTY_DAYS_BEFORE.isoformat())

    assert "1 rappel envoyé, 0 pièce supprimée (conservation écoulée)." in output
    assert "rappel J-30" in output
    assert {m.subject for m in mail.outbox} == {"[KPA-Cité] Fin de contrat dans 30 jours"}
    assert set(ContractReminder.objects.values_list("days_before", flat=True)) == {60, 30}


def test_no_reminder_goes_before_the_first_offset(active, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", (ENDS_ON - dt.timedelta(days=61)).isoformat())

    assert "0 rappel envoyé" in output
    assert mail.outbox == []
    assert not ContractReminder.objects.exists()


def test_a_reminder_is_sent_once_however_often_the_run_comes(
        active, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        daily("--today", THIRTY_DAYS_BEFORE.isoformat())
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        again = daily("--today", (THIRTY_DAYS_BEFORE + dt.timedelta(days=1)).isoformat())

    assert sent > 0
    assert "0 rappel envoyé" in again
    assert len(mail.outbox) == sent


def test_a_dry_run_sends_no_reminder_and_writes_nothing(active,
                                                        django_capture_on_commit_callbacks):
    notifications = Notification.objects.count()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = daily("--today", THIRTY_DAYS_BEFORE.isoformat(), "--dry-run")

    assert "Simulation : 1 rappel serait envoyé, 0 pièce serait supprimée" in output
    assert "Rien n'a été envoyé ni supprimé." in output
    assert "rappel J-30" in output
    assert callbacks == []
    assert mail.outbox == []
    assert not ContractReminder.objects.exists()
    assert Notification.objects.count() == notifications
    # The real run afterwards still has its reminder to send.
    assert "1 rappel envoyé" in daily("--today", THIRTY_DAYS_BEFORE.isoformat())


def test_the_report_names_contracts_by_number_and_no_person(cast, active):
    output = daily("--today", THIRTY_DAYS_BEFORE.isoformat(), "--dry-run")

    contract = active.contracts.get()
    assert f"contrat n° {contract.pk}" in output
    assert active.person.last_name not in output


# -- retention -------------------------------------------------------------------------------


def test_the_daily_run_deletes_pieces_once_retention_has_passed(
        ended, django_capture_on_commit_callbacks):
    files = stored(ended)
    assert len(files) == 3

    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", (TODAY + dt.timedelta(days=RETENTION_DAYS)).isoformat())

    assert "0 rappel envoyé, 3 pièces supprimées (conservation écoulée)." in output
    assert "pièce : RIB à votre nom" in output
    assert not any(default_storage.exists(name) for name in files)
    assert RetentionLog.objects.filter(journey=ended).count() == 3
    assert not JourneyDocument.objects.filter(journey=ended, file_deleted_at=None).exists()


def test_pieces_are_kept_until_the_last_day_of_retention(ended,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", (TODAY + dt.timedelta(days=RETENTION_DAYS - 1)).isoformat())

    assert "0 pièce supprimée" in output
    assert len(stored(ended)) == 3


def test_a_dry_run_lists_the_pieces_it_would_delete_and_deletes_none(
        ended, django_capture_on_commit_callbacks):
    files = stored(ended)

    with django_capture_on_commit_callbacks(execute=True):
        output = daily("--today", (TODAY + dt.timedelta(days=RETENTION_DAYS)).isoformat(),
                       "--dry-run")

    assert "3 pièces seraient supprimées (conservation écoulée)" in output
    assert output.count("pièce : ") == 3
    assert stored(ended) == files
    assert not RetentionLog.objects.exists()
    assert JourneyDocument.objects.filter(journey=ended, file_deleted_at=None).count() == 3


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2026-13-45", "28/11/2026", "demain", ""])
def test_a_bad_today_is_refused_in_french(value):
    with pytest.raises(CommandError, match=r"Date invalide .* AAAA-MM-JJ"):
        daily("--today", value)


def test_without_today_the_run_takes_the_platforms_today():
    output = daily("--dry-run")

    assert f"Journée du {local_today():%d/%m/%Y}" in output
    assert "Simulation : 0 rappel serait envoyé" in output


# -- the demo, committed as `kpa seed_demo` commits it -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_demo_journeys_commit_without_mailing_anyone(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    seed_demo_network()

    line = seed_app_demo(today=TODAY)

    assert line.startswith("Parcours créés : 16 parcours")
    assert mail.outbox == []
    journey_notices = Notification.objects.filter(topic__startswith="journey.")
    assert journey_notices.exists()
    assert not journey_notices.filter(emailed=True).exists()
    # Identity copies are deleted from the disk once checked, after the commit.
    checked_identities = JourneyDocument.objects.filter(
        requirement__kind=DocumentRequirement.Kind.IDENTITY, checked_at__isnull=False)
    assert checked_identities.exists()
    on_disk = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    kept = {d.file.name for d in JourneyDocument.objects.exclude(file="")}
    assert on_disk == kept
