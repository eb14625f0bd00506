"""Shared governance: proposals and their ballots, the decision register, meetings, the
charter, the network's framework (cadre) and each KPA's self-assessment against it.

A proposal lives in exactly one scope: a KPA (optionally one of its working groups) or the
network. In a KPA the electors are persons; in the network they are the member KPAs
("un KPA = une voix"). Who may vote is frozen into `Elector` rows when the proposal opens.

A secret ballot is a `Ballot` without `elector`: the elector row only says that the person has
voted, without a time, and ballots have random keys and no time either, so nothing in the
database orders or links one to the other.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kpa.directory.models import Kpa, Network, Person, Structure

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Majority judgment grades, worst first ("À rejeter" … "Excellent"), as MieuxVoter uses them.
GRADES: tuple[tuple[int, StrOrPromise], ...] = (
    (0, _("À rejeter")),
    (1, _("Insuffisant")),
    (2, _("Passable")),
    (3, _("Assez bien")),
    (4, _("Bien")),
    (5, _("Très bien")),
    (6, _("Excellent")),
)


def _scope_constraint(name: str) -> models.CheckConstraint:
    """Exactly one scope: a KPA or the network."""
    return models.CheckConstraint(
        condition=(Q(kpa__isnull=False, network__isnull=True)
                   | Q(kpa__isnull=True, network__isnull=False)),
        name=name,
    )


class WorkingGroup(models.Model):
    """A circle inside a KPA (the kitchen, the shop…) that decides on its own matters."""

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.CASCADE,
                            related_name="working_groups")
    name = models.CharField(_("nom"), max_length=150)
    members = models.ManyToManyField(Person, verbose_name=_("membres"),
                                     related_name="working_groups", blank=True)

    class Meta:
        verbose_name = _("groupe de travail")
        verbose_name_plural = _("groupes de travail")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kpa", "name"], name="working_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Method(models.TextChoices):
    CONSENT = "consent", _("Consentement")
    MAJORITY = "majority", _("Vote à la majorité")
    JUDGMENT = "judgment", _("Jugement majoritaire")
    CHOICE = "choice", _("Choix entre options")


class Threshold(models.TextChoices):
    """Share of the counted votes that "pour" must exceed (simple) or reach (the others)."""

    SIMPLE = "simple", _("Majorité simple (plus de la moitié)")
    TWO_THIRDS = "two_thirds", _("Deux tiers")
    THREE_QUARTERS = "three_quarters", _("Trois quarts")
    UNANIMITY = "unanimity", _("Unanimité")


class Proposal(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        AWAITING_APPROVAL = "awaiting_approval", _("En attente d'accord de l'animateur·rice")
        SCHEDULED = "scheduled", _("Programmée")
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", _("Clôturée")
        CANCELLED = "cancelled", _("Annulée")

    class Phase(models.TextChoices):
        """Consent only: the rounds of a sociocratic decision."""

        CLARIFICATION = "clarification", _("Questions de clarification")
        REACTIONS = "reactions", _("Réactions")
        OBJECTIONS = "objections", _("Tour d'objections")

    class Outcome(models.TextChoices):
        ADOPTED = "adopted", _("Adoptée")
        REJECTED = "rejected", _("Rejetée")
        NO_QUORUM = "no_quorum", _("Quorum non atteint")
        ELECTED = "elected", _("Option retenue")
        TIE = "tie", _("Égalité")

    class ChoiceMode(models.TextChoices):
        SINGLE = "single", _("Un seul choix")
        APPROVAL = "approval", _("Plusieurs choix possibles (approbation)")

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            null=True, blank=True, related_name="proposals")
    group = models.ForeignKey(WorkingGroup, verbose_name=_("groupe"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="proposals")
    network = models.ForeignKey(Network, verbose_name=_("réseau"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="proposals")
    author = models.ForeignKey(Person, verbose_name=_("auteur·rice"), on_delete=models.PROTECT,
                               related_name="proposals")
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    method = models.CharField(_("méthode"), max_length=12, choices=Method.choices)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices,
                              default=Status.DRAFT)
    phase = models.CharField(_("étape"), max_length=16, choices=Phase.choices, blank=True)
    opens_at = models.DateTimeField(_("ouverture"), null=True, blank=True)
    closes_at = models.DateTimeField(_("clôture"), null=True, blank=True)
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (% des votant·es inscrit·es)"), default=0,
        help_text=_("Part des personnes (ou des KPA) appelées à voter qui doivent participer. "
                    "0 : pas de quorum."),
    )
    threshold = models.CharField(_("majorité requise"), max_length=16,
                                 choices=Threshold.choices, default=Threshold.SIMPLE)
    abstentions_count = models.BooleanField(
        _("les abstentions comptent dans les suffrages"), default=False,
        help_text=_("Si coché, une abstention pèse comme un vote qui n'est pas « pour »."),
    )
    choice_mode = models.CharField(_("mode de choix"), max_length=10,
                                   choices=ChoiceMode.choices, default=ChoiceMode.SINGLE)
    secret = models.BooleanField(_("vote secret"), default=False)
    max_proxies = models.PositiveSmallIntegerField(
        _("procurations par personne"), default=0,
        help_text=_("Nombre de procurations qu'une personne peut porter. 0 : pas de procuration."),
    )
    review_on = models.DateField(_("date de révision"), null=True, blank=True)
    # What the proposal changes when it is adopted (at most one of these).
    charter_version = models.OneToOneField(
        "CharterVersion", verbose_name=_("version de charte proposée"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="proposal",
    )
    autonomy_target = models.CharField(_("niveau d'autonomie proposé"), max_length=20,
                                       choices=Kpa.Autonomy.choices, blank=True)
    framework_version = models.OneToOneField(
        "FrameworkVersion", verbose_name=_("version du cadre proposée"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="proposal",
    )
    # A KPA's internal proposal whose outcome is the KPA's one vote on a network proposal.
    network_proposal = models.ForeignKey(
        "self", verbose_name=_("proposition du réseau"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="internal_proposals",
    )
    approved_by = models.ForeignKey(Person, verbose_name=_("ouverture accordée par"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    outcome = models.CharField(_("résultat"), max_length=12, choices=Outcome.choices,
                               blank=True)
    results = models.JSONField(_("décompte"), default=dict, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    closing_reminder_sent_at = models.DateTimeField(_("rappel de clôture envoyé le"), null=True,
                                                    blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        ordering = ["-created_at", "-id"]
        constraints = [
            _scope_constraint("proposal_one_scope"),
            models.CheckConstraint(condition=Q(group__isnull=True) | Q(kpa__isnull=False),
                                   name="proposal_group_inside_kpa"),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="proposal_closes_after_opening",
            ),
            models.CheckConstraint(condition=Q(quorum_percent__lte=100),
                                   name="proposal_quorum_is_a_percentage"),
            models.CheckConstraint(condition=~Q(method="consent") | Q(secret=False),
                                   name="proposal_consent_is_nominal"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"], name="proposal_status_close_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("governance:proposal_detail", args=[self.pk])

    @property
    def is_network(self) -> bool:
        return self.network_id is not None


class ProposalOption(models.Model):
    """An option to grade (majority judgment) or to choose (choice)."""

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("intitulé"), max_length=200)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "label"], name="option_unique_label"),
        ]

    def __str__(self) -> str:
        return self.label


class ProposalRevision(models.Model):
    """The text as it was before each amendment: a proposal's history never disappears."""

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    reason = models.CharField(_("raison"), max_length=300, blank=True)
    created_by = models.ForeignKey(Person, verbose_name=_("par"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version d'une proposition")
        verbose_name_plural = _("versions des propositions")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} v{self.number}"


def attachment_path(instance: ProposalAttachment, filename: str) -> str:
    return f"governance/{instance.proposal_id}/{uuid.uuid4().hex}/{filename}"


class ProposalAttachment(models.Model):
    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=attachment_path)
    name = models.CharField(_("nom"), max_length=200)
    uploaded_by = models.ForeignKey(Person, verbose_name=_("ajouté par"),
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Commentaire")
        QUESTION = "question", _("Question de clarification")
        REACTION = "reaction", _("Réaction")

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, verbose_name=_("auteur·rice"), on_delete=models.PROTECT,
                               related_name="+")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices,
                            default=Kind.COMMENT)
    body = models.TextField(_("texte"))
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("commentaire")
        verbose_name_plural = _("commentaires")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author} — {self.proposal}"


