"""A proposal's life before its result: written (draft), amended, opened — after an
animateur's approval in a KPA that is not autonomous, at its opening time when that is later —,
cancelled, and for consent moved through its rounds. Closing and counting live in `closing`.

Opening freezes the electors (`eligibility.freeze_electors`) and tells them. The rules a
proposal must follow when it is written are checked here, once, with French messages that say
what to change; the gates are those of `permissions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.directory.models import Kpa, Network, Person, Role, RoleKind
from kpa.directory.permissions import reach_of
from kpa.governance import delegates, eligibility, permissions
from kpa.governance.models import (
    CharterVersion,
    Elector,
    FrameworkVersion,
    Method,
    Proposal,
    ProposalOption,
    ProposalRevision,
    Threshold,
    WorkingGroup,
)

WITH_OPTIONS = (Method.JUDGMENT, Method.CHOICE)
NETWORK_METHODS = (Method.MAJORITY, Method.CHOICE, Method.JUDGMENT)
BEFORE_OPENING = (Proposal.Status.DRAFT, Proposal.Status.AWAITING_APPROVAL,
                  Proposal.Status.SCHEDULED)
FINISHED = (Proposal.Status.CLOSED, Proposal.Status.CANCELLED)
NEXT_PHASE = {
    Proposal.Phase.CLARIFICATION: Proposal.Phase.REACTIONS,
    Proposal.Phase.REACTIONS: Proposal.Phase.OBJECTIONS,
}



def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def person_of(actor: AnyUser, today: dt.date) -> Person:
    person_id = reach_of(actor, today).person_id
    if person_id is None:
        raise PermissionDenied
    return Person.objects.get(pk=person_id)


def _locked(proposal: Proposal) -> Proposal:
    return (Proposal.objects.select_for_update(of=("self",))
            .select_related("kpa", "network", "group").get(pk=proposal.pk))


def _refresh_into(target: Proposal, source: Proposal) -> Proposal:
    """Callers keep their instance: copy the saved state onto it."""
    target.__dict__.update({k: v for k, v in source.__dict__.items() if k != "_state"})
    return target


# -- validation --------------------------------------------------------------------------------

def clean_options(method: str, options: Sequence[str]) -> list[str]:
    labels = [" ".join(label.split()) for label in options]
    labels = [label for label in labels if label]
    if method not in WITH_OPTIONS:
        if labels:
            raise ValidationError({"options": _(
                "Ce mode de décision n'a pas d'options : retirez-les, ou choisissez « Jugement "
                "majoritaire » ou « Choix entre options ».")})
        return []
    if len(labels) < 2:
        raise ValidationError({"options": _("Donnez au moins deux options à départager.")})
    seen: set[str] = set()
    for label in labels:
        if label.casefold() in seen:
            raise ValidationError({"options": _(
                "L'option « %(label)s » est écrite deux fois : chaque option doit être "
                "différente.") % {"label": label}})
        seen.add(label.casefold())
        if len(label) > 200:
            raise ValidationError({"options": _("Une option tient en 200 caractères au plus.")})
    return labels


def _check_text(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("Donnez un titre à la proposition.")})
    if len(title) > 200:
        raise ValidationError({"title": _("Le titre tient en 200 caractères au plus.")})
    return title


def _check_settings(*, now: dt.datetime, method: str, kpa: Kpa | None, network: Network | None,
                    group: WorkingGroup | None, opens_at: dt.datetime | None,
                    closes_at: dt.datetime | None, quorum_percent: int, threshold: str,
                    choice_mode: str, secret: bool, max_proxies: int) -> None:
    if method not in Method.values:
        raise ValidationError({"method": _("Choisissez un mode de décision de la liste.")})
    if threshold not in Threshold.values:
        raise ValidationError({"threshold": _("Choisissez une majorité requise de la liste.")})
    if choice_mode not in Proposal.ChoiceMode.values:
        raise ValidationError({"choice_mode": _("Choisissez un mode de choix de la liste.")})
    if (kpa is None) == (network is None):
        raise ValidationError(_("Une proposition se fait dans un KPA ou dans le réseau."))
    if group is not None and (kpa is None or group.kpa_id != kpa.pk):
        raise ValidationError({"group": _(
            "Ce groupe de travail n'appartient pas à ce KPA : choisissez un groupe du KPA.")})
    if network is not None and method not in NETWORK_METHODS:
        raise ValidationError({"method": _(
            "Au réseau, on décide à la majorité, par jugement majoritaire ou par un choix entre "
            "options : le consentement se pratique dans un KPA.")})
    if method == Method.CONSENT and secret:
        raise ValidationError({"secret": _(
            "Le consentement se donne à visage découvert : décochez « vote secret ».")})
    if method == Method.CONSENT and max_proxies:
        raise ValidationError({"max_proxies": _(
            "Le consentement ne se donne pas par procuration : mettez 0 procuration.")})
    if max_proxies < 0:
        raise ValidationError({"max_proxies": _("Le nombre de procurations ne peut pas être "
                                                "négatif.")})
    if not 0 <= quorum_percent <= 100:
        raise ValidationError({"quorum_percent": _(
            "Le quorum est un pourcentage entre 0 et 100.")})
    if closes_at is not None and opens_at is not None and closes_at <= opens_at:
        raise ValidationError({"closes_at": _(
            "La clôture doit venir après l'ouverture : choisissez une date plus tardive.")})
    if closes_at is not None and closes_at <= now:
        raise ValidationError({"closes_at": _(
            "La date de clôture est déjà passée : choisissez une date à venir.")})


def _check_changes(*, method: str, kpa: Kpa | None, network: Network | None,
                   charter_version: CharterVersion | None, autonomy_target: str,
                   framework_version: FrameworkVersion | None) -> None:
    """At most one change, each in its scope, with a method that can carry it."""
    if sum([charter_version is not None, bool(autonomy_target),
            framework_version is not None]) > 1:
        raise ValidationError(_("Une proposition change une seule chose à la fois : charte, "
                                "autonomie ou cadre."))
    if charter_version is not None or autonomy_target:
        if kpa is None:
            raise ValidationError(_("La charte et l'autonomie se décident dans le KPA, pas au "
                                    "réseau."))
        if method not in (Method.MAJORITY, Method.CONSENT):
            raise ValidationError({"method": _(
                "La charte ou l'autonomie se décide à la majorité ou par consentement.")})
    if autonomy_target and autonomy_target not in Kpa.Autonomy.values:
        raise ValidationError({"autonomy_target": _(
            "Choisissez un niveau d'autonomie de la liste.")})
    if autonomy_target and kpa is not None and autonomy_target == kpa.autonomy:
        raise ValidationError({"autonomy_target": _(
            "Le KPA a déjà ce niveau d'autonomie : choisissez-en un autre.")})
    if charter_version is not None and (
            kpa is None or charter_version.kpa_id != kpa.pk
            or charter_version.status != CharterVersion.Status.DRAFT):
        raise ValidationError({"charter_version": _(
            "Seul un projet de charte de ce KPA peut être mis au vote.")})
    if framework_version is not None:
        if network is None or framework_version.network_id != network.pk \
                or framework_version.status != FrameworkVersion.Status.DRAFT:
            raise ValidationError({"framework_version": _(
                "Seul un projet de cadre de ce réseau peut être mis au vote du réseau.")})
        if method != Method.MAJORITY:
            raise ValidationError({"method": _("Le cadre se modifie par un vote à la majorité "
                                               "des KPA.")})


def _check_network_link(*, kpa: Kpa | None, method: str, labels: Sequence[str],
                        network_proposal: Proposal | None) -> None:
    """An internal proposal whose outcome will be the KPA's one vote must be able to give it."""
    if network_proposal is None:
        return
    if kpa is None or network_proposal.network_id is None \
            or network_proposal.network_id != kpa.network_id:
        raise ValidationError({"network_proposal": _(
            "Seule une proposition du réseau de ce KPA peut être préparée ici.")})
    if network_proposal.status in FINISHED:
        raise ValidationError({"network_proposal": _(
            "Cette proposition du réseau est close ou annulée : le KPA ne peut plus y répondre.")})
    if network_proposal.method != method:
        raise ValidationError({"method": _(
            "Reprenez le mode de décision de la proposition du réseau (%(method)s).")
            % {"method": network_proposal.get_method_display()}})
    theirs = sorted(network_proposal.options.values_list("label", flat=True))
    if sorted(labels) != theirs:
        raise ValidationError({"options": _(
            "Reprenez exactement les options de la proposition du réseau : %(labels)s.")
            % {"labels": ", ".join(theirs)}})


