"""Forms of the customer, catalogue and selling-settings pages. They validate input only: the
services say the French refusals (a SIREN python-stdnum rejects, a VAT rate the structure's
regime forbids, a numbering pattern the e-invoicing rules refuse…)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from kpa.directory.models import Person, Structure
from kpa.sales.models import CatalogItem, Customer, SalesSettings, VatRate
from kpa.sales.services import CUSTOMER_FIELDS, SETTINGS_FIELDS

BUSINESS_ONLY = ("siren", "siret", "vat_number", "electronic_address")


KIND_HINTS: dict[str, StrOrPromise] = {
    Customer.Kind.COMPANY: _("Une société, un artisan, un commerce : il faut son SIREN."),
    Customer.Kind.PUBLIC: _("Une mairie, une école, un département : il faut son SIREN, et "
                            "souvent le SIRET du service qui paie."),
    Customer.Kind.ASSOCIATION: _("Une association : il faut son SIREN (le numéro RNA ne "
                                 "suffit pas sur une facture)."),
    Customer.Kind.INDIVIDUAL: _("Une personne qui achète pour elle : son nom, son adresse et "
                                "son e-mail suffisent."),
}


def kind_choices() -> list[tuple[str, str, str]]:
    return [(value, str(label), str(KIND_HINTS[value])) for value, label in
            Customer.Kind.choices]


@dataclass(frozen=True)
class Fieldset:
    legend: str
    intro: str
    fields: list[forms.BoundField]
    slug: str


def is_business(kind: str) -> bool:
    return kind in Customer.Kind.values and kind != Customer.Kind.INDIVIDUAL


class CustomerForm(forms.Form):
    """One form for every kind of customer; an individual is asked only a name, an address and
    how to reach them, a business also its identifiers (and why they are asked)."""

    kind = forms.ChoiceField(choices=Customer.Kind.choices, widget=forms.HiddenInput)
    structure = forms.ModelChoiceField(
        label=_("Pour quelle structure ?"), queryset=Structure.objects.none(),
        empty_label=None,
        help_text=_("Le client est partagé par les activités de cette structure."))
    name = forms.CharField(label=_("Nom"), max_length=150,
                           error_messages={"required": _("Donnez le nom du client.")})
    siren = forms.CharField(
        label=_("SIREN"), max_length=20, required=False,
        help_text=_("9 chiffres, sur l'avis de situation INSEE ou l'annuaire des "
                    "entreprises."))
    siret = forms.CharField(
        label=_("SIRET de l'établissement facturé (facultatif)"), max_length=20, required=False,
        help_text=_("14 chiffres : le SIREN suivi du numéro de l'établissement."))
    vat_number = forms.CharField(
        label=_("Numéro de TVA intracommunautaire (facultatif)"), max_length=20,
        required=False, help_text=_("Par exemple FR44732829320."))
    electronic_address = forms.CharField(
        label=_("Adresse de facturation électronique (facultatif)"), max_length=100,
        required=False,
        help_text=_("Vide : son SIREN, comme dans l'annuaire de la facturation "
                    "électronique."))
    email = forms.EmailField(
        label=_("E-mail (facultatif)"), required=False,
        help_text=_("Pour lui envoyer ses devis et ses factures."),
        error_messages={"invalid": _("Cet e-mail n'est pas complet, par exemple "
                                     "prenom@exemple.fr.")})
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=30, required=False)
    address = forms.CharField(label=_("Adresse (numéro et rue)"), max_length=255,
                              required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("Ville"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Pays"), max_length=2, initial="FR",
        help_text=_("Le code du pays en deux lettres : FR pour la France, BE pour la "
                    "Belgique."),
        error_messages={"required": _("Indiquez le pays, FR pour la France.")})
    note = forms.CharField(label=_("Note (pour vous, jamais imprimée)"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, kind: str, structures: QuerySet[Structure] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customer_kind = kind
        self.fields["kind"].initial = kind
        if structures is None:
            del self.fields["structure"]
        else:
            self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        if is_business(kind):
            self.fields["name"].label = _("Raison sociale")
        else:
            self.fields["name"].label = _("Prénom et nom")
            for name in BUSINESS_ONLY:
                del self.fields[name]

    @property
    def business(self) -> bool:
        return is_business(self.customer_kind)

    def fieldsets(self) -> list[Fieldset]:
        layout: tuple[tuple[StrOrPromise, StrOrPromise, tuple[str, ...], str], ...] = (
            (_("Le client"), "", ("structure", "name"), "client"),
            (_("Son identité d'entreprise"), _(
                "Le SIREN est obligatoire sur les factures aux professionnels depuis la réforme "
                "de la facturation électronique : sans lui, la facture est refusée."),
             BUSINESS_ONLY, "identite"),
            (_("Pour le joindre"), "", ("email", "phone"), "contact"),
            (_("Adresse de facturation"), "", ("address", "postcode", "city", "country"),
             "adresse"),
            (_("Note"), "", ("note",), "note"),
        )
        sets = []
        for legend, intro, names, slug in layout:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                sets.append(Fieldset(str(legend), str(intro), fields, slug))
        return sets

    def customer_fields(self) -> dict[str, Any]:
        """What the service receives. An individual has no company identifiers: whatever an
        earlier kind left there is cleared."""
        values = {name: self.cleaned_data[name] for name in CUSTOMER_FIELDS
                  if name in self.cleaned_data}
        if not self.business:
            values.update(dict.fromkeys(BUSINESS_ONLY, ""))
        return values

    @staticmethod
    def initial_from(customer: Customer) -> dict[str, Any]:
        return {name: getattr(customer, name) for name in CUSTOMER_FIELDS}


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Nom ou SIREN"), required=False, max_length=100)
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("Tous")), *Customer.Kind.choices])
    archived = forms.BooleanField(label=_("Voir aussi les clients archivés"), required=False)

    def value(self, name: str) -> Any:
        """A filter's value, or nothing for a junk one: a bad filter shows the whole list."""
        if not self.is_valid():
            return self.fields[name].initial if name in self.fields else None
        return self.cleaned_data.get(name)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=150,
                           error_messages={"required": _("Donnez le nom du contact.")})
    role = forms.CharField(label=_("Fonction (facultatif)"), max_length=100, required=False,
                           help_text=_("Par exemple : service achats, comptabilité."))
    email = forms.EmailField(
        label=_("E-mail (facultatif)"), required=False,
        error_messages={"invalid": _("Cet e-mail n'est pas complet, par exemple "
                                     "prenom@exemple.fr.")})
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=30, required=False)


