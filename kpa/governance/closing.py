"""Closing a proposal: count from the database, store the result once, record the decision.

A closed proposal never changes again: its `results`, `outcome` and `closed_at` are written in
the same transaction that records its `Decision` (source "proposal", figures = results) in the
KPA's or the network's register. Then the change it carries is applied when it is final
(`effects.apply_if_due`), the electors are told, and an internal KPA proposal linked to a
network proposal casts the KPA's one vote there.

`results` (also the decision's `figures`; pages and the API read it) is JSON:

    {
      "method": "majority" | "consent" | "judgment" | "choice",
      "electors": int,            # frozen electors (persons, or KPAs in the network)
      "participants": int,        # electors who voted (consent: or raised an objection)
      "quorum_percent": int,
      "quorum_reached": bool,     # judgment and choice also need at least one ballot
      # majority
      "for": int, "against": int, "abstain": int,
      "threshold": "simple" | "two_thirds" | "three_quarters" | "unanimity",
      "abstentions_count": bool,
      # consent
      "consents": int, "objections_open": int, "objections_integrated": int,
      "objections_withdrawn": int,
      # judgment and choice: options in their order, winners by id
      "options": [{"id": int, "label": str,
                   "votes": int,                         # choice
                   "tally": [int, ...],                  # judgment: counts per grade, worst
                                                         # first, padded to the ballots with
                                                         # the worst grade
                   "rank": int,                          # 1 = best, shared on a tie
                   "majority_grade": int | None,         # judgment (None: nobody voted)
                   "majority_grade_label": str,          # judgment
                   "above": int, "below": int}],         # judgment: the merit profile
      "winners": [int, ...],
    }

Outcomes: majority → adopted / rejected / no_quorum; consent → adopted when no objection is
open and the quorum took part, else rejected / no_quorum; judgment and choice → elected (one
option first) / tie / no_quorum.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpa.core import audit
from kpa.core.auth import AnyUser
from kpa.core.notifications import notify
from kpa.governance import effects, permissions, register, tally
from kpa.governance.models import (
    GRADES,
    Ballot,
    BallotGrade,
    BallotSelection,
    Decision,
    Elector,
    Method,
    Objection,
    Proposal,
    ProposalOption,
)
from kpa.governance.proposals import elector_users
from kpa.governance.results import summarize_figures

Outcome = Proposal.Outcome


def _participation(proposal: Proposal) -> tuple[int, int]:
    """(electors, participants) in one query."""
    voted = Q(has_voted=True)
    if proposal.method == Method.CONSENT:
        voted |= Q(objections__isnull=False)
    row = (Elector.objects.filter(proposal=proposal)
           .aggregate(electors=Count("id", distinct=True),
                      participants=Count("id", filter=voted, distinct=True)))
    return row["electors"], row["participants"]


def _option_rows(proposal: Proposal) -> list[tuple[int, str]]:
    return list(ProposalOption.objects.filter(proposal=proposal)
                .order_by("position", "id").values_list("id", "label"))


def judgment_tallies(proposal: Proposal) -> list[list[int]]:
    """Per option (in position order), the count of each grade, worst first, padded to the
    number of ballots with the worst grade: an option left ungraded on a ballot is rejected."""
    option_ids = [pk for pk, _label in _option_rows(proposal)]
    counts: dict[int, list[int]] = {pk: [0] * len(GRADES) for pk in option_ids}
    # The one grouped query over the grades: option ids from the list above, so no join; and
    # count(*), which the (option, grade) index answers alone, where count(id) reads each row.
    rows = (BallotGrade.objects.filter(option_id__in=option_ids).order_by()
            .values("option_id", "grade").annotate(n=Count("*")))
    for row in rows:
        counts[row["option_id"]][row["grade"]] = row["n"]
    ballots = Ballot.objects.filter(proposal=proposal).count()
    tallies = []
    for pk in option_ids:
        tally_row = counts[pk]
        tally_row[0] += max(0, ballots - sum(tally_row))
        tallies.append(tally_row)
    return tallies


def _majority(proposal: Proposal, base: dict[str, Any]) -> tuple[dict[str, Any], str]:
    per_choice = dict(Ballot.objects.filter(proposal=proposal).order_by()
                      .values_list("choice").annotate(n=Count("*")).values_list("choice", "n"))
    votes_for = per_choice.get(Ballot.Choice.FOR, 0)
    against = per_choice.get(Ballot.Choice.AGAINST, 0)
    abstain = per_choice.get(Ballot.Choice.ABSTAIN, 0)
    results = {**base, "for": votes_for, "against": against, "abstain": abstain,
               "threshold": proposal.threshold,
               "abstentions_count": proposal.abstentions_count}
    if not base["quorum_reached"]:
        return results, Outcome.NO_QUORUM
    adopted = tally.majority_adopted(votes_for=votes_for, against=against, abstain=abstain,
                                     threshold=proposal.threshold,
                                     abstentions_count=proposal.abstentions_count)
    return results, Outcome.ADOPTED if adopted else Outcome.REJECTED


def _consent(proposal: Proposal, base: dict[str, Any]) -> tuple[dict[str, Any], str]:
    consents = Ballot.objects.filter(proposal=proposal, choice=Ballot.Choice.CONSENT).count()
    by_status = dict(Objection.objects.filter(proposal=proposal).order_by()
                     .values_list("status").annotate(n=Count("id"))
                     .values_list("status", "n"))
    open_objections = by_status.get(Objection.Status.OPEN, 0)
    results = {**base, "consents": consents, "objections_open": open_objections,
               "objections_integrated": by_status.get(Objection.Status.INTEGRATED, 0),
               "objections_withdrawn": by_status.get(Objection.Status.WITHDRAWN, 0)}
    if tally.consent_adopted(open_objections=open_objections,
                             participants=base["participants"], electors=base["electors"],
                             quorum_percent=proposal.quorum_percent):
        return results, Outcome.ADOPTED
    return results, Outcome.REJECTED if base["quorum_reached"] else Outcome.NO_QUORUM


def _ranked_outcome(base: dict[str, Any], winners: list[int]) -> str:
    if not base["quorum_reached"]:
        return Outcome.NO_QUORUM
    return Outcome.ELECTED if len(winners) == 1 else Outcome.TIE


def _judgment(proposal: Proposal, base: dict[str, Any]) -> tuple[dict[str, Any], str]:
    options = _option_rows(proposal)
    tallies = judgment_tallies(proposal)
    ranks = tally.majority_judgment_ranking(tallies)
    profiles = tally.majority_judgment_profiles(tallies)
    labels = dict(GRADES)
    rows = []
    for (pk, label), counts, rank, profile in zip(options, tallies, ranks, profiles,
                                                  strict=True):
        grade = profile.majority_grade if profile else None
        rows.append({"id": pk, "label": label, "tally": counts, "rank": rank,
                     "majority_grade": grade,
                     "majority_grade_label": str(labels[grade]) if grade is not None else "",
                     "above": profile.above if profile else 0,
                     "below": profile.below if profile else 0})
    winners = [pk for (pk, _label), rank in zip(options, ranks, strict=True)
               if rank == 1] if base["participants"] else []
    results = {**base, "options": rows, "winners": winners}
    return results, _ranked_outcome(base, winners)


def _choice(proposal: Proposal, base: dict[str, Any]) -> tuple[dict[str, Any], str]:
    options = _option_rows(proposal)
    votes = dict(BallotSelection.objects.filter(option_id__in=[pk for pk, _l in options])
                 .order_by().values_list("option_id").annotate(n=Count("*"))
                 .values_list("option_id", "n"))
    counts = [votes.get(pk, 0) for pk, _label in options]
    rows = [{"id": pk, "label": label, "votes": count,
             "rank": 1 + sum(1 for other in counts if other > count)}
            for (pk, label), count in zip(options, counts, strict=True)]
    winners = [options[i][0] for i in tally.choice_winners(counts)]
    results = {**base, "options": rows, "winners": winners}
    return results, _ranked_outcome(base, winners)


def count_and_decide(proposal: Proposal) -> tuple[dict[str, Any], str]:
    """The figures and the outcome, read from the database."""
    electors, participants = _participation(proposal)
    reached = tally.quorum_reached(participants=participants, electors=electors,
                                   quorum_percent=proposal.quorum_percent)
    if proposal.method in (Method.JUDGMENT, Method.CHOICE) and participants == 0:
        reached = False  # nobody chose: there is nothing to elect
    base: dict[str, Any] = {"method": proposal.method, "electors": electors,
                            "participants": participants,
                            "quorum_percent": proposal.quorum_percent,
                            "quorum_reached": reached}
    counters = {Method.MAJORITY: _majority, Method.CONSENT: _consent,
                Method.JUDGMENT: _judgment, Method.CHOICE: _choice}
    return counters[Method(proposal.method)](proposal, base)


def count_results(proposal: Proposal) -> dict[str, Any]:
    """JSON-able figures of `proposal` as they stand in the database (see the module doc)."""
    return count_and_decide(proposal)[0]


# -- summary -------------------------------------------------------------------------------

def _summary(proposal: Proposal, results: dict[str, Any], outcome: str) -> str:
    """The register's sentence: the same words the results page says (`results.py`)."""
    return summarize_figures(method=proposal.method, outcome=outcome, figures=results,
                             network=proposal.is_network).sentence


