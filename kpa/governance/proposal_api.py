"""Proposals and votes under /api/v1/governance/: `/proposals` (list, create, get, amend,
open, approve, advance, close, cancel), `/proposals/{id}/ballots` (the token user's vote),
proxies, objections, comments, and `/proposals/{id}/results` (409 until the vote is closed:
results exist only from the closing on).

A proposal, KPA, network, person or objection out of the token user's reach does not exist
(404), also when its id comes in a body; one they see but may not change answers 403; refused
input answers 422 with the services' French messages.
"""

# No `from __future__ import annotations`: ninja reads the query schemas' annotations through
# the paginator's wrapper, whose module cannot resolve names imported in this one.
import datetime as dt

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Person
from kpa.directory.schemas import ErrorOut
from kpa.governance import ballots, closing, permissions, proposals, results, scoping
from kpa.governance.api_common import NOT_FOUND, WRITE_ERRORS, api_user
from kpa.governance.models import (
    Comment,
    Elector,
    Objection,
    Proposal,
    ProposalAttachment,
    Proxy,
    WorkingGroup,
)
from kpa.governance.proposal_schemas import (
    ProposalAttachmentOut,
    ProposalBallotIn,
    ProposalBallotOut,
    ProposalCancelIn,
    ProposalCommentIn,
    ProposalCommentOut,
    ProposalFilters,
    ProposalIn,
    ProposalIntegrateIn,
    ProposalObjectionIn,
    ProposalObjectionOut,
    ProposalOut,
    ProposalPatch,
    ProposalProxyIn,
    ProposalProxyOut,
    ProposalResultsOut,
)

router = Router()

def _visible(user: User, today: dt.date) -> QuerySet[Proposal]:
    return scoping.proposals_visible_to(user, today=today).select_related(
        "kpa", "network", "group", "author")


def _proposal(user: User, proposal_id: int, now: dt.datetime) -> Proposal:
    proposal = get_in_scope(_visible(user, dates.local_today()), pk=proposal_id)
    return closing.ensure_closed(proposal, now=now)


def _fresh(proposal: Proposal) -> Proposal:
    return Proposal.objects.prefetch_related("options").get(pk=proposal.pk)


@router.get("/proposals", response=list[ProposalOut],
            summary="Les propositions que vous voyez (par KPA, réseau, état)")
@paginate(LimitOffsetPagination)
def list_proposals(request: HttpRequest,
                   filters: Query[ProposalFilters]) -> QuerySet[Proposal]:
    found = scoping.proposals_visible_to(api_user(request), today=dates.local_today())
    if filters.kpa is not None:
        found = found.filter(kpa_id=filters.kpa)
    if filters.network is not None:
        found = found.filter(network_id=filters.network)
    if filters.status:
        found = found.filter(status=filters.status)
    return found.prefetch_related("options").order_by("-created_at", "-pk")


@router.post("/proposals", response={201: ProposalOut, **WRITE_ERRORS},
             summary="Créer une proposition (en brouillon)")
def create_proposal(request: HttpRequest, payload: ProposalIn) -> Status[Proposal]:
    user, today, now = api_user(request), dates.local_today(), dates.current_time()
    kpa = network = group = network_proposal = None
    if payload.kpa_id is not None:
        kpa = get_in_scope(scoping.governed_kpas(user, today=today), pk=payload.kpa_id)
    if payload.network_id is not None:
        network = get_in_scope(scoping.networks_of(user, today=today), pk=payload.network_id)
    if payload.group_id is not None:
        group = get_in_scope(WorkingGroup.objects.filter(kpa=kpa), pk=payload.group_id)
    if payload.network_proposal_id is not None:
        network_proposal = get_in_scope(scoping.proposals_visible_to(user, today=today),
                                        pk=payload.network_proposal_id)
    proposal = proposals.create_proposal(
        actor=user, now=now, title=payload.title, body=payload.body, method=payload.method,
        kpa=kpa, network=network, group=group, options=payload.options,
        opens_at=payload.opens_at, closes_at=payload.closes_at,
        quorum_percent=payload.quorum_percent, threshold=payload.threshold,
        abstentions_count=payload.abstentions_count, choice_mode=payload.choice_mode,
        secret=payload.secret, max_proxies=payload.max_proxies, review_on=payload.review_on,
        network_proposal=network_proposal)
    return Status(201, _fresh(proposal))


@router.get("/proposals/{int:proposal_id}", response={200: ProposalOut, **NOT_FOUND},
            summary="Une proposition")
