"""The treasury of every coopérant, collective activity and KPA pot is read live from the
ledger (`balances`, `statements`); what lives here is what drives postings into it:
contribution schemes and their monthly charges, the pay calendar and pay requests, payroll
imports.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kpa.core.money import money_field
from kpa.directory.models import Person, Structure
from kpa.ledger.models import Entry, TreasuryAccount

ZERO = Decimal("0.00")


def rate_field(verbose_name: StrOrPromise, *, default: Decimal | None = None
               ) -> models.DecimalField[Decimal | int | str, Decimal]:
    """A percentage with three decimals (11.500 %)."""
    if default is None:
        return models.DecimalField(verbose_name, max_digits=6, decimal_places=3)
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=3, default=default)


# -- contribution ---------------------------------------------------------------------------

class ContributionScheme(models.Model):
    """How a structure takes its cooperative contribution, from `starts_on` (inclusive) to
    `ends_on` (exclusive, open when empty): a base, brackets on the base cumulated since the
    start of the fiscal year, an optional fixed monthly fee."""

    class Base(models.TextChoices):
        GROSS_MARGIN = "gross_margin", _("Marge brute (CA HT moins coûts directs)")
        TURNOVER = "turnover", _("Chiffre d'affaires HT")

    structure = models.ForeignKey(Structure, verbose_name=_("structure"),
                                  on_delete=models.PROTECT, related_name="contribution_schemes")
    name = models.CharField(_("nom"), max_length=100)
    base = models.CharField(_("assiette"), max_length=12, choices=Base.choices,
                            default=Base.GROSS_MARGIN)
    starts_on = models.DateField(_("à partir du"))
    ends_on = models.DateField(_("jusqu'au (exclu)"), null=True, blank=True)
    monthly_fee = money_field(_("forfait mensuel"), default=ZERO)
    fee_waived_for_rsa = models.BooleanField(
        _("pas de forfait pour les allocataires du RSA"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("barème de contribution")
        verbose_name_plural = _("barèmes de contribution")
        ordering = ["structure", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True)
                                   | Q(ends_on__gt=models.F("starts_on")),
                                   name="contribution_scheme_period"),
            models.CheckConstraint(condition=Q(monthly_fee__gte=0),
                                   name="contribution_scheme_fee_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ContributionBracket(models.Model):
    """From `lower_bound` of base cumulated over the fiscal year, the `rate` applies (the
    first bracket starts at 0)."""

    scheme = models.ForeignKey(ContributionScheme, on_delete=models.CASCADE,
                               related_name="brackets")
    lower_bound = money_field(_("à partir de (cumul annuel)"))
    rate = rate_field(_("taux (%)"))

    class Meta:
        verbose_name = _("tranche")
        verbose_name_plural = _("tranches")
        ordering = ["scheme", "lower_bound"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "lower_bound"],
                                    name="contribution_bracket_unique"),
            models.CheckConstraint(condition=Q(lower_bound__gte=0) & Q(rate__gte=0)
                                   & Q(rate__lte=100), name="contribution_bracket_bounds"),
        ]

    def __str__(self) -> str:
        return f"{self.lower_bound} → {self.rate} %"


class ContributionOverride(models.Model):
    """One treasury account (an activity's, or a coopérant's) under another scheme, or
    exempt, for a period."""

    treasury_account = models.ForeignKey(TreasuryAccount, verbose_name=_("compte de trésorerie"),
                                         on_delete=models.PROTECT, related_name="+")
    scheme = models.ForeignKey(ContributionScheme, verbose_name=_("barème"),
                               on_delete=models.PROTECT, null=True, blank=True,
                               related_name="overrides")
    exempt = models.BooleanField(_("exonéré"), default=False)
    reason = models.CharField(_("motif"), max_length=200)
    starts_on = models.DateField(_("à partir du"))
    ends_on = models.DateField(_("jusqu'au (exclu)"), null=True, blank=True)

    class Meta:
        verbose_name = _("dérogation de contribution")
        verbose_name_plural = _("dérogations de contribution")
        ordering = ["treasury_account", "-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(exempt=True, scheme__isnull=True)
                                   | Q(exempt=False, scheme__isnull=False),
                                   name="contribution_override_scheme_or_exempt"),
        ]

    def __str__(self) -> str:
        return f"{self.treasury_account} {self.reason}"


class ContributionCharge(models.Model):
    """The contribution of one treasury account for one month, with its computation shown
    line by line (`detail`), and the entry that moved it to the structure."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    treasury_account = models.ForeignKey(TreasuryAccount, on_delete=models.PROTECT,
                                         related_name="contribution_charges")
    month = models.DateField(_("mois"))
    scheme = models.ForeignKey(ContributionScheme, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="charges")
    base_of_month = money_field(_("assiette du mois"), default=ZERO)
    base_year_to_date = money_field(_("assiette cumulée"), default=ZERO)
    contribution = money_field(_("contribution proportionnelle"), default=ZERO)
    fee = money_field(_("forfait"), default=ZERO)
    amount = money_field(_("total"), default=ZERO)
    detail = models.JSONField(_("calcul"), default=list)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contribution du mois")
        verbose_name_plural = _("contributions du mois")
        ordering = ["-month", "treasury_account"]
        constraints = [
            models.UniqueConstraint(fields=["treasury_account", "month"],
                                    name="contribution_charge_once_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="contribution_month_first"),
        ]

    def __str__(self) -> str:
        return f"{self.treasury_account} {self.month:%m/%Y} {self.amount}"


# -- pay ------------------------------------------------------------------------------------

class PaySettings(models.Model):
    """How a structure pays its coopérants: the usual cut-off day and the rates that turn a
    net amount into its full cost (estimates; the payroll software gives the real figures)."""

    structure = models.OneToOneField(Structure, on_delete=models.CASCADE,
                                     related_name="pay_settings")
    cutoff_day = models.PositiveSmallIntegerField(_("jour limite des demandes"), default=25)
    employee_rate = rate_field(_("cotisations salariales (% du brut)"),
                               default=Decimal("22.000"))
    employer_rate = rate_field(_("cotisations patronales (% du brut)"),
                               default=Decimal("30.000"))
    reminder_days = models.PositiveSmallIntegerField(
        _("rappel (jours avant la date limite)"), default=3)

    class Meta:
        verbose_name = _("réglages de la paie")
        verbose_name_plural = _("réglages de la paie")
        constraints = [
            models.CheckConstraint(condition=Q(cutoff_day__gte=1) & Q(cutoff_day__lte=28),
                                   name="pay_cutoff_day_range"),
            models.CheckConstraint(condition=Q(employee_rate__lt=100) & Q(employee_rate__gte=0)
                                   & Q(employer_rate__gte=0), name="pay_rates_range"),
        ]

    def __str__(self) -> str:
        return str(self.structure)


class PayCutoff(models.Model):
    """The cut-off date the structure published for one month's pay requests."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("mois de paie"))
    cutoff_on = models.DateField(_("date limite"))

    class Meta:
        verbose_name = _("date limite de paie")
        verbose_name_plural = _("dates limites de paie")
        ordering = ["structure", "month"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "month"], name="pay_cutoff_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="pay_cutoff_month_first"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%m/%Y} → {self.cutoff_on}"


class PayRequest(models.Model):
    """A coopérant asks to be paid a net amount for a month, from their individual treasury.
    Requested → transmitted by the référent → exported to payroll → booked (or refused,
    cancelled)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Demandée")
        TRANSMITTED = "transmitted", _("Transmise à la paie")
        EXPORTED = "exported", _("Envoyée au logiciel de paie")
        BOOKED = "booked", _("Payée")
        REFUSED = "refused", _("Refusée")
        CANCELLED = "cancelled", _("Annulée")

    OPEN_STATUSES = ("requested", "transmitted", "exported")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    treasury_account = models.ForeignKey(TreasuryAccount, on_delete=models.PROTECT,
                                         related_name="pay_requests")
    person = models.ForeignKey(Person, verbose_name=_("coopérant·e"), on_delete=models.PROTECT,
                               related_name="pay_requests")
    month = models.DateField(_("mois de paie"))
    net_amount = money_field(_("net demandé"))
    estimated_gross = money_field(_("brut estimé"))
    estimated_cost = money_field(_("coût total estimé"))
    status = models.CharField(_("état"), max_length=12, choices=Status.choices,
                              default=Status.REQUESTED)
    note = models.TextField(_("message"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(_("motif du refus"), blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demande de rémunération")
        verbose_name_plural = _("demandes de rémunération")
        ordering = ["-month", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(net_amount__gt=0), name="pay_request_positive"),
            models.CheckConstraint(condition=Q(month__day=1), name="pay_request_month_first"),
            models.UniqueConstraint(
                fields=["treasury_account", "month"],
                condition=Q(status__in=("requested", "transmitted", "exported", "booked")),
                name="pay_request_one_open_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.month:%m/%Y} {self.net_amount}"


class PayrollImport(models.Model):
    """A payroll summary imported for a month; each of its lines booked one remuneration."""

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("mois de paie"))
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("import de paie")
        verbose_name_plural = _("imports de paie")
        ordering = ["-month", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "sha256"],
                                    name="payroll_import_file_once"),
        ]

    def __str__(self) -> str:
        return f"{self.structure} {self.month:%m/%Y}"


class PayrollLine(models.Model):
    payroll = models.ForeignKey(PayrollImport, on_delete=models.CASCADE, related_name="lines")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    treasury_account = models.ForeignKey(TreasuryAccount, on_delete=models.PROTECT,
                                         related_name="+")
    gross = money_field(_("brut"))
    net = money_field(_("net"))
    employer_cost = money_field(_("coût employeur"))
    pay_request = models.ForeignKey(PayRequest, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="payroll_lines")
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ligne de paie")
        verbose_name_plural = _("lignes de paie")
        constraints = [
            models.CheckConstraint(condition=Q(net__gt=0) & Q(gross__gte=models.F("net"))
                                   & Q(employer_cost__gte=models.F("gross")),
                                   name="payroll_line_amounts"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.gross}"


# -- contributory budget --------------------------------------------------------------------

class Envelope(models.Model):
    """A "budget contributif": funds reserved on a collective (or common) treasury account for
    one mission, its tasks, and what each contributor declares, visible to every member.
    Closing moves each reward to its contributor's individual account and the rest to
    `pot_account`."""

    class Mode(models.TextChoices):
        FREE = "free", _("Chacun·e fixe sa rétribution")
        GRID = "grid", _("Rétribution fixée par tâche")

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Clôturée")

    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("mission"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    source_account = models.ForeignKey(TreasuryAccount, verbose_name=_("financée par"),
                                       on_delete=models.PROTECT, related_name="+")
    pot_account = models.ForeignKey(TreasuryAccount, verbose_name=_("le reste retourne à"),
                                    on_delete=models.PROTECT, related_name="+")
    source_invoice = models.ForeignKey("sales.Invoice", verbose_name=_("facture d'origine"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    amount = money_field(_("montant de l'enveloppe"))
    mode = models.CharField(_("rétribution"), max_length=5, choices=Mode.choices,
                            default=Mode.FREE)
    hourly_ceiling = money_field(_("plafond horaire"), default=Decimal("30.00"))
    status = models.CharField(_("état"), max_length=6, choices=Status.choices,
                              default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateField(_("clôturée le"), null=True, blank=True)
    closing_entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+")

    class Meta:
        verbose_name = _("budget contributif")
        verbose_name_plural = _("budgets contributifs")
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="envelope_amount_positive"),
            models.CheckConstraint(condition=Q(hourly_ceiling__gte=0),
                                   name="envelope_ceiling_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class EnvelopeTask(models.Model):
    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("tâche"), max_length=150)
    grid_amount = money_field(_("rétribution prévue"), default=ZERO)

    class Meta:
        verbose_name = _("tâche")
        verbose_name_plural = _("tâches")
        ordering = ["envelope", "pk"]

    def __str__(self) -> str:
        return self.title


class EnvelopeReward(models.Model):
    """What one contributor declares for one task: hours and an amount (within the hourly
    ceiling), or the task's grid amount."""

    envelope = models.ForeignKey(Envelope, on_delete=models.CASCADE, related_name="rewards")
    task = models.ForeignKey(EnvelopeTask, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="rewards")
    person = models.ForeignKey(Person, verbose_name=_("contributeur·rice"),
                               on_delete=models.PROTECT, related_name="+")
    hours = models.DecimalField(_("heures"), max_digits=6, decimal_places=2, null=True,
                                blank=True)
    amount = money_field(_("rétribution"))
    note = models.CharField(_("ce que j'ai fait"), max_length=300, blank=True)
    declared_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("rétribution")
        verbose_name_plural = _("rétributions")
        ordering = ["envelope", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="envelope_reward_positive"),
            models.UniqueConstraint(fields=["envelope", "person", "task"],
                                    name="envelope_reward_once_per_task"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.amount}"


# -- exit -----------------------------------------------------------------------------------

class ExitSettlement(models.Model):
    """What became of a leaving coopérant's remaining individual balance: paid out to them or
    transferred to another treasury account, as the exit decided."""

    class Kind(models.TextChoices):
        PAYOUT = "payout", _("Versée à la personne")
        TRANSFER = "transfer", _("Transférée")

    treasury_account = models.OneToOneField(TreasuryAccount, on_delete=models.PROTECT,
                                            related_name="exit_settlement")
    kind = models.CharField(_("décision"), max_length=8, choices=Kind.choices)
    amount = money_field(_("montant"))
    target_account = models.ForeignKey(TreasuryAccount, verbose_name=_("vers"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+")
    settled_on = models.DateField(_("le"))
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", help_text=_("Vide : il ne restait rien."))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("solde de sortie")
        verbose_name_plural = _("soldes de sortie")

    def __str__(self) -> str:
        return f"{self.treasury_account} {self.amount}"


# -- bank -----------------------------------------------------------------------------------

class BankCsvLayout(models.Model):
    """How one bank writes its CSV statements: which column holds what."""

    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nom"), max_length=100)
    delimiter = models.CharField(_("séparateur"), max_length=1, default=";")
    encoding = models.CharField(_("encodage"), max_length=20, default="utf-8")
    skip_rows = models.PositiveSmallIntegerField(_("lignes d'en-tête à sauter"), default=1)
    date_column = models.PositiveSmallIntegerField(_("colonne de la date"))
    date_format = models.CharField(_("format de date"), max_length=20, default="%d/%m/%Y")
    label_column = models.PositiveSmallIntegerField(_("colonne du libellé"))
    amount_column = models.PositiveSmallIntegerField(_("colonne du montant"), null=True,
                                                     blank=True)
    debit_column = models.PositiveSmallIntegerField(_("colonne du débit"), null=True,
                                                    blank=True)
    credit_column = models.PositiveSmallIntegerField(_("colonne du crédit"), null=True,
                                                     blank=True)
    decimal_comma = models.BooleanField(_("virgule décimale"), default=True)

    class Meta:
        verbose_name = _("format de relevé CSV")
        verbose_name_plural = _("formats de relevé CSV")
        constraints = [
            models.UniqueConstraint(fields=["structure", "name"], name="bank_layout_unique"),
            models.CheckConstraint(
                condition=Q(amount_column__isnull=False)
                | (Q(debit_column__isnull=False) & Q(credit_column__isnull=False)),
                name="bank_layout_has_amounts"),
        ]

    def __str__(self) -> str:
        return self.name


class BankStatement(models.Model):
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="+")
    journal = models.ForeignKey("ledger.Journal", verbose_name=_("journal de banque"),
                                on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    file_format = models.CharField(max_length=4)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("relevé bancaire")
        verbose_name_plural = _("relevés bancaires")
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "sha256"], name="bank_statement_once"),
        ]

    def __str__(self) -> str:
        return self.file_name


class BankTransaction(models.Model):
    """One line of a statement (amount signed: + money in), matched to ledger lines on the
    bank account, or left for later, or set aside."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("À rapprocher")
        MATCHED = "matched", _("Rapprochée")
        IGNORED = "ignored", _("Mise de côté")

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE,
                                  related_name="transactions")
    journal = models.ForeignKey("ledger.Journal", on_delete=models.PROTECT, related_name="+")
    booked_on = models.DateField(_("date"))
    label = models.CharField(_("libellé"), max_length=300)
    amount = money_field(_("montant"))
    bank_reference = models.CharField(_("référence de la banque"), max_length=100, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.UNMATCHED)
    matched_lines = models.ManyToManyField("ledger.EntryLine", blank=True, related_name="+")
    matched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("opération bancaire")
        verbose_name_plural = _("opérations bancaires")
        ordering = ["booked_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["journal", "bank_reference"],
                                    condition=~Q(bank_reference=""),
                                    name="bank_transaction_reference_once"),
        ]
        indexes = [models.Index(fields=["journal", "status"], name="bank_tx_status")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.label} {self.amount}"
