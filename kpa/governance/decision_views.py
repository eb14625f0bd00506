"""The decision register pages: the registers the user reads, a KPA's or the network's register
(search, filters by method and year, newest first, 25 a page), and one decision with its
figures said in words — no chart needed — its links, ratification and review date.

Figures are read from `Decision.figures`: for a proposal, the results JSON stored at closing
(shape in closing.py: electors, participants, quorum_percent, quorum_reached, method and, per
method, for/against/abstain/threshold, consents/objections_*, or options with rank, votes or
tally and majority_grade_label); for a show of hands, for/against/abstain/present/threshold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpa.core import dates
from kpa.core.tenancy import get_in_scope
from kpa.directory.models import Kpa
from kpa.governance import permissions, register, scoping
from kpa.governance.decision_forms import DecisionFilterForm, ReviewForm
from kpa.governance.models import GRADES, Decision, Threshold

PER_PAGE = 25


# -- figures in words --------------------------------------------------------------------------


def _int(figures: Mapping[str, Any], key: str) -> int | None:
    value = figures.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _threshold_words(value: Any) -> str:
    if value in Threshold.values:
        return str(Threshold(value).label)
    return ""


def _participation(figures: Mapping[str, Any], network: bool) -> list[str]:
    parts: list[str] = []
    electors, participants = _int(figures, "electors"), _int(figures, "participants")
    if electors is not None:
        if network:
            parts.append(ngettext("%(n)d KPA appelé à voter", "%(n)d KPA appelés à voter",
                                  electors) % {"n": electors})
        else:
            parts.append(ngettext("%(n)d inscrit·e", "%(n)d inscrit·es", electors)
                         % {"n": electors})
    if participants is not None:
        parts.append(ngettext("%(n)d a voté", "%(n)d ont voté", participants)
                     % {"n": participants})
    quorum = _int(figures, "quorum_percent")
    if "quorum_reached" in figures:
        if quorum:
            parts.append((_("quorum de %(q)d %% atteint") if figures["quorum_reached"]
                          else _("quorum de %(q)d %% non atteint")) % {"q": quorum})
        elif figures["quorum_reached"]:
            parts.append(_("quorum atteint"))
    present = _int(figures, "present")
    if present is not None:
        parts.append(ngettext("%(n)d personne présente", "%(n)d personnes présentes", present)
                     % {"n": present})
    return parts


def figures_sentence(decision: Decision) -> str:
    """E.g. "Pour : 7 · Contre : 2 · Abstentions : 1 — 11 inscrit·es, quorum atteint"."""
    figures: Mapping[str, Any] = decision.figures or {}
    counts: list[str] = []
    if "for" in figures or "against" in figures:
        counts = [_("Pour : %(n)d") % {"n": _int(figures, "for") or 0},
                  _("Contre : %(n)d") % {"n": _int(figures, "against") or 0},
                  _("Abstentions : %(n)d") % {"n": _int(figures, "abstain") or 0}]
    elif "consents" in figures:
        counts = [_("Consentements : %(n)d") % {"n": _int(figures, "consents") or 0},
                  _("Objections restées ouvertes : %(n)d")
                  % {"n": _int(figures, "objections_open") or 0},
                  _("intégrées : %(n)d") % {"n": _int(figures, "objections_integrated") or 0},
                  _("retirées : %(n)d") % {"n": _int(figures, "objections_withdrawn") or 0}]
    after = _participation(figures, decision.network_id is not None)
    sentence = " · ".join(counts)
    if after:
        sentence = f"{sentence} — {', '.join(after)}" if sentence else ", ".join(after)
        sentence = sentence[0].upper() + sentence[1:]
    threshold = _threshold_words(figures.get("threshold"))
    if threshold and counts and "consents" not in figures:
        sentence += " " + _("(majorité requise : %(t)s)") % {"t": threshold.lower()}
    return sentence


@dataclass(frozen=True)
class OptionLine:
    label: str
    rank: int | None
    words: str
    winner: bool


def option_lines(decision: Decision) -> list[OptionLine]:
    """For majority judgment or choice: each option with its rank and what it got."""
    figures: Mapping[str, Any] = decision.figures or {}
    options = figures.get("options")
    if not isinstance(options, list):
        return []
    winners = set(figures.get("winners") or [])
    grade_names = dict(GRADES)
    lines: list[OptionLine] = []
    for option in options:
        if not isinstance(option, Mapping):
            continue
        if "votes" in option:
            votes = _int(option, "votes") or 0
            words = ngettext("%(n)d voix", "%(n)d voix", votes) % {"n": votes}
        else:
            grade = option.get("majority_grade")
            label = option.get("majority_grade_label") or (
                grade_names.get(grade, "") if isinstance(grade, int) else "")
            words = _("Mention majoritaire : %(grade)s") % {"grade": label} if label else ""
            tally = option.get("tally")
            if isinstance(tally, list) and len(tally) == len(GRADES):
                detail = ", ".join(f"{grade_names[g]} {count}" for g, count in enumerate(tally)
                                   if count)
                words = f"{words} ({detail})" if detail else words
        lines.append(OptionLine(label=str(option.get("label", "")), rank=_int(option, "rank"),
                                words=words, winner=option.get("id") in winners))
    return sorted(lines, key=lambda line: (line.rank is None, line.rank or 0))


def method_words(decision: Decision) -> str:
    if decision.source == Decision.Source.SHOW_OF_HANDS:
        return _("Main levée en réunion")
    return decision.get_method_display() or decision.get_source_display()


# -- the registers -----------------------------------------------------------------------------


@login_required
@require_GET
def decision_index(request: HttpRequest) -> HttpResponse:
    """The registers the user reads, with how many decisions each holds."""
    today = dates.local_today()
    kpas = list(scoping.governed_kpas(request.user, today=today)
                .annotate(decision_count=Count("decisions")).order_by("name"))
    networks = list(scoping.networks_of(request.user, today=today)
                    .annotate(decision_count=Count("decisions")).order_by("name"))
    return render(request, "governance/decision_index.html",
                  {"kpas": kpas, "networks": networks})


@dataclass(frozen=True)
class Row:
    decision: Decision
    method: str


def _register(request: HttpRequest, found: QuerySet[Decision],
              context: dict[str, Any]) -> HttpResponse:
    years = [day.year for day in found.dates("decided_on", "year", order="DESC")]
    form = DecisionFilterForm(request.GET or None, years=years)
    q, method, year = form.values()
    if q:
        found = found.filter(Q(title__icontains=q) | Q(summary__icontains=q))
    if method:
        found = found.filter(method=method)
    if year:
        found = found.filter(decided_on__year=year)
    page = Paginator(found.order_by("-decided_on", "-number"),
                     PER_PAGE).get_page(request.GET.get("page"))
    rows = [Row(decision=d, method=method_words(d)) for d in page.object_list]
    return render(request, "governance/decision_list.html", {
        **context, "form": form, "page": page, "rows": rows,
        "filtered": bool(q or method or year)})


@login_required
@require_GET
def decision_list_kpa(request: HttpRequest, kpa_pk: int) -> HttpResponse:
    today = dates.local_today()
    kpa = get_in_scope(scoping.governed_kpas(request.user, today=today), pk=kpa_pk)
    found = scoping.decisions_visible_to(request.user, today=today).filter(kpa=kpa)
    return _register(request, found, {
        "scope_name": kpa.name,
        "meetings_url": reverse("governance:meeting_list", args=[kpa.pk])})


@login_required
@require_GET
def decision_list_network(request: HttpRequest, network_pk: int) -> HttpResponse:
    today = dates.local_today()
    network = get_in_scope(scoping.networks_of(request.user, today=today), pk=network_pk)
    found = scoping.decisions_visible_to(request.user, today=today).filter(network=network)
    return _register(request, found, {
        "scope_name": network.name,
        "meetings_url": reverse("governance:meeting_list_network", args=[network.pk])})


# -- one decision ------------------------------------------------------------------------------


def _decision(request: HttpRequest, pk: int, today: dt.date) -> Decision:
    return get_in_scope(scoping.decisions_visible_to(request.user, today=today).select_related(
        "kpa", "network", "proposal", "meeting", "ratified_by", "recorded_by"), pk=pk)


def _detail(request: HttpRequest, decision: Decision, today: dt.date,
            review_form: ReviewForm | None = None) -> HttpResponse:
    can_review = permissions.can_set_review(request.user, decision, today=today)
    if can_review and review_form is None:
        review_form = ReviewForm(initial={"review_on": decision.review_on})
    awaits_ratification = (decision.kpa is not None and decision.ratified_at is None
                           and decision.kpa.autonomy != Kpa.Autonomy.AUTONOMOUS)
    return render(request, "governance/decision_detail.html", {
        "decision": decision, "figures": figures_sentence(decision),
        "options": option_lines(decision), "method": method_words(decision),
        "awaits_ratification": awaits_ratification,
        "can_ratify": permissions.can_ratify_decision(request.user, decision, today=today),
        "review_form": review_form if can_review else None,
        "register_url": (reverse("governance:decision_list_kpa", args=[decision.kpa_id])
                         if decision.kpa_id is not None else
                         reverse("governance:decision_list_network",
                                 args=[decision.network_id])),
    }, status=400 if review_form is not None and review_form.is_bound else 200)


@login_required
@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    return _detail(request, _decision(request, pk, today), today)


@login_required
@require_POST
def decision_ratify(request: HttpRequest, pk: int) -> HttpResponse:
    today, now = dates.local_today(), dates.current_time()
    decision = _decision(request, pk, today)
    if not permissions.can_ratify_decision(request.user, decision, today=today):
        raise PermissionDenied
    try:
        register.ratify_decision(decision, actor=request.user, now=now)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("La décision est ratifiée."))
    return redirect(decision.get_absolute_url())


@login_required
@require_http_methods(["POST"])
def decision_review(request: HttpRequest, pk: int) -> HttpResponse:
    today = dates.local_today()
    decision = _decision(request, pk, today)
    if not permissions.can_set_review(request.user, decision, today=today):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            register.set_review(decision, actor=request.user,
                                review_on=form.cleaned_review_on(), today=today)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("La date de révision est enregistrée.")
                             if decision.review_on else
                             _("Plus de révision prévue pour cette décision."))
            return redirect(decision.get_absolute_url())
    return _detail(request, decision, today, review_form=form)
