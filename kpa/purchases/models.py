"""What a KPA spends: a coopérant's monthly expense claims (with their receipts) and the
supplier invoices the structure receives. Both are posted to the books on the treasury account
of the activity they were spent for; once posted, their amounts never change.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpa.core.money import money_field
from kpa.directory.models import Activity, Person, Structure
from kpa.ledger.models import Entry, ThirdParty, TreasuryAccount

ZERO = Decimal("0.00")


class ExpenseCategory(models.TextChoices):
    """What was bought; each category has its account (`accounts.ACCOUNT_OF`). Raw materials
    and goods for resale are direct costs: they come off the turnover to give the gross
    margin."""

    RAW_MATERIALS = "raw_materials", _("Matières premières (dans ce que je vends)")
    GOODS = "goods", _("Marchandises revendues")
    SUBCONTRACTING = "subcontracting", _("Sous-traitance")
    SUPPLIES = "supplies", _("Fournitures et petit matériel")
    TRAVEL = "travel", _("Transport (billets, parking)")
    MILEAGE = "mileage", _("Kilomètres avec mon véhicule")
    OTHER = "other", _("Autre dépense")


class ExpenseDeadline(models.Model):
    """Expenses dated before `covers_before` must be claimed by `closes_on` (e.g. a quarter's
    expenses by 15 April)."""

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.CASCADE, related_name="expense_deadlines")
    covers_before = models.DateField(_("dépenses datées avant le"))
    closes_on = models.DateField(_("à déclarer au plus tard le"))

    class Meta:
        verbose_name = _("date limite des notes de frais")
        verbose_name_plural = _("dates limites des notes de frais")
        ordering = ["structure", "covers_before"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "covers_before"],
                                    name="expense_deadline_unique"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("covers_before")),
                                   name="expense_deadline_after_period"),
        ]

    def __str__(self) -> str:
        return f"{self.covers_before} → {self.closes_on}"


class ExpenseClaim(models.Model):
    """A coopérant's expenses of one month for one activity: drafted, submitted, validated by
    the structure's gestionnaire (posted to the books), then reimbursed."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("Envoyée")
        VALIDATED = "validated", _("Validée")
        PAID = "paid", _("Remboursée")
        REJECTED = "rejected", _("Refusée")

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="expense_claims")
    person = models.ForeignKey(Person, verbose_name=_("coopérant·e"), on_delete=models.PROTECT,
                               related_name="expense_claims")
    activity = models.ForeignKey(Activity, verbose_name=_("activité"), on_delete=models.PROTECT,
                                 related_name="expense_claims")
    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois."))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    note = models.TextField(_("commentaire"), blank=True)
    submitted_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    rejection_reason = models.TextField(_("motif du refus"), blank=True)
    entry = models.ForeignKey(Entry, verbose_name=_("écriture"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="+")
    paid_on = models.DateField(_("remboursée le"), null=True, blank=True)
    payment_entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("note de frais")
        verbose_name_plural = _("notes de frais")
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="expense_claim_month_first"),
        ]
        indexes = [models.Index(fields=["structure", "status"], name="expense_claim_status")]

    def __str__(self) -> str:
        return str(_("Note de frais de %(person)s, %(month)s")
                   % {"person": self.person, "month": self.month.strftime("%m/%Y")})

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class ExpenseLine(models.Model):
    """One expense with its receipt. A mileage line gives a distance and the vehicle's fiscal
    horsepower; its amount is the official allowance, computed by the service."""

    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="lines")
    spent_on = models.DateField(_("date de la dépense"))
    category = models.CharField(_("catégorie"), max_length=16, choices=ExpenseCategory.choices)
    description = models.CharField(_("description"), max_length=200)
    amount_incl_vat = money_field(_("montant TTC"))
    recoverable_vat = money_field(_("dont TVA récupérable"), default=ZERO)
    distance_km = models.DecimalField(_("distance (km)"), max_digits=8, decimal_places=1,
                                      null=True, blank=True)
    fiscal_horsepower = models.PositiveSmallIntegerField(_("puissance fiscale (CV)"), null=True,
                                                         blank=True)
    electric = models.BooleanField(_("véhicule électrique"), default=False)
    receipt = models.BinaryField(_("justificatif"), null=True, blank=True)
    receipt_type = models.CharField(max_length=40, blank=True)
    receipt_name = models.CharField(max_length=200, blank=True)
    receipt_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("ligne de note de frais")
        verbose_name_plural = _("lignes de note de frais")
        ordering = ["claim", "spent_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_incl_vat__gt=0),
                                   name="expense_line_positive"),
            models.CheckConstraint(
                condition=Q(recoverable_vat__gte=0)
                & Q(recoverable_vat__lt=models.F("amount_incl_vat")),
                name="expense_line_vat_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.description} {self.amount_incl_vat}"

    @property
    def amount_excl_vat(self) -> Decimal:
        return self.amount_incl_vat - self.recoverable_vat


class Supplier(models.Model):
    """Someone the structure buys from; its auxiliary account (401 + F<id>) is opened with its
    first posted invoice."""

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="suppliers")
    name = models.CharField(_("nom"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    vat_number = models.CharField(_("n° de TVA intracommunautaire"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    third_party = models.OneToOneField(ThirdParty, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="supplier")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fournisseur")
        verbose_name_plural = _("fournisseurs")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "siren"], condition=~Q(siren=""),
                                    name="supplier_siren_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SupplierInvoice(models.Model):
    """A supplier's invoice as received (its PDF kept with its SHA-256). Posted to the
    purchases journal (6xx and 44566 against 401) on a treasury account, then paid."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("À vérifier")
        POSTED = "posted", _("Comptabilisée")
        PAID = "paid", _("Payée")

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="supplier_invoices")
    supplier = models.ForeignKey(Supplier, verbose_name=_("fournisseur"),
                                 on_delete=models.PROTECT, related_name="invoices")
    treasury_account = models.ForeignKey(
        TreasuryAccount, verbose_name=_("compte de trésorerie"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("Vide : une charge de la structure elle-même."))
    activity = models.ForeignKey(Activity, verbose_name=_("activité"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="supplier_invoices")
    number = models.CharField(_("numéro de la facture"), max_length=50)
    issued_on = models.DateField(_("date de la facture"))
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    total_excl_vat = money_field(_("total HT"), default=ZERO)
    total_vat = money_field(_("TVA"), default=ZERO)
    total_incl_vat = money_field(_("total TTC"), default=ZERO)
    pdf = models.BinaryField(_("PDF"), null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    facturx_xml = models.TextField(_("XML Factur-X"), blank=True)
    facturx_profile = models.CharField(_("profil Factur-X"), max_length=40, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    paid_on = models.DateField(_("payée le"), null=True, blank=True)
    payment_entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture fournisseur")
        verbose_name_plural = _("factures fournisseurs")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "number"],
                                    name="supplier_invoice_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} {self.number}"


class SupplierInvoiceLine(models.Model):
    invoice = models.ForeignKey(SupplierInvoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("rang"))
    description = models.CharField(_("description"), max_length=200)
    category = models.CharField(_("catégorie"), max_length=16, choices=ExpenseCategory.choices)
    amount_excl_vat = money_field(_("montant HT"))
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2,
                                   default=Decimal("20.00"))
    vat_amount = money_field(_("TVA"), default=ZERO)

    class Meta:
        verbose_name = _("ligne de facture fournisseur")
        verbose_name_plural = _("lignes de facture fournisseur")
        ordering = ["invoice", "position"]

    def __str__(self) -> str:
        return f"{self.description} {self.amount_excl_vat}"