# -- closing -------------------------------------------------------------------------------

def _reshuffle_secret_ballots(proposal: Proposal) -> None:
    """Write a secret vote's ballots again, same contents, in a random order and under new
    random keys. Keys and rows carry no time, but a table's physical order (SQLite's rowid,
    PostgreSQL's heap) follows the order of the votes, and so of the audit trail, which names
    each voter; once the vote is closed, nothing follows that order any more."""
    ballots = list(Ballot.objects.filter(proposal=proposal)
                   .prefetch_related("grades", "selections"))
    contents = [(ballot.choice, ballot.by_proxy,
                 [(grade.option_id, grade.grade) for grade in ballot.grades.all()],
                 [selection.option_id for selection in ballot.selections.all()])
                for ballot in ballots]
    Ballot.objects.filter(proposal=proposal).delete()
    secrets.SystemRandom().shuffle(contents)
    fresh = [Ballot(proposal=proposal, choice=choice, by_proxy=by_proxy)
             for choice, by_proxy, _grades, _selections in contents]
    Ballot.objects.bulk_create(fresh)
    BallotGrade.objects.bulk_create(
        BallotGrade(ballot=ballot, option_id=option_id, grade=grade)
        for ballot, (_c, _p, grades, _s) in zip(fresh, contents, strict=True)
        for option_id, grade in grades)
    BallotSelection.objects.bulk_create(
        BallotSelection(ballot=ballot, option_id=option_id)
        for ballot, (_c, _p, _g, selections) in zip(fresh, contents, strict=True)
        for option_id in selections)