class Elector(models.Model):
    """Who may vote, frozen when the proposal opens: a person (in a KPA) or a member KPA (in the
    network). `has_voted` says they took part; for a secret ballot it is all that is kept."""

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="electors")
    person = models.ForeignKey(Person, verbose_name=_("personne"), on_delete=models.PROTECT,
                               null=True, blank=True, related_name="+")
    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            null=True, blank=True, related_name="+")
    has_voted = models.BooleanField(_("a voté"), default=False)

    class Meta:
        verbose_name = _("votant·e inscrit·e")
        verbose_name_plural = _("votant·es inscrit·es")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(person__isnull=False, kpa__isnull=True)
                           | Q(person__isnull=True, kpa__isnull=False)),
                name="elector_person_or_kpa",
            ),
            models.UniqueConstraint(fields=["proposal", "person"], name="elector_unique_person"),
            models.UniqueConstraint(fields=["proposal", "kpa"], name="elector_unique_kpa"),
        ]

    def __str__(self) -> str:
        return str(self.person or self.kpa)


class Proxy(models.Model):
    """A procuration: `holder` votes for `giver` on one proposal."""

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="proxies")
    giver = models.OneToOneField(Elector, verbose_name=_("donne procuration"),
                                 on_delete=models.CASCADE, related_name="proxy_given")
    holder = models.ForeignKey(Elector, verbose_name=_("porte la procuration"),
                               on_delete=models.CASCADE, related_name="proxies_held")
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("procuration")
        verbose_name_plural = _("procurations")
        constraints = [
            models.CheckConstraint(condition=~Q(giver=models.F("holder")),
                                   name="proxy_not_to_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.giver} → {self.holder}"


class Ballot(models.Model):
    """One vote. Random key and no time, so that a secret ballot cannot be ordered against the
    electors; `elector` is set only for a nominal ballot."""

    class Choice(models.TextChoices):
        FOR = "for", _("Pour")
        AGAINST = "against", _("Contre")
        ABSTAIN = "abstain", _("Abstention")
        CONSENT = "consent", _("Je consens")
        OBJECTION = "objection", _("J'objecte")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="ballots")
    elector = models.OneToOneField(Elector, verbose_name=_("votant·e"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="ballot")
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices, blank=True)
    by_proxy = models.BooleanField(_("par procuration"), default=False)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        indexes = [models.Index(fields=["proposal", "choice"], name="ballot_proposal_choice_idx")]

    def __str__(self) -> str:
        return f"{self.proposal} — {self.get_choice_display() or _('bulletin')}"


class BallotGrade(models.Model):
    """A grade given to one option on one majority-judgment ballot. Random key, like the
    ballot's: a counting id would follow the order of the votes, and so of the audit trail."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, verbose_name=_("bulletin"), on_delete=models.CASCADE,
                               related_name="grades")
    option = models.ForeignKey(ProposalOption, verbose_name=_("option"),
                               on_delete=models.PROTECT, related_name="grades")
    grade = models.PositiveSmallIntegerField(_("mention"), choices=GRADES)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "option"], name="grade_one_per_option"),
            models.CheckConstraint(condition=Q(grade__lte=len(GRADES) - 1),
                                   name="grade_in_scale"),
        ]
        indexes = [models.Index(fields=["option", "grade"], name="grade_option_grade_idx")]

    def __str__(self) -> str:
        return f"{self.option}: {self.get_grade_display()}"


class BallotSelection(models.Model):
    """An option chosen on a choice ballot (several for approval voting); random key, as for
    grades."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, verbose_name=_("bulletin"), on_delete=models.CASCADE,
                               related_name="selections")
    option = models.ForeignKey(ProposalOption, verbose_name=_("option"),
                               on_delete=models.PROTECT, related_name="selections")

    class Meta:
        verbose_name = _("choix")
        verbose_name_plural = _("choix")
        constraints = [
            models.UniqueConstraint(fields=["ballot", "option"], name="selection_once"),
        ]

    def __str__(self) -> str:
        return str(self.option)


