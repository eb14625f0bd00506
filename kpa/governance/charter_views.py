"""Pages of the living charter (a KPA's charter in force and its acknowledgement, its versions,
the differences between two versions, drafts and their vote, who has not read it yet, the
structure's rule) and of the KPA's autonomy level.

Thin views: reach → one service or selector → render. Out of reach is 404; a visible thing the
user may not change is 403; the services' French refusals land on the form or in a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, RoleKind, Structure
from kpa.directory.permissions import reach_of
from kpa.governance import autonomy, charter, eligibility, permissions, scoping
from kpa.governance.charter_forms import (
    AutonomyProposeForm,
    CharterCompareForm,
    CharterDraftForm,
    CharterPolicyForm,
)
from kpa.governance.models import CharterVersion, Proposal
from kpa.governance.view_helpers import acted, form_data, form_page, require, submit


def _kpa(request: HttpRequest, kpa_pk: int, today: dt.date) -> Kpa:
    return get_in_scope(scoping.governed_kpas(request.user, today=today), pk=kpa_pk)


def _version(request: HttpRequest, pk: int, today: dt.date) -> CharterVersion:
    versions = scoping.charter_versions_visible_to(request.user, today=today)
    return get_in_scope(versions.select_related("kpa", "decision", "created_by"), pk=pk)


def version_url(version: CharterVersion) -> str:
    return reverse("governance:charter_version", args=[version.pk])


# -- the charter ----------------------------------------------------------------------------


@login_required
@require_GET
def charter_index(request: HttpRequest) -> HttpResponse:
    """The KPAs whose charter the user reads, and the structures whose rule they set."""
    today = dates.local_today()
    reach = reach_of(request.user, today)
    kpas = list(scoping.governed_kpas(request.user, today=today).order_by("name"))
    structures: QuerySet[Structure] = (
        Structure.objects.all() if reach.is_admin
        else Structure.objects.filter(pk__in=sorted(reach.managed_structures)))
    return render(request, "governance/charter_index.html", {
        "kpas": kpas, "structures": list(structures.order_by("name"))})


@login_required
@require_GET
def charter_kpa(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    """The charter in force, and where the reader stands with it."""
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    current = charter.current_charter(kpa)
    person_id = reach_of(request.user, today).person_id
    acknowledgement = charter.acknowledgement_of(current, person_id)
    blocks_vote = False
    if current is not None and acknowledgement is None and person_id is not None:
        is_cooperant = RoleKind.COOPERANT in permissions.kinds_in(request.user, kpa.pk,
                                                                  today=today)
        blocks_vote = is_cooperant and eligibility.charter_blocks_vote(person_id, kpa,
                                                                       today=today)
    return render(request, "governance/charter_kpa.html", {
        "kpa": kpa, "current": current, "acknowledgement": acknowledgement,
        "blocks_vote": blocks_vote,
        "can_acknowledge": (current is not None and acknowledgement is None
                            and permissions.can_acknowledge_charter(request.user, current,
                                                                    today=today)),
        "can_draft": permissions.can_draft_charter(request.user, kpa, today=today),
        "can_see_pending": permissions.can_see_acknowledgements(request.user, kpa,
                                                                today=today),
        "autonomy": autonomy.level_words(kpa.autonomy),
    })


@login_required
@require_GET
def charter_versions(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    versions = list(CharterVersion.objects.filter(kpa=kpa)
                    .select_related("created_by", "decision", "proposal").order_by("-number"))
    return render(request, "governance/charter_versions.html", {
        "kpa": kpa, "versions": versions,
        "can_draft": permissions.can_draft_charter(request.user, kpa, today=today)})


def _proposal_of(version: CharterVersion) -> Proposal | None:
    return Proposal.objects.filter(charter_version=version).first()


@login_required
@require_GET
def charter_version(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    version = _version(request, pk, today)
    proposal = _proposal_of(version)
    is_draft = version.status == CharterVersion.Status.DRAFT
    under_vote = proposal is not None and proposal.status != Proposal.Status.DRAFT
    previous = (CharterVersion.objects.filter(kpa_id=version.kpa_id, number__lt=version.number)
                .order_by("-number").values_list("number", flat=True).first())
    person_id = reach_of(request.user, today).person_id
    acknowledgement = (charter.acknowledgement_of(version, person_id)
                       if version.status == CharterVersion.Status.ADOPTED else None)
    return render(request, "governance/charter_version.html", {
        "version": version, "kpa": version.kpa, "proposal": proposal, "previous": previous,
        "acknowledgement": acknowledgement,
        "can_edit": (is_draft and not under_vote
                     and permissions.can_edit_charter_version(request.user, version,
                                                              today=today)),
        "can_propose": (is_draft and proposal is None
                        and permissions.can_propose_in_kpa(request.user, version.kpa,
                                                           today=today)),
        "can_acknowledge": (acknowledgement is None
                            and permissions.can_acknowledge_charter(request.user, version,
                                                                    today=today)),
    })


@login_required
@require_GET
def charter_compare(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    versions = list(CharterVersion.objects.filter(kpa=kpa).order_by("-number"))
    by_number = {v.number: v for v in versions}
    current = next((v for v in versions if v.status == CharterVersion.Status.ADOPTED), None)
    pair = charter.default_pair([v.number for v in versions], current)
    form = CharterCompareForm(request.GET if "de" in request.GET else None, versions=versions,
                              initial={"de": pair[0], "a": pair[1]} if pair else None)
    if form.is_bound and form.is_valid():
        pair = (form.cleaned_data["de"], form.cleaned_data["a"])
    lines: list[tuple[str, str]] = []
    old = new = None
    if pair is not None:
        old, new = by_number[pair[0]], by_number[pair[1]]
        lines = list(charter.diff_lines(old.body, new.body))
    return render(request, "governance/charter_compare.html", {
        "kpa": kpa, "form": form, "old": old, "new": new, "lines": lines,
        "added": sum(1 for kind, _text in lines if kind == "added"),
        "removed": sum(1 for kind, _text in lines if kind == "removed"),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


@login_required
@require_http_methods(["GET", "POST"])
def charter_draft_new(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    require(permissions.can_draft_charter(request.user, kpa, today=today))
    current = charter.current_charter(kpa)
    # A new version usually starts from the text in force.
    form = CharterDraftForm(form_data(request),
                            initial={"body": current.body if current else ""})
    done = submit(request, form, lambda: charter.draft_charter_version(
        kpa, actor=request.user, body=form.cleaned_data["body"], today=today),
        _("Le projet de charte est enregistré. Relis-le, puis propose-le au vote."),
        version_url)
    return done or form_page(request, "governance/charter_form.html",
                             {"kpa": kpa, "form": form, "version": None,
                              "current": current})


@login_required
@require_http_methods(["GET", "POST"])
def charter_draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    version = _version(request, pk, today)
    if version.status != CharterVersion.Status.DRAFT:
        messages.error(request, _("Une version adoptée ne change plus : rédige une nouvelle "
                                  "version."))
        return redirect(version_url(version))
    require(permissions.can_edit_charter_version(request.user, version, today=today))
    form = CharterDraftForm(form_data(request),
                            initial={"body": version.body})
    done = submit(request, form, lambda: charter.edit_charter_draft(
        version, actor=request.user, body=form.cleaned_data["body"], today=today),
        _("Le projet de charte est modifié."), version_url)
    return done or form_page(request, "governance/charter_form.html",
                             {"kpa": version.kpa, "form": form, "version": version,
                              "current": None})


@login_required
@require_POST
def charter_propose(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a draft to the vote, then show the proposal to open."""
    today, now = dates.local_today(), dates.current_time()
    version = _version(request, pk, today)
    proposal = acted(request, lambda: charter.propose_charter_version(
        version, actor=request.user, now=now),
        _("La proposition est prête : ouvre le vote quand tu veux."))
    if proposal is None:
        existing = _proposal_of(version)
        return redirect(existing.get_absolute_url() if existing else version_url(version))
    return redirect(proposal.get_absolute_url())


