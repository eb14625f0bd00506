"""The network, legal structures, KPAs, places, persons, their roles and their activities."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kpa.core.dates import Period
from kpa.directory.validators import validate_siren, validate_siret


class Network(models.Model):
    name = models.CharField(_("nom"), max_length=150, unique=True)
    website = models.URLField(_("site web"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:home")


class Structure(models.Model):
    """A legal entity that carries CAPE contracts, keeps books and issues invoices."""

    class Kind(models.TextChoices):
        CAE = "cae", _("Coopérative d'activité et d'emploi (CAE)")
        ASSOCIATION = "association", _("Association")
        COUVEUSE = "couveuse", _("Couveuse d'entreprises")

    class VatRegime(models.TextChoices):
        FRANCHISE = "franchise", _("Franchise en base (TVA non applicable, art. 293 B du CGI)")
        NORMAL = "normal", _("Régime réel (TVA collectée)")

    class ChartTemplate(models.TextChoices):
        PCG = "pcg", _("Plan comptable général (PCG)")
        ASSOCIATIONS = "asso", _("Plan comptable des associations (ANC 2018-06)")

    network = models.ForeignKey(
        Network, verbose_name=_("réseau"), on_delete=models.PROTECT, related_name="structures"
    )
    name = models.CharField(_("raison sociale"), max_length=150)
    kind = models.CharField(_("forme"), max_length=20, choices=Kind.choices)
    siren = models.CharField(_("SIREN"), max_length=9, unique=True, validators=[validate_siren])
    siret = models.CharField(
        _("SIRET du siège"), max_length=14, unique=True, validators=[validate_siret]
    )
    vat_regime = models.CharField(_("régime de TVA"), max_length=20, choices=VatRegime.choices)
    chart_template = models.CharField(
        _("plan comptable"), max_length=10, choices=ChartTemplate.choices
    )
    address = models.CharField(_("adresse"), max_length=255, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret__startswith=models.F("siren")),
                name="structure_siret_starts_with_siren",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:structure_detail", args=[self.pk])


class Kpa(models.Model):
    """A KPA: a collective, not a legal entity; a structure carries its contracts and books."""

    class Status(models.TextChoices):
        PROJECT = "project", _("En projet")
        STARTING = "starting", _("En lancement")
        ACTIVE = "active", _("Actif")
        PAUSED = "paused", _("En pause")
        CLOSED = "closed", _("Fermé")

    class Autonomy(models.TextChoices):
        SUPERVISED = "supervised", _("Supervisé")
        ACCOMPANIED = "accompanied", _("Accompagné")
        AUTONOMOUS = "autonomous", _("Autonome")

    network = models.ForeignKey(
        Network, verbose_name=_("réseau"), on_delete=models.PROTECT, related_name="kpas"
    )
    name = models.CharField(_("nom"), max_length=150, unique=True)
    city = models.CharField(_("ville"), max_length=100)
    district = models.CharField(_("quartier"), max_length=100, blank=True)
    carrying_structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure porteuse"),
        on_delete=models.PROTECT,
        related_name="carried_kpas",
        help_text=_("La CAE ou l'association qui porte les contrats CAPE et tient les comptes."),
    )
    local_structure = models.ForeignKey(
        Structure,
        verbose_name=_("structure locale de l'ESS"),
        on_delete=models.PROTECT,
        related_name="local_kpas",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=Status.choices, default=Status.PROJECT
    )
    autonomy = models.CharField(
        _("autonomie"), max_length=20, choices=Autonomy.choices, default=Autonomy.SUPERVISED
    )
    founded_on = models.DateField(_("créé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("KPA")
        verbose_name_plural = _("KPA")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:kpa_detail", args=[self.pk])


class Place(models.Model):
    """A shared place of a KPA: a shop, a workshop, a kitchen."""

    kpa = models.ForeignKey(
        Kpa, verbose_name=_("KPA"), on_delete=models.CASCADE, related_name="places"
    )
    name = models.CharField(_("nom"), max_length=150)
    address = models.CharField(_("adresse"), max_length=255)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["kpa", "name"], name="place_unique_name_per_kpa")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kpa})"

    def get_absolute_url(self) -> str:
        return reverse("directory:kpa_detail", args=[self.kpa_id])


class Person(models.Model):
    """A human. May have no login and no e-mail: a référent then acts for them."""

    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("compte"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    proxy = models.ForeignKey(
        "self",
        verbose_name=_("agit pour cette personne"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="represented",
        help_text=_("Le ou la référente qui agit pour une personne sans e-mail ni compte."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("personne")
        verbose_name_plural = _("personnes")
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("directory:person_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class RoleKind(models.TextChoices):
    COOPERANT = "cooperant", _("Coopérant·e")
    REFERENT = "referent", _("Référent·e administratif·ve")
    ACCOMPAGNATEUR = "accompagnateur", _("Accompagnateur·rice")
    ANIMATEUR = "animateur", _("Animateur·rice")
    BENEVOLE = "benevole", _("Bénévole")
    GESTIONNAIRE = "gestionnaire", _("Gestionnaire")
    COMPTABLE = "comptable", _("Comptable")
    COORDINATEUR = "coordinateur", _("Coordinateur·rice du réseau")


KPA_ROLE_KINDS = frozenset(
    {RoleKind.COOPERANT, RoleKind.REFERENT, RoleKind.ACCOMPAGNATEUR, RoleKind.ANIMATEUR,
     RoleKind.BENEVOLE}
)
STRUCTURE_ROLE_KINDS = frozenset({RoleKind.GESTIONNAIRE, RoleKind.COMPTABLE})
NETWORK_ROLE_KINDS = frozenset({RoleKind.COORDINATEUR})
# Roles that see and look after every person of their KPA.
KPA_STAFF_KINDS = frozenset({RoleKind.REFERENT, RoleKind.ANIMATEUR, RoleKind.ACCOMPAGNATEUR})


class RoleQuerySet(models.QuerySet["Role"]):
    def current(self, day: dt.date) -> RoleQuerySet:
        return self.filter(Q(ends_on__isnull=True) | Q(ends_on__gt=day), starts_on__lte=day)


class Role(models.Model):
    """A person holds a kind of role in one scope (a KPA, a structure, the network) for a period."""

    person = models.ForeignKey(
        Person, verbose_name=_("personne"), on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(_("rôle"), max_length=20, choices=RoleKind.choices)
    kpa = models.ForeignKey(
        Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="roles",
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="roles",
    )
    network = models.ForeignKey(
        Network, verbose_name=_("réseau"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="roles",
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(
        _("fin (exclue)"), null=True, blank=True,
        help_text=_("Premier jour sans ce rôle. Laisser vide si le rôle continue."),
    )

    objects = RoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("rôle")
        verbose_name_plural = _("rôles")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="role_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(KPA_ROLE_KINDS), kpa__isnull=False, structure__isnull=True,
                      network__isnull=True)
                    | Q(kind__in=sorted(STRUCTURE_ROLE_KINDS), kpa__isnull=True,
                        structure__isnull=False, network__isnull=True)
                    | Q(kind__in=sorted(NETWORK_ROLE_KINDS), kpa__isnull=True,
                        structure__isnull=True, network__isnull=False)
                ),
                name="role_scope_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["person", "kind"], name="role_person_kind_idx")]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_kind_display()} — {self.scope}"

    @property
    def scope(self) -> Kpa | Structure | Network:
        scope = self.kpa or self.structure or self.network
        assert scope is not None
        return scope

    @property
    def period(self) -> Period:
        return Period(self.starts_on, self.ends_on)


class ActivityQuerySet(models.QuerySet["Activity"]):
    def open_on(self, day: dt.date) -> ActivityQuerySet:
        """Activities not ended on `day` (an activity due to start later counts as open)."""
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=day))


class Activity(models.Model):
    """An economic activity ("enseigne") of a KPA, carried by its structure: individual (one
    coopérant) or collective (several). A coopérant may belong to several activities."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individuelle")
        COLLECTIVE = "collective", _("Collective")

    kpa = models.ForeignKey(
        Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT, related_name="activities"
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure porteuse"), on_delete=models.PROTECT,
        related_name="activities",
        help_text=_("La structure qui porte le KPA au moment où l'activité est créée."),
    )
    name = models.CharField(_("nom de l'enseigne"), max_length=150)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    started_on = models.DateField(_("début"))
    ended_on = models.DateField(
        _("fin (exclue)"), null=True, blank=True,
        help_text=_("Premier jour sans l'activité. Vide tant qu'elle continue."),
    )
    members = models.ManyToManyField(
        Person, verbose_name=_("membres"), through="ActivityMembership",
        related_name="activities",
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=models.F("started_on")),
                name="activity_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:activity_detail", args=[self.pk])

    @property
    def period(self) -> Period:
        return Period(self.started_on, self.ended_on)


class ActivityMembershipQuerySet(models.QuerySet["ActivityMembership"]):
    def current(self, day: dt.date) -> ActivityMembershipQuerySet:
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gt=day), joined_on__lte=day)


class ActivityMembership(models.Model):
    """A person takes part in an activity for a period (the end is exclusive)."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("activité"), on_delete=models.CASCADE,
        related_name="memberships",
    )
    person = models.ForeignKey(
        Person, verbose_name=_("personne"), on_delete=models.PROTECT,
        related_name="activity_memberships",
    )
    joined_on = models.DateField(_("arrivée"))
    left_on = models.DateField(
        _("départ (exclu)"), null=True, blank=True,
        help_text=_("Premier jour hors de l'activité. Vide tant que la personne y participe."),
    )

    objects = ActivityMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation à une activité")
        verbose_name_plural = _("participations aux activités")
        ordering = ["joined_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=models.F("joined_on")),
                name="activity_membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.activity}"

    def get_absolute_url(self) -> str:
        return reverse("directory:activity_detail", args=[self.activity_id])

    @property
    def period(self) -> Period:
        return Period(self.joined_on, self.left_on)
