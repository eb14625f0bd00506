"""Forms of the framework, the self-assessment and the delegate: they validate only, the
services decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.directory.models import Person
from kpa.governance.models import CriterionAssessment, Decision, FrameworkCriterion


class DraftForm(forms.Form):
    label = forms.CharField(
        label=_("Nom du projet"), max_length=200,
        help_text=_("Par exemple « Cadre 2027 : soutien financier au réseau »."))


class PillarForm(forms.Form):
    title = forms.CharField(label=_("Nom du pilier"), max_length=300)


class CriterionForm(forms.Form):
    text = forms.CharField(label=_("Texte du critère"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_key = forms.CharField(
        label=_("Preuves calculées (facultatif)"), max_length=40, required=False,
        help_text=_("Ce que la plateforme montre d'elle-même, séparé par des espaces : "
                    "charter, place, books…"))


def status_field_name(criterion: FrameworkCriterion) -> str:
    return f"status_{criterion.pk}"


def evidence_field_name(criterion: FrameworkCriterion) -> str:
    return f"evidence_{criterion.pk}"


class AssessmentForm(forms.Form):
    """One status (three radio buttons) and one evidence text per criterion of the version;
    a criterion left without a status is left unanswered."""

    def __init__(self, *args: Any, criteria: Sequence[FrameworkCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[status_field_name(criterion)] = forms.ChoiceField(
                label=_("Où en est-on ?"), choices=CriterionAssessment.Status.choices,
                widget=forms.RadioSelect, required=False)
            self.fields[evidence_field_name(criterion)] = forms.CharField(
                label=_("Preuves"), required=False,
                widget=forms.Textarea(attrs={"rows": 2}))

    def answers(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {c.pk: (data[status_field_name(c)], data[evidence_field_name(c)])
                for c in self.criteria if data.get(status_field_name(c))}


def _full_name(person: Person) -> str:
    return person.full_name


class DelegateForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Délégué·e"), queryset=Person.objects.none(),
                                    empty_label=_("Choisir un·e membre"))
    starts_on = forms.DateField(label=_("À partir du"), widget=DateInput())
    decision = forms.ModelChoiceField(
        label=_("Décision qui l'a désigné·e (facultatif)"), queryset=Decision.objects.none(),
        required=False, empty_label=_("Aucune"))

    def __init__(self, *args: Any, persons: QuerySet[Person], decisions: QuerySet[Decision],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person_field = self.fields["person"]
        assert isinstance(person_field, forms.ModelChoiceField)
        person_field.queryset = persons
        person_field.label_from_instance = _full_name  # type: ignore[method-assign,assignment]
        decision_field = self.fields["decision"]
        assert isinstance(decision_field, forms.ModelChoiceField)
        decision_field.queryset = decisions
