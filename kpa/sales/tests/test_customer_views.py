"""The customer, catalogue and selling-settings pages, driven through the test client.

Customers belong to a structure and are shared by its activities: its sellers and the
gestionnaire change them, the comptable reads them, anyone else gets 404. The catalogue is an
activity's; the settings and self-validation rights are the gestionnaire's only. Lists cost
the same number of queries however long they grow.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from conftest import SECRET_MARKER, TODAY, Cast
from kpa.core import dates
from kpa.core.models import AuditEvent
from kpa.directory.models import Activity, RoleKind, Structure
from kpa.directory.tests.factories import give_role
from kpa.ledger.models import FiscalYear
from kpa.sales import payments
from kpa.sales.models import (
    CatalogItem,
    Contact,
    Customer,
    DocumentSequence,
    Invoice,
    Quote,
    SalesSettings,
    SellingRight,
)
from kpa.sales.tests.conftest import VALID_SIREN, VALID_SIRET, Shop


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
    return " ".join(without_tags.replace("&#x27;", "'").replace("\u202f", " ").split())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def url(name: str, *args: int) -> str:
    return reverse(f"sales:{name}", args=args)


COMPANY_POST = {"kind": "company", "name": "Boulangerie Nord", "siren": "732 829 320",
                "siret": "", "vat_number": "", "electronic_address": "", "email": "",
                "phone": "", "address": "3 rue du Four", "postcode": "59100", "city": "Roubaix",
                "country": "FR", "note": ""}


def issued(shop: Shop, *, number: str, total: str, paid: str = "0", kind: str = "invoice",
           credited: Invoice | None = None, due_on: dt.date | None = None,
           activity: Activity | None = None, customer: Customer | None = None) -> Invoice:
    """An issued document written straight to the table: issuing has its own tests; here only
    the amounts the customer page adds up matter."""
    return Invoice.objects.create(
        structure=shop.cast.cae, activity=activity or shop.activity,
        customer=customer or shop.company, created_by=shop.seller, kind=kind,
        status=Invoice.Status.ISSUED, number=number, issued_on=TODAY, due_on=due_on,
        total_incl_vat=Decimal(total), amount_paid=Decimal(paid), credited_invoice=credited)


# -- creating and changing a customer --------------------------------------------------------

def test_the_new_customer_page_first_asks_the_kind(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    page = client.get(url("customer_new"), {"next": "/ventes/factures/nouvelle/"})
    words = text_of(page)
    assert page.status_code == 200
    for label in ["Entreprise", "Organisme public", "Association", "Particulier"]:
        assert label in words
    assert "kind=individual&amp;next=%2Fventes%2Ffactures%2Fnouvelle%2F" in (
        page.content.decode())


def test_a_company_is_asked_its_siren_and_told_why(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    page = client.get(url("customer_new"), {"kind": "company"})
    html = page.content.decode()
    assert 'name="siren"' in html
    assert 'name="vat_number"' in html
    assert 'name="siret"' in html
    assert ("obligatoire sur les factures aux professionnels depuis la réforme"
            in text_of(page))
    assert "Raison sociale" in text_of(page)


def test_an_individual_is_asked_only_name_address_and_contact(shop: Shop,
                                                               client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    html = client.get(url("customer_new"), {"kind": "individual"}).content.decode()
    assert 'name="siren"' not in html
    assert 'name="vat_number"' not in html
    for name in ["name", "address", "postcode", "city", "email"]:
        assert f'name="{name}"' in html
    assert 'name="structure"' not in html  # the coopérant sells for one structure only


def test_a_seller_creates_a_company_and_lands_on_its_page(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_new") + "?kind=company", COMPANY_POST)
    customer = Customer.objects.get(name="Boulangerie Nord")
    assert response.status_code == 302
    assert response["Location"] == url("customer_detail", customer.pk)
    assert (customer.structure, customer.siren, customer.kind) == (
        shop.cast.cae, VALID_SIREN, "company")
    assert AuditEvent.objects.filter(action="sales.customer.created",
                                     actor=shop.seller).count() == 1
    assert "Le client est enregistré." in messages_of(response)


def test_a_refused_siren_shows_on_its_field_and_writes_nothing(shop: Shop,
                                                               client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_new"), {**COMPANY_POST, "siren": "123456789"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="id_siren_error"><li>« 123456789 » n&#x27;est pas un SIREN valide',
                     html)
    assert 'value="Boulangerie Nord"' in html
    assert not Customer.objects.filter(name="Boulangerie Nord").exists()
    assert not AuditEvent.objects.filter(action="sales.customer.created").exists()


def test_a_company_without_siren_is_refused_on_the_page(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_new"), {**COMPANY_POST, "siren": ""})
    assert response.status_code == 400
    assert "se facture avec son SIREN" in text_of(response)


def test_an_individual_is_created_without_identifiers(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_new"), {
        "kind": "individual", "name": "Fatou Sow", "siren": VALID_SIREN,
        "email": "fatou@example.test", "address": "1 rue", "postcode": "59100",
        "city": "Roubaix", "country": "FR"})
    assert response.status_code == 302
    customer = Customer.objects.get(name="Fatou Sow")
    assert (customer.kind, customer.siren) == ("individual", "")


@pytest.mark.parametrize(("given", "expected"), [
    ("/ventes/factures/nouvelle/?activite=3", "/ventes/factures/nouvelle/?activite=3&client="),
    ("/ventes/factures/nouvelle/?client=9&activite=3",
     "/ventes/factures/nouvelle/?activite=3&client="),
    ("/ventes/factures/nouvelle/", "/ventes/factures/nouvelle/?client="),
])
def test_next_returns_to_the_invoice_form_with_the_new_customer(
        shop: Shop, client: Client, given: str, expected: str) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_new"), {**COMPANY_POST, "next": given})
    customer = Customer.objects.get(name="Boulangerie Nord")
    assert response.status_code == 302
    assert response["Location"] == f"{expected}{customer.pk}"


@pytest.mark.parametrize("given", ["https://evil.example/", "//evil.example/factures/",
                                   "/\\evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_site(shop: Shop, client: Client, given: str) -> None:
    as_persona(client, shop.cast, "cooperant")
    for kind in ["", "company"]:
        page = client.get(url("customer_new"), {"kind": kind, "next": given})
        main = page.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
        assert 'name="next"' not in main
        assert "evil.example" not in main
    response = client.post(url("customer_new"), {**COMPANY_POST, "next": given})
    customer = Customer.objects.get(name="Boulangerie Nord")
    assert response["Location"] == url("customer_detail", customer.pk)


def test_a_gestionnaire_of_two_structures_picks_the_structure(shop: Shop,
                                                              client: Client) -> None:
    other = shop.cast.other_structure
    give_role(shop.cast.gestionnaire, RoleKind.GESTIONNAIRE, other,
              starts_on=dt.date(2026, 1, 5))
    as_persona(client, shop.cast, "gestionnaire")
    page = client.get(url("customer_new"), {"kind": "individual", "structure": other.pk})
    assert re.search(rf'<option value="{other.pk}" selected>', page.content.decode())
    response = client.post(url("customer_new"), {
        "kind": "individual", "name": "Client Ailleurs", "country": "FR",
        "structure": str(other.pk)})
    assert response.status_code == 302
    assert Customer.objects.get(name="Client Ailleurs").structure == other


def test_a_structure_out_of_reach_cannot_be_picked(shop: Shop, client: Client) -> None:
    give_role(shop.cast.gestionnaire, RoleKind.GESTIONNAIRE, shop.cast.other_structure,
              starts_on=dt.date(2026, 1, 5))
    stranger = Structure.objects.create(
        network=shop.cast.network, name="Loin", kind=Structure.Kind.CAE, siren="552100554",
        siret="55210055400013", vat_regime=Structure.VatRegime.NORMAL,
        chart_template=Structure.ChartTemplate.PCG)
    as_persona(client, shop.cast, "gestionnaire")
    response = client.post(url("customer_new"), {
        "kind": "individual", "name": "Intrus", "country": "FR", "structure": str(stranger.pk)})
    assert response.status_code == 400
    assert not Customer.objects.filter(name="Intrus").exists()


def test_editing_a_customer_into_an_individual_clears_its_identifiers(
        shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    customer = shop.company
    page = client.get(url("customer_edit", customer.pk))
    assert f'value="{VALID_SIRET}"' in page.content.decode()
    response = client.post(url("customer_edit", customer.pk) + "?kind=individual", {
        "kind": "individual", "name": "Jean Dupont", "country": "FR", "city": "Lille"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.kind, customer.name, customer.siren, customer.siret,
            customer.vat_number) == ("individual", "Jean Dupont", "", "", "")


def test_a_refused_edit_keeps_the_customer(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    response = client.post(url("customer_edit", shop.company.pk),
                           {**COMPANY_POST, "vat_number": "FR00732829320"})
    assert response.status_code == 400
    assert "n'est pas un numéro de TVA intracommunautaire valide" in text_of(response)
    shop.company.refresh_from_db()
    assert shop.company.name == "Mairie de Roubaix"


def test_archiving_a_customer_hides_it_from_the_list(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_archive", shop.company.pk))
    assert response.status_code == 302
    shop.company.refresh_from_db()
    assert shop.company.archived_at is not None
    assert "Mairie de Roubaix" not in text_of(client.get(url("customer_list")))
    assert "Mairie de Roubaix" in text_of(client.get(url("customer_list"), {"archived": "on"}))


# -- the customer's page ---------------------------------------------------------------------

def test_the_customer_page_adds_up_what_is_due(shop: Shop, client: Client) -> None:
    late = issued(shop, number="2026-00001", total="120.00", paid="20.00",
                  due_on=TODAY - dt.timedelta(days=3))
    issued(shop, number="AV2026-00001", total="30.00", kind="credit_note", credited=late)
    issued(shop, number="2026-00002", total="50.00", due_on=TODAY + dt.timedelta(days=30))
    issued(shop, number="2026-00003", total="10.00", paid="10.00", activity=shop.friperie)
    Invoice.objects.create(structure=shop.cast.cae, activity=shop.activity,
                           customer=shop.company, created_by=shop.seller,
                           total_incl_vat=Decimal("999.00"))
    Quote.objects.create(structure=shop.cast.cae, activity=shop.activity,
                         customer=shop.company, created_by=shop.seller, title="Rideaux",
                         total_incl_vat=Decimal("300.00"))
    as_persona(client, shop.cast, "cooperant")
    words = text_of(client.get(url("customer_detail", shop.company.pk)))
    assert payments.balance_due(late) == Decimal("70.00")
    assert "Facturé (TTC) 180,00 € Avoirs (TTC) 30,00 € Encaissé 30,00 €" in words
    assert "Reste dû 120,00 € dont 70,00 € en retard" in words
    assert ("Facture 2026-00001 Couture Awa En retard : 70,00 € à encaisser, échue le "
            "25/11/2026 120,00 € 70,00 €") in words
    assert "Avoir AV2026-00001 Couture Awa Avoir émis le 28/11/2026 30,00 €" in words
    assert "Brouillon n°" in words
    assert "999,00 €" in words
    assert "Rideaux" in words
    assert "300,00 €" in words


def test_a_credit_note_on_a_paid_invoice_is_money_to_refund(shop: Shop,
                                                            client: Client) -> None:
    paid = issued(shop, number="2026-00001", total="100.00", paid="100.00")
    note = issued(shop, number="AV2026-00001", total="40.00", kind="credit_note",
                  credited=paid)
    as_persona(client, shop.cast, "cooperant")
    words = text_of(client.get(url("customer_detail", shop.company.pk)))
    assert payments.balance_due(paid) == Decimal("-40.00")
    assert payments.balance_due(note) == Decimal("-40.00")
    assert "Reste dû 0,00 € À rembourser au client 40,00 €" in words
    assert "Avoir émis le 28/11/2026 : 40,00 € à rembourser" in words


def test_a_seller_sees_only_the_invoices_of_their_own_activities(
        shop: Shop, client: Client) -> None:
    other = Activity.objects.create(kpa=shop.cast.home, structure=shop.cast.cae,
                                    name="Traiteur Binta", kind=Activity.Kind.INDIVIDUAL,
                                    started_on=dt.date(2026, 3, 2))
    issued(shop, number="2026-00007", total="80.00", activity=other)
    as_persona(client, shop.cast, "cooperant")
    assert "2026-00007" not in text_of(client.get(url("customer_detail", shop.company.pk)))
    as_persona(client, shop.cast, "comptable")
    assert "2026-00007" in text_of(client.get(url("customer_detail", shop.company.pk)))


def test_a_contact_is_added_from_the_customer_page(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    page = client.get(url("customer_detail", shop.company.pk))
    assert 'id="contact_name"' in page.content.decode()
    response = client.post(url("customer_contact_new", shop.company.pk), {
        "name": "Mme Leroy", "role": "Achats", "email": "leroy@mairie.test", "phone": ""})
    assert response["Location"] == url("customer_detail", shop.company.pk)
    assert Contact.objects.get().name == "Mme Leroy"
    assert "Mme Leroy — Achats" in text_of(client.get(response["Location"]))


def test_a_contact_without_a_name_is_refused_in_french(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("customer_contact_new", shop.company.pk), {"name": ""})
    assert response.status_code == 400
    assert "Donnez le nom du contact." in text_of(response)
    assert not Contact.objects.exists()


def test_the_comptable_reads_customers_but_changes_nothing(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "comptable")
    page = client.get(url("customer_detail", shop.company.pk))
    assert page.status_code == 200
    assert url("customer_edit", shop.company.pk) not in page.content.decode()
    assert client.get(url("customer_edit", shop.company.pk)).status_code == 404
    assert client.get(url("customer_new")).status_code == 404
    assert client.post(url("customer_contact_new", shop.company.pk),
                       {"name": "X"}).status_code == 404
    assert not Contact.objects.exists()


# -- the list ---------------------------------------------------------------------------------

def test_the_list_searches_by_name_or_siren_and_filters_by_kind(shop: Shop,
                                                                client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    everyone = text_of(client.get(url("customer_list")))
    assert "Mairie de Roubaix" in everyone
    assert "Jeanne Martin" in everyone
    by_siren = text_of(client.get(url("customer_list"), {"q": "732 829"}))
    assert "Mairie de Roubaix" in by_siren
    assert "Jeanne Martin" not in by_siren
    by_name = text_of(client.get(url("customer_list"), {"q": "jeanne"}))
    assert "Jeanne Martin" in by_name
    assert "Mairie de Roubaix" not in by_name
    individuals = text_of(client.get(url("customer_list"), {"kind": "individual"}))
    assert "Jeanne Martin" in individuals
    assert "Mairie de Roubaix" not in individuals
    junk = client.get(url("customer_list"), {"kind": "robot"})
    assert junk.status_code == 200
    assert "Mairie de Roubaix" in text_of(junk)


def test_the_list_costs_the_same_queries_for_more_customers(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    as_persona(client, shop.cast, "cooperant")
    list_url = url("customer_list")
    with django_assert_max_num_queries(14) as few:
        assert client.get(list_url).status_code == 200
    for n in range(5):
        Customer.objects.create(structure=shop.cast.cae, kind="individual", name=f"Client {n}")
    with django_assert_num_queries(len(few)):
        response = client.get(list_url)
    assert response.content.decode().count('data-label="Type">Particulier') == 6


def test_the_outsider_sees_no_customer(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "outsider")
    page = client.get(url("customer_list"))
    assert page.status_code == 200
    assert "Mairie de Roubaix" not in text_of(page)
    assert SECRET_MARKER not in page.content.decode()


# -- who reaches what -------------------------------------------------------------------------

def test_the_outsider_gets_404_on_every_page_and_changes_nothing(shop: Shop,
                                                                 client: Client) -> None:
    right = SellingRight.objects.create(structure=shop.cast.cae, person=shop.cast.cooperant,
                                        self_validation_ceiling=Decimal("100"),
                                        granted_by=shop.manager)
    as_persona(client, shop.cast, "outsider")
    customer, item, cae = shop.company.pk, shop.item.pk, shop.cast.cae.pk
    pages = [url("customer_new") + "?kind=company", url("customer_detail", customer),
             url("customer_edit", customer), url("customer_contact_new", customer),
             url("catalog", shop.activity.pk), url("catalog_item_new", shop.activity.pk),
             url("catalog_item_edit", item), url("settings", cae),
             url("settings_example", cae), url("selling_rights", cae)]
    for page in pages:
        assert client.get(page).status_code == 404, page
    posts = {url("customer_new"): COMPANY_POST, url("customer_edit", customer): COMPANY_POST,
             url("customer_archive", customer): {},
             url("customer_contact_new", customer): {"name": "Espion"},
             url("catalog_item_new", shop.activity.pk): {"name": "X"},
             url("catalog_item_edit", item): {"name": "X"},
             url("catalog_item_archive", item): {},
             url("settings", cae): {"payment_terms_days": "10"},
             url("selling_rights", cae): {"person": str(shop.cast.cooperant.pk),
                                          "ceiling": "1"},
             url("selling_right_revoke", right.pk): {}}
    for page, data in posts.items():
        assert client.post(page, data).status_code == 404, page
    assert not AuditEvent.objects.filter(action__startswith="sales.").exists()
    assert SellingRight.objects.filter(pk=right.pk).exists()


def test_pages_ask_for_a_login(shop: Shop, client: Client) -> None:
    response = client.get(url("customer_detail", shop.company.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# -- catalogue --------------------------------------------------------------------------------

def test_the_catalogue_shows_prices_before_and_after_vat(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    words = text_of(client.get(url("catalog", shop.activity.pk)))
    assert "Retouche d'ourlet" in words
    assert "pièce 12,50 € 20 % 15,00 €" in words
    assert "art. 293 B" not in words


def test_the_catalogue_costs_the_same_queries_for_more_items(
        shop: Shop, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    as_persona(client, shop.cast, "cooperant")
    catalog_url = url("catalog", shop.activity.pk)
    with django_assert_max_num_queries(14) as few:
        assert client.get(catalog_url).status_code == 200
    for n in range(5):
        CatalogItem.objects.create(activity=shop.activity, name=f"Article {n}",
                                   unit_price=Decimal("2.00"), vat_rate="5.50")
    with django_assert_num_queries(len(few)):
        response = client.get(catalog_url)
    assert text_of(response).count("2,00 € 5,5 % 2,11 €") == 5


def test_a_seller_adds_edits_and_withdraws_an_item(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    form = client.get(url("catalog_item_new", shop.activity.pk)).content.decode()
    assert 'value="0.00"' not in form  # a structure that collects VAT has no 0 %
    response = client.post(url("catalog_item_new", shop.activity.pk), {
        "is_service": "yes", "name": "Robe sur mesure", "description": "", "unit": "piece",
        "unit_price": "80,00", "vat_rate": "20.00"})
    assert response["Location"] == url("catalog", shop.activity.pk)
    item = CatalogItem.objects.get(name="Robe sur mesure")
    assert (item.is_service, item.unit_price) == (True, Decimal("80.00"))
    edit = client.get(url("catalog_item_edit", item.pk)).content.decode()
    assert 'value="80,00"' in edit
    client.post(url("catalog_item_edit", item.pk), {
        "is_service": "yes", "name": "Robe sur mesure", "unit": "piece",
        "unit_price": "95", "vat_rate": "10.00"})
    item.refresh_from_db()
    assert (item.unit_price, item.vat_rate) == (Decimal("95.00"), "10.00")
    archived = client.post(url("catalog_item_archive", item.pk), follow=True)
    assert "« Robe sur mesure » est retiré du catalogue." in messages_of(archived)
    item.refresh_from_db()
    assert item.archived_at is not None
    words = text_of(client.get(url("catalog", shop.activity.pk)))
    assert "Robe sur mesure" not in words
    assert "Robe sur mesure" in text_of(client.get(url("catalog", shop.activity.pk),
                                                   {"retires": "1"}))
    assert client.get(url("catalog_item_edit", item.pk)).status_code == 404


def test_a_bad_price_is_refused_on_its_field(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "cooperant")
    response = client.post(url("catalog_item_new", shop.activity.pk), {
        "is_service": "no", "name": "Bouton", "unit": "piece", "unit_price": "-2",
        "vat_rate": "20.00"})
    assert response.status_code == 400
    assert re.search(r'id="id_unit_price_error"><li>Un prix n&#x27;est pas négatif',
                     response.content.decode())
    assert not CatalogItem.objects.filter(name="Bouton").exists()


def test_under_the_franchise_only_zero_percent_is_offered_and_explained(
        shop: Shop, client: Client) -> None:
    Structure.objects.filter(pk=shop.cast.cae.pk).update(
        vat_regime=Structure.VatRegime.FRANCHISE)
    CatalogItem.objects.filter(pk=shop.item.pk).update(vat_rate="0.00")
    as_persona(client, shop.cast, "cooperant")
    words = text_of(client.get(url("catalog", shop.activity.pk)))
    assert "TVA non applicable, art. 293 B du CGI" in words
    assert "12,50 € 0 % (TVA non applicable) 12,50 €" in words
    form = client.get(url("catalog_item_new", shop.activity.pk)).content.decode()
    assert re.findall(r'<option value="([0-9.]+)"', form) == ["0.00"]
    refused = client.post(url("catalog_item_new", shop.activity.pk), {
        "is_service": "no", "name": "Bouton", "unit": "piece", "unit_price": "1",
        "vat_rate": "20.00"})
    assert refused.status_code == 400
    assert not CatalogItem.objects.filter(name="Bouton").exists()


def test_the_comptable_reads_a_catalogue_but_cannot_change_it(shop: Shop,
                                                              client: Client) -> None:
    as_persona(client, shop.cast, "comptable")
    page = client.get(url("catalog", shop.activity.pk))
    assert page.status_code == 200
    assert url("catalog_item_new", shop.activity.pk) not in page.content.decode()
    assert client.get(url("catalog_item_new", shop.activity.pk)).status_code == 404
    assert client.post(url("catalog_item_archive", shop.item.pk)).status_code == 404
    shop.item.refresh_from_db()
    assert shop.item.archived_at is None


# -- settings ---------------------------------------------------------------------------------

def test_the_settings_show_the_next_number_of_each_series(shop: Shop, client: Client) -> None:
    DocumentSequence.objects.create(
        structure=shop.cast.cae, fiscal_year=FiscalYear.objects.get(structure=shop.cast.cae),
        series=DocumentSequence.Series.INVOICE, last_number=41)
    as_persona(client, shop.cast, "gestionnaire")
    words = text_of(client.get(url("settings", shop.cast.cae.pk)))
    assert "Prochain numéro : 2026-00042" in words
    assert "Prochain numéro : AV2026-00001" in words
    assert "Prochain numéro : D2026-00001" in words


def test_the_example_follows_the_pattern_being_typed(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    example = url("settings_example", shop.cast.cae.pk)
    typed = client.get(example, {"credit_note_pattern": "A{YY}/{SEQ:03}"})
    assert typed.status_code == 200
    assert 'id="example-credit_note_pattern"' in typed.content.decode()
    assert "Prochain numéro : A26/001" in text_of(typed)
    wrong = text_of(client.get(example, {"invoice_pattern": "F-{SEQ}"}))
    assert "l'exercice" in wrong
    assert "Prochain numéro" not in wrong


def test_the_gestionnaire_saves_the_settings(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    page = client.get(url("settings", shop.cast.cae.pk)).content.decode()
    assert 'hx-get="' + url("settings_example", shop.cast.cae.pk) in page
    data = {"invoice_pattern": "F{YYYY}-{SEQ:04}", "credit_note_pattern": "AV{YYYY}-{SEQ:05}",
            "quote_pattern": "D{YYYY}-{SEQ:05}", "payment_terms_days": "45",
            "quote_validity_days": "30", "late_penalty_text": "Pénalités : 3 fois le taux légal.",
            "discount_text": "Pas d'escompte.", "legal_form_text": "SCOP SARL",
            "vat_number": "FR44 732829320", "iban": "FR76 3000 6000 0112 3456 7890 189",
            "electronic_address": "", "overdue_reminder_days": "7", "drop_folder": ""}
    response = client.post(url("settings", shop.cast.cae.pk), data)
    assert response.status_code == 302
    settings = SalesSettings.objects.get(structure=shop.cast.cae)
    assert (settings.invoice_pattern, settings.payment_terms_days, settings.vat_number,
            settings.iban) == ("F{YYYY}-{SEQ:04}", 45, "FR44732829320",
                               "FR7630006000011234567890189")
    assert "Prochain numéro : F2026-0001" in text_of(client.get(response["Location"]))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("invoice_pattern", "{YYYY}", "une fois {SEQ}"),
    ("payment_terms_days", "90", "ne peut pas dépasser 60 jours"),
    ("iban", "FR76 1234", "Cet IBAN n'est pas valide"),
    ("vat_number", "FR00732829320", "n'est pas valide"),
])
def test_refused_settings_say_why_and_save_nothing(shop: Shop, client: Client, field: str,
                                                   value: str, message: str) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    data = {"invoice_pattern": "{YYYY}-{SEQ:05}", "credit_note_pattern": "AV{YYYY}-{SEQ:05}",
            "quote_pattern": "D{YYYY}-{SEQ:05}", "payment_terms_days": "30",
            "quote_validity_days": "30", "late_penalty_text": "Pénalités.",
            "discount_text": "Non.", "overdue_reminder_days": "7", field: value}
    response = client.post(url("settings", shop.cast.cae.pk), data)
    assert response.status_code == 400
    assert re.search(rf'id="id_{field}_error"><li>[^<]*{re.escape(message)}',
                     response.content.decode().replace("&#x27;", "'"))
    assert not SalesSettings.objects.exists()


@pytest.mark.parametrize("persona", ["cooperant", "comptable", "referent"])
def test_only_the_gestionnaire_opens_the_settings(shop: Shop, client: Client,
                                                  persona: str) -> None:
    as_persona(client, shop.cast, persona)
    assert client.get(url("settings", shop.cast.cae.pk)).status_code == 404
    assert client.get(url("selling_rights", shop.cast.cae.pk)).status_code == 404


# -- self-validation rights -------------------------------------------------------------------

def test_the_rights_page_lists_members_and_grants_then_revokes(shop: Shop,
                                                               client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    rights_url = url("selling_rights", shop.cast.cae.pk)
    words = text_of(client.get(rights_url))
    assert "Cooperant Zorglubcooperant Couture Awa, La Friperie" in words
    assert "non : ses factures sont validées par la structure" in words
    response = client.post(rights_url, {"person": str(shop.cast.cooperant.pk),
                                         "ceiling": "1500,00"})
    assert response["Location"] == rights_url
    right = SellingRight.objects.get()
    assert (right.person, right.self_validation_ceiling) == (shop.cast.cooperant,
                                                             Decimal("1500.00"))
    assert "jusqu'à 1 500,00 € TTC" in text_of(client.get(rights_url))
    client.post(url("selling_right_revoke", right.pk))
    assert not SellingRight.objects.exists()
    assert AuditEvent.objects.filter(action="sales.selling_right.revoked").count() == 1


def test_a_right_for_someone_outside_the_activities_is_refused(shop: Shop,
                                                               client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    response = client.post(url("selling_rights", shop.cast.cae.pk),
                           {"person": str(shop.cast.outsider.pk), "ceiling": "100"})
    assert response.status_code == 400
    assert "Choisissez une personne de la liste." in text_of(response)
    assert not SellingRight.objects.exists()


def test_a_negative_ceiling_is_refused_on_its_field(shop: Shop, client: Client) -> None:
    as_persona(client, shop.cast, "gestionnaire")
    response = client.post(url("selling_rights", shop.cast.cae.pk),
                           {"person": str(shop.cast.cooperant.pk), "ceiling": "-5"})
    assert response.status_code == 400
    assert re.search(r'id="grant_ceiling_error"><li>Un prix n&#x27;est pas négatif',
                     response.content.decode())
    assert not SellingRight.objects.exists()
