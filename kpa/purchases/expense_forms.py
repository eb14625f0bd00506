"""The forms of the expense pages: they read what was typed; the services judge it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import Activity
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.purchases.models import ExpenseCategory


class MonthInput(forms.DateInput):
    """The phone's month picker ("2026-11")."""

    input_type = "month"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m", **kwargs)


class ClaimForm(forms.Form):
    activity = forms.TypedChoiceField(label=_("Pour quelle activité ?"), coerce=int)
    month = forms.DateField(
        label=_("Mois des dépenses"), input_formats=["%Y-%m", "%m/%Y", "%Y-%m-%d"],
        widget=MonthInput(), help_text=_("Une note de frais par mois, par exemple 2026-11."))

    def __init__(self, *args: Any, activities: list[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.activities = {activity.pk: activity for activity in activities}
        field = self.fields["activity"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(activity.pk, activity.name) for activity in activities]

    def clean_activity(self) -> Activity:
        return self.activities[self.cleaned_data["activity"]]


def _receipt_widget() -> forms.FileInput:
    return forms.FileInput(attrs={"accept": "image/*,application/pdf",
                                  "capture": "environment"})


class LineForm(forms.Form):
    """One expense. The mileage fields matter only for kilometres driven with one's own car
    (the amount is then computed); the receipt for everything else."""

    spent_on = forms.DateField(label=_("Date de la dépense"), widget=DateInput())
    category = forms.ChoiceField(label=_("Catégorie"), choices=ExpenseCategory.choices)
    description = forms.CharField(
        label=_("Ce que vous avez payé"), max_length=200,
        help_text=_("Par exemple : tissu pour les commandes de novembre."))
    amount_incl_vat = forms.CharField(
        label=_("Montant TTC (€)"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Le total payé, comme sur le ticket. Pas pour des kilomètres : il est "
                    "calculé."))
    recoverable_vat = forms.CharField(
        label=_("Dont TVA récupérable (€)"), required=False, max_length=20, initial="0",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("La TVA écrite sur la facture ; 0 s'il n'y en a pas."))
    distance_km = forms.CharField(
        label=_("Kilomètres parcourus"), required=False, max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Seulement pour des kilomètres avec mon véhicule."))
    fiscal_horsepower = forms.IntegerField(
        label=_("Puissance fiscale (CV)"), required=False, min_value=1, max_value=99,
        help_text=_("Sur la carte grise, case P.6."))
    electric = forms.BooleanField(label=_("Véhicule électrique"), required=False)
    receipt = forms.FileField(
        label=_("Justificatif (photo ou PDF)"), required=False, widget=_receipt_widget(),
        help_text=_("Prenez le ticket en photo ou choisissez un PDF, 10 Mo au plus. Pas "
                    "besoin pour des kilomètres."))

    def __init__(self, *args: Any, franchise: bool = False, editing: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if franchise:  # the structure recovers no VAT
            del self.fields["recoverable_vat"]
        if editing:
            self.fields["receipt"].help_text = _(
                "Laissez vide pour garder le justificatif déjà joint.")

    def clean_receipt(self) -> UploadedFile[Any] | None:
        receipt: UploadedFile[Any] | None = self.cleaned_data.get("receipt")
        # The size is known from the upload: never read a file we refuse anyway.
        if receipt is not None and (receipt.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_(
                "Ce fichier fait %(size)s Mo : 10 Mo au plus. Prenez une photo moins grande ou "
                "scannez en qualité « document »."
            ) % {"size": round((receipt.size or 0) / 1024 / 1024)})
        return receipt

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        receipt: UploadedFile[Any] | None = data.get("receipt")
        return {
            "spent_on": data["spent_on"], "category": data["category"],
            "description": data["description"],
            "amount_incl_vat": data["amount_incl_vat"] or None,
            "recoverable_vat": data.get("recoverable_vat") or "0",
            "distance_km": data["distance_km"] or None,
            "fiscal_horsepower": data["fiscal_horsepower"],
            "electric": data["electric"],
            "receipt": receipt.read() if receipt is not None else None,
            "receipt_name": (receipt.name or "") if receipt is not None else "",
        }


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Ce que la personne doit corriger ; elle le reçoit tel quel."))


class ReimburseForm(forms.Form):
    paid_on = forms.DateField(label=_("Remboursée le"), widget=DateInput())


class DeadlineForm(forms.Form):
    """One deadline; a row left empty is no deadline."""

    covers_before = forms.DateField(label=_("Dépenses datées avant le"), required=False,
                                    widget=DateInput())
    closes_on = forms.DateField(label=_("À déclarer au plus tard le"), required=False,
                                widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("covers_before")) != bool(data.get("closes_on")):
            raise forms.ValidationError(_("Donnez les deux dates, ou aucune pour retirer "
                                          "cette ligne."))
        return data

    def pair(self) -> tuple[dt.date, dt.date] | None:
        covers_before = self.cleaned_data.get("covers_before")
        closes_on = self.cleaned_data.get("closes_on")
        if covers_before is None or closes_on is None:
            return None
        return covers_before, closes_on


DeadlineFormSet = forms.formset_factory(DeadlineForm, extra=4, max_num=60, validate_max=True)
