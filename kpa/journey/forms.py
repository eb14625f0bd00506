"""Forms of the journey's pages: they validate input only; services do the writing and say the
French refusals (age, IBAN, size and type of a piece…)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kpa.core.forms import DateInput
from kpa.directory.models import Kpa
from kpa.journey import services
from kpa.journey.models import DocumentRequirement, Journey, JourneyPolicy, JourneyStatus

YES, NO, UNKNOWN = "yes", "no", "unknown"
TRI_STATE_CHOICES = [
    (YES, _("Oui")),
    (NO, _("Non")),
    (UNKNOWN, _("Je ne sais pas ou je préfère ne pas dire")),
]
SITUATION_FIELDS = ("france_travail_registered", "receives_are", "receives_ass", "receives_rsa",
                    "lives_in_qpv")
DETAIL_FIELDS = ("birth_date", "address", "postcode", "city", "iban", *SITUATION_FIELDS,
                 "activity_idea")
ACCEPTED_TYPES = "application/pdf,image/*"


def tri_state(value: str) -> bool | None:
    return {YES: True, NO: False}.get(value)


def tri_state_initial(value: bool | None) -> str:
    return YES if value is True else NO if value is False else UNKNOWN


def _situation(label: StrOrPromise) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=TRI_STATE_CHOICES, coerce=tri_state,
                                  empty_value=None, required=False, initial=UNKNOWN,
                                  widget=forms.RadioSelect)


@dataclass(frozen=True)
class Fieldset:
    legend: str
    intro: str
    fields: list[forms.BoundField]
    slug: str


# legend, one sentence for people who read little, field names, a slug for ids
FIELDSET_LAYOUT: tuple[tuple[StrOrPromise, StrOrPromise, tuple[str, ...], str], ...] = (
    (_("Vous"), "", ("first_name", "last_name", "birth_date"), "identite"),
    (_("Pour vous joindre"), _("Sans e-mail, votre référent·e fera les démarches avec vous."),
     ("email", "phone"), "contact"),
    (_("Votre adresse"), _("Elle est écrite sur votre contrat."),
     ("address", "postcode", "city"), "adresse"),
    (_("Votre compte en banque"), "", ("iban",), "banque"),
    (_("Votre situation aujourd'hui"), _(
        "Ces questions sont facultatives. Les réponses servent seulement à faire des chiffres "
        "anonymes pour les financeurs du KPA."), SITUATION_FIELDS, "situation"),
    (_("Votre idée d'activité"), "", ("activity_idea",), "activite"),
)


class InscriptionDetailsForm(forms.Form):
    """The journey's own fields: what the inscription asks and what `edit` changes."""

    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=DateInput(),
        help_text=_("Il faut avoir 16 ans. Avant 18 ans, il faut l'accord d'un parent."),
        error_messages={"required": _("Indiquez la date de naissance."),
                        "invalid": _("Écrivez la date de naissance, par exemple 17/05/1990.")})
    address = forms.CharField(label=_("Adresse (numéro et rue)"), max_length=255,
                              error_messages={"required": _("Indiquez l'adresse.")})
    postcode = forms.CharField(label=_("Code postal"), max_length=10,
                               error_messages={"required": _("Indiquez le code postal.")})
    city = forms.CharField(label=_("Ville"), max_length=100,
                           error_messages={"required": _("Indiquez la ville.")})
    iban = forms.CharField(
        label=_("IBAN"), max_length=50, required=False,
        help_text=_("Facultatif pour l'instant. Recopiez-le depuis votre RIB : en France il "
                    "commence par FR76."))
    france_travail_registered = _situation(_("Êtes-vous inscrit·e à France Travail ?"))
    receives_are = _situation(_("Touchez-vous l'ARE (allocation chômage) ?"))
    receives_ass = _situation(_("Touchez-vous l'ASS (allocation de solidarité) ?"))
    receives_rsa = _situation(_("Touchez-vous le RSA ?"))
    lives_in_qpv = _situation(_("Habitez-vous un quartier prioritaire (QPV) ?"))
    activity_idea = forms.CharField(
        label=_("Que voulez-vous faire ?"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Quelques mots suffisent, par exemple « couture et retouches »."))

    def clean_iban(self) -> str:
        # The service checks it again; here it is so that every mistake shows at once.
        try:
            return services.clean_iban(self.cleaned_data["iban"])
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["iban"]) from None

    def fieldsets(self) -> list[Fieldset]:
        sets = []
        for legend, intro, names, slug in FIELDSET_LAYOUT:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                sets.append(Fieldset(str(legend), str(intro), fields, slug))
        return sets

    def journey_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in DETAIL_FIELDS}

    @staticmethod
    def initial_from(journey: Journey) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(journey, name) for name in DETAIL_FIELDS}
        for name in SITUATION_FIELDS:
            initial[name] = tri_state_initial(initial[name])
        return initial


