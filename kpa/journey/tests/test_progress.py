"""Where a journey stands, in plain words: who acts next, what blocks it and since when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.utils import timezone

from conftest import TODAY, Cast
from kpa.journey import contracts, selectors, services
from kpa.journey.models import Contract, InsuranceEntry, Journey
from kpa.journey.progress import Progress, progress_of
from kpa.journey.tests.conftest import (
    activate,
    complete,
    insure,
    issue,
    register,
    sign_by_scan,
    validate,
)

AssertNumQueries = Callable[..., AbstractContextManager[Any]]
ONE_YEAR = dt.date(2027, 11, 28)
REFERENT = "le ou la référent·e"


def status_set(journey: Journey, days_ago: int, *, hour: int = 12) -> None:
    """Pin when the status was set: the real clock is not the tests' TODAY."""
    local = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour))
    Journey.objects.filter(pk=journey.pk).update(status_since=timezone.make_aware(local))


def progress(cast: Cast, journey: Journey, today: dt.date = TODAY) -> Progress:
    """Through the board's selector, as the pages read it."""
    return progress_of(selectors.journeys_for(cast.user("admin"), today=today).get(pk=journey.pk),
                       today)


def test_a_new_inscription_waits_for_its_pieces(cast: Cast, journey: Journey) -> None:
    now = progress(cast, journey)
    assert now.next_actor == "la personne ou son référent·e"
    assert now.missing == ["Pièce d'identité (carte, passeport, titre de séjour)",
                           "Justificatif de domicile de moins de 3 mois", "RIB à votre nom"]
    assert now.blockers == ["pièces manquantes : " + ", ".join(now.missing)]
    assert now.next_deadline is None


def test_a_complete_inscription_waits_for_the_structure(cast: Cast, journey: Journey) -> None:
    complete(cast, journey)
    status_set(journey, 3)
    now = progress(cast, journey)
    assert now.next_actor == "la structure"
    assert now.missing == []
    assert now.blockers[0].startswith("pièces à vérifier : Pièce d'identité")
    assert now.blockers[1] == "en attente de validation depuis 3 jours"


def test_since_counts_local_days_not_utc_days(cast: Cast, journey: Journey) -> None:
    complete(cast, journey)
    for document in journey.documents.all():
        services.check_document(actor=cast.user("referent"), document=document, note="CNI n° 1",
                                today=TODAY)
    # 00:30 in Paris on TODAY is still the day before in UTC: one day later, it is one day.
    Journey.objects.filter(pk=journey.pk).update(
        status_since=timezone.make_aware(dt.datetime.combine(TODAY, dt.time(0, 30))))
    tomorrow = TODAY + dt.timedelta(days=1)
    assert progress(cast, journey, tomorrow).blockers == [
        "en attente de validation depuis 1 jour"]


def test_a_validated_person_waits_to_be_put_on_an_insurance_list(cast: Cast,
                                                                 journey: Journey) -> None:
    validate(cast, journey)
    now = progress(cast, journey)
    assert now.next_actor == REFERENT
    assert now.blockers == ["à inscrire sur une fiche navette d'assurance"]
    services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home, today=TODAY)
    now = progress(cast, journey)
    assert now.next_actor == "l'assureur"
    assert now.blockers == ["fiche navette à envoyer à l'assureur"]


def test_the_board_says_how_long_the_insurer_has_been_waited_for(cast: Cast,
                                                                 journey: Journey) -> None:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    services.mark_insurance_list_sent(actor=cast.user("referent"), insurance_list=insurance_list,
                                      sent_on=TODAY - dt.timedelta(days=12), today=TODAY)
    now = progress(cast, journey)
    assert now.next_actor == "l'assureur"
    assert now.blockers == ["en attente de l'assureur depuis 12 jours"]


def test_a_refusal_by_the_insurer_is_said_plainly(cast: Cast, journey: Journey) -> None:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    services.mark_insurance_list_sent(actor=cast.user("referent"), insurance_list=insurance_list,
                                      sent_on=TODAY, today=TODAY)
    services.record_insurance_answer(
        actor=cast.user("referent"), insurance_list=insurance_list,
        answers={e.pk: InsuranceEntry.Answer.REFUSED for e in insurance_list.entries.all()},
        answered_on=TODAY, today=TODAY)
    now = progress(cast, journey)
    assert now.next_actor == REFERENT
    assert now.blockers == [
        "l'assureur a refusé : voyez avec lui ou proposez une autre activité"]


