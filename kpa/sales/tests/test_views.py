"""The quote and invoice pages, driven through the test client.

Views are thin, so these tests check what only a page can get wrong: the whole flow works
through the pages (draft → submitted → issued from the gestionnaire's queue → paid), the
services' refusals come back in plain French (never a 500, nothing written), each persona sees
the buttons they may use, the outsider gets 404 on every document, PDFs are the stored bytes,
and the lists cost the same number of queries however long they grow.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from conftest import TODAY
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.journey.models import InsuranceEntry
from kpa.sales import documents, payments, services
from kpa.sales.documents import LineInput
from kpa.sales.models import DocumentSequence, Invoice, Payment, Quote
from kpa.sales.tests.conftest import Shop


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The views and the services of these tests agree on the day."""
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(without_tags).replace("\u202f", " ").split())


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def as_user(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def hem(quantity: int = 2, price: str = "12.50") -> list[LineInput]:
    return [LineInput(description="Ourlet de pantalon", quantity=quantity, unit_price=price,
                      vat_rate="20.00", is_service=True)]


def draft(shop: Shop, quantity: int = 2) -> Invoice:
    return documents.create_invoice(actor=shop.seller, activity=shop.activity,
                                    customer=shop.person_customer, lines=hem(quantity),
                                    today=TODAY, title="Retouches")


def issued(shop: Shop, quantity: int = 2) -> Invoice:
    invoice = documents.submit_invoice(actor=shop.seller, invoice=draft(shop, quantity),
                                       today=TODAY)
    return documents.issue_invoice(actor=shop.manager, invoice=invoice, today=TODAY)


def sent_quote(shop: Shop) -> Quote:
    quote = documents.create_quote(actor=shop.seller, activity=shop.activity,
                                   customer=shop.person_customer, lines=hem(10), today=TODAY,
                                   title="Costumes de scène")
    return documents.send_quote(actor=shop.seller, quote=quote, today=TODAY)


def form_post(shop: Shop, lines: list[dict[str, str]], *, action: str = "save",
              **header: Any) -> dict[str, Any]:
    """What the new-document form posts: the header, then the lines as a formset."""
    data: dict[str, Any] = {
        "activity": shop.activity.pk, "customer": shop.person_customer.pk,
        "operation_category": "services", "title": "", "delivery_address": "", "note": "",
        "purchase_order": "", "service_date": "", "action": action,
        "lignes-TOTAL_FORMS": str(len(lines)), "lignes-INITIAL_FORMS": "0",
    }
    data.update(header)
    for index, line in enumerate(lines):
        values = {"item": "", "description": "", "quantity": "", "unit": "",
                  "unit_price": "", "vat_rate": "20.00", **line}
        for name, value in values.items():
            data[f"lignes-{index}-{name}"] = value
    return data


HEM_LINE = {"description": "Ourlet", "quantity": "2", "unit_price": "12,50"}
BLANK_LINE = {"quantity": "1"}


# -- navigation and "Mes devis et factures" ---------------------------------------------------


def test_the_navigation_offers_sales_to_sellers_and_the_queue_to_the_gestionnaire(
        shop: Shop, client: Client) -> None:
    page = text_of(as_user(client, shop.seller).get(reverse("sales:home")))
    assert "Mes ventes" in page
    assert "Factures à valider" not in page
    page = text_of(as_user(client, shop.manager).get(reverse("sales:home")))
    assert "Factures à valider" in page
    assert "Mes ventes" not in page
    page = text_of(as_user(client, shop.cast.user("referent")).get(reverse("sales:home")))
    assert "Mes ventes" not in page
    assert "Factures à valider" not in page


def test_the_home_page_lists_the_sellers_documents_in_plain_words(shop: Shop,
                                                                   client: Client) -> None:
    draft(shop)
    paid = issued(shop, quantity=4)
    payments.record_payment(actor=shop.seller, invoice=paid, amount="60.00", method="cash",
                            received_on=TODAY, today=TODAY)
    sent_quote(shop)
    response = as_user(client, shop.seller).get(reverse("sales:home"))
    assert response.status_code == 200
    page = text_of(response)
    assert "Nouvelle facture" in page
    assert "Nouveau devis" in page
    assert "Facture en brouillon" in page
    assert f"Facture {paid.number}" in page
    assert "Payée le 28/11/2026" in page
    assert "Jeanne Martin" in page
    assert "60,00 € TTC" in page
    assert "Envoyé le 28/11/2026, valable jusqu'au 28/12/2026" in page


def test_an_unpaid_invoice_past_its_due_date_says_it_is_late(
        shop: Shop, client: Client) -> None:
    invoice = draft(shop)
    documents.issue_invoice(actor=shop.manager, invoice=invoice, today=dt.date(2026, 10, 2))
    page = text_of(as_user(client, shop.seller).get(reverse("sales:home")))
    assert "En retard : 30,00 € à encaisser, échue le 01/11/2026" in page


def test_the_filters_keep_one_activity_and_one_state(shop: Shop, client: Client) -> None:
    draft(shop)
    documents.create_invoice(actor=shop.seller, activity=shop.friperie,
                             customer=shop.company, lines=hem(1), today=TODAY,
                             title="Lot de vestes")
    sent_quote(shop)
    as_user(client, shop.seller)
    page = text_of(client.get(reverse("sales:home"), {"activity": shop.friperie.pk}))
    assert "Lot de vestes" in page
    assert "Retouches" not in page
    assert "Costumes de scène" not in page
    page = text_of(client.get(reverse("sales:home"), {"status": "quote:sent"}))
    assert "Costumes de scène" in page
    assert "Lot de vestes" not in page
    page = text_of(client.get(reverse("sales:home"), {"status": "invoice:paid"}))
    assert "Aucune facture avec ces filtres." in page
    # A forged filter is ignored rather than an error.
    assert client.get(reverse("sales:home"), {"activity": "x", "status": "y"}).status_code == 200


# session, user, person, roles, memberships, activities, invoices, quotes, notification count
HOME_QUERIES = 9


def test_the_home_page_costs_the_same_queries_for_2_or_10_documents(
        shop: Shop, client: Client, django_assert_num_queries: Any) -> None:
    as_user(client, shop.seller)
    issued(shop)
    sent_quote(shop)
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("sales:home"))
    assert len(response.context["invoice_rows"]) == 1
    for _ in range(4):
        draft(shop)
        sent_quote(shop)
    documents.create_credit_note(actor=shop.manager, invoice=Invoice.objects.filter(
        status=Invoice.Status.ISSUED).get(), today=TODAY)
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("sales:home"))
    assert len(response.context["invoice_rows"]) == 6
    assert len(response.context["quote_rows"]) == 5


