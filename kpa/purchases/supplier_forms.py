"""Forms of the supplier pages: they validate the shape of the input only; the services
(`kpa.purchases.suppliers`) judge it and answer in French."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kpa.core.forms import DateInput
from kpa.core.money import parse_amount
from kpa.directory.models import Activity, Structure
from kpa.journey.uploads import MAX_UPLOAD_BYTES
from kpa.ledger.models import TreasuryAccount
from kpa.purchases.models import ExpenseCategory, Supplier, SupplierInvoice
from kpa.purchases.suppliers import MAX_LINES, SUPPLIER_FIELDS, SupplierLineInput


class DecimalText(forms.Field):
    """A figure typed the French way ("12,50") or not ("12.50"); a Decimal, never a float."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off",
                                  "maxlength": "20"})

    def to_python(self, value: Any) -> Decimal | None:
        text = "".join(str(value or "").split())  # also the narrow no-break space
        if not text:
            return None
        try:
            return parse_amount(text)
        except ValueError:
            raise forms.ValidationError(_("Écrivez un nombre, par exemple 12,50.")) from None


class SupplierForm(forms.Form):
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none(),
                                       empty_label=None)
    name = forms.CharField(label=_("Nom"), max_length=200)
    siren = forms.CharField(label=_("SIREN"), max_length=20, required=False,
                            help_text=_("9 chiffres ; vide pour un fournisseur étranger."))
    vat_number = forms.CharField(label=_("N° de TVA intracommunautaire"), max_length=20,
                                 required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Adresse"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Code postal"), max_length=10, required=False)
    city = forms.CharField(label=_("Ville"), max_length=100, required=False)
    country = forms.CharField(label=_("Pays (deux lettres)"), max_length=2, initial="FR")

    def __init__(self, *args: Any, structures: QuerySet[Structure] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if structures is None:
            del self.fields["structure"]
        else:
            self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        self.fields["siren"].widget.attrs["inputmode"] = "numeric"

    @staticmethod
    def initial_from(supplier: Supplier) -> dict[str, Any]:
        return {name: getattr(supplier, name) for name in SUPPLIER_FIELDS}

    def supplier_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] or "" for name in SUPPLIER_FIELDS}


class UploadForm(forms.Form):
    pdf = forms.FileField(label=_("La facture en PDF"), help_text=_(
        "Le fichier reçu du fournisseur, 10 Mo au plus. S'il contient une facture "
        "électronique (Factur-X), tout est lu dedans."))
    activity = forms.ModelChoiceField(label=_("Pour quelle activité ?"),
                                      queryset=Activity.objects.none())
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none(),
                                       required=False, empty_label=None)
    supplier_name = forms.CharField(label=_("Fournisseur"), max_length=200, required=False)
    number = forms.CharField(label=_("Numéro de la facture"), max_length=50, required=False)
    issued_on = forms.DateField(label=_("Date de la facture"), required=False,
                                widget=DateInput())

    def __init__(self, *args: Any, activities: QuerySet[Activity],
                 structures: QuerySet[Structure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pdf"].widget.attrs["accept"] = "application/pdf,.pdf"
        activity = self.fields["activity"]
        activity.queryset = activities  # type: ignore[attr-defined]
        if structures.exists():
            # Those who keep the books also record the structure's own purchases.
            activity.required = False
            activity.empty_label = _("Aucune : un achat de la structure")  # type: ignore[attr-defined]
            self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
            if structures.count() == 1:
                self.fields["structure"].widget = forms.HiddenInput()
                self.fields["structure"].initial = structures.first()
        else:
            del self.fields["structure"]

    def clean_pdf(self) -> Any:
        upload = self.cleaned_data["pdf"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Ce fichier dépasse 10 Mo : demandez au fournisseur "
                                          "un PDF plus léger."))
        return upload


class InvoiceForm(forms.Form):
    supplier = forms.ModelChoiceField(label=_("Fournisseur"), queryset=Supplier.objects.none(),
                                      empty_label=None)
    number = forms.CharField(label=_("Numéro de la facture"), max_length=50)
    issued_on = forms.DateField(label=_("Date de la facture"), widget=DateInput())
    due_on = forms.DateField(label=_("Échéance"), required=False, widget=DateInput())
    activity = forms.ModelChoiceField(label=_("Activité"), queryset=Activity.objects.none(),
                                      required=False,
                                      empty_label=_("Aucune : un achat de la structure"))
    treasury_account = forms.ModelChoiceField(
        label=_("Payé par (sans activité)"), queryset=TreasuryAccount.objects.none(),
        required=False, empty_label=_("La structure elle-même"))

    def __init__(self, *args: Any, suppliers: QuerySet[Supplier] | None,
                 activities: QuerySet[Activity], pots: QuerySet[TreasuryAccount] | None,
                 activity_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if suppliers is None:
            del self.fields["supplier"]  # only those who keep the books pick a supplier
        else:
            self.fields["supplier"].queryset = suppliers  # type: ignore[attr-defined]
        self.fields["activity"].queryset = activities  # type: ignore[attr-defined]
        self.fields["activity"].required = activity_required
        if pots is None:
            del self.fields["treasury_account"]
        else:
            self.fields["treasury_account"].queryset = pots  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(invoice: SupplierInvoice) -> dict[str, Any]:
        return {"supplier": invoice.supplier_id, "number": invoice.number,
                "issued_on": invoice.issued_on, "due_on": invoice.due_on,
                "activity": invoice.activity_id, "treasury_account": invoice.treasury_account_id}


class LineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    category = forms.ChoiceField(label=_("Catégorie"), choices=ExpenseCategory.choices,
                                 initial=ExpenseCategory.OTHER)
    amount_excl_vat = DecimalText(label=_("Montant HT (€)"), required=False)
    vat_rate = DecimalText(label=_("TVA (%)"), required=False, initial="20")

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("description") and data.get("amount_excl_vat") is None


LineFormSet = forms.formset_factory(LineForm, extra=2, max_num=MAX_LINES, validate_max=True)


def line_inputs(formset: Any) -> list[SupplierLineInput]:
    """The lines typed, blank rows left out (the service judges the rest)."""
    return [SupplierLineInput(
        description=form.cleaned_data.get("description") or "",
        category=form.cleaned_data["category"],
        amount_excl_vat=form.cleaned_data.get("amount_excl_vat") or Decimal("0"),
        vat_rate=form.cleaned_data.get("vat_rate") if form.cleaned_data.get(
            "vat_rate") is not None else Decimal("0"))
        for form in formset.forms if not form.is_blank()]


class PayForm(forms.Form):
    paid_on = forms.DateField(label=_("Payée le"), widget=DateInput())
