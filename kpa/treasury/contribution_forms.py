"""The contribution pages' forms: they check the shape of what is typed; the rules (brackets
that start at 0, periods by whole months, no overlap) live in `schemes` and `contribution`.

Brackets are typed one per row, "à partir de … €" and "taux … %", a few empty rows ready: a
form a non-expert reads like the scale on paper, with no syntax to learn.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import Activity
from kpa.treasury.contribution import finished_months, month_name
from kpa.treasury.models import ContributionScheme
from kpa.treasury.schemes import BracketInput, Scale

EMPTY_BRACKET_ROWS = 3
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class SchemeForm(forms.Form):
    name = forms.CharField(label=_("Nom du barème"), max_length=100,
                           help_text=_("Par exemple « Barème 2027 »."))
    base = forms.ChoiceField(label=_("Assiette"), choices=ContributionScheme.Base.choices,
                             widget=forms.RadioSelect,
                             initial=ContributionScheme.Base.GROSS_MARGIN)
    starts_on = forms.DateField(label=_("À partir du (1er d'un mois)"), widget=DateInput())
    ends_on = forms.DateField(label=_("Jusqu'au (premier jour sans, facultatif)"),
                              required=False, widget=DateInput(),
                              help_text=_("Vide tant que le barème continue."))
    monthly_fee = forms.CharField(label=_("Forfait mensuel (€)"), max_length=20,
                                  required=False, initial="0",
                                  widget=forms.TextInput(attrs=DECIMAL),
                                  help_text=_("Pris chaque mois aux coopérant·es en CAPE, en "
                                              "plus du pourcentage. 0 pour aucun."))
    fee_waived_for_rsa = forms.BooleanField(
        label=_("Pas de forfait pour les allocataires du RSA"), required=False)

    @classmethod
    def initial_from(cls, scheme: ContributionScheme) -> dict[str, Any]:
        return {"name": scheme.name, "base": scheme.base, "starts_on": scheme.starts_on,
                "ends_on": scheme.ends_on, "monthly_fee": f"{scheme.monthly_fee}".replace(
                    ".", ","), "fee_waived_for_rsa": scheme.fee_waived_for_rsa}

    def scheme_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "base": data["base"], "starts_on": data["starts_on"],
                "ends_on": data["ends_on"], "monthly_fee": data["monthly_fee"] or "0",
                "fee_waived_for_rsa": data["fee_waived_for_rsa"]}


class BracketForm(forms.Form):
    lower_bound = forms.CharField(label=_("À partir de (€ cumulés sur l'année)"), max_length=20,
                                  required=False, widget=forms.TextInput(attrs=DECIMAL))
    rate = forms.CharField(label=_("Taux (%)"), max_length=10, required=False,
                           widget=forms.TextInput(attrs=DECIMAL))


BaseBracketFormSet = forms.formset_factory(BracketForm, extra=EMPTY_BRACKET_ROWS,
                                           max_num=20, absolute_max=20)


class BracketFormSet(BaseBracketFormSet):  # type: ignore[valid-type,misc]
    """The rows typed, the empty ones left out; a half-filled row is refused here."""

    def brackets(self) -> list[BracketInput]:
        rows = []
        for form in self.forms:
            data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
            lower = (data.get("lower_bound") or "").strip().replace(" ", "").replace("€", "")
            rate = (data.get("rate") or "").strip().replace("%", "").strip()
            if lower or rate:
                rows.append(BracketInput(lower, rate))
        return rows

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
            lower, rate = (data.get("lower_bound") or "").strip(), (data.get("rate") or "").strip()
            if bool(lower) != bool(rate):
                raise forms.ValidationError(_("Chaque tranche a un montant « à partir de » et "
                                              "un taux : complétez ou videz la ligne."))


def bracket_formset(data: Any, scheme: ContributionScheme | None = None) -> BracketFormSet:
    if scheme is not None:
        initial = [{"lower_bound": f"{b.lower_bound}".replace(".", ","),
                    "rate": f"{b.rate.normalize():f}".replace(".", ",")}
                   for b in scheme.brackets.all()]
    else:
        initial = [{"lower_bound": "0"}]
    return BracketFormSet(data, initial=initial, prefix="tranches")


# -- overrides ------------------------------------------------------------------------------

EXEMPT, EXISTING, NEW = "exempt", "existing", "new"


class OverrideForm(forms.Form):
    activity = forms.ModelChoiceField(label=_("Activité"), queryset=Activity.objects.none(),
                                      help_text=_("Pour une activité individuelle, la "
                                                  "dérogation vaut pour toute la trésorerie "
                                                  "individuelle du ou de la coopérant·e."))
    mode = forms.ChoiceField(label=_("Dérogation"), widget=forms.RadioSelect, initial=EXEMPT,
                             choices=[(EXEMPT, _("Exonérer : rien n'est prélevé")),
                                      (EXISTING, _("Appliquer un barème particulier "
                                                   "existant")),
                                      (NEW, _("Appliquer un nouveau barème particulier "
                                              "(tranches ci-dessous)"))])
    scheme = forms.ModelChoiceField(label=_("Barème particulier existant"), required=False,
                                    queryset=ContributionScheme.objects.none())
    reason = forms.CharField(label=_("Motif"), max_length=200,
                             help_text=_("Il s'affiche sur le calcul du ou de la coopérant·e."))
    starts_on = forms.DateField(label=_("À partir du (1er d'un mois)"), widget=DateInput())
    ends_on = forms.DateField(label=_("Jusqu'au (premier jour sans, facultatif)"),
                              required=False, widget=DateInput())
    scale_name = forms.CharField(label=_("Nom du nouveau barème"), max_length=100,
                                 required=False)
    scale_base = forms.ChoiceField(label=_("Assiette du nouveau barème"), required=False,
                                   choices=ContributionScheme.Base.choices,
                                   initial=ContributionScheme.Base.GROSS_MARGIN)
    scale_fee = forms.CharField(label=_("Forfait mensuel du nouveau barème (€)"), max_length=20,
                                required=False, initial="0",
                                widget=forms.TextInput(attrs=DECIMAL))
    scale_fee_waived_for_rsa = forms.BooleanField(
        label=_("Pas de forfait pour les allocataires du RSA"), required=False)

    def __init__(self, *args: Any, activities: QuerySet[Activity],
                 particular: QuerySet[ContributionScheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        activity_field = self.fields["activity"]
        assert isinstance(activity_field, forms.ModelChoiceField)
        activity_field.queryset = activities
        scheme_field = self.fields["scheme"]
        assert isinstance(scheme_field, forms.ModelChoiceField)
        scheme_field.queryset = particular

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        if data.get("mode") == EXISTING and not data.get("scheme"):
            self.add_error("scheme", _("Choisissez le barème particulier à appliquer."))
        return data

    def override_fields(self, brackets: list[BracketInput]) -> dict[str, Any]:
        data = self.cleaned_data
        mode = data["mode"]
        return {
            "activity": data["activity"], "reason": data["reason"],
            "starts_on": data["starts_on"], "ends_on": data["ends_on"],
            "exempt": mode == EXEMPT,
            "scheme": data["scheme"] if mode == EXISTING else None,
            "new_scale": Scale(name=data["scale_name"], brackets=brackets,
                               base=data["scale_base"] or ContributionScheme.Base.GROSS_MARGIN,
                               monthly_fee=data["scale_fee"] or "0",
                               fee_waived_for_rsa=data["scale_fee_waived_for_rsa"])
            if mode == NEW else None,
        }


class EndOverrideForm(forms.Form):
    ends_on = forms.DateField(label=_("Arrêter à partir du (1er d'un mois)"),
                              widget=DateInput())


# -- the monthly run ------------------------------------------------------------------------

class MonthForm(forms.Form):
    month = forms.ChoiceField(label=_("Mois à compter"))

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["month"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(f"{month:%Y-%m}", month_name(month))
                         for month in finished_months(today)]

    @property
    def chosen(self) -> dt.date | None:
        if not self.is_valid():
            return None
        year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
        return dt.date(year, month, 1)
