"""The books of a legal structure: chart, third parties, treasury accounts, journals, fiscal
years, entries and their lines.

Validated entries never change. The models refuse it on every ORM path (save, delete, queryset
update and delete); on PostgreSQL a trigger refuses it for raw SQL too, and a deferred
constraint trigger refuses to validate an unbalanced entry (migration 0002).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kpa.core.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from kpa.directory.models import Kpa, Person, Structure

ZERO = Decimal("0.00")


class ImmutableEntryError(Exception):
    """A validated entry or one of its lines was about to change."""


class Books(models.Model):
    """A structure's books are open: its chart is installed and its journals exist."""

    structure = models.OneToOneField(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="books"
    )
    chart_template = models.CharField(_("plan comptable"), max_length=10)
    opened_at = models.DateTimeField(_("ouverte le"), auto_now_add=True)

    class Meta:
        verbose_name = _("comptabilité")
        verbose_name_plural = _("comptabilités")

    def __str__(self) -> str:
        return str(_("Comptabilité de %(name)s") % {"name": self.structure.name})


class Account(models.Model):
    """A general account of the structure's chart: a template account or a sub-account of one."""

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="accounts"
    )
    number = models.CharField(_("numéro"), max_length=20)
    label = models.CharField(_("intitulé"), max_length=150)
    from_template = models.BooleanField(_("du plan officiel"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "number"], name="account_number_unique"),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[1-8][0-9]*$"), name="account_number_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.label}"

    @property
    def account_class(self) -> int:
        return int(self.number[0])

    @property
    def takes_third_party(self) -> bool:
        """Customer and supplier accounts keep an auxiliary ledger per third party."""
        return self.number.startswith(("40", "41"))


