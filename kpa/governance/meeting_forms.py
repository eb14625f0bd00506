"""Forms of the meeting pages: they validate input only; `meetings` judges it and its French
refusals land on the fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import Person
from kpa.governance.models import Attendance, CharterVersion, Proposal, Threshold

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class DateTimeLocalInput(forms.DateTimeInput):
    """The phone's native date-and-time picker."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _when_field(label: StrOrPromise) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeLocalInput(),
                               input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])


class ProposalChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title} ({obj.get_status_display()})"


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200,
                            help_text=_("Par exemple « Réunion du collectif de décembre »."))
    starts_at = _when_field(_("Début (jour et heure)"))
    ends_at = _when_field(_("Fin (jour et heure)"))
    location = forms.CharField(label=_("Lieu (facultatif)"), max_length=255, required=False)
    agenda = forms.CharField(label=_("Ordre du jour (facultatif)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 6}),
                             help_text=_("Un point par ligne, en commençant par « - »."))
    proposals = ProposalChoiceField(label=_("Propositions dont on parlera (facultatif)"),
                                    queryset=Proposal.objects.none(), required=False,
                                    widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, proposals: QuerySet[Proposal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposals"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = proposals
        if not proposals.exists():
            del self.fields["proposals"]


STATUS_CHOICES = [("", _("Pas noté")), *Attendance.Status.choices]


class AttendanceForm(forms.Form):
    """One choice per person who may attend, named `person_<id>`."""

    def __init__(self, *args: Any, persons: Iterable[Person], current: dict[int, str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for person in persons:
            self.fields[f"person_{person.pk}"] = forms.ChoiceField(
                label=person.full_name, choices=STATUS_CHOICES, required=False,
                initial=current.get(person.pk, ""))

    def statuses(self) -> dict[int, str]:
        return {int(name.removeprefix("person_")): value
                for name, value in self.cleaned_data.items()}


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=_("Compte rendu"), widget=forms.Textarea(attrs={"rows": 12}),
                              help_text=_("Ce qui a été dit et décidé. Les décisions votées à "
                                          "main levée se notent à part."))


class ShowOfHandsForm(forms.Form):
    title = forms.CharField(label=_("Ce qui a été voté"), max_length=200,
                            help_text=_("Par exemple « Ouvrir l'atelier le samedi »."))
    summary = forms.CharField(label=_("Ce qui est décidé, en détail (facultatif)"),
                              required=False, widget=forms.Textarea(attrs={"rows": 3}))
    votes_for = forms.IntegerField(label=_("Nombre de mains levées pour"), min_value=0,
                                   initial=0)
    against = forms.IntegerField(label=_("Nombre de mains levées contre"), min_value=0,
                                 initial=0)
    abstain = forms.IntegerField(label=_("Nombre de personnes qui ne votent pas "
                                         "(abstention)"), min_value=0, initial=0)
    threshold = forms.ChoiceField(label=_("Majorité requise"), choices=Threshold.choices,
                                  initial=Threshold.SIMPLE)
    review_on = forms.DateField(label=_("À revoir le (facultatif)"), required=False,
                                widget=DateInput())
    charter_version = forms.ModelChoiceField(
        label=_("Ce vote adopte la charte (facultatif)"),
        queryset=CharterVersion.objects.none(), required=False,
        empty_label=_("Non"))

    def __init__(self, *args: Any, charter_drafts: QuerySet[CharterVersion] | None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("votes_for", "against", "abstain"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric", "min": "0"})
        field = self.fields["charter_version"]
        assert isinstance(field, forms.ModelChoiceField)
        if charter_drafts is None or not charter_drafts.exists():
            del self.fields["charter_version"]
        else:
            field.queryset = charter_drafts
