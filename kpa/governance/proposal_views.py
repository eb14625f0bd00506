"""Pages of proposals and votes: the governance home, the list, the creation form, a proposal
with its vote (two taps on a phone), its results in words, and the methods explained.

Thin views: scope → one service → redirect with a French message. A proposal out of reach is
404; a visible one the user may not act on hides the button, and a forged POST answers 403
(the services' gates raise PermissionDenied). Refusals of the services (ValidationError) come
back as error messages on the page.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, Network
from kpa.directory.permissions import reach_of
from kpa.governance import (
    attachments,
    ballots,
    closing,
    delegates,
    permissions,
    proposals,
    results,
    scoping,
)
from kpa.governance.models import (
    Ballot,
    Decision,
    Elector,
    Meeting,
    Method,
    NetworkDelegate,
    Objection,
    Proposal,
    ProposalAttachment,
    Proxy,
    WorkingGroup,
)
from kpa.governance.proposal_forms import (
    AmendForm,
    CancelForm,
    CommentForm,
    IntegrateForm,
    ObjectionForm,
    ProposalForm,
    ProxyForm,
    VoteForm,
)
from kpa.governance.view_helpers import acted, form_data, form_page, require, submit

PAGE_SIZE = 25
LAST_DECISIONS = 5
NEXT_MEETINGS = 5
CURRENT = (Proposal.Status.OPEN, Proposal.Status.SCHEDULED, Proposal.Status.AWAITING_APPROVAL)


def detail_url(proposal: Proposal) -> str:
    return reverse("governance:proposal_detail", args=[proposal.pk])


def _proposal(request: HttpRequest, pk: int, today: dt.date) -> Proposal:
    return get_in_scope(scoping.proposals_visible_to(request.user, today=today)
                        .select_related("kpa", "network", "group", "author", "approved_by",
                                        "network_proposal"), pk=pk)


# -- the governance home -----------------------------------------------------------------------


@dataclass
class Scope:
    """What the home page shows of one KPA or of the network."""

    name: str
    kpa: Kpa | None = None
    network: Network | None = None
    to_vote: list[Proposal] = field(default_factory=list)
    current: list[Proposal] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    new_url: str = ""


def _close_overdue(visible: QuerySet[Proposal], now: dt.datetime) -> None:
    """Votes whose time has passed are closed before anything is shown (the clock may lag)."""
    for proposal in visible.filter(status=Proposal.Status.OPEN, closes_at__lte=now):
        closing.ensure_closed(proposal, now=now)


def _delegated_kpas(person_id: int | None, today: dt.date) -> list[int]:
    if person_id is None:
        return []
    return list(NetworkDelegate.objects.filter(delegates.running_on(today), person_id=person_id)
                .values_list("kpa_id", flat=True))


def _last_per_scope(queryset: QuerySet[Any], order: list[Any], limit: int) -> list[Any]:
    """The first `limit` rows of each KPA and of each network, in one query."""
    ranked = queryset.annotate(row=Window(RowNumber(), partition_by=[F("kpa_id"),
                                                                      F("network_id")],
                                          order_by=order))
    return list(ranked.filter(row__lte=limit))


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    user = request.user
    reach = reach_of(user, today)
    visible = scoping.proposals_visible_to(user, today=today)
    _close_overdue(visible, now)
    kpas = list(scoping.governed_kpas(user, today=today).order_by("name"))
    networks = list(scoping.networks_of(user, today=today).order_by("name"))
    scopes: dict[tuple[str, int], Scope] = {}
    for kpa in kpas:
        scopes[("kpa", kpa.pk)] = Scope(
            name=kpa.name, kpa=kpa,
            new_url=f"{reverse('governance:proposal_new')}?kpa={kpa.pk}",
            links=[
                (_("Registre des décisions"),
                 reverse("governance:decision_list_kpa", args=[kpa.pk])),
                (_("Réunions"), reverse("governance:meeting_list", args=[kpa.pk])),
                (_("Charte"), reverse("governance:charter_kpa", args=[kpa.pk])),
                (_("Autonomie du KPA"), reverse("governance:autonomy", args=[kpa.pk])),
                (_("Auto-évaluation du cadre"),
                 reverse("governance:assessment_kpa", args=[kpa.pk])),
                (_("Délégué·e au réseau"), reverse("governance:delegate_kpa", args=[kpa.pk])),
            ])
    for network in networks:
        scopes[("network", network.pk)] = Scope(
            name=network.name, network=network,
            new_url=(f"{reverse('governance:proposal_new')}?network={network.pk}"
                     if permissions.can_propose_in_network(user, network, today=today)
                     else ""),
            links=[
                (_("Registre du réseau"),
                 reverse("governance:decision_list_network", args=[network.pk])),
                (_("Cadre du réseau"),
                 reverse("governance:framework_home", args=[network.pk])),
            ])

    def scope_of(row: Proposal | Decision | Meeting) -> Scope | None:
        if row.kpa_id is not None:
            return scopes.get(("kpa", row.kpa_id))
        return scopes.get(("network", row.network_id or 0))

    current = list(visible.filter(Q(status__in=CURRENT)
                                  | Q(status=Proposal.Status.DRAFT, author_id=reach.person_id))
                   .order_by(F("closes_at").asc(nulls_last=True), "pk"))
    open_ids = [p.pk for p in current if p.status == Proposal.Status.OPEN]
    delegated = _delegated_kpas(reach.person_id, today)
    mine = (Q(person_id=reach.person_id) if reach.person_id else Q(pk__in=[])) | Q(
        kpa_id__in=delegated)
    waiting = set(Elector.objects.filter(mine, proposal_id__in=open_ids, has_voted=False)
                  .values_list("proposal_id", flat=True))
    for proposal in current:
        scope = scope_of(proposal)
        if scope is None:
            continue
        if proposal.pk in waiting and (proposal.opens_at is None or proposal.opens_at <= now):
            scope.to_vote.append(proposal)
        else:
            scope.current.append(proposal)
    for decision in _last_per_scope(scoping.decisions_visible_to(user, today=today),
                                    [F("decided_on").desc(), F("number").desc()],
                                    LAST_DECISIONS):
        if (scope := scope_of(decision)) is not None:
            scope.decisions.append(decision)
    upcoming = scoping.meetings_visible_to(user, today=today).filter(
        ends_at__gte=now, cancelled_at__isnull=True)
    for meeting in _last_per_scope(upcoming, [F("starts_at").asc(), F("pk").asc()],
                                   NEXT_MEETINGS):
        if (scope := scope_of(meeting)) is not None:
            scope.meetings.append(meeting)
    ordered = list(scopes.values())
    return render(request, "governance/home.html", {
        "scopes": ordered, "to_vote_count": sum(len(s.to_vote) for s in ordered)})


# -- list and creation -------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    today = dates.local_today()
    user = request.user
    found = scoping.proposals_visible_to(user, today=today)
    kpas = list(scoping.governed_kpas(user, today=today).order_by("name"))
    networks = list(scoping.networks_of(user, today=today).order_by("name"))
    chosen = {"kpa": request.GET.get("kpa", ""), "network": request.GET.get("network", ""),
              "status": request.GET.get("status", "")}
    if chosen["kpa"].isdigit():
        found = found.filter(kpa_id=int(chosen["kpa"]))
    if chosen["network"].isdigit():
        found = found.filter(network_id=int(chosen["network"]))
    if chosen["status"] in Proposal.Status.values:
        found = found.filter(status=chosen["status"])
    page = Paginator(found.select_related("kpa", "network", "author")
                     .order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "governance/proposal_list.html", {
        "page": page, "kpas": kpas, "networks": networks, "chosen": chosen,
        "statuses": Proposal.Status.choices})


def _creation_scope(request: HttpRequest, today: dt.date) -> tuple[Kpa | None, Network | None]:
    raw_kpa, raw_network = request.GET.get("kpa", ""), request.GET.get("network", "")
    if raw_kpa:
        kpa = get_in_scope(scoping.governed_kpas(request.user, today=today), pk=raw_kpa)
        require(permissions.can_propose_in_kpa(request.user, kpa, today=today))
        return kpa, None
    if raw_network:
        network = get_in_scope(scoping.networks_of(request.user, today=today), pk=raw_network)
        require(permissions.can_propose_in_network(request.user, network, today=today))
        return None, network
    raise Http404


NETWORK_METHODS = (Method.MAJORITY, Method.CHOICE, Method.JUDGMENT)


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest) -> HttpResponse:
    """First the method (one plain line each), then the form of that method."""
    today, now = dates.local_today(), dates.current_time()
    kpa, network = _creation_scope(request, today)
    allowed = NETWORK_METHODS if network is not None else tuple(Method)
    method = request.GET.get("method", "")
    if method not in allowed:
        base = f"?kpa={kpa.pk}" if kpa is not None else f"?network={network.pk if network else ''}"
        return render(request, "governance/proposal_methods_choice.html", {
            "kpa": kpa, "network": network,
            "methods": [(m, Method(m).label, f"{base}&method={m}") for m in allowed]})
    groups = WorkingGroup.objects.filter(kpa=kpa) if kpa is not None else None
    form = ProposalForm(form_data(request), method=method, groups=groups)
    done = submit(request, form, lambda: proposals.create_proposal(
        actor=request.user, now=now, kpa=kpa, network=network, **form.service_kwargs()),
        _("Ta proposition est enregistrée en brouillon. Relis-la, puis ouvre le vote."),
        detail_url)
    return done or form_page(request, "governance/proposal_new.html", {
        "form": form, "kpa": kpa, "network": network, "method": method,
        "method_label": Method(method).label})


# -- one proposal ------------------------------------------------------------------------------


def _vote_forms(proposal: Proposal, me: Elector | None, now: dt.datetime,
                options: list[Any]) -> dict[str, Any]:
    """What the vote section shows: the ballot to fill, for oneself and for proxies held."""
    window = (proposal.status == Proposal.Status.OPEN
              and (proposal.opens_at is None or proposal.opens_at <= now)
              and (proposal.closes_at is None or now < proposal.closes_at))
    consent_waits = (proposal.method == Method.CONSENT
                     and proposal.phase != Proposal.Phase.OBJECTIONS)
    can_vote = bool(window and me is not None and not consent_waits
                    and (not me.has_voted or _may_consent_again(proposal, me)))
    held: list[Proxy] = []
    if window and me is not None and proposal.max_proxies and not consent_waits:
        held = list(Proxy.objects.filter(holder=me, giver__has_voted=False)
                    .select_related("giver__person"))
    return {"window": window, "can_vote": can_vote, "held": held,
            "consent_waits": consent_waits,
            "vote_form": VoteForm(proposal=proposal, options=options)}


def _may_consent_again(proposal: Proposal, me: Elector) -> bool:
    """An objector whose objection was withdrawn or integrated may now consent."""
    if proposal.method != Method.CONSENT:
        return False
    objections = list(proposal.objections.filter(elector=me).values_list("status", flat=True))
    return bool(objections) and Objection.Status.OPEN not in objections and not (
        Ballot.objects.filter(elector=me, choice=Ballot.Choice.CONSENT).exists())


def _network_rows(proposal: Proposal) -> list[dict[str, Any]]:
    internal = set(Proposal.objects.filter(network_proposal=proposal)
                   .exclude(status=Proposal.Status.CANCELLED).values_list("kpa_id", flat=True))
    return [{"kpa": elector.kpa, "voted": elector.has_voted,
             "internal": elector.kpa_id in internal}
            for elector in proposal.electors.select_related("kpa").order_by("kpa__name")]


def _internal_targets(request: HttpRequest, proposal: Proposal, rows: list[dict[str, Any]],
                      today: dt.date) -> list[Kpa]:
    """The user's KPAs (as a lead) that may still put this network vote to their members."""
    if proposal.status != Proposal.Status.OPEN:
        return []
    return [row["kpa"] for row in rows
            if not row["voted"] and not row["internal"]
            and permissions.leads(request.user, row["kpa"].pk, today=today)]


