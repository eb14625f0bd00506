"""A treasury account may follow an activity of the directory: in its carrier's books, for its
KPA, with its kind (collective for a collective activity)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kpa.core.models import AuditEvent
from kpa.directory.models import Activity
from kpa.directory.tests.factories import ActivityFactory
from kpa.ledger import services
from kpa.ledger.models import TreasuryAccount


def open_for(ledger, activity: Activity, kind: str = TreasuryAccount.Kind.COLLECTIVE,
             **extra) -> TreasuryAccount:
    return services.create_treasury_account(
        actor=ledger.keeper, structure=ledger.structure, code="COL-1",
        label=f"Trésorerie {activity.name}", kind=kind, activity=activity,
        today=ledger.today, **extra)


def test_a_collective_activity_gets_a_collective_account_for_its_kpa(ledger):
    activity = ActivityFactory.create(kpa=ledger.cast.home, name="Friperie solidaire")

    account = open_for(ledger, activity)

    account.refresh_from_db()
    assert account.activity == activity
    assert account.kpa == ledger.cast.home
    assert account.kind == TreasuryAccount.Kind.COLLECTIVE
    assert list(activity.treasury_accounts.all()) == [account]
    assert AuditEvent.objects.filter(action="ledger.treasury_account.created",
                                     target_id=str(account.pk)).exists()


def test_an_individual_activity_gets_its_cooperants_individual_account(ledger):
    activity = ActivityFactory.create(kpa=ledger.cast.home, name="Couture",
                                      kind=Activity.Kind.INDIVIDUAL)

    account = open_for(ledger, activity, kind=TreasuryAccount.Kind.INDIVIDUAL,
                       person=ledger.cast.cooperant)

    assert (account.activity, account.person) == (activity, ledger.cast.cooperant)


@pytest.mark.parametrize("kind", [TreasuryAccount.Kind.INDIVIDUAL, TreasuryAccount.Kind.COMMON])
def test_a_collective_activitys_account_must_be_collective(ledger, kind):
    activity = ActivityFactory.create(kpa=ledger.cast.home, name="Friperie solidaire")

    with pytest.raises(ValidationError) as refused:
        open_for(ledger, activity, kind=kind, person=ledger.cast.cooperant)

    assert "Trésorerie collective" in refused.value.message_dict["kind"][0]
    assert not TreasuryAccount.objects.exists()


def test_an_activity_of_another_structure_or_kpa_is_refused(ledger):
    elsewhere = ActivityFactory.create(kpa=ledger.cast.elsewhere, name="Ailleurs")
    home = ActivityFactory.create(kpa=ledger.cast.home, name="Maison")

    with pytest.raises(ValidationError) as other_structure:
        open_for(ledger, elsewhere)
    with pytest.raises(ValidationError) as other_kpa:
        open_for(ledger, home, kpa=ledger.cast.elsewhere)

    assert "portée par une autre structure" in other_structure.value.message_dict["activity"][0]
    assert "autre KPA" in other_kpa.value.message_dict["kpa"][0]
    assert not TreasuryAccount.objects.exists()


def test_accounts_without_activity_are_unchanged(ledger):
    assert ledger.treasury().activity is None
