"""The till's forms: they only validate what was typed and hand the service its inputs; every
business rule (CAPE, closed day, VAT regime, catalogue) stays in `till`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import format_money
from kpa.sales import till
from kpa.sales.models import CatalogItem, PaymentMethod, VatRate

NO_ITEM = _("— aucun : montant libre —")
METHOD_CHOICES = [(m, PaymentMethod(m).label) for m in till.METHOD_ORDER]


class OpenTillForm(forms.Form):
    name = forms.CharField(label=_("Nom de la caisse"), max_length=100,
                           help_text=_("Par exemple « Comptoir » ou « Marché du samedi »."))


def item_label(item: CatalogItem, *, franchise: bool) -> str:
    """An item as the seller picks it: its name and its shop price, incl. VAT."""
    price = till.item_price_incl_vat(item, franchise=franchise)
    return f"{item.name} — {format_money(price)} €"


class SaleLineForm(forms.Form):
    """A catalogue item, or a free amount incl. VAT with its rate; and how many."""

    item = forms.ModelChoiceField(queryset=CatalogItem.objects.none(), required=False)
    description = forms.CharField(label=_("Ce qui est vendu"), max_length=till.MAX_DESCRIPTION,
                                  required=False,
                                  help_text=_("Pour un montant libre, par exemple « Robe »."))
    amount = forms.DecimalField(
        label=_("Ou un montant libre (TTC, en €)"), required=False, localize=True,
        max_value=till.MAX_UNIT_PRICE, max_digits=12, decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    vat_rate = forms.ChoiceField(label=_("Taux de TVA du montant libre"),
                                 choices=VatRate.choices, initial=VatRate.STANDARD)
    quantity = forms.IntegerField(label=_("Quantité"), min_value=1, max_value=till.MAX_QUANTITY,
                                  initial=1,
                                  widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args: Any, items: QuerySet[CatalogItem], franchise: bool,
                 item_choices: list[tuple[Any, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.franchise = franchise
        field = forms.ModelChoiceField(
            queryset=items, required=False, label=_("Un article du catalogue"),
            empty_label=NO_ITEM)
        # The formset reads the catalogue once for all its lines.
        field.choices = item_choices if item_choices is not None else [
            ("", field.empty_label), *((i.pk, item_label(i, franchise=franchise)) for i in items)]
        self.fields["item"] = field
        if franchise:
            # No VAT to choose: the structure does not charge it (art. 293 B du CGI).
            self.fields["vat_rate"] = forms.ChoiceField(
                choices=[(VatRate.NONE, VatRate.NONE.label)], initial=VatRate.NONE,
                widget=forms.HiddenInput())

    def clean_amount(self) -> Any:
        amount = self.cleaned_data.get("amount")
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("Le montant est positif, par exemple 12,50."))
        return amount

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and data.get("item") is None and data.get("amount") is None:
            raise forms.ValidationError(_("Choisissez un article ou tapez un montant."))
        return data

    def to_line(self) -> till.TillLineInput:
        data = self.cleaned_data
        item: CatalogItem | None = data.get("item")
        quantity = int(data["quantity"])
        if item is not None:
            return till.item_line(item, quantity=quantity, franchise=self.franchise)
        return till.TillLineInput(
            description=data.get("description") or "", quantity=quantity,
            unit_price_incl_vat=data["amount"], vat_rate=data["vat_rate"], item=None)


class BaseSaleLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def __init__(self, *args: Any, items: QuerySet[CatalogItem], franchise: bool,
                 **kwargs: Any) -> None:
        self.items, self.franchise = items, franchise
        self.item_choices: list[tuple[Any, str]] = [
            ("", str(NO_ITEM)),
            *((i.pk, item_label(i, franchise=franchise)) for i in items)]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"items": self.items, "franchise": self.franchise,
                "item_choices": self.item_choices}

    def lines(self) -> list[till.TillLineInput]:
        return [form.to_line() for form in self.forms
                if form.has_changed() or form in self.forms[:self.min_num]]


# One line shown, two more behind "add other items": enough for a shop counter, no script.
SaleLineFormSet = cast(type[BaseSaleLineFormSet], forms.formset_factory(
    SaleLineForm, formset=BaseSaleLineFormSet, extra=2, min_num=1, max_num=3,
    validate_min=True, validate_max=True))


class SaleForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Payé en"), choices=METHOD_CHOICES, widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le moyen de paiement.")})


class CloseDayForm(forms.Form):
    day = forms.DateField(label=_("Journée à clôturer"), widget=DateInput())