class InscriptionForm(InscriptionDetailsForm):
    """The public form. Without `identity`, the logged-in person registers themself and their
    name and contact come from their record."""

    first_name = forms.CharField(label=_("Prénom"), max_length=100,
                                 error_messages={"required": _("Indiquez votre prénom.")})
    last_name = forms.CharField(label=_("Nom"), max_length=100,
                                error_messages={"required": _("Indiquez votre nom.")})
    email = forms.EmailField(
        label=_("E-mail (facultatif)"), required=False,
        help_text=_("Pour recevoir votre contrat et choisir un mot de passe."),
        error_messages={"invalid": _("Cet e-mail n'est pas complet, par exemple "
                                     "prenom@exemple.fr.")})
    phone = forms.CharField(label=_("Téléphone (facultatif)"), max_length=30, required=False)
    consent = forms.BooleanField(
        label=_("J'ai lu à quoi servent mes données"),
        error_messages={"required": _("Cochez la case pour dire que vous avez lu à quoi "
                                      "servent vos données.")})

    def __init__(self, *args: Any, identity: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not identity:
            for name in ("first_name", "last_name", "email", "phone"):
                del self.fields[name]

    def identity_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in
                ("first_name", "last_name", "email", "phone")}


class UploadForm(forms.Form):
    """A piece of the checklist: a file from the phone's storage or a photo taken now.

    Only names and sizes are looked at here: the view refuses a file over the limit before
    reading it, and the service recognises the type from the first bytes."""

    requirement = forms.TypedChoiceField(label=_("Quelle pièce ?"), coerce=int,
                                         error_messages={"required": _("Choisissez la pièce."),
                                                         "invalid_choice": _(
                                                             "Choisissez une pièce de la liste.")})
    file = forms.FileField(
        label=_("Choisir un fichier"), required=False,
        help_text=_("Un PDF ou une photo (JPEG, PNG, WebP), 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_TYPES}))
    photo = forms.FileField(
        label=_("ou prendre une photo avec le téléphone"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def __init__(self, *args: Any, requirements: Iterable[DocumentRequirement],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["requirement"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(r.pk, r.label) for r in requirements]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not data.get("photo"):
            raise forms.ValidationError(_("Choisissez un fichier ou prenez une photo de la pièce."))
        return data

    def upload(self) -> Any:
        return self.cleaned_data.get("file") or self.cleaned_data.get("photo")


class CheckForm(forms.Form):
    check_note = forms.CharField(
        label=_("Note de vérification"), max_length=200, required=False,
        help_text=_("Par exemple : carte d'identité n° …, valable jusqu'au …"))


class StepForm(forms.Form):
    on = forms.DateField(label=_("Date du diagnostic"), widget=DateInput(),
                         error_messages={"required": _("Indiquez la date."),
                                         "invalid": _("Écrivez une date, par exemple 28/11/2026.")})
    note = forms.CharField(label=_("Précision (facultatif)"), max_length=255, required=False)


class EraseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("J'ai compris : ces données seront effacées pour de bon"),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")})


class BoardFilterForm(forms.Form):
    """GET filters; a junk value is simply ignored."""

    kpa = forms.TypedChoiceField(label=_("KPA"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Étape"), required=False,
                               choices=[("", _("Toutes")), *JourneyStatus.choices])

    def __init__(self, *args: Any, kpas: Sequence[Kpa], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kpa"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("Tous")), *((k.pk, k.name) for k in kpas)]

    def value(self, name: str) -> Any:
        self.is_valid()
        return self.cleaned_data.get(name) or None


class PolicyForm(forms.ModelForm[JourneyPolicy]):
    class Meta:
        model = JourneyPolicy
        fields = ["reminder_days", "document_retention_days", "insurer", "legal_representative",
                  "programme", "means_provided", "fee", "commitment_cap",
                  "commitments_borne_by", "reporting_frequency", "early_termination"]
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in
                   ("programme", "means_provided", "fee", "commitments_borne_by",
                    "early_termination")}

    def policy_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RequirementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de pièce"), choices=DocumentRequirement.Kind.choices)
    label = forms.CharField(label=_("Libellé montré à la personne"), max_length=150,
                            error_messages={"required": _("Écrivez le nom de la pièce.")})
    required = forms.BooleanField(label=_("Obligatoire"), required=False, initial=True)
    minors_only = forms.BooleanField(label=_("Seulement pour les mineur·es"), required=False)
