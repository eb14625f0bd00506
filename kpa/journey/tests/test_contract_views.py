"""The CAPE contract pages, driven through the test client as the cast's personas.

Views are thin, so these tests check what only a page can get wrong: that the last day typed on
screen becomes the service's exclusive end, that every refusal of the CAPE rules reaches the
page in French with nothing written, that only the person signs and only the staff act, that a
late contract is reissued in one action, and that everyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.directory.tests.factories import KpaFactory
from kpa.journey import contracts, services
from kpa.journey.models import Contract, InsuranceEntry, Journey, JourneyStatus
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
from kpa.journey.uploads import MAX_UPLOAD_BYTES

PERSON_EMAIL = "awa.diallo@exemple.org"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views ask `dates.local_today()`; the journeys were walked on the cast's day."""
    move_to(monkeypatch, TODAY)


def move_to(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: day)


@pytest.fixture
def person_journey(cast: Cast) -> Journey:
    """A journey whose person has an account, so that they can sign."""
    return register(cast, email=PERSON_EMAIL)


def as_persona(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def as_person(client: Client, journey: Journey) -> Client:
    assert journey.person.user is not None
    client.force_login(journey.person.user)
    return client


def text_of(response: Any) -> str:
    """The page's words without tags, spaces folded, so assertions read like the screen."""
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("&nbsp;", " ").split())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def period(starts_on: dt.date, last_day: dt.date) -> dict[str, str]:
    return {"starts_on": starts_on.isoformat(), "last_day": last_day.isoformat()}


# ---- issue ----------------------------------------------------------------------------------

def test_the_referent_issues_the_first_contract_and_the_last_day_is_inclusive(
        cast: Cast, journey: Journey, client: Client) -> None:
    insure(cast, journey)
    as_persona(client, cast, "referent")
    url = reverse("journey:issue_contract", args=[journey.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Dernier jour du contrat" in text_of(page)
    assert 'value="2027-11-27"' in page.content.decode()  # start + 12 months - 1 day
    response = client.post(url, period(TODAY, dt.date(2027, 11, 27)))
    contract = Contract.objects.get(journey=journey)
    assert response.status_code == 302
    assert response["Location"] == reverse("journey:contract_detail", args=[contract.pk])
    assert (contract.starts_on, contract.ends_on) == (TODAY, dt.date(2027, 11, 28))
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.CONTRACT_SENT
    detail = text_of(client.get(response["Location"]))
    assert "Du 28 novembre 2026 au 27 novembre 2027 inclus" in detail


def test_a_thirteen_month_period_is_refused_in_french_and_no_contract_is_written(
        cast: Cast, journey: Journey, client: Client) -> None:
    insure(cast, journey)
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:issue_contract", args=[journey.pk]),
                           period(TODAY, dt.date(2027, 12, 27)))
    assert response.status_code == 400
    assert "Une période de CAPE dure 12 mois au plus" in text_of(response)
    assert 'id="id_last_day_error"' in response.content.decode()  # shown on the last day
    assert not Contract.objects.exists()
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.INSURED


def test_inverted_dates_are_refused_and_no_contract_is_written(
        cast: Cast, journey: Journey, client: Client) -> None:
    insure(cast, journey)
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:issue_contract", args=[journey.pk]),
                           period(dt.date(2027, 1, 10), dt.date(2026, 12, 31)))
    assert response.status_code == 400
    assert "La fin doit venir après le début du contrat" in text_of(response)
    assert not Contract.objects.exists()


@pytest.mark.parametrize("data", [
    {"starts_on": "2026-02-31", "last_day": "2027-02-27"},
    {"starts_on": "demain", "last_day": ""},
    {},
])
def test_junk_dates_and_an_empty_post_are_refused_without_an_error_page(
        cast: Cast, journey: Journey, client: Client, data: dict[str, str]) -> None:
    insure(cast, journey)
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:issue_contract", args=[journey.pk]), data)
    assert response.status_code == 400
    assert not Contract.objects.exists()