@login_required
@require_POST
def charter_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    version = _version(request, pk, today)
    acted(request, lambda: charter.acknowledge_charter(version, actor=request.user, now=now),
          _("Merci : ton engagement à respecter la charte est noté."))
    return redirect(charter.charter_url(version.kpa_id))


@login_required
@require_GET
def charter_pending(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    """Who has not read the charter in force yet (leads only)."""
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    require(permissions.can_see_acknowledgements(request.user, kpa, today=today))
    current = charter.current_charter(kpa)
    people = charter.pending_acknowledgements(kpa, today=today)
    return render(request, "governance/charter_pending.html", {
        "kpa": kpa, "current": current, "people": people,
        "policy_required": charter.charter_policy_required(kpa.carrying_structure_id),
    })


@login_required
@require_http_methods(["GET", "POST"])
def charter_policy(request: HttpRequest, structure_pk: int) -> HttpResponse:
    """The structure's rule: must its coopérants read the charter before they vote?"""
    today = dates.local_today()
    reach = reach_of(request.user, today)
    structures = (Structure.objects.all() if reach.is_admin
                  else Structure.objects.filter(pk__in=sorted(reach.structures)))
    structure = get_in_scope(structures, pk=structure_pk)
    require(permissions.can_set_charter_policy(request.user, structure.pk, today=today))
    form = CharterPolicyForm(
        form_data(request),
        initial={"required": charter.charter_policy_required(structure.pk)})
    done = submit(request, form, lambda: charter.set_charter_policy(
        structure, actor=request.user, required=form.cleaned_data["required"], today=today),
        _("La règle de la structure est enregistrée."),
        lambda policy: reverse("governance:charter_policy", args=[structure.pk]))
    return done or form_page(request, "governance/charter_policy.html",
                             {"structure": structure, "form": form})


# -- autonomy -------------------------------------------------------------------------------


@login_required
@require_GET
def autonomy_page(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    return render(request, "governance/autonomy.html", {
        "kpa": kpa, "level": autonomy.level_words(kpa.autonomy),
        "others": autonomy.other_levels(kpa),
        "live": autonomy.live_autonomy_proposal(kpa),
        "can_propose": permissions.can_propose_in_kpa(request.user, kpa, today=today),
    })


@login_required
@require_POST
def autonomy_propose(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    kpa = _kpa(request, kpa_pk, today)
    require(permissions.can_propose_in_kpa(request.user, kpa, today=today))
    form = AutonomyProposeForm(request.POST)
    back = reverse("governance:autonomy", args=[kpa.pk])
    if not form.is_valid():
        messages.error(request, _("Choisis un niveau d'autonomie de la liste."))
        return redirect(back)
    proposal = acted(request, lambda: autonomy.propose_autonomy_change(
        kpa, actor=request.user, now=now, level=form.cleaned_data["level"]),
        _("La proposition est prête : ouvre le vote quand tu veux."))
    return redirect(proposal.get_absolute_url() if proposal is not None else back)
