import datetime as dt

from conftest import Cast
from kpa.journey import contracts
from kpa.journey.models import Contract, Journey, JourneyStatus
from kpa.journey.tests.conftest import activate


def test_a_person_goes_from_inscription_to_exit_through_a_renewal(cast: Cast,
                                                                 journey: Journey) -> None:
    activate(cast, journey)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE
    first = journey.contracts.get()
    later = dt.date(2027, 10, 1)
    renewal = contracts.renew_contract(actor=cast.user("referent"), contract=first,
                                       ends_on=dt.date(2028, 11, 28), today=later)
    assert renewal.period_number == 2
    assert renewal.starts_on == first.ends_on
    contracts.upload_signed_copy(actor=cast.user("referent"), contract=renewal,
                                 content=b"%PDF-1.4 signed", today=later)
    contracts.record_exit(actor=cast.user("referent"), journey=journey,
                          exited_on=dt.date(2028, 6, 30), exit_kind=Journey.ExitKind.EMPLOYMENT,
                          destination="Boulangerie du coin", today=dt.date(2028, 6, 30))
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ENDED
    assert journey.treasury_payout_pending
    assert Contract.objects.filter(journey=journey, status=Contract.Status.SIGNED).count() == 2
