"""The journey's person-facing and board pages, driven through the test client.

Views are thin, so these tests check what only a page can get wrong: the public form writes a
whole inscription or nothing, refusals come back in French on the page (never a 500), the
uploads are refused on size and type before anything is stored, each persona sees what is
theirs (the outsider gets 404), and the board costs the same number of queries for 1 or 5 rows.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.directory.models import Kpa, Person
from kpa.directory.tests.factories import KpaFactory
from kpa.journey import contracts, services
from kpa.journey.models import (
    DocumentRequirement,
    InsuranceList,
    Journey,
    JourneyDocument,
    JourneyPolicy,
    JourneyStatus,
)
from kpa.journey.tests.conftest import (
    VALID_IBAN,
    activate,
    complete,
    issue,
    png_bytes,
    register,
    validate,
)

User = get_user_model()


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views and the helpers of conftest agree on the day."""
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def logged_in(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Awa", "last_name": "Diallo", "email": "", "phone": "",
        "birth_date": "1990-05-17", "address": "3 rue des Lilas", "postcode": "59100",
        "city": "Roubaix", "iban": VALID_IBAN, "france_travail_registered": "yes",
        "receives_are": "unknown", "receives_ass": "no", "receives_rsa": "unknown",
        "lives_in_qpv": "yes", "activity_idea": "Retouches et couture", "consent": "on",
    }
    data.update(overrides)
    return data


def inscription_url(cast: Cast) -> str:
    return reverse("journey:inscription", args=[cast.home.pk])


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def upload(client: Client, journey: Journey, requirement: DocumentRequirement,
           content: bytes, name: str = "piece.png") -> Any:
    return client.post(reverse("journey:upload_document", args=[journey.pk]), {
        "requirement": requirement.pk, "file": SimpleUploadedFile(name, content),
    }, follow=True)


def required_pieces(journey: Journey) -> list[DocumentRequirement]:
    return [r for r in services.requirements_for(journey, TODAY) if r.required]


# -- the public inscription ------------------------------------------------------------------


def test_the_start_page_lists_the_open_kpas_for_anyone(cast: Cast, client: Client) -> None:
    KpaFactory.create(network=cast.network, name="KPA en projet", status=Kpa.Status.PROJECT,
                      carrying_structure=cast.cae)
    response = client.get(reverse("journey:inscription_start"))
    assert response.status_code == 200
    page = text_of(response)
    assert cast.home.name in page
    assert inscription_url(cast) in page
    assert "KPA en projet" not in page
    assert "avec la personne" not in page


def test_the_start_page_tells_a_referent_about_the_assisted_mode(cast: Cast,
                                                                  client: Client) -> None:
    response = logged_in(client, cast, "referent").get(reverse("journey:inscription_start"))
    assert "avec la personne" in text_of(response)


def test_the_form_is_plain_and_says_what_the_data_is_for(cast: Cast, client: Client) -> None:
    response = client.get(inscription_url(cast))
    assert response.status_code == 200
    page = text_of(response)
    assert "Sans e-mail, votre référent·e fera les démarches avec vous" in page
    assert 'type="date"' in page
    assert "<details>" in page
    assert "J'ai lu à quoi servent mes données" in page
    assert "Vérifier l'âge minimum de 16 ans" in page  # one of PERSONAL_DATA_PURPOSES
    assert "Je ne sais pas ou je préfère ne pas dire" in page
    assert "chiffres anonymes pour les financeurs" in page


def test_a_kpa_that_takes_no_inscription_answers_404(cast: Cast, client: Client) -> None:
    closed = KpaFactory.create(network=cast.network, name="KPA fermé", status=Kpa.Status.CLOSED,
                               carrying_structure=cast.cae)
    assert client.get(reverse("journey:inscription", args=[closed.pk])).status_code == 404
    assert client.post(reverse("journey:inscription", args=[closed.pk]),
                       form_data()).status_code == 404
    assert client.get("/parcours/inscription/999999/").status_code == 404