def _write_options(proposal: Proposal, labels: Sequence[str]) -> None:
    ProposalOption.objects.bulk_create(
        ProposalOption(proposal=proposal, label=label, position=position)
        for position, label in enumerate(labels))


# -- services ----------------------------------------------------------------------------------

@transaction.atomic
def create_proposal(
    *,
    actor: AnyUser,
    now: dt.datetime,
    title: str,
    body: str,
    method: str,
    kpa: Kpa | None = None,
    network: Network | None = None,
    group: WorkingGroup | None = None,
    options: Sequence[str] = (),
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None = None,
    quorum_percent: int = 0,
    threshold: str = "simple",
    abstentions_count: bool = False,
    choice_mode: str = "single",
    secret: bool = False,
    max_proxies: int = 0,
    review_on: dt.date | None = None,
    charter_version: CharterVersion | None = None,
    autonomy_target: str = "",
    framework_version: FrameworkVersion | None = None,
    network_proposal: Proposal | None = None,
) -> Proposal:
    """A draft proposal in a KPA (or one of its groups) or in the network."""
    today = timezone.localdate(now)
    if kpa is not None:
        require(permissions.can_propose_in_kpa(actor, kpa, today=today))
    if network is not None:
        require(permissions.can_propose_in_network(actor, network, today=today))
    author = person_of(actor, today)
    title = _check_text(title)
    _check_settings(now=now, method=method, kpa=kpa, network=network, group=group,
                    opens_at=opens_at, closes_at=closes_at, quorum_percent=quorum_percent,
                    threshold=threshold, choice_mode=choice_mode, secret=secret,
                    max_proxies=max_proxies)
    labels = clean_options(method, options)
    _check_changes(method=method, kpa=kpa, network=network, charter_version=charter_version,
                   autonomy_target=autonomy_target, framework_version=framework_version)
    _check_network_link(kpa=kpa, method=method, labels=labels,
                        network_proposal=network_proposal)
    proposal = Proposal.objects.create(
        kpa=kpa, network=network, group=group, author=author, title=title, body=body,
        method=method, opens_at=opens_at, closes_at=closes_at, quorum_percent=quorum_percent,
        threshold=threshold, abstentions_count=abstentions_count, choice_mode=choice_mode,
        secret=secret, max_proxies=max_proxies, review_on=review_on,
        charter_version=charter_version, autonomy_target=autonomy_target,
        framework_version=framework_version, network_proposal=network_proposal,
    )
    _write_options(proposal, labels)
    audit.record(actor=actor, action="governance.proposal.created", target=proposal,
                 data={"method": method, "kpa": kpa.pk if kpa else None,
                       "network": network.pk if network else None,
                       "options": labels})
    return proposal


