"""Selling under the carrying structure's identity: customers, the catalogue, quotes, invoices
and credit notes (Factur-X), their payments, and the shop till.

A document's lines and totals may change only while it is a draft or submitted; issuing gives
it its number, freezes its PDF (with the SHA-256) and posts it to the books. From then on the
services refuse every change: a correction is a credit note.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kpa.core.money import money_field
from kpa.directory.models import Activity, Structure
from kpa.ledger.models import Entry, FiscalYear, ThirdParty

ZERO = Decimal("0.00")


class VatRate(models.TextChoices):
    """The French rates in force; "0" is for a structure under the franchise (art. 293 B)."""

    STANDARD = "20.00", _("20 %")
    INTERMEDIATE = "10.00", _("10 %")
    REDUCED = "5.50", _("5,5 %")
    SUPER_REDUCED = "2.10", _("2,1 %")
    NONE = "0.00", _("0 % (TVA non applicable)")


class OperationCategory(models.TextChoices):
    """The reform's "catégorie d'opération" (the letter of BT-23)."""

    GOODS = "goods", _("Livraison de biens")
    SERVICES = "services", _("Prestation de services")
    MIXED = "mixed", _("Biens et services")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Virement")
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    CARD = "card", _("Carte")


class SalesSettings(models.Model):
    """A structure's selling settings; created with defaults the first time they are read."""

    structure = models.OneToOneField(Structure, verbose_name=_("structure"),
                                     on_delete=models.CASCADE, related_name="sales_settings")
    invoice_pattern = models.CharField(
        _("numérotation des factures"), max_length=40, default="{YYYY}-{SEQ:05}",
        help_text=_("{YYYY} ou {YY} : l'exercice ; {MM} : le mois ; {SEQ:05} : le numéro sur "
                    "5 chiffres. Par exemple F{YYYY}-{SEQ:05}."),
    )
    credit_note_pattern = models.CharField(
        _("numérotation des avoirs"), max_length=40, default="AV{YYYY}-{SEQ:05}")
    quote_pattern = models.CharField(
        _("numérotation des devis"), max_length=40, default="D{YYYY}-{SEQ:05}")
    payment_terms_days = models.PositiveSmallIntegerField(
        _("délai de paiement (jours)"), default=30)
    quote_validity_days = models.PositiveSmallIntegerField(
        _("validité des devis (jours)"), default=30)
    late_penalty_text = models.CharField(
        _("pénalités de retard"), max_length=255,
        default="Pénalités de retard : taux de refinancement de la BCE majoré de 10 points.",
    )
    discount_text = models.CharField(_("escompte"), max_length=255,
                                     default="Pas d'escompte pour paiement anticipé.")
    legal_form_text = models.CharField(
        _("forme juridique et capital"), max_length=255, blank=True,
        help_text=_("Par exemple : SCOP SARL à capital variable, RCS Lille Métropole."))
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20,
                                  blank=True)
    iban = models.CharField(_("IBAN pour les virements"), max_length=34, blank=True)
    electronic_address = models.CharField(
        _("adresse de facturation électronique"), max_length=100, blank=True,
        help_text=_("Vide : le SIREN de la structure (annuaire de la facturation "
                    "électronique)."))
    overdue_reminder_days = models.PositiveSmallIntegerField(
        _("relance après l'échéance (jours)"), default=7)
    drop_folder = models.CharField(
        _("dossier de dépôt des factures"), max_length=255, blank=True,
        help_text=_("Un dossier du serveur où déposer chaque facture émise, en plus de "
                    "l'e-mail."))

    class Meta:
        verbose_name = _("réglages de vente")
        verbose_name_plural = _("réglages de vente")

    def __str__(self) -> str:
        return str(self.structure)