def _detail_context(request: HttpRequest, proposal: Proposal, today: dt.date,
                    now: dt.datetime) -> dict[str, Any]:
    user = request.user
    options = list(proposal.options.all())
    me = ballots.elector_of(proposal, user, today=today)
    is_open = proposal.status == Proposal.Status.OPEN
    context: dict[str, Any] = {
        "proposal": proposal, "options": options, "me": me,
        "method_sentence": results.method_sentence(proposal),
        "timing": results.timing_sentence(proposal, now),
        "results": results.summarize(proposal),
        "attachments": list(proposal.attachments.all()),
        "comments": list(proposal.comments.select_related("author")),
        "objections": (list(proposal.objections.select_related("elector__person"))
                       if proposal.method == Method.CONSENT else []),
        "my_person": reach_of(user, today).person_id,
        "can_open": permissions.can_open_proposal(user, proposal, today=today),
        "opening_needs_approval": permissions.opening_needs_approval(proposal),
        "can_approve": permissions.can_approve_opening(user, proposal, today=today),
        "can_close": permissions.can_close_proposal(user, proposal, today=today),
        "can_cancel": permissions.can_cancel_proposal(user, proposal, today=today),
        "can_edit": permissions.can_edit_proposal(user, proposal, today=today),
        "can_comment": permissions.can_comment(user, proposal, today=today),
        "can_attach": permissions.can_attach_to_proposal(user, proposal, today=today),
        **_vote_forms(proposal, me, now, options),
    }
    context["can_advance"] = (context["can_close"] and proposal.method == Method.CONSENT
                              and proposal.phase != Proposal.Phase.OBJECTIONS)
    context["can_integrate"] = context["can_edit"] and is_open
    context["comment_form"] = CommentForm(initial={"kind": ballots.comment_kind_for(proposal)})
    context["proxy_given"] = None
    context["proxy_form"] = None
    if proposal.max_proxies and is_open and me is not None and me.person_id is not None:
        given = Proxy.objects.filter(giver=me).select_related("holder__person").first()
        context["proxy_given"] = given
        if given is None and not me.has_voted:
            context["proxy_form"] = ProxyForm(holders=_holders(proposal, me))
    if proposal.is_network:
        rows = _network_rows(proposal)
        context["network_rows"] = rows
        context["internal_targets"] = _internal_targets(request, proposal, rows, today)
    return context


