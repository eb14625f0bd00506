"""The expense pages on a phone: "Mes notes de frais", a claim with its camera upload, the
receipt shown only to those who see the claim, the gestionnaire's queue, the deadlines page;
404 for whoever is out of reach; fixed query counts on the lists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import TODAY
from kpa.core import dates
from kpa.purchases import expenses
from kpa.purchases.models import ExpenseClaim, ExpenseDeadline, ExpenseLine
from kpa.purchases.tests.test_expenses import (
    GIF,
    JPEG,
    NOVEMBER,
    add,
    new_claim,
    submitted_claim,
    validated_claim,
)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def as_user(client, user):
    client.force_login(user)
    return client


def line_post(**values):
    data = {"spent_on": "2026-11-12", "category": "supplies", "description": "Ciseaux",
            "amount_incl_vat": "18,00", "recoverable_vat": "3,00",
            "receipt": SimpleUploadedFile("ticket.jpg", JPEG, content_type="image/jpeg")}
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


# -- "Mes notes de frais" -------------------------------------------------------------------


def test_a_coopérant_starts_a_claim_from_their_list(shop, client):
    as_user(client, shop.seller)
    page = client.get(reverse("purchases:expense_list"))
    assert page.status_code == 200
    assert "Couture Awa" in page.content.decode()
    response = client.post(reverse("purchases:expense_list"),
                           {"activity": shop.activity.pk, "month": "2026-11"})
    claim = ExpenseClaim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("purchases:expense_claim", args=[claim.pk])
    assert claim.month == NOVEMBER


def test_a_refused_claim_comes_back_on_the_form(shop, client):
    as_user(client, shop.seller)
    response = client.post(reverse("purchases:expense_list"),
                           {"activity": shop.activity.pk, "month": "2027-01"})
    assert response.status_code == 400
    assert "Le mois 01/2027 n&#x27;a pas commencé" in response.content.decode()
    assert not ExpenseClaim.objects.exists()


def test_someone_without_an_activity_gets_no_form(shop, client):
    as_user(client, shop.cast.user("outsider"))
    page = client.get(reverse("purchases:expense_list"))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert page.context["claims"] == []


# session, user, person, roles, activities, claims, unread notifications
LIST_QUERIES = 7


def test_the_list_costs_the_same_queries_for_1_or_4_claims(shop, client,
                                                           django_assert_num_queries):
    as_user(client, shop.seller)
    add(shop, new_claim(shop))
    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(reverse("purchases:expense_list"))
    assert len(page.context["claims"]) == 1
    for month in (8, 9, 10):
        claim = new_claim(shop, month=dt.date(2026, month, 1))
        add(shop, claim, spent_on=dt.date(2026, month, 3))
        add(shop, claim, spent_on=dt.date(2026, month, 4))
    with django_assert_num_queries(LIST_QUERIES):
        page = client.get(reverse("purchases:expense_list"))
    assert [c.total for c in page.context["claims"]] == [Decimal("12.00")] + [
        Decimal("24.00")] * 3


# -- the claim page -------------------------------------------------------------------------


def test_the_claim_page_offers_the_phone_camera_and_the_categories(shop, client):
    claim = new_claim(shop)
    page = as_user(client, shop.seller).get(reverse("purchases:expense_claim",
                                                    args=[claim.pk]))
    body = page.content.decode()
    assert 'type="file"' in body
    assert 'capture="environment"' in body
    assert 'accept="image/*,application/pdf"' in body
    assert 'enctype="multipart/form-data"' in body
    assert "Kilomètres avec mon véhicule" in body
    assert "purchases/expenses.css" in body


def test_a_line_is_added_with_its_photo(shop, client):
    claim = new_claim(shop)
    response = as_user(client, shop.seller).post(
        reverse("purchases:expense_line_add", args=[claim.pk]), line_post())
    assert response.status_code == 302
    line = ExpenseLine.objects.get()
    assert (line.amount_incl_vat, line.recoverable_vat) == (Decimal("18.00"), Decimal("3.00"))
    assert line.receipt_type == "image/jpeg"


def test_a_mileage_line_needs_no_photo(shop, client):
    claim = new_claim(shop)
    response = as_user(client, shop.seller).post(
        reverse("purchases:expense_line_add", args=[claim.pk]),
        line_post(category="mileage", amount_incl_vat="", recoverable_vat="0", receipt=None,
                  distance_km="3000", fiscal_horsepower="4"))
    assert response.status_code == 302
    assert ExpenseLine.objects.get().amount_incl_vat == Decimal("1818.00")


@pytest.mark.parametrize(("values", "words"), [
    ({"receipt": None}, "Joignez le justificatif"),
    ({"receipt": SimpleUploadedFile("x.gif", GIF, content_type="image/gif")},
     "ni un PDF ni une photo"),
    ({"recoverable_vat": "18,00"}, "elle est plus petite"),
])
def test_a_refused_line_comes_back_on_the_form(shop, client, values, words):
    claim = new_claim(shop)
    response = as_user(client, shop.seller).post(
        reverse("purchases:expense_line_add", args=[claim.pk]), line_post(**values))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not ExpenseLine.objects.exists()


def test_a_line_is_changed_and_removed_while_draft(shop, client):
    claim = new_claim(shop)
    line = add(shop, claim)
    as_user(client, shop.seller)
    page = client.get(reverse("purchases:expense_line_edit", args=[line.pk]))
    assert page.status_code == 200
    response = client.post(reverse("purchases:expense_line_edit", args=[line.pk]),
                           line_post(description="Bobines", receipt=None))
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.description == "Bobines"
    assert bytes(line.receipt) == JPEG
    client.post(reverse("purchases:expense_line_delete", args=[line.pk]))
    assert not ExpenseLine.objects.exists()


def test_a_claim_is_sent_and_a_late_one_is_refused_with_its_dates(shop, client):
    expenses.set_expense_deadlines(actor=shop.manager, structure=shop.cast.cae,
                                   deadlines=[(dt.date(2026, 10, 1), dt.date(2026, 10, 15))],
                                   today=TODAY)
    early = dt.date(2026, 10, 5)
    late = new_claim(shop, month=dt.date(2026, 9, 1), today=early)
    add(shop, late, spent_on=dt.date(2026, 9, 3), today=early)
    as_user(client, shop.seller)
    response = client.post(reverse("purchases:expense_submit", args=[late.pk]), follow=True)
    assert ("Cette dépense du 03/09/2026 devait être déclarée au plus tard le 15/10/2026."
            in response.content.decode())
    claim = new_claim(shop)
    add(shop, claim)
    client.post(reverse("purchases:expense_submit", args=[claim.pk]))
    claim.refresh_from_db()
    late.refresh_from_db()
    assert (claim.status, late.status) == ("submitted", "draft")


def test_a_draft_is_deleted_from_its_page(shop, client):
    claim = new_claim(shop)
    response = as_user(client, shop.seller).post(
        reverse("purchases:expense_delete", args=[claim.pk]))
    assert response["Location"] == reverse("purchases:expense_list")
    assert not ExpenseClaim.objects.exists()


# -- receipts -------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [
    ("cooperant", 200), ("gestionnaire", 200), ("comptable", 200), ("admin", 200),
    ("referent", 404), ("coordinateur", 404), ("outsider", 404),
])
def test_a_receipt_is_shown_only_to_those_who_see_the_claim(shop, client, persona, status):
    line = add(shop, new_claim(shop))
    response = as_user(client, shop.cast.user(persona)).get(
        reverse("purchases:expense_receipt", args=[line.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"].startswith("inline;")
        assert response.content == JPEG


def test_a_pdf_receipt_is_served_as_a_pdf(shop, client):
    line = add(shop, new_claim(shop), receipt=b"%PDF-1.4\n%%EOF\n")
    response = as_user(client, shop.seller).get(
        reverse("purchases:expense_receipt", args=[line.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="justificatif-NF{line.claim_id}-{line.pk}.pdf"')


def test_a_mileage_line_has_no_receipt_to_show(shop, client):
    claim = new_claim(shop)
    line = expenses.add_line(actor=shop.seller, claim=claim, today=TODAY,
                             spent_on=dt.date(2026, 11, 2), category="mileage",
                             description="Salon", distance_km="40", fiscal_horsepower=5)
    response = as_user(client, shop.seller).get(
        reverse("purchases:expense_receipt", args=[line.pk]))
    assert response.status_code == 404


# -- who reaches what -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["outsider", "referent", "benevole", "coordinateur"])
def test_those_out_of_reach_get_404_on_every_claim_page(shop, client, persona):
    claim = submitted_claim(shop)
    line = claim.lines.first()
    as_user(client, shop.cast.user(persona))
    for name in ("expense_claim",):
        assert client.get(reverse(f"purchases:{name}", args=[claim.pk])).status_code == 404
    for name in ("expense_submit", "expense_delete", "expense_validate", "expense_reject",
                 "expense_reimburse", "expense_line_add"):
        assert client.post(reverse(f"purchases:{name}", args=[claim.pk])).status_code == 404
    for name in ("expense_line_edit", "expense_line_delete"):
        assert client.post(reverse(f"purchases:{name}", args=[line.pk])).status_code == 404
    assert client.get(reverse("purchases:expense_queue")).status_code == 404
    assert client.get(reverse("purchases:expense_deadlines",
                              args=[shop.cast.cae.pk])).status_code == 404
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


def test_the_coopérant_cannot_decide_their_own_claim(shop, client):
    claim = submitted_claim(shop)
    as_user(client, shop.seller)
    assert client.post(reverse("purchases:expense_validate", args=[claim.pk])).status_code == 404
    assert client.post(reverse("purchases:expense_reject", args=[claim.pk]),
                       {"reason": "x"}).status_code == 404
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


# -- the queue ------------------------------------------------------------------------------

# session, user, person, roles, claims, structures configured, unread notifications
QUEUE_QUERIES = 7


def test_the_queue_costs_the_same_queries_for_1_or_4_claims(shop, client,
                                                            django_assert_num_queries):
    as_user(client, shop.manager)
    submitted_claim(shop)
    with django_assert_num_queries(QUEUE_QUERIES):
        page = client.get(reverse("purchases:expense_queue"))
    assert len(page.context["submitted"]) == 1
    validated_claim(shop, activity=shop.friperie)
    for month in (9, 10):
        claim = new_claim(shop, month=dt.date(2026, month, 1))
        add(shop, claim, spent_on=dt.date(2026, month, 3))
        expenses.submit_claim(actor=shop.seller, claim=claim, today=TODAY)
    with django_assert_num_queries(QUEUE_QUERIES):
        page = client.get(reverse("purchases:expense_queue"))
    assert len(page.context["submitted"]) == 3
    assert len(page.context["validated"]) == 1


def test_the_gestionnaire_validates_rejects_and_reimburses_from_the_queue(shop, client):
    first = submitted_claim(shop)
    second = submitted_claim(shop, activity=shop.friperie)
    as_user(client, shop.manager)
    queue = reverse("purchases:expense_queue")
    body = client.get(queue).content.decode()
    assert "120,60" in body
    response = client.post(reverse("purchases:expense_validate", args=[first.pk]),
                           {"next": "queue"})
    assert response["Location"] == queue
    response = client.post(reverse("purchases:expense_reject", args=[second.pk]),
                           {"next": "queue", "reason": "Ticket illisible"})
    assert response["Location"] == queue
    response = client.post(reverse("purchases:expense_reimburse", args=[first.pk]),
                           {"next": "queue", "paid_on": "2026-11-28"})
    assert response["Location"] == queue
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.paid_on) == ("paid", TODAY)
    assert (second.status, second.rejection_reason) == ("rejected", "Ticket illisible")


def test_a_rejection_without_reason_is_refused_on_the_claim_page(shop, client):
    claim = submitted_claim(shop)
    response = as_user(client, shop.manager).post(
        reverse("purchases:expense_reject", args=[claim.pk]), {"reason": ""})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED


def test_the_comptable_reimburses_but_does_not_decide(shop, client):
    claim = submitted_claim(shop)
    as_user(client, shop.cast.user("comptable"))
    page = client.get(reverse("purchases:expense_queue"))
    assert page.context["deciders"] == set()
    assert "expense_validate" not in page.content.decode()
    client.post(reverse("purchases:expense_validate", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.SUBMITTED
    expenses.validate_claim(actor=shop.manager, claim=claim, today=TODAY)
    response = client.post(reverse("purchases:expense_reimburse", args=[claim.pk]),
                           {"paid_on": "2026-11-28"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ExpenseClaim.Status.PAID


def test_a_coopérant_has_no_queue(shop, client):
    assert as_user(client, shop.seller).get(
        reverse("purchases:expense_queue")).status_code == 404


# -- deadlines ------------------------------------------------------------------------------


def test_the_gestionnaire_sets_the_deadlines_on_their_page(shop, client):
    as_user(client, shop.manager)
    response = client.get(reverse("purchases:expense_deadline_structures"))
    page_url = reverse("purchases:expense_deadlines", args=[shop.cast.cae.pk])
    assert response["Location"] == page_url
    data = {"dates-TOTAL_FORMS": "4", "dates-INITIAL_FORMS": "0",
            "dates-0-covers_before": "2026-04-01", "dates-0-closes_on": "2026-04-15",
            "dates-1-covers_before": "2026-07-01", "dates-1-closes_on": "2026-07-15"}
    assert client.post(page_url, data).status_code == 302
    assert expenses.deadlines_of(shop.cast.cae.pk) == [
        (dt.date(2026, 4, 1), dt.date(2026, 4, 15)), (dt.date(2026, 7, 1), dt.date(2026, 7, 15))]
    page = client.get(page_url)
    assert 'value="2026-07-15"' in page.content.decode()


def test_bad_deadlines_come_back_with_the_reason(shop, client):
    page_url = reverse("purchases:expense_deadlines", args=[shop.cast.cae.pk])
    data = {"dates-TOTAL_FORMS": "2", "dates-INITIAL_FORMS": "0",
            "dates-0-covers_before": "2026-04-01", "dates-0-closes_on": "2026-03-15",
            "dates-1-covers_before": "2026-07-01"}
    response = as_user(client, shop.manager).post(page_url, data)
    assert response.status_code == 400
    assert "Donnez les deux dates" in response.content.decode()
    data.pop("dates-1-covers_before")
    response = client.post(page_url, data)
    assert response.status_code == 400
    assert "choisissez une date limite après" in response.content.decode()
    assert not ExpenseDeadline.objects.exists()


def test_the_comptable_has_no_deadlines_page(shop, client):
    as_user(client, shop.cast.user("comptable"))
    assert client.get(reverse("purchases:expense_deadline_structures")).status_code == 404
    assert client.get(reverse("purchases:expense_deadlines",
                              args=[shop.cast.cae.pk])).status_code == 404


def test_the_outsider_probe_finds_nothing_in_the_expense_pages_and_api(shop):
    """The project's probe, walked over the expense routes with the ids of a claim at every
    step, of its lines, and of the structure."""
    from django.test import Client

    from conftest import SECRET_MARKER
    from kpa.core.models import ApiToken
    from tests.test_probe import probe

    draft = new_claim(shop, activity=shop.friperie)
    add(shop, draft, description=f"Achat {SECRET_MARKER}")
    paid = validated_claim(shop)
    expenses.record_reimbursement(actor=shop.manager, claim=paid, paid_on=TODAY, today=TODAY)
    expenses.set_expense_deadlines(actor=shop.manager, structure=shop.cast.cae,
                                   deadlines=[(dt.date(2027, 1, 1), dt.date(2027, 1, 15))],
                                   today=TODAY)
    ids = sorted({*ExpenseClaim.objects.values_list("pk", flat=True),
                  *ExpenseLine.objects.values_list("pk", flat=True), shop.cast.cae.pk,
                  shop.activity.pk, shop.friperie.pk})
    secret = ApiToken.new_secret()
    outsider = shop.cast.user("outsider")
    ApiToken.objects.create(user=outsider, prefix=secret[:8], digest=ApiToken.digest_of(secret))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)
    client.force_login(outsider)
    probed = probe(client, shop.cast, ids, lambda route: (
        route.startswith(("depenses/", "api/v1/purchases/expense-claims"))
        and not route.startswith("depenses/fournisseurs/")))
    assert probed > 100


def test_the_claim_page_costs_the_same_queries_for_1_or_5_lines(shop, client,
                                                                django_assert_num_queries):
    claim = new_claim(shop)
    add(shop, claim)
    as_user(client, shop.seller)
    url = reverse("purchases:expense_claim", args=[claim.pk])
    client.get(url)
    with django_assert_num_queries(CLAIM_QUERIES):
        client.get(url)
    for day in range(1, 5):
        add(shop, claim, spent_on=dt.date(2026, 11, day))
    with django_assert_num_queries(CLAIM_QUERIES):
        page = client.get(url)
    assert len(page.context["lines"]) == 5
    assert page.context["total"] == Decimal("60.00")


# session, user, person, roles, claim, lines, deadlines, unread notifications
CLAIM_QUERIES = 8