@transaction.atomic
def close_proposal(proposal: Proposal, *, actor: AnyUser | None,
                   now: dt.datetime) -> Decision:
    """Close an open proposal (`actor` None: the clock, at its closing time) and record its
    decision. Refused when it is not open; the result, once stored, never changes."""
    today = timezone.localdate(now)
    locked = (Proposal.objects.select_for_update(of=("self",))
              .select_related("kpa", "network", "network_proposal").get(pk=proposal.pk))
    if locked.status == Proposal.Status.CLOSED:
        raise ValidationError(_("Ce vote est déjà clos : son résultat ne change plus."))
    if locked.status != Proposal.Status.OPEN:
        raise ValidationError(_("Ce vote n'est pas ouvert : il n'y a rien à clôturer."))
    if actor is not None and not permissions.can_close_proposal(actor, locked, today=today):
        raise PermissionDenied
    if locked.secret:
        _reshuffle_secret_ballots(locked)
    results, outcome = count_and_decide(locked)
    locked.results, locked.outcome = results, outcome
    locked.status, locked.closed_at = Proposal.Status.CLOSED, now
    locked.save(update_fields=["results", "outcome", "status", "closed_at"])
    audit.record(actor=actor, action="governance.proposal.closed", target=locked,
                 data={"outcome": outcome, "participants": results["participants"],
                       "electors": results["electors"], "early": actor is not None})
    decision = register.record_decision(
        actor=actor, kpa=locked.kpa, network=locked.network, title=locked.title,
        summary=_summary(locked, results, outcome), source=Decision.Source.PROPOSAL,
        method=locked.method, outcome=outcome, figures=results, decided_on=today,
        proposal=locked, review_on=locked.review_on)
    notes = []
    try:
        with transaction.atomic():
            effects.apply_if_due(decision, actor=actor)
    except ValidationError as refusal:
        notes.append(_("Le changement n'a pas pu s'appliquer : %(why)s")
                     % {"why": " ".join(refusal.messages)})
    if locked.network_proposal is not None:
        notes.append(_vote_in_network(locked, results, outcome, now=now))
    if notes:
        decision.summary = "\n\n".join([decision.summary, *notes])
        decision.save(update_fields=["summary"])
    notify(recipients=elector_users(locked, today),
           subject=_("Résultat du vote : %(title)s") % {"title": locked.title},
           body=decision.summary, url=locked.get_absolute_url(), topic="governance.proposal.closed")
    proposal.__dict__.update({k: v for k, v in locked.__dict__.items() if k != "_state"})
    return decision


