"""A proposal's results, said in words first: one sentence a person who reads little can take
in, then rows for a table (and, for majority judgment, each option's merit profile).

Everything here reads the results JSON that `closing.count_results` stored at closing (its shape
is documented in closing.py): nothing is counted again, so what the page says never changes.
Shares are whole percentages computed with Decimal; no float ever carries a figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext as _ngettext

from kpa.governance.models import GRADES, Method, Proposal, Threshold


@dataclass(frozen=True)
class ResultRow:
    """One line of the results table: a choice or an option, its count and its share."""

    label: str
    count: int
    share: str  # "70 %" of the participants
    percent: int  # the same share as a whole number, for a <meter>
    rank: int | None = None
    winner: bool = False


@dataclass(frozen=True)
class GradeRow:
    grade: int
    label: str
    count: int
    share: str
    percent: int


@dataclass(frozen=True)
class OptionProfile:
    """A majority-judgment option: its rank, its majority grade in words, its merit profile."""

    id: int
    label: str
    rank: int | None
    majority_grade: int | None
    majority_label: str
    sentence: str  # "Majorité : Bien — 55 % au moins Bien"
    grades: list[GradeRow]
    winner: bool


@dataclass(frozen=True)
class Results:
    outcome: str
    outcome_label: str
    sentence: str
    participation: str
    rows: list[ResultRow] = field(default_factory=list)
    profiles: list[OptionProfile] = field(default_factory=list)


def ngettext(singular: str, plural: str, count: int) -> str:
    """French puts zero in the singular ("0 abstention"); the source strings are French, so
    the untranslated fallback must follow that rule too."""
    return _ngettext(singular, plural, 1 if count == 0 else count)


def percent_of(part: int, whole: int) -> int:
    if whole <= 0:
        return 0
    return int((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("1"), ROUND_HALF_UP))


def share_text(part: int, whole: int) -> str:
    return f"{percent_of(part, whole)} %"


def grade_label(grade: int | None) -> str:
    labels = dict(GRADES)
    return str(labels[grade]) if grade is not None and grade in labels else ""


def _electors_words(count: int, network: bool) -> str:
    if network:
        return ngettext("%(count)d KPA appelé à voter", "%(count)d KPA appelés à voter",
                        count) % {"count": count}
    return ngettext("%(count)d inscrit·e", "%(count)d inscrit·es", count) % {"count": count}


def _participants_words(count: int, network: bool) -> str:
    if network:
        return ngettext("%(count)d KPA a voté", "%(count)d KPA ont voté", count) % {
            "count": count}
    return ngettext("%(count)d participant·e", "%(count)d participant·es", count) % {
        "count": count}


def _quorum_words(figures: Mapping[str, Any]) -> str:
    quorum = int(figures.get("quorum_percent") or 0)
    if not quorum:
        return ""
    if figures.get("quorum_reached"):
        return _(" (quorum %(quorum)d %% atteint)") % {"quorum": quorum}
    return _(" (quorum %(quorum)d %% non atteint)") % {"quorum": quorum}


def _quoted(labels: Sequence[str]) -> str:
    quoted = [f"« {label} »" for label in labels]
    if len(quoted) <= 1:
        return "".join(quoted)
    return _("%(first)s et %(last)s") % {"first": ", ".join(quoted[:-1]), "last": quoted[-1]}


def outcome_label(outcome: str) -> str:
    return str(dict(Proposal.Outcome.choices).get(outcome, outcome))


def summarize(proposal: Proposal) -> Results | None:
    """The words and rows of a closed proposal's results; None while it is not closed."""
    if proposal.status != Proposal.Status.CLOSED or not proposal.results:
        return None
    return summarize_figures(method=proposal.method, outcome=proposal.outcome,
                             figures=proposal.results, network=proposal.is_network)


def summarize_figures(*, method: str, outcome: str, figures: Mapping[str, Any],
                      network: bool = False) -> Results:
    electors = int(figures.get("electors") or 0)
    participants = int(figures.get("participants") or 0)
    label = outcome_label(outcome)
    participation = _("%(participants)s sur %(electors)s") % {
        "participants": _participants_words(participants, network),
        "electors": _electors_words(electors, network)}
    quorum = _quorum_words(figures)
    if method == Method.MAJORITY:
        return _majority(figures, outcome, label, participation, quorum, electors, network)
    if method == Method.CONSENT:
        return _consent(figures, outcome, label, participation, quorum)
    if method == Method.JUDGMENT:
        return _judgment(figures, outcome, label, participation, quorum)
    return _choice(figures, outcome, label, participation, quorum)