@transaction.atomic
def amend_proposal(proposal: Proposal, *, actor: AnyUser, now: dt.datetime, title: str,
                   body: str, reason: str = "",
                   options: Sequence[str] | None = None) -> Proposal:
    """New text (and, before opening, new options); the previous text is kept as a revision."""
    today = timezone.localdate(now)
    locked = _locked(proposal)
    if locked.status in FINISHED:
        raise ValidationError(_("Cette proposition est close : elle ne peut plus être "
                                "modifiée."))
    require(permissions.can_edit_proposal(actor, locked, today=today))
    title = _check_text(title)
    labels: list[str] | None = None
    if options is not None:
        labels = clean_options(locked.method, options)
        current = list(locked.options.values_list("label", flat=True))
        if labels != current:
            if locked.status not in BEFORE_OPENING:
                raise ValidationError({"options": _(
                    "Le vote est ouvert : les options ne peuvent plus changer.")})
            _check_network_link(kpa=locked.kpa, method=locked.method, labels=labels,
                                network_proposal=locked.network_proposal)
        else:
            labels = None
    last = locked.revisions.aggregate(last=Max("number"))["last"] or 0
    revision = ProposalRevision.objects.create(
        proposal=locked, number=last + 1, title=locked.title, body=locked.body,
        reason=reason.strip()[:300], created_by=person_of(actor, today))
    locked.title, locked.body = title, body
    locked.save(update_fields=["title", "body"])
    if labels is not None:
        locked.options.all().delete()
        _write_options(locked, labels)
    audit.record(actor=actor, action="governance.proposal.amended", target=locked,
                 data={"revision": revision.number, "reason": revision.reason,
                       "options": labels})
    return _refresh_into(proposal, locked)