def _vote_in_network(internal: Proposal, results: dict[str, Any], outcome: str, *,
                     now: dt.datetime) -> str:
    """Cast the KPA's one vote on the linked network proposal; say what happened."""
    from kpa.governance import ballots

    network_proposal = internal.network_proposal
    assert network_proposal is not None
    assert internal.kpa is not None
    elector = Elector.objects.filter(proposal=network_proposal, kpa=internal.kpa).first()
    if network_proposal.status != Proposal.Status.OPEN:
        return _("Le vote du réseau n'est pas ouvert : le KPA n'y a pas voté.")
    if elector is None:
        return _("Le KPA n'est pas inscrit au vote du réseau : il n'y a pas voté.")
    if elector.has_voted:
        return _("Le KPA avait déjà voté au réseau : ce résultat n'y a pas été reporté.")
    kwargs: dict[str, Any] = {}
    if internal.method == Method.MAJORITY:
        kwargs["choice"] = {Outcome.ADOPTED: Ballot.Choice.FOR,
                            Outcome.REJECTED: Ballot.Choice.AGAINST}.get(
                                Outcome(outcome), Ballot.Choice.ABSTAIN)
    elif internal.method == Method.CHOICE:
        if outcome != Outcome.ELECTED:
            return _("Pas d'option retenue : le KPA n'a pas voté au réseau.")
        label = next(row["label"] for row in results["options"]
                     if row["id"] == results["winners"][0])
        kwargs["option_ids"] = list(ProposalOption.objects.filter(
            proposal=network_proposal, label=label).values_list("pk", flat=True))
    elif internal.method == Method.JUDGMENT:
        if outcome == Outcome.NO_QUORUM:
            return _("Quorum non atteint : le KPA n'a pas voté au réseau.")
        theirs = dict(ProposalOption.objects.filter(proposal=network_proposal)
                      .values_list("label", "pk"))
        kwargs["grades"] = {theirs[row["label"]]: row["majority_grade"]
                            for row in results["options"]
                            if row["label"] in theirs and row["majority_grade"] is not None}
    else:
        return _("Un consentement ne se reporte pas au réseau.")
    try:
        with transaction.atomic():
            ballots.cast_kpa_vote(network_proposal, kpa=internal.kpa, internal=internal,
                                  now=now, actor=None, **kwargs)
    except (ValidationError, PermissionDenied) as refusal:
        why = " ".join(refusal.messages) if isinstance(refusal, ValidationError) else ""
        return _("Le vote du KPA au réseau a été refusé : %(why)s") % {"why": why}
    return _("Ce résultat est le vote du KPA au réseau (« %(title)s »).") % {
        "title": network_proposal.title}


def close_due(*, now: dt.datetime) -> int:
    """Close every open proposal whose closing time has come; returns how many."""
    due = (Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__lte=now)
           .order_by("closes_at", "pk").values_list("pk", flat=True))
    closed = 0
    for pk in list(due):
        proposal = Proposal.objects.get(pk=pk)
        try:
            close_proposal(proposal, actor=None, now=now)
        except ValidationError:
            continue  # closed meanwhile by someone else
        closed += 1
    return closed


def ensure_closed(proposal: Proposal, *, now: dt.datetime) -> Proposal:
    """Close `proposal` if its time has passed (views call this before showing it)."""
    if (proposal.status == Proposal.Status.OPEN and proposal.closes_at is not None
            and proposal.closes_at <= now):
        try:
            close_proposal(proposal, actor=None, now=now)
        except ValidationError:
            proposal.refresh_from_db()
    return proposal
