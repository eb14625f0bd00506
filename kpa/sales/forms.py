"""Forms of the quote and invoice pages: they validate input only. Amounts, quantities and VAT
rates go to the services as typed, so that their plain French refusals ("Ligne 2 : la quantité
doit être positive…", "Le taux de TVA 7 n'existe pas…") are the ones people read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms import BaseFormSet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import format_money
from kpa.directory.models import Activity, Structure
from kpa.sales.documents import MAX_LINES, LineInput
from kpa.sales.models import (
    CatalogItem,
    Customer,
    Invoice,
    OperationCategory,
    PaymentMethod,
    Quote,
    VatRate,
)

LINES_PREFIX = "lignes"
BLANK_LINES = 3  # a new document opens with three empty lines: most sales fit in them
HEADER_FIELDS = ("title", "operation_category", "delivery_address", "note")
INVOICE_FIELDS = (*HEADER_FIELDS, "purchase_order", "service_date")
# Folded in a <details> on the form: most sales never need them.
OPTIONAL_FIELDS = ("title", "delivery_address", "note", "purchase_order", "service_date")

DECIMAL_INPUT = {"inputmode": "decimal", "autocomplete": "off"}


def decimal_text(value: Decimal | None) -> str:
    """A figure as French people type it ("12,5"), without trailing zeros."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text.replace(".", ",")


def money_text(value: Decimal) -> str:
    """An amount to prefill an input: "12,50", no thousands separator (it would not parse)."""
    return format_money(value).replace("\u202f", "")


# -- the document's header --------------------------------------------------------------------


class ActivityChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Activity) -> str:
        return f"{obj.name} ({obj.kpa.name})"


class CustomerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Customer) -> str:
        return f"{obj.name} — {obj.city}" if obj.city else obj.name