class ThirdParty(models.Model):
    """A customer or supplier: its auxiliary account is the general account plus this code."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Client")
        SUPPLIER = "supplier", _("Fournisseur")
        OTHER = "other", _("Autre tiers")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT,
        related_name="third_parties",
    )
    code = models.CharField(_("code"), max_length=17)
    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("tiers")
        verbose_name_plural = _("tiers")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="third_party_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TreasuryAccount(models.Model):
    """The analytic account a ledger line may carry: a coopérant's, a collective activity's or a
    KPA's common pot. It points to what it follows, never the other way round."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Trésorerie individuelle")
        COLLECTIVE = "collective", _("Trésorerie collective")
        COMMON = "common", _("Caisse commune du KPA")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT,
        related_name="treasury_accounts",
    )
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("intitulé"), max_length=150)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("coopérant·e"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="treasury_accounts",
    )
    kpa = models.ForeignKey(
        Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="treasury_accounts",
    )
    activity = models.ForeignKey(
        "directory.Activity", verbose_name=_("activité"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="treasury_accounts",
    )
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("compte de trésorerie")
        verbose_name_plural = _("comptes de trésorerie")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="treasury_code_unique"),
            models.CheckConstraint(
                condition=~Q(kind="individual") | Q(person__isnull=False),
                name="treasury_individual_has_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Journal(models.Model):
    class Kind(models.TextChoices):
        SALES = "sales", _("Ventes")
        PURCHASES = "purchases", _("Achats")
        BANK = "bank", _("Banque")
        CASH = "cash", _("Caisse")
        MISC = "misc", _("Opérations diverses")
        OPENING = "opening", _("À-nouveaux")
        OTHER = "other", _("Autre")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="journals"
    )
    code = models.CharField(_("code"), max_length=6)
    label = models.CharField(_("intitulé"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    account = models.ForeignKey(
        Account, verbose_name=_("compte de banque ou de caisse"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("Pour un journal de banque ou de caisse : son compte 512… ou 53…"),
    )

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journaux")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="journal_code_unique"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]+$"), name="journal_code_upper_alnum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class FiscalYear(models.Model):
    """A financial year; it ends on `ends_on`, exclusive, like every period here."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouvert")
        CLOSED = "closed", _("Clôturé")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT,
        related_name="fiscal_years",
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin (exclue)"))
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    closed_at = models.DateTimeField(_("clôturé le"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    result = models.DecimalField(
        _("résultat"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        null=True, blank=True,
    )

    class Meta:
        verbose_name = _("exercice")
        verbose_name_plural = _("exercices")
        ordering = ["structure", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "starts_on"], name="fiscal_year_start"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="fiscal_year_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Exercice %(year)s") % {"year": self.name})

    @property
    def last_day(self) -> dt.date:
        return self.ends_on - dt.timedelta(days=1)

    @property
    def name(self) -> int:
        """A fiscal year is named by the calendar year in which it ends."""
        return self.last_day.year

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def contains(self, day: dt.date) -> bool:
        return self.starts_on <= day < self.ends_on


class JournalSequence(models.Model):
    """The last number given in a journal for a fiscal year; locked while validating, so the
    numbers stay gap-free under concurrency."""

    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="+")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="+")
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["journal", "fiscal_year"], name="sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.journal_id}/{self.fiscal_year_id}: {self.last_number}"


class EntryQuerySet(models.QuerySet["Entry"]):
    def validated(self) -> EntryQuerySet:
        return self.filter(status=Entry.Status.VALIDATED)

    def update(self, **kwargs: Any) -> int:
        if self.filter(status=Entry.Status.VALIDATED).exists():
            raise ImmutableEntryError("Validated entries never change.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status=Entry.Status.VALIDATED).exists():
            raise ImmutableEntryError("Validated entries are never deleted.")
        return super().delete()


class Entry(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        VALIDATED = "validated", _("Validée")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="entries"
    )
    journal = models.ForeignKey(
        Journal, verbose_name=_("journal"), on_delete=models.PROTECT, related_name="entries"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name=_("exercice"), on_delete=models.PROTECT, related_name="entries"
    )
    date = models.DateField(_("date"))
    label = models.CharField(_("libellé"), max_length=200)
    piece_ref = models.CharField(_("pièce"), max_length=50, blank=True)
    piece_date = models.DateField(_("date de la pièce"), null=True, blank=True)
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    number = models.PositiveIntegerField(_("numéro"), null=True, blank=True)
    validated_on = models.DateField(_("validée le"), null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    reverses = models.OneToOneField(
        "self", verbose_name=_("contre-passe"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="reversal",
    )
    source = models.CharField(
        _("origine"), max_length=60, blank=True,
        help_text=_("Le document d'une autre application qui a passé l'écriture."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("écriture")
        verbose_name_plural = _("écritures")
        ordering = ["date", "journal__code", "number", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["journal", "fiscal_year", "number"], name="entry_number_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="draft", number__isnull=True, validated_on__isnull=True)
                    | Q(status="validated", number__isnull=False, validated_on__isnull=False)
                ),
                name="entry_number_iff_validated",
            ),
        ]
        indexes = [models.Index(fields=["fiscal_year", "status"], name="entry_year_status")]

    def __str__(self) -> str:
        return self.reference or str(_("Brouillon du %(date)s") % {"date": self.date})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._stored_is_validated():
            raise ImmutableEntryError("Validated entries never change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._stored_is_validated():
            raise ImmutableEntryError("Validated entries are never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def reference(self) -> str:
        """EcritureNum in the FEC: the journal code and a six-digit number."""
        return f"{self.journal.code}{self.number:06d}" if self.number else ""

    @property
    def is_validated(self) -> bool:
        return self.status == self.Status.VALIDATED

    def _stored_is_validated(self) -> bool:
        return bool(
            self.pk
            and Entry.objects.filter(pk=self.pk, status=self.Status.VALIDATED).exists()
        )


LETTERING_FIELDS = frozenset({"lettering_code", "lettered_on"})


class EntryLineQuerySet(models.QuerySet["EntryLine"]):
    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - LETTERING_FIELDS and self.filter(validated=True).exists():
            raise ImmutableEntryError("Lines of a validated entry never change.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(validated=True).exists():
            raise ImmutableEntryError("Lines of a validated entry are never deleted.")
        return super().delete()


class EntryLine(models.Model):
    """One debit or one credit. `fiscal_year` and `validated` repeat the entry's, so that the
    reports read one table; they are written with the entry and never change afterwards."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="lines")
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="+")
    validated = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(_("rang"))
    account = models.ForeignKey(
        Account, verbose_name=_("compte"), on_delete=models.PROTECT, related_name="lines"
    )
    third_party = models.ForeignKey(
        ThirdParty, verbose_name=_("tiers"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="lines",
    )
    treasury_account = models.ForeignKey(
        TreasuryAccount, verbose_name=_("compte de trésorerie"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="lines",
    )
    label = models.CharField(_("libellé"), max_length=200)
    debit = models.DecimalField(
        _("débit"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        default=ZERO,
    )
    credit = models.DecimalField(
        _("crédit"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES,
        default=ZERO,
    )
    lettering_code = models.CharField(_("lettrage"), max_length=6, blank=True)
    lettered_on = models.DateField(_("lettré le"), null=True, blank=True)

    objects = EntryLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("ligne d'écriture")
        verbose_name_plural = _("lignes d'écriture")
        ordering = ["entry", "position"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="line_one_side_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(lettering_code="", lettered_on__isnull=True)
                    | (~Q(lettering_code="") & Q(lettered_on__isnull=False))
                ),
                name="line_lettering_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["fiscal_year", "validated", "account"], name="line_year_account"),
            models.Index(fields=["account", "third_party"], name="line_account_third_party"),
            models.Index(fields=["treasury_account"], name="line_treasury"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.debit or -self.credit}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            stored = EntryLine.objects.filter(pk=self.pk, validated=True).first()
            if stored is not None and any(
                getattr(stored, f.attname) != getattr(self, f.attname)
                for f in self._meta.concrete_fields
                if f.name not in LETTERING_FIELDS
            ):
                raise ImmutableEntryError("Lines of a validated entry never change.")
        elif self.validated or Entry.objects.filter(
            pk=self.entry_id, status=Entry.Status.VALIDATED
        ).exists():
            raise ImmutableEntryError("A validated entry takes no new line.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if EntryLine.objects.filter(pk=self.pk, validated=True).exists():
            raise ImmutableEntryError("Lines of a validated entry are never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def balance(self) -> Decimal:
        return self.debit - self.credit