def test_an_insured_person_waits_for_the_contract(cast: Cast, journey: Journey) -> None:
    insure(cast, journey)
    now = progress(cast, journey)
    assert now.next_actor == REFERENT
    assert now.blockers == ["contrat CAPE à émettre"]


def test_a_sent_contract_waits_for_the_signature_until_its_start(cast: Cast,
                                                                 journey: Journey) -> None:
    start = TODAY + dt.timedelta(days=5)
    issue(cast, journey, starts_on=start, ends_on=dt.date(2027, 12, 3))
    contract = journey.contracts.get()
    contract.issued_at -= dt.timedelta(days=2)
    contract.save(update_fields=["issued_at"])
    now = progress(cast, journey)
    assert now.next_actor == "la personne"
    assert now.blockers == ["contrat à signer depuis 2 jours"]
    assert now.next_deadline == (start, "signer le contrat")
    late = progress(cast, journey, start + dt.timedelta(days=1))
    assert late.blockers == ["signature en retard : réémettre le contrat avec une nouvelle date"]
    assert late.next_deadline is None


def test_a_signed_contract_waits_for_its_start(cast: Cast, journey: Journey) -> None:
    start = TODAY + dt.timedelta(days=5)
    sign_by_scan(cast, issue(cast, journey, starts_on=start, ends_on=dt.date(2027, 12, 3)))
    now = progress(cast, journey)
    assert now.next_actor == REFERENT
    assert now.blockers == []
    assert now.next_deadline == (start, "début de l'activité")
    # Crafted (the services never get there): a signature without the insurer's yes.
    InsuranceEntry.objects.filter(journey=journey).update(answer=InsuranceEntry.Answer.REFUSED)
    assert progress(cast, journey).blockers == ["pas d'accord de l'assureur"]


def test_an_active_person_sees_the_end_and_the_decision_to_take(cast: Cast,
                                                                journey: Journey) -> None:
    activate(cast, journey)
    now = progress(cast, journey)
    assert now.next_actor == "la personne"
    assert now.blockers == []
    assert now.next_deadline == (dt.date(2027, 11, 27), "fin du contrat : décider de la suite")
    soon = progress(cast, journey, ONE_YEAR - dt.timedelta(days=60))
    assert soon.next_actor == REFERENT
    assert soon.blockers == ["suite à décider avant le 27/11/2027"]


def test_an_unsigned_renewal_is_the_next_thing_to_sign(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    contracts.renew_contract(actor=cast.user("referent"), contract=journey.contracts.get(),
                             ends_on=dt.date(2028, 11, 28), today=dt.date(2027, 10, 1))
    now = progress(cast, journey, dt.date(2027, 10, 1))
    assert now.next_actor == "la personne"
    assert now.blockers == []
    assert now.next_deadline == (ONE_YEAR, "signer le renouvellement")
    late = progress(cast, journey, ONE_YEAR + dt.timedelta(days=1))
    assert late.blockers == ["renouvellement non signé à temps : le réémettre"]


def test_a_decided_end_leaves_only_the_date(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    contracts.decide_next_step(actor=cast.user("referent"), contract=journey.contracts.get(),
                               decision=Contract.Decision.EXIT, today=TODAY)
    now = progress(cast, journey, ONE_YEAR - dt.timedelta(days=10))
    assert now.blockers == []
    assert now.next_deadline == (dt.date(2027, 11, 27), "fin du contrat")


def test_an_ended_journey_waits_for_nobody(cast: Cast, journey: Journey) -> None:
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                          exit_kind=Journey.ExitKind.NONE, today=TODAY)
    now = progress(cast, journey)
    assert now.next_actor == "—"
    assert now.blockers == []
    assert now.next_deadline is None


def test_progress_reads_only_what_the_board_prefetched(
        cast: Cast, django_assert_num_queries: AssertNumQueries) -> None:
    register(cast)
    complete(cast, register(cast, first_name="Binta"))
    validate(cast, register(cast, first_name="Chloé"))
    activate(cast, register(cast, first_name="Dina"))
    journeys = list(selectors.journeys_for(cast.user("referent"), today=TODAY))
    assert len(journeys) == 4
    with django_assert_num_queries(0):
        answers = [progress_of(journey, TODAY) for journey in journeys]
    assert all(answer.next_actor for answer in answers)