# session, user, person, roles, invoices, notification count
QUEUE_QUERIES = 6


def test_the_queue_costs_the_same_queries_for_1_or_5_invoices(
        shop: Shop, client: Client, django_assert_num_queries: Any) -> None:
    as_user(client, shop.manager)
    documents.submit_invoice(actor=shop.seller, invoice=draft(shop), today=TODAY)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("sales:validation_queue"))
    assert len(response.context["invoices"]) == 1
    for _ in range(4):
        documents.submit_invoice(actor=shop.seller, invoice=draft(shop), today=TODAY)
    with django_assert_num_queries(QUEUE_QUERIES):
        response = client.get(reverse("sales:validation_queue"))
    assert len(response.context["invoices"]) == 5


def test_only_a_gestionnaire_has_a_validation_queue(shop: Shop, client: Client) -> None:
    assert as_user(client, shop.seller).get(
        reverse("sales:validation_queue")).status_code == 404
    assert as_user(client, shop.cast.user("comptable")).get(
        reverse("sales:validation_queue")).status_code == 404


# -- the new invoice form ---------------------------------------------------------------------


def test_the_new_invoice_form_is_ready_for_a_phone(shop: Shop, client: Client) -> None:
    response = as_user(client, shop.seller).get(reverse("sales:invoice_new"))
    assert response.status_code == 200
    body = response.content.decode()
    assert len(response.context["lines"].forms) == 3
    assert body.count("<legend>Ligne ") == 3
    for field in ("id_lignes-0-description", "id_lignes-0-quantity", "id_lignes-0-unit_price",
                  "id_lignes-0-vat_rate", "id_lignes-0-item", "id_customer", "id_activity"):
        assert f'for="{field}"' in body, field  # every input has its label
    assert 'inputmode="decimal"' in body
    assert "<details" in body
    assert "Plus de précisions (facultatif)" in body
    assert "Ajouter une ligne" in body
    assert 'hx-post="/ventes/factures/nouvelle/"' in body
    assert reverse("sales:customer_new") + "?next=/ventes/factures/nouvelle/" in body
    assert "Retouche d&#x27;ourlet — 12,50 € HT" in body
    # Two activities: the seller picks one; none is preselected.
    assert response.context["header"].initial.get("activity") is None