def test_the_public_form_registers_a_person_without_email(
    cast: Cast, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(inscription_url(cast), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("journey:inscription_done", args=[cast.home.pk])
    journey = Journey.objects.get(kpa=cast.home)
    assert journey.person.full_name == "Awa Diallo"
    assert journey.person.user is None
    assert journey.assisted_by is None
    assert journey.status == JourneyStatus.RECEIVED
    assert journey.iban == VALID_IBAN
    assert (journey.france_travail_registered, journey.receives_are, journey.receives_ass,
            journey.lives_in_qpv) == (True, None, False, True)
    assert not [m for m in mail.outbox if m.subject.startswith("Bienvenue")]  # no invitation
    done = text_of(client.get(response["Location"]))
    assert "Merci" in done
    assert "Pièce d'identité" in done
    assert "RIB à votre nom" in done
    assert "Autorisation parentale" not in done
    assert "mot de passe" not in done


def test_the_public_form_with_an_email_creates_an_account_and_sends_the_invitation(
    cast: Cast, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(inscription_url(cast), form_data(email="Awa@Exemple.fr"))
    assert response.status_code == 302
    person = Journey.objects.get(kpa=cast.home).person
    assert person.user is not None
    assert person.email == "awa@exemple.fr"
    assert not person.user.has_usable_password()
    [message] = [m for m in mail.outbox if m.to == ["awa@exemple.fr"]]
    assert message.subject.startswith("Bienvenue")
    assert "/reset/" in message.body or "mot de passe" in message.body
    assert "mot de passe" in text_of(client.get(response["Location"]))


def test_the_referent_fills_the_form_in_assisted_mode(
    cast: Cast, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    logged_in(client, cast, "referent")
    assert "inscription accompagnée" in text_of(client.get(inscription_url(cast)))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(inscription_url(cast), form_data(first_name="Binta"))
    journey = Journey.objects.get(kpa=cast.home)
    assert response.status_code == 302
    assert response["Location"] == journey.get_absolute_url()
    assert journey.assisted_by == cast.referent
    assert journey.person.first_name == "Binta"
    assert journey.person.proxy == cast.referent


def test_a_15_year_old_is_refused_with_the_french_message(cast: Cast, client: Client) -> None:
    response = client.post(inscription_url(cast), form_data(
        birth_date=TODAY.replace(year=TODAY.year - 15).isoformat()))
    assert response.status_code == 400
    assert "Un contrat CAPE se signe à partir de 16 ans" in text_of(response)
    assert not Journey.objects.exists()
    assert not Person.objects.filter(last_name="Diallo").exists()


def test_a_wrong_iban_is_refused_and_nothing_is_written(cast: Cast, client: Client) -> None:
    people, users, events = Person.objects.count(), User.objects.count(), AuditEvent.objects.count()
    response = client.post(inscription_url(cast), form_data(
        iban="FR7630006000011234567890180", email="awa@exemple.fr"))
    assert response.status_code == 400
    assert "Cet IBAN n'est pas valide" in text_of(response)
    assert not Journey.objects.exists()
    assert (Person.objects.count(), User.objects.count(), AuditEvent.objects.count()) == (
        people, users, events)
    assert mail.outbox == []


def test_an_empty_post_is_refused_in_french_and_writes_nothing(cast: Cast,
                                                                client: Client) -> None:
    events = AuditEvent.objects.count()
    response = client.post(inscription_url(cast), {})
    assert response.status_code == 400
    page = text_of(response)
    assert "Indiquez votre prénom." in page
    assert "Cochez la case pour dire que vous avez lu à quoi servent vos données." in page
    assert not Journey.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_minor_gets_the_parental_consent_piece_on_the_checklist(cast: Cast,
                                                                   client: Client) -> None:
    seventeen = TODAY.replace(year=TODAY.year - 17).isoformat()
    response = client.post(inscription_url(cast), form_data(birth_date=seventeen), follow=True)
    assert response.status_code == 200
    assert "Autorisation parentale" in text_of(response)


def test_the_thank_you_page_needs_an_inscription_from_this_browser(cast: Cast,
                                                                    client: Client) -> None:
    response = client.get(reverse("journey:inscription_done", args=[cast.home.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("journey:inscription_start")


def test_a_logged_in_person_registers_themself(cast: Cast, client: Client) -> None:
    logged_in(client, cast, "outsider")  # a référent elsewhere, a newcomer here
    data = form_data()
    for name in ("first_name", "last_name", "email", "phone"):
        del data[name]
    response = client.post(inscription_url(cast), data)
    assert response.status_code == 302
    journey = Journey.objects.get(kpa=cast.home)
    assert journey.person == cast.outsider
    assert journey.assisted_by is None


# -- pieces ----------------------------------------------------------------------------------


def test_an_upload_of_40_mb_is_refused(cast: Cast, client: Client, journey: Journey) -> None:
    big = b"\xff\xd8\xff" + b"0" * (40 * 1024 * 1024 - 2)
    response = upload(logged_in(client, cast, "referent"), journey, required_pieces(journey)[0],
                      big, "grosse.jpg")
    assert response.status_code == 200
    assert any("10 Mo au plus" in m for m in messages_of(response))
    assert not JourneyDocument.objects.exists()


@pytest.mark.parametrize("content", [b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
                                     b"\x7fELF\x02\x01\x01" + b"\x00" * 64])
def test_an_executable_is_refused(cast: Cast, client: Client, journey: Journey,
                                  content: bytes) -> None:
    response = upload(logged_in(client, cast, "referent"), journey, required_pieces(journey)[0],
                      content, "photo.jpg")
    assert response.status_code == 200
    assert any("ni un PDF ni une photo" in m for m in messages_of(response))
    assert not JourneyDocument.objects.exists()


def test_an_upload_without_a_file_or_with_a_junk_piece_is_a_message(
    cast: Cast, client: Client, journey: Journey
) -> None:
    logged_in(client, cast, "referent")
    url = reverse("journey:upload_document", args=[journey.pk])
    response = client.post(url, {}, follow=True)
    assert response.status_code == 200
    assert messages_of(response)
    response = client.post(url, {"requirement": "abc",
                                 "file": SimpleUploadedFile("a.png", png_bytes())}, follow=True)
    assert response.status_code == 200
    assert messages_of(response)
    assert not JourneyDocument.objects.exists()


def test_images_are_accepted_and_the_file_is_complete_once_every_piece_is_there(
    cast: Cast, client: Client, journey: Journey
) -> None:
    logged_in(client, cast, "referent")
    pieces = required_pieces(journey)
    for requirement in pieces:
        journey.refresh_from_db()
        assert journey.status == JourneyStatus.RECEIVED
        response = upload(client, journey, requirement, png_bytes())
        assert response.redirect_chain[-1][0] == journey.get_absolute_url()
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE
    assert JourneyDocument.objects.filter(journey=journey).count() == len(pieces)
    document = JourneyDocument.objects.filter(journey=journey).first()
    assert document is not None
    served = client.get(reverse("journey:document_file", args=[document.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == png_bytes()


def test_the_person_uploads_from_mon_parcours_and_comes_back_to_it(cast: Cast,
                                                                    client: Client) -> None:
    journey = services.register(actor=cast.user("referent"), kpa=cast.home,
                                first_name="", last_name="", person=cast.cooperant,
                                birth_date=dt.date(1990, 1, 1), iban="", today=TODAY)
    response = upload(logged_in(client, cast, "cooperant"), journey,
                      required_pieces(journey)[0], png_bytes())
    assert response.redirect_chain[-1][0] == reverse("journey:mine")
    assert JourneyDocument.objects.filter(journey=journey).count() == 1


def test_checking_an_identity_piece_needs_a_note_and_deletes_the_copy(
    cast: Cast, client: Client, journey: Journey
) -> None:
    complete(cast, journey)
    identity = JourneyDocument.objects.get(
        journey=journey, requirement__kind=DocumentRequirement.Kind.IDENTITY)
    logged_in(client, cast, "referent")
    url = reverse("journey:check_document", args=[identity.pk])
    response = client.post(url, {"check_note": ""}, follow=True)
    assert any("la copie sera supprimée" in m for m in messages_of(response))
    identity.refresh_from_db()
    assert identity.checked_at is None
    response = client.post(url, {"check_note": "CNI n° 123, valable jusqu'au 01/01/2030"},
                           follow=True)
    identity.refresh_from_db()
    assert identity.checked_at is not None
    assert not identity.has_file
    page = text_of(response)
    assert "copie supprimée le" in page
    assert "CNI n° 123" in page
    assert client.get(reverse("journey:document_file", args=[identity.pk])).status_code == 404


# -- who sees what ---------------------------------------------------------------------------


def test_the_outsider_gets_404_everywhere_on_a_journey(cast: Cast, client: Client,
                                                       journey: Journey) -> None:
    complete(cast, journey)
    document = JourneyDocument.objects.filter(journey=journey).first()
    assert document is not None
    events = AuditEvent.objects.count()
    logged_in(client, cast, "outsider")
    for name in ("detail", "edit", "export_data", "erase"):
        assert client.get(reverse(f"journey:{name}", args=[journey.pk])).status_code == 404
    for name in ("upload_document", "validate", "add_step", "erase", "edit"):
        assert client.post(reverse(f"journey:{name}", args=[journey.pk])).status_code == 404
    assert client.get(reverse("journey:document_file", args=[document.pk])).status_code == 404
    assert client.post(reverse("journey:check_document", args=[document.pk]),
                       {"check_note": "x"}).status_code == 404
    assert client.get(reverse("journey:settings", args=[cast.cae.pk])).status_code == 404
    assert AuditEvent.objects.count() == events


def test_an_anonymous_visitor_is_sent_to_the_login_page(cast: Cast, client: Client,
                                                        journey: Journey,
                                                        settings: Any) -> None:
    for url in (reverse("journey:board"), reverse("journey:mine"),
                reverse("journey:detail", args=[journey.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_the_cooperant_sees_mon_parcours(cast: Cast, client: Client) -> None:
    journey = services.register(actor=cast.user("referent"), kpa=cast.home,
                                first_name="", last_name="", person=cast.cooperant,
                                birth_date=dt.date(1990, 1, 1), iban="", today=TODAY)
    response = logged_in(client, cast, "cooperant").get(reverse("journey:mine"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Mon parcours" in page
    assert "Nous avons reçu votre inscription" in page
    assert 'aria-current="step"' in page
    assert "Ce qui manque" in page
    assert "Pièce d'identité" in page
    assert reverse("journey:upload_document", args=[journey.pk]) in page
    assert 'capture="environment"' in page
    assert reverse("journey:export_data", args=[journey.pk]) in page
    # the person sees their own journey's page too, without the staff's history
    detail = logged_in(client, cast, "cooperant").get(journey.get_absolute_url())
    assert detail.status_code == 200
    assert "Historique" not in text_of(detail)


def test_mon_parcours_says_when_the_contract_ends_and_offers_to_sign(cast: Cast,
                                                                      client: Client) -> None:
    journey = services.register(actor=cast.user("referent"), kpa=cast.home,
                                first_name="", last_name="", person=cast.cooperant,
                                birth_date=dt.date(1990, 1, 1), address="1 rue", postcode="59100",
                                city="Roubaix", iban=VALID_IBAN, today=TODAY)
    contract = issue(cast, journey)
    page = text_of(logged_in(client, cast, "cooperant").get(reverse("journey:mine")))
    assert reverse("journey:sign", args=[contract.pk]) in page
    assert "Signez votre contrat au plus tard le 28 novembre 2026" in page
    contracts.sign_contract(actor=cast.user("cooperant"), contract=contract,
                            typed_name=cast.cooperant.full_name, today=TODAY)
    contracts.activate(actor=cast.user("referent"), journey=journey, today=TODAY)
    page = text_of(client.get(reverse("journey:mine")))
    assert ("Votre contrat finit le 27 novembre 2027 : d'ici là, décidez avec votre "
            "référent·e de la suite") in page
    assert reverse("journey:sign", args=[contract.pk]) not in page


def test_a_person_without_journey_is_offered_the_inscription(cast: Cast,
                                                             client: Client) -> None:
    response = logged_in(client, cast, "benevole").get(reverse("journey:mine"))
    assert response.status_code == 200
    assert reverse("journey:inscription_start") in text_of(response)


# -- the board -------------------------------------------------------------------------------


def test_the_board_shows_who_waits_for_the_insurer_and_since_when(cast: Cast, client: Client,
                                                                  journey: Journey) -> None:
    validate(cast, journey)
    insurance_list = services.create_insurance_list(actor=cast.user("referent"), kpa=cast.home,
                                                    today=TODAY)
    services.mark_insurance_list_sent(actor=cast.user("referent"), insurance_list=insurance_list,
                                      sent_on=TODAY - dt.timedelta(days=12), today=TODAY)
    response = logged_in(client, cast, "referent").get(reverse("journey:board"))
    assert response.status_code == 200
    page = text_of(response)
    assert "en attente de l'assureur depuis 12 jours" in page
    assert journey.person.full_name in page
    assert journey.get_absolute_url() in page
    for name in ("insurance_lists", "ending_soon", "inscription_start"):
        assert reverse(f"journey:{name}") in page
    assert InsuranceList.objects.get().status == InsuranceList.Status.SENT


def test_the_board_counts_per_status_and_filters(cast: Cast, client: Client) -> None:
    register(cast, first_name="Awa")
    complete(cast, register(cast, first_name="Binta"))
    logged_in(client, cast, "referent")
    response = client.get(reverse("journey:board"))
    counts = {value: count for value, _label, count in response.context["status_counts"]}
    assert counts[JourneyStatus.RECEIVED] == 1
    assert counts[JourneyStatus.COMPLETE] == 1
    filtered = client.get(reverse("journey:board"), {"status": JourneyStatus.COMPLETE})
    names = [row.journey.person.first_name for row in filtered.context["rows"]]
    assert names == ["Binta"]
    junk = client.get(reverse("journey:board"), {"status": "zzz", "kpa": "abc"})
    assert junk.status_code == 200
    assert len(junk.context["rows"]) == 2
    elsewhere = client.get(reverse("journey:board"), {"kpa": cast.elsewhere.pk})
    assert elsewhere.status_code == 200
    assert len(elsewhere.context["rows"]) == 2


def test_someone_who_follows_no_kpa_gets_an_empty_board_with_an_explanation(
    cast: Cast, client: Client, journey: Journey
) -> None:
    response = logged_in(client, cast, "cooperant").get(reverse("journey:board"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Vous ne suivez aucun KPA" in page
    assert journey.person.full_name not in page


# session, user, reach (person, roles), KPAs for the filter, the counts per status, the journeys
# and their four prefetches (pieces, checklist, contracts, insurance entries), unread
# notifications (base template); a référent configures no structure, so that list costs nothing
BOARD_QUERIES = 12


def test_the_board_costs_the_same_queries_for_1_or_5_journeys(
    cast: Cast, client: Client, django_assert_num_queries: Any
) -> None:
    logged_in(client, cast, "referent")
    activate(cast, register(cast, first_name="Un"))
    with django_assert_num_queries(BOARD_QUERIES):
        response = client.get(reverse("journey:board"))
    assert len(response.context["rows"]) == 1
    register(cast, first_name="Deux")
    complete(cast, register(cast, first_name="Trois"))
    validate(cast, register(cast, first_name="Quatre"))
    issue(cast, register(cast, first_name="Cinq"))
    with django_assert_num_queries(BOARD_QUERIES):
        response = client.get(reverse("journey:board"))
    assert len(response.context["rows"]) == 5



# -- one journey's page and its actions ------------------------------------------------------


def test_the_gestionnaire_validates_and_the_referent_cannot(cast: Cast, client: Client,
                                                            journey: Journey) -> None:
    complete(cast, journey)
    for document in journey.documents.all():
        services.check_document(actor=cast.user("referent"), document=document,
                                note="CNI n° 123", today=TODAY)
    url = reverse("journey:validate", args=[journey.pk])
    logged_in(client, cast, "referent")
    assert "Valider l'inscription" not in text_of(client.get(journey.get_absolute_url()))
    assert client.post(url).status_code == 404
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.COMPLETE
    logged_in(client, cast, "gestionnaire")
    page = text_of(client.get(journey.get_absolute_url()))
    assert "Valider l'inscription" in page
    assert "Historique" in page
    response = client.post(url, follow=True)
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.VALIDATED
    assert any("validée" in m for m in messages_of(response))


def test_validating_an_incomplete_file_is_a_french_message(cast: Cast, client: Client,
                                                           journey: Journey) -> None:
    response = logged_in(client, cast, "gestionnaire").post(
        reverse("journey:validate", args=[journey.pk]), follow=True)
    assert response.status_code == 200
    assert any("Seul un dossier complet se valide" in m for m in messages_of(response))


def test_the_detail_page_shows_the_checklist_and_the_history(cast: Cast, client: Client,
                                                             journey: Journey) -> None:
    requirement = required_pieces(journey)[1]
    services.upload_document(actor=cast.user("referent"), journey=journey,
                             requirement=requirement, content=png_bytes(), today=TODAY)
    response = logged_in(client, cast, "referent").get(journey.get_absolute_url())
    assert response.status_code == 200
    page = text_of(response)
    assert "manquante" in page
    assert "déposée" in page
    assert "à vérifier" in page
    assert 'accept="application/pdf,image/*"' in page
    assert "10 Mo au plus" in page
    assert "pièce déposée" in page
    assert "journey.journey.registered" not in page
    assert reverse("journey:check_document",
                   args=[journey.documents.get().pk]) in page


def test_the_referent_notes_a_diagnostic_but_not_in_the_future(cast: Cast, client: Client,
                                                               journey: Journey) -> None:
    logged_in(client, cast, "referent")
    url = reverse("journey:add_step", args=[journey.pk])
    response = client.post(url, {"on": (TODAY + dt.timedelta(days=3)).isoformat()},
                           follow=True)
    assert any("dans le futur" in m for m in messages_of(response))
    client.post(url, {"on": "pas une date"})
    response = client.post(url, {"on": TODAY.isoformat(), "note": "Premier entretien"},
                           follow=True)
    assert journey.steps.get().note == "Premier entretien"
    assert "Premier entretien" in text_of(response)


def test_the_inscription_is_edited_through_the_service(cast: Cast, client: Client,
                                                       journey: Journey) -> None:
    logged_in(client, cast, "referent")
    url = reverse("journey:edit", args=[journey.pk])
    assert client.get(url).status_code == 200
    data = form_data(city="Tourcoing", iban="FR00 1234")
    for name in ("first_name", "last_name", "email", "phone", "consent"):
        del data[name]
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Cet IBAN n'est pas valide" in text_of(response)
    journey.refresh_from_db()
    assert journey.city == "Roubaix"
    data["iban"] = VALID_IBAN
    assert client.post(url, data).status_code == 302
    journey.refresh_from_db()
    assert journey.city == "Tourcoing"
    assert journey.receives_ass is False
    logged_in(client, cast, "accompagnateur")  # sees the journey, does not change it
    assert client.get(url).status_code == 404


# -- the person's rights ---------------------------------------------------------------------


def test_the_export_is_a_json_download_with_the_data_and_the_purposes(
    cast: Cast, client: Client, journey: Journey
) -> None:
    response = logged_in(client, cast, "referent").get(
        reverse("journey:export_data", args=[journey.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="donnees-{journey.person_id}.json"')
    data = json.loads(response.content)
    assert data["person"]["first_name"] == "Awa"
    assert data["journeys"][0]["city"] == "Roubaix"
    assert "birth_date" in data["purposes"]
    assert "iban" in data["purposes"]
    body = response.content.decode()
    assert "Vérifier l'âge minimum" in body  # UTF-8 as is, not \u escapes
    assert "\\u00e9" not in body
    assert AuditEvent.objects.filter(action="journey.person_data.exported").count() == 1
    logged_in(client, cast, "accompagnateur")
    assert client.get(reverse("journey:export_data", args=[journey.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="journey.person_data.exported").count() == 1


def test_erasure_is_refused_while_the_journey_is_open_then_pseudonymises(
    cast: Cast, client: Client, journey: Journey
) -> None:
    url = reverse("journey:erase", args=[journey.pk])
    logged_in(client, cast, "referent")
    assert client.get(url).status_code == 404
    logged_in(client, cast, "gestionnaire")
    page = text_of(client.get(url))
    assert "Ce qui est gardé" in page
    assert "n'est pas terminé" in page
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 400
    assert "Cette personne a un parcours en cours" in text_of(response)
    journey.person.refresh_from_db()
    assert journey.person.first_name == "Awa"
    contracts.record_exit(actor=cast.user("referent"), journey=journey, exited_on=TODAY,
                          exit_kind=Journey.ExitKind.NONE, today=TODAY)
    assert "Effacer les données" in text_of(client.get(journey.get_absolute_url()))
    assert client.post(url, {}).status_code == 400  # the confirmation box is required
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    journey.refresh_from_db()
    journey.person.refresh_from_db()
    assert journey.person.first_name == "Personne"
    assert journey.person.last_name != "Diallo"
    assert journey.iban == ""
    assert journey.birth_date is None
    assert journey.erased_at is not None


# -- the structure's settings ----------------------------------------------------------------


def test_the_gestionnaire_sets_the_policy_and_extends_the_checklist(cast: Cast,
                                                                    client: Client) -> None:
    url = reverse("journey:settings", args=[cast.cae.pk])
    logged_in(client, cast, "referent")
    assert client.get(url).status_code == 404
    logged_in(client, cast, "gestionnaire")
    response = client.get(url)
    assert response.status_code == 200
    assert not JourneyPolicy.objects.exists()
    policy = {name: str(value) for name, value in response.context["policy_form"].initial.items()
              if name in response.context["policy_form"].fields}
    policy.update({"form": "policy", "insurer": "MAIF", "reminder_days": "90,30"})
    assert client.post(url, policy).status_code == 302
    saved = JourneyPolicy.objects.get(structure=cast.cae)
    assert saved.insurer == "MAIF"
    assert saved.reminder_offsets == [90, 30]
    policy["reminder_days"] = "beaucoup"
    response = client.post(url, policy)
    assert response.status_code == 400
    assert "entre 1 et 365" in text_of(response)
    response = client.post(url, {"form": "requirement", "kind": "other",
                                 "label": "Attestation CAF", "required": "on"})
    assert response.status_code == 302
    assert cast.cae.document_requirements.filter(label="Attestation CAF").exists()
    assert "Attestation CAF" in text_of(client.get(url))
    assert client.post(url, {}).status_code == 400


@pytest.mark.parametrize(("persona", "board", "mine"), [
    ("referent", True, False),
    ("gestionnaire", True, False),
    ("comptable", False, False),
    ("coordinateur", False, False),
    ("cooperant", False, True),
])
def test_the_navigation_offers_the_board_to_staff_and_my_journey_to_others(
        client: Client, cast: Cast, persona: str, board: bool, mine: bool) -> None:
    client.force_login(cast.user(persona))
    page = client.get(reverse("directory:home")).content.decode()
    assert (f'href="{reverse("journey:board")}"' in page) is board
    assert (f'href="{reverse("journey:mine")}"' in page) is mine