def _holders(proposal: Proposal, me: Elector) -> QuerySet[Elector]:
    return (Elector.objects.filter(proposal=proposal, person__isnull=False,
                                   proxy_given__isnull=True)
            .exclude(pk=me.pk).select_related("person").order_by("person__last_name"))


@login_required
@require_GET
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = closing.ensure_closed(_proposal(request, pk, today), now=now)
    return render(request, "governance/proposal_detail.html",
                  _detail_context(request, proposal, today, now))


@login_required
@require_GET
def proposal_results(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = closing.ensure_closed(_proposal(request, pk, today), now=now)
    return render(request, "governance/proposal_results.html", {
        "proposal": proposal, "results": results.summarize(proposal),
        "timing": results.timing_sentence(proposal, now)})


@login_required
@require_POST
def proposal_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """One tap on a button of the vote page is the whole ballot."""
    today, now = dates.local_today(), dates.current_time()
    proposal = closing.ensure_closed(_proposal(request, pk, today), now=now)
    form = VoteForm(request.POST, proposal=proposal, options=list(proposal.options.all()))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(detail_url(proposal))
    ballot = form.ballot()

    def cast() -> Any:
        giver_id = form.cleaned_data.get("on_behalf_of")
        if giver_id:
            giver = get_in_scope(Elector.objects.filter(proposal=proposal), pk=giver_id)
            return ballots.cast_vote(proposal, actor=request.user, now=now,
                                     on_behalf_of=giver, **ballot)
        return ballots.cast_vote(proposal, actor=request.user, now=now, **ballot)

    done = acted(request, cast, _("Ton vote est enregistré."))
    if done is not None and proposal.secret:
        messages.info(request, _("Ton vote est secret : personne ne peut savoir ce que tu as "
                                 "voté."))
    return redirect(detail_url(proposal) + "#vote")


@login_required
@require_http_methods(["GET", "POST"])
def proposal_object(request: HttpRequest, pk: int) -> HttpResponse:
    """"J'objecte": the argued objection of a consent round."""
    today, now = dates.local_today(), dates.current_time()
    proposal = closing.ensure_closed(_proposal(request, pk, today), now=now)
    if proposal.method != Method.CONSENT:
        raise Http404
    form = ObjectionForm(form_data(request))
    done = submit(request, form, lambda: ballots.raise_objection(
        proposal, actor=request.user, now=now, argument=form.cleaned_data["argument"]),
        _("Ton objection est enregistrée. Le groupe va en parler."),
        lambda objection: detail_url(proposal) + "#objections")
    return done or form_page(request, "governance/proposal_objection.html",
                             {"proposal": proposal, "form": form})


def _button(action: Callable[..., Any], gate: Callable[..., bool], success: str,
            ) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST-only button on a proposal: the gate hides it; the service decides."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        today, now = dates.local_today(), dates.current_time()
        proposal = closing.ensure_closed(_proposal(request, pk, today), now=now)
        require(gate(request.user, proposal, today=today))
        acted(request, lambda: action(proposal, actor=request.user, now=now), success)
        return redirect(detail_url(proposal))

    return view


proposal_open = _button(proposals.open_proposal, permissions.can_open_proposal,
                        _("C'est fait."))
proposal_approve = _button(proposals.approve_opening, permissions.can_approve_opening,
                           _("L'ouverture du vote est accordée."))
proposal_advance = _button(proposals.advance_phase, permissions.can_close_proposal,
                           _("Le tour suivant commence."))
proposal_close = _button(closing.close_proposal, permissions.can_close_proposal,
                         _("Le vote est clos : voici le résultat."))


@login_required
@require_http_methods(["GET", "POST"])
def proposal_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = _proposal(request, pk, today)
    require(permissions.can_cancel_proposal(request.user, proposal, today=today))
    form = CancelForm(form_data(request))
    done = submit(request, form, lambda: proposals.cancel_proposal(
        proposal, actor=request.user, now=now, reason=form.cleaned_data["reason"]),
        _("La proposition est annulée."), detail_url)
    return done or form_page(request, "governance/proposal_cancel.html",
                             {"proposal": proposal, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def proposal_amend(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = _proposal(request, pk, today)
    require(permissions.can_edit_proposal(request.user, proposal, today=today))
    form = AmendForm(form_data(request), proposal=proposal)

    def save() -> Proposal:
        data = form.cleaned_data
        return proposals.amend_proposal(proposal, actor=request.user, now=now,
                                        title=data["title"], body=data["body"],
                                        reason=data["reason"], options=data.get("options"))

    done = submit(request, form, save, _("La proposition est modifiée ; l'ancienne version "
                                         "reste dans l'historique."), detail_url)
    return done or form_page(request, "governance/proposal_amend.html",
                             {"proposal": proposal, "form": form})


@login_required
@require_POST
def proposal_comment(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = _proposal(request, pk, today)
    require(permissions.can_comment(request.user, proposal, today=today))
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Écris ton message avant de l'envoyer."))
    else:
        acted(request, lambda: ballots.add_comment(
            proposal, actor=request.user, now=now, body=form.cleaned_data["body"],
            kind=form.cleaned_data["kind"]), _("Ton message est publié."))
    return redirect(detail_url(proposal) + "#commentaires")


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = _proposal(request, pk, today)
    require(permissions.can_attach_to_proposal(request.user, proposal, today=today))
    upload = request.FILES.get("upload")
    if upload is None:
        messages.error(request, _("Choisis un fichier (PDF, photo, texte) avant de l'envoyer."))
    else:
        acted(request, lambda: ballots.add_attachment(proposal, actor=request.user, now=now,
                                                      upload=upload),
              _("La pièce jointe est ajoutée."))
    return redirect(detail_url(proposal) + "#pieces")


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    """A proposal's attachment, to whoever sees the proposal; served as a download, with the
    type its first bytes say (`attachments.content_type_of`), never rendered as a page."""
    today = dates.local_today()
    visible = scoping.proposals_visible_to(request.user, today=today)
    attachment = get_in_scope(ProposalAttachment.objects.filter(proposal__in=visible), pk=pk)
    try:
        with attachment.file.open("rb") as handle:
            content = handle.read()
    except OSError:
        raise Http404 from None
    response = FileResponse(io.BytesIO(content), as_attachment=True,
                            filename=(attachment.file.name or "piece").rsplit("/", 1)[-1],
                            content_type=attachments.content_type_of(content))
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def proxy_give(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    proposal = _proposal(request, pk, today)
    me = ballots.elector_of(proposal, request.user, today=today)
    require(me is not None and proposal.max_proxies > 0)
    assert me is not None
    form = ProxyForm(request.POST, holders=_holders(proposal, me))
    if not form.is_valid():
        messages.error(request, _("Choisis la personne qui votera pour toi."))
    else:
        holder = form.cleaned_data["holder"]
        acted(request, lambda: ballots.give_proxy(proposal, actor=request.user,
                                                  holder=holder.person, now=now),
              _("Ta procuration est donnée à %(name)s.") % {"name": holder.person.full_name})
    return redirect(detail_url(proposal) + "#procuration")


@login_required
@require_POST
def proxy_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    visible = scoping.proposals_visible_to(request.user, today=today)
    proxy = get_in_scope(Proxy.objects.filter(proposal__in=visible)
                         .select_related("proposal", "giver"), pk=pk)
    acted(request, lambda: ballots.revoke_proxy(proxy, actor=request.user, now=now),
          _("Ta procuration est reprise : tu peux voter toi-même."))
    return redirect(detail_url(proxy.proposal) + "#procuration")


def _objection(request: HttpRequest, pk: int, today: dt.date) -> Objection:
    visible = scoping.proposals_visible_to(request.user, today=today)
    return get_in_scope(Objection.objects.filter(proposal__in=visible)
                        .select_related("proposal", "elector__person"), pk=pk)


@login_required
@require_POST
def objection_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    objection = _objection(request, pk, today)
    acted(request, lambda: ballots.withdraw_objection(objection, actor=request.user, now=now),
          _("Ton objection est retirée."))
    return redirect(detail_url(objection.proposal) + "#objections")


@login_required
@require_http_methods(["GET", "POST"])
def objection_integrate(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    objection = _objection(request, pk, today)
    proposal = objection.proposal
    require(permissions.can_edit_proposal(request.user, proposal, today=today)
            and objection.status == Objection.Status.OPEN)
    form = IntegrateForm(form_data(request),
                         initial={"title": proposal.title, "body": proposal.body})

    def save() -> Objection:
        data = form.cleaned_data
        return ballots.integrate_objection(objection, actor=request.user, now=now,
                                           resolution=data["resolution"], title=data["title"],
                                           body=data["body"])

    done = submit(request, form, save, _("L'objection est intégrée et le texte modifié."),
                  lambda integrated: detail_url(proposal) + "#objections")
    return done or form_page(request, "governance/proposal_integrate.html",
                             {"proposal": proposal, "objection": objection, "form": form})


@login_required
@require_POST
def proposal_internal(request: HttpRequest, pk: int) -> HttpResponse:
    """A KPA lead puts a network vote to the KPA's members: the internal proposal's outcome
    will be the KPA's one vote."""
    today, now = dates.local_today(), dates.current_time()
    network_proposal = _proposal(request, pk, today)
    if not network_proposal.is_network:
        raise Http404
    kpa = get_in_scope(scoping.governed_kpas(request.user, today=today),
                       pk=request.POST.get("kpa", ""))
    require(permissions.leads(request.user, kpa.pk, today=today))
    # The KPA's answer must be known before the network closes: one hour of margin.
    closes_at = network_proposal.closes_at
    if closes_at is not None and closes_at - dt.timedelta(hours=1) > now:
        closes_at -= dt.timedelta(hours=1)
    created = acted(request, lambda: proposals.create_proposal(
        actor=request.user, now=now, kpa=kpa, title=network_proposal.title,
        body=network_proposal.body, method=network_proposal.method,
        options=[o.label for o in network_proposal.options.all()],
        closes_at=closes_at, choice_mode=network_proposal.choice_mode,
        threshold=network_proposal.threshold,
        abstentions_count=network_proposal.abstentions_count,
        network_proposal=network_proposal),
        _("Le vote interne est prêt en brouillon : choisis sa date de fin (avant celle du "
          "réseau), puis ouvre-le."))
    return redirect(detail_url(created) if created is not None
                    else detail_url(network_proposal))


# -- the methods explained ---------------------------------------------------------------------


@login_required
@require_GET
def methods(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/methods.html", {})