def get_proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    user = api_user(request)
    return _fresh(_proposal(user, proposal_id, dates.current_time()))


@router.patch("/proposals/{int:proposal_id}", response={200: ProposalOut, **WRITE_ERRORS},
              summary="Modifier le texte (l'ancienne version est gardée)")
def amend_proposal(request: HttpRequest, proposal_id: int, payload: ProposalPatch) -> Proposal:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    proposals.amend_proposal(
        proposal, actor=user, now=now,
        title=payload.title if payload.title is not None else proposal.title,
        body=payload.body if payload.body is not None else proposal.body,
        reason=payload.reason, options=payload.options)
    return _fresh(proposal)


def _step(name: str, summary: str):  # type: ignore[no-untyped-def]
    """A POST that moves a proposal on through one service."""
    actions = {
        "open": proposals.open_proposal, "approve": proposals.approve_opening,
        "advance": proposals.advance_phase,
    }

    @router.post(f"/proposals/{{int:proposal_id}}/{name}",
                 response={200: ProposalOut, **WRITE_ERRORS}, summary=summary,
                 operation_id=f"proposal_{name}")
    def step(request: HttpRequest, proposal_id: int) -> Proposal:
        user, now = api_user(request), dates.current_time()
        proposal = _proposal(user, proposal_id, now)
        if name == "close":
            closing.close_proposal(proposal, actor=user, now=now)
        else:
            actions[name](proposal, actor=user, now=now)
        return _fresh(proposal)

    return step


open_proposal = _step("open", "Ouvrir le vote (ou demander l'ouverture à l'animateur·rice)")
approve_opening = _step("approve", "Accorder l'ouverture du vote (animateur·rice)")
advance_phase = _step("advance", "Consentement : passer au tour suivant")
close_proposal = _step("close", "Clore le vote maintenant et compter")


@router.post("/proposals/{int:proposal_id}/cancel",
             response={200: ProposalOut, **WRITE_ERRORS}, summary="Annuler une proposition")
def cancel_proposal(request: HttpRequest, proposal_id: int,
                    payload: ProposalCancelIn) -> Proposal:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    proposals.cancel_proposal(proposal, actor=user, now=now, reason=payload.reason)
    return _fresh(proposal)


@router.post("/proposals/{int:proposal_id}/ballots",
             response={201: ProposalBallotOut, **WRITE_ERRORS},
             summary="Voter (pour soi, ou avec une procuration)")
def cast_ballot(request: HttpRequest, proposal_id: int,
                payload: ProposalBallotIn) -> Status[ProposalBallotOut]:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    giver = None
    if payload.on_behalf_of is not None:
        giver = get_in_scope(Elector.objects.filter(proposal=proposal), pk=payload.on_behalf_of)
    ballots.cast_vote(proposal, actor=user, now=now, choice=payload.choice,
                      grades=payload.grades, option_ids=payload.option_ids,
                      on_behalf_of=giver)
    message = _("Ton vote est enregistré.")
    if proposal.secret:
        message += " " + _("Ton vote est secret : personne ne peut savoir ce que tu as voté.")
    return Status(201, ProposalBallotOut(proposal_id=proposal.pk, recorded=True,
                                         secret=proposal.secret, message=message))


@router.post("/proposals/{int:proposal_id}/proxies",
             response={201: ProposalProxyOut, **WRITE_ERRORS},
             summary="Donner sa procuration à une autre personne inscrite")
def give_proxy(request: HttpRequest, proposal_id: int,
               payload: ProposalProxyIn) -> Status[Proxy]:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    holder = get_in_scope(Person.objects.filter(
        pk__in=Elector.objects.filter(proposal=proposal).values("person_id")),
        pk=payload.holder_person_id)
    proxy = ballots.give_proxy(proposal, actor=user, holder=holder, now=now)
    return Status(201, Proxy.objects.select_related("holder__person").get(pk=proxy.pk))


@router.delete("/proxies/{int:proxy_id}", response={204: None, **WRITE_ERRORS},
               summary="Reprendre sa procuration tant qu'elle n'a pas servi")
def revoke_proxy(request: HttpRequest, proxy_id: int) -> Status[None]:
    user, now = api_user(request), dates.current_time()
    visible = scoping.proposals_visible_to(user, today=dates.local_today())
    proxy = get_in_scope(Proxy.objects.filter(proposal__in=visible)
                         .select_related("proposal", "giver"), pk=proxy_id)
    ballots.revoke_proxy(proxy, actor=user, now=now)
    return Status(204, None)