def elector_users(proposal: Proposal, today: dt.date,
                  electors: QuerySet[Elector] | None = None) -> list[User]:
    """Who to tell about a vote: its electors (or only `electors`) with a login; for a network
    proposal, each KPA's current delegate, or its référents and animateurs when it has none."""
    if electors is None:
        electors = Elector.objects.filter(proposal=proposal)
    if proposal.network_id is None:
        return list(User.objects.filter(person__in=electors.values("person_id")))
    kpa_ids = set(electors.values_list("kpa_id", flat=True))
    delegate_of = delegates.current_delegate_ids(sorted(kpa_ids), today)
    leads = Role.objects.current(today).filter(
        kpa_id__in=kpa_ids - delegate_of.keys(), kind__in=[RoleKind.REFERENT, RoleKind.ANIMATEUR])
    return list(User.objects.filter(Q(person__in=delegate_of.values())
                                    | Q(person__in=leads.values("person_id"))))


def kpa_leads(kpa: Kpa, kinds: Iterable[str], today: dt.date) -> list[User]:
    return list(User.objects.filter(person__in=Role.objects.current(today).filter(
        kpa=kpa, kind__in=list(kinds)).values("person_id")))


def _start(proposal: Proposal, *, actor: AnyUser | None, now: dt.datetime) -> None:
    """Open `proposal` (locked) now, or schedule it when its opening time is later."""
    today = timezone.localdate(now)
    if proposal.closes_at is None or proposal.closes_at <= now:
        raise ValidationError({"closes_at": _(
            "Fixez une date de clôture à venir avant d'ouvrir le vote.")})
    if proposal.opens_at is not None and proposal.opens_at > now:
        _require_someone(proposal, today)
        proposal.status = Proposal.Status.SCHEDULED
        proposal.save(update_fields=["status", "approved_by"])
        audit.record(actor=actor, action="governance.proposal.scheduled", target=proposal,
                     data={"opens_at": proposal.opens_at.isoformat()})
        return
    if eligibility.freeze_electors(proposal, today=today) == 0:
        raise ValidationError(_(
            "Personne ne peut voter sur cette proposition aujourd'hui (aucun·e coopérant·e "
            "concerné·e) : vérifiez le groupe ou les rôles avant d'ouvrir le vote."))
    proposal.status = Proposal.Status.OPEN
    proposal.opens_at = proposal.opens_at or now
    if proposal.method == Method.CONSENT:
        proposal.phase = Proposal.Phase.CLARIFICATION
    proposal.save(update_fields=["status", "opens_at", "phase", "approved_by"])
    audit.record(actor=actor, action="governance.proposal.opened", target=proposal,
                 data={"electors": proposal.electors.count()})
    assert proposal.closes_at is not None
    notify(recipients=elector_users(proposal, today),
           subject=_("Nouveau vote : %(title)s") % {"title": proposal.title},
           body=_("Un vote est ouvert jusqu'au %(day)s. Lisez la proposition et donnez votre "
                  "avis.") % {"day": timezone.localtime(proposal.closes_at)
                              .strftime("%d/%m/%Y %H:%M")},
           url=proposal.get_absolute_url(), topic="governance.proposal.opened")


def _require_someone(proposal: Proposal, today: dt.date) -> None:
    if proposal.network is not None:
        someone = eligibility.eligible_kpas(proposal.network, today=today).exists()
    else:
        assert proposal.kpa is not None
        someone = eligibility.eligible_persons(proposal.kpa, today=today,
                                               group=proposal.group).exists()
    if not someone:
        raise ValidationError(_(
            "Personne ne peut voter sur cette proposition aujourd'hui (aucun·e coopérant·e "
            "concerné·e) : vérifiez le groupe ou les rôles avant d'ouvrir le vote."))


@transaction.atomic
def open_proposal(proposal: Proposal, *, actor: AnyUser, now: dt.datetime) -> Proposal:
    """Open a draft: in a KPA that is not autonomous, ask an animateur first."""
    today = timezone.localdate(now)
    locked = _locked(proposal)
    require(permissions.can_open_proposal(actor, locked, today=today))
    if permissions.opening_needs_approval(locked):
        if locked.closes_at is None or locked.closes_at <= now:
            raise ValidationError({"closes_at": _(
                "Fixez une date de clôture à venir avant d'ouvrir le vote.")})
        _require_someone(locked, today)
        locked.status = Proposal.Status.AWAITING_APPROVAL
        locked.save(update_fields=["status"])
        audit.record(actor=actor, action="governance.proposal.submitted", target=locked)
        assert locked.kpa is not None
        notify(recipients=kpa_leads(locked.kpa, [RoleKind.ANIMATEUR], today),
               subject=_("Vote à autoriser : %(title)s") % {"title": locked.title},
               body=_("Une proposition attend votre accord pour que le vote s'ouvre."),
               url=locked.get_absolute_url(), topic="governance.proposal.submitted")
    else:
        _start(locked, actor=actor, now=now)
    return _refresh_into(proposal, locked)