def _majority(figures: Mapping[str, Any], outcome: str, label: str, participation: str,
              quorum: str, electors: int, network: bool) -> Results:
    votes_for = int(figures.get("for") or 0)
    against = int(figures.get("against") or 0)
    abstain = int(figures.get("abstain") or 0)
    counts = ngettext("%(count)d abstention", "%(count)d abstentions", abstain) % {
        "count": abstain}
    sentence = _("%(outcome)s : %(for)d pour, %(against)d contre, %(abstain)s sur "
                 "%(electors)s%(quorum)s") % {
        "outcome": label, "for": votes_for, "against": against, "abstain": counts,
        "electors": _electors_words(electors, network), "quorum": quorum}
    threshold = str(figures.get("threshold") or "simple")
    if threshold != Threshold.SIMPLE:
        sentence += _(" — majorité requise : %(threshold)s") % {
            "threshold": str(dict(Threshold.choices).get(threshold, threshold)).lower()}
    total = votes_for + against + abstain
    rows = [ResultRow(_("Pour"), votes_for, share_text(votes_for, total),
                      percent_of(votes_for, total)),
            ResultRow(_("Contre"), against, share_text(against, total),
                      percent_of(against, total)),
            ResultRow(_("Abstention"), abstain, share_text(abstain, total),
                      percent_of(abstain, total))]
    return Results(outcome, label, sentence + ".", participation, rows)


def _consent(figures: Mapping[str, Any], outcome: str, label: str, participation: str,
             quorum: str) -> Results:
    consents = int(figures.get("consents") or 0)
    still_open = int(figures.get("objections_open") or 0)
    integrated = int(figures.get("objections_integrated") or 0)
    withdrawn = int(figures.get("objections_withdrawn") or 0)
    parts = [
        ngettext("%(count)d consentement", "%(count)d consentements", consents)
        % {"count": consents},
        ngettext("%(count)d objection restée ouverte", "%(count)d objections restées ouvertes",
                 still_open) % {"count": still_open},
        ngettext("%(count)d intégrée", "%(count)d intégrées", integrated) % {"count": integrated},
        ngettext("%(count)d retirée", "%(count)d retirées", withdrawn) % {"count": withdrawn},
    ]
    sentence = _("%(outcome)s : %(parts)s — %(participation)s%(quorum)s.") % {
        "outcome": label, "parts": ", ".join(parts), "participation": participation,
        "quorum": quorum}
    rows = [ResultRow(_("Consentements"), consents, "", 0),
            ResultRow(_("Objections restées ouvertes"), still_open, "", 0),
            ResultRow(_("Objections intégrées"), integrated, "", 0),
            ResultRow(_("Objections retirées"), withdrawn, "", 0)]
    return Results(outcome, label, sentence, participation, rows)