def test_a_contract_is_not_issued_before_the_insurer_said_yes(
        cast: Cast, journey: Journey, client: Client) -> None:
    validate(cast, journey)
    as_persona(client, cast, "referent")
    url = reverse("journey:issue_contract", args=[journey.pk])
    assert "Le contrat s'émet quand l'assureur a dit oui" in text_of(client.get(url))
    response = client.post(url, period(TODAY, dt.date(2027, 11, 27)))
    assert response.status_code == 400
    assert "Le contrat s'émet quand l'assureur a dit oui" in text_of(response)
    assert not Contract.objects.exists()


def insure_in_second_kpa(cast: Cast, journey: Journey) -> Journey:
    """The same person registered in another KPA carried by the same CAE, insured there."""
    gestionnaire = cast.user("gestionnaire")
    kpa = KpaFactory.create(name="KPA Voisin", carrying_structure=cast.cae, network=cast.network)
    second = services.register(actor=gestionnaire, kpa=kpa, person=journey.person,
                               first_name="", last_name="", birth_date=dt.date(1990, 5, 17),
                               address="3 rue des Lilas", postcode="59100", city="Roubaix",
                               activity_idea="Couture", today=TODAY)
    for requirement in services.requirements_for(second, TODAY):
        if requirement.required:
            services.upload_document(actor=gestionnaire, journey=second, requirement=requirement,
                                     content=png_bytes(), today=TODAY)
    for document in second.documents.all():
        services.check_document(actor=gestionnaire, document=document, note="CNI n° 123",
                                today=TODAY)
    services.validate_journey(actor=gestionnaire, journey=second, today=TODAY)
    insurance_list = services.create_insurance_list(actor=gestionnaire, kpa=kpa, today=TODAY)
    services.mark_insurance_list_sent(actor=gestionnaire, insurance_list=insurance_list,
                                      sent_on=TODAY, today=TODAY)
    services.record_insurance_answer(
        actor=gestionnaire, insurance_list=insurance_list,
        answers={e.pk: InsuranceEntry.Answer.ACCEPTED for e in insurance_list.entries.all()},
        answered_on=TODAY, today=TODAY)
    second.refresh_from_db()
    return second


def test_two_overlapping_capes_with_one_structure_are_refused(
        cast: Cast, journey: Journey, client: Client) -> None:
    issue(cast, journey)
    second = insure_in_second_kpa(cast, journey)
    as_persona(client, cast, "gestionnaire")
    response = client.post(reverse("journey:issue_contract", args=[second.pk]),
                           period(dt.date(2027, 3, 1), dt.date(2028, 2, 28)))
    assert response.status_code == 400
    assert "deux CAPE ne se chevauchent pas" in text_of(response)
    assert not Contract.objects.filter(journey=second).exists()


# ---- read: detail, PDF, certificate, signed copy ----------------------------------------------