class CatalogItemForm(forms.Form):
    """Under the franchise (art. 293 B) the only rate is 0 %; otherwise 0 % is not offered."""

    is_service = forms.TypedChoiceField(
        label=_("C'est"), coerce=lambda value: value == "yes", widget=forms.RadioSelect,
        choices=[("no", _("un produit (une chose vendue)")),
                 ("yes", _("un service (un travail fait pour le client)"))],
        initial="no", error_messages={"required": _("Dites si c'est un produit ou un service.")})
    name = forms.CharField(label=_("Désignation"), max_length=150,
                           help_text=_("Ce qui sera écrit sur la facture."),
                           error_messages={"required": _("Donnez un nom au produit ou "
                                                         "service.")})
    description = forms.CharField(label=_("Précisions (facultatif)"), max_length=255,
                                  required=False)
    unit = forms.ChoiceField(label=_("Vendu à"), choices=CatalogItem.Unit.choices,
                             initial=CatalogItem.Unit.PIECE)
    unit_price = forms.CharField(
        label=_("Prix unitaire HT (€)"), max_length=20,
        help_text=_("Sans la TVA, par exemple 12,50."),
        error_messages={"required": _("Donnez le prix, par exemple 12,50.")})
    vat_rate = forms.ChoiceField(label=_("Taux de TVA"), choices=VatRate.choices)

    def __init__(self, *args: Any, franchise: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["vat_rate"]
        if franchise:
            field.choices = [(VatRate.NONE.value, VatRate.NONE.label)]  # type: ignore[attr-defined]
            field.initial = VatRate.NONE
            field.help_text = _("TVA non applicable, art. 293 B du CGI : la structure est en "
                                "franchise de TVA, les prix sont sans TVA.")
        else:
            field.choices = [(v, label) for v, label in VatRate.choices  # type: ignore[attr-defined]
                             if v != VatRate.NONE]
            field.initial = VatRate.STANDARD

    def item_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)

    @staticmethod
    def initial_from(item: CatalogItem) -> dict[str, Any]:
        return {"is_service": "yes" if item.is_service else "no", "name": item.name,
                "description": item.description, "unit": item.unit,
                "unit_price": f"{item.unit_price}".replace(".", ","),
                "vat_rate": item.vat_rate}


