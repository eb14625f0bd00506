"""Forms of the charter and autonomy pages: they validate input only; `charter` and `autonomy`
judge it and answer in French on the fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpa.directory.models import Kpa
from kpa.governance.models import CharterVersion


class CharterDraftForm(forms.Form):
    # Not required here: the service refuses a blank text with words that say what to do.
    body = forms.CharField(
        label=_("Texte de la charte"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_("Une ligne vide sépare deux paragraphes. « ## » au début d'une ligne en "
                    "fait un titre, « - » un point de liste, **deux étoiles** mettent en gras."),
    )


def _version_label(version: CharterVersion) -> str:
    return f"v{version.number} — {version.get_status_display()}"


class CharterCompareForm(forms.Form):
    de = forms.TypedChoiceField(label=_("Version d'avant"), coerce=int)
    a = forms.TypedChoiceField(label=_("Version d'après"), coerce=int)

    def __init__(self, *args: Any, versions: Sequence[CharterVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(v.number, _version_label(v)) for v in versions]
        for name in ("de", "a"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices


class CharterPolicyForm(forms.Form):
    required = forms.BooleanField(
        label=_("Un·e coopérant·e vote seulement après avoir lu la charte en vigueur de son "
                "KPA"), required=False,
        help_text=_("Tant qu'elle n'a pas appuyé sur « J'ai lu la charte », la personne n'est "
                    "pas appelée à voter."))


class AutonomyProposeForm(forms.Form):
    level = forms.ChoiceField(label=_("Nouveau niveau"), choices=Kpa.Autonomy.choices)