class SellingRight(models.Model):
    """A coopérant's right to issue their own invoices without the gestionnaire, up to a
    ceiling (total incl. VAT)."""

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.CASCADE, related_name="selling_rights")
    person = models.ForeignKey("directory.Person", verbose_name=_("personne"),
                               on_delete=models.CASCADE, related_name="selling_rights")
    self_validation_ceiling = money_field(_("plafond d'auto-validation (TTC)"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("droit d'auto-validation")
        verbose_name_plural = _("droits d'auto-validation")
        constraints = [
            models.UniqueConstraint(fields=["structure", "person"],
                                    name="selling_right_unique"),
            models.CheckConstraint(condition=Q(self_validation_ceiling__gte=0),
                                   name="selling_right_ceiling_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ≤ {self.self_validation_ceiling}"


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Entreprise")
        PUBLIC = "public", _("Organisme public")
        ASSOCIATION = "association", _("Association")
        INDIVIDUAL = "individual", _("Particulier")

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="customers")
    kind = models.CharField(_("type de client"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=150)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20,
                                  blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    country = models.CharField(_("pays (code)"), max_length=2, default="FR")
    electronic_address = models.CharField(
        _("adresse de facturation électronique"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    third_party = models.OneToOneField(ThirdParty, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="customer")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_business(self) -> bool:
        return self.kind != self.Kind.INDIVIDUAL


class Contact(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("client"), on_delete=models.CASCADE,
                                 related_name="contacts")
    name = models.CharField(_("nom"), max_length=150)
    role = models.CharField(_("fonction"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CatalogItem(models.Model):
    class Unit(models.TextChoices):
        PIECE = "piece", pgettext_lazy("unit", "pièce")
        HOUR = "hour", _("heure")
        DAY = "day", _("jour")
        KILOGRAM = "kg", _("kg")
        METRE = "metre", _("mètre")
        LUMP_SUM = "lump_sum", _("forfait")

    activity = models.ForeignKey(Activity, verbose_name=_("activité"), on_delete=models.PROTECT,
                                 related_name="catalog_items")
    is_service = models.BooleanField(_("prestation de service"), default=False)
    name = models.CharField(_("désignation"), max_length=150)
    description = models.CharField(_("précisions"), max_length=255, blank=True)
    unit = models.CharField(_("unité"), max_length=10, choices=Unit.choices,
                            default=Unit.PIECE)
    unit_price = money_field(_("prix unitaire HT"))
    vat_rate = models.CharField(_("taux de TVA"), max_length=5, choices=VatRate.choices,
                                default=VatRate.STANDARD)
    archived_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("article du catalogue")
        verbose_name_plural = _("catalogue")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0),
                                   name="catalog_item_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentSequence(models.Model):
    """The last number given in one series (invoices, credit notes, quotes) of a structure and
    fiscal year; locked by the issuing transaction, so numbers have no gap."""

    class Series(models.TextChoices):
        INVOICE = "invoice", _("Factures")
        CREDIT_NOTE = "credit_note", _("Avoirs")
        QUOTE = "quote", _("Devis")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=12, choices=Series.choices)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["structure", "fiscal_year", "series"],
                                    name="document_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.fiscal_year_id}: {self.last_number}"


class SalesDocument(models.Model):
    """What quotes and invoices share: who sells, to whom, the delivery address."""

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(Activity, verbose_name=_("activité"),
                                 on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(Customer, verbose_name=_("client"), on_delete=models.PROTECT,
                                 related_name="+")
    number = models.CharField(_("numéro"), max_length=35, blank=True)
    title = models.CharField(_("objet"), max_length=200, blank=True)
    operation_category = models.CharField(
        _("catégorie d'opération"), max_length=10, choices=OperationCategory.choices,
        default=OperationCategory.SERVICES)
    delivery_address = models.CharField(
        _("adresse de livraison (si différente)"), max_length=255, blank=True)
    note = models.TextField(_("note au client"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("créé par"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    total_excl_vat = money_field(_("total HT"), default=ZERO)
    total_vat = money_field(_("TVA"), default=ZERO)
    total_incl_vat = money_field(_("total TTC"), default=ZERO)

    class Meta:
        abstract = True


class Quote(SalesDocument):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SENT = "sent", _("Envoyé")
        ACCEPTED = "accepted", _("Accepté")
        REFUSED = "refused", _("Refusé")

    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    sent_on = models.DateField(_("envoyé le"), null=True, blank=True)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True)
    acceptance_token = models.CharField(max_length=64, blank=True, db_index=True)
    accepted_on = models.DateField(_("accepté le"), null=True, blank=True)
    accepted_by_name = models.CharField(_("accepté par"), max_length=150, blank=True)
    accepted_through = models.CharField(_("acceptation"), max_length=10, blank=True)
    signed_copy = models.BinaryField(_("devis signé"), null=True, blank=True)
    signed_copy_type = models.CharField(max_length=50, blank=True)
    refused_on = models.DateField(_("refusé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("devis")
        verbose_name_plural = _("devis")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], condition=~Q(number=""),
                                    name="quote_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number or _("Devis brouillon n° %(id)s") % {"id": self.pk}


class Invoice(SalesDocument):
    """An invoice, a deposit invoice or a credit note (one table, one immutability rule)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Facture")
        DEPOSIT = "deposit", _("Facture d'acompte")
        CREDIT_NOTE = "credit_note", _("Avoir")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        SUBMITTED = "submitted", _("À valider")
        ISSUED = "issued", _("Émise")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices,
                            default=Kind.INVOICE)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    quote = models.ForeignKey(Quote, verbose_name=_("devis"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="invoices")
    credited_invoice = models.ForeignKey(
        "self", verbose_name=_("facture corrigée"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="credit_notes")
    purchase_order = models.CharField(_("référence de commande du client"), max_length=50,
                                      blank=True)
    service_date = models.DateField(_("date de la vente ou de la prestation"), null=True,
                                    blank=True)
    issued_on = models.DateField(_("date d'émission"), null=True, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("soumise le"), null=True, blank=True)
    issued_at = models.DateTimeField(_("émise le"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("émise par"),
                                  on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    prepaid_amount = money_field(_("acomptes déduits (TTC)"), default=ZERO)
    seller_mentions = models.JSONField(
        _("mentions du vendeur"), default=dict, blank=True,
        help_text=_("Figées à l'émission : identité, TVA, mention CAPE, conditions."))
    pdf = models.BinaryField(_("PDF Factur-X"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64, blank=True)
    entry = models.OneToOneField(Entry, verbose_name=_("écriture"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    amount_paid = money_field(_("encaissé"), default=ZERO)
    paid_on = models.DateField(_("soldée le"), null=True, blank=True)
    last_reminder_on = models.DateField(_("dernière relance"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], condition=~Q(number=""),
                                    name="invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(status="issued", number__gt="") | (~Q(status="issued")
                                                               & Q(number="")),
                name="invoice_number_only_when_issued"),
            models.CheckConstraint(
                condition=Q(kind="credit_note", credited_invoice__isnull=False)
                | (~Q(kind="credit_note") & Q(credited_invoice__isnull=True)),
                name="invoice_credit_note_points_to_invoice"),
        ]
        indexes = [models.Index(fields=["structure", "status", "due_on"],
                                name="invoice_due_idx")]

    def __str__(self) -> str:
        return self.number or _("Brouillon n° %(id)s") % {"id": self.pk}

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED


class DocumentLine(models.Model):
    position = models.PositiveSmallIntegerField(_("rang"))
    item = models.ForeignKey(CatalogItem, verbose_name=_("article"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    description = models.CharField(_("désignation"), max_length=255)
    is_service = models.BooleanField(_("prestation de service"), default=True)
    quantity = models.DecimalField(_("quantité"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unité"), max_length=10, choices=CatalogItem.Unit.choices,
                            default=CatalogItem.Unit.PIECE)
    unit_price = money_field(_("prix unitaire HT"))
    vat_rate = models.CharField(_("taux de TVA"), max_length=5, choices=VatRate.choices)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description


class QuoteLine(DocumentLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne de devis")


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(DocumentLine.Meta):
        verbose_name = _("ligne de facture")


class Payment(models.Model):
    """Money received for an invoice (or refunded for a credit note), posted to the books."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("facture"), on_delete=models.PROTECT,
                                related_name="payments")
    received_on = models.DateField(_("date"))
    amount = money_field(_("montant"))
    method = models.CharField(_("moyen de paiement"), max_length=10,
                              choices=PaymentMethod.choices)
    reference = models.CharField(_("référence"), max_length=100, blank=True)
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} {self.amount}"


class Till(models.Model):
    """A shop's cash register, for one activity (the friperie, the grocery)."""

    activity = models.ForeignKey(Activity, verbose_name=_("activité"), on_delete=models.PROTECT,
                                 related_name="tills")
    name = models.CharField(_("nom"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class TillTicket(models.Model):
    """One sale at the till. Never changed: each ticket's hash covers its content and the
    previous ticket's hash, so an altered or deleted row breaks the chain."""

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(_("numéro"))
    sold_at = models.DateTimeField(_("vendu le"))
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    method = models.CharField(_("moyen de paiement"), max_length=10,
                              choices=PaymentMethod.choices)
    total_incl_vat = money_field(_("total TTC"))
    lines = models.JSONField(_("lignes"))
    closing = models.ForeignKey("TillClosing", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="tickets")
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("ticket de caisse")
        verbose_name_plural = _("tickets de caisse")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["till", "number"], name="till_ticket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.till} #{self.number}"


class TillClosing(models.Model):
    """The daily closing (Z): totals per payment method and VAT rate, posted as one entry."""

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="closings")
    number = models.PositiveIntegerField(_("numéro"))
    day = models.DateField(_("jour"))
    closed_at = models.DateTimeField(_("clôturée le"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+")
    ticket_count = models.PositiveIntegerField(_("tickets"))
    total_incl_vat = money_field(_("total TTC"))
    totals = models.JSONField(_("totaux"))
    entry = models.OneToOneField(Entry, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("clôture de caisse (Z)")
        verbose_name_plural = _("clôtures de caisse (Z)")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["till", "number"], name="till_closing_unique"),
            models.UniqueConstraint(fields=["till", "day"], name="till_closing_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"Z{self.number} {self.till} {self.day}"
