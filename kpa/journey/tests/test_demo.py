"""The demo journeys: people at every step, renewals up to the third period, a contract ending
this month, a reissued contract, exits, a first CAPE in every other KPA of the network; valid by
the same rules as real data, idempotent.

The whole demo (`kpa seed_demo`: directory, ledger, journey) is built once for the module, with
today's date as `make run` would, inside a transaction rolled back at the end; each test runs in
its own savepoint within it. The tests that build the journeys on other dates run first, before
that module transaction exists (pytest keeps the file's order).
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from kpa.core.dates import local_today
from kpa.core.models import AuditEvent, Notification
from kpa.directory.demo import KPAS, seed_demo_network
from kpa.directory.models import Kpa, Role, RoleKind, Structure
from kpa.journey import rules
from kpa.journey.demo import seed_app_demo, seed_demo_journeys
from kpa.journey.models import (
    CareerStep,
    Contract,
    DocumentRequirement,
    InsuranceEntry,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    JourneyStatus,
)
from kpa.journey.uploads import sniff_type
from kpa.ledger.models import TreasuryAccount

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count()
            for model in (Journey, Contract, JourneyDocument, InsuranceList, InsuranceEntry,
                          CareerStep, Notification, AuditEvent)}


def _ends_this_month(today: dt.date) -> list[Contract]:
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return list(Contract.objects.filter(
        status=Contract.Status.SIGNED, journey__status=JourneyStatus.ACTIVE, decision="",
        ends_on__gt=today, ends_on__lte=month_end + dt.timedelta(days=1)))


# -- on other days than today (run before the module's demo exists) --------------------------


def test_the_journeys_can_be_built_on_another_day_and_keep_their_shape():
    today = dt.date(2027, 3, 1)  # the first day of a month, after a short one
    seed_demo_network()

    result = seed_demo_journeys(today=today)

    assert result.created, result.skipped
    assert set(Journey.objects.values_list("status", flat=True)) == set(JourneyStatus.values)
    assert len(_ends_this_month(today)) == 1
    assert Contract.objects.filter(period_number=3).exists()
    assert set(Journey.objects.filter(status=JourneyStatus.ACTIVE)
               .values_list("kpa__name", flat=True)) == {k[0] for k in KPAS}


def test_before_the_staff_arrived_the_demo_builds_no_journey():
    seed_demo_network()

    line = seed_app_demo(today=dt.date(2026, 6, 1))

    assert "rien à faire" in line
    assert not Journey.objects.exists()


# -- the demo as `kpa seed_demo` builds it today ------------------------------------------------


@dataclass(frozen=True)
class Demo:
    today: dt.date
    output: str
    media: str


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[Demo]:  # type: ignore[no-untyped-def]
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media)), \
            transaction.atomic():
        out = io.StringIO()
        today = local_today()
        call_command("seed_demo", "--quiet-logins", stdout=out)
        yield Demo(today=today, output=out.getvalue(), media=str(media))
        transaction.set_rollback(True)


def test_the_seed_demo_command_reports_the_journeys(demo):
    assert "Parcours créés : 16 parcours" in demo.output
    assert "[journey," in demo.output


def test_every_status_of_the_path_has_someone(demo):
    statuses = set(Journey.objects.values_list("status", flat=True))

    assert statuses == set(JourneyStatus.values)


def test_contracts_run_in_a_first_period_and_in_renewals_up_to_the_third(demo):
    live = Contract.objects.exclude(status=Contract.Status.VOID)

    assert live.filter(period_number=1, journey__status=JourneyStatus.ACTIVE).exists()
    assert live.filter(period_number=2, status=Contract.Status.SIGNED).exists()
    third = live.get(period_number=3)
    assert third.status == Contract.Status.SIGNED
    assert third.journey.status == JourneyStatus.ACTIVE
    assert third.starts_on <= demo.today < third.ends_on
    assert CareerStep.objects.filter(journey=third.journey,
                                     kind=CareerStep.Kind.RENEWAL).count() == 2


def test_every_chain_of_contracts_keeps_the_cape_rules(demo):
    for journey in Journey.objects.prefetch_related("contracts"):
        chain = sorted((c for c in journey.contracts.all() if c.status != Contract.Status.VOID),
                       key=lambda c: c.period_number)
        assert [c.period_number for c in chain] == list(range(1, len(chain) + 1)), journey
        spans: list[rules.Span] = []
        for contract in chain:
            assert not rules.chain_problems(starts_on=contract.starts_on,
                                            ends_on=contract.ends_on, chain=spans), contract
            spans.append(rules.Span(contract.starts_on, contract.ends_on))
    for contract in Contract.objects.all():
        contract.full_clean(exclude=["pdf"])


def test_one_contract_ends_this_month_with_its_decision_still_open(demo):
    ending = _ends_this_month(demo.today)

    assert len(ending) == 1
    assert ending[0].last_day.month == demo.today.month
    assert ending[0].is_renewal


def test_the_daily_run_reminds_the_staff_of_the_contract_ending_this_month(demo):
    out = io.StringIO()

    call_command("journey_daily", "--today", demo.today.isoformat(), stdout=out)

    assert "1 rappel envoyé" in out.getvalue()
    assert _ends_this_month(demo.today)[0].reminders.exists()


def test_a_late_unsigned_contract_was_voided_and_reissued_with_a_new_start(demo):
    old = Contract.objects.get(status=Contract.Status.VOID)
    new = old.replaced_by

    assert old.starts_on < demo.today <= new.starts_on
    assert new.status == Contract.Status.SENT
    assert new.period_number == old.period_number == 1
    assert new.journey.status == JourneyStatus.CONTRACT_SENT
    assert old.signed_at is None


def test_one_person_left_for_a_job_and_one_for_a_cesa(demo):
    job = Journey.objects.get(exit_kind=Journey.ExitKind.EMPLOYMENT)
    cesa = Journey.objects.get(exit_kind=Journey.ExitKind.CESA)

    for journey in (job, cesa):
        assert journey.status == JourneyStatus.ENDED
        assert journey.exit_destination
        assert journey.exited_on is not None
        assert journey.exited_on <= demo.today
        assert journey.treasury_payout_pending
    assert job.contracts.get().decision == Contract.Decision.EXIT
    assert cesa.contracts.get().decision == Contract.Decision.CESA
    assert cesa.steps.filter(kind=CareerStep.Kind.CESA).exists()


def test_the_minor_is_seventeen_with_a_checked_parental_consent(demo):
    minors = [j for j in Journey.objects.all()
              if j.birth_date and rules.is_minor(j.birth_date, demo.today)]

    assert len(minors) == 1
    minor = minors[0]
    assert rules.age_on(minor.birth_date, demo.today) == 17
    assert minor.reached(JourneyStatus.VALIDATED)
    consent = minor.documents.get(requirement__kind=DocumentRequirement.Kind.PARENTAL_CONSENT)
    assert consent.checked_at is not None


def test_the_minor_waits_on_a_list_the_insurer_has_not_answered(demo):
    waiting = InsuranceList.objects.get(status=InsuranceList.Status.SENT)

    assert waiting.entries.filter(answer=InsuranceEntry.Answer.PENDING).exists()
    assert all(rules.is_minor(e.journey.birth_date, demo.today) for e in waiting.entries.all())
    assert InsuranceList.objects.filter(status=InsuranceList.Status.ANSWERED).count() >= 3


def test_people_without_e_mail_are_followed_by_a_referent_of_their_kpa(demo):
    quiet = Journey.objects.filter(person__email="", person__user__isnull=True)

    assert quiet.count() >= 3
    for journey in quiet.select_related("person__proxy"):
        proxy = journey.person.proxy
        assert proxy is not None, journey
        assert Role.objects.current(demo.today).filter(
            person=proxy, kind=RoleKind.REFERENT, kpa=journey.kpa).exists(), journey


def test_the_cooperant_persona_uploaded_and_signed_herself_in_the_platform(demo):
    user = User.objects.get(username="cooperant")
    journey = Journey.objects.get(person__user=user)
    contract = journey.contracts.get()

    assert journey.status == JourneyStatus.ACTIVE
    assert contract.signature_method == Contract.SignatureMethod.PLATFORM
    assert contract.signed_by == user
    assert contract.signed_name == journey.person.full_name
    assert set(journey.documents.values_list("uploaded_by", flat=True)) == {user.pk}


def test_every_step_was_taken_by_the_demo_staff_or_the_people_themselves(demo):
    actors = set(AuditEvent.objects.filter(action__startswith="journey.")
                 .values_list("actor__username", flat=True))

    # None: the inscription made alone through the public form; the administrator acts for
    # the association of La Rochelle, which has no gestionnaire who logs in.
    assert actors == {"referent", "gestionnaire", "cooperant", "admin", None}
    admin_kpas = set(AuditEvent.objects.filter(
        action="journey.journey.registered", actor__username="admin",
    ).values_list("data__kpa", flat=True))
    assert admin_kpas == {Kpa.objects.get(name="KPA La Rochelle-Mireuil").pk}


def test_every_other_kpa_has_a_cooperant_whose_first_cape_started_a_few_weeks_ago(demo):
    for kpa in Kpa.objects.exclude(name__in=["KPA Roubaix", "KPA Lille-Moulins"]):
        journey = Journey.objects.get(kpa=kpa)
        contract = journey.contracts.get()

        assert journey.status == JourneyStatus.ACTIVE, kpa
        assert journey.structure_id == kpa.carrying_structure_id, kpa
        assert journey.insurance_entries.filter(
            answer=InsuranceEntry.Answer.ACCEPTED).exists(), kpa
        assert contract.status == Contract.Status.SIGNED, kpa
        assert contract.signature_method == Contract.SignatureMethod.SCAN, kpa
        assert 14 <= (demo.today - contract.starts_on).days <= 70, kpa
        assert contract.ends_on == rules.add_months(contract.starts_on, 12), kpa
        # An existing coopérant of the KPA, who already had their treasury in the demo books.
        assert Role.objects.filter(person=journey.person, kind=RoleKind.COOPERANT, kpa=kpa,
                                   starts_on__lt=journey.created_at.date()).exists(), kpa
        assert TreasuryAccount.objects.filter(person=journey.person,
                                              structure_id=journey.structure_id).count() == 1


def test_the_association_insures_its_cooperants_with_its_own_insurer(demo):
    kpa = Kpa.objects.get(name="KPA La Rochelle-Mireuil")
    assert kpa.carrying_structure is not None
    policy = JourneyPolicy.objects.get(structure=kpa.carrying_structure)

    assert kpa.carrying_structure.kind == Structure.Kind.ASSOCIATION
    assert policy.insurer.startswith("MAIF")
    assert policy.legal_representative
    assert InsuranceList.objects.get(kpa=kpa).insurer == policy.insurer
    assert JourneyPolicy.of(Structure.objects.get(name="CAE Cap Nord Activités")).insurer \
        == "MACIF"


def test_the_stamps_tell_the_same_story_as_the_dates(demo):
    now = timezone.now()
    for contract in Contract.objects.all():
        assert timezone.localdate(contract.issued_at) <= contract.starts_on, contract
        if contract.signed_at is not None:
            assert timezone.localdate(contract.signed_at) <= contract.starts_on, contract
    for journey in Journey.objects.all():
        assert journey.created_at <= journey.status_since <= now, journey
    oldest = Journey.objects.earliest("created_at")
    assert (demo.today - timezone.localdate(oldest.created_at)).days > 270


def test_kept_pieces_are_real_files_and_identity_copies_are_gone_once_checked(demo, settings):
    settings.MEDIA_ROOT = demo.media
    documents = JourneyDocument.objects.select_related("requirement")

    for document in documents:
        if document.requirement.kind == DocumentRequirement.Kind.IDENTITY and document.checked_at:
            assert not document.has_file, document
            assert document.check_note, document
        elif document.has_file:
            with default_storage.open(document.file.name) as handle:
                content = handle.read()
            assert sniff_type(content) == document.content_type, document
            assert len(content) == document.size


def test_seeding_twice_adds_nothing(demo):
    before = _counts()
    out = io.StringIO()

    call_command("seed_demo", "--quiet-logins", stdout=out)

    assert _counts() == before
    assert "Parcours déjà présents : 16 parcours" in out.getvalue()


# -- the admin shows the demo, read-only -----------------------------------------------------


ADMIN_MODELS = ["journeypolicy", "documentrequirement", "journey", "journeydocument",
                "retentionlog", "insurancelist", "insuranceentry", "contract", "careerstep"]


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_the_admin_shows_the_demo_journeys_without_a_way_to_change_them(demo, admin_client,
                                                                        model):
    listing = admin_client.get(f"/admin/journey/{model}/")
    assert listing.status_code == 200
    assert f"/admin/journey/{model}/add/" not in listing.content.decode()
    assert admin_client.get(f"/admin/journey/{model}/add/").status_code == 403


def test_the_admin_never_shows_a_contracts_pdf_or_signed_copy(demo, admin_client):
    contract = Contract.objects.exclude(signed_copy=None).earliest("pk")

    page = admin_client.get(f"/admin/journey/contract/{contract.pk}/change/")

    assert page.status_code == 200
    assert b"%PDF" not in page.content
    assert contract.pdf_sha256 in page.content.decode()
    assert "PDF du contrat" not in page.content.decode()


def test_the_admin_shows_a_pieces_file_name_not_a_link_to_it(demo, admin_client):
    document = JourneyDocument.objects.exclude(file="").earliest("pk")

    page = admin_client.get(f"/admin/journey/journeydocument/{document.pk}/change/")

    text = page.content.decode()
    assert page.status_code == 200
    assert document.file.name in text
    assert f'href="{document.file.url}"' not in text
    assert f"/admin/journey/journeydocument/{document.pk}/delete/" not in text
