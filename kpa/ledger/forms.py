"""Forms of the books: they validate input only; services do the writing.

Amounts are typed the French way ("1 234,50"); `parse_amount` reads them into Decimals (never
floats) and the services check the accounting rules (balance, accounts of the chart).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BaseFormSet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import parse_amount as parse_plain_amount
from kpa.core.money import quantize
from kpa.directory.models import Kpa, Person
from kpa.ledger.models import (
    Account,
    Entry,
    EntryLine,
    Journal,
    ThirdParty,
    TreasuryAccount,
)
from kpa.ledger.services import LineInput

LINES_PREFIX = "lines"
MIN_LINES = 2
MAX_LINES = 200
FEC_MAX_BYTES = 200 * 1024 * 1024
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_amount(text: str) -> Decimal | None:
    """"1 234,50", "1234.5" or "" → Decimal("1234.50") or None; ValueError if not an amount."""
    cleaned = _SPACES.sub("", text or "")
    return parse_plain_amount(cleaned) if cleaned else None


class AmountField(forms.CharField):
    """A French amount: comma or point, spaces allowed; at most two decimals, never negative."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off",
                                  "class": "amount"})

    def clean(self, value: Any) -> Decimal | None:
        text = super().clean(value)
        try:
            amount = parse_amount(text)
        except ValueError:
            raise forms.ValidationError(_("« %(value)s » n'est pas un montant : écrivez par "
                                          "exemple 1234,50.") % {"value": text}) from None
        if amount is None:
            return None
        if amount < 0:
            raise forms.ValidationError(_("Un montant est positif ; une somme négative se passe "
                                          "dans l'autre colonne."))
        if amount != quantize(amount):
            raise forms.ValidationError(_("Un montant s'écrit au centime près."))
        return quantize(amount)


# -- setting up the books -------------------------------------------------------------------


class FiscalYearForm(forms.Form):
    """A year from its first to its last day, as accountants say it; the service wants the
    day after (periods end exclusively), which `clean` adds as `ends_on`."""

    starts_on = forms.DateField(label=_("Premier jour de l'exercice"), widget=DateInput())
    last_day = forms.DateField(label=_("Dernier jour de l'exercice (date de clôture)"),
                               widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, last = data.get("starts_on"), data.get("last_day")
        if start and last:
            if last < start:
                self.add_error("last_day", _("Le dernier jour vient après le premier."))
            data["ends_on"] = last + dt.timedelta(days=1)
        return data


class AccountForm(forms.Form):
    number = forms.CharField(label=_("Numéro du sous-compte"), max_length=20, help_text=_(
        "Il prolonge un compte du plan : 6061 sous 606, 4111 sous 411."))
    label = forms.CharField(label=_("Intitulé"), max_length=150)


class JournalForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=6,
                           help_text=_("Lettres majuscules et chiffres, par exemple BQ2."))
    label = forms.CharField(label=_("Intitulé"), max_length=100)
    kind = forms.ChoiceField(label=_("Type"), choices=[
        (value, label) for value, label in Journal.Kind.choices
        if value != Journal.Kind.OPENING])
    account = forms.ModelChoiceField(
        label=_("Compte de banque ou de caisse"), queryset=Account.objects.none(),
        required=False, help_text=_("Pour un journal de banque (512…) ou de caisse (53…)."))

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = accounts


class ThirdPartyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=17,
                           help_text=_("Le numéro de compte auxiliaire, par exemple C0042."))
    name = forms.CharField(label=_("Nom ou raison sociale"), max_length=150)
    kind = forms.ChoiceField(label=_("Type"), choices=ThirdParty.Kind.choices)


class TreasuryAccountForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20)
    label = forms.CharField(label=_("Intitulé"), max_length=150)
    kind = forms.ChoiceField(label=_("Type"), choices=TreasuryAccount.Kind.choices)
    person = forms.ModelChoiceField(
        label=_("Coopérant·e (trésorerie individuelle)"), queryset=Person.objects.none(),
        required=False)
    kpa = forms.ModelChoiceField(label=_("KPA"), queryset=Kpa.objects.none(), required=False)

    def __init__(self, *args: Any, persons: QuerySet[Person], kpas: QuerySet[Kpa],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (("person", persons), ("kpa", kpas)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset


# -- entries --------------------------------------------------------------------------------


class EntryForm(forms.Form):
    journal = forms.ModelChoiceField(label=_("Journal"), queryset=Journal.objects.none())
    date = forms.DateField(label=_("Date"), widget=DateInput())
    piece_ref = forms.CharField(label=_("Pièce"), max_length=50, required=False,
                                help_text=_("Le numéro de la facture ou du justificatif."))
    piece_date = forms.DateField(label=_("Date de la pièce"), required=False,
                                 widget=DateInput(), help_text=_("Par défaut, la date."))
    label = forms.CharField(label=_("Libellé"), max_length=200)

    def __init__(self, *args: Any, journals: QuerySet[Journal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["journal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = journals


class LineForm(forms.Form):
    """One line; a line left wholly blank is ignored, so a spare empty line never hurts."""

    account = forms.CharField(label=_("Compte"), max_length=20, required=False,
                              widget=forms.TextInput(attrs={
                                  "list": "ledger-accounts", "inputmode": "numeric",
                                  "autocomplete": "off", "class": "account"}))
    third_party = forms.ModelChoiceField(label=_("Tiers"), queryset=ThirdParty.objects.none(),
                                         required=False)
    treasury_account = forms.ModelChoiceField(
        label=_("Compte de trésorerie"), queryset=TreasuryAccount.objects.none(),
        required=False)
    label = forms.CharField(label=_("Libellé"), max_length=200, required=False)
    debit = AmountField(label=_("Débit"))
    credit = AmountField(label=_("Crédit"))

    def __init__(self, *args: Any, third_parties: QuerySet[ThirdParty],
                 treasury_accounts: QuerySet[TreasuryAccount], balance_url: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (("third_party", third_parties),
                               ("treasury_account", treasury_accounts)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = queryset
        if balance_url:  # htmx: the balance under the lines follows the amounts as typed
            for name in ("debit", "credit"):
                self.fields[name].widget.attrs.update({
                    "hx-post": balance_url, "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#balance", "hx-include": "closest form",
                    "hx-swap": "innerHTML"})

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not any(data.get(name) for name in self.fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any(data.get(name) for name in self.fields) and not data.get("account"):
            self.add_error("account", _("Indiquez le compte de cette ligne."))
        return data

    def line_input(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(account=data["account"].strip(), debit=data.get("debit") or 0,
                         credit=data.get("credit") or 0, label=data.get("label") or "",
                         third_party=data.get("third_party"),
                         treasury_account=data.get("treasury_account"))


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES)


def line_formset(data: QueryDict | None, *, third_parties: QuerySet[ThirdParty],
                 treasury_accounts: QuerySet[TreasuryAccount], balance_url: str = "",
                 initial: list[dict[str, Any]] | None = None) -> BaseFormSet[LineForm]:
    """The lines of an entry: bound to `data`, or `initial` plus blank lines up to two."""
    initial = list(initial or [])
    initial += [{}] * max(MIN_LINES - len(initial), 0)
    return LineFormSet(data, initial=None if data is not None else initial,
                       prefix=LINES_PREFIX, form_kwargs={
                           "third_parties": third_parties, "balance_url": balance_url,
                           "treasury_accounts": treasury_accounts})


def lines_of_formset(formset: BaseFormSet[LineForm]) -> list[LineInput]:
    return [form.line_input() for form in formset.forms if not form.is_blank()]


_LINE_FIELDS = tuple(LineForm.base_fields)


def _line_count(data: Mapping[str, Any]) -> int:
    try:
        count = int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS", MIN_LINES))
    except ValueError:
        count = MIN_LINES
    return max(0, min(count, MAX_LINES))


def posted_lines(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The lines as typed, blank ones included, in screen order."""
    return [{name: str(data.get(f"{LINES_PREFIX}-{index}-{name}", "")) for name in _LINE_FIELDS}
            for index in range(_line_count(data))]


def compact_lines(data: QueryDict) -> QueryDict:
    """Drop blank lines and number the others 1, 2, 3…, as the service counts them, so that
    "Ligne 3" in its messages is the third line on the screen."""
    kept = [values for values in posted_lines(data)
            if any(value.strip() for value in values.values())]
    copy = data.copy()
    for key in [k for k in copy if k.startswith(f"{LINES_PREFIX}-")]:
        del copy[key]
    for index, values in enumerate(kept):
        for name, value in values.items():
            copy[f"{LINES_PREFIX}-{index}-{name}"] = value
    copy[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(max(len(kept), MIN_LINES))
    copy[f"{LINES_PREFIX}-INITIAL_FORMS"] = "0"
    return copy


def typed_totals(lines: list[dict[str, Any]]) -> tuple[Decimal, Decimal]:
    """Debit and credit of whatever is typed so far; what is not yet an amount counts 0."""
    totals = [Decimal("0.00"), Decimal("0.00")]
    for line in lines:
        for side, name in enumerate(("debit", "credit")):
            try:
                amount = parse_amount(str(line.get(name) or ""))
            except ValueError:
                continue
            if amount is not None and 0 < amount < Decimal(10) ** 12:
                totals[side] += quantize(amount)
    return totals[0], totals[1]


def initial_lines(lines: QuerySet[EntryLine]) -> list[dict[str, Any]]:
    return [{"account": ln.account.number, "third_party": ln.third_party_id,
             "treasury_account": ln.treasury_account_id, "label": ln.label,
             "debit": _typed(ln.debit), "credit": _typed(ln.credit)} for ln in lines]


def initial_header(entry: Entry) -> dict[str, Any]:
    return {"journal": entry.journal_id, "date": entry.date, "piece_ref": entry.piece_ref,
            "piece_date": entry.piece_date, "label": entry.label}


def _typed(amount: Decimal) -> str:
    return f"{amount:.2f}".replace(".", ",") if amount else ""


class EntryFilterForm(forms.Form):
    journal = forms.ModelChoiceField(label=_("Journal"), queryset=Journal.objects.none(),
                                     required=False, empty_label=_("Tous"))
    status = forms.ChoiceField(label=_("État"), required=False,
                               choices=[("", _("Tous")), *Entry.Status.choices])
    q = forms.CharField(label=_("Rechercher (libellé ou pièce)"), max_length=100,
                        required=False)

    def __init__(self, *args: Any, journals: QuerySet[Journal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["journal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = journals


class ReverseForm(forms.Form):
    date = forms.DateField(label=_("Date de la contre-passation"), widget=DateInput())


# -- lettering, closing ---------------------------------------------------------------------


class LetteringForm(forms.Form):
    lines = forms.ModelMultipleChoiceField(
        label=_("Lignes à lettrer"), queryset=EntryLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins deux lignes à lettrer.")})

    def __init__(self, *args: Any, open_lines: QuerySet[EntryLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lines"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = open_lines


class CloseForm(forms.Form):
    understood = forms.BooleanField(
        label=_("J'ai compris qu'un exercice clôturé ne se rouvre pas"),
        error_messages={"required": _("Cochez la case pour confirmer la clôture.")})


class AllocationForm(forms.Form):
    date = forms.DateField(label=_("Date de l'affectation"), widget=DateInput(),
                           help_text=_("La date de l'assemblée qui l'a décidée."))


class AllocationLineForm(forms.Form):
    account = forms.CharField(label=_("Compte"), max_length=20, required=False,
                              widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    amount = AmountField(label=_("Montant"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("amount") and not data.get("account"):
            self.add_error("account", _("Indiquez le compte."))
        return data


AllocationFormSet = forms.formset_factory(AllocationLineForm, extra=0, max_num=20,
                                          absolute_max=20)


def allocations_of(formset: Any, *, negative: bool) -> list[tuple[str, Decimal]]:
    """People type positive amounts; a loss is allocated as negative amounts (to 119…)."""
    sign = -1 if negative else 1
    return [(form.cleaned_data["account"].strip(), sign * form.cleaned_data["amount"])
            for form in formset.forms
            if form.cleaned_data.get("account") and form.cleaned_data.get("amount")]


# -- exchange -------------------------------------------------------------------------------


class FecImportForm(forms.Form):
    file = forms.FileField(label=_("Fichier des écritures comptables (FEC)"), help_text=_(
        "Le fichier texte exporté par votre ancien logiciel, 200 Mo au plus."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > FEC_MAX_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 200 Mo."))
        return upload


class FecExportForm(forms.Form):
    separateur = forms.ChoiceField(label=_("Séparateur"), required=False, choices=[
        ("tab", _("Tabulation")), ("pipe", _("Barre verticale |"))])


class JournalChoiceForm(forms.Form):
    journal = forms.ModelChoiceField(label=_("Journal"), queryset=Journal.objects.none(),
                                     to_field_name="code")

    def __init__(self, *args: Any, journals: QuerySet[Journal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["journal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = journals


class AccountChoiceForm(forms.Form):
    compte = forms.ModelChoiceField(label=_("Compte"), queryset=Account.objects.none(),
                                    to_field_name="number")

    def __init__(self, *args: Any, accounts: QuerySet[Account], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["compte"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = accounts