@transaction.atomic
def approve_opening(proposal: Proposal, *, actor: AnyUser, now: dt.datetime) -> Proposal:
    today = timezone.localdate(now)
    locked = _locked(proposal)
    require(permissions.can_approve_opening(actor, locked, today=today))
    locked.approved_by = person_of(actor, today)
    audit.record(actor=actor, action="governance.proposal.approved", target=locked)
    _start(locked, actor=actor, now=now)
    return _refresh_into(proposal, locked)


@transaction.atomic
def cancel_proposal(proposal: Proposal, *, actor: AnyUser, now: dt.datetime,
                    reason: str) -> Proposal:
    today = timezone.localdate(now)
    locked = _locked(proposal)
    if locked.status in FINISHED:
        raise ValidationError(_("Cette proposition est déjà close ou annulée."))
    require(permissions.can_cancel_proposal(actor, locked, today=today))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Dites en quelques mots pourquoi vous annulez.")})
    was_open = locked.status == Proposal.Status.OPEN
    locked.status = Proposal.Status.CANCELLED
    locked.save(update_fields=["status"])
    audit.record(actor=actor, action="governance.proposal.cancelled", target=locked,
                 data={"reason": reason})
    if was_open:
        notify(recipients=elector_users(locked, today),
               subject=_("Vote annulé : %(title)s") % {"title": locked.title},
               body=_("Ce vote est annulé : %(reason)s") % {"reason": reason},
               url=locked.get_absolute_url(), topic="governance.proposal.cancelled")
    return _refresh_into(proposal, locked)


@transaction.atomic
def advance_phase(proposal: Proposal, *, actor: AnyUser, now: dt.datetime) -> Proposal:
    """Consent: clarification → reactions → objections."""
    today = timezone.localdate(now)
    locked = _locked(proposal)
    if locked.method != Method.CONSENT:
        raise ValidationError(_("Seul un consentement avance par étapes."))
    require(permissions.can_close_proposal(actor, locked, today=today))
    following = NEXT_PHASE.get(Proposal.Phase(locked.phase)) if locked.phase else None
    if following is None:
        raise ValidationError(_("C'est déjà le tour d'objections : clôturez la proposition "
                                "quand il est fini."))
    previous = locked.phase
    locked.phase = following
    locked.save(update_fields=["phase"])
    audit.record(actor=actor, action="governance.proposal.phase_advanced", target=locked,
                 data={"from": previous, "to": str(following)})
    return _refresh_into(proposal, locked)


def start_due(*, now: dt.datetime) -> int:
    """Open the scheduled proposals whose time has come. One that can no longer open (nobody
    may vote, or its closing time has passed) goes back to draft and its author is told."""
    started = 0
    due = Proposal.objects.filter(status=Proposal.Status.SCHEDULED, opens_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = (Proposal.objects.select_for_update(of=("self",))
                      .select_related("kpa", "network", "group", "author__user")
                      .filter(pk=pk, status=Proposal.Status.SCHEDULED).first())
            if locked is None:
                continue
            try:
                with transaction.atomic():
                    _start(locked, actor=None, now=now)
            except ValidationError as refusal:
                _back_to_draft(locked, refusal)
            else:
                started += 1
    return started


def _back_to_draft(proposal: Proposal, refusal: ValidationError) -> None:
    proposal.refresh_from_db()
    proposal.status = Proposal.Status.DRAFT
    proposal.save(update_fields=["status"])
    why = " ".join(refusal.messages)
    audit.record(actor=None, action="governance.proposal.not_started", target=proposal,
                 data={"why": why})
    author_user = proposal.author.user
    if author_user is not None:
        notify(recipients=[author_user],
               subject=_("Le vote n'a pas pu s'ouvrir : %(title)s") % {"title": proposal.title},
               body=why, url=proposal.get_absolute_url(), topic="governance.proposal.not_started")
