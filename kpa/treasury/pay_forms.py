"""The pay pages' forms: they check the shape of what is typed; the rules live in
`pay` and `payroll`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import parse_amount
from kpa.treasury.contribution import format_rate
from kpa.treasury.models import PaySettings
from kpa.treasury.pay import NOTE_MAX_LENGTH


class PayRequestForm(forms.Form):
    net_amount = forms.CharField(
        label=_("Montant net que tu demandes (en €)"), max_length=20,
        help_text=_("Ce que tu recevras sur ton compte en banque, par exemple 800 ou 812,40."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    note = forms.CharField(label=_("Un message pour ta ou ton référent·e (facultatif)"),
                           required=False, max_length=NOTE_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_net_amount(self) -> Decimal:
        text = self.cleaned_data["net_amount"].replace(" ", "").replace("€", "")
        try:
            return parse_amount(text)
        except ValueError:
            raise forms.ValidationError(
                _("Écris le montant net en euros, par exemple 800 ou 812,40.")) from None


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Motif du refus"), max_length=NOTE_MAX_LENGTH,
                             help_text=_("La personne lira ce motif."),
                             widget=forms.Textarea(attrs={"rows": 2}))


class CutoffForm(forms.Form):
    cutoff_on = forms.DateField(label=_("Date limite des demandes"), widget=DateInput())


class PaySettingsForm(forms.Form):
    """The bounds are the service's: it answers in French on each field."""

    cutoff_day = forms.IntegerField(
        label=_("Jour limite des demandes, chaque mois"),
        help_text=_("De 1 à 28. Une date limite déjà publiée pour un mois reste valable."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    employee_rate = forms.CharField(
        label=_("Cotisations salariales (% du brut)"), max_length=12,
        help_text=_("Pour passer du net demandé au brut, par exemple 22 ou 22,5."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    employer_rate = forms.CharField(
        label=_("Cotisations patronales (% du brut)"), max_length=12,
        help_text=_("Pour passer du brut au coût total pour la trésorerie, par exemple 30."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    reminder_days = forms.IntegerField(
        label=_("Rappel aux coopérant·es (jours avant la date limite)"),
        help_text=_("De 0 (le jour même) à 20."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}))

    @staticmethod
    def initial_of(settings: PaySettings) -> dict[str, int | str]:
        return {"cutoff_day": settings.cutoff_day, "reminder_days": settings.reminder_days,
                "employee_rate": format_rate(settings.employee_rate),
                "employer_rate": format_rate(settings.employer_rate)}


class PayrollImportForm(forms.Form):
    file = forms.FileField(
        label=_("Récapitulatif du logiciel de paie (CSV)"),
        help_text=_("Une ligne d'en-tête, puis une ligne par personne : id_personne (ou "
                    "compte_tresorerie), brut, net, cout_employeur."))


def parse_month(text: str | None) -> dt.date | None:
    """"2026-11" → 1 November 2026; None when it is not a month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return None
