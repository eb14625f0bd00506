"""The pay pages: the coopérant asks (figures, confirmation, refusal in plain words) and sees
their requests; the référent transmits or refuses; the gestionnaire publishes the cut-off,
exports and imports the month. Lists cost a fixed number of queries; out of reach is 404."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import SECRET_MARKER
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.treasury import payroll
from kpa.treasury.models import PayCutoff, PayRequest, PayrollImport
from kpa.treasury.tests.test_pay_support import (
    BEFORE_CUTOFF,
    DECEMBER,
    NOVEMBER,
    account_of,
    another_cooperant,
    fund,
    requested,
    summary,
    transmitted,
)

NEW = reverse("treasury:pay_request_new")
MINE = reverse("treasury:pay_request_mine")
QUEUE = reverse("treasury:pay_review_queue")


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before November's cut-off, so that November is the month asked for."""
    monkeypatch.setattr(dates, "local_today", lambda: BEFORE_CUTOFF)


@pytest.fixture
def funded(shop):
    account = account_of(shop)
    fund(shop, account, "1000")
    return account


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def month_url(shop, name: str = "payroll_month") -> str:
    return reverse(f"treasury:{name}", kwargs={"structure_pk": shop.cast.cae.pk})


# -- the coopérant --------------------------------------------------------------------------

def test_the_page_shows_what_is_available_the_maximum_and_the_cutoff(shop, client,
                                                                     funded) -> None:
    response = as_user(client, shop.seller).get(NEW)
    assert response.status_code == 200
    text = text_of(response)
    assert "Disponible aujourd'hui 1 000,00 €" in text
    assert "Tu peux demander jusqu'à 600,00 € net" in text
    assert "Date limite pour novembre 2026 25 novembre" in text
    assert 'name="net_amount"' in response.content.decode()


def test_asking_shows_the_estimate_before_anything_is_recorded(shop, client, funded) -> None:
    response = as_user(client, shop.seller).post(NEW, {"net_amount": "500", "compte": funded.pk})
    assert response.status_code == 200
    text = text_of(response)
    assert "Tu demandes 500,00 € net pour novembre 2026." in text
    assert "Salaire brut estimé 641,03 €" in text
    assert "Coût total pour ta trésorerie (cotisations comprises) 833,34 €" in text
    assert "Il te restera de disponible 166,66 €" in text
    assert not PayRequest.objects.exists()


