"""The insurance list pages ("fiches navettes"), driven through the test client.

A list is reached through its KPA: the KPA's référent prepares, sends and records the insurer's
answer; the KPA's other staff read it; everyone else gets 404. The CSV and the PDF carry the
people on the list, and a refused input says why in French and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.journey import services
from kpa.journey.models import InsuranceEntry, InsuranceList, Journey, JourneyStatus
from kpa.journey.tests.conftest import register, validate


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def as_persona(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").split())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def new_list(cast: Cast) -> InsuranceList:
    return services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home, today=TODAY)


def sent_list(cast: Cast) -> InsuranceList:
    insurance_list = new_list(cast)
    return services.mark_insurance_list_sent(actor=cast.user("referent"),
                                             insurance_list=insurance_list, sent_on=TODAY,
                                             today=TODAY)


@pytest.fixture
def validated(cast: Cast, journey: Journey) -> Journey:
    return validate(cast, journey)


# ---- lists and creation ---------------------------------------------------------------------

def test_the_referent_prepares_a_list_of_everyone_validated_in_the_kpa(
        cast: Cast, validated: Journey, client: Client) -> None:
    as_persona(client, cast, "referent")
    page = client.get(reverse("journey:insurance_lists"))
    assert page.status_code == 200
    words = text_of(page)
    assert "1 personne à assurer." in words
    assert f"KPA {SECRET_MARKER}" in words
    response = client.post(reverse("journey:insurance_create"),
                           {"kpa": str(cast.home.pk), "insurer": ""})
    insurance_list = InsuranceList.objects.get()
    assert response.status_code == 302
    assert response["Location"] == insurance_list.get_absolute_url()
    assert insurance_list.insurer == "MACIF"
    assert [e.journey for e in insurance_list.entries.all()] == [validated]
    detail = text_of(client.get(response["Location"]))
    assert "Awa Diallo" in detail
    assert "Retouches et couture sur mesure" in detail
    assert "Marquer comme envoyée" in detail


def test_a_list_with_nobody_to_insure_is_refused_in_french(cast: Cast, journey: Journey,
                                                          client: Client) -> None:
    as_persona(client, cast, "referent")
    response = client.post(reverse("journey:insurance_create"), {"kpa": str(cast.home.pk)})
    assert response.status_code == 302
    assert any("Personne n'attend d'être assuré·e" in m for m in messages_of(response))
    assert not InsuranceList.objects.exists()


@pytest.mark.parametrize("data", [{}, {"kpa": "abc"}, {"kpa": "999999"}, {"kpa": "elsewhere"}])
def test_a_list_for_a_kpa_out_of_reach_or_junk_is_404(
        cast: Cast, validated: Journey, client: Client, data: dict[str, str]) -> None:
    if data.get("kpa") == "elsewhere":
        data = {"kpa": str(cast.elsewhere.pk)}
    as_persona(client, cast, "referent")
    assert client.post(reverse("journey:insurance_create"), data).status_code == 404
    assert not InsuranceList.objects.exists()


def test_the_lists_page_costs_the_same_queries_for_more_lists(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    validate(cast, register(cast))
    new_list(cast)
    as_persona(client, cast, "referent")
    url = reverse("journey:insurance_lists")
    with django_assert_max_num_queries(12) as few:
        assert client.get(url).status_code == 200
    for first_name in ["Binta", "Chloé"]:
        validate(cast, register(cast, first_name=first_name))
        new_list(cast)
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert text_of(response).count("préparée le") == 3


# ---- one list: page, CSV, PDF -----------------------------------------------------------------

def test_the_csv_lists_the_people_for_a_spreadsheet(cast: Cast, validated: Journey,
                                                   client: Client) -> None:
    insurance_list = new_list(cast)
    as_persona(client, cast, "referent")
    response = client.get(insurance_list.get_absolute_url(), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert f"fiche-navette-{insurance_list.pk}.csv" in response["Content-Disposition"]
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    lines = content.lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:3] == ["Nom", "Prénom", "Date de naissance"]
    assert lines[1].split(";")[:4] == ["Diallo", "Awa", "17/05/1990",
                                       "Retouches et couture sur mesure"]


def test_the_pdf_parses_and_names_the_people(cast: Cast, validated: Journey,
                                             client: Client) -> None:
    insurance_list = new_list(cast)
    as_persona(client, cast, "referent")
    response = client.get(insurance_list.get_absolute_url(), {"format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Diallo" in text
    assert "MACIF" in text


def test_a_junk_format_shows_the_page(cast: Cast, validated: Journey, client: Client) -> None:
    insurance_list = new_list(cast)
    as_persona(client, cast, "referent")
    response = client.get(insurance_list.get_absolute_url(), {"format": "exe"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


# ---- sent, then answered --------------------------------------------------------------------

def test_the_list_is_marked_as_sent_on_a_day_not_in_the_future(
        cast: Cast, validated: Journey, client: Client) -> None:
    insurance_list = new_list(cast)
    as_persona(client, cast, "referent")
    url = reverse("journey:insurance_sent", args=[insurance_list.pk])
    future = client.post(url, {"sent_on": "2026-12-25"})
    assert future.status_code == 400
    assert "La date d'envoi ne peut pas être dans le futur" in text_of(future)
    assert client.post(url, {"sent_on": "2026-02-31"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    insurance_list.refresh_from_db()
    assert insurance_list.status == InsuranceList.Status.DRAFT
    response = client.post(url, {"sent_on": "2026-11-27"})
    assert response.status_code == 302
    insurance_list.refresh_from_db()
    assert (insurance_list.status, insurance_list.sent_on) == (InsuranceList.Status.SENT,
                                                               dt.date(2026, 11, 27))
    again = client.post(url, {"sent_on": "2026-11-28"})
    assert again.status_code == 302
    assert any("déjà envoyée" in m for m in messages_of(again))


def test_the_insurer_s_answer_is_recorded_person_by_person(
        cast: Cast, validated: Journey, client: Client) -> None:
    refused = validate(cast, register(cast, first_name="Binta", last_name="Sow"))
    insurance_list = sent_list(cast)
    entries = {e.journey_id: e for e in insurance_list.entries.all()}
    as_persona(client, cast, "referent")
    url = reverse("journey:insurance_answer", args=[insurance_list.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('type="radio"') == 4
    assert "<legend>Awa Diallo — Retouches et couture sur mesure</legend>" in html
    half = client.post(url, {f"entry_{entries[validated.pk].pk}": "accepted",
                             "answered_on": "2026-11-28"})
    assert half.status_code == 400
    assert "Choisissez accepté ou refusé." in text_of(half)
    before_sending = client.post(url, {f"entry_{entries[validated.pk].pk}": "accepted",
                                       f"entry_{entries[refused.pk].pk}": "refused",
                                       "answered_on": "2026-11-01"})
    assert before_sending.status_code == 400
    assert "La réponse date d'entre l'envoi" in text_of(before_sending)
    validated.refresh_from_db()
    assert validated.status == JourneyStatus.VALIDATED
    response = client.post(url, {f"entry_{entries[validated.pk].pk}": "accepted",
                                 f"entry_{entries[refused.pk].pk}": "refused",
                                 "answered_on": "2026-11-28"})
    assert response.status_code == 302
    validated.refresh_from_db()
    refused.refresh_from_db()
    assert validated.status == JourneyStatus.INSURED
    assert refused.status == JourneyStatus.VALIDATED
    assert set(InsuranceEntry.objects.values_list("answer", flat=True)) == {"accepted", "refused"}
    assert "La réponse est déjà notée" in text_of(client.get(url))


def test_an_answer_to_a_list_not_yet_sent_is_refused(cast: Cast, validated: Journey,
                                                    client: Client) -> None:
    insurance_list = new_list(cast)
    entry = insurance_list.entries.get()
    as_persona(client, cast, "referent")
    url = reverse("journey:insurance_answer", args=[insurance_list.pk])
    assert "Marquez d'abord la fiche comme envoyée" in text_of(client.get(url))
    response = client.post(url, {f"entry_{entry.pk}": "accepted", "answered_on": "2026-11-28"})
    assert response.status_code == 400
    assert "marquez d'abord la fiche comme envoyée" in text_of(response)
    entry.refresh_from_db()
    assert entry.answer == InsuranceEntry.Answer.PENDING


# ---- who reaches what -----------------------------------------------------------------------

def test_the_accompagnateur_reads_the_list_but_does_not_act_on_it(
        cast: Cast, validated: Journey, client: Client) -> None:
    insurance_list = sent_list(cast)
    as_persona(client, cast, "accompagnateur")
    page = client.get(insurance_list.get_absolute_url())
    assert page.status_code == 200
    assert "Awa Diallo" in text_of(page)
    assert "Noter la réponse de l'assureur" not in text_of(page)
    assert "Préparer la fiche" not in text_of(client.get(reverse("journey:insurance_lists")))
    assert client.get(reverse("journey:insurance_answer",
                              args=[insurance_list.pk])).status_code == 404
    assert client.post(reverse("journey:insurance_sent", args=[insurance_list.pk]),
                       {"sent_on": "2026-11-28"}).status_code == 404
    assert client.post(reverse("journey:insurance_create"),
                       {"kpa": str(cast.home.pk)}).status_code == 404


def test_the_outsider_gets_404_on_every_list_url_and_sees_nothing_of_the_home_kpa(
        cast: Cast, validated: Journey, client: Client) -> None:
    insurance_list = sent_list(cast)
    as_persona(client, cast, "outsider")
    detail = reverse("journey:insurance_detail", args=[insurance_list.pk])
    for fmt in ["html", "csv", "pdf"]:
        assert client.get(detail, {"format": fmt}).status_code == 404
    answer = reverse("journey:insurance_answer", args=[insurance_list.pk])
    assert client.get(answer).status_code == 404
    entry = insurance_list.entries.get()
    assert client.post(answer, {f"entry_{entry.pk}": "accepted",
                                "answered_on": "2026-11-28"}).status_code == 404
    assert client.post(reverse("journey:insurance_sent", args=[insurance_list.pk]),
                       {"sent_on": "2026-11-28"}).status_code == 404
    assert client.post(reverse("journey:insurance_create"),
                       {"kpa": str(cast.home.pk)}).status_code == 404
    lists = client.get(reverse("journey:insurance_lists"))
    assert lists.status_code == 200
    assert SECRET_MARKER not in lists.content.decode()
    insurance_list.refresh_from_db()
    assert insurance_list.status == InsuranceList.Status.SENT
    assert InsuranceList.objects.count() == 1


def test_a_cooperant_has_no_insurance_pages(cast: Cast, validated: Journey,
                                           client: Client) -> None:
    insurance_list = new_list(cast)
    as_persona(client, cast, "cooperant")
    assert client.get(reverse("journey:insurance_lists")).status_code == 404
    assert client.get(insurance_list.get_absolute_url()).status_code == 404