def test_the_only_activity_is_preselected_and_a_new_customer_comes_back_chosen(
        shop: Shop, client: Client) -> None:
    shop.friperie.memberships.update(left_on=TODAY)
    as_user(client, shop.seller)
    url = reverse("sales:invoice_new") + f"?client={shop.company.pk}"
    header = client.get(url).context["header"]
    assert header.initial["activity"] == shop.activity.pk
    assert header.initial["customer"] == shop.company.pk


def test_adding_a_line_keeps_what_was_typed(shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [HEM_LINE, BLANK_LINE], action="add_line", title="Mars"))
    assert response.status_code == 200
    lines = response.context["lines"]
    assert len(lines.forms) == 3
    assert lines.forms[0].initial["description"] == "Ourlet"
    assert response.context["header"].initial["title"] == "Mars"
    assert not Invoice.objects.exists()


def test_picking_a_catalogue_item_fills_its_line(shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(
        reverse("sales:invoice_new"),
        form_post(shop, [HEM_LINE, {"item": str(shop.item.pk), "quantity": "3"}],
                  action="fill"),
        HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="lignes-1-item")
    assert response.status_code == 200
    filled = response.context["lines"].forms[1].initial
    assert (filled["description"], filled["unit_price"], filled["vat_rate"],
            filled["quantity"]) == ("Retouche d'ourlet", "12,50", "20.00", "3")
    assert response.context["lines"].forms[0].initial["description"] == "Ourlet"
    assert not Invoice.objects.exists()


def test_a_catalogue_line_saved_without_javascript_takes_the_items_price(
        shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [{"item": str(shop.item.pk), "quantity": "2"}, BLANK_LINE, BLANK_LINE]))
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:invoice_detail", args=[invoice.pk])
    line = invoice.lines.get()
    assert (line.description, line.unit_price, line.is_service) == (
        "Retouche d'ourlet", Decimal("12.50"), True)
    assert invoice.total_incl_vat == Decimal("30.00")
    assert invoice.status == Invoice.Status.DRAFT


def test_an_invalid_vat_rate_posted_by_hand_is_refused_in_french(
        shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [{**HEM_LINE, "vat_rate": "7"}]))
    assert response.status_code == 400
    assert "Ligne 1 : Le taux de TVA 7 n'existe pas. Choisissez 20 %, 10 %, 5,5 % ou 2,1 %." \
        in text_of(response)
    assert not Invoice.objects.exists()


def test_a_negative_quantity_is_refused_and_names_its_line_on_screen(
        shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [BLANK_LINE, HEM_LINE, {**HEM_LINE, "quantity": "-1"}]))
    assert response.status_code == 400
    page = text_of(response)
    # The blank first line is dropped: the wrong line is the second on the redrawn form.
    assert "Ligne 2 : la quantité doit être positive" in page
    assert len(response.context["lines"].forms) == 2
    assert not Invoice.objects.exists()


def test_a_customer_of_nobody_in_reach_cannot_be_posted(shop: Shop, client: Client) -> None:
    from kpa.sales.models import Customer

    stranger = Customer.objects.create(structure=shop.cast.other_structure,
                                       kind=Customer.Kind.INDIVIDUAL, name="Loin")
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [HEM_LINE], customer=stranger.pk))
    assert response.status_code == 400
    assert "Choisissez un client de la liste." in text_of(response)


def test_someone_who_sells_for_no_activity_is_told_why(shop: Shop, client: Client) -> None:
    response = as_user(client, shop.cast.user("referent")).get(reverse("sales:invoice_new"))
    assert response.status_code == 200
    assert "Vous ne vendez pour aucune activité ouverte" in text_of(response)


# -- the whole flow through the pages ------------------------------------------------------------


