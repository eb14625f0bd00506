"""Forms of proposals and votes: they validate input only; `proposals` and `ballots` judge it
and answer in French on the fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.governance.models import (
    GRADES,
    Comment,
    Elector,
    Method,
    Proposal,
    ProposalOption,
    Threshold,
    WorkingGroup,
)


class DateTimeLocalInput(forms.DateTimeInput):
    """The phone's native date and time picker."""

    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def split_options(text: str) -> list[str]:
    """One option per line; blank lines do not count."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# Fields shown in the <details> "Réglages avancés" of the creation form.
ADVANCED = ("quorum_percent", "threshold", "abstentions_count", "secret", "max_proxies",
            "review_on", "opens_at")


class ProposalForm(forms.Form):
    """Creation form for one method: fields that do not apply to it are removed."""

    title = forms.CharField(label=_("Titre"), max_length=200,
                            help_text=_("En quelques mots : ce que l'on décide."))
    body = forms.CharField(label=_("Texte de la proposition"), required=False,
                           widget=forms.Textarea(attrs={"rows": 6}),
                           help_text=_("Explique la proposition. Tu peux mettre des titres "
                                       "(## Titre) et des listes (- élément)."))
    group = forms.ModelChoiceField(label=_("Groupe de travail (facultatif)"),
                                   queryset=WorkingGroup.objects.none(), required=False,
                                   empty_label=_("Tout le KPA"))
    options = forms.CharField(label=_("Options (une par ligne)"),
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("Écris une option par ligne, au moins deux."))
    choice_mode = forms.ChoiceField(label=_("Combien de choix par personne ?"),
                                    choices=Proposal.ChoiceMode.choices,
                                    initial=Proposal.ChoiceMode.SINGLE,
                                    widget=forms.RadioSelect)
    closes_at = forms.DateTimeField(label=_("Fin du vote"), widget=DateTimeLocalInput(),
                                    help_text=_("Jour et heure où le vote se termine."))
    opens_at = forms.DateTimeField(label=_("Début du vote (facultatif)"), required=False,
                                   widget=DateTimeLocalInput(),
                                   help_text=_("Vide : le vote commence dès qu'il est "
                                               "ouvert."))
    quorum_percent = forms.IntegerField(label=_("Quorum (%)"), min_value=0, max_value=100,
                                        initial=0,
                                        help_text=_("Part des inscrit·es qui doivent voter. "
                                                    "0 : pas de quorum."))
    threshold = forms.ChoiceField(label=_("Majorité requise"), choices=Threshold.choices,
                                  initial=Threshold.SIMPLE)
    abstentions_count = forms.BooleanField(
        label=_("Les abstentions comptent dans les suffrages"), required=False)
    secret = forms.BooleanField(label=_("Vote secret"), required=False,
                                help_text=_("Personne ne peut savoir ce que chacun·e a "
                                            "voté."))
    max_proxies = forms.IntegerField(label=_("Procurations par personne"), min_value=0,
                                     max_value=10, initial=0,
                                     help_text=_("0 : pas de procuration."))
    review_on = forms.DateField(label=_("Date de révision (facultatif)"), required=False,
                                widget=DateInput(),
                                help_text=_("Le jour où l'on reparlera de cette décision."))

    def __init__(self, *args: Any, method: str,
                 groups: QuerySet[WorkingGroup] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method = method
        group = self.fields["group"]
        assert isinstance(group, forms.ModelChoiceField)
        if groups is None or not groups.exists():
            del self.fields["group"]
        else:
            group.queryset = groups
        if method not in (Method.JUDGMENT, Method.CHOICE):
            del self.fields["options"]
        if method != Method.CHOICE:
            del self.fields["choice_mode"]
        if method != Method.MAJORITY:
            del self.fields["threshold"]
            del self.fields["abstentions_count"]
        if method == Method.CONSENT:
            # A consent round is spoken in the open and carried by each person: no secret, no
            # proxy.
            del self.fields["secret"]
            del self.fields["max_proxies"]

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in ADVANCED]

    def advanced_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name in ADVANCED]

    def clean_options(self) -> list[str]:
        return split_options(self.cleaned_data.get("options", ""))

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"], "body": data.get("body", ""), "method": self.method,
            "group": data.get("group"), "options": data.get("options", []),
            "opens_at": data.get("opens_at"), "closes_at": data.get("closes_at"),
            "quorum_percent": data.get("quorum_percent") or 0,
            "threshold": data.get("threshold") or Threshold.SIMPLE,
            "abstentions_count": bool(data.get("abstentions_count")),
            "choice_mode": data.get("choice_mode") or Proposal.ChoiceMode.SINGLE,
            "secret": bool(data.get("secret")), "max_proxies": data.get("max_proxies") or 0,
            "review_on": data.get("review_on"),
        }


class AmendForm(forms.Form):
    title = forms.CharField(label=_("Titre"), max_length=200)
    body = forms.CharField(label=_("Texte de la proposition"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))
    options = forms.CharField(label=_("Options (une par ligne)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("Pourquoi ce changement ?"), max_length=300,
                             required=False)

    def __init__(self, *args: Any, proposal: Proposal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {
            "title": proposal.title, "body": proposal.body,
            "options": "\n".join(o.label for o in proposal.options.all())})
        super().__init__(*args, **kwargs)
        # Options change only before the vote opens, and only where there are options.
        if (proposal.method not in (Method.JUDGMENT, Method.CHOICE)
                or proposal.status == Proposal.Status.OPEN):
            del self.fields["options"]

    def clean_options(self) -> list[str] | None:
        if "options" not in self.fields:
            return None
        return split_options(self.cleaned_data.get("options", ""))


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Ton message"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(choices=Comment.Kind.choices, initial=Comment.Kind.COMMENT,
                             widget=forms.HiddenInput)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Pourquoi annuler ?"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(forms.Form):
    argument = forms.CharField(
        label=_("Ton objection"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Explique quel risque tu vois pour le collectif si la proposition passe "
                    "telle quelle, et ce qui te permettrait de consentir."))


class IntegrateForm(forms.Form):
    resolution = forms.CharField(label=_("Comment l'objection est prise en compte"),
                                 max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    title = forms.CharField(label=_("Titre de la proposition"), max_length=200)
    body = forms.CharField(label=_("Nouveau texte de la proposition"), required=False,
                           widget=forms.Textarea(attrs={"rows": 8}))


class ElectorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.person.full_name if obj.person_id else obj.kpa)


class ProxyForm(forms.Form):
    holder = ElectorChoiceField(label=_("Qui vote pour toi ?"),
                                queryset=Elector.objects.none())

    def __init__(self, *args: Any, holders: QuerySet[Elector], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["holder"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = holders


MAJORITY_CHOICES = [("for", _("Pour")), ("against", _("Contre")), ("abstain", _("Abstention"))]


class VoteForm(forms.Form):
    """The ballot of one method, read from the buttons and inputs of the vote page.

    Majority and consent send `choice` (the tapped button); a single choice sends `option`
    (the tapped button); approval sends the ticked `options`; judgment sends one `grade_<id>`
    per option."""

    on_behalf_of = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, proposal: Proposal, options: list[ProposalOption],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.options = options
        choices = [(str(o.pk), o.label) for o in options]
        if proposal.method == Method.MAJORITY:
            self.fields["choice"] = forms.ChoiceField(label=_("Ton vote"),
                                                      choices=MAJORITY_CHOICES)
        elif proposal.method == Method.CONSENT:
            self.fields["choice"] = forms.ChoiceField(label=_("Ton vote"),
                                                      choices=[("consent", _("Je consens"))])
        elif proposal.method == Method.CHOICE and (
                proposal.choice_mode == Proposal.ChoiceMode.APPROVAL):
            self.fields["options"] = forms.MultipleChoiceField(
                label=_("Coche les options qui te conviennent"), choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"required": _("Coche au moins une option.")})
        elif proposal.method == Method.CHOICE:
            self.fields["option"] = forms.ChoiceField(label=_("Ton choix"), choices=choices)
        else:
            grades = [(str(value), label) for value, label in GRADES]
            for option in options:
                self.fields[f"grade_{option.pk}"] = forms.ChoiceField(
                    label=option.label, choices=grades, widget=forms.RadioSelect,
                    error_messages={"required": _("Donne une mention à cette option.")})

    def grade_fields(self) -> list[forms.BoundField]:
        return [self[f"grade_{option.pk}"] for option in self.options
                if f"grade_{option.pk}" in self.fields]

    def ballot(self) -> dict[str, Any]:
        """The keyword arguments of `ballots.cast_vote` for this ballot."""
        data = self.cleaned_data
        if "choice" in data:
            return {"choice": data["choice"]}
        if "options" in data:
            return {"option_ids": [int(value) for value in data["options"]]}
        if "option" in data:
            return {"option_ids": [int(data["option"])]}
        return {"grades": {option.pk: int(data[f"grade_{option.pk}"])
                           for option in self.options}}


def local_input(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""