def _options(figures: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    options = figures.get("options") or []
    return [option for option in options if isinstance(option, Mapping)]


def _winner_labels(figures: Mapping[str, Any]) -> list[str]:
    winners = set(figures.get("winners") or [])
    return [str(option.get("label", "")) for option in _options(figures)
            if option.get("id") in winners]


def _choice(figures: Mapping[str, Any], outcome: str, label: str, participation: str,
            quorum: str) -> Results:
    options = _options(figures)
    participants = int(figures.get("participants") or 0)
    winners = set(figures.get("winners") or [])
    rows = [ResultRow(str(option.get("label", "")), int(option.get("votes") or 0),
                      share_text(int(option.get("votes") or 0), participants),
                      percent_of(int(option.get("votes") or 0), participants),
                      option.get("rank"), option.get("id") in winners)
            for option in options]
    rows.sort(key=lambda row: (row.rank if row.rank is not None else 10**6, -row.count))
    best = max((row.count for row in rows), default=0)
    names = _winner_labels(figures)
    voices = ngettext("%(count)d voix", "%(count)d voix", best) % {"count": best}
    if outcome == Proposal.Outcome.ELECTED and names:
        sentence = _("%(outcome)s : %(name)s avec %(voices)s — %(participation)s%(quorum)s.")
    elif outcome == Proposal.Outcome.TIE and names:
        sentence = _("%(outcome)s entre %(name)s, %(voices)s chacune — "
                     "%(participation)s%(quorum)s.")
    else:
        sentence = _("%(outcome)s — %(participation)s%(quorum)s.")
    return Results(outcome, label, sentence % {
        "outcome": label, "name": _quoted(names), "voices": voices,
        "participation": participation, "quorum": quorum}, participation, rows)


def majority_sentence(tally: Sequence[int], grade: int | None) -> str:
    """"Majorité : Bien — 55 % au moins Bien": the lower median and who backs it."""
    total = sum(tally)
    if grade is None or total == 0:
        return _("Pas de mention : personne n'a jugé cette option.")
    at_least = sum(tally[grade:])
    name = grade_label(grade)
    return _("Majorité : %(grade)s — %(share)s au moins %(grade)s") % {
        "grade": name, "share": share_text(at_least, total)}


def _judgment(figures: Mapping[str, Any], outcome: str, label: str, participation: str,
              quorum: str) -> Results:
    winners = set(figures.get("winners") or [])
    profiles: list[OptionProfile] = []
    for option in _options(figures):
        tally = [int(count) for count in option.get("tally") or []]
        total = sum(tally)
        raw_grade = option.get("majority_grade")
        grade = int(raw_grade) if raw_grade is not None else None
        grades = [GradeRow(value, grade_label(value), count, share_text(count, total),
                           percent_of(count, total))
                  for value, count in enumerate(tally)]
        profiles.append(OptionProfile(
            id=int(option.get("id") or 0), label=str(option.get("label", "")),
            rank=option.get("rank"), majority_grade=grade,
            majority_label=str(option.get("majority_grade_label") or grade_label(grade)),
            sentence=majority_sentence(tally, grade), grades=list(reversed(grades)),
            winner=option.get("id") in winners))
    profiles.sort(key=lambda p: (p.rank if p.rank is not None else 10**6, p.id))
    names = _winner_labels(figures)
    top = next((p for p in profiles if p.winner), None)
    if outcome == Proposal.Outcome.ELECTED and top is not None:
        sentence = _("%(outcome)s : %(name)s, mention majoritaire « %(grade)s » — "
                     "%(participation)s%(quorum)s.") % {
            "outcome": label, "name": _quoted(names), "grade": top.majority_label,
            "participation": participation, "quorum": quorum}
    elif outcome == Proposal.Outcome.TIE and names:
        sentence = _("%(outcome)s entre %(name)s — %(participation)s%(quorum)s.") % {
            "outcome": label, "name": _quoted(names), "participation": participation,
            "quorum": quorum}
    else:
        sentence = _("%(outcome)s — %(participation)s%(quorum)s.") % {
            "outcome": label, "participation": participation, "quorum": quorum}
    rows = [ResultRow(p.label, 0, p.majority_label, 0, p.rank, p.winner) for p in profiles]
    return Results(outcome, label, sentence, participation, rows, profiles)


# -- words about a proposal that is not closed yet -------------------------------------------

def moment(value: dt.datetime) -> str:
    """"5 décembre à 18 h" (or "à 18 h 30"), in the platform's time zone."""
    local = timezone.localtime(value)
    day = formats.date_format(local, "j F")
    hour = f"{local.hour} h" if not local.minute else f"{local.hour} h {local.minute:02d}"
    return _("%(day)s à %(hour)s") % {"day": day, "hour": hour}


def timing_sentence(proposal: Proposal, now: dt.datetime) -> str:
    if proposal.status == Proposal.Status.CLOSED and proposal.closed_at is not None:
        return _("Close le %(when)s") % {"when": moment(proposal.closed_at)}
    if proposal.status == Proposal.Status.CANCELLED:
        return _("Annulée")
    parts: list[str] = []
    if proposal.opens_at is not None and proposal.opens_at > now:
        parts.append(_("Ouverture le %(when)s") % {"when": moment(proposal.opens_at)})
    if proposal.closes_at is not None:
        parts.append(_("Clôture le %(when)s") % {"when": moment(proposal.closes_at)})
    return " · ".join(parts) or _("Pas encore de date de clôture")


def method_sentence(proposal: Proposal) -> str:
    """The method in one plain sentence, with this proposal's own settings."""
    scope = _("chaque KPA a une voix") if proposal.is_network else _(
        "chaque coopérant·e inscrit·e a une voix")
    if proposal.method == Method.CONSENT:
        text = _("Consentement : la proposition passe si personne ne garde d'objection "
                 "argumentée.")
    elif proposal.method == Method.MAJORITY:
        needed: str = {
            str(Threshold.SIMPLE): _("plus de la moitié des voix"),
            str(Threshold.TWO_THIRDS): _("au moins deux tiers des voix"),
            str(Threshold.THREE_QUARTERS): _("au moins trois quarts des voix"),
            str(Threshold.UNANIMITY): _("toutes les voix"),
        }.get(proposal.threshold, _("plus de la moitié des voix"))
        abstentions = (_("les abstentions comptent comme des voix qui ne sont pas « pour »")
                       if proposal.abstentions_count
                       else _("les abstentions ne comptent pas"))
        text = _("Vote à la majorité : la proposition passe avec %(needed)s « pour » "
                 "(%(abstentions)s).") % {"needed": needed, "abstentions": abstentions}
    elif proposal.method == Method.JUDGMENT:
        text = _("Jugement majoritaire : tu donnes une mention à chaque option, de « À "
                 "rejeter » à « Excellent » ; l'option qui a la meilleure mention de la "
                 "majorité gagne.")
    elif proposal.choice_mode == Proposal.ChoiceMode.APPROVAL:
        text = _("Choix : tu coches toutes les options qui te conviennent ; celle qui a le "
                 "plus de voix gagne.")
    else:
        text = _("Choix : tu choisis une seule option ; celle qui a le plus de voix gagne.")
    extras = [scope]
    if proposal.quorum_percent:
        extras.append(_("il faut qu'au moins %(quorum)d %% des inscrit·es votent") % {
            "quorum": proposal.quorum_percent})
    if proposal.secret:
        extras.append(_("vote secret"))
    if proposal.max_proxies:
        extras.append(ngettext("procurations possibles (%(count)d par personne au plus)",
                               "procurations possibles (%(count)d par personne au plus)",
                               proposal.max_proxies) % {"count": proposal.max_proxies})
    # Only the first letter: str.capitalize() would also lower the rest ("Chaque kpa").
    rest = "; ".join(extras)
    return f"{text} {rest[:1].upper()}{rest[1:]}."