def test_a_seller_drafts_the_gestionnaire_issues_from_the_queue_and_the_invoice_gets_paid(
        shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    response = client.post(reverse("sales:invoice_new"), form_post(
        shop, [HEM_LINE, BLANK_LINE, BLANK_LINE], action="submit", title="Retouches mars"),
        follow=True)
    invoice = Invoice.objects.get()
    assert invoice.status == Invoice.Status.SUBMITTED
    assert "La facture est envoyée à la structure pour validation." in text_of(response)
    assert "Demander la validation" not in text_of(response)

    queue = reverse("sales:validation_queue")
    as_user(client, shop.manager)
    page = text_of(client.get(queue))
    assert "Jeanne Martin" in page
    assert "30,00 € TTC" in page
    assert "Valider et émettre" in page
    assert reverse("sales:invoice_pdf", args=[invoice.pk]) in client.get(queue).content.decode()
    response = client.post(reverse("sales:invoice_issue", args=[invoice.pk]),
                           {"next": queue}, follow=True)
    assert response.redirect_chain[-1][0] == queue
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number == "2026-00001"
    assert f"Facture {invoice.number} est émise" in text_of(response)
    assert "Rien à valider pour l'instant." in text_of(response)

    as_user(client, shop.seller)
    detail = reverse("sales:invoice_detail", args=[invoice.pk])
    response = client.get(detail)
    assert response.context["payment_form"].initial["amount"] == "30,00"
    assert "30,00 € à encaisser avant le 28/12/2026" in text_of(response)
    assert "Modifier" not in text_of(response)
    url = reverse("sales:invoice_payment", args=[invoice.pk])
    client.post(url, {"amount": "10", "method": "cash", "received_on": "2026-11-28"})
    response = client.post(url, {"amount": "20,00", "method": "transfer",
                                 "received_on": "2026-11-28", "reference": "VIR 42"},
                           follow=True)
    page = text_of(response)
    assert "Paiement de 20,00 € enregistré. La facture est payée." in page
    assert "Payée le 28/11/2026" in page
    assert "VIR 42" in page
    assert response.context["payment_form"] is None
    invoice.refresh_from_db()
    assert invoice.paid_on == TODAY
    assert payments.balance_due(invoice) == 0
    assert Payment.objects.filter(invoice=invoice).count() == 2
    assert "facture validée et émise" in page  # the history, in plain words


def test_a_payment_above_what_is_owed_is_refused_on_the_form(shop: Shop,
                                                             client: Client) -> None:
    invoice = issued(shop)
    response = as_user(client, shop.seller).post(
        reverse("sales:invoice_payment", args=[invoice.pk]),
        {"amount": "31", "method": "cheque", "received_on": "2026-11-28"})
    assert response.status_code == 400
    assert "Il reste 30,00 € à encaisser sur cette facture." in text_of(response)
    assert not Payment.objects.exists()


def test_a_seller_self_validates_within_the_ceiling_and_not_above(shop: Shop,
                                                                  client: Client) -> None:
    services.grant_selling_right(actor=shop.manager, structure=shop.cast.cae,
                                 person=shop.cast.cooperant, ceiling="50", today=TODAY)
    small, large = draft(shop, quantity=2), draft(shop, quantity=10)
    as_user(client, shop.seller)
    assert "Valider et émettre" in text_of(
        client.get(reverse("sales:invoice_detail", args=[small.pk])))
    assert "Valider et émettre" not in text_of(
        client.get(reverse("sales:invoice_detail", args=[large.pk])))
    client.post(reverse("sales:invoice_issue", args=[small.pk]))
    small.refresh_from_db()
    assert small.status == Invoice.Status.ISSUED
    assert small.issued_by == shop.seller
    response = client.post(reverse("sales:invoice_issue", args=[large.pk]), follow=True)
    assert "dépasse votre plafond d'auto-validation" in text_of(response)
    large.refresh_from_db()
    assert large.status == Invoice.Status.DRAFT
    assert not large.number


def test_editing_an_issued_invoice_is_refused_in_french(shop: Shop, client: Client) -> None:
    invoice = issued(shop)
    edit = reverse("sales:invoice_edit", args=[invoice.pk])
    as_user(client, shop.seller)
    response = client.get(edit, follow=True)
    assert "est émise : elle ne change plus. Pour la corriger, faites un avoir." in text_of(
        response)
    response = client.post(edit, form_post(shop, [{**HEM_LINE, "quantity": "9"}]))
    assert response.status_code == 400
    assert "ne change plus et ne se supprime pas" in text_of(response)
    response = client.post(reverse("sales:invoice_delete", args=[invoice.pk]), follow=True)
    assert "ne change plus et ne se supprime pas" in text_of(response)
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == Decimal("30.00")
    assert invoice.lines.count() == 1


def test_a_draft_is_edited_then_deleted(shop: Shop, client: Client) -> None:
    invoice = draft(shop)
    as_user(client, shop.seller)
    edit = reverse("sales:invoice_edit", args=[invoice.pk])
    assert client.get(edit).context["lines"].forms[0].initial["quantity"] == "2"
    client.post(edit, form_post(shop, [{**HEM_LINE, "quantity": "3"}], customer=shop.company.pk))
    invoice.refresh_from_db()
    assert invoice.total_incl_vat == Decimal("45.00")
    assert invoice.customer == shop.company
    response = client.post(reverse("sales:invoice_delete", args=[invoice.pk]), follow=True)
    assert "Le brouillon est supprimé." in text_of(response)
    assert not Invoice.objects.exists()


# -- PDFs -------------------------------------------------------------------------------------


def test_an_issued_invoice_serves_its_stored_pdf_byte_for_byte(shop: Shop,
                                                               client: Client) -> None:
    invoice = issued(shop)
    response = as_user(client, shop.seller).get(reverse("sales:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(invoice.pdf)
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]


def test_a_draft_is_previewed_as_a_pdf_and_numbers_nothing(shop: Shop,
                                                           client: Client) -> None:
    invoice = draft(shop)
    response = as_user(client, shop.manager).get(
        reverse("sales:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert not DocumentSequence.objects.exists()
    invoice.refresh_from_db()
    assert invoice.pdf is None
    assert not invoice.number


def test_a_preview_when_nobody_may_sell_says_why_instead(shop: Shop, client: Client) -> None:
    invoice = draft(shop)
    InsuranceEntry.objects.update(answer=InsuranceEntry.Answer.PENDING)
    response = as_user(client, shop.seller).get(
        reverse("sales:invoice_pdf", args=[invoice.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sales:invoice_detail", args=[invoice.pk])
    assert "n'est pas encore confirmée par l'assureur" in text_of(response)


# -- credit notes ----------------------------------------------------------------------------


def test_a_credit_note_larger_than_its_invoice_is_refused(shop: Shop, client: Client) -> None:
    invoice = issued(shop)
    url = reverse("sales:invoice_credit_note", args=[invoice.pk])
    as_user(client, shop.manager)
    assert client.get(url).status_code == 200
    data = form_post(shop, [{"description": "Remise", "quantity": "1", "unit_price": "100"}],
                     scope="part", title="")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "dépasse ce qui reste à corriger sur la facture 2026-00001 (30,00 €)" in text_of(
        response)
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


def test_a_partial_credit_note_goes_through_the_queue_and_lowers_what_is_owed(
        shop: Shop, client: Client) -> None:
    invoice = issued(shop)
    as_user(client, shop.manager)
    data = form_post(shop, [{"description": "Remise", "quantity": "1", "unit_price": "5"}],
                     scope="part", title="Geste commercial")
    response = client.post(reverse("sales:invoice_credit_note", args=[invoice.pk]), data,
                           follow=True)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.total_incl_vat == Decimal("6.00")
    assert note.credited_invoice == invoice
    assert "L'avoir est préparé" in text_of(response)
    assert response.context["invoice"] == note
    assert note.pk in [i.pk for i in client.get(
        reverse("sales:validation_queue")).context["invoices"]]
    client.post(reverse("sales:invoice_issue", args=[note.pk]))
    note.refresh_from_db()
    assert note.number == "AV2026-00001"
    page = text_of(client.get(reverse("sales:invoice_detail", args=[invoice.pk])))
    assert "24,00 € à encaisser" in page


def test_a_credit_note_on_a_paid_invoice_is_refunded_from_its_page(shop: Shop,
                                                                    client: Client) -> None:
    invoice = issued(shop)
    payments.record_payment(actor=shop.seller, invoice=invoice, amount="30.00",
                            method="card", received_on=TODAY, today=TODAY)
    note = documents.issue_invoice(
        actor=shop.manager, today=TODAY,
        invoice=documents.create_credit_note(actor=shop.manager, invoice=invoice, today=TODAY))
    as_user(client, shop.seller)
    response = client.get(reverse("sales:invoice_detail", args=[note.pk]))
    assert "30,00 € à rembourser" in text_of(response)
    assert response.context["payment_form"].initial["amount"] == "30,00"
    client.post(reverse("sales:invoice_payment", args=[note.pk]),
                {"amount": "30,00", "method": "card", "received_on": "2026-11-28"})
    note.refresh_from_db()
    assert note.amount_paid == Decimal("30.00")
    response = client.get(reverse("sales:invoice_detail", args=[note.pk]))
    assert response.context["payment_form"] is None
    assert "Avoir émis le 28/11/2026" in text_of(response)


def test_a_payment_posted_on_a_draft_is_refused_as_a_message(shop: Shop,
                                                             client: Client) -> None:
    invoice = draft(shop)
    response = as_user(client, shop.seller).post(
        reverse("sales:invoice_payment", args=[invoice.pk]),
        {"amount": "30", "method": "cash", "received_on": "2026-11-28"}, follow=True)
    assert "On enregistre un paiement sur une facture émise." in text_of(response)
    assert not Payment.objects.exists()


def test_only_the_gestionnaire_makes_a_credit_note(shop: Shop, client: Client) -> None:
    invoice = issued(shop)
    as_user(client, shop.seller)
    assert "Faire un avoir" not in text_of(
        client.get(reverse("sales:invoice_detail", args=[invoice.pk])))
    assert client.get(reverse("sales:invoice_credit_note",
                              args=[invoice.pk])).status_code == 404
    assert client.post(reverse("sales:invoice_credit_note", args=[invoice.pk]),
                       {"scope": "all"}).status_code == 404
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()


# -- quotes ------------------------------------------------------------------------------------


def test_a_quote_is_written_sent_signed_and_invoiced_through_its_page(
        shop: Shop, client: Client) -> None:
    as_user(client, shop.seller)
    client.post(reverse("sales:quote_new"), form_post(
        shop, [{**HEM_LINE, "quantity": "10"}], title="Costumes"))
    quote = Quote.objects.get()
    detail = reverse("sales:quote_detail", args=[quote.pk])
    assert "Envoyer au client" in text_of(client.get(detail))
    response = client.post(reverse("sales:quote_send", args=[quote.pk]), follow=True)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert quote.number == "D2026-00001"
    link = "http://testserver" + reverse("sales:quote_accept", args=[quote.acceptance_token])
    assert f'value="{link}"' in response.content.decode()
    assert "Le devis D2026-00001 est envoyé par e-mail à Jeanne Martin" in text_of(response)

    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("sales:quote_signed", args=[quote.pk]), {
        "file": SimpleUploadedFile("signe.pdf", b"%PDF-1.4 signed"), "signed_by": ""},
        follow=True)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    assert quote.accepted_by_name == "Jeanne Martin"
    assert "Le devis signé est déposé" in text_of(response)
    copy = client.get(reverse("sales:quote_signed_copy", args=[quote.pk]))
    assert copy.content == b"%PDF-1.4 signed"

    response = client.post(reverse("sales:quote_deposit", args=[quote.pk]), {"percent": "30"},
                           follow=True)
    deposit = Invoice.objects.get(kind=Invoice.Kind.DEPOSIT)
    assert deposit.total_incl_vat == Decimal("45.00")
    assert response.redirect_chain[-1][0] == reverse("sales:invoice_detail", args=[deposit.pk])
    client.post(reverse("sales:quote_invoice", args=[quote.pk]))
    final = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    assert final.quote == quote
    assert final.total_incl_vat == Decimal("150.00")
    page = text_of(client.get(detail))
    assert "Faire la facture" not in page
    assert "Facture d'acompte" in page


def test_a_deposit_above_100_percent_is_refused_in_french(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    documents.accept_quote_by_link(token=quote.acceptance_token, name="Jeanne", today=TODAY)
    response = as_user(client, shop.seller).post(
        reverse("sales:quote_deposit", args=[quote.pk]), {"percent": "120"}, follow=True)
    assert "Un acompte est un pourcentage entre 1 et 99." in text_of(response)
    assert not Invoice.objects.exists()


def test_a_sent_quote_is_refused_and_no_longer_edited(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    as_user(client, shop.seller)
    response = client.get(reverse("sales:quote_edit", args=[quote.pk]), follow=True)
    assert "il ne change plus" in text_of(response)
    client.post(reverse("sales:quote_refuse", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.status == Quote.Status.REFUSED
    assert "Refusé le 28/11/2026" in text_of(
        client.get(reverse("sales:quote_detail", args=[quote.pk])))


def test_a_quote_pdf_is_served(shop: Shop, client: Client) -> None:
    quote = sent_quote(shop)
    response = as_user(client, shop.seller).get(reverse("sales:quote_pdf", args=[quote.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert 'filename="D2026-00001.pdf"' in response["Content-Disposition"]


# -- out of reach --------------------------------------------------------------------------------


def test_the_outsider_gets_404_on_every_document_page(shop: Shop, client: Client) -> None:
    invoice = issued(shop)
    note_draft = draft(shop)
    quote = sent_quote(shop)
    documents.record_signed_quote(actor=shop.seller, quote=quote, content=b"%PDF-1.4 x",
                                  signed_by="", today=TODAY)
    audit_before = AuditEvent.objects.count()
    as_user(client, shop.cast.user("outsider"))
    gets = [reverse(name, args=[pk]) for name, pk in [
        ("sales:invoice_detail", invoice.pk), ("sales:invoice_edit", note_draft.pk),
        ("sales:invoice_pdf", invoice.pk), ("sales:invoice_pdf", note_draft.pk),
        ("sales:invoice_credit_note", invoice.pk), ("sales:quote_detail", quote.pk),
        ("sales:quote_edit", quote.pk), ("sales:quote_pdf", quote.pk),
        ("sales:quote_signed_copy", quote.pk)]]
    posts = [reverse(name, args=[pk]) for name, pk in [
        ("sales:invoice_submit", note_draft.pk), ("sales:invoice_issue", note_draft.pk),
        ("sales:invoice_delete", note_draft.pk), ("sales:invoice_payment", invoice.pk),
        ("sales:invoice_credit_note", invoice.pk), ("sales:invoice_edit", note_draft.pk),
        ("sales:quote_send", quote.pk), ("sales:quote_refuse", quote.pk),
        ("sales:quote_invoice", quote.pk), ("sales:quote_deposit", quote.pk),
        ("sales:quote_signed", quote.pk), ("sales:quote_delete", quote.pk)]]
    for url in gets:
        assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"amount": "1", "method": "cash", "percent": "10",
                                 "received_on": "2026-11-28"}).status_code == 404, url
    assert client.get(reverse("sales:validation_queue")).status_code == 404
    page = text_of(client.get(reverse("sales:home")))
    assert "Jeanne Martin" not in page
    assert AuditEvent.objects.count() == audit_before


def test_a_reader_of_the_kpa_sees_an_invoice_but_may_not_act_on_it(
        shop: Shop, client: Client) -> None:
    invoice = draft(shop)
    as_user(client, shop.cast.user("referent"))
    response = client.get(reverse("sales:invoice_detail", args=[invoice.pk]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Modifier" not in page
    assert "Valider et émettre" not in page
    assert client.post(reverse("sales:invoice_submit", args=[invoice.pk])).status_code == 404
    assert client.get(reverse("sales:invoice_edit", args=[invoice.pk])).status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.DRAFT



def test_mes_ventes_leads_to_the_tills_of_the_member_s_activities(client: Client,
                                                                  shop: Shop) -> None:
    client.force_login(shop.seller)
    response = client.get(reverse("sales:home"))
    for activity in (shop.activity, shop.friperie):
        assert reverse("sales:till_list", args=[activity.pk]).encode() in response.content
    client.force_login(shop.manager)
    response = client.get(reverse("sales:home"))
    assert reverse("sales:till_list", args=[shop.friperie.pk]).encode() not in response.content