class DocumentForm(forms.Form):
    """Who sells to whom, and what the law asks besides the lines. `activities` is None when
    editing (a document never changes activity); `lock_customer` when the customer comes from
    the quote or the corrected invoice."""

    activity = ActivityChoiceField(
        label=_("Activité"), queryset=Activity.objects.none(), empty_label=_("Choisissez…"),
        error_messages={"required": _("Choisissez l'activité qui vend."),
                        "invalid_choice": _("Choisissez une de vos activités.")})
    customer = CustomerChoiceField(
        label=_("Client"), queryset=Customer.objects.none(), empty_label=_("Choisissez…"),
        error_messages={"required": _("Choisissez le client."),
                        "invalid_choice": _("Choisissez un client de la liste.")})
    operation_category = forms.ChoiceField(
        label=_("Vous vendez"), choices=OperationCategory.choices, widget=forms.RadioSelect,
        initial=OperationCategory.SERVICES)
    title = forms.CharField(label=_("Objet"), max_length=200, required=False,
                            help_text=_("Par exemple : retouches de mars."))
    delivery_address = forms.CharField(
        label=_("Adresse de livraison, si elle diffère de celle du client"), max_length=255,
        required=False)
    note = forms.CharField(label=_("Note au client"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))
    purchase_order = forms.CharField(label=_("Référence de commande du client"), max_length=50,
                                     required=False)
    service_date = forms.DateField(
        label=_("Date de la vente ou de la prestation"), required=False, widget=DateInput(),
        help_text=_("Si elle diffère du jour de la facture."),
        error_messages={"invalid": _("Écrivez la date, par exemple 15/11/2026.")})

    def __init__(self, *args: Any, activities: QuerySet[Activity] | None,
                 customers: QuerySet[Customer], for_invoice: bool,
                 lock_customer: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if activities is None:
            del self.fields["activity"]
        else:
            field = self.fields["activity"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = activities
        if lock_customer:
            del self.fields["customer"]
        else:
            field = self.fields["customer"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = customers
        if not for_invoice:
            del self.fields["purchase_order"]
            del self.fields["service_date"]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in OPTIONAL_FIELDS]

    def optional_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name in OPTIONAL_FIELDS]

    def optional_filled(self) -> bool:
        """Whether the folded fields hold something: then they open, so nothing is hidden."""
        return any(field.errors or field.value() for field in self.optional_fields())

    def header(self) -> dict[str, Any]:
        """The service's keyword arguments for the header (without activity and customer)."""
        return {name: self.cleaned_data[name] for name in INVOICE_FIELDS
                if name in self.fields}

    @staticmethod
    def initial_from(document: Quote | Invoice) -> dict[str, Any]:
        initial = {name: getattr(document, name) for name in INVOICE_FIELDS
                   if hasattr(document, name)}
        initial["customer"] = document.customer_id
        return initial


# -- the lines ----------------------------------------------------------------------------------


def vat_choices(structures: Iterable[Structure]) -> list[tuple[str, str]]:
    """The rates a seller may pick: 0 % only under the franchise, never 0 % otherwise (when
    one person sells for both kinds of structure, every rate is offered and the service
    says which one fits)."""
    regimes = {s.vat_regime == Structure.VatRegime.FRANCHISE for s in structures}
    return [(value, str(label)) for value, label in VatRate.choices
            if (value == VatRate.NONE and True in regimes)
            or (value != VatRate.NONE and False in regimes)]


def item_choices(items: Sequence[CatalogItem], grouped: bool) -> list[Any]:
    """The catalogue in a select, grouped by activity when the seller has several."""
    def label(item: CatalogItem) -> str:
        return f"{item.name} — {format_money(item.unit_price)} € HT"

    choices: list[Any] = [("", _("Pas du catalogue"))]
    if not grouped:
        return choices + [(str(item.pk), label(item)) for item in items]
    groups: dict[str, list[tuple[str, str]]] = {}
    for item in items:
        groups.setdefault(item.activity.name, []).append((str(item.pk), label(item)))
    return choices + list(groups.items())


class LineForm(forms.Form):
    """One line. A line without article, designation nor price is left out, so spare empty
    lines never hurt."""

    item = forms.ChoiceField(label=_("Article du catalogue"), required=False)
    description = forms.CharField(label=_("Désignation"), max_length=255, required=False)
    quantity = forms.CharField(label=_("Quantité"), max_length=20, required=False,
                               widget=forms.TextInput(attrs=DECIMAL_INPUT))
    unit = forms.ChoiceField(label=_("Unité"), required=False,
                             choices=[("", _("selon l'article (pièce)")),
                                      *CatalogItem.Unit.choices])
    unit_price = forms.CharField(label=_("Prix unitaire HT (€)"), max_length=20, required=False,
                                 widget=forms.TextInput(attrs=DECIMAL_INPUT))
    # A text field under a select: a rate posted by hand reaches the service, which says in
    # French which rates exist.
    vat_rate = forms.CharField(label=_("TVA"), max_length=10, required=False)

    def __init__(self, *args: Any, items: dict[int, CatalogItem], item_choices: list[Any],
                 vat_choices: list[tuple[str, str]], fill_url: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        item_field = self.fields["item"]
        assert isinstance(item_field, forms.ChoiceField)
        item_field.choices = item_choices
        if len(item_choices) <= 1:
            item_field.widget = forms.HiddenInput()
        elif fill_url:
            # htmx: choosing an article redraws the lines with its designation, price and
            # rate; without JavaScript the service takes them from the article on saving.
            item_field.widget.attrs.update({
                "hx-post": fill_url, "hx-trigger": "change", "hx-target": "#lines",
                "hx-select": "#lines", "hx-swap": "outerHTML",
                "hx-vals": '{"action": "fill"}'})
        self.fields["vat_rate"].widget = forms.Select(choices=vat_choices)

    def clean_item(self) -> CatalogItem | None:
        value = self.cleaned_data.get("item") or ""
        if not value:
            return None
        try:
            return self.items[int(value)]
        except (KeyError, ValueError):
            raise forms.ValidationError(_("Cet article n'est pas au catalogue.")) from None

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("item") or data.get("description", "").strip()
                    or data.get("unit_price", "").strip())

    def line_input(self, category: str) -> LineInput:
        data = self.cleaned_data
        item: CatalogItem | None = data.get("item")
        return LineInput(
            description=data.get("description", "").strip(),
            quantity=data.get("quantity", "").strip() or "1",
            unit_price=data.get("unit_price", "").strip() or None,
            vat_rate=data.get("vat_rate") or None,
            unit=data.get("unit") or None,
            # A free line follows what the document sells (goods go to 707, services to 706).
            is_service=None if item is not None else category != OperationCategory.GOODS,
            item=item,
        )


LineFormSet = forms.formset_factory(LineForm, extra=0, max_num=MAX_LINES,
                                    absolute_max=MAX_LINES)

_LINE_FIELDS = tuple(LineForm.base_fields)


def line_formset(data: Mapping[str, Any] | None, *, items: Sequence[CatalogItem],
                 structures: Iterable[Structure], fill_url: str = "",
                 initial: list[dict[str, Any]] | None = None) -> BaseFormSet[LineForm]:
    by_pk = {item.pk: item for item in items}
    grouped = len({item.activity_id for item in items}) > 1
    return LineFormSet(data, initial=initial if data is None else None, prefix=LINES_PREFIX,
                       form_kwargs={"items": by_pk, "fill_url": fill_url,
                                    "item_choices": item_choices(items, grouped),
                                    "vat_choices": vat_choices(structures)})


def lines_of_formset(formset: BaseFormSet[LineForm], category: str) -> list[LineInput]:
    return [form.line_input(category) for form in formset.forms if not form.is_blank()]


def _line_count(data: Mapping[str, Any]) -> int:
    try:
        count = int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS", BLANK_LINES))
    except (TypeError, ValueError):
        count = BLANK_LINES
    return max(0, min(count, MAX_LINES))


def posted_lines(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The lines as typed, blank ones included, in screen order."""
    return [{name: str(data.get(f"{LINES_PREFIX}-{index}-{name}", "")) for name in _LINE_FIELDS}
            for index in range(_line_count(data))]


def _is_blank(values: Mapping[str, str]) -> bool:
    return not any(values.get(name, "").strip() for name in ("item", "description",
                                                             "unit_price"))


def compact_lines(data: QueryDict) -> QueryDict:
    """Leave out blank lines and number the others 1, 2, 3…, as the service counts them, so
    that "Ligne 2" in its messages is the second line on the screen."""
    kept = [values for values in posted_lines(data) if not _is_blank(values)] or [
        dict.fromkeys(_LINE_FIELDS, "")]
    compacted = data.copy()
    for key in [k for k in compacted if k.startswith(f"{LINES_PREFIX}-")]:
        del compacted[key]
    compacted[f"{LINES_PREFIX}-TOTAL_FORMS"] = str(len(kept))
    compacted[f"{LINES_PREFIX}-INITIAL_FORMS"] = "0"
    for index, values in enumerate(kept):
        for name, value in values.items():
            compacted[f"{LINES_PREFIX}-{index}-{name}"] = value
    return compacted


def blank_line(vat_rate: str) -> dict[str, str]:
    return {"quantity": "1", "vat_rate": vat_rate}


def filled_from_item(values: dict[str, str], item: CatalogItem) -> dict[str, str]:
    """A line after its article was picked: the article's designation, unit, price and rate."""
    return {**values, "item": str(item.pk), "description": item.name, "unit": item.unit,
            "unit_price": money_text(item.unit_price), "vat_rate": item.vat_rate,
            "quantity": values.get("quantity") or "1"}


def lines_initial(document: Quote | Invoice) -> list[dict[str, str]]:
    return [{"item": str(line.item_id or ""), "description": line.description,
             "quantity": decimal_text(line.quantity), "unit": line.unit,
             "unit_price": money_text(line.unit_price), "vat_rate": line.vat_rate}
            for line in document.lines.all()]


# -- the buttons' forms -------------------------------------------------------------------------


class PaymentForm(forms.Form):
    amount = forms.CharField(label=_("Montant reçu (€)"), max_length=20,
                             widget=forms.TextInput(attrs=DECIMAL_INPUT),
                             error_messages={"required": _("Indiquez le montant reçu.")})
    method = forms.ChoiceField(label=_("Moyen de paiement"), choices=PaymentMethod.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": _("Choisissez le moyen de "
                                                             "paiement.")})
    received_on = forms.DateField(
        label=_("Date"), widget=DateInput(),
        error_messages={"required": _("Indiquez la date du paiement."),
                        "invalid": _("Écrivez la date, par exemple 15/11/2026.")})
    reference = forms.CharField(label=_("Référence (n° de chèque, libellé du virement)"),
                                max_length=100, required=False)