def _objection(user: User, objection_id: int) -> Objection:
    visible = scoping.proposals_visible_to(user, today=dates.local_today())
    return get_in_scope(Objection.objects.filter(proposal__in=visible)
                        .select_related("proposal", "elector__person"), pk=objection_id)


def _objection_out(objection: Objection) -> Objection:
    return Objection.objects.select_related("elector__person").get(pk=objection.pk)


@router.post("/proposals/{int:proposal_id}/objections",
             response={201: ProposalObjectionOut, **WRITE_ERRORS},
             summary="Consentement : objecter, avec son argument")
def raise_objection(request: HttpRequest, proposal_id: int,
                    payload: ProposalObjectionIn) -> Status[Objection]:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    objection = ballots.raise_objection(proposal, actor=user, now=now,
                                        argument=payload.argument)
    return Status(201, _objection_out(objection))


@router.post("/objections/{int:objection_id}/withdraw",
             response={200: ProposalObjectionOut, **WRITE_ERRORS},
             summary="Retirer son objection")
def withdraw_objection(request: HttpRequest, objection_id: int) -> Objection:
    user, now = api_user(request), dates.current_time()
    objection = _objection(user, objection_id)
    ballots.withdraw_objection(objection, actor=user, now=now)
    return _objection_out(objection)


@router.post("/objections/{int:objection_id}/integrate",
             response={200: ProposalObjectionOut, **WRITE_ERRORS},
             summary="Intégrer une objection en modifiant le texte")
def integrate_objection(request: HttpRequest, objection_id: int,
                        payload: ProposalIntegrateIn) -> Objection:
    user, now = api_user(request), dates.current_time()
    objection = _objection(user, objection_id)
    ballots.integrate_objection(objection, actor=user, now=now, resolution=payload.resolution,
                                title=payload.title, body=payload.body)
    return _objection_out(objection)


@router.get("/proposals/{int:proposal_id}/comments",
            response={200: list[ProposalCommentOut], **NOT_FOUND},
            summary="La discussion d'une proposition")
def list_comments(request: HttpRequest, proposal_id: int) -> list[Comment]:
    user = api_user(request)
    proposal = _proposal(user, proposal_id, dates.current_time())
    return list(proposal.comments.select_related("author"))


@router.post("/proposals/{int:proposal_id}/comments",
             response={201: ProposalCommentOut, **WRITE_ERRORS},
             summary="Écrire dans la discussion")
def add_comment(request: HttpRequest, proposal_id: int,
                payload: ProposalCommentIn) -> Status[Comment]:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    if not permissions.can_comment(user, proposal, today=dates.local_today()):
        raise PermissionDenied
    comment = ballots.add_comment(proposal, actor=user, now=now, body=payload.body,
                                  kind=payload.kind or ballots.comment_kind_for(proposal))
    return Status(201, Comment.objects.select_related("author").get(pk=comment.pk))


@router.get("/proposals/{int:proposal_id}/attachments",
            response={200: list[ProposalAttachmentOut], **NOT_FOUND},
            summary="Les pièces jointes d'une proposition (liens de téléchargement)")
def list_attachments(request: HttpRequest, proposal_id: int) -> list[ProposalAttachment]:
    user = api_user(request)
    proposal = _proposal(user, proposal_id, dates.current_time())
    return list(proposal.attachments.all())


@router.post("/proposals/{int:proposal_id}/attachments",
             response={201: ProposalAttachmentOut, **WRITE_ERRORS},
             summary="Joindre un PDF, une photo ou un texte (10 Mo au plus)")
def add_attachment(request: HttpRequest, proposal_id: int,
                   upload: File[UploadedFile]) -> Status[ProposalAttachment]:
    user, now = api_user(request), dates.current_time()
    proposal = _proposal(user, proposal_id, now)
    return Status(201, ballots.add_attachment(proposal, actor=user, now=now, upload=upload))


@router.get("/proposals/{int:proposal_id}/results",
            response={200: ProposalResultsOut, 409: ErrorOut, **NOT_FOUND},
            summary="Le résultat, une fois le vote clos")
def get_results(request: HttpRequest, proposal_id: int) -> ProposalResultsOut:
    user = api_user(request)
    proposal = _proposal(user, proposal_id, dates.current_time())
    said = results.summarize(proposal)
    if said is None:
        raise HttpError(409, _("Le résultat sera connu à la clôture du vote : on ne compte "
                               "pas avant."))
    return ProposalResultsOut(proposal_id=proposal.pk, outcome=proposal.outcome,
                              outcome_label=said.outcome_label, sentence=said.sentence,
                              figures=proposal.results)
