"""Forms of the contributory budget and of the exit settlement: they validate input only;
`envelopes` and `exits` judge it and answer in French on the fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.ledger.forms import AmountField
from kpa.ledger.models import TreasuryAccount
from kpa.sales.models import Invoice
from kpa.treasury.models import Envelope, EnvelopeTask, ExitSettlement


class InvoiceChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} — {obj.title or obj.customer}"


class EnvelopeForm(forms.Form):
    title = forms.CharField(label=_("Mission"), max_length=150,
                            help_text=_("Par exemple « Stand du marché de Noël »."))
    description = forms.CharField(label=_("Ce qu'il y a à faire (facultatif)"),
                                  widget=forms.Textarea(attrs={"rows": 3}), required=False)
    source_invoice = InvoiceChoiceField(
        label=_("Financée par la facture (facultatif)"), queryset=Invoice.objects.none(),
        required=False, help_text=_("Sans montant, l'enveloppe prend le montant HT de la "
                                    "facture qui n'est pas déjà dans un autre budget."))
    amount = AmountField(label=_("Montant de l'enveloppe (€)"))
    mode = forms.ChoiceField(label=_("Rétribution"), choices=Envelope.Mode.choices,
                             initial=Envelope.Mode.FREE, widget=forms.RadioSelect)
    hourly_ceiling = AmountField(label=_("Plafond horaire (€ de l'heure)"), initial="30,00",
                                 required=True,
                                 help_text=_("0 : pas de plafond."))
    rest_to_common_pot = forms.BooleanField(
        label=_("À la clôture, le reste va à la caisse commune du KPA"), required=False)

    def __init__(self, *args: Any, invoices: QuerySet[Invoice] | None, **kwargs: Any) -> None:
        """`invoices`: those of the collective activity; None for a KPA's pot, which has no
        invoice and is its own pot."""
        super().__init__(*args, **kwargs)
        field = self.fields["source_invoice"]
        assert isinstance(field, forms.ModelChoiceField)
        if invoices is None:
            del self.fields["source_invoice"]
            del self.fields["rest_to_common_pot"]
        else:
            field.queryset = invoices


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Tâche"), max_length=150)
    grid_amount = AmountField(label=_("Rétribution prévue (€)"))


class RewardForm(forms.Form):
    task = forms.ModelChoiceField(label=_("Tâche"), queryset=EnvelopeTask.objects.none(),
                                  required=False, empty_label=_("Toute la mission"))
    hours = forms.CharField(label=_("Heures passées (facultatif)"), max_length=10,
                            required=False,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    amount = AmountField(label=_("Ma rétribution (€)"))
    note = forms.CharField(label=_("Ce que j'ai fait"), max_length=300, required=False)

    def __init__(self, *args: Any, envelope: Envelope, tasks: QuerySet[EnvelopeTask],
                 editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["task"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = tasks
        if envelope.mode == Envelope.Mode.GRID:
            del self.fields["amount"]
            field.required = True
            field.empty_label = None
        if editing:
            del self.fields["task"]


class ExitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Le solde"), choices=ExitSettlement.Kind.choices,
                             widget=forms.RadioSelect)
    target = forms.ModelChoiceField(label=_("Trésorerie qui le reçoit (pour un transfert)"),
                                    queryset=TreasuryAccount.objects.none(), required=False)

    def __init__(self, *args: Any, targets: QuerySet[TreasuryAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["target"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = targets