def test_the_contract_page_shows_its_pdf_fingerprint_and_history(
        cast: Cast, journey: Journey, client: Client) -> None:
    contract = issue(cast, journey)
    as_persona(client, cast, "referent")
    page = client.get(reverse("journey:contract_detail", args=[contract.pk]))
    assert page.status_code == 200
    words = text_of(page)
    assert "contrat émis" in words
    assert contract.pdf_sha256[:16] in words
    assert reverse("journey:contract_pdf", args=[contract.pk]) in page.content.decode()
    assert reverse("journey:upload_signed_copy", args=[contract.pk]) in page.content.decode()
    pdf = client.get(reverse("journey:contract_pdf", args=[contract.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="contrat-cape-{contract.pk}.pdf"'
    assert hashlib.sha256(pdf.content).hexdigest() == contract.pdf_sha256
    assert client.get(reverse("journey:certificate", args=[contract.pk])).status_code == 404
    assert client.get(reverse("journey:signed_copy", args=[contract.pk])).status_code == 404


# ---- signature ------------------------------------------------------------------------------

def test_the_person_signs_by_typing_their_name_and_the_certificate_seals_the_sha256(
        cast: Cast, person_journey: Journey, client: Client) -> None:
    contract = issue(cast, person_journey)
    as_person(client, person_journey)
    url = reverse("journey:sign", args=[contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    words = text_of(page)
    assert "Tapez votre prénom et votre nom" in words
    assert "J'ai lu le contrat et je le signe" in words
    assert contract.pdf_sha256[48:] in words
    wrong = client.post(url, {"typed_name": "Awa Dialo", "confirm": "on"})
    assert wrong.status_code == 400
    assert "Tapez votre prénom et votre nom comme sur le contrat : Awa Diallo" in text_of(wrong)
    unticked = client.post(url, {"typed_name": "Awa Diallo"})
    assert unticked.status_code == 400
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT
    signed = client.post(url, {"typed_name": "  awa   DIALLO ", "confirm": "on"})
    assert signed.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SIGNED
    assert contract.signed_by == person_journey.person.user
    assert contract.signed_name == "awa DIALLO"
    certificate = client.get(reverse("journey:certificate", args=[contract.pk]))
    assert certificate["Content-Type"] == "application/pdf"
    text = pdf_text(certificate.content)
    assert contract.pdf_sha256 in "".join(text.split())
    assert "awa DIALLO" in text


def test_only_the_person_signs_their_contract(cast: Cast, person_journey: Journey,
                                              client: Client) -> None:
    contract = issue(cast, person_journey)
    url = reverse("journey:sign", args=[contract.pk])
    for persona in ["referent", "gestionnaire", "admin", "cooperant"]:
        as_persona(client, cast, persona)
        assert client.get(url).status_code == 404
        assert client.post(url, {"typed_name": "Awa Diallo", "confirm": "on"}).status_code == 404
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


def test_the_person_sees_the_signing_form_on_the_contract_page(
        cast: Cast, person_journey: Journey, client: Client) -> None:
    contract = issue(cast, person_journey)
    as_person(client, person_journey)
    page = client.get(reverse("journey:contract_detail", args=[contract.pk]))
    assert "Tapez votre prénom et votre nom" in text_of(page)
    assert reverse("journey:upload_signed_copy", args=[contract.pk]) not in page.content.decode()
    as_persona(client, cast, "referent")
    staff_page = client.get(reverse("journey:contract_detail", args=[contract.pk]))
    assert "Tapez votre prénom et votre nom" not in text_of(staff_page)


def test_the_staff_files_a_scanned_signed_copy(cast: Cast, journey: Journey,
                                              client: Client) -> None:
    contract = issue(cast, journey)
    as_persona(client, cast, "referent")
    copy = SimpleUploadedFile("scan.pdf", pdf_bytes(), content_type="application/pdf")
    response = client.post(reverse("journey:upload_signed_copy", args=[contract.pk]),
                           {"file": copy})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SIGNED
    assert contract.signature_method == Contract.SignatureMethod.SCAN
    stored = client.get(reverse("journey:signed_copy", args=[contract.pk]))
    assert stored["Content-Type"] == "application/pdf"
    assert stored.content == pdf_bytes()
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.SIGNED


def test_an_executable_or_empty_signed_copy_is_refused(cast: Cast, journey: Journey,
                                                      client: Client) -> None:
    contract = issue(cast, journey)
    as_persona(client, cast, "referent")
    url = reverse("journey:upload_signed_copy", args=[contract.pk])
    exe = SimpleUploadedFile("contrat.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(url, {"file": exe})
    assert response.status_code == 400
    assert "ni un PDF ni une photo" in text_of(response)
    assert client.post(url, {}).status_code == 400
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


def test_a_huge_signed_copy_is_refused_before_it_is_read(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = issue(cast, journey)

    def must_not_run(**kwargs: Any) -> None:
        raise AssertionError("the service must not receive a file over the limit")

    monkeypatch.setattr(contracts, "upload_signed_copy", must_not_run)
    as_persona(client, cast, "referent")
    huge = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * MAX_UPLOAD_BYTES)
    response = client.post(reverse("journey:upload_signed_copy", args=[contract.pk]),
                           {"file": huge})
    assert response.status_code == 400
    assert "10 Mo au plus" in text_of(response)


def test_the_person_may_not_file_a_scanned_copy(cast: Cast, person_journey: Journey,
                                               client: Client) -> None:
    contract = issue(cast, person_journey)
    as_person(client, person_journey)
    copy = SimpleUploadedFile("scan.pdf", pdf_bytes())
    response = client.post(reverse("journey:upload_signed_copy", args=[contract.pk]),
                           {"file": copy})
    assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT


# ---- late contract --------------------------------------------------------------------------

def test_a_late_contract_is_reissued_in_one_action_and_the_old_one_shows_as_void(
        cast: Cast, person_journey: Journey, client: Client,
        monkeypatch: pytest.MonkeyPatch) -> None:
    old = issue(cast, person_journey)
    later = TODAY + dt.timedelta(days=3)
    move_to(monkeypatch, later)
    as_person(client, person_journey)
    sign_page = client.get(reverse("journey:sign", args=[old.pk]))
    assert "Le jour pour signer est passé" in text_of(sign_page)
    as_persona(client, cast, "referent")
    detail = client.get(reverse("journey:contract_detail", args=[old.pk]))
    assert "Pas signé à temps" in text_of(detail)
    url = reverse("journey:reissue", args=[old.pk])
    assert url in detail.content.decode()
    assert f'value="{later.isoformat()}"' in client.get(url).content.decode()
    response = client.post(url, period(later, dt.date(2027, 11, 30)))
    assert response.status_code == 302
    old.refresh_from_db()
    new = Contract.objects.get(replaces=old)
    assert old.status == Contract.Status.VOID
    assert (new.status, new.starts_on, new.ends_on) == (Contract.Status.SENT, later,
                                                         dt.date(2027, 12, 1))
    assert response["Location"] == reverse("journey:contract_detail", args=[new.pk])
    old_page = text_of(client.get(reverse("journey:contract_detail", args=[old.pk])))
    assert "Annulé" in old_page
    assert "Remplacé par" in old_page
    assert "Remplace" in text_of(client.get(reverse("journey:contract_detail", args=[new.pk])))


def test_a_contract_still_in_time_is_not_reissued(cast: Cast, journey: Journey,
                                                  client: Client) -> None:
    contract = issue(cast, journey, starts_on=TODAY + dt.timedelta(days=10),
                     ends_on=dt.date(2027, 12, 8))
    as_persona(client, cast, "referent")
    url = reverse("journey:reissue", args=[contract.pk])
    assert "il n'y a rien à réémettre" in text_of(client.get(url))
    response = client.post(url, period(TODAY, dt.date(2027, 11, 27)))
    assert response.status_code == 400
    assert "il n'y a rien à réémettre" in text_of(response)
    assert Contract.objects.count() == 1


# ---- activation -----------------------------------------------------------------------------

def test_the_referent_starts_the_activity_once_signed(cast: Cast, journey: Journey,
                                                      client: Client) -> None:
    sign_by_scan(cast, issue(cast, journey))
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:activate", args=[journey.pk]))
    assert response.status_code == 302
    assert response["Location"] == journey.get_absolute_url()
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE
    assert "Awa Diallo commence son activité." in messages_of(response)


def test_activation_before_insurance_is_refused(cast: Cast, journey: Journey,
                                               client: Client) -> None:
    validate(cast, journey)
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:activate", args=[journey.pk]))
    assert response.status_code == 302
    assert any("L'assureur n'a pas encore dit oui" in m for m in messages_of(response))
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.VALIDATED


def test_activation_waits_for_the_first_day_of_the_contract(cast: Cast, journey: Journey,
                                                           client: Client) -> None:
    sign_by_scan(cast, issue(cast, journey, starts_on=dt.date(2026, 12, 1),
                             ends_on=dt.date(2027, 12, 1)))
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:activate", args=[journey.pk]))
    assert any("revenez ce jour-là" in m for m in messages_of(response))
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.SIGNED
    assert client.get(reverse("journey:activate", args=[journey.pk])).status_code == 405


# ---- renewals -------------------------------------------------------------------------------

def renew_through_the_page(client: Client, contract: Contract, last_day: dt.date) -> Any:
    return client.post(reverse("journey:renew", args=[contract.pk]),
                       {"last_day": last_day.isoformat()})


def test_renewals_stop_at_three_periods(cast: Cast, journey: Journey, client: Client) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    as_persona(client, cast, "referent")
    page = text_of(client.get(reverse("journey:renew", args=[first.pk])))
    assert "Il reste 2 renouvellements possibles." in page
    assert "36 mois au plus" in page
    assert renew_through_the_page(client, first, dt.date(2028, 11, 27)).status_code == 302
    second = Contract.objects.get(journey=journey, period_number=2)
    assert (second.starts_on, second.ends_on) == (dt.date(2027, 11, 28), dt.date(2028, 11, 28))
    sign_by_scan(cast, second)
    assert renew_through_the_page(client, second, dt.date(2029, 5, 27)).status_code == 302
    third = Contract.objects.get(journey=journey, period_number=3)
    sign_by_scan(cast, third)
    page = text_of(client.get(reverse("journey:renew", args=[third.pk])))
    assert "Plus aucun renouvellement possible." in page
    assert "déjà été renouvelé deux fois" in page
    refused = renew_through_the_page(client, third, dt.date(2029, 11, 27))
    assert refused.status_code == 400
    assert "Ce CAPE a déjà été renouvelé deux fois" in text_of(refused)
    assert journey.contracts.count() == 3


def test_a_renewal_past_36_months_in_all_is_refused(cast: Cast, journey: Journey,
                                                     client: Client) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    as_persona(client, cast, "referent")
    renew_through_the_page(client, first, dt.date(2028, 11, 27))
    second = Contract.objects.get(journey=journey, period_number=2)
    sign_by_scan(cast, second)
    page = text_of(client.get(reverse("journey:renew", args=[second.pk])))
    assert "le dernier jour possible est le 27 novembre 2029" in page
    refused = renew_through_the_page(client, second, dt.date(2029, 12, 27))
    assert refused.status_code == 400
    assert "au plus" in text_of(refused)
    assert journey.contracts.count() == 2


def test_a_late_last_renewal_reissued_later_stops_at_36_months_in_all(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Periods that follow each other never pass 36 months; a last renewal signed late starts
    later, and then the 36 months counted from the first day are what cut it short."""
    activate(cast, journey)
    first = journey.contracts.get()
    as_persona(client, cast, "referent")
    renew_through_the_page(client, first, dt.date(2028, 11, 27))
    second = Contract.objects.get(journey=journey, period_number=2)
    sign_by_scan(cast, second)
    renew_through_the_page(client, second, dt.date(2029, 11, 27))
    third = Contract.objects.get(journey=journey, period_number=3)
    late = dt.date(2028, 12, 10)
    move_to(monkeypatch, late)
    url = reverse("journey:reissue", args=[third.pk])
    refused = client.post(url, period(late, dt.date(2029, 12, 9)))
    assert refused.status_code == 400
    assert "Un CAPE dure 36 mois au plus en tout" in text_of(refused)
    third.refresh_from_db()
    assert third.status == Contract.Status.SENT
    assert journey.contracts.count() == 3
    assert client.post(url, period(late, dt.date(2029, 11, 27))).status_code == 302
    assert Contract.objects.get(replaces=third).ends_on == dt.date(2029, 11, 28)


def test_a_contract_whose_next_step_is_decided_is_not_renewed(cast: Cast, journey: Journey,
                                                              client: Client) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    as_persona(client, cast, "referent")
    renew_through_the_page(client, first, dt.date(2028, 11, 27))
    again = renew_through_the_page(client, first, dt.date(2028, 11, 27))
    assert again.status_code == 400
    assert "déjà" in text_of(again)
    assert journey.contracts.count() == 2


# ---- exit -----------------------------------------------------------------------------------

def test_the_exit_is_recorded_and_the_treasury_payout_explained(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    activate(cast, journey)
    as_persona(client, cast, "referent")
    url = reverse("journey:exit", args=[journey.pk])
    assert "trésorerie individuelle" in text_of(client.get(url))
    in_the_future = client.post(url, {"exited_on": "2027-06-30", "exit_kind": "employment"})
    assert in_the_future.status_code == 400
    assert "Une sortie s'enregistre le jour où elle a lieu" in text_of(in_the_future)
    move_to(monkeypatch, dt.date(2027, 6, 30))
    junk = client.post(url, {"exited_on": "2027-06-30", "exit_kind": "pirate"})
    assert junk.status_code == 400
    response = client.post(url, {"exited_on": "2027-06-30", "exit_kind": "employment",
                                 "destination": "Boulangerie du coin"})
    assert response.status_code == 302
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ENDED
    assert journey.treasury_payout_pending
    assert journey.exit_destination == "Boulangerie du coin"
    assert "déjà terminé" in text_of(client.get(url))


# ---- contracts ending soon ------------------------------------------------------------------

def test_contracts_ending_soon_follow_the_chosen_window(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    activate(cast, journey)
    move_to(monkeypatch, dt.date(2027, 10, 1))  # 57 days before the last day
    as_persona(client, cast, "referent")
    url = reverse("journey:ending_soon")
    assert "Awa Diallo" not in text_of(client.get(url, {"within": "30"}))
    within_60 = text_of(client.get(url, {"within": "60"}))
    assert "Awa Diallo" in within_60
    assert "Période 1/3" in within_60
    assert "57 jours" in within_60
    assert "à décider" in within_60
    junk = client.get(url, {"within": "mille"})
    assert junk.status_code == 200
    assert "Awa Diallo" in text_of(junk)
    assert '<option value="90" selected>' in junk.content.decode()


def test_contracts_ending_soon_cost_the_same_queries_for_more_rows(
        cast: Cast, client: Client, monkeypatch: pytest.MonkeyPatch,
        django_assert_max_num_queries: Any, django_assert_num_queries: Any) -> None:
    activate(cast, register(cast))
    move_to(monkeypatch, dt.date(2027, 10, 1))
    as_persona(client, cast, "referent")
    url = reverse("journey:ending_soon")
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for first_name in ["Binta", "Chloé"]:
        move_to(monkeypatch, TODAY)
        activate(cast, register(cast, first_name=first_name))
    move_to(monkeypatch, dt.date(2027, 10, 1))
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert text_of(response).count("à décider") == 3


# ---- who reaches what -----------------------------------------------------------------------

CONTRACT_PAGES = ["contract_detail", "contract_pdf", "certificate", "signed_copy", "sign",
                  "reissue", "renew"]
CONTRACT_POSTS = ["sign", "upload_signed_copy", "reissue", "renew", "decide"]
JOURNEY_PAGES = ["issue_contract", "exit"]
JOURNEY_POSTS = ["issue_contract", "activate", "exit"]


def test_the_outsider_gets_404_on_every_contract_url_and_sees_nothing_of_the_home_kpa(
        cast: Cast, person_journey: Journey, client: Client) -> None:
    activate(cast, person_journey)
    contract = person_journey.contracts.get()
    as_persona(client, cast, "outsider")
    for name in CONTRACT_PAGES:
        assert client.get(reverse(f"journey:{name}", args=[contract.pk])).status_code == 404, name
    for name in CONTRACT_POSTS:
        assert client.post(reverse(f"journey:{name}", args=[contract.pk]),
                           {"last_day": "2028-11-27", "decision": "exit"}).status_code == 404, name
    for name in JOURNEY_PAGES:
        assert client.get(reverse(f"journey:{name}", args=[person_journey.pk])).status_code == 404
    for name in JOURNEY_POSTS:
        assert client.post(reverse(f"journey:{name}", args=[person_journey.pk]),
                           {"exited_on": "2027-01-01", "exit_kind": "none"}).status_code == 404
    soon = client.get(reverse("journey:ending_soon"), {"within": "180"})
    assert soon.status_code == 200
    assert SECRET_MARKER not in soon.content.decode()
    assert "Diallo" not in soon.content.decode()
    person_journey.refresh_from_db()
    assert person_journey.status == JourneyStatus.ACTIVE
    assert person_journey.contracts.count() == 1
    assert person_journey.contracts.get().decision == ""


def test_the_accompagnateur_reads_the_contract_but_does_not_act_on_it(
        cast: Cast, journey: Journey, client: Client) -> None:
    contract = issue(cast, journey)
    as_persona(client, cast, "accompagnateur")
    page = client.get(reverse("journey:contract_detail", args=[contract.pk]))
    assert page.status_code == 200
    assert reverse("journey:upload_signed_copy", args=[contract.pk]) not in page.content.decode()
    assert client.get(reverse("journey:contract_pdf", args=[contract.pk])).status_code == 200
    copy = SimpleUploadedFile("scan.pdf", pdf_bytes())
    assert client.post(reverse("journey:upload_signed_copy", args=[contract.pk]),
                       {"file": copy}).status_code == 404
    assert client.get(reverse("journey:reissue", args=[contract.pk])).status_code == 404
    assert client.get(reverse("journey:issue_contract", args=[journey.pk])).status_code == 404


def test_another_cooperant_of_the_kpa_does_not_see_the_contract(
        cast: Cast, journey: Journey, client: Client) -> None:
    contract = issue(cast, journey)
    as_persona(client, cast, "cooperant")
    for name in ["contract_detail", "contract_pdf"]:
        assert client.get(reverse(f"journey:{name}", args=[contract.pk])).status_code == 404


def test_nobody_logged_out_reaches_a_contract(cast: Cast, journey: Journey,
                                              client: Client) -> None:
    contract = issue(cast, journey)
    response = client.get(reverse("journey:contract_pdf", args=[contract.pk]))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "connexion" in response["Location"]


# ---- decision -------------------------------------------------------------------------------

def test_the_referent_notes_an_exit_at_the_end_of_the_contract(cast: Cast, journey: Journey,
                                                               client: Client) -> None:
    activate(cast, journey)
    contract = journey.contracts.get()
    as_persona(client, cast, "referent")
    url = reverse("journey:decide", args=[contract.pk])
    assert url in client.get(reverse("journey:contract_detail", args=[contract.pk])
                             ).content.decode()
    junk = client.post(url, {"decision": "renew"})
    assert any("pour renouveler, utilisez le bouton" in m for m in messages_of(junk))
    assert client.post(url, {}).status_code == 302
    contract.refresh_from_db()
    assert contract.decision == ""
    response = client.post(url, {"decision": "cesa"})
    assert response["Location"] == reverse("journey:contract_detail", args=[contract.pk])
    contract.refresh_from_db()
    assert (contract.decision, contract.decided_on) == (Contract.Decision.CESA, TODAY)
    page = text_of(client.get(reverse("journey:renew", args=[contract.pk])))
    assert "La suite de ce contrat est déjà décidée : Passer en CESA." in page


# ---- the journey page's panel ---------------------------------------------------------------

def panel(journey: Journey, *, can_advance: bool, can_sign: bool,
          today: dt.date = TODAY) -> str:
    """The panel as the journey page includes it, with the context that page passes."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    journey.refresh_from_db()
    html = render_to_string("journey/_contract_panel.html", {
        "journey": journey, "contracts": list(journey.contracts.order_by("issued_at", "pk")),
        "can_advance": can_advance, "can_sign": can_sign, "today": today,
    }, request=RequestFactory().get("/"))
    return html


def test_the_panel_offers_to_issue_the_first_contract_once_insured(
        cast: Cast, journey: Journey) -> None:
    assert "Le contrat se prépare quand l'assureur a dit oui" in panel(
        journey, can_advance=True, can_sign=False)
    insure(cast, journey)
    issue_url = reverse("journey:issue_contract", args=[journey.pk])
    assert issue_url in panel(journey, can_advance=True, can_sign=False)
    assert issue_url not in panel(journey, can_advance=False, can_sign=True)


def test_the_panel_offers_signing_to_the_person_and_the_scan_to_the_staff(
        cast: Cast, journey: Journey) -> None:
    contract = issue(cast, journey)
    sign_url = reverse("journey:sign", args=[contract.pk])
    upload_url = reverse("journey:upload_signed_copy", args=[contract.pk])
    for_person = panel(journey, can_advance=False, can_sign=True)
    assert sign_url in for_person
    assert upload_url not in for_person
    assert "À signer au plus tard le 28 novembre 2026" in for_person
    for_staff = panel(journey, can_advance=True, can_sign=False)
    assert upload_url in for_staff
    assert 'enctype="multipart/form-data"' in for_staff
    assert sign_url not in for_staff
    late = panel(journey, can_advance=True, can_sign=False, today=TODAY + dt.timedelta(days=1))
    assert reverse("journey:reissue", args=[contract.pk]) in late
    assert upload_url not in late


def test_the_panel_offers_activation_then_renewal_and_exit(cast: Cast, journey: Journey) -> None:
    contract = sign_by_scan(cast, issue(cast, journey))
    signed = panel(journey, can_advance=True, can_sign=False)
    assert reverse("journey:activate", args=[journey.pk]) in signed
    assert reverse("journey:certificate", args=[contract.pk]) in signed
    assert reverse("journey:signed_copy", args=[contract.pk]) in signed
    contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    active = panel(journey, can_advance=True, can_sign=False)
    assert reverse("journey:renew", args=[contract.pk]) in active
    assert reverse("journey:decide", args=[contract.pk]) in active
    assert reverse("journey:exit", args=[journey.pk]) in active
    assert reverse("journey:activate", args=[journey.pk]) not in active
    read_only = panel(journey, can_advance=False, can_sign=False)
    assert reverse("journey:renew", args=[contract.pk]) not in read_only
    assert reverse("journey:contract_pdf", args=[contract.pk]) in read_only


def test_the_panel_shows_a_reissued_contract_as_void(cast: Cast, journey: Journey) -> None:
    old = issue(cast, journey)
    later = TODAY + dt.timedelta(days=2)
    contracts.reissue_contract(actor=cast.user("referent"), contract=old, starts_on=later,
                               ends_on=dt.date(2027, 11, 30), today=later)
    html = panel(journey, can_advance=True, can_sign=False, today=later)
    assert "Annulé : il n'a pas été signé à temps" in html
    assert html.count("Période 1 sur 3") == 2


def test_a_renewal_signed_late_is_reissued_with_a_later_start(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    activate(cast, journey)
    first = journey.contracts.get()
    as_persona(client, cast, "referent")
    renew_through_the_page(client, first, dt.date(2028, 11, 27))
    renewal = Contract.objects.get(journey=journey, period_number=2)
    late = dt.date(2027, 12, 1)
    move_to(monkeypatch, late)
    response = client.post(reverse("journey:reissue", args=[renewal.pk]),
                           period(late, dt.date(2028, 11, 27)))
    assert response.status_code == 302, text_of(response)
    renewal.refresh_from_db()
    assert renewal.status == Contract.Status.VOID
    assert Contract.objects.get(replaces=renewal).starts_on == late


def test_a_scanned_copy_filed_after_the_start_day_is_refused_with_the_way_out(
        cast: Cast, journey: Journey, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = issue(cast, journey)
    move_to(monkeypatch, TODAY + dt.timedelta(days=1))
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:upload_signed_copy", args=[contract.pk]),
                           {"file": SimpleUploadedFile("scan.pdf", pdf_bytes())})
    assert response.status_code == 400
    assert "Réémettez-le avec une nouvelle date de début" in text_of(response)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SENT
