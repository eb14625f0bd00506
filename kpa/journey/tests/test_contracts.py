"""CAPE contracts: issue, sign, reissue, activate, renew, exit — and every refusal on the way."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY, Cast
from kpa.core.models import AuditEvent, Notification
from kpa.directory.models import Kpa, Role, RoleKind
from kpa.directory.tests.factories import KpaFactory
from kpa.journey import contracts, services
from kpa.journey.models import (
    CareerStep,
    Contract,
    InsuranceEntry,
    Journey,
    JourneyStatus,
)
from kpa.journey.tests.conftest import (
    activate,
    insure,
    issue,
    pdf_bytes,
    png_bytes,
    register,
    sign_by_scan,
    validate,
)

ONE_YEAR = dt.date(2027, 11, 28)
TWO_YEARS = dt.date(2028, 11, 28)
THREE_YEARS = dt.date(2029, 11, 28)


def own_user(journey: Journey) -> User:
    user = journey.person.user
    assert user is not None
    return user


@pytest.fixture
def awa(cast: Cast) -> Journey:
    """A person with an account, so that she can sign in the platform."""
    return register(cast, email="awa@exemple.org")


def sign(journey: Journey, contract: Contract, *, typed_name: str = "Awa Diallo",
         today: dt.date = TODAY) -> Contract:
    return contracts.sign_contract(actor=own_user(journey), contract=contract,
                                   typed_name=typed_name, today=today)


def walk_to_insured(actor: User, kpa: Kpa, journey: Journey) -> Journey:
    """The same path as the fixtures', for a KPA other than the cast's home."""
    for requirement in services.requirements_for(journey, TODAY):
        if requirement.required:
            services.upload_document(actor=actor, journey=journey, requirement=requirement,
                                     content=png_bytes(), today=TODAY)
    for document in journey.documents.all():
        services.check_document(actor=actor, document=document, note="CNI n° 1", today=TODAY)
    services.validate_journey(actor=actor, journey=journey, today=TODAY)
    insurance_list = services.create_insurance_list(actor=actor, kpa=kpa, today=TODAY)
    services.mark_insurance_list_sent(actor=actor, insurance_list=insurance_list, sent_on=TODAY,
                                      today=TODAY)
    services.record_insurance_answer(
        actor=actor, insurance_list=insurance_list,
        answers={e.pk: InsuranceEntry.Answer.ACCEPTED for e in insurance_list.entries.all()},
        answered_on=TODAY, today=TODAY)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.INSURED
    return journey


# ---- issue ----

def test_a_contract_is_issued_only_once_the_insurer_said_yes(cast: Cast,
                                                             journey: Journey) -> None:
    with pytest.raises(ValidationError, match="quand l'assureur a dit oui"):
        contracts.issue_contract(actor=cast.user("referent"), journey=journey, starts_on=TODAY,
                                 ends_on=ONE_YEAR, today=TODAY)
    validate(cast, journey)
    with pytest.raises(ValidationError, match="quand l'assureur a dit oui"):
        contracts.issue_contract(actor=cast.user("referent"), journey=journey, starts_on=TODAY,
                                 ends_on=ONE_YEAR, today=TODAY)
    assert not Contract.objects.exists()


def test_an_issued_contract_is_a_frozen_pdf_sent_to_everyone(cast: Cast, awa: Journey) -> None:
    contract = issue(cast, awa)
    assert contract.status == Contract.Status.SENT
    assert contract.period_number == 1
    assert bytes(contract.pdf).startswith(b"%PDF")
    assert contract.pdf_sha256 == hashlib.sha256(bytes(contract.pdf)).hexdigest()
    awa.refresh_from_db()
    assert awa.status == JourneyStatus.CONTRACT_SENT
    event = AuditEvent.objects.get(action="journey.contract.issued")
    assert event.data["sha256"] == contract.pdf_sha256
    assert set(Notification.objects.filter(topic="journey.contract.sent")
               .values_list("recipient__username", flat=True)) == {"awa", "referent",
                                                                  "gestionnaire"}


def test_a_period_lasts_twelve_months_at_most(cast: Cast, journey: Journey) -> None:
    insure(cast, journey)
    with pytest.raises(ValidationError) as refused:
        contracts.issue_contract(actor=cast.user("referent"), journey=journey, starts_on=TODAY,
                                 ends_on=ONE_YEAR + dt.timedelta(days=1), today=TODAY)
    assert "12 mois au plus" in refused.value.message_dict["ends_on"][0]
    with pytest.raises(ValidationError) as refused:
        contracts.issue_contract(actor=cast.user("referent"), journey=journey, starts_on=TODAY,
                                 ends_on=TODAY, today=TODAY)
    assert "ends_on" in refused.value.message_dict
    assert not Contract.objects.exists()
    contract = contracts.issue_contract(actor=cast.user("referent"), journey=journey,
                                        starts_on=TODAY, ends_on=ONE_YEAR, today=TODAY)
    assert contract.ends_on == ONE_YEAR


def test_a_contract_does_not_start_before_today(cast: Cast, journey: Journey) -> None:
    insure(cast, journey)
    with pytest.raises(ValidationError) as refused:
        contracts.issue_contract(actor=cast.user("referent"), journey=journey,
                                 starts_on=TODAY - dt.timedelta(days=1), ends_on=ONE_YEAR,
                                 today=TODAY)
    assert "avant aujourd'hui" in refused.value.message_dict["starts_on"][0]
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.INSURED


def test_two_capes_with_one_structure_never_overlap_even_in_two_kpas(cast: Cast,
                                                                     journey: Journey) -> None:
    issue(cast, journey)
    second_kpa = KpaFactory.create(network=cast.network, carrying_structure=cast.cae)
    manager = cast.user("gestionnaire")
    second = services.register(actor=manager, kpa=second_kpa, first_name="", last_name="",
                               person=journey.person, birth_date=dt.date(1990, 5, 17),
                               today=TODAY)
    walk_to_insured(manager, second_kpa, second)
    with pytest.raises(ValidationError) as refused:
        contracts.issue_contract(actor=manager, journey=second, starts_on=dt.date(2027, 3, 1),
                                 ends_on=dt.date(2028, 3, 1), today=TODAY)
    assert "deux CAPE ne se chevauchent pas" in refused.value.message_dict["starts_on"][0]
    # Once the first period is over, a contract with the same structure is fine.
    after = contracts.issue_contract(actor=manager, journey=second, starts_on=ONE_YEAR,
                                     ends_on=TWO_YEARS, today=TODAY)
    assert after.journey == second


def test_a_cape_with_another_structure_may_run_at_the_same_time(cast: Cast,
                                                                journey: Journey) -> None:
    issue(cast, journey)
    admin = cast.user("admin")
    elsewhere = services.register(actor=admin, kpa=cast.elsewhere, first_name="", last_name="",
                                  person=journey.person, birth_date=dt.date(1990, 5, 17),
                                  today=TODAY)
    walk_to_insured(admin, cast.elsewhere, elsewhere)
    contract = contracts.issue_contract(actor=admin, journey=elsewhere, starts_on=TODAY,
                                        ends_on=ONE_YEAR, today=TODAY)
    assert contract.journey.structure == cast.other_structure


# ---- signature ----

def test_only_the_person_signs_in_the_platform(cast: Cast, awa: Journey) -> None:
    contract = issue(cast, awa)
    for persona in ("referent", "gestionnaire", "outsider", "cooperant"):
        with pytest.raises(PermissionDenied):
            contracts.sign_contract(actor=cast.user(persona), contract=contract,
                                    typed_name="Awa Diallo", today=TODAY)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


@pytest.mark.parametrize("typed", ["Awa Diallo", "  awa   DIALLO ", "AWA diallo"])
def test_the_typed_name_is_compared_without_case_or_spacing(cast: Cast, awa: Journey,
                                                            typed: str) -> None:
    contract = sign(awa, issue(cast, awa), typed_name=typed)
    assert contract.status == Contract.Status.SIGNED


def test_the_typed_name_is_compared_without_accents(cast: Cast) -> None:
    journey = register(cast, email="elodie@exemple.org", first_name="Élodie",
                       last_name="Lefèvre-Noël")
    contract = sign(journey, issue(cast, journey), typed_name="elodie lefevre noel")
    assert contract.signed_name == "elodie lefevre noel"


def test_a_wrong_name_is_refused_with_the_name_to_type(cast: Cast, awa: Journey) -> None:
    contract = issue(cast, awa)
    with pytest.raises(ValidationError) as refused:
        sign(awa, contract, typed_name="Awa Diop")
    assert "Awa Diallo" in refused.value.message_dict["typed_name"][0]
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT
    assert contract.signed_at is None


def test_the_signature_seals_the_time_the_account_and_the_pdf_fingerprint(cast: Cast,
                                                                          awa: Journey) -> None:
    contract = sign(awa, issue(cast, awa))
    contract.refresh_from_db()
    assert contract.signature_method == Contract.SignatureMethod.PLATFORM
    assert contract.signed_by == own_user(awa)
    assert contract.signed_at is not None
    assert contract.pdf_sha256 == hashlib.sha256(bytes(contract.pdf)).hexdigest()
    event = AuditEvent.objects.get(action="journey.contract.signed")
    assert event.data["sha256"] == contract.pdf_sha256
    assert event.actor == own_user(awa)
    awa.refresh_from_db()
    assert awa.status == JourneyStatus.SIGNED
    assert Notification.objects.filter(topic="journey.contract.signed").exists()


def test_a_late_signature_is_refused(cast: Cast, awa: Journey) -> None:
    contract = issue(cast, awa)
    tomorrow = TODAY + dt.timedelta(days=1)
    with pytest.raises(ValidationError, match="Réémettez-le avec une nouvelle date"):
        sign(awa, contract, today=tomorrow)
    with pytest.raises(ValidationError, match="Réémettez-le"):
        contracts.upload_signed_copy(actor=cast.user("referent"), contract=contract,
                                     content=pdf_bytes(), today=tomorrow)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


def test_a_tampered_pdf_cannot_be_signed(cast: Cast, awa: Journey) -> None:
    contract = issue(cast, awa)
    Contract.objects.filter(pk=contract.pk).update(pdf=b"%PDF-1.4 forged")
    with pytest.raises(ValidationError, match="Le PDF du contrat a changé"):
        sign(awa, contract)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


def test_a_scanned_signed_copy_is_checked_like_any_upload(cast: Cast, journey: Journey) -> None:
    contract = issue(cast, journey)
    with pytest.raises(ValidationError, match="ni un PDF ni une photo"):
        contracts.upload_signed_copy(actor=cast.user("referent"), contract=contract,
                                     content=b"MZ\x90\x00", today=TODAY)
    signed = sign_by_scan(cast, contract)
    assert signed.signature_method == Contract.SignatureMethod.SCAN
    assert signed.signed_copy_sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    with pytest.raises(ValidationError, match="n'attend pas de signature"):
        sign_by_scan(cast, signed)


# ---- reissue ----

def test_a_contract_is_reissued_only_once_it_is_late(cast: Cast, journey: Journey) -> None:
    old = issue(cast, journey)
    with pytest.raises(ValidationError, match="peut encore être signé"):
        contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=TODAY,
                                   ends_on=ONE_YEAR, today=TODAY)
    later = TODAY + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as refused:
        contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=TODAY,
                                   ends_on=ONE_YEAR, today=later)
    assert "starts_on" in refused.value.message_dict
    new = contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=later,
                                     ends_on=dt.date(2027, 12, 1), today=later)
    old.refresh_from_db()
    assert old.status == Contract.Status.VOID
    assert new.replaces == old
    assert new.status == Contract.Status.SENT
    assert new.period_number == 1
    assert new.starts_on == later
    assert new.pdf_sha256 == hashlib.sha256(bytes(new.pdf)).hexdigest()
    assert AuditEvent.objects.get(action="journey.contract.reissued").data["replaces"] == old.pk
    with pytest.raises(ValidationError, match="Seul un contrat pas encore signé"):
        contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=later,
                                   ends_on=ONE_YEAR, today=later)
    assert contracts.current_contract(journey) == new


def test_a_reissued_contract_keeps_the_twelve_month_limit(cast: Cast, journey: Journey) -> None:
    old = issue(cast, journey)
    later = TODAY + dt.timedelta(days=3)
    with pytest.raises(ValidationError) as refused:
        contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=later,
                                   ends_on=dt.date(2027, 12, 2), today=later)
    assert "ends_on" in refused.value.message_dict
    old.refresh_from_db()
    assert old.status == Contract.Status.SENT


def test_a_late_renewal_can_be_reissued(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    renewal = contracts.renew_contract(actor=cast.user("referent"), contract=first,
                                       ends_on=TWO_YEARS, today=dt.date(2027, 10, 1))
    late = ONE_YEAR + dt.timedelta(days=5)
    new = contracts.reissue_contract(actor=cast.user("referent"), contract=renewal,
                                     starts_on=late, ends_on=TWO_YEARS, today=late)
    assert new.replaces == renewal
    assert new.period_number == 2


# ---- activation ----

def test_activation_waits_for_the_insurer(cast: Cast, journey: Journey) -> None:
    validate(cast, journey)
    with pytest.raises(ValidationError, match="L'assureur n'a pas encore dit oui"):
        contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.VALIDATED


def test_activation_waits_for_the_signature(cast: Cast, journey: Journey) -> None:
    insure(cast, journey)
    with pytest.raises(ValidationError, match="Le contrat doit être signé avant de commencer"):
        contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    contracts.issue_contract(actor=cast.user("referent"), journey=journey, starts_on=TODAY,
                             ends_on=ONE_YEAR, today=TODAY)
    with pytest.raises(ValidationError, match="Le contrat doit être signé"):
        contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)


def test_a_signed_contract_without_the_insurer_yes_does_not_start(cast: Cast,
                                                                  journey: Journey) -> None:
    # Not reachable through the services; crafted to prove the last guard holds on its own.
    sign_by_scan(cast, issue(cast, journey))
    InsuranceEntry.objects.filter(journey=journey).update(answer=InsuranceEntry.Answer.REFUSED)
    with pytest.raises(ValidationError, match="L'assureur n'a pas encore dit oui"):
        contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.SIGNED


def test_activation_waits_for_the_start_date(cast: Cast, journey: Journey) -> None:
    start = TODAY + dt.timedelta(days=10)
    sign_by_scan(cast, issue(cast, journey, starts_on=start, ends_on=dt.date(2027, 12, 8)))
    with pytest.raises(ValidationError, match="Le contrat commence le 08/12/2026"):
        contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    journey = contracts.activate(actor=cast.user("referent"), journey=journey, today=start)
    assert journey.status == JourneyStatus.ACTIVE


def test_activation_makes_the_person_a_cooperant_of_the_kpa(cast: Cast, journey: Journey) -> None:
    journey = activate(cast, journey)
    assert journey.status == JourneyStatus.ACTIVE
    role = Role.objects.current(TODAY).get(person=journey.person, kind=RoleKind.COOPERANT)
    assert role.kpa == cast.home
    assert role.starts_on == TODAY
    step = journey.steps.get()
    assert step.kind == CareerStep.Kind.CAPE
    assert step.on == TODAY
    assert {"journey.journey.activated", "directory.role.granted"} <= set(
        AuditEvent.objects.values_list("action", flat=True))


def test_an_existing_cooperant_is_not_given_the_role_twice(cast: Cast) -> None:
    journey = services.register(actor=cast.user("cooperant"), kpa=cast.home, first_name="",
                                last_name="", birth_date=dt.date(1990, 5, 17),
                                iban="", today=TODAY)
    activate(cast, journey)
    assert Role.objects.filter(person=cast.cooperant, kind=RoleKind.COOPERANT).count() == 1


# ---- renewals ----

def test_a_cape_is_renewed_twice_then_refused(cast: Cast, awa: Journey) -> None:
    activate(cast, awa)
    first = awa.contracts.get()
    referent = cast.user("referent")
    day = dt.date(2027, 10, 1)
    second = contracts.renew_contract(actor=referent, contract=first, ends_on=TWO_YEARS, today=day)
    assert (second.period_number, second.starts_on, second.ends_on) == (2, ONE_YEAR, TWO_YEARS)
    first.refresh_from_db()
    assert first.decision == Contract.Decision.RENEW
    assert first.decided_on == day
    with pytest.raises(ValidationError, match="Ce contrat a déjà une suite"):
        contracts.renew_contract(actor=referent, contract=first, ends_on=TWO_YEARS, today=day)
    with pytest.raises(ValidationError, match="Seul le contrat signé"):
        contracts.renew_contract(actor=referent, contract=second, ends_on=THREE_YEARS, today=day)
    sign(awa, second, today=day)
    step = awa.steps.get(kind=CareerStep.Kind.RENEWAL)
    assert step.on == ONE_YEAR
    assert step.note == "1er renouvellement"
    awa.refresh_from_db()
    assert awa.status == JourneyStatus.ACTIVE

    day = dt.date(2028, 10, 1)
    third = contracts.renew_contract(actor=referent, contract=second, ends_on=THREE_YEARS,
                                     today=day)
    assert (third.period_number, third.starts_on) == (3, TWO_YEARS)
    sign(awa, third, today=day)
    assert awa.steps.filter(kind=CareerStep.Kind.RENEWAL).count() == 2

    with pytest.raises(ValidationError) as refused:
        contracts.renew_contract(actor=referent, contract=third,
                                 ends_on=dt.date(2030, 11, 28), today=dt.date(2029, 10, 1))
    assert refused.value.messages == [
        "Ce CAPE a déjà été renouvelé deux fois : il ne peut plus l'être. Décidez d'une sortie "
        "ou d'un passage en CESA."]
    assert Contract.objects.filter(journey=awa).count() == 3
    third.refresh_from_db()
    assert third.decision == ""
    assert AuditEvent.objects.filter(action="journey.contract.renewed").count() == 2


def test_a_renewal_beyond_thirty_six_months_is_refused(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    referent = cast.user("referent")
    day = dt.date(2027, 10, 1)
    second = contracts.renew_contract(actor=referent, contract=journey.contracts.get(),
                                      ends_on=TWO_YEARS, today=day)
    contracts.upload_signed_copy(actor=referent, contract=second, content=pdf_bytes(), today=day)
    with pytest.raises(ValidationError) as refused:
        contracts.renew_contract(actor=referent, contract=second,
                                 ends_on=THREE_YEARS + dt.timedelta(days=1),
                                 today=dt.date(2028, 10, 1))
    assert "ends_on" in refused.value.message_dict
    assert Contract.objects.filter(journey=journey).count() == 2
    second.refresh_from_db()
    assert second.decision == ""


def test_only_an_active_journey_renews(cast: Cast, journey: Journey) -> None:
    contract = sign_by_scan(cast, issue(cast, journey))
    with pytest.raises(ValidationError, match="personne en activité"):
        contracts.renew_contract(actor=cast.user("referent"), contract=contract,
                                 ends_on=TWO_YEARS, today=TODAY)


# ---- exit ----

def test_an_exit_after_a_signed_contract_flags_the_treasury_for_payout(cast: Cast,
                                                                       journey: Journey) -> None:
    activate(cast, journey)
    day = dt.date(2027, 6, 30)
    journey = contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=day,
                                    exit_kind=Journey.ExitKind.EMPLOYMENT,
                                    destination=" Boulangerie ", today=day)
    assert journey.status == JourneyStatus.ENDED
    assert journey.treasury_payout_pending
    assert (journey.exited_on, journey.exit_destination) == (day, "Boulangerie")
    contract = journey.contracts.get()
    assert contract.decision == Contract.Decision.EXIT
    assert contract.decided_on == day
    step = journey.steps.get(kind=CareerStep.Kind.EXIT)
    assert step.on == day
    assert step.note == "Emploi"
    event = AuditEvent.objects.get(action="journey.journey.exited")
    assert event.data["treasury_payout_pending"] is True
    assert Notification.objects.filter(topic="journey.journey.exited").exists()
    with pytest.raises(ValidationError, match="déjà terminé"):
        contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=day,
                              exit_kind=Journey.ExitKind.NONE, today=day)


def test_moving_to_a_cesa_records_the_decision_and_the_step(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    journey = contracts.record_exit(actor=cast.user("referent"), journey=journey,
                                    exited_on=ONE_YEAR, exit_kind=Journey.ExitKind.CESA,
                                    today=ONE_YEAR)
    assert journey.contracts.get().decision == Contract.Decision.CESA
    assert list(journey.steps.values_list("kind", flat=True)) == [
        CareerStep.Kind.CAPE, CareerStep.Kind.CESA, CareerStep.Kind.EXIT]


def test_a_decision_taken_before_the_end_is_kept_at_the_exit(cast: Cast, journey: Journey) -> None:
    activate(cast, journey)
    contract = journey.contracts.get()
    with pytest.raises(ValidationError) as refused:
        contracts.decide_next_step(actor=cast.user("referent"), contract=contract,
                                   decision=Contract.Decision.RENEW, today=TODAY)
    assert "decision" in refused.value.message_dict
    contracts.decide_next_step(actor=cast.user("referent"), contract=contract,
                               decision=Contract.Decision.CESA, today=TODAY)
    with pytest.raises(ValidationError, match="déjà décidée"):
        contracts.renew_contract(actor=cast.user("referent"), contract=contract,
                                 ends_on=TWO_YEARS, today=TODAY)
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=ONE_YEAR,
                          exit_kind=Journey.ExitKind.CESA, today=ONE_YEAR)
    contract.refresh_from_db()
    assert contract.decision == Contract.Decision.CESA
    assert contract.decided_on == TODAY
    assert AuditEvent.objects.filter(action="journey.contract.decided").count() == 1


def test_an_exit_voids_unsigned_contracts_and_flags_nothing_without_a_signature(
        cast: Cast, journey: Journey) -> None:
    contract = issue(cast, journey)
    journey = contracts.record_exit(actor=cast.user("referent"), journey=journey,
                                    exited_on=TODAY, exit_kind=Journey.ExitKind.NONE,
                                    today=TODAY)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.VOID
    assert contract.decision == ""
    assert journey.status == JourneyStatus.ENDED
    assert not journey.treasury_payout_pending


def test_an_exit_before_any_contract_is_possible(cast: Cast, journey: Journey) -> None:
    journey = contracts.record_exit(actor=cast.user("referent"), journey=journey,
                                    exited_on=TODAY, exit_kind=Journey.ExitKind.TRAINING,
                                    today=TODAY)
    assert journey.status == JourneyStatus.ENDED
    assert not journey.treasury_payout_pending
    assert journey.steps.get().kind == CareerStep.Kind.EXIT
    with pytest.raises(PermissionDenied):
        contracts.record_exit(actor=cast.user("outsider"), journey=register(cast),
                              exited_on=TODAY, exit_kind=Journey.ExitKind.NONE, today=TODAY)


def test_the_exit_date_lies_within_the_signed_contracts_and_not_ahead(cast: Cast,
                                                                      journey: Journey) -> None:
    activate(cast, journey)
    referent = cast.user("referent")
    after_the_end = ONE_YEAR + dt.timedelta(days=1)
    for day, today in ((TODAY - dt.timedelta(days=1), TODAY),  # before the start
                       (after_the_end, after_the_end),  # after the last signed period
                       (dt.date(2027, 3, 1), dt.date(2027, 2, 1))):  # in the future
        with pytest.raises(ValidationError) as refused:
            contracts.record_exit(actor=referent, journey=journey, exited_on=day,
                                  exit_kind=Journey.ExitKind.NONE, today=today)
        assert "exited_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        contracts.record_exit(actor=referent, journey=journey, exited_on=TODAY,
                              exit_kind="lottery", today=TODAY)
    assert "exit_kind" in refused.value.message_dict
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE
    assert journey.exited_on is None
    journey = contracts.record_exit(actor=referent, journey=journey, exited_on=ONE_YEAR,
                                    exit_kind=Journey.ExitKind.NONE, today=after_the_end)
    assert journey.exited_on == ONE_YEAR


def test_without_a_contract_the_exit_is_not_in_the_future(cast: Cast, journey: Journey) -> None:
    with pytest.raises(ValidationError) as refused:
        contracts.record_exit(actor=cast.user("referent"), journey=journey,
                              exited_on=TODAY + dt.timedelta(days=1),
                              exit_kind=Journey.ExitKind.NONE, today=TODAY)
    assert "exited_on" in refused.value.message_dict


def test_without_a_contract_the_exit_is_not_before_the_inscription(cast: Cast,
                                                                   journey: Journey) -> None:
    with pytest.raises(ValidationError):
        contracts.record_exit(actor=cast.user("referent"), journey=journey,
                              exited_on=dt.date(1990, 1, 1), exit_kind=Journey.ExitKind.NONE,
                              today=TODAY)


def test_an_exit_during_an_unsigned_renewal_records_the_exit_decision(cast: Cast,
                                                                      journey: Journey) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    day = dt.date(2027, 10, 1)
    contracts.renew_contract(actor=cast.user("referent"), contract=first, ends_on=TWO_YEARS,
                             today=day)
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=day,
                          exit_kind=Journey.ExitKind.NONE, today=day)
    first.refresh_from_db()
    assert first.decision == Contract.Decision.EXIT


def test_an_exit_before_a_signed_renewal_begins_voids_it_and_its_step(cast: Cast,
                                                                      journey: Journey) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    day = dt.date(2027, 10, 1)
    renewal = contracts.renew_contract(actor=cast.user("referent"), contract=first,
                                       ends_on=dt.date(2028, 11, 28), today=day)
    contracts.upload_signed_copy(actor=cast.user("referent"), contract=renewal,
                                 content=pdf_bytes(), today=day)
    assert journey.steps.filter(kind=CareerStep.Kind.RENEWAL).exists()

    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=day,
                          exit_kind=Journey.ExitKind.TRAINING, today=day)

    renewal.refresh_from_db()
    first.refresh_from_db()
    assert renewal.status == Contract.Status.VOID
    assert first.decision == Contract.Decision.EXIT
    assert not journey.steps.filter(kind=CareerStep.Kind.RENEWAL).exists()


def _open_books(cast: Cast) -> None:
    from kpa.ledger import services as ledger_services

    ledger_services.open_books(actor=cast.user("comptable"), structure=cast.cae,
                               first_year_starts_on=dt.date(2026, 1, 1),
                               first_year_ends_on=dt.date(2027, 1, 1), today=TODAY)


def test_the_start_of_a_cape_opens_the_individual_treasury_in_the_books(
        cast: Cast, journey: Journey) -> None:
    from kpa.ledger.models import TreasuryAccount

    _open_books(cast)
    activate(cast, journey)
    account = TreasuryAccount.objects.get(structure=cast.cae, person=journey.person)
    assert account.kind == TreasuryAccount.Kind.INDIVIDUAL
    assert account.kpa == cast.home
    assert account.code == f"T-{journey.person_id}"
    assert AuditEvent.objects.filter(action="ledger.treasury_account.created",
                                     target_id=str(account.pk)).exists()


def test_a_person_who_already_has_a_treasury_with_the_structure_keeps_it(
        cast: Cast, journey: Journey) -> None:
    from kpa.ledger import services as ledger_services
    from kpa.ledger.models import TreasuryAccount

    _open_books(cast)
    earlier = ledger_services.open_treasury_account(
        actor=cast.user("comptable"), structure=cast.cae, code="ANCIEN", label="Awa Diallo",
        kind=TreasuryAccount.Kind.INDIVIDUAL, person=journey.person, kpa=cast.home)
    activate(cast, journey)
    assert list(TreasuryAccount.objects.filter(person=journey.person)) == [earlier]


def test_without_books_the_start_of_a_cape_opens_no_treasury(cast: Cast,
                                                             journey: Journey) -> None:
    from kpa.ledger.models import TreasuryAccount

    activate(cast, journey)
    assert not TreasuryAccount.objects.filter(person=journey.person).exists()