class CreditNoteForm(forms.Form):
    ALL, PART = "all", "part"

    scope = forms.ChoiceField(
        label=_("Que corrige l'avoir ?"), widget=forms.RadioSelect, initial=ALL,
        choices=[(ALL, _("Toute la facture (elle est annulée)")),
                 (PART, _("Une partie : écrivez les lignes à rembourser ci-dessous"))])
    title = forms.CharField(label=_("Objet"), max_length=200, required=False,
                            help_text=_("Par exemple : remise accordée, article rendu."))


class DepositForm(forms.Form):
    percent = forms.CharField(
        label=_("Acompte (% du devis)"), max_length=6, initial="30",
        widget=forms.TextInput(attrs=DECIMAL_INPUT),
        error_messages={"required": _("Indiquez le pourcentage de l'acompte.")})


class SignedQuoteForm(forms.Form):
    file = forms.FileField(
        label=_("Devis signé (PDF ou photo)"),
        help_text=_("Le devis signé « bon pour accord » par le client : 10 Mo au plus."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
        error_messages={"required": _("Choisissez le fichier du devis signé.")})
    signed_by = forms.CharField(label=_("Signé par"), max_length=150, required=False,
                                help_text=_("Vide : le nom du client."))


class AcceptForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=150,
                           help_text=_("Votre nom et prénom, tels que vous signez."),
                           error_messages={"required": _("Écrivez votre nom pour accepter "
                                                         "le devis.")})


class FilterForm(forms.Form):
    """The filters of "Mes devis et factures"; a wrong value is simply ignored."""

    INVOICE_STATES = [("invoice:draft", _("Brouillons")),
                      ("invoice:submitted", _("À valider")),
                      ("invoice:unpaid", _("À encaisser")),
                      ("invoice:overdue", _("En retard")),
                      ("invoice:paid", _("Payées"))]
    QUOTE_STATES = [("quote:draft", _("Brouillons")), ("quote:sent", _("Envoyés")),
                    ("quote:accepted", _("Acceptés")), ("quote:refused", _("Refusés"))]

    activity = forms.TypedChoiceField(label=_("Activité"), required=False, coerce=int,
                                      empty_value=None)
    status = forms.ChoiceField(
        label=_("État"), required=False,
        choices=[("", _("Tous")), (_("Factures"), INVOICE_STATES), (_("Devis"), QUOTE_STATES)])

    def __init__(self, *args: Any, activities: Sequence[Activity], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["activity"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Toutes")), *((a.pk, a.name) for a in activities)]

    def value(self, name: str) -> Any:
        if not self.is_bound:
            return None
        self.is_valid()  # a wrong activity does not cancel a good status, nor the reverse
        return self.cleaned_data.get(name) or None