PATTERN_FIELDS = ("invoice_pattern", "credit_note_pattern", "quote_pattern")
SETTINGS_LAYOUT: tuple[tuple[StrOrPromise, StrOrPromise, tuple[str, ...], str], ...] = (
    (_("Numérotation"), _(
        "Les numéros se suivent sans trou dans chaque exercice ; ils sont donnés à l'émission, "
        "jamais aux brouillons."), PATTERN_FIELDS, "numerotation"),
    (_("Conditions de paiement"), "",
     ("payment_terms_days", "quote_validity_days", "late_penalty_text", "discount_text",
      "overdue_reminder_days"), "paiement"),
    (_("Identité de la structure sur les factures"), "",
     ("legal_form_text", "vat_number", "iban", "electronic_address"), "identite"),
    (_("Envoi des factures"), "", ("drop_folder",), "envoi"),
)


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SalesSettings
        fields = SETTINGS_FIELDS

    def __init__(self, *args: Any, example_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if example_url:
            # While a pattern is typed, htmx asks for the number it would give next.
            for name in PATTERN_FIELDS:
                self.fields[name].widget.attrs.update({
                    "hx-get": example_url, "hx-trigger": "input changed delay:400ms",
                    "hx-target": f"#example-{name}", "hx-swap": "outerHTML",
                })
                described = [f"id_{name}_helptext"] if self.fields[name].help_text else []
                self.fields[name].widget.attrs["aria-describedby"] = " ".join(
                    [*described, f"example-{name}"])

    def fieldsets(self) -> list[Fieldset]:
        return [Fieldset(str(legend), str(intro), [self[name] for name in names], slug)
                for legend, intro, names, slug in SETTINGS_LAYOUT]

    def clean_iban(self) -> str:
        # schwifty decides what an IBAN is; the settings service does not check it.
        value = "".join(str(self.cleaned_data.get("iban") or "").split()).upper()
        if not value:
            return ""
        try:
            return str(IBAN(value).compact)
        except SchwiftyException:
            raise forms.ValidationError(_(
                "Cet IBAN n'est pas valide : recopiez-le depuis le RIB de la structure (en "
                "France il commence par FR76).")) from None

    def settings_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in SETTINGS_FIELDS}


class GrantForm(forms.Form):
    person = forms.TypedChoiceField(label=_("Coopérant·e"), coerce=int,
                                    error_messages={"required": _("Choisissez la personne."),
                                                    "invalid_choice": _(
                                                        "Choisissez une personne de la liste.")})
    ceiling = forms.CharField(
        label=_("Plafond par facture (TTC, €)"), max_length=20,
        help_text=_("Au-delà, la facture attend la validation du ou de la gestionnaire."),
        error_messages={"required": _("Donnez le plafond, par exemple 500.")})

    def __init__(self, *args: Any, people: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.full_name) for p in people]  # type: ignore[attr-defined]