def test_confirming_records_the_request_and_says_what_happens_next(shop, client,
                                                                   funded) -> None:
    response = as_user(client, shop.seller).post(NEW, {
        "net_amount": "500.00", "note": "Merci !", "compte": funded.pk, "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == MINE
    made = PayRequest.objects.get()
    assert (made.net_amount, made.month, made.note) == (Decimal("500.00"), NOVEMBER, "Merci !")
    assert messages_of(response)[0].startswith(
        "C'est envoyé : tu demandes 500,00\u202f€ net pour novembre 2026.".replace(
            "\u202f", " "))


def test_too_much_is_refused_on_the_page_with_the_maximum(shop, client, funded) -> None:
    response = as_user(client, shop.seller).post(NEW, {"net_amount": "700"})
    assert response.status_code == 400
    assert "Tu peux demander au plus 600,00 € net ce mois-ci." in text_of(response)
    assert not PayRequest.objects.exists()


def test_a_typed_amount_that_is_not_one_is_refused(shop, client, funded) -> None:
    response = as_user(client, shop.seller).post(NEW, {"net_amount": "beaucoup"})
    assert response.status_code == 400
    assert "Écris le montant net en euros" in text_of(response)


def test_after_the_cutoff_the_page_says_the_request_is_for_next_month(
        shop, client, funded, monkeypatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: shop.today)  # 28 November
    text = text_of(as_user(client, shop.seller).get(NEW))
    assert "La date limite de novembre est passée : ta demande sera pour décembre 2026." in text
    as_user(client, shop.seller).post(NEW, {"net_amount": "100", "confirm": "1"})
    assert PayRequest.objects.get().month == DECEMBER


def test_a_request_still_to_review_replaces_the_form_with_a_cancel_button(shop, client,
                                                                         funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    response = as_user(client, shop.seller).get(NEW)
    text = text_of(response)
    assert ("Tu as déjà demandé 100,00 € net pour novembre 2026 : ton ou ta référent·e doit "
            "encore la transmettre à la paie.") in text
    assert "Tu peux demander jusqu'à" not in text
    page = response.content.decode()
    assert 'name="net_amount"' not in page
    cancel = reverse("treasury:pay_request_cancel", args=[made.pk])
    assert f'action="{cancel}"' in page
    cancelled = client.post(cancel)
    assert cancelled.status_code == 302
    made.refresh_from_db()
    assert made.status == PayRequest.Status.CANCELLED
    assert 'name="net_amount"' in client.get(NEW).content.decode()


def test_a_transmitted_request_is_said_plainly_and_no_longer_cancelled_here(
        shop, client, funded) -> None:
    made = transmitted(shop, funded, shop.seller, "200")
    response = as_user(client, shop.seller).get(NEW)
    text = text_of(response)
    assert ("Tu as déjà demandé 200,00 € net pour novembre 2026 : elle est transmise à la "
            "paie.") in text
    assert "parles-en à ton ou ta référent·e" in text
    page = response.content.decode()
    assert 'name="net_amount"' not in page
    assert reverse("treasury:pay_request_cancel", args=[made.pk]) not in page


def test_an_exported_request_says_it_went_to_the_payroll_software(shop, client,
                                                                  funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    payroll.export_month(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                         today=BEFORE_CUTOFF)
    text = text_of(as_user(client, shop.seller).get(NEW))
    assert ("Tu as déjà demandé 100,00 € net pour novembre 2026 : elle est envoyée au "
            "logiciel de paie.") in text


def test_a_paid_month_says_it_is_paid(shop, client, funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    payroll.import_summary(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                           file_name="recap.csv", today=BEFORE_CUTOFF,
                           content=summary(f"{shop.cast.cooperant.pk};130;100;170"))
    text = text_of(as_user(client, shop.seller).get(NEW))
    assert "Tu as déjà demandé 100,00 € net pour novembre 2026 : elle est payée." in text
    assert "Annuler cette demande" not in text


def test_someone_without_an_individual_treasury_is_told_so(shop, client) -> None:
    response = as_user(client, shop.cast.user("referent")).get(NEW)
    assert response.status_code == 200
    assert "Tu n'as pas encore de trésorerie individuelle" in text_of(response)


def test_another_persons_account_cannot_be_chosen(shop, client, funded) -> None:
    _, other = another_cooperant(shop, "bintou")
    response = as_user(client, shop.seller).post(NEW, {"net_amount": "10", "compte": other.pk,
                                                       "confirm": "1"})
    assert response.status_code == 404
    assert not PayRequest.objects.exists()


# session, user, person, roles, requests, accounts, notification count
MINE_QUERIES = 7


def test_my_requests_cost_the_same_queries_for_1_or_3(shop, client, funded,
                                                      django_assert_num_queries) -> None:
    made = requested(shop, funded, shop.seller, "100")
    as_user(client, shop.seller)
    with django_assert_num_queries(MINE_QUERIES):
        response = client.get(MINE)
    assert len(response.context["requests"]) == 1
    assert "Annuler cette demande" in text_of(response)
    client.post(reverse("treasury:pay_request_cancel", args=[made.pk]))
    requested(shop, funded, shop.seller, "100")
    with django_assert_num_queries(MINE_QUERIES):
        response = client.get(MINE)
    assert len(response.context["requests"]) == 2


def test_the_coopérant_cancels_from_their_list(shop, client, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    response = as_user(client, shop.seller).post(
        reverse("treasury:pay_request_cancel", args=[made.pk]))
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == PayRequest.Status.CANCELLED


def test_nobody_else_cancels_it(shop, client, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    for persona in ("referent", "outsider"):
        response = as_user(client, shop.cast.user(persona)).post(
            reverse("treasury:pay_request_cancel", args=[made.pk]))
        assert response.status_code == 404
    made.refresh_from_db()
    assert made.status == PayRequest.Status.REQUESTED


# -- the référent ---------------------------------------------------------------------------

# session, user, person, roles, requests, the live figures of their accounts (one structure:
# 5), notification count
QUEUE_QUERIES = 11


def test_the_queue_costs_the_same_queries_for_1_or_3_requests(
        shop, client, funded, django_assert_num_queries) -> None:
    requested(shop, funded, shop.seller, "100")
    as_user(client, shop.cast.user("referent"))
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 1
    text = text_of(response)
    assert "Disponible une fois cette demande comptée : 833,33 €" in text
    for name in ("bintou", "chloe"):
        user, account = another_cooperant(shop, name)
        requested(shop, account, user, "200")
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(QUEUE)
    assert len(response.context["rows"]) == 3


def test_the_referent_transmits_from_the_queue(shop, client, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    response = as_user(client, shop.cast.user("referent")).post(
        reverse("treasury:pay_request_transmit", args=[made.pk]))
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == PayRequest.Status.TRANSMITTED


def test_a_refusal_without_reason_comes_back_with_the_question(shop, client, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    url = reverse("treasury:pay_request_refuse", args=[made.pk])
    response = as_user(client, shop.cast.user("referent")).post(url, {"reason": ""})
    assert response.status_code == 400
    made.refresh_from_db()
    assert made.status == PayRequest.Status.REQUESTED
    response = client.post(url, {"reason": "Attends le paiement de la mairie."})
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.refusal_reason) == (PayRequest.Status.REFUSED,
                                                  "Attends le paiement de la mairie.")


@pytest.mark.parametrize("persona", ["outsider", "benevole", "accompagnateur"])
def test_out_of_reach_requests_are_not_found(shop, client, funded, persona) -> None:
    made = requested(shop, funded, shop.seller, "100")
    as_user(client, shop.cast.user(persona))
    for name in ("pay_request_transmit", "pay_request_refuse"):
        response = client.post(reverse(f"treasury:{name}", args=[made.pk]), {"reason": "x"})
        assert response.status_code == 404
    assert client.get(QUEUE).context["rows"] == []
    made.refresh_from_db()
    assert made.status == PayRequest.Status.REQUESTED


def test_the_coopérant_may_not_transmit_their_own_request(shop, client, funded) -> None:
    made = requested(shop, funded, shop.seller, "100")
    response = as_user(client, shop.seller).post(
        reverse("treasury:pay_request_transmit", args=[made.pk]))
    assert response.status_code == 404
    made.refresh_from_db()
    assert made.status == PayRequest.Status.REQUESTED


# -- the gestionnaire -----------------------------------------------------------------------

def test_the_payroll_entry_point_leads_the_gestionnaire_to_the_month(shop, client) -> None:
    response = as_user(client, shop.manager).get(reverse("treasury:payroll_index"))
    assert response.status_code == 302
    assert response["Location"] == month_url(shop)


# session, user, structure, person, roles, settings, cut-off, requests, imports, their lines,
# the lines' people, notification count
MONTH_QUERIES = 12


def test_the_month_page_costs_the_same_queries_for_1_or_3_requests(
        shop, client, funded, django_assert_num_queries) -> None:
    def book(content: bytes) -> None:
        payroll.import_summary(actor=shop.manager, structure=shop.cast.cae, month=NOVEMBER,
                               file_name="recap.csv", content=content, today=BEFORE_CUTOFF)

    transmitted(shop, funded, shop.seller, "100")
    book(summary(f"{shop.cast.cooperant.pk};130;100;170"))
    as_user(client, shop.manager)
    with django_assert_num_queries(MONTH_QUERIES):
        response = client.get(month_url(shop), {"mois": "2026-11"})
    assert len(response.context["requests"]) == 1
    text = text_of(response)
    assert "Paie de novembre 2026" in text
    assert "jusqu'au mercredi 25 novembre 2026 inclus" in text
    assert "recap.csv, importé le" in text
    rows = []
    for name in ("bintou", "chloe"):
        user, account = another_cooperant(shop, name)
        transmitted(shop, account, user, "200")
        rows.append(f"{account.person_id};260;200;340")
    book(summary(*rows))
    with django_assert_num_queries(MONTH_QUERIES):
        response = client.get(month_url(shop), {"mois": "2026-11"})
    assert len(response.context["requests"]) == 3
    assert len(response.context["imports"]) == 2


def test_the_month_page_offers_the_export_of_what_was_transmitted(shop, client,
                                                                  funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    text = text_of(as_user(client, shop.manager).get(month_url(shop)))
    assert "Exporter pour le logiciel de paie (1 demande)" in text
    assert "Transmise à la paie : 1" in text


@pytest.mark.parametrize("persona", ["referent", "comptable", "cooperant", "outsider"])
def test_the_month_page_is_the_gestionnaires(shop, client, persona) -> None:
    as_user(client, shop.cast.user(persona))
    assert client.get(month_url(shop)).status_code == 404
    for name in ("payroll_cutoff", "payroll_export", "payroll_import"):
        assert client.post(month_url(shop, name), {"mois": "2026-11"}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="treasury.pay").exists()


def test_the_gestionnaire_publishes_a_cutoff(shop, client) -> None:
    response = as_user(client, shop.manager).post(month_url(shop, "payroll_cutoff"), {
        "mois": "2026-11", "cutoff_on": "2026-11-27"})
    assert response.status_code == 302
    assert PayCutoff.objects.get().cutoff_on.isoformat() == "2026-11-27"
    response = client.post(month_url(shop, "payroll_cutoff"), {
        "mois": "2026-11", "cutoff_on": "2026-12-27"})
    assert response.status_code == 400
    assert "tombe dans ce mois" in text_of(response)


def test_the_export_downloads_a_csv(shop, client, funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    response = as_user(client, shop.manager).post(month_url(shop, "payroll_export"),
                                                  {"mois": "2026-11"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="paie-2026-11.csv"'
    assert response.content.startswith(b"\xef\xbb\xbfid_personne;nom;prenom;mois;")
    assert PayRequest.objects.get().status == PayRequest.Status.EXPORTED


def test_an_empty_export_comes_back_with_a_message(shop, client) -> None:
    response = as_user(client, shop.manager).post(month_url(shop, "payroll_export"),
                                                  {"mois": "2026-11"})
    assert response.status_code == 302
    assert "rien à exporter" in messages_of(response)[0]


def test_a_bad_summary_comes_back_with_its_line_numbered_report(shop, client, funded) -> None:
    upload = SimpleUploadedFile("recap.csv", summary("999999;100;80;130"), "text/csv")
    response = as_user(client, shop.manager).post(month_url(shop, "payroll_import"), {
        "mois": "2026-11", "file": upload})
    assert response.status_code == 400
    text = text_of(response)
    assert "Rien n'est comptabilisé" in text
    assert "Ligne 2 : personne n° 999999 inconnue." in text
    assert not PayrollImport.objects.exists()


def test_a_good_summary_is_booked_from_the_page(shop, client, funded) -> None:
    transmitted(shop, funded, shop.seller, "100")
    upload = SimpleUploadedFile("recap.csv", summary(f"{shop.cast.cooperant.pk};130;100;170"),
                                "text/csv")
    response = as_user(client, shop.manager).post(month_url(shop, "payroll_import"), {
        "mois": "2026-11", "file": upload})
    assert response.status_code == 302
    assert response["Location"] == month_url(shop) + "?mois=2026-11"
    assert PayrollImport.objects.get().lines.count() == 1
    assert PayRequest.objects.get().status == PayRequest.Status.BOOKED


def test_the_outsider_probes_every_pay_page_and_changes_nothing(shop, client, funded) -> None:
    made = transmitted(shop, funded, shop.seller, "100")
    events = AuditEvent.objects.count()
    as_user(client, shop.cast.user("outsider"))
    pk, structure = made.pk, shop.cast.cae.pk
    urls = [NEW, MINE, QUEUE, reverse("treasury:payroll_index")] + [
        reverse(f"treasury:{name}", args=[pk]) for name in (
            "pay_request_cancel", "pay_request_transmit", "pay_request_refuse")] + [
        reverse(f"treasury:{name}", kwargs={"structure_pk": structure}) for name in (
            "payroll_month", "payroll_cutoff", "payroll_export", "payroll_import")]
    for url in urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code in (200, 302, 404, 405), url
            assert SECRET_MARKER not in response.content.decode(), url
    assert AuditEvent.objects.count() == events
    made.refresh_from_db()
    assert made.status == PayRequest.Status.TRANSMITTED
