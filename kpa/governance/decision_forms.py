"""Forms of the decision register: the search and filters, the review date. They validate
input only; `register` judges it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.governance.models import Method


class DecisionFilterForm(forms.Form):
    q = forms.CharField(label=_("Chercher un mot"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    method = forms.ChoiceField(label=_("Façon de décider"), required=False,
                               choices=[("", _("Toutes")), *Method.choices])
    year = forms.TypedChoiceField(label=_("Année"), required=False, coerce=int,
                                  empty_value=None, choices=[("", _("Toutes"))])

    def __init__(self, *args: Any, years: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["year"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Toutes")), *((str(y), str(y)) for y in years)]

    def values(self) -> tuple[str, str, int | None]:
        """(q, method, year) when valid; no filter for what is not."""
        if not self.is_bound or not self.is_valid():
            return "", "", None
        data = self.cleaned_data
        return (data.get("q") or "").strip(), data.get("method") or "", data.get("year")


class ReviewForm(forms.Form):
    review_on = forms.DateField(label=_("À revoir le"), required=False, widget=DateInput(),
                                help_text=_("Laissez vide pour ne plus prévoir de révision."))

    def cleaned_review_on(self) -> dt.date | None:
        value: dt.date | None = self.cleaned_data.get("review_on")
        return value
