"""Every write about customers, the catalogue and a structure's selling settings. Keyword-only,
takes the acting user, atomic, audited. Quotes and invoices live in `documents.py`, payments
in `payments.py`, the till in `till.py`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.money import parse_amount, quantize
from kpa.directory.models import Activity, ActivityMembership, Person, Structure
from kpa.directory.validators import compact_identifier, validate_siren, validate_siret
from kpa.journey.services import clean_iban
from kpa.ledger.models import ThirdParty
from kpa.sales import permissions
from kpa.sales.models import CatalogItem, Contact, Customer, SalesSettings, SellingRight, VatRate
from kpa.sales.numbering import check_pattern

CUSTOMER_FIELDS = ("kind", "name", "siren", "siret", "vat_number", "email", "phone", "address",
                   "postcode", "city", "country", "electronic_address", "note")
ITEM_FIELDS = ("is_service", "name", "description", "unit", "unit_price", "vat_rate")
SETTINGS_FIELDS = ("invoice_pattern", "credit_note_pattern", "quote_pattern",
                   "payment_terms_days", "quote_validity_days", "late_penalty_text",
                   "discount_text", "legal_form_text", "vat_number", "iban",
                   "electronic_address", "overdue_reminder_days", "drop_folder")
MAX_PAYMENT_DAYS = 60  # L441-10: 60 days from the invoice date at most


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def signed_in(actor: AnyUser) -> User:
    """The acting account, for the rows that name who wrote them (gates already refused an
    anonymous actor)."""
    if not isinstance(actor, User):
        raise PermissionDenied
    return actor


# -- customers -----------------------------------------------------------------------------

def _clean_customer(customer: Customer) -> None:
    """Identities are checked by python-stdnum; a business (company, public body, association)
    is invoiced with its SIREN, which the e-invoicing reform requires on every B2B invoice."""
    errors: dict[str, list[str]] = {}
    customer.name = customer.name.strip()
    customer.siren = compact_identifier(customer.siren)
    customer.siret = compact_identifier(customer.siret)
    customer.vat_number = customer.vat_number.replace(" ", "").upper()
    customer.country = (customer.country or "FR").strip().upper()
    if customer.siret and not customer.siren:
        customer.siren = customer.siret[:9]
    for field, check in (("siren", validate_siren), ("siret", validate_siret)):
        value = getattr(customer, field)
        if value:
            try:
                check(value)
            except ValidationError as error:
                errors.setdefault(field, []).extend(error.messages)
    if customer.siren and customer.siret and not customer.siret.startswith(customer.siren):
        errors.setdefault("siret", []).append(_("Le SIRET commence par le SIREN du client."))
    if customer.vat_number:
        try:
            vat.validate(customer.vat_number)
        except StdnumError:
            errors.setdefault("vat_number", []).append(_(
                "« %(value)s » n'est pas un numéro de TVA intracommunautaire valide (par "
                "exemple FR44732829320).") % {"value": customer.vat_number})
    if (customer.is_business and customer.country == "FR" and not customer.siren
            and "siren" not in errors):
        errors["siren"] = [_("Un client professionnel ou public se facture avec son SIREN "
                             "(9 chiffres, sur societe.com ou l'avis INSEE).")]
    if not customer.name:
        errors["name"] = [_("Donnez le nom du client.")]
    if errors:
        raise ValidationError(errors)
    customer.full_clean(exclude=["third_party", "structure"])


@transaction.atomic
def create_customer(*, actor: AnyUser, structure: Structure, today: dt.date,
                    **fields: Any) -> Customer:
    require(permissions.can_manage_customers(actor, structure, today=today))
    customer = Customer(structure=structure,
                        **{k: v for k, v in fields.items() if k in CUSTOMER_FIELDS})
    _clean_customer(customer)
    customer.save()
    audit.record(actor=actor, action="sales.customer.created", target=customer)
    return customer


@transaction.atomic
def update_customer(*, actor: AnyUser, customer: Customer, today: dt.date,
                    **fields: Any) -> Customer:
    require(permissions.can_manage_customers(actor, customer.structure, today=today))
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    for name, value in fields.items():
        if name in CUSTOMER_FIELDS:
            setattr(customer, name, value)
    _clean_customer(customer)
    customer.save()
    if customer.third_party_id is not None:
        # The auxiliary account follows the name; issued invoices keep their frozen copy.
        ThirdParty.objects.filter(pk=customer.third_party_id).update(name=customer.name[:150])
    audit.record(actor=actor, action="sales.customer.updated", target=customer,
                 data={"fields": sorted(k for k in fields if k in CUSTOMER_FIELDS)})
    return customer


@transaction.atomic
def archive_customer(*, actor: AnyUser, customer: Customer, today: dt.date) -> Customer:
    require(permissions.can_manage_customers(actor, customer.structure, today=today))
    customer.archived_at = timezone.now()
    customer.save(update_fields=["archived_at"])
    audit.record(actor=actor, action="sales.customer.archived", target=customer)
    return customer


@transaction.atomic
def add_contact(*, actor: AnyUser, customer: Customer, name: str, role: str = "",
                email: str = "", phone: str = "", today: dt.date) -> Contact:
    require(permissions.can_manage_customers(actor, customer.structure, today=today))
    contact = Contact(customer=customer, name=name.strip(), role=role.strip(),
                      email=email.strip(), phone=phone.strip())
    if not contact.name:
        raise ValidationError({"name": _("Donnez le nom du contact.")})
    contact.full_clean()
    contact.save()
    audit.record(actor=actor, action="sales.contact.created", target=contact)
    return contact


# -- catalogue -----------------------------------------------------------------------------

def vat_rate_for(structure: Structure, rate: str) -> str:
    """A rate of the list, and only 0 % under the franchise (art. 293 B)."""
    try:
        normalised = f"{Decimal(str(rate).replace(',', '.')):.2f}"
    except ArithmeticError:
        normalised = str(rate)
    if normalised not in VatRate.values:
        raise ValidationError({"vat_rate": _(
            "Le taux de TVA %(rate)s n'existe pas. Choisissez 20 %%, 10 %%, 5,5 %% ou 2,1 %%."
        ) % {"rate": rate}})
    franchise = structure.vat_regime == Structure.VatRegime.FRANCHISE
    if franchise and normalised != VatRate.NONE:
        raise ValidationError({"vat_rate": _(
            "La structure est en franchise de TVA (art. 293 B du CGI) : les prix sont sans TVA, "
            "choisissez 0 %.")})
    if not franchise and normalised == VatRate.NONE:
        raise ValidationError({"vat_rate": _(
            "La structure collecte la TVA : choisissez le taux de ce produit ou service.")})
    return normalised


def price(value: Decimal | str | int, field: str = "unit_price") -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else parse_amount(str(value))
    except ValueError:
        raise ValidationError({field: _("« %(value)s » n'est pas un prix ; écrivez par "
                                        "exemple 12,50.") % {"value": value}}) from None
    if amount < 0:
        raise ValidationError({field: _("Un prix n'est pas négatif ; pour une remise, "
                                        "baissez le prix.")})
    if amount != quantize(amount):
        raise ValidationError({field: _("Un prix s'écrit au centime près.")})
    return quantize(amount)


def _clean_item(item: CatalogItem, structure: Structure) -> None:
    item.name = item.name.strip()
    if not item.name:
        raise ValidationError({"name": _("Donnez un nom au produit ou service.")})
    item.unit_price = price(item.unit_price)
    item.vat_rate = vat_rate_for(structure, item.vat_rate)
    item.full_clean()


@transaction.atomic
def create_item(*, actor: AnyUser, activity: Activity, today: dt.date,
                **fields: Any) -> CatalogItem:
    require(permissions.can_sell_for(actor, activity, today=today))
    item = CatalogItem(activity=activity, **{k: v for k, v in fields.items() if k in ITEM_FIELDS})
    _clean_item(item, activity.structure)
    item.save()
    audit.record(actor=actor, action="sales.catalog_item.created", target=item)
    return item


@transaction.atomic
def update_item(*, actor: AnyUser, item: CatalogItem, today: dt.date,
                **fields: Any) -> CatalogItem:
    """Changing a price never touches documents already drafted: their lines copy it."""
    require(permissions.can_sell_for(actor, item.activity, today=today))
    for name, value in fields.items():
        if name in ITEM_FIELDS:
            setattr(item, name, value)
    _clean_item(item, item.activity.structure)
    item.save()
    audit.record(actor=actor, action="sales.catalog_item.updated", target=item)
    return item


@transaction.atomic
def archive_item(*, actor: AnyUser, item: CatalogItem, today: dt.date) -> CatalogItem:
    require(permissions.can_sell_for(actor, item.activity, today=today))
    item.archived_at = timezone.now()
    item.save(update_fields=["archived_at"])
    audit.record(actor=actor, action="sales.catalog_item.archived", target=item)
    return item


# -- settings and rights -------------------------------------------------------------------

@transaction.atomic
def update_settings(*, actor: AnyUser, structure: Structure, today: dt.date,
                    **fields: Any) -> SalesSettings:
    require(permissions.can_configure_sales(actor, structure, today=today))
    settings, _created = SalesSettings.objects.select_for_update().get_or_create(
        structure=structure)
    for name, value in fields.items():
        if name in SETTINGS_FIELDS:
            setattr(settings, name, value)
    errors: dict[str, list[str]] = {}
    for field in ("invoice_pattern", "credit_note_pattern", "quote_pattern"):
        try:
            check_pattern(getattr(settings, field))
        except ValidationError as error:
            errors[field] = error.messages
    if settings.payment_terms_days > MAX_PAYMENT_DAYS:
        errors["payment_terms_days"] = [_("Le délai de paiement ne peut pas dépasser 60 jours "
                                          "(article L441-10 du Code de commerce).")]
    try:
        settings.iban = clean_iban(settings.iban)
    except ValidationError as error:
        errors["iban"] = error.messages
    if settings.vat_number:
        try:
            settings.vat_number = vat.compact(settings.vat_number)
            vat.validate(settings.vat_number)
        except StdnumError:
            errors["vat_number"] = [_("Ce numéro de TVA intracommunautaire n'est pas valide.")]
    if errors:
        raise ValidationError(errors)
    settings.full_clean()
    settings.save()
    audit.record(actor=actor, action="sales.settings.updated", target=settings,
                 data={"fields": sorted(k for k in fields if k in SETTINGS_FIELDS)})
    return settings


@transaction.atomic
def grant_selling_right(*, actor: AnyUser, structure: Structure, person: Person,
                        ceiling: Decimal | str, today: dt.date) -> SellingRight:
    """Let a coopérant issue their own invoices up to `ceiling` (incl. VAT)."""
    require(permissions.can_configure_sales(actor, structure, today=today))
    if not ActivityMembership.objects.current(today).filter(
            person=person, activity__structure=structure).exists():
        raise ValidationError({"person": _(
            "%(person)s n'est membre d'aucune activité de la structure : le droit "
            "d'auto-validation est pour celles et ceux qui vendent.") % {"person": person}})
    amount = price(ceiling, "ceiling")
    right, _created = SellingRight.objects.update_or_create(
        structure=structure, person=person,
        defaults={"self_validation_ceiling": amount, "granted_by": signed_in(actor)})
    audit.record(actor=actor, action="sales.selling_right.granted", target=right,
                 data={"ceiling": str(amount)})
    return right


@transaction.atomic
def revoke_selling_right(*, actor: AnyUser, right: SellingRight, today: dt.date) -> None:
    require(permissions.can_configure_sales(actor, right.structure, today=today))
    audit.record(actor=actor, action="sales.selling_right.revoked", target=right)
    right.delete()
