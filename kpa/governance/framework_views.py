"""Pages of the network's framework (the version in force, its versions, the differences
between two, drafts and their submission to the network's vote), of each KPA's
self-assessment against it (with the evidence the platform suggests), of the network's
overview of those assessments, and of a KPA's delegate to the network.

Thin views: reach → one service or selector → render. Out of reach is 404; a visible thing the
user may not change is 403; the services' French refusals land on the form or in a message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import BaseForm, BoundField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa, Network
from kpa.governance import (
    assessment,
    delegates,
    evidence,
    framework,
    permissions,
    scoping,
)
from kpa.governance.framework_forms import (
    AssessmentForm,
    CriterionForm,
    DelegateForm,
    DraftForm,
    PillarForm,
    evidence_field_name,
    status_field_name,
)
from kpa.governance.models import (
    Decision,
    FrameworkCriterion,
    FrameworkPillar,
    FrameworkVersion,
    Proposal,
    SelfAssessment,
)
from kpa.governance.view_helpers import acted, form_data, form_page, require, submit

VOTE_DAYS = 14


def _network(request: HttpRequest, pk: int, today: dt.date) -> Network:
    return get_in_scope(scoping.networks_of(request.user, today=today), pk=pk)


def _version(request: HttpRequest, pk: int, today: dt.date) -> FrameworkVersion:
    versions = scoping.framework_versions_visible_to(request.user, today=today)
    return get_in_scope(versions.select_related("network", "decision", "based_on"), pk=pk)


def _kpa(request: HttpRequest, pk: int, today: dt.date) -> Kpa:
    return get_in_scope(scoping.governed_kpas(request.user, today=today), pk=pk)


def _pillar(request: HttpRequest, pk: int, today: dt.date) -> FrameworkPillar:
    versions = scoping.framework_versions_visible_to(request.user, today=today)
    return get_in_scope(FrameworkPillar.objects.filter(version__in=versions)
                        .select_related("version__network"), pk=pk)


def _criterion(request: HttpRequest, pk: int, today: dt.date) -> FrameworkCriterion:
    versions = scoping.framework_versions_visible_to(request.user, today=today)
    return get_in_scope(FrameworkCriterion.objects.filter(pillar__version__in=versions)
                        .select_related("pillar__version__network"), pk=pk)


def version_url(version: FrameworkVersion) -> str:
    return reverse("governance:framework_version", args=[version.pk])


def edit_url(version: FrameworkVersion) -> str:
    return reverse("governance:framework_draft_edit", args=[version.pk])


# -- the framework ----------------------------------------------------------------------------


@login_required
@require_GET
def framework_index(request: HttpRequest) -> HttpResponse:
    """The networks whose framework the user reads; straight to it when there is one."""
    today = dates.local_today()
    networks = list(scoping.networks_of(request.user, today=today).order_by("name"))
    if len(networks) == 1:
        return redirect("governance:framework_home", networks[0].pk)
    return render(request, "governance/framework_index.html", {"networks": networks})


def _network_links(request: HttpRequest, network: Network, today: dt.date) -> dict[str, Any]:
    coordinator = permissions.coordinates(request.user, network.pk, today=today)
    kpas = list(scoping.governed_kpas(request.user, today=today)
                .filter(network=network).order_by("name"))
    return {"network": network, "is_coordinator": coordinator, "my_kpas": kpas}


@login_required
@require_GET
def framework_home(request: HttpRequest, network_pk: int) -> HttpResponse:
    """The framework in force, pillar by pillar, readable on a phone."""
    today = dates.local_today()
    network = _network(request, network_pk, today)
    version = framework.current_version(network)
    return render(request, "governance/framework_home.html", {
        **_network_links(request, network, today), "version": version,
        "pillars": framework.pillars_of(version) if version is not None else []})


@login_required
@require_GET
def framework_versions(request: HttpRequest, network_pk: int) -> HttpResponse:
    today = dates.local_today()
    network = _network(request, network_pk, today)
    versions = list(FrameworkVersion.objects.filter(network=network)
                    .select_related("decision", "based_on", "proposal")
                    .order_by("-created_at", "-pk"))
    return render(request, "governance/framework_versions.html", {
        **_network_links(request, network, today), "versions": versions,
        "can_draft": permissions.can_draft_framework(request.user, network, today=today)})


@login_required
@require_GET
def framework_version(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    version = _version(request, pk, today)
    proposal = Proposal.objects.filter(framework_version=version).first()
    can_edit = (permissions.can_draft_framework(request.user, version.network, today=today)
                and framework.is_editable(version))
    return render(request, "governance/framework_version.html", {
        "version": version, "network": version.network, "proposal": proposal,
        "pillars": framework.pillars_of(version), "can_edit": can_edit,
        "can_submit": can_edit and proposal is None})


@login_required
@require_GET
def framework_compare(request: HttpRequest, pk: int, other_pk: int) -> HttpResponse:
    """What the second version changes in the first."""
    today = dates.local_today()
    old, new = _version(request, pk, today), _version(request, other_pk, today)
    if old.network_id != new.network_id:
        raise PermissionDenied
    return render(request, "governance/framework_compare.html", {
        "old": old, "new": new, "network": new.network,
        "diff": framework.framework_diff(old, new)})


@login_required
@require_http_methods(["GET", "POST"])
def framework_draft_new(request: HttpRequest, network_pk: int) -> HttpResponse:
    today = dates.local_today()
    network = _network(request, network_pk, today)
    require(permissions.can_draft_framework(request.user, network, today=today))
    form = DraftForm(form_data(request))
    done = submit(request, form, lambda: framework.draft_framework_amendment(
        network, actor=request.user, label=form.cleaned_data["label"], today=today),
        _("Le projet reprend le cadre en vigueur : modifiez-le, puis soumettez-le au vote du "
          "réseau."), edit_url)
    return done or form_page(request, "governance/framework_draft_new.html",
                             {"network": network, "form": form})


@dataclass
class _EditRow:
    criterion: FrameworkCriterion
    form: CriterionForm


@login_required
@require_GET
def framework_draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Every pillar and criterion of a draft with a small form each."""
    today = dates.local_today()
    version = _version(request, pk, today)
    require(permissions.can_draft_framework(request.user, version.network, today=today))
    if not framework.is_editable(version):
        messages.error(request, framework.locked_message())
        return redirect(version_url(version))
    pillars = framework.pillars_of(version)
    blocks = [{
        "pillar": pillar,
        "form": PillarForm(initial={"title": pillar.title}, prefix=f"p{pillar.pk}"),
        "rows": [_EditRow(c, CriterionForm(initial={"text": c.text,
                                                    "evidence_key": c.evidence_key},
                                           prefix=f"c{c.pk}"))
                 for c in pillar.criteria.all()],
        "add_form": CriterionForm(prefix=f"n{pillar.pk}"),
    } for pillar in pillars]
    return render(request, "governance/framework_edit.html", {
        "version": version, "network": version.network, "blocks": blocks})


