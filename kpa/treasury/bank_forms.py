"""Forms of the bank pages. They validate input only; `bank_import` and `reconciliation` say
the French refusals (a bad line of the file, lines that do not add up…)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import format_money
from kpa.directory.models import Structure
from kpa.ledger.models import EntryLine, Journal
from kpa.treasury.bank_import import (
    MAX_COLUMN,
    MAX_FILE_BYTES,
    MAX_SKIP_ROWS,
    LayoutSpec,
    parse_bank_amount,
)
from kpa.treasury.models import BankCsvLayout

DELIMITERS = [(";", _("Point-virgule ( ; )")), (",", _("Virgule ( , )")),
              ("\t", _("Tabulation")), ("|", _("Barre verticale ( | )"))]
ENCODINGS = [("utf-8", _("UTF-8 (la plupart des banques en ligne)")),
             ("cp1252", _("Windows-1252 (fichier passé par Excel)")),
             ("latin-1", _("ISO-8859-1 (latin-1)"))]
DATE_FORMATS = [("%d/%m/%Y", "JJ/MM/AAAA (28/11/2026)"), ("%d/%m/%y", "JJ/MM/AA (28/11/26)"),
                ("%Y-%m-%d", "AAAA-MM-JJ (2026-11-28)"), ("%d-%m-%Y", "JJ-MM-AAAA (28-11-2026)"),
                ("%d.%m.%Y", "JJ.MM.AAAA (28.11.2026)")]
SIGNED, SPLIT = "signed", "split"


def journal_label(journal: Journal) -> str:
    return f"{journal.structure.name} — {journal.code} {journal.label} ({journal.account})"


def line_label(line: EntryLine) -> str:
    entry = line.entry
    number = entry.reference or str(_("brouillon"))
    return (f"{entry.date:%d/%m/%Y} · {number} · {line.label} · "
            f"{format_money(line.debit - line.credit)} €")


class JournalChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return journal_label(obj)


class LineChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return line_label(obj)


class ImportForm(forms.Form):
    journal = JournalChoiceField(
        label=_("Compte en banque"), queryset=Journal.objects.none(), empty_label=None,
        help_text=_("Le journal de banque dont le relevé vient."))
    layout = forms.ModelChoiceField(
        label=_("Format du fichier"), queryset=BankCsvLayout.objects.none(), required=False,
        empty_label=_("OFX (reconnu tout seul)"),
        help_text=_("Un relevé OFX se lit tout seul ; un CSV a besoin du format de sa "
                    "banque."))
    file = forms.FileField(
        label=_("Relevé (OFX ou CSV)"),
        help_text=_("Téléchargé depuis le site de la banque, 5 Mo au plus."),
        error_messages={"required": _("Choisissez le fichier du relevé.")})

    def __init__(self, *args: Any, journals: QuerySet[Journal],
                 layouts: QuerySet[BankCsvLayout], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["journal"].queryset = journals  # type: ignore[attr-defined]
        self.fields["layout"].queryset = layouts  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("Le fichier dépasse 5 Mo : téléchargez un relevé "
                                          "plus court (un mois, par exemple)."))
        return upload


class LayoutForm(forms.Form):
    """Columns count from 1, as a spreadsheet's A, B, C… do."""

    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none(),
                                       empty_label=None)
    name = forms.CharField(label=_("Nom du format"), max_length=100,
                           help_text=_("Par exemple le nom de la banque."))
    delimiter = forms.ChoiceField(label=_("Séparateur des colonnes"), choices=DELIMITERS)
    encoding = forms.ChoiceField(label=_("Encodage"), choices=ENCODINGS)
    skip_rows = forms.IntegerField(
        label=_("Lignes d'en-tête à sauter"), min_value=0, max_value=MAX_SKIP_ROWS, initial=1,
        help_text=_("Les lignes du haut qui ne sont pas des opérations (titres des "
                    "colonnes…)."))
    date_column = forms.IntegerField(label=_("Colonne de la date"), min_value=1,
                                     max_value=MAX_COLUMN,
                                     help_text=_("1 pour la première colonne (A)."))
    date_format = forms.ChoiceField(label=_("Écriture de la date"), choices=DATE_FORMATS)
    label_column = forms.IntegerField(label=_("Colonne du libellé"), min_value=1,
                                      max_value=MAX_COLUMN)
    amount_mode = forms.ChoiceField(
        label=_("Les montants"), widget=forms.RadioSelect, initial=SIGNED,
        choices=[(SIGNED, _("Une colonne, négative pour l'argent qui sort")),
                 (SPLIT, _("Deux colonnes : débit et crédit"))])
    amount_column = forms.IntegerField(label=_("Colonne du montant"), min_value=1,
                                       max_value=MAX_COLUMN, required=False)
    debit_column = forms.IntegerField(label=_("Colonne du débit (argent qui sort)"),
                                      min_value=1, max_value=MAX_COLUMN, required=False)
    credit_column = forms.IntegerField(label=_("Colonne du crédit (argent qui entre)"),
                                       min_value=1, max_value=MAX_COLUMN, required=False)
    decimal_comma = forms.BooleanField(label=_("Virgule décimale (12,50)"), required=False,
                                       initial=True)

    def __init__(self, *args: Any, structures: QuerySet[Structure] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if structures is None:
            del self.fields["structure"]
        else:
            self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        # A layout written through the API may use a value the lists do not offer: keep it.
        offered: dict[str, list[tuple[str, Any]]] = {
            "delimiter": DELIMITERS, "encoding": ENCODINGS, "date_format": DATE_FORMATS}
        for name, choices in offered.items():
            value = self.initial.get(name)
            if value and value not in dict(choices):
                self.fields[name].choices = [*choices, (value, value)]  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(layout: BankCsvLayout) -> dict[str, Any]:
        return {
            "name": layout.name, "delimiter": layout.delimiter, "encoding": layout.encoding,
            "skip_rows": layout.skip_rows, "date_column": layout.date_column,
            "date_format": layout.date_format, "label_column": layout.label_column,
            "amount_mode": SIGNED if layout.amount_column is not None else SPLIT,
            "amount_column": layout.amount_column, "debit_column": layout.debit_column,
            "credit_column": layout.credit_column, "decimal_comma": layout.decimal_comma,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("amount_mode") == SIGNED and data.get("amount_column") is None:
            self.add_error("amount_column", _("Indiquez la colonne du montant."))
        if data.get("amount_mode") == SPLIT:
            for name in ("debit_column", "credit_column"):
                if data.get(name) is None:
                    self.add_error(name, _("Indiquez cette colonne."))
        return data

    def spec(self) -> LayoutSpec:
        data = self.cleaned_data
        signed = data["amount_mode"] == SIGNED
        return LayoutSpec(
            name=data["name"], delimiter=data["delimiter"], encoding=data["encoding"],
            skip_rows=data["skip_rows"], date_column=data["date_column"],
            date_format=data["date_format"], label_column=data["label_column"],
            amount_column=data["amount_column"] if signed else None,
            debit_column=None if signed else data["debit_column"],
            credit_column=None if signed else data["credit_column"],
            decimal_comma=data["decimal_comma"])


class MatchForm(forms.Form):
    lines = LineChoiceField(
        label=_("Lignes d'écriture"), queryset=EntryLine.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une ligne d'écriture."),
                        "invalid_choice": _("Cette ligne ne peut pas être rapprochée ici.")})

    def __init__(self, *args: Any, lines: QuerySet[EntryLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = lines  # type: ignore[attr-defined]


class BankBalanceForm(forms.Form):
    """The day of the reconciliation statement and, if one has it, the balance the bank's
    statement shows on that day."""

    as_of = forms.DateField(label=_("Au"), widget=DateInput(), required=False)
    balance = forms.CharField(label=_("Solde indiqué par la banque (facultatif)"),
                              required=False, max_length=20,
                              help_text=_("Tel qu'il est écrit sur le relevé, par exemple "
                                          "1 234,56."))

    def clean_balance(self) -> Decimal | None:
        text = self.cleaned_data["balance"].strip()
        if not text:
            return None
        value = parse_bank_amount(text, decimal_comma=True)
        if value is None:
            value = parse_bank_amount(text, decimal_comma=False)
        if value is None:
            raise forms.ValidationError(_("« %(value)s » n'est pas un montant.")
                                        % {"value": text})
        return value

    def day(self, default: dt.date) -> dt.date:
        value = self.cleaned_data.get("as_of") if self.is_valid() else None
        return value or default
