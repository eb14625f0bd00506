"""Forms of the directory: they validate input only; services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import (
    KPA_ROLE_KINDS,
    Activity,
    Kpa,
    Network,
    Person,
    Place,
    RoleKind,
    Structure,
)
from kpa.directory.validators import compact_identifier


class NetworkForm(forms.ModelForm[Network]):
    website = forms.URLField(label=_("site web"), required=False, assume_scheme="https")

    class Meta:
        model = Network
        fields = ["name", "website", "description"]


class StructureForm(forms.ModelForm[Structure]):
    # Wider than the stored value: people type "812 345 678"; clean_* compacts it.
    siren = forms.CharField(label=_("SIREN"), max_length=20,
                            help_text=_("9 chiffres. Les espaces sont acceptés."))
    siret = forms.CharField(label=_("SIRET du siège"), max_length=30, help_text=_(
        "14 chiffres : le SIREN suivi du numéro d'établissement."))

    class Meta:
        model = Structure
        fields = ["name", "kind", "siren", "siret", "vat_regime", "chart_template", "address",
                  "postcode", "city"]

    def clean_siren(self) -> str:
        return compact_identifier(self.cleaned_data["siren"])

    def clean_siret(self) -> str:
        return compact_identifier(self.cleaned_data["siret"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        siren, siret = data.get("siren"), data.get("siret")
        if siren and siret and not siret.startswith(siren):
            # On the field, so the database constraint (same rule) is not re-reported generically.
            self.add_error("siret", _("Le SIRET doit commencer par le SIREN de la structure "
                                      "(%(siren)s).") % {"siren": siren})
        return data


class KpaForm(forms.ModelForm[Kpa]):
    class Meta:
        model = Kpa
        fields = ["name", "city", "district", "carrying_structure", "local_structure", "status",
                  "autonomy", "founded_on"]
        widgets = {"founded_on": DateInput()}

    def __init__(self, *args: Any, structures: QuerySet[Structure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("carrying_structure", "local_structure"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = structures


class PlaceForm(forms.ModelForm[Place]):
    class Meta:
        model = Place
        fields = ["name", "address", "postcode", "city", "description"]


class PersonForm(forms.ModelForm[Person]):
    class Meta:
        model = Person
        fields = ["first_name", "last_name", "email", "phone"]
        labels = {"email": _("E-mail (facultatif)"), "phone": _("Téléphone (facultatif)")}


def _kind_choices(kinds: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in RoleKind.choices if value in kinds]


class InviteForm(forms.Form):
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    email = forms.EmailField(
        label=_("E-mail (facultatif)"), required=False,
        help_text=_("Sans e-mail, vous agirez pour cette personne et ce sera noté."),
    )
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Rôle"))
    starts_on = forms.DateField(label=_("Début"), widget=DateInput())

    def __init__(self, *args: Any, allowed_kinds: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kind"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _kind_choices(allowed_kinds & KPA_ROLE_KINDS)


class RoleForm(forms.Form):
    """Give a role: a kind and a place to hold it (a KPA, a structure or the network)."""

    kind = forms.ChoiceField(label=_("Rôle"), choices=RoleKind.choices)
    scope = forms.ChoiceField(label=_("Où"))
    starts_on = forms.DateField(label=_("Début"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Fin (exclue, facultative)"), required=False, widget=DateInput(),
        help_text=_("Premier jour sans ce rôle. Laisser vide si le rôle continue."),
    )

    def __init__(self, *args: Any, kpas: list[Kpa], structures: list[Structure],
                 networks: list[Network], allowed_kinds: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = _kind_choices(allowed_kinds)
        self._scopes: dict[str, Kpa | Structure | Network] = {}
        groups: list[tuple[str, list[tuple[str, str]]]] = []
        for prefix, label, queryset in (("kpa", _("KPA"), kpas),
                                        ("structure", _("Structures"), structures),
                                        ("network", _("Réseau"), networks)):
            options = []
            for obj in queryset:
                key = f"{prefix}:{obj.pk}"
                self._scopes[key] = obj
                options.append((key, str(obj)))
            if options:
                groups.append((str(label), options))
        field = self.fields["scope"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end <= start:
            self.add_error("ends_on", _("La fin doit venir après le début."))
        if "scope" in data:
            data["scope"] = self._scopes[data["scope"]]
        return data


class EndRoleForm(forms.Form):
    ends_on = forms.DateField(
        label=_("Dernier jour + 1 (fin exclue)"), widget=DateInput(),
        help_text=_("Le rôle s'arrête la veille de cette date."),
    )


MAX_DB_ID = 2**63 - 1


class PersonsField(forms.ModelMultipleChoiceField[Person]):
    """Refuses ids that no table can hold before querying: Django's `__in` lookup would crash
    on them (an invalid choice, like any other id that is not offered)."""

    def clean(self, value: Any) -> Any:
        for pk in value if isinstance(value, list | tuple) else ():
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django reports it as an invalid value
            if not 0 < number <= MAX_DB_ID:
                raise forms.ValidationError(self.error_messages["invalid_choice"],
                                            code="invalid_choice", params={"value": pk})
        return super().clean(value)


class ActivityForm(forms.Form):
    name = forms.CharField(label=_("Nom de l'enseigne"), max_length=150)
    kind = forms.ChoiceField(
        label=_("Type d'activité"), choices=Activity.Kind.choices,
        help_text=_("Individuelle : une seule personne. Collective : plusieurs."),
    )
    description = forms.CharField(label=_("Description (facultative)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    started_on = forms.DateField(label=_("Début"), widget=DateInput())
    members = PersonsField(
        label=_("Membres"), queryset=Person.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Parmi les coopérant·es du KPA. Vous pourrez en ajouter ensuite."),
    )

    def __init__(self, *args: Any, cooperants: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = cooperants


class ActivityMemberForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Coopérant·e"), queryset=Person.objects.none(),
                                    empty_label=_("Choisir une personne"))
    joined_on = forms.DateField(label=_("Arrivée"), widget=DateInput())

    def __init__(self, *args: Any, cooperants: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = cooperants


class EndActivityMembershipForm(forms.Form):
    left_on = forms.DateField(
        label=_("Dernier jour + 1 (départ exclu)"), widget=DateInput(),
        help_text=_("La personne quitte l'activité la veille de cette date."),
    )


class EndActivityForm(forms.Form):
    ended_on = forms.DateField(
        label=_("Dernier jour + 1 (fin exclue)"), widget=DateInput(),
        help_text=_("L'activité s'arrête la veille de cette date ; ses membres la quittent "
                    "avec elle."),
    )
