"""Taking part in a proposal: votes (in person, by proxy, or as a KPA's one vote in the network),
proxies, objections (consent), comments and attachments.

Rules kept here:
- a vote is cast only while the proposal is open (`opens_at <= now < closes_at`), once per
  elector, by an elector frozen at opening; the elector row is locked so two requests cannot both
  vote;
- a secret ballot has no elector and its audit event says nothing of its content or id; the
  elector row only says that the person took part;
- a proxy is given by an elector who has not voted to another elector who has not given theirs
  (no chains), within the proposal's cap per holder; the giver may take it back until it is used;
  while it stands, only the holder votes for the giver;
- in the network each member KPA votes once, by its current delegate or as the outcome of its
  internal proposal, whichever comes first;
- consent: objections are argued, at most one open per elector, withdrawn by their author or
  integrated (the proposal is amended) by whoever may edit the proposal; an elector whose
  objection is closed may object again or consent.

Locks are always taken proposal first, then electors in id order, so that two writes never wait
on each other crosswise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.directory.models import Kpa, Person
from kpa.directory.permissions import reach_of
from kpa.governance import attachments, delegates, permissions
from kpa.governance.models import (
    GRADES,
    Ballot,
    BallotGrade,
    BallotSelection,
    Comment,
    Elector,
    Method,
    NetworkDelegate,
    Objection,
    Proposal,
    ProposalAttachment,
    ProposalOption,
    Proxy,
)

COMMENT_MAX_CHARS = 5000
MAX_GRADE = len(GRADES) - 1

# Consent: what a comment is, round by round.
PHASE_COMMENT_KIND: dict[str, str] = {
    Proposal.Phase.CLARIFICATION: Comment.Kind.QUESTION,
    Proposal.Phase.REACTIONS: Comment.Kind.REACTION,
    Proposal.Phase.OBJECTIONS: Comment.Kind.COMMENT,
}


# -- helpers ------------------------------------------------------------------------------------

def _when(moment: dt.datetime) -> str:
    local = timezone.localtime(moment)
    return _("%(day)s à %(time)s") % {"day": local.strftime("%d/%m/%Y"),
                                      "time": local.strftime("%H h %M")}


def _person_id(actor: AnyUser, today: dt.date) -> int:
    person_id = reach_of(actor, today).person_id
    if person_id is None:
        raise PermissionDenied
    return person_id


def _require_visible(actor: AnyUser | None, proposal: Proposal, today: dt.date) -> None:
    if actor is not None and not permissions.can_see_proposal(actor, proposal, today=today):
        raise PermissionDenied


def _locked_proposal(proposal: Proposal) -> Proposal:
    """The proposal as it is now, locked: a vote never lands after its closing has counted."""
    return (Proposal.objects.select_for_update(of=("self",))
            .select_related("kpa", "network").get(pk=proposal.pk))


def _require_open(proposal: Proposal, now: dt.datetime) -> None:
    """Votes, proxies and objections happen only inside the voting window."""
    status = proposal.status
    if status == Proposal.Status.CANCELLED:
        raise ValidationError(_("Cette proposition a été annulée : on ne peut plus y voter."))
    if status == Proposal.Status.CLOSED or (
            status == Proposal.Status.OPEN and proposal.closes_at is not None
            and now >= proposal.closes_at):
        closed = proposal.closed_at or proposal.closes_at
        if closed is None:
            raise ValidationError(_("Le vote est clos."))
        raise ValidationError(_("Le vote est clos depuis le %(when)s.")
                              % {"when": _when(closed)})
    if status != Proposal.Status.OPEN or (proposal.opens_at is not None
                                          and now < proposal.opens_at):
        if proposal.opens_at is not None and proposal.opens_at > now:
            raise ValidationError(_("Le vote n'est pas ouvert : il ouvre le %(when)s.")
                                  % {"when": _when(proposal.opens_at)})
        raise ValidationError(_("Le vote n'est pas ouvert."))


def _not_registered(proposal: Proposal) -> ValidationError:
    if proposal.is_network:
        return ValidationError(_(
            "Tu n'es pas inscrit·e pour ce vote : au réseau, chaque KPA vote une fois, par sa "
            "ou son délégué·e du moment."))
    if proposal.opens_at is not None:
        return ValidationError(_(
            "Tu n'es pas inscrit·e pour ce vote : la liste des votant·es a été arrêtée à "
            "l'ouverture, le %(when)s. Si c'est une erreur, parle-en à la ou au référent·e."
        ) % {"when": _when(proposal.opens_at)})
    return ValidationError(_(
        "Tu n'es pas inscrit·e pour ce vote : la liste des votant·es a été arrêtée à "
        "l'ouverture. Si c'est une erreur, parle-en à la ou au référent·e."))


def _lock_electors(*electors: Elector) -> list[Elector]:
    """Fresh, locked copies, in the order given (locks are taken in id order)."""
    ids = sorted({elector.pk for elector in electors})
    locked = {e.pk: e for e in Elector.objects.select_for_update(of=("self",)).filter(pk__in=ids)
              .select_related("person", "kpa").order_by("pk")}
    return [locked[elector.pk] for elector in electors]


def _users_of(*persons: Person | None) -> list[User]:
    return [person.user for person in persons if person is not None and person.user is not None]


def is_current_delegate(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    person_id = reach_of(user, today).person_id
    current = delegates.current_delegate_ids([kpa.pk], today)
    return person_id is not None and current.get(kpa.pk) == person_id


# -- reading one's own place in a vote ----------------------------------------------------------

def elector_of(proposal: Proposal, user: AnyUser, *, today: dt.date) -> Elector | None:
    """The user's own elector row; on a network proposal, that of the KPA whose current
    delegate the user is."""
    person_id = reach_of(user, today).person_id
    if person_id is None:
        return None
    if not proposal.is_network:
        return Elector.objects.filter(proposal=proposal, person_id=person_id).first()
    candidates = list(NetworkDelegate.objects
                      .filter(delegates.running_on(today), person_id=person_id)
                      .values_list("kpa_id", flat=True))
    current = delegates.current_delegate_ids(candidates, today)
    kpa_ids = sorted(kpa_id for kpa_id, delegate in current.items() if delegate == person_id)
    if not kpa_ids:
        return None
    return Elector.objects.filter(proposal=proposal, kpa_id__in=kpa_ids).order_by("pk").first()


def comment_kind_for(proposal: Proposal) -> str:
    """The kind a new comment takes: in a consent round, the one of the current round."""
    if proposal.method == Method.CONSENT and proposal.status == Proposal.Status.OPEN:
        return PHASE_COMMENT_KIND.get(proposal.phase, Comment.Kind.COMMENT)
    return Comment.Kind.COMMENT


# -- the content of a ballot --------------------------------------------------------------------

def _options_of(proposal: Proposal) -> list[int]:
    return list(ProposalOption.objects.filter(proposal=proposal).order_by("position", "pk")
                .values_list("pk", flat=True))


def _check_content(proposal: Proposal, *, choice: str, grades: Mapping[int, int] | None,
                   option_ids: Sequence[int]) -> tuple[str, dict[int, int], list[int]]:
    """What the ballot will hold, refused in plain words when it does not fit the method."""
    method = proposal.method
    if method == Method.MAJORITY:
        if choice not in (Ballot.Choice.FOR, Ballot.Choice.AGAINST, Ballot.Choice.ABSTAIN):
            raise ValidationError({"choice": _("Choisis « Pour », « Contre » ou "
                                               "« Abstention ».")})
        return choice, {}, []
    if method == Method.CONSENT:
        if choice != Ballot.Choice.CONSENT:
            raise ValidationError({"choice": _(
                "Ici on choisit « Je consens ». Pour objecter, écris ton objection avec son "
                "argument.")})
        if proposal.phase != Proposal.Phase.OBJECTIONS:
            raise ValidationError(_(
                "On consent pendant le tour d'objections : il n'a pas encore commencé. Pose tes "
                "questions ou donne ta réaction en attendant."))
        return choice, {}, []
    options = _options_of(proposal)
    if method == Method.JUDGMENT:
        given = dict(grades or {})
        if any(option not in options for option in given):
            raise ValidationError({"grades": _("Une des options n'existe pas dans cette "
                                               "proposition : recharge la page.")})
        for grade in given.values():
            if isinstance(grade, bool) or not isinstance(grade, int) \
                    or not 0 <= grade <= MAX_GRADE:
                raise ValidationError({"grades": _(
                    "Une mention va de « À rejeter » à « Excellent » : choisis-en une dans la "
                    "liste.")})
        if set(given) != set(options):
            raise ValidationError({"grades": _("Donne une mention à chaque option.")})
        return "", given, []
    chosen = list(dict.fromkeys(option_ids))  # a doubled id is one choice, not two
    if any(option not in options for option in chosen):
        raise ValidationError({"option_ids": _("Une des options n'existe pas dans cette "
                                               "proposition : recharge la page.")})
    if proposal.choice_mode == Proposal.ChoiceMode.SINGLE:
        if len(chosen) != 1:
            raise ValidationError({"option_ids": _("Choisis une option, une seule.")})
    elif not chosen:
        raise ValidationError({"option_ids": _("Choisis au moins une option.")})
    return "", {}, chosen


def _store_ballot(proposal: Proposal, elector: Elector, *, choice: str, grades: dict[int, int],
                  option_ids: list[int], by_proxy: bool) -> Ballot:
    ballot = Ballot.objects.create(proposal=proposal,
                                   elector=None if proposal.secret else elector,
                                   choice=choice, by_proxy=by_proxy)
    if grades:
        BallotGrade.objects.bulk_create(
            [BallotGrade(ballot=ballot, option_id=option, grade=grade)
             for option, grade in sorted(grades.items())])
    if option_ids:
        BallotSelection.objects.bulk_create(
            [BallotSelection(ballot=ballot, option_id=option) for option in sorted(option_ids)])
    elector.has_voted = True
    elector.save(update_fields=["has_voted"])
    return ballot


def _nominal_data(proposal: Proposal, ballot: Ballot, grades: dict[int, int],
                  option_ids: list[int]) -> dict[str, Any]:
    """What the audit may say of a ballot: nothing of its content when the vote is secret."""
    if proposal.secret:
        return {}
    data: dict[str, Any] = {"ballot": str(ballot.pk)}
    if ballot.choice:
        data["choice"] = ballot.choice
    if grades:
        data["grades"] = {str(option): grade for option, grade in sorted(grades.items())}
    if option_ids:
        data["options"] = sorted(option_ids)
    return data


def _reconsent(proposal: Proposal, elector: Elector) -> Ballot | None:
    """Consent after one's own objection was withdrawn or integrated: the ballot turns to
    consent (None when that does not apply)."""
    if proposal.method != Method.CONSENT:
        return None
    ballot = Ballot.objects.filter(elector=elector, choice=Ballot.Choice.OBJECTION).first()
    if ballot is None or Objection.objects.filter(
            elector=elector, status=Objection.Status.OPEN).exists():
        return None
    ballot.choice = Ballot.Choice.CONSENT
    ballot.save(update_fields=["choice"])
    return ballot


# -- votes --------------------------------------------------------------------------------------

@transaction.atomic
def cast_vote(proposal: Proposal, *, actor: AnyUser, now: dt.datetime, choice: str = "",
              grades: Mapping[int, int] | None = None, option_ids: Sequence[int] = (),
              on_behalf_of: Elector | None = None) -> Ballot:
    """The actor's vote (or, with `on_behalf_of`, the vote of the elector whose proxy the actor
    holds). On a network proposal the actor votes as the delegate of their KPA."""
    today = timezone.localdate(now)
    _person_id(actor, today)
    _require_visible(actor, proposal, today)
    proposal = _locked_proposal(proposal)
    _require_open(proposal, now)
    own = elector_of(proposal, actor, today=today)
    if own is None:
        raise _not_registered(proposal)
    if proposal.is_network and on_behalf_of is not None:
        raise ValidationError(_("Pas de procuration au réseau : chaque KPA vote par sa ou son "
                                "délégué·e."))
    content = _check_content(proposal, choice=choice, grades=grades, option_ids=option_ids)
    if on_behalf_of is None:
        (voter,) = _lock_electors(own)
        if Proxy.objects.filter(giver=voter).exists():
            raise ValidationError(_(
                "Tu as donné ta procuration pour ce vote : retire-la d'abord si tu veux voter "
                "toi-même."))
    else:
        if on_behalf_of.proposal_id != proposal.pk:
            raise ValidationError(_("Cette procuration n'est pas pour ce vote."))
        own, voter = _lock_electors(own, on_behalf_of)
        proxy = Proxy.objects.filter(proposal=proposal, giver=voter, holder=own).first()
        if proxy is None:
            raise ValidationError(_("Tu ne portes pas la procuration de %(name)s pour ce vote.")
                                  % {"name": voter})
    if voter.has_voted:
        if on_behalf_of is None:
            again = _reconsent(proposal, voter)
            if again is not None:
                audit.record(actor=actor, action="governance.ballot.cast", target=proposal,
                             data={"by_proxy": False, "choice": again.choice,
                                   "after_objection": True})
                return again
            if proposal.is_network:
                raise ValidationError(_("Le KPA %(kpa)s a déjà voté.") % {"kpa": voter})
            if Objection.objects.filter(elector=voter, status=Objection.Status.OPEN).exists():
                raise ValidationError(_(
                    "Ton objection est encore ouverte : retire-la d'abord si tu consens "
                    "finalement."))
            raise ValidationError(_("Tu as déjà voté."))
        raise ValidationError(_("%(name)s a déjà voté.") % {"name": voter})
    ballot = _store_ballot(proposal, voter, choice=content[0], grades=content[1],
                           option_ids=content[2], by_proxy=on_behalf_of is not None)
    data: dict[str, Any] = {"by_proxy": on_behalf_of is not None}
    if proposal.is_network:
        data.update({"kpa": voter.kpa_id, "by": "delegate"})
    elif not proposal.secret:
        data["elector"] = voter.pk
    data.update(_nominal_data(proposal, ballot, content[1], content[2]))
    audit.record(actor=actor, action="governance.ballot.cast", target=proposal, data=data)
    if on_behalf_of is not None:
        notify(recipients=_users_of(voter.person), topic="governance.ballot.by_proxy",
               subject=_("Ta procuration a servi"),
               body=_("%(holder)s a voté pour toi sur « %(title)s », avec ta procuration.")
               % {"holder": own.person, "title": proposal.title},
               url=proposal.get_absolute_url())
    return ballot


@transaction.atomic
def cast_kpa_vote(proposal: Proposal, *, kpa: Kpa, now: dt.datetime, choice: str = "",
                  grades: Mapping[int, int] | None = None, option_ids: Sequence[int] = (),
                  actor: AnyUser | None = None, internal: Proposal | None = None) -> Ballot:
    """A KPA's one vote on a network proposal: by its current delegate (`actor`), or as the
    outcome of its internal proposal (`internal`, closed). Whichever comes second is refused."""
    today = timezone.localdate(now)
    if actor is None and internal is None:
        raise PermissionDenied
    if actor is not None and not is_current_delegate(actor, kpa, today=today):
        raise PermissionDenied
    if internal is not None and (internal.network_proposal_id != proposal.pk
                                 or internal.kpa_id != kpa.pk):
        raise ValidationError(_("La proposition interne « %(title)s » ne répond pas à ce vote du "
                                "réseau pour ce KPA.") % {"title": internal.title})
    if internal is not None and internal.status != Proposal.Status.CLOSED:
        raise ValidationError(_("La proposition interne « %(title)s » n'est pas close : son "
                                "résultat n'est pas encore connu.") % {"title": internal.title})
    proposal = _locked_proposal(proposal)
    if not proposal.is_network:
        raise ValidationError(_("Seule une proposition du réseau reçoit le vote d'un KPA."))
    _require_open(proposal, now)
    elector = Elector.objects.filter(proposal=proposal, kpa=kpa).first()
    if elector is None:
        raise ValidationError(_("Le KPA %(kpa)s n'est pas appelé à voter sur cette proposition "
                                "(liste arrêtée à l'ouverture).") % {"kpa": kpa})
    content = _check_content(proposal, choice=choice, grades=grades, option_ids=option_ids)
    (elector,) = _lock_electors(elector)
    if elector.has_voted:
        raise ValidationError(_("Le KPA %(kpa)s a déjà voté.") % {"kpa": kpa})
    ballot = _store_ballot(proposal, elector, choice=content[0], grades=content[1],
                           option_ids=content[2], by_proxy=False)
    data: dict[str, Any] = {"by_proxy": False, "kpa": kpa.pk,
                            "by": "internal" if internal is not None else "delegate"}
    if internal is not None:
        data["internal_proposal"] = internal.pk
    data.update(_nominal_data(proposal, ballot, content[1], content[2]))
    audit.record(actor=actor, action="governance.ballot.cast", target=proposal, data=data)
    return ballot


# -- proxies ------------------------------------------------------------------------------------

@transaction.atomic
def give_proxy(proposal: Proposal, *, actor: AnyUser, holder: Person, now: dt.datetime) -> Proxy:
    """The actor asks `holder` to vote for them on this proposal."""
    today = timezone.localdate(now)
    person_id = _person_id(actor, today)
    _require_visible(actor, proposal, today)
    proposal = _locked_proposal(proposal)
    if proposal.is_network:
        raise ValidationError(_("Pas de procuration au réseau : chaque KPA vote par sa ou son "
                                "délégué·e."))
    if proposal.max_proxies == 0:
        raise ValidationError(_("Ce vote ne prévoit pas de procuration."))
    _require_open(proposal, now)
    own = elector_of(proposal, actor, today=today)
    if own is None:
        raise _not_registered(proposal)
    if holder.pk == person_id:
        raise ValidationError({"holder": _("Choisis une autre personne que toi.")})
    other = Elector.objects.filter(proposal=proposal, person=holder).first()
    if other is None:
        raise ValidationError({"holder": _(
            "%(name)s n'est pas inscrit·e pour ce vote : choisis une personne de la liste des "
            "votant·es.") % {"name": holder}})
    giver, holder_elector = _lock_electors(own, other)
    if giver.has_voted:
        raise ValidationError(_("Tu as déjà voté : une procuration ne servirait plus."))
    given = Proxy.objects.filter(giver=giver).select_related("holder__person").first()
    if given is not None:
        raise ValidationError(_(
            "Tu as déjà donné ta procuration à %(name)s. Retire-la d'abord pour la donner à "
            "quelqu'un d'autre.") % {"name": given.holder})
    if Proxy.objects.filter(holder=giver).exists():
        raise ValidationError(_(
            "Tu portes déjà une procuration pour ce vote : tu ne peux pas donner la tienne "
            "(une procuration ne passe pas de main en main)."))
    if Proxy.objects.filter(giver=holder_elector).exists():
        raise ValidationError({"holder": _(
            "%(name)s a donné sa propre procuration : elle ou il ne peut pas en porter. Choisis "
            "une autre personne.") % {"name": holder}})
    carried = Proxy.objects.filter(holder=holder_elector).count()
    if carried >= proposal.max_proxies:
        raise ValidationError({"holder": ngettext(
            "%(name)s porte déjà %(count)s procuration : c'est le maximum pour ce vote.",
            "%(name)s porte déjà %(count)s procurations : c'est le maximum pour ce vote.",
            carried) % {"name": holder, "count": carried}})
    proxy = Proxy.objects.create(proposal=proposal, giver=giver, holder=holder_elector)
    audit.record(actor=actor, action="governance.proxy.given", target=proposal,
                 data={"proxy": proxy.pk, "giver": giver.person_id, "holder": holder.pk})
    notify(recipients=_users_of(holder), topic="governance.proxy.given",
           subject=_("Tu portes une procuration"),
           body=_("%(giver)s te confie sa procuration pour le vote « %(title)s » : tu peux voter "
                  "pour elle ou lui.") % {"giver": giver.person, "title": proposal.title},
           url=proposal.get_absolute_url())
    return proxy


@transaction.atomic
def revoke_proxy(proxy: Proxy, *, actor: AnyUser, now: dt.datetime) -> None:
    """The giver takes their proxy back, as long as the holder has not voted with it."""
    today = timezone.localdate(now)
    person_id = _person_id(actor, today)
    proposal = _locked_proposal(proxy.proposal)
    _require_visible(actor, proposal, today)
    proxy = Proxy.objects.select_related("giver__person", "holder__person").get(pk=proxy.pk)
    if proxy.giver.person_id != person_id:
        raise PermissionDenied
    giver, _holder = _lock_electors(proxy.giver, proxy.holder)
    if giver.has_voted:
        raise ValidationError(_("%(name)s a déjà voté avec ta procuration : elle ne peut plus "
                                "être retirée.") % {"name": proxy.holder})
    _require_open(proposal, now)
    holder = proxy.holder.person
    proxy_id = proxy.pk
    proxy.delete()
    audit.record(actor=actor, action="governance.proxy.revoked", target=proposal,
                 data={"proxy": proxy_id, "giver": giver.person_id,
                       "holder": holder.pk if holder else None})
    notify(recipients=_users_of(holder), topic="governance.proxy.revoked",
           subject=_("Procuration retirée"),
           body=_("%(giver)s a repris sa procuration pour le vote « %(title)s » : tu ne votes "
                  "plus pour elle ou lui.") % {"giver": giver.person, "title": proposal.title},
           url=proposal.get_absolute_url())


# -- objections (consent) -----------------------------------------------------------------------

def _require_objection_round(proposal: Proposal, now: dt.datetime) -> None:
    if proposal.method != Method.CONSENT:
        raise ValidationError(_("On n'objecte que sur une décision par consentement : ici, "
                                "vote."))
    _require_open(proposal, now)
    if proposal.phase != Proposal.Phase.OBJECTIONS:
        raise ValidationError(_(
            "Le tour d'objections n'a pas encore commencé : pose d'abord tes questions ou donne "
            "ta réaction."))


@transaction.atomic
def raise_objection(proposal: Proposal, *, actor: AnyUser, now: dt.datetime,
                    argument: str) -> Objection:
    """An argued objection during the objection round; it counts as taking part."""
    today = timezone.localdate(now)
    _person_id(actor, today)
    _require_visible(actor, proposal, today)
    proposal = _locked_proposal(proposal)
    _require_objection_round(proposal, now)
    argument = (argument or "").strip()
    if not argument:
        raise ValidationError({"argument": _(
            "Une objection doit être argumentée : explique quel risque tu vois pour le "
            "collectif.")})
    if len(argument) > COMMENT_MAX_CHARS:
        raise ValidationError({"argument": _(
            "Ton objection fait %(count)s caractères : %(max)s au plus. Garde l'essentiel."
        ) % {"count": len(argument), "max": COMMENT_MAX_CHARS}})
    own = elector_of(proposal, actor, today=today)
    if own is None:
        raise _not_registered(proposal)
    (elector,) = _lock_electors(own)
    if Objection.objects.filter(elector=elector, status=Objection.Status.OPEN).exists():
        raise ValidationError(_(
            "Tu as déjà une objection ouverte : attends qu'elle soit intégrée, ou retire-la, "
            "avant d'en écrire une autre."))
    objection = Objection.objects.create(proposal=proposal, elector=elector, argument=argument)
    ballot = Ballot.objects.filter(elector=elector).first()
    if ballot is None:
        _store_ballot(proposal, elector, choice=Ballot.Choice.OBJECTION, grades={},
                      option_ids=[], by_proxy=False)
    elif ballot.choice != Ballot.Choice.OBJECTION:
        ballot.choice = Ballot.Choice.OBJECTION
        ballot.save(update_fields=["choice"])
    audit.record(actor=actor, action="governance.objection.raised", target=objection,
                 data={"proposal": proposal.pk})
    author = proposal.author
    if author.pk != elector.person_id:
        notify(recipients=_users_of(author), topic="governance.objection.raised",
               subject=_("Une objection sur ta proposition"),
               body=_("%(name)s objecte à « %(title)s » : %(argument)s")
               % {"name": elector.person, "title": proposal.title, "argument": argument[:500]},
               url=proposal.get_absolute_url())
    return objection


def _locked_objection(objection: Objection, now: dt.datetime) -> tuple[Proposal, Objection]:
    proposal = _locked_proposal(objection.proposal)
    locked = (Objection.objects.select_for_update(of=("self",))
              .select_related("elector__person").get(pk=objection.pk))
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        _require_open(proposal, now)
    if locked.status == Objection.Status.WITHDRAWN:
        raise ValidationError(_("Cette objection est déjà retirée."))
    if locked.status == Objection.Status.INTEGRATED:
        raise ValidationError(_("Cette objection est déjà intégrée à la proposition."))
    return proposal, locked


@transaction.atomic
def withdraw_objection(objection: Objection, *, actor: AnyUser, now: dt.datetime) -> Objection:
    """Its author withdraws an open objection."""
    today = timezone.localdate(now)
    person_id = _person_id(actor, today)
    _require_visible(actor, objection.proposal, today)
    proposal, objection = _locked_objection(objection, now)
    if objection.elector.person_id != person_id:
        raise PermissionDenied
    objection.status = Objection.Status.WITHDRAWN
    objection.resolved_at = now
    objection.save(update_fields=["status", "resolved_at"])
    audit.record(actor=actor, action="governance.objection.withdrawn", target=objection,
                 data={"proposal": proposal.pk})
    return objection


@transaction.atomic
def integrate_objection(objection: Objection, *, actor: AnyUser, now: dt.datetime,
                        resolution: str, title: str, body: str) -> Objection:
    """Whoever may edit the proposal amends it to answer the objection, which closes it."""
    from kpa.governance.proposals import amend_proposal  # H1's, which imports nothing of ours

    today = timezone.localdate(now)
    _require_visible(actor, objection.proposal, today)
    proposal, objection = _locked_objection(objection, now)
    if not permissions.can_edit_proposal(actor, proposal, today=today):
        raise PermissionDenied
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _(
            "Écris comment l'objection est prise en compte : les autres doivent pouvoir le "
            "lire.")})
    reason = _("Objection intégrée : %(resolution)s") % {"resolution": resolution}
    amend_proposal(proposal, actor=actor, now=now, title=title, body=body,
                   reason=reason[:300])
    objection.status = Objection.Status.INTEGRATED
    objection.resolution = resolution
    objection.resolved_at = now
    objection.save(update_fields=["status", "resolution", "resolved_at"])
    audit.record(actor=actor, action="governance.objection.integrated", target=objection,
                 data={"proposal": proposal.pk})
    notify(recipients=_users_of(objection.elector.person),
           topic="governance.objection.integrated",
           subject=_("Ton objection est intégrée"),
           body=_("La proposition « %(title)s » a été modifiée pour répondre à ton objection : "
                  "%(resolution)s") % {"title": proposal.title, "resolution": resolution[:500]},
           url=proposal.get_absolute_url())
    return objection


# -- comments and attachments -------------------------------------------------------------------

@transaction.atomic
def add_comment(proposal: Proposal, *, actor: AnyUser, now: dt.datetime, body: str,
                kind: str = Comment.Kind.COMMENT) -> Comment:
    today = timezone.localdate(now)
    person_id = _person_id(actor, today)
    _require_visible(actor, proposal, today)
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        raise ValidationError(_("Cette proposition est close ou annulée : on ne la commente "
                                "plus."))
    if not permissions.can_comment(actor, proposal, today=today):
        raise PermissionDenied
    if kind not in Comment.Kind.values:
        raise ValidationError({"kind": _("Choisis le type de message dans la liste.")})
    if proposal.method == Method.CONSENT and proposal.status == Proposal.Status.OPEN \
            and proposal.phase:
        expected = PHASE_COMMENT_KIND[proposal.phase]
        if kind != expected:
            raise ValidationError({"kind": _(
                "Pendant l'étape « %(phase)s », on écrit : %(kind)s.")
                % {"phase": proposal.get_phase_display(),
                   "kind": Comment.Kind(expected).label}})
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Le message est vide : écris quelque chose avant "
                                         "d'envoyer.")})
    if len(body) > COMMENT_MAX_CHARS:
        raise ValidationError({"body": _(
            "Ton message fait %(count)s caractères : %(max)s au plus. Raccourcis-le ou coupe-le "
            "en deux messages.") % {"count": len(body), "max": COMMENT_MAX_CHARS}})
    comment = Comment.objects.create(proposal=proposal, author_id=person_id, kind=kind,
                                     body=body)
    audit.record(actor=actor, action="governance.comment.added", target=comment,
                 data={"proposal": proposal.pk, "kind": kind})
    if proposal.author_id != person_id:
        notify(recipients=_users_of(proposal.author), topic="governance.comment.added",
               subject=_("Un message sur ta proposition"),
               body=_("%(name)s a écrit sur « %(title)s ».")
               % {"name": comment.author, "title": proposal.title},
               url=proposal.get_absolute_url())
    return comment


@transaction.atomic
def add_attachment(proposal: Proposal, *, actor: AnyUser, now: dt.datetime,
                   upload: IO[bytes]) -> ProposalAttachment:
    """Attach a PDF, a photo or a text document (10 MB at most) to a proposal still alive.
    `upload` is an uploaded file (its `name` and `size` are read when it has them)."""
    today = timezone.localdate(now)
    person_id = _person_id(actor, today)
    _require_visible(actor, proposal, today)
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        raise ValidationError(_("Cette proposition est close ou annulée : on n'y ajoute plus de "
                                "pièce."))
    if not permissions.can_attach_to_proposal(actor, proposal, today=today):
        raise PermissionDenied
    content = attachments.read_upload(upload, size=getattr(upload, "size", None))
    checked = attachments.check_attachment(content, filename=getattr(upload, "name", "") or "")
    attachment = ProposalAttachment(proposal=proposal, name=checked.name,
                                    uploaded_by_id=person_id)
    attachment.file.save(checked.stored_name, ContentFile(checked.content), save=False)
    attachment.save()
    audit.record(actor=actor, action="governance.attachment.added", target=attachment,
                 data={"proposal": proposal.pk, "content_type": checked.content_type,
                       "size": checked.size, "sha256": checked.sha256})
    return attachment