def _draft_write(request: HttpRequest, version: FrameworkVersion, form: BaseForm,
                 call: Callable[[], object], success: str) -> HttpResponse:
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect(edit_url(version))
    acted(request, call, success)
    return redirect(edit_url(version))


@login_required
@require_POST
def framework_pillar_rename(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    pillar = _pillar(request, pk, today)
    require(permissions.can_draft_framework(request.user, pillar.version.network, today=today))
    form = PillarForm(request.POST, prefix=f"p{pillar.pk}")
    return _draft_write(request, pillar.version, form, lambda: framework.rename_pillar(
        pillar, actor=request.user, title=form.cleaned_data["title"], today=today),
        _("Le pilier est renommé."))


@login_required
@require_POST
def framework_criterion_add(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    pillar = _pillar(request, pk, today)
    require(permissions.can_draft_framework(request.user, pillar.version.network, today=today))
    form = CriterionForm(request.POST, prefix=f"n{pillar.pk}")
    return _draft_write(request, pillar.version, form, lambda: framework.add_criterion(
        pillar, actor=request.user, text=form.cleaned_data["text"],
        evidence_key=form.cleaned_data["evidence_key"], today=today),
        _("Le critère est ajouté."))


@login_required
@require_POST
def framework_criterion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    criterion = _criterion(request, pk, today)
    version = criterion.pillar.version
    require(permissions.can_draft_framework(request.user, version.network, today=today))
    form = CriterionForm(request.POST, prefix=f"c{criterion.pk}")
    return _draft_write(request, version, form, lambda: framework.edit_criterion(
        criterion, actor=request.user, text=form.cleaned_data["text"],
        evidence_key=form.cleaned_data["evidence_key"], today=today),
        _("Le critère %(code)s est modifié.") % {"code": criterion.code})


@login_required
@require_POST
def framework_criterion_remove(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    criterion = _criterion(request, pk, today)
    version = criterion.pillar.version
    require(permissions.can_draft_framework(request.user, version.network, today=today))
    acted(request, lambda: framework.remove_criterion(criterion, actor=request.user,
                                                      today=today),
          _("Le critère %(code)s est retiré du projet.") % {"code": criterion.code})
    return redirect(edit_url(version))


@login_required
@require_POST
def framework_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the draft to the network's vote (one KPA = one vote): a network proposal in
    preparation, which the coordinators open from its page."""
    from kpa.governance import proposals

    today, now = dates.local_today(), dates.current_time()
    version = _version(request, pk, today)
    require(permissions.can_draft_framework(request.user, version.network, today=today))
    existing = Proposal.objects.filter(framework_version=version).first()
    if existing is not None:
        messages.error(request, _("Ce projet est déjà soumis au vote du réseau."))
        return redirect(existing.get_absolute_url())
    if not framework.is_editable(version) or version.based_on is None:
        messages.error(request, framework.locked_message())
        return redirect(version_url(version))
    body = framework.diff_markdown(framework.framework_diff(version.based_on, version))
    proposal = acted(request, lambda: proposals.create_proposal(
        actor=request.user, now=now,
        title=_("Modifier le cadre : %(label)s") % {"label": version.label}, body=body,
        method="majority", network=version.network, framework_version=version,
        closes_at=now + dt.timedelta(days=VOTE_DAYS)),
        _("La proposition est prête : vérifiez-la puis ouvrez le vote des KPA."))
    if proposal is None:
        return redirect(version_url(version))
    return redirect(proposal.get_absolute_url())


# -- self-assessment --------------------------------------------------------------------------


@dataclass
class _AssessRow:
    criterion: FrameworkCriterion
    status: BoundField
    evidence: BoundField
    suggestions: list[str]


def _suggestions_for(criterion: FrameworkCriterion, suggested: dict[str, str]) -> list[str]:
    return [suggested[key] for key in framework.evidence_keys(criterion) if key in suggested]


@login_required
@require_http_methods(["GET", "POST"])
def assessment_kpa(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    """The KPA's self-assessment against the framework in force: one fieldset per criterion,
    what the platform sees beside it and in the evidence left empty."""
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    version = framework.current_version(kpa.network_id)
    if version is None:
        return render(request, "governance/assessment_kpa.html", {"kpa": kpa,
                                                                 "version": None})
    can_edit = assessment.can_assess(request.user, kpa, today=today)
    current = (SelfAssessment.objects.filter(kpa=kpa, version=version)
               .select_related("created_by").first())
    answers = assessment.answers_by_criterion(current)
    suggested = evidence.suggest_evidence(kpa, today=today)
    pillars = framework.pillars_of(version)
    criteria = [c for pillar in pillars for c in pillar.criteria.all()]
    initial: dict[str, str] = {}
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        initial[status_field_name(criterion)] = answer.status if answer else ""
        initial[evidence_field_name(criterion)] = (
            answer.evidence if answer and answer.evidence
            else "\n".join(_suggestions_for(criterion, suggested)))
    form = AssessmentForm(form_data(request),
                          criteria=criteria, initial=initial)
    if request.method == "POST":
        require(can_edit)
    done = submit(request, form, lambda: assessment.save_assessment(
        kpa, actor=request.user, today=today, answers=form.answers()),
        _("L'auto-évaluation est enregistrée."),
        lambda saved: reverse("governance:assessment_detail", args=[saved.pk]))
    if done is not None:
        return done
    blocks = [{"pillar": pillar, "rows": [
        _AssessRow(c, form[status_field_name(c)], form[evidence_field_name(c)],
                   _suggestions_for(c, suggested)) for c in pillar.criteria.all()]}
        for pillar in pillars]
    return form_page(request, "governance/assessment_kpa.html", {
        "kpa": kpa, "version": version, "assessment": current, "form": form,
        "blocks": blocks, "can_edit": can_edit,
        "summary": assessment.summary(current) if current is not None else None})


@login_required
@require_GET
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    found = get_in_scope(scoping.assessments_visible_to(request.user, today=today)
                         .select_related("kpa", "version", "created_by"), pk=pk)
    answers = assessment.answers_by_criterion(found)
    pillars = framework.pillars_of(found.version)
    blocks = [{"pillar": pillar, "rows": [(c, answers.get(c.pk)) for c in pillar.criteria.all()]}
              for pillar in pillars]
    return render(request, "governance/assessment_detail.html", {
        "assessment": found, "kpa": found.kpa, "blocks": blocks,
        "summary": assessment.summary(found),
        "can_edit": (found.version.status == FrameworkVersion.Status.CURRENT
                     and permissions.is_member(request.user, found.kpa_id, today=today))})


@login_required
@require_GET
def assessment_overview(request: HttpRequest, network_pk: int) -> HttpResponse:
    """For the coordinators: where each KPA of the network stands by its latest assessment."""
    today = dates.local_today()
    network = _network(request, network_pk, today)
    require(permissions.coordinates(request.user, network.pk, today=today))
    return render(request, "governance/assessment_overview.html", {
        "network": network, "rows": assessment.network_overview(network),
        "version": framework.current_version(network)})


# -- delegates --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def delegate_kpa(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    """Who casts the KPA's one vote in the network, since when, and the form to change it."""
    today = dates.local_today()
    kpa = _kpa(request, kpa_pk, today)
    can_designate = permissions.can_designate_delegate(request.user, kpa, today=today)
    form = None
    if can_designate:
        form = DelegateForm(
            form_data(request),
            initial={"starts_on": today},
            persons=delegates.candidates(kpa, today=today),
            decisions=Decision.objects.filter(kpa=kpa).order_by("-decided_on", "-number"))
    elif request.method == "POST":
        raise PermissionDenied
    if form is not None:
        bound = form
        done = submit(request, bound, lambda: delegates.designate_delegate(
            kpa, actor=request.user, person=bound.cleaned_data["person"],
            starts_on=bound.cleaned_data["starts_on"],
            decision=bound.cleaned_data["decision"], today=today),
            _("Le ou la délégué·e au réseau est désigné·e."),
            lambda saved: reverse("governance:delegate_kpa", args=[kpa.pk]))
        if done is not None:
            return done
    return form_page(request, "governance/delegate_kpa.html", {
        "kpa": kpa, "delegate": delegates.current_delegate(kpa, today=today),
        "history": delegates.delegate_history(kpa), "form": form, "today": today})
