"""The rules of customers, the catalogue and the selling settings, as `kpa.sales.services`
keeps them: identities checked by python-stdnum, the VAT rate bound to the structure's regime,
numbering patterns the e-invoicing rules accept, payment within 60 days, a gate on every write
and an audit event for each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import TODAY
from kpa.core.models import AuditEvent
from kpa.directory.models import Activity, Structure
from kpa.sales import services
from kpa.sales.models import CatalogItem, Contact, Customer, SalesSettings, SellingRight
from kpa.sales.tests.conftest import VALID_SIREN, VALID_SIRET, VALID_VAT, Shop


def company(shop: Shop, **fields: Any) -> Customer:
    values: dict[str, Any] = {"kind": Customer.Kind.COMPANY, "name": "Boulangerie Nord",
                              "siren": VALID_SIREN, **fields}
    return services.create_customer(actor=shop.seller, structure=shop.cast.cae, today=TODAY,
                                    **values)


def refusal(call: Callable[[], object]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def franchised(shop: Shop) -> Activity:
    Structure.objects.filter(pk=shop.cast.cae.pk).update(
        vat_regime=Structure.VatRegime.FRANCHISE)
    return Activity.objects.select_related("structure").get(pk=shop.activity.pk)


# -- customers -------------------------------------------------------------------------------

def test_a_company_with_valid_identifiers_is_recorded_compact_and_audited(shop: Shop) -> None:
    customer = company(shop, siren="732 829 320", siret="732 829 320 00074",
                       vat_number="fr 44732829320")
    assert (customer.siren, customer.siret, customer.vat_number) == (
        VALID_SIREN, VALID_SIRET, VALID_VAT)
    event = AuditEvent.objects.get(action="sales.customer.created")
    assert event.actor == shop.seller
    assert event.target_id == str(customer.pk)


def test_a_siret_alone_gives_the_siren(shop: Shop) -> None:
    customer = company(shop, siren="", siret=VALID_SIRET)
    assert customer.siren == VALID_SIREN


def test_an_invalid_siren_is_refused_in_french(shop: Shop) -> None:
    errors = refusal(lambda: company(shop, siren="732829321"))
    assert "n'est pas un SIREN valide" in errors["siren"][0]
    assert not Customer.objects.filter(name="Boulangerie Nord").exists()


def test_an_invalid_siret_is_refused_in_french(shop: Shop) -> None:
    errors = refusal(lambda: company(shop, siret="73282932000075"))
    assert "n'est pas un SIRET valide" in errors["siret"][0]


def test_a_siret_of_another_company_is_refused(shop: Shop) -> None:
    errors = refusal(lambda: company(shop, siret=shop.cast.cae.siret))
    assert errors["siret"] == ["Le SIRET commence par le SIREN du client."]


def test_an_invalid_vat_number_is_refused_with_an_example(shop: Shop) -> None:
    errors = refusal(lambda: company(shop, vat_number="FR00732829320"))
    assert "n'est pas un numéro de TVA intracommunautaire valide" in errors["vat_number"][0]
    assert "FR44732829320" in errors["vat_number"][0]


@pytest.mark.parametrize("kind", [Customer.Kind.COMPANY, Customer.Kind.PUBLIC,
                                  Customer.Kind.ASSOCIATION])
def test_a_french_business_without_siren_is_refused(shop: Shop, kind: str) -> None:
    errors = refusal(lambda: company(shop, kind=kind, siren=""))
    assert "se facture avec son SIREN" in errors["siren"][0]


def test_a_foreign_company_needs_no_siren(shop: Shop) -> None:
    customer = company(shop, siren="", country="be", vat_number="BE0403170701")
    assert customer.country == "BE"
    assert customer.siren == ""


def test_an_individual_needs_only_a_name(shop: Shop) -> None:
    customer = services.create_customer(actor=shop.seller, structure=shop.cast.cae,
                                        today=TODAY, kind=Customer.Kind.INDIVIDUAL,
                                        name="  Awa Client  ")
    assert customer.name == "Awa Client"
    assert not customer.is_business


def test_a_customer_without_a_name_is_refused(shop: Shop) -> None:
    errors = refusal(lambda: company(shop, name="   "))
    assert errors["name"] == ["Donnez le nom du client."]


@pytest.mark.parametrize("persona", ["outsider", "comptable", "referent"])
def test_only_sellers_and_the_gestionnaire_create_customers(shop: Shop, persona: str) -> None:
    with pytest.raises(PermissionDenied):
        services.create_customer(actor=shop.cast.user(persona), structure=shop.cast.cae,
                                 today=TODAY, kind=Customer.Kind.INDIVIDUAL, name="X")
    assert not AuditEvent.objects.filter(action="sales.customer.created").exists()


def test_the_gestionnaire_creates_customers_without_selling(shop: Shop) -> None:
    customer = services.create_customer(actor=shop.manager, structure=shop.cast.cae,
                                        today=TODAY, kind=Customer.Kind.INDIVIDUAL, name="Y")
    assert customer.structure == shop.cast.cae


def test_an_update_is_checked_like_a_creation_and_names_its_fields(shop: Shop) -> None:
    customer = shop.company
    errors = refusal(lambda: services.update_customer(actor=shop.seller, customer=customer,
                                                      today=TODAY, siren="123"))
    assert "siren" in errors
    customer.refresh_from_db()
    assert customer.siren == VALID_SIREN
    services.update_customer(actor=shop.seller, customer=customer, today=TODAY,
                             name="Ville de Roubaix", city="Roubaix")
    customer.refresh_from_db()
    assert customer.name == "Ville de Roubaix"
    event = AuditEvent.objects.get(action="sales.customer.updated")
    assert event.data == {"fields": ["city", "name"]}


def test_an_outsider_cannot_update_archive_or_add_a_contact(shop: Shop) -> None:
    outsider = shop.cast.user("outsider")
    customer = shop.company
    for call in (
        lambda: services.update_customer(actor=outsider, customer=customer, today=TODAY,
                                         name="Piraté"),
        lambda: services.archive_customer(actor=outsider, customer=customer, today=TODAY),
        lambda: services.add_contact(actor=outsider, customer=customer, name="Espion",
                                     today=TODAY),
    ):
        with pytest.raises(PermissionDenied):
            call()
    customer.refresh_from_db()
    assert customer.name == "Mairie de Roubaix"
    assert customer.archived_at is None
    assert not Contact.objects.exists()


def test_a_contact_needs_a_name(shop: Shop) -> None:
    errors = refusal(lambda: services.add_contact(actor=shop.seller, customer=shop.company,
                                                  name=" ", today=TODAY))
    assert errors["name"] == ["Donnez le nom du contact."]
    contact = services.add_contact(actor=shop.seller, customer=shop.company,
                                   name="Service achats", email="achats@mairie.test",
                                   today=TODAY)
    assert list(shop.company.contacts.all()) == [contact]


# -- catalogue -------------------------------------------------------------------------------

def test_an_item_takes_a_french_price_and_a_standard_rate(shop: Shop) -> None:
    item = services.create_item(actor=shop.seller, activity=shop.activity, today=TODAY,
                                name="Ourlet", unit_price="12,50", vat_rate="20")
    assert item.unit_price == Decimal("12.50")
    assert item.vat_rate == "20.00"


def test_a_structure_that_collects_vat_refuses_zero_percent(shop: Shop) -> None:
    errors = refusal(lambda: services.create_item(
        actor=shop.seller, activity=shop.activity, today=TODAY, name="Ourlet",
        unit_price="12.50", vat_rate="0"))
    assert "La structure collecte la TVA" in errors["vat_rate"][0]


def test_a_franchise_structure_refuses_twenty_percent_and_takes_zero(shop: Shop) -> None:
    activity = franchised(shop)
    errors = refusal(lambda: services.create_item(
        actor=shop.seller, activity=activity, today=TODAY, name="Ourlet",
        unit_price="12.50", vat_rate="20.00"))
    assert "franchise de TVA (art. 293 B du CGI)" in errors["vat_rate"][0]
    item = services.create_item(actor=shop.seller, activity=activity, today=TODAY,
                                name="Ourlet", unit_price="12.50", vat_rate="0.00")
    assert item.vat_rate == "0.00"


@pytest.mark.parametrize(("rate", "message"), [("19.6", "n'existe pas"),
                                                ("abc", "n'existe pas")])
def test_a_rate_that_does_not_exist_is_refused(shop: Shop, rate: str, message: str) -> None:
    errors = refusal(lambda: services.create_item(
        actor=shop.seller, activity=shop.activity, today=TODAY, name="X", unit_price="1",
        vat_rate=rate))
    assert message in errors["vat_rate"][0]


@pytest.mark.parametrize(("value", "message"), [("-3", "n'est pas négatif"),
                                                 ("1,234", "au centime près"),
                                                 ("douze", "n'est pas un prix")])
def test_a_bad_price_is_refused_in_french(shop: Shop, value: str, message: str) -> None:
    errors = refusal(lambda: services.create_item(
        actor=shop.seller, activity=shop.activity, today=TODAY, name="X", unit_price=value,
        vat_rate="20.00"))
    assert message in errors["unit_price"][0]


@pytest.mark.parametrize("persona", ["outsider", "comptable", "referent"])
def test_only_sellers_of_the_activity_keep_its_catalogue(shop: Shop, persona: str) -> None:
    user = shop.cast.user(persona)
    with pytest.raises(PermissionDenied):
        services.create_item(actor=user, activity=shop.activity, today=TODAY, name="X",
                             unit_price="1", vat_rate="20.00")
    with pytest.raises(PermissionDenied):
        services.update_item(actor=user, item=shop.item, today=TODAY, unit_price="0.01")
    with pytest.raises(PermissionDenied):
        services.archive_item(actor=user, item=shop.item, today=TODAY)
    shop.item.refresh_from_db()
    assert (shop.item.unit_price, shop.item.archived_at) == (Decimal("12.50"), None)


def test_archiving_an_item_hides_it_from_the_catalogue(shop: Shop) -> None:
    services.archive_item(actor=shop.seller, item=shop.item, today=TODAY)
    assert not CatalogItem.objects.filter(archived_at__isnull=True).exists()


# -- settings and rights ---------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "message"), [
    ("{YYYY}", "une fois {SEQ}"),
    ("F-{SEQ:05}", "l'exercice"),
    ("F {YYYY}-{SEQ:05}", "pas d'espace"),
    ("FACTURE-DE-LA-COOPERATIVE-{YYYY}-{SEQ:09}", "35 caractères"),
])
def test_a_bad_numbering_pattern_is_refused(shop: Shop, pattern: str, message: str) -> None:
    errors = refusal(lambda: services.update_settings(
        actor=shop.manager, structure=shop.cast.cae, today=TODAY, invoice_pattern=pattern))
    assert message in errors["invoice_pattern"][0]
    assert not SalesSettings.objects.exists()


def test_payment_terms_beyond_sixty_days_are_refused(shop: Shop) -> None:
    errors = refusal(lambda: services.update_settings(
        actor=shop.manager, structure=shop.cast.cae, today=TODAY, payment_terms_days=61))
    assert "60 jours" in errors["payment_terms_days"][0]
    settings = services.update_settings(actor=shop.manager, structure=shop.cast.cae,
                                        today=TODAY, payment_terms_days=60,
                                        invoice_pattern="F{YY}-{SEQ:04}")
    assert (settings.payment_terms_days, settings.invoice_pattern) == (60, "F{YY}-{SEQ:04}")


def test_an_invalid_vat_number_of_the_structure_is_refused(shop: Shop) -> None:
    errors = refusal(lambda: services.update_settings(
        actor=shop.manager, structure=shop.cast.cae, today=TODAY, vat_number="FR123"))
    assert errors["vat_number"] == ["Ce numéro de TVA intracommunautaire n'est pas valide."]


@pytest.mark.parametrize("persona", ["cooperant", "comptable", "outsider"])
def test_only_the_gestionnaire_sets_the_settings_and_rights(shop: Shop, persona: str) -> None:
    user = shop.cast.user(persona)
    with pytest.raises(PermissionDenied):
        services.update_settings(actor=user, structure=shop.cast.cae, today=TODAY,
                                 payment_terms_days=10)
    with pytest.raises(PermissionDenied):
        services.grant_selling_right(actor=user, structure=shop.cast.cae,
                                     person=shop.cast.cooperant, ceiling="1000", today=TODAY)
    assert not SalesSettings.objects.exists()
    assert not SellingRight.objects.exists()


def test_a_right_is_granted_changed_and_revoked(shop: Shop) -> None:
    right = services.grant_selling_right(actor=shop.manager, structure=shop.cast.cae,
                                         person=shop.cast.cooperant, ceiling="500",
                                         today=TODAY)
    again = services.grant_selling_right(actor=shop.manager, structure=shop.cast.cae,
                                         person=shop.cast.cooperant, ceiling="750,00",
                                         today=TODAY)
    assert again.pk == right.pk
    assert again.self_validation_ceiling == Decimal("750.00")
    errors = refusal(lambda: services.grant_selling_right(
        actor=shop.manager, structure=shop.cast.cae, person=shop.cast.cooperant,
        ceiling="-1", today=TODAY))
    assert "n'est pas négatif" in errors["ceiling"][0]
    services.revoke_selling_right(actor=shop.manager, right=again, today=TODAY)
    assert not SellingRight.objects.exists()


def test_every_write_is_audited_with_its_actor(shop: Shop) -> None:
    seller, manager, cae = shop.seller, shop.manager, shop.cast.cae
    customer = company(shop)
    services.update_customer(actor=seller, customer=customer, today=TODAY, city="Lille")
    services.add_contact(actor=seller, customer=customer, name="Compta", today=TODAY)
    services.archive_customer(actor=seller, customer=customer, today=TODAY)
    item = services.create_item(actor=seller, activity=shop.activity, today=TODAY, name="X",
                                unit_price="1", vat_rate="20.00")
    services.update_item(actor=seller, item=item, today=TODAY, unit_price="2")
    services.archive_item(actor=seller, item=item, today=TODAY)
    services.update_settings(actor=manager, structure=cae, today=TODAY, payment_terms_days=45)
    right = services.grant_selling_right(actor=manager, structure=cae,
                                         person=shop.cast.cooperant, ceiling="100",
                                         today=TODAY)
    services.revoke_selling_right(actor=manager, right=right, today=TODAY)
    recorded = {(e.action, e.actor_id) for e in AuditEvent.objects.filter(
        action__startswith="sales.")}
    assert recorded == {
        ("sales.customer.created", seller.pk), ("sales.customer.updated", seller.pk),
        ("sales.contact.created", seller.pk), ("sales.customer.archived", seller.pk),
        ("sales.catalog_item.created", seller.pk), ("sales.catalog_item.updated", seller.pk),
        ("sales.catalog_item.archived", seller.pk), ("sales.settings.updated", manager.pk),
        ("sales.selling_right.granted", manager.pk),
        ("sales.selling_right.revoked", manager.pk),
    }


def test_the_structure_iban_is_checked_and_kept_compact(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="IBAN n'est pas valide"):
        services.update_settings(actor=shop.manager, structure=shop.cast.cae, today=TODAY,
                                 iban="FR76 3000 6000 0112 3456 7890 188")
    saved = services.update_settings(actor=shop.manager, structure=shop.cast.cae, today=TODAY,
                                     iban="FR76 3000 6000 0112 3456 7890 189")
    assert saved.iban == "FR7630006000011234567890189"


def test_a_right_goes_only_to_someone_who_sells_for_the_structure(shop: Shop) -> None:
    with pytest.raises(ValidationError, match="membre d'aucune activité"):
        services.grant_selling_right(actor=shop.manager, structure=shop.cast.cae,
                                     person=shop.cast.referent, ceiling="500", today=TODAY)
    assert not SellingRight.objects.filter(person=shop.cast.referent).exists()