class Objection(models.Model):
    """Consent: an argued objection, open until its author withdraws it or it is integrated."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ouverte")
        INTEGRATED = "integrated", _("Intégrée")
        WITHDRAWN = "withdrawn", _("Retirée")

    proposal = models.ForeignKey(Proposal, verbose_name=_("proposition"),
                                 on_delete=models.CASCADE, related_name="objections")
    elector = models.ForeignKey(Elector, verbose_name=_("objecteur·rice"),
                                on_delete=models.PROTECT, related_name="objections")
    argument = models.TextField(_("argument"))
    status = models.CharField(_("état"), max_length=12, choices=Status.choices,
                              default=Status.OPEN)
    resolution = models.TextField(_("comment elle a été traitée"), blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traitée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(argument=""), name="objection_is_argued"),
        ]

    def __str__(self) -> str:
        return f"{self.elector} — {self.proposal}"


class Meeting(models.Model):
    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            null=True, blank=True, related_name="meetings")
    network = models.ForeignKey(Network, verbose_name=_("réseau"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="meetings")
    title = models.CharField(_("titre"), max_length=200)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    location = models.CharField(_("lieu"), max_length=255, blank=True)
    agenda = models.TextField(_("ordre du jour (Markdown)"), blank=True)
    minutes = models.TextField(_("compte rendu (Markdown)"), blank=True)
    minutes_published_at = models.DateTimeField(_("compte rendu publié le"), null=True,
                                                blank=True)
    proposals = models.ManyToManyField(Proposal, verbose_name=_("propositions liées"),
                                       related_name="meetings", blank=True)
    uid = models.UUIDField(_("identifiant iCal"), default=uuid.uuid4, unique=True,
                           editable=False)
    created_by = models.ForeignKey(Person, verbose_name=_("créée par"), on_delete=models.PROTECT,
                                   related_name="+")
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("révision iCal"), default=0)

    class Meta:
        verbose_name = _("réunion")
        verbose_name_plural = _("réunions")
        ordering = ["-starts_at", "-id"]
        constraints = [
            _scope_constraint("meeting_one_scope"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")),
                                   name="meeting_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("governance:meeting_detail", args=[self.pk])


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Présent·e")
        EXCUSED = "excused", _("Excusé·e")
        ABSENT = "absent", _("Absent·e")

    meeting = models.ForeignKey(Meeting, verbose_name=_("réunion"), on_delete=models.CASCADE,
                                related_name="attendances")
    person = models.ForeignKey(Person, verbose_name=_("personne"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(_("présence"), max_length=10, choices=Status.choices)

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_status_display()}"


class Decision(models.Model):
    """An entry of the decision register: what was decided, how, with which figures."""

    class Source(models.TextChoices):
        PROPOSAL = "proposal", _("Proposition")
        SHOW_OF_HANDS = "show_of_hands", _("Vote à main levée en réunion")
        NETWORK_VOTE = "network_vote", _("Vote du KPA au réseau")

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            null=True, blank=True, related_name="decisions")
    network = models.ForeignKey(Network, verbose_name=_("réseau"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="decisions")
    number = models.PositiveIntegerField(_("numéro"))
    title = models.CharField(_("intitulé"), max_length=200)
    summary = models.TextField(_("ce qui est décidé"), blank=True)
    source = models.CharField(_("origine"), max_length=16, choices=Source.choices)
    method = models.CharField(_("méthode"), max_length=12, choices=Method.choices, blank=True)
    outcome = models.CharField(_("résultat"), max_length=12, choices=Proposal.Outcome.choices)
    figures = models.JSONField(_("chiffres"), default=dict, blank=True)
    decided_on = models.DateField(_("date"))
    proposal = models.OneToOneField(Proposal, verbose_name=_("proposition"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="decision")
    meeting = models.ForeignKey(Meeting, verbose_name=_("réunion"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="decisions")
    review_on = models.DateField(_("à revoir le"), null=True, blank=True)
    review_reminded_on = models.DateField(_("rappel de révision envoyé le"), null=True,
                                          blank=True)
    ratified_by = models.ForeignKey(Person, verbose_name=_("ratifiée par"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    ratified_at = models.DateTimeField(_("ratifiée le"), null=True, blank=True)
    recorded_by = models.ForeignKey(Person, verbose_name=_("inscrite par"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(_("inscrite le"), auto_now_add=True)

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["-decided_on", "-number"]
        constraints = [
            _scope_constraint("decision_one_scope"),
            models.UniqueConstraint(fields=["kpa", "number"], name="decision_number_per_kpa"),
            models.UniqueConstraint(fields=["network", "number"],
                                    name="decision_number_per_network"),
        ]

    def __str__(self) -> str:
        return f"n° {self.number} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("governance:decision_detail", args=[self.pk])


class CharterVersion(models.Model):
    """A version of a KPA's charter. Adopted by a decision, it never changes again; the next
    version supersedes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Projet")
        ADOPTED = "adopted", _("Adoptée")
        SUPERSEDED = "superseded", _("Remplacée")

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            related_name="charter_versions")
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("texte (Markdown)"))
    status = models.CharField(_("état"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    decision = models.OneToOneField(Decision, verbose_name=_("adoptée par la décision"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="charter_version")
    adopted_on = models.DateField(_("adoptée le"), null=True, blank=True)
    created_by = models.ForeignKey(Person, verbose_name=_("rédigée par"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version de la charte")
        verbose_name_plural = _("versions de la charte")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["kpa", "number"], name="charter_version_number"),
            models.UniqueConstraint(fields=["kpa"], condition=Q(status="adopted"),
                                    name="charter_one_current_version"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(decision__isnull=False, adopted_on__isnull=False),
                name="charter_adopted_by_a_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpa} — charte v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("governance:charter_version", args=[self.pk])


class CharterAcknowledgement(models.Model):
    version = models.ForeignKey(CharterVersion, verbose_name=_("version"),
                                on_delete=models.PROTECT, related_name="acknowledgements")
    person = models.ForeignKey(Person, verbose_name=_("personne"), on_delete=models.PROTECT,
                               related_name="charter_acknowledgements")
    acknowledged_at = models.DateTimeField(_("le"))

    class Meta:
        verbose_name = _("prise de connaissance de la charte")
        verbose_name_plural = _("prises de connaissance de la charte")
        constraints = [
            models.UniqueConstraint(fields=["version", "person"], name="acknowledged_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.version}"


class CharterPolicy(models.Model):
    """A structure's rule: a coopérant who has not acknowledged their KPA's current charter
    does not count as active in its governance (no vote) until they do."""

    structure = models.OneToOneField(Structure, verbose_name=_("structure"),
                                     on_delete=models.CASCADE, related_name="charter_policy")
    acknowledgement_required = models.BooleanField(
        _("la prise de connaissance de la charte conditionne le droit de vote"), default=False)

    class Meta:
        verbose_name = _("règle de charte")
        verbose_name_plural = _("règles de charte")

    def __str__(self) -> str:
        return str(self.structure)


class NetworkDelegate(models.Model):
    """The person who casts a KPA's one vote in the network, for a period."""

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            related_name="network_delegates")
    person = models.ForeignKey(Person, verbose_name=_("délégué·e"), on_delete=models.PROTECT,
                               related_name="+")
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin (exclue)"), null=True, blank=True)
    decision = models.ForeignKey(Decision, verbose_name=_("désigné·e par la décision"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")

    class Meta:
        verbose_name = _("délégué·e au réseau")
        verbose_name_plural = _("délégué·es au réseau")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=models.F("starts_on")),
                name="delegate_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.kpa})"


class FrameworkVersion(models.Model):
    """A version of the network's framework (cadre), amended only by network proposals."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Projet")
        CURRENT = "current", _("En vigueur")
        SUPERSEDED = "superseded", _("Remplacée")

    network = models.ForeignKey(Network, verbose_name=_("réseau"), on_delete=models.PROTECT,
                                related_name="framework_versions")
    label = models.CharField(_("intitulé"), max_length=200)
    adopted_on = models.DateField(_("actée le"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    decision = models.OneToOneField(Decision, verbose_name=_("actée par la décision"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="framework_version")
    based_on = models.ForeignKey("self", verbose_name=_("modifie la version"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="amendments")
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version du cadre")
        verbose_name_plural = _("versions du cadre")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["network"], condition=Q(status="current"),
                                    name="framework_one_current_version"),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("governance:framework_version", args=[self.pk])


class FrameworkPillar(models.Model):
    version = models.ForeignKey(FrameworkVersion, verbose_name=_("version"),
                                on_delete=models.CASCADE, related_name="pillars")
    position = models.PositiveSmallIntegerField(_("ordre"))
    title = models.CharField(_("intitulé"), max_length=300)

    class Meta:
        verbose_name = _("pilier du cadre")
        verbose_name_plural = _("piliers du cadre")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="pillar_position"),
        ]

    def __str__(self) -> str:
        return self.title


class FrameworkCriterion(models.Model):
    pillar = models.ForeignKey(FrameworkPillar, verbose_name=_("pilier"),
                               on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("ordre"))
    code = models.CharField(_("code"), max_length=10)
    text = models.TextField(_("critère"))
    evidence_key = models.CharField(
        _("preuve calculée"), max_length=40, blank=True,
        help_text=_("Ce que la plateforme sait montrer d'elle-même pour ce critère."),
    )

    class Meta:
        verbose_name = _("critère du cadre")
        verbose_name_plural = _("critères du cadre")
        ordering = ["pillar__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["pillar", "position"], name="criterion_position"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text[:60]}"


class SelfAssessment(models.Model):
    """A KPA's reading of itself against one version of the framework."""

    kpa = models.ForeignKey(Kpa, verbose_name=_("KPA"), on_delete=models.PROTECT,
                            related_name="self_assessments")
    version = models.ForeignKey(FrameworkVersion, verbose_name=_("version du cadre"),
                                on_delete=models.PROTECT, related_name="assessments")
    created_by = models.ForeignKey(Person, verbose_name=_("par"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("commencée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("auto-évaluation")
        verbose_name_plural = _("auto-évaluations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kpa", "version"], name="assessment_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.kpa} — {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("governance:assessment_detail", args=[self.pk])


class CriterionAssessment(models.Model):
    class Status(models.TextChoices):
        MET = "met", _("Rempli")
        IN_PROGRESS = "in_progress", _("En cours")
        NOT_YET = "not_yet", _("Pas encore")

    assessment = models.ForeignKey(SelfAssessment, verbose_name=_("auto-évaluation"),
                                   on_delete=models.CASCADE, related_name="answers")
    criterion = models.ForeignKey(FrameworkCriterion, verbose_name=_("critère"),
                                  on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("où en est-on"), max_length=12, choices=Status.choices)
    evidence = models.TextField(_("preuves"), blank=True)

    class Meta:
        verbose_name = _("réponse à un critère")
        verbose_name_plural = _("réponses aux critères")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="answer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.get_status_display()}"


class CalendarFeed(models.Model):
    """A secret address for a person's calendar application to read their meetings."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("compte"),
                                on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(_("jeton"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("agenda iCal")
        verbose_name_plural = _("agendas iCal")

    def __str__(self) -> str:
        return str(self.user)
