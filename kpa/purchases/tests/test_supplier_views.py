"""The supplier pages through the test client: the coopérant sends a supplier's PDF from a
phone and sees what was read in it; the gestionnaire checks the lines, posts and records the
payment; anyone outside the structure and the activity gets 404 everywhere. Lists cost the
same number of queries whatever their length."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.ledger.treasury_accounts import common_account_for
from kpa.purchases import suppliers
from kpa.purchases.models import ExpenseCategory, Supplier, SupplierInvoice
from kpa.purchases.suppliers import SupplierLineInput
from kpa.purchases.tests.test_supplier_helpers import (
    ISSUED_ON,
    blank_pdf,
    posted,
    supplier_pdf,
    uploaded,
)
from kpa.sales.tests.conftest import Shop


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)


def as_persona(cast: Cast, persona: str) -> Client:
    client = Client()
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("\u202f", " ").split())


def url(name: str, *args: int) -> str:
    return reverse(f"purchases:{name}", args=args)


def pdf_file(content: bytes, name: str = "facture.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# -- the coopérant's way ---------------------------------------------------------------------

def test_the_cooperant_uploads_a_factur_x_pdf_and_sees_what_was_read(shop: Shop) -> None:
    client = as_persona(shop.cast, "cooperant")

    page = client.get(url("supplier_invoice_upload"))
    assert page.status_code == 200
    assert 'accept="application/pdf,.pdf"' in page.content.decode()
    response = client.post(url("supplier_invoice_upload"), {
        "pdf": pdf_file(supplier_pdf()), "activity": shop.activity.pk})

    invoice = SupplierInvoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("supplier_invoice_detail", invoice.pk)
    detail = text_of(client.get(response["Location"]))
    assert "Facture F-2026-077 de Tissus du Nord" in detail
    assert "Lu dans la facture électronique" in detail
    assert "profil EN 16931" in detail
    assert "110,00 € HT, 20,55 € de TVA, 130,55 € TTC" in detail
    assert "Les lignes de la facture donnent ces totaux" in detail
    assert "Vérifier et compléter" in detail
    assert "Comptabiliser" not in detail.replace(
        "puis comptabiliser", "")


def test_a_plain_pdf_asks_for_supplier_number_and_date(shop: Shop) -> None:
    client = as_persona(shop.cast, "cooperant")

    refused = client.post(url("supplier_invoice_upload"), {
        "pdf": pdf_file(blank_pdf()), "activity": shop.activity.pk})
    assert refused.status_code == 400
    assert "donnez le nom du fournisseur, le numéro et la date" in text_of(refused)
    assert not SupplierInvoice.objects.exists()

    done = client.post(url("supplier_invoice_upload"), {
        "pdf": pdf_file(blank_pdf()), "activity": shop.activity.pk,
        "supplier_name": "Mercerie du Centre", "number": "A-12", "issued_on": "2026-11-20"})
    assert done.status_code == 302
    assert SupplierInvoice.objects.get().supplier.name == "Mercerie du Centre"


def test_a_photo_is_refused_on_the_upload_page(shop: Shop) -> None:
    response = as_persona(shop.cast, "cooperant").post(url("supplier_invoice_upload"), {
        "pdf": SimpleUploadedFile("ticket.png", b"\x89PNG\r\n\x1a\n" + b"0" * 40),
        "activity": shop.activity.pk, "supplier_name": "X", "number": "1",
        "issued_on": "2026-11-20"})
    assert response.status_code == 400
    assert "en PDF" in text_of(response)


def test_the_cooperant_completes_the_lines_of_a_draft(shop: Shop) -> None:
    invoice = uploaded(shop)
    client = as_persona(shop.cast, "cooperant")
    assert client.get(url("supplier_invoice_edit", invoice.pk)).status_code == 200

    response = client.post(url("supplier_invoice_edit", invoice.pk), {
        "number": "F-2026-077", "issued_on": "2026-11-03", "due_on": "",
        "activity": shop.activity.pk,
        "lignes-TOTAL_FORMS": "3", "lignes-INITIAL_FORMS": "2",
        "lignes-MIN_NUM_FORMS": "0", "lignes-MAX_NUM_FORMS": "200",
        "lignes-0-description": "Coupon de wax", "lignes-0-category": "raw_materials",
        "lignes-0-amount_excl_vat": "100,00", "lignes-0-vat_rate": "20",
        "lignes-1-description": "Fil à coudre", "lignes-1-category": "supplies",
        "lignes-1-amount_excl_vat": "10", "lignes-1-vat_rate": "5,5",
        "lignes-2-description": "", "lignes-2-category": "other",
        "lignes-2-amount_excl_vat": "", "lignes-2-vat_rate": "20",
    })

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert [ln.category for ln in invoice.lines.all()] == ["raw_materials", "supplies"]
    assert invoice.total_incl_vat == Decimal("130.55")
    assert invoice.due_on is None


def test_a_bad_line_comes_back_on_the_form(shop: Shop) -> None:
    invoice = uploaded(shop)
    response = as_persona(shop.cast, "cooperant").post(url("supplier_invoice_edit", invoice.pk), {
        "number": "F-2026-077", "issued_on": "2026-11-03", "activity": shop.activity.pk,
        "lignes-TOTAL_FORMS": "1", "lignes-INITIAL_FORMS": "0",
        "lignes-MIN_NUM_FORMS": "0", "lignes-MAX_NUM_FORMS": "200",
        "lignes-0-description": "", "lignes-0-category": "other",
        "lignes-0-amount_excl_vat": "12", "lignes-0-vat_rate": "20"})
    assert response.status_code == 400
    assert "Ligne 1 : décrivez ce qui a été acheté." in text_of(response)
    assert invoice.lines.count() == 2


def test_lines_that_leave_the_factur_x_totals_are_flagged(shop: Shop) -> None:
    invoice = uploaded(shop)
    suppliers.update_supplier_invoice(
        actor=shop.seller, invoice=invoice, today=shop.today,
        lines=[SupplierLineInput("Coupon", ExpenseCategory.RAW_MATERIALS, "100", "20")])
    detail = text_of(as_persona(shop.cast, "gestionnaire").get(
        url("supplier_invoice_detail", invoice.pk)))
    assert "ce ne sont pas les totaux de la facture électronique" in detail


# -- the gestionnaire's way ------------------------------------------------------------------

def test_the_gestionnaire_posts_then_records_the_payment(shop: Shop) -> None:
    invoice = uploaded(shop)
    client = as_persona(shop.cast, "gestionnaire")
    assert "Comptabiliser" in text_of(client.get(url("supplier_invoice_detail", invoice.pk)))

    client.post(url("supplier_invoice_post", invoice.pk))
    invoice.refresh_from_db()
    assert invoice.status == SupplierInvoice.Status.POSTED
    detail = text_of(client.get(url("supplier_invoice_detail", invoice.pk)))
    assert "La facture est comptabilisée." in detail
    assert "Payée : 130,55 € par la banque" in detail

    client.post(url("supplier_invoice_pay", invoice.pk), {"paid_on": "2026-11-25"})
    invoice.refresh_from_db()
    assert invoice.status == SupplierInvoice.Status.PAID
    assert "Payée le 25/11/2026" in text_of(client.get(url("supplier_invoice_detail",
                                                             invoice.pk)))


def test_a_refused_posting_says_why(shop: Shop) -> None:
    invoice = uploaded(shop, blank_pdf(), supplier_name="Mercerie", number="A1",
                       issued_on=ISSUED_ON)
    client = as_persona(shop.cast, "gestionnaire")
    response = client.post(url("supplier_invoice_post", invoice.pk), follow=True)
    assert "Ajoutez les lignes de la facture" in text_of(response)


def test_the_cooperant_neither_posts_nor_pays(shop: Shop) -> None:
    invoice = uploaded(shop)
    client = as_persona(shop.cast, "cooperant")
    assert client.post(url("supplier_invoice_post", invoice.pk)).status_code == 404
    posted_invoice = posted(shop, supplier_pdf(number="F-2"))
    assert client.post(url("supplier_invoice_pay", posted_invoice.pk),
                       {"paid_on": "2026-11-25"}).status_code == 404
    posted_invoice.refresh_from_db()
    assert posted_invoice.status == SupplierInvoice.Status.POSTED


def test_the_pdf_comes_back_as_uploaded(shop: Shop) -> None:
    pdf = supplier_pdf()
    invoice = uploaded(shop, pdf)
    response = as_persona(shop.cast, "cooperant").get(url("supplier_invoice_pdf", invoice.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == pdf
    assert 'filename="facture-fournisseur-F-2026-077.pdf"' in response["Content-Disposition"]


def test_the_outsider_meets_404_everywhere(shop: Shop) -> None:
    invoice = posted(shop)
    supplier = Supplier.objects.get()
    client = as_persona(shop.cast, "outsider")
    for path in (url("supplier_invoice_detail", invoice.pk),
                 url("supplier_invoice_edit", invoice.pk),
                 url("supplier_invoice_pdf", invoice.pk), url("supplier_list"),
                 url("supplier_new"), url("supplier_detail", supplier.pk),
                 url("supplier_edit", supplier.pk), url("supplier_invoice_upload")):
        assert client.get(path).status_code == 404, path
    for path in (url("supplier_invoice_post", invoice.pk),
                 url("supplier_invoice_pay", invoice.pk)):
        assert client.post(path, {"paid_on": "2026-11-25"}).status_code == 404, path
    listing = client.get(url("supplier_invoice_list"))
    assert listing.status_code == 200
    assert "Tissus" not in text_of(listing)


def test_a_cooperant_does_not_see_the_supplier_records(shop: Shop) -> None:
    uploaded(shop)
    client = as_persona(shop.cast, "cooperant")
    assert client.get(url("supplier_list")).status_code == 404
    assert client.get(url("supplier_detail", Supplier.objects.get().pk)).status_code == 404


# -- lists -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("persona", "queries"), [("gestionnaire", 9), ("cooperant", 8)])
def test_the_invoice_list_costs_the_same_queries_for_one_or_many(
        shop: Shop, persona: str, queries: int, django_assert_num_queries: Any) -> None:
    uploaded(shop)
    client = as_persona(shop.cast, persona)
    client.get(url("supplier_invoice_list"))  # warm the session
    with django_assert_num_queries(queries):
        one = client.get(url("supplier_invoice_list"))
    for number in range(2, 6):
        uploaded(shop, supplier_pdf(number=f"F-{number}"))
    posted(shop, supplier_pdf(number="F-9"))
    with django_assert_num_queries(queries):
        many = client.get(url("supplier_invoice_list"))
    assert text_of(one).count("Tissus du Nord —") == 1
    assert text_of(many).count("Tissus du Nord —") == 6
    assert "À vérifier 5" in text_of(many)
    assert "Comptabilisées 1" in text_of(many)
    drafts = client.get(url("supplier_invoice_list"), {"etat": "draft"})
    assert text_of(drafts).count("Tissus du Nord —") == 5


def test_the_supplier_list_costs_the_same_queries_for_one_or_many(
        shop: Shop, django_assert_num_queries: Any) -> None:
    client = as_persona(shop.cast, "comptable")
    suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae, today=shop.today,
                              name="Mercerie 0")
    client.get(url("supplier_list"))
    with django_assert_num_queries(8):
        client.get(url("supplier_list"))
    for n in range(1, 6):
        suppliers.create_supplier(actor=shop.manager, structure=shop.cast.cae,
                                  today=shop.today, name=f"Mercerie {n}")
    with django_assert_num_queries(8):
        response = client.get(url("supplier_list"))
    assert text_of(response).count("Mercerie") == 6
    found = client.get(url("supplier_list"), {"q": "mercerie 3"})
    assert text_of(found).count("Mercerie") == 1


# -- supplier records ------------------------------------------------------------------------

def test_the_comptable_creates_and_corrects_a_supplier(shop: Shop) -> None:
    client = as_persona(shop.cast, "comptable")
    refused = client.post(url("supplier_new"), {"name": "Tissus", "siren": "123456789",
                                                "country": "FR"})
    assert refused.status_code == 400
    assert "n'est pas un SIREN valide" in text_of(refused)

    created = client.post(url("supplier_new"), {"name": "Tissus du Nord",
                                                "siren": "732 829 320", "country": "FR"})
    supplier = Supplier.objects.get()
    assert created["Location"] == url("supplier_detail", supplier.pk)
    assert supplier.siren == "732829320"

    client.post(url("supplier_edit", supplier.pk), {"name": "Tissus du Nord SAS",
                                                    "siren": "732829320", "country": "FR",
                                                    "city": "Roubaix"})
    supplier.refresh_from_db()
    assert (supplier.name, supplier.city) == ("Tissus du Nord SAS", "Roubaix")
    assert "Tissus du Nord SAS" in text_of(client.get(url("supplier_detail", supplier.pk)))


def test_the_gestionnaire_records_a_purchase_of_the_structure_itself(shop: Shop) -> None:
    client = as_persona(shop.cast, "gestionnaire")
    page = client.get(url("supplier_invoice_upload")).content.decode()
    assert "Aucune : un achat de la structure" in page
    assert f'type="hidden" name="structure" value="{shop.cast.cae.pk}"' in page

    response = client.post(url("supplier_invoice_upload"), {
        "pdf": pdf_file(supplier_pdf()), "activity": "", "structure": shop.cast.cae.pk})

    assert response.status_code == 302
    invoice = SupplierInvoice.objects.get()
    assert invoice.activity is None
    assert invoice.structure == shop.cast.cae
    pot = common_account_for(shop.cast.home, actor=shop.manager)
    edit = client.get(url("supplier_invoice_edit", invoice.pk)).content.decode()
    assert "Tissus du Nord" in edit
    assert pot.label in edit
    lines = {"lignes-TOTAL_FORMS": "2", "lignes-INITIAL_FORMS": "2",
             "lignes-MIN_NUM_FORMS": "0", "lignes-MAX_NUM_FORMS": "200"}
    for index, line in enumerate(invoice.lines.all()):
        lines |= {f"lignes-{index}-description": line.description,
                  f"lignes-{index}-category": "supplies",
                  f"lignes-{index}-amount_excl_vat": str(line.amount_excl_vat),
                  f"lignes-{index}-vat_rate": str(line.vat_rate)}
    saved = client.post(url("supplier_invoice_edit", invoice.pk), {
        "supplier": invoice.supplier_id, "number": invoice.number, "issued_on": "2026-11-03",
        "activity": "", "treasury_account": pot.pk, **lines})
    assert saved.status_code == 302
    invoice.refresh_from_db()
    assert invoice.treasury_account == pot
