"""Forms of the contract and insurance pages. They only parse what was typed; every rule (12
months, two renewals, 36 months, overlaps, dates) is the services' to check, so the page, the
API and the tests say the same thing.

Dates on screen are inclusive: people read "du 1er mars au 28 février". The services take the
platform's exclusive end, so a form asks for the contract's last day and `ends_on` adds one day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import Kpa
from kpa.journey import rules
from kpa.journey.models import InsuranceEntry, InsuranceList, Journey
from kpa.journey.uploads import MAX_UPLOAD_BYTES

ONE_DAY = dt.timedelta(days=1)
ENDING_SOON_CHOICES = (30, 60, 90, 180)
ENDING_SOON_DEFAULT = 90


def longest_last_day(starts_on: dt.date) -> dt.date:
    """The last day of a twelve-month period starting on `starts_on`."""
    return rules.add_months(starts_on, rules.MAX_PERIOD_MONTHS) - ONE_DAY


class LastDayMixin:
    """The exclusive end the services take, from the inclusive last day the person typed."""

    cleaned_data: dict[str, Any]

    @property
    def ends_on(self) -> dt.date:
        last_day: dt.date = self.cleaned_data["last_day"]
        return last_day + ONE_DAY


def _last_day_field(help_text: Any) -> forms.DateField:
    return forms.DateField(label=_("Dernier jour du contrat"), widget=DateInput(),
                           help_text=help_text)


class PeriodForm(LastDayMixin, forms.Form):
    """A first period, or the new dates of a contract reissued because it was signed late."""

    starts_on = forms.DateField(
        label=_("Premier jour du contrat"), widget=DateInput(),
        help_text=_("Aujourd'hui ou plus tard : la personne doit signer au plus tard ce jour-là."),
    )
    last_day = _last_day_field(_(
        "12 mois au plus. Par exemple, un contrat qui commence le 1er mars finit au plus tard "
        "le 28 février de l'année suivante."
    ))


class RenewForm(LastDayMixin, forms.Form):
    last_day = _last_day_field(_(
        "Le renouvellement commence le lendemain de la fin du contrat en cours et dure 12 mois "
        "au plus."
    ))


class SignForm(forms.Form):
    typed_name = forms.CharField(label=_("Tapez votre prénom et votre nom"), max_length=200,
                                 widget=forms.TextInput(attrs={"autocomplete": "name"}))
    confirm = forms.BooleanField(
        label=_("J'ai lu le contrat et je le signe"),
        error_messages={"required": _("Cochez la case pour dire que vous avez lu le contrat.")},
    )


class SignedCopyForm(forms.Form):
    file = forms.FileField(
        label=_("Copie signée (PDF ou photo)"),
        help_text=_("Le contrat signé à la main, scanné ou photographié : 10 Mo au plus."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
        error_messages={"required": _("Choisissez le fichier de la copie signée."),
                        "empty": _("Le fichier est vide : choisissez un autre fichier.")},
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        # Django knows the size from the request; refusing here never reads a huge file.
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_(
                "Ce fichier fait %(size)s Mo : 10 Mo au plus. Scannez en qualité « document » "
                "ou prenez une photo moins grande."
            ) % {"size": round(upload.size / 1024 / 1024)})
        return upload


class ExitForm(forms.Form):
    exited_on = forms.DateField(label=_("Date de sortie"), widget=DateInput(), help_text=_(
        "Le jour où la personne quitte le parcours : aujourd'hui ou avant."))
    exit_kind = forms.ChoiceField(label=_("Et après ?"), choices=Journey.ExitKind.choices)
    destination = forms.CharField(
        label=_("Où va la personne"), max_length=200, required=False,
        help_text=_("Facultatif. Par exemple : nom de l'employeur, de la formation ou de "
                    "l'entreprise créée."))


class EndingSoonForm(forms.Form):
    within = forms.TypedChoiceField(
        label=_("Contrats qui finissent dans les"), coerce=int, required=False,
        choices=[(days, _("%(days)s prochains jours") % {"days": days})
                 for days in ENDING_SOON_CHOICES],
    )

    @property
    def within_days(self) -> int:
        """The chosen window; anything else (junk, nothing) is the default."""
        if self.is_valid() and self.cleaned_data["within"]:
            return int(self.cleaned_data["within"])
        return ENDING_SOON_DEFAULT


class InsuranceCreateForm(forms.Form):
    """One per KPA on the lists page; the KPA travels hidden, the insurer may be changed."""

    kpa = forms.ModelChoiceField(queryset=Kpa.objects.none(), widget=forms.HiddenInput)
    insurer = forms.CharField(label=_("Assureur"), max_length=150, required=False)

    def __init__(self, *args: Any, kpas: QuerySet[Kpa], default_insurer: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["kpa"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = kpas
        if default_insurer:
            self.fields["insurer"].help_text = _(
                "Laissez vide pour l'assureur de la structure : %(insurer)s."
            ) % {"insurer": default_insurer}


class InsuranceSentForm(forms.Form):
    sent_on = forms.DateField(label=_("Envoyée à l'assureur le"), widget=DateInput())


class InsuranceAnswerForm(forms.Form):
    """One accepted/refused choice per person on the list, and the date of the answer."""

    answered_on = forms.DateField(label=_("Date de la réponse de l'assureur"), widget=DateInput())

    def __init__(self, *args: Any, insurance_list: InsuranceList,
                 entries: list[InsuranceEntry], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insurance_list = insurance_list
        self.entries = entries
        choices = [(InsuranceEntry.Answer.ACCEPTED, _("Accepté·e")),
                   (InsuranceEntry.Answer.REFUSED, _("Refusé·e"))]
        for entry in entries:
            self.fields[self.field_name(entry)] = forms.ChoiceField(
                label=f"{entry.journey.person.full_name} — {entry.activity}",
                choices=choices, widget=forms.RadioSelect,
                error_messages={"required": _("Choisissez accepté ou refusé.")},
            )

    @staticmethod
    def field_name(entry: InsuranceEntry) -> str:
        return f"entry_{entry.pk}"

    def answer_fields(self) -> list[forms.BoundField]:
        return [self[self.field_name(entry)] for entry in self.entries]

    @property
    def answers(self) -> dict[int, str]:
        return {entry.pk: self.cleaned_data[self.field_name(entry)] for entry in self.entries}
