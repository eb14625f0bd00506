"""A coopérant's path in a KPA: inscription, documents, insurance list, CAPE contracts, exit.

`Journey` is one person's path in one KPA with its carrying structure; its status says where the
path stands and who acts next. `Contract` is one CAPE period (the first one or a renewal); a
contract that was never signed may be voided and reissued with a new start date. Personal fields
each carry a purpose (`PERSONAL_DATA_PURPOSES`), shown to the person and exported with their data.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kpa.directory.models import Kpa, Person, Structure

ANSWER_DAYS_HINT = 7  # after that many days a waiting step shows as a blocker on the board


class JourneyPolicy(models.Model):
    """A carrying structure's settings: reminders, retention, insurer, and the CAPE template's
    clauses (R127-1: programme, means, fee, commitments and their cap, reporting, termination)."""

    structure = models.OneToOneField(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE,
        related_name="journey_policy",
    )
    reminder_days = models.CharField(
        _("rappels avant la fin d'un contrat (jours)"), max_length=50, default="60,30,7",
        help_text=_("Nombres de jours séparés par des virgules, par exemple 60,30,7."),
    )
    document_retention_days = models.PositiveIntegerField(
        _("conservation des pièces après la fin du parcours (jours)"), default=730,
    )
    insurer = models.CharField(_("assureur"), max_length=150, default="MACIF")
    legal_representative = models.CharField(
        _("représentant·e légal·e qui signe les CAPE"), max_length=150, blank=True,
    )
    programme = models.TextField(
        _("programme d'accompagnement"),
        default=_("Accompagnement individuel mensuel, ateliers collectifs hebdomadaires au KPA, "
                  "formations thématiques (vente, gestion, communication)."),
    )
    means_provided = models.TextField(
        _("moyens mis à disposition"),
        default=_("Accès au lieu partagé du KPA et à ses équipements, outils de facturation et "
                  "de suivi de trésorerie de la plateforme."),
    )
    fee = models.TextField(
        _("rémunération de la structure"),
        default=_("Contribution calculée sur le chiffre d'affaires selon le barème en vigueur "
                  "de la structure."),
    )
    commitment_cap = models.DecimalField(
        _("montant maximal des engagements envers les tiers (€)"), max_digits=12,
        decimal_places=2, default=5000,
    )
    commitments_borne_by = models.TextField(
        _("qui supporte finalement les engagements"),
        default=_("La structure supporte les engagements pris dans le cadre du programme avant "
                  "l'immatriculation ; ils sont ensuite repris par le ou la bénéficiaire."),
    )
    reporting_frequency = models.CharField(
        _("transmission des éléments comptables"), max_length=100, default=_("mensuelle"),
    )
    early_termination = models.TextField(
        _("rupture anticipée"),
        default=_("Chaque partie peut mettre fin au contrat par écrit avec un préavis de quinze "
                  "jours."),
    )

    class Meta:
        verbose_name = _("réglages du parcours")
        verbose_name_plural = _("réglages du parcours")

    def __str__(self) -> str:
        return str(self.structure)

    @classmethod
    def of(cls, structure: Structure) -> JourneyPolicy:
        """The structure's settings for reading: the saved ones, or the defaults unsaved —
        reading never writes (`services.policy_for` creates them when a write needs them).
        Free when the caller `select_related` "journey_policy"."""
        try:
            return structure.journey_policy
        except cls.DoesNotExist:
            return cls(structure=structure)

    @property
    def reminder_offsets(self) -> list[int]:
        return sorted({int(part) for part in self.reminder_days.split(",") if part.strip()},
                      reverse=True)


class DocumentRequirement(models.Model):
    """One line of a structure's document checklist."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Pièce d'identité")
        ADDRESS = "address", _("Justificatif de domicile")
        BANK = "bank", _("RIB")
        FRANCE_TRAVAIL = "france_travail", _("Attestation France Travail")
        PARENTAL_CONSENT = "parental_consent", _("Autorisation parentale")
        OTHER = "other", _("Autre pièce")

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE,
        related_name="document_requirements",
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    label = models.CharField(_("libellé"), max_length=150)
    required = models.BooleanField(_("obligatoire"), default=True)
    minors_only = models.BooleanField(_("seulement pour les mineur·es"), default=False)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("pièce demandée")
        verbose_name_plural = _("pièces demandées")
        ordering = ["structure", "position", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def is_deleted_once_checked(self) -> bool:
        """CNIL: an identity copy is checked, its details noted, and the copy deleted."""
        return self.kind == self.Kind.IDENTITY


class JourneyStatus(models.TextChoices):
    RECEIVED = "received", _("Inscription reçue")
    COMPLETE = "complete", _("Dossier complet")
    VALIDATED = "validated", _("Validé par la structure")
    INSURED = "insured", _("Assuré")
    CONTRACT_SENT = "contract_sent", _("Contrat envoyé")
    SIGNED = "signed", _("Contrat signé")
    ACTIVE = "active", _("En activité")
    ENDED = "ended", _("Parcours terminé")


STATUS_ORDER = list(JourneyStatus.values)


class Journey(models.Model):
    """One person's path in one KPA, carried by one structure."""

    class ExitKind(models.TextChoices):
        EMPLOYMENT = "employment", _("Emploi")
        TRAINING = "training", _("Formation")
        CESA = "cesa", _("CESA (entrepreneur·e salarié·e)")
        OWN_BUSINESS = "own_business", _("Création de sa propre entreprise")
        OTHER_STRUCTURE = "other_structure", _("Autre structure")
        NONE = "none", _("Aucune suite connue")

    person = models.ForeignKey(
        Person, verbose_name=_("personne"), on_delete=models.PROTECT, related_name="journeys",
    )
    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            related_name="journeys")
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure porteuse"), on_delete=models.PROTECT,
        related_name="journeys",
    )
    status = models.CharField(_("étape"), max_length=20, choices=JourneyStatus.choices,
                              default=JourneyStatus.RECEIVED)
    status_since = models.DateTimeField(_("depuis"))
    created_at = models.DateTimeField(_("inscrit·e le"), auto_now_add=True)
    assisted_by = models.ForeignKey(
        Person, verbose_name=_("inscription faite avec"), on_delete=models.SET_NULL, null=True,
        blank=True, related_name="assisted_journeys",
    )
    # Personal data; each field's purpose is in PERSONAL_DATA_PURPOSES.
    birth_date = models.DateField(_("date de naissance"), null=True, blank=True)
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    france_travail_registered = models.BooleanField(_("inscrit·e à France Travail"), null=True,
                                                    blank=True)
    receives_are = models.BooleanField(_("perçoit l'ARE"), null=True, blank=True)
    receives_ass = models.BooleanField(_("perçoit l'ASS"), null=True, blank=True)
    receives_rsa = models.BooleanField(_("perçoit le RSA"), null=True, blank=True)
    lives_in_qpv = models.BooleanField(_("habite un quartier prioritaire (QPV)"), null=True,
                                       blank=True)
    activity_idea = models.TextField(_("idée d'activité"), blank=True)
    # Exit
    exited_on = models.DateField(_("date de sortie"), null=True, blank=True)
    exit_kind = models.CharField(_("suite du parcours"), max_length=20, choices=ExitKind.choices,
                                 blank=True)
    exit_destination = models.CharField(_("où va la personne"), max_length=200, blank=True)
    treasury_payout_pending = models.BooleanField(
        _("trésorerie restante à verser"), default=False,
        help_text=_("Posé à la sortie : le solde de trésorerie individuelle est à verser."),
    )
    erased_at = models.DateTimeField(_("données effacées le"), null=True, blank=True)

    class Meta:
        verbose_name = _("parcours")
        verbose_name_plural = _("parcours")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kpa"], condition=~Q(status="ended"),
                name="journey_one_open_per_person_and_kpa",
            ),
        ]
        indexes = [models.Index(fields=["kpa", "status"], name="journey_kpa_status_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.kpa}"

    def get_absolute_url(self) -> str:
        return reverse("journey:detail", args=[self.pk])

    def reached(self, status: str) -> bool:
        return STATUS_ORDER.index(self.status) >= STATUS_ORDER.index(status)


PERSONAL_DATA_PURPOSES: dict[str, StrOrPromise] = {
    "first_name": _("Vous identifier sur le contrat, les factures et les bulletins."),
    "last_name": _("Vous identifier sur le contrat, les factures et les bulletins."),
    "email": _("Vous envoyer le contrat, les rappels et les notifications (facultatif)."),
    "phone": _("Vous joindre pour votre accompagnement (facultatif)."),
    "birth_date": _("Vérifier l'âge minimum de 16 ans et l'autorisation parentale d'un·e "
                    "mineur·e."),
    "address": _("Mention obligatoire du contrat CAPE."),
    "postcode": _("Mention obligatoire du contrat CAPE."),
    "city": _("Mention obligatoire du contrat CAPE."),
    "iban": _("Verser vos rémunérations et vos remboursements."),
    "france_travail_registered": _("Chiffres anonymes pour les financeurs (facultatif)."),
    "receives_are": _("Chiffres anonymes pour les financeurs (facultatif)."),
    "receives_ass": _("Chiffres anonymes pour les financeurs (facultatif)."),
    "receives_rsa": _("Chiffres anonymes pour les financeurs ; exonération éventuelle de "
                      "contribution (facultatif)."),
    "lives_in_qpv": _("Chiffres anonymes pour les financeurs (facultatif)."),
    "activity_idea": _("Préparer votre accompagnement et l'assurance de votre activité."),
    "exit_kind": _("Suivre ce que deviennent les coopérant·es (chiffres du réseau)."),
    "exit_destination": _("Suivre ce que deviennent les coopérant·es (chiffres du réseau)."),
}


def document_path(instance: JourneyDocument, filename: str) -> str:
    # The stored name never reuses the uploaded one: it may carry personal data.
    return f"parcours/{instance.journey_id}/{instance.requirement_id}-{instance.sha256[:16]}"


class JourneyDocument(models.Model):
    """An uploaded piece of the checklist. The file may be deleted (checked identity copy,
    retention period over); the record of the check stays."""

    journey = models.ForeignKey(Journey, verbose_name=_("parcours"), on_delete=models.CASCADE,
                                related_name="documents")
    requirement = models.ForeignKey(
        DocumentRequirement, verbose_name=_("pièce"), on_delete=models.PROTECT,
        related_name="documents",
    )
    file = models.FileField(_("fichier"), upload_to=document_path, blank=True)
    content_type = models.CharField(_("type de fichier"), max_length=50)
    size = models.PositiveIntegerField(_("taille (octets)"))
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("déposé par"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("vérifié par"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    check_note = models.CharField(
        _("note de vérification"), max_length=200, blank=True,
        help_text=_("Par exemple : carte d'identité n° …, valable jusqu'au …"),
    )
    file_deleted_at = models.DateTimeField(_("fichier supprimé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("pièce déposée")
        verbose_name_plural = _("pièces déposées")
        ordering = ["requirement__position", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.requirement} — {self.journey.person}"

    @property
    def has_file(self) -> bool:
        return bool(self.file) and self.file_deleted_at is None


class RetentionLog(models.Model):
    """What was deleted for privacy, when and why; the log itself holds no personal data."""

    journey = models.ForeignKey(Journey, verbose_name=_("parcours"), on_delete=models.CASCADE,
                                related_name="retention_logs")
    what = models.CharField(_("quoi"), max_length=200)
    reason = models.CharField(_("pourquoi"), max_length=200)
    at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppression de données")
        verbose_name_plural = _("suppressions de données")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} ({self.at:%d/%m/%Y})"


class InsuranceList(models.Model):
    """The "fiche navette": the people and activities a KPA asks its insurer to cover."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("En préparation")
        SENT = "sent", _("Envoyée à l'assureur")
        ANSWERED = "answered", _("Réponse reçue")

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            related_name="insurance_lists")
    insurer = models.CharField(_("assureur"), max_length=150)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    sent_on = models.DateField(_("envoyée le"), null=True, blank=True)
    answered_on = models.DateField(_("réponse le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fiche navette d'assurance")
        verbose_name_plural = _("fiches navettes d'assurance")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.insurer} — {self.kpa} ({self.created_at:%d/%m/%Y})"

    def get_absolute_url(self) -> str:
        return reverse("journey:insurance_detail", args=[self.pk])


class InsuranceEntry(models.Model):
    class Answer(models.TextChoices):
        PENDING = "pending", _("En attente")
        ACCEPTED = "accepted", _("Accepté")
        REFUSED = "refused", _("Refusé")

    insurance_list = models.ForeignKey(InsuranceList, verbose_name=_("fiche"),
                                       on_delete=models.CASCADE, related_name="entries")
    journey = models.ForeignKey(Journey, verbose_name=_("parcours"), on_delete=models.PROTECT,
                                related_name="insurance_entries")
    activity = models.CharField(_("activité à assurer"), max_length=255)
    answer = models.CharField(_("réponse"), max_length=10, choices=Answer.choices,
                              default=Answer.PENDING)

    class Meta:
        verbose_name = _("ligne de fiche navette")
        verbose_name_plural = _("lignes de fiche navette")
        ordering = ["insurance_list", "id"]
        constraints = [
            models.UniqueConstraint(fields=["insurance_list", "journey"],
                                    name="insurance_entry_once_per_list"),
        ]

    def __str__(self) -> str:
        return f"{self.journey.person} — {self.activity}"


class Contract(models.Model):
    """One CAPE period. Issued as a stored PDF whose SHA-256 the signature seals; never edited:
    a late one is voided and reissued, a renewal is a new period."""

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyé, à signer")
        SIGNED = "signed", _("Signé")
        VOID = "void", _("Annulé")

    class SignatureMethod(models.TextChoices):
        PLATFORM = "platform", _("Signé sur la plateforme")
        SCAN = "scan", _("Copie signée déposée")

    class Decision(models.TextChoices):
        RENEW = "renew", _("Renouveler")
        EXIT = "exit", _("Sortir à la fin du contrat")
        CESA = "cesa", _("Passer en CESA")

    journey = models.ForeignKey(Journey, verbose_name=_("parcours"), on_delete=models.PROTECT,
                                related_name="contracts")
    period_number = models.PositiveSmallIntegerField(_("période"))  # 1, then renewals 2 and 3
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin (exclue)"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.SENT)
    replaces = models.OneToOneField(
        "self", verbose_name=_("remplace"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="replaced_by",
    )
    pdf = models.BinaryField(_("PDF du contrat"))
    pdf_sha256 = models.CharField(_("empreinte SHA-256 du PDF"), max_length=64)
    issued_at = models.DateTimeField(_("émis le"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("émis par"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )
    signature_method = models.CharField(_("signature"), max_length=10,
                                        choices=SignatureMethod.choices, blank=True)
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("signé depuis le compte"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    signed_name = models.CharField(_("nom tapé"), max_length=200, blank=True)
    signed_copy = models.BinaryField(_("copie signée"), null=True, blank=True)
    signed_copy_sha256 = models.CharField(_("empreinte de la copie signée"), max_length=64,
                                          blank=True)
    decision = models.CharField(_("décision pour la suite"), max_length=10,
                                choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("décidé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("contrat CAPE")
        verbose_name_plural = _("contrats CAPE")
        ordering = ["journey", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=models.F("starts_on")),
                                   name="contract_ends_after_start"),
            models.CheckConstraint(condition=Q(period_number__gte=1, period_number__lte=3),
                                   name="contract_at_most_two_renewals"),
        ]

    def __str__(self) -> str:
        return _("CAPE %(person)s, période %(n)s, du %(start)s") % {
            "person": self.journey.person, "n": self.period_number,
            "start": self.starts_on.strftime("%d/%m/%Y"),
        }

    def get_absolute_url(self) -> str:
        return reverse("journey:contract_detail", args=[self.pk])

    @property
    def last_day(self) -> dt.date:
        return self.ends_on - dt.timedelta(days=1)

    @property
    def is_renewal(self) -> bool:
        return self.period_number > 1


class ContractReminder(models.Model):
    """A reminder already sent, so that the daily run sends each one once."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="reminders")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "days_before"],
                                    name="contract_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id} J-{self.days_before}"


class CareerStep(models.Model):
    class Kind(models.TextChoices):
        DIAGNOSTIC = "diagnostic", _("Diagnostic")
        CAPE = "cape", _("Début du CAPE")
        RENEWAL = "renewal", _("Renouvellement du CAPE")
        CESA = "cesa", _("Passage en CESA")
        EXIT = "exit", _("Sortie")

    journey = models.ForeignKey(Journey, verbose_name=_("parcours"), on_delete=models.CASCADE,
                                related_name="steps")
    kind = models.CharField(_("étape"), max_length=12, choices=Kind.choices)
    on = models.DateField(_("date"))
    note = models.CharField(_("précision"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("étape de parcours")
        verbose_name_plural = _("étapes de parcours")
        ordering = ["journey", "on", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.on:%d/%m/%Y})"
