"""The only gates of governance. Who may do what:

- a KPA's proposals, decisions, meetings, charter and self-assessments: every person with a
  current role in that KPA sees them (and the administrator); nobody else (404);
- the network's proposals, register and framework: the network's coordinators and every person
  with a current role in one of its KPAs;
- propose in a KPA: any current member; in a working group: its members and the KPA's staff;
- open a vote: in an autonomous KPA, its author or a lead (référent, animateur); in a supervised
  or accompanied KPA, an animateur approves the opening and ratifies the outcome;
- network proposals, framework drafts: the network's coordinators;
- a KPA's one vote in the network: its current delegate, or its linked internal proposal;
- meetings: the KPA's leads, and its coopérants when the KPA is autonomous;
- the charter: any member drafts a version; a version is adopted only by a decision; each
  member acknowledges the current one; leads see who has not;
- the self-assessment: any member fills it in; the network's coordinators read it.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Network, Role, RoleKind
from kpa.directory.permissions import reach_of
from kpa.governance.models import (
    CharterVersion,
    Decision,
    Meeting,
    Proposal,
    SelfAssessment,
)


def kinds_in(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> frozenset[str]:
    """The kinds of the user's current roles in that KPA."""
    reach = reach_of(user, today)
    if kpa_id is None or reach.person_id is None or kpa_id not in reach.member_kpas:
        return frozenset()
    return frozenset(Role.objects.current(today).filter(
        person_id=reach.person_id, kpa_id=kpa_id).values_list("kind", flat=True))


def is_member(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or (kpa_id is not None and kpa_id in reach.member_kpas)


def leads(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> bool:
    """Référent or animateur of the KPA (or the administrator)."""
    reach = reach_of(user, today)
    return reach.is_admin or (kpa_id is not None and kpa_id in reach.inviter_kpas)


def is_animateur(user: AnyUser, kpa_id: int | None, *, today: dt.date) -> bool:
    return reach_of(user, today).is_admin or RoleKind.ANIMATEUR in kinds_in(
        user, kpa_id, today=today)


def coordinates(user: AnyUser, network_id: int | None, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or (network_id is not None and network_id in reach.networks)


def network_visible_q(user: AnyUser, *, today: dt.date, prefix: str = "") -> Q:
    """Rows (with a `network` field under `prefix`) of networks the user takes part in."""
    reach = reach_of(user, today)
    member_networks = Kpa.objects.filter(pk__in=reach.member_kpas).values("network_id")
    return (Q(**{f"{prefix}network_id__in": sorted(reach.networks)})
            | Q(**{f"{prefix}network_id__in": member_networks}))


def sees_network(user: AnyUser, network: Network | int, *, today: dt.date) -> bool:
    network_id = network if isinstance(network, int) else network.pk
    reach = reach_of(user, today)
    return reach.is_admin or network_id in reach.networks or Kpa.objects.filter(
        pk__in=reach.member_kpas, network_id=network_id).exists()


def _sees_scope(user: AnyUser, kpa_id: int | None, network_id: int | None, *,
                today: dt.date) -> bool:
    if kpa_id is not None:
        return is_member(user, kpa_id, today=today)
    return network_id is not None and sees_network(user, network_id, today=today)


# -- proposals ----------------------------------------------------------------------------------

def can_see_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    return _sees_scope(user, proposal.kpa_id, proposal.network_id, today=today)


def can_propose_in_kpa(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return is_member(user, kpa.pk, today=today)


def can_propose_in_network(user: AnyUser, network: Network, *, today: dt.date) -> bool:
    return coordinates(user, network.pk, today=today)


def _is_author(user: AnyUser, proposal: Proposal, today: dt.date) -> bool:
    return reach_of(user, today).person_id == proposal.author_id


def can_edit_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    """Amend the text or the settings: only before the vote opens (consent: while open, by the
    author, to integrate objections)."""
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        return False
    if proposal.status == Proposal.Status.OPEN and proposal.method != "consent":
        return False
    if proposal.is_network:
        return coordinates(user, proposal.network_id, today=today)
    return _is_author(user, proposal, today) or leads(user, proposal.kpa_id, today=today)


def opening_needs_approval(proposal: Proposal) -> bool:
    """In a supervised or accompanied KPA an animateur approves the opening of a vote."""
    return (proposal.kpa is not None
            and proposal.kpa.autonomy != Kpa.Autonomy.AUTONOMOUS)


def can_open_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    """Open (or, in an accompanied KPA, ask to open) a draft."""
    if proposal.status != Proposal.Status.DRAFT:
        return False
    if proposal.is_network:
        return coordinates(user, proposal.network_id, today=today)
    return _is_author(user, proposal, today) or leads(user, proposal.kpa_id, today=today)


def can_approve_opening(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    return (proposal.status == Proposal.Status.AWAITING_APPROVAL
            and is_animateur(user, proposal.kpa_id, today=today))


def can_close_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    """Close before the set time (or advance a consent round): the author or a lead in an
    autonomous KPA, an animateur otherwise; the coordinators for the network."""
    if proposal.status != Proposal.Status.OPEN:
        return False
    if proposal.is_network:
        return coordinates(user, proposal.network_id, today=today)
    if opening_needs_approval(proposal):
        return is_animateur(user, proposal.kpa_id, today=today)
    return _is_author(user, proposal, today) or leads(user, proposal.kpa_id, today=today)


def can_cancel_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        return False
    if proposal.is_network:
        return coordinates(user, proposal.network_id, today=today)
    return _is_author(user, proposal, today) or leads(user, proposal.kpa_id, today=today)


def can_comment(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    return (proposal.status in (Proposal.Status.DRAFT, Proposal.Status.AWAITING_APPROVAL,
                                Proposal.Status.SCHEDULED, Proposal.Status.OPEN)
            and can_see_proposal(user, proposal, today=today))


# -- decisions ----------------------------------------------------------------------------------

def can_see_decision(user: AnyUser, decision: Decision, *, today: dt.date) -> bool:
    return _sees_scope(user, decision.kpa_id, decision.network_id, today=today)


def can_ratify_decision(user: AnyUser, decision: Decision, *, today: dt.date) -> bool:
    return (decision.kpa is not None and decision.ratified_at is None
            and decision.kpa.autonomy != Kpa.Autonomy.AUTONOMOUS
            and is_animateur(user, decision.kpa_id, today=today))


def can_set_review(user: AnyUser, decision: Decision, *, today: dt.date) -> bool:
    if decision.network_id is not None:
        return coordinates(user, decision.network_id, today=today)
    return leads(user, decision.kpa_id, today=today)


# -- meetings -----------------------------------------------------------------------------------

def can_see_meeting(user: AnyUser, meeting: Meeting, *, today: dt.date) -> bool:
    return _sees_scope(user, meeting.kpa_id, meeting.network_id, today=today)


def can_plan_meeting_in(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    if leads(user, kpa.pk, today=today):
        return True
    return (kpa.autonomy == Kpa.Autonomy.AUTONOMOUS
            and RoleKind.COOPERANT in kinds_in(user, kpa.pk, today=today))


def can_manage_meeting(user: AnyUser, meeting: Meeting, *, today: dt.date) -> bool:
    """Edit the agenda, record attendance, minutes and show-of-hands decisions."""
    if meeting.network_id is not None:
        return coordinates(user, meeting.network_id, today=today)
    assert meeting.kpa is not None
    return can_plan_meeting_in(user, meeting.kpa, today=today)


# -- charter ------------------------------------------------------------------------------------

def can_see_charter(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return is_member(user, kpa.pk, today=today)


def can_draft_charter(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return is_member(user, kpa.pk, today=today)


def can_edit_charter_version(user: AnyUser, version: CharterVersion, *, today: dt.date) -> bool:
    return (version.status == CharterVersion.Status.DRAFT
            and is_member(user, version.kpa_id, today=today))


def can_acknowledge_charter(user: AnyUser, version: CharterVersion, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return (version.status == CharterVersion.Status.ADOPTED and reach.person_id is not None
            and version.kpa_id in reach.member_kpas)


def can_see_acknowledgements(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return leads(user, kpa.pk, today=today)


def can_set_charter_policy(user: AnyUser, structure_id: int, *, today: dt.date) -> bool:
    reach = reach_of(user, today)
    return reach.is_admin or structure_id in reach.managed_structures


# -- network: delegates, framework, self-assessment ------------------------------------------

def can_designate_delegate(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return leads(user, kpa.pk, today=today)


def can_draft_framework(user: AnyUser, network: Network, *, today: dt.date) -> bool:
    return coordinates(user, network.pk, today=today)


def can_see_assessment(user: AnyUser, assessment: SelfAssessment, *, today: dt.date) -> bool:
    return (is_member(user, assessment.kpa_id, today=today)
            or coordinates(user, assessment.version.network_id, today=today))


def can_assess(user: AnyUser, kpa: Kpa, *, today: dt.date) -> bool:
    return is_member(user, kpa.pk, today=today)


# -- attachments (added for ballots.add_attachment) ---------------------------------------------

def can_attach_to_proposal(user: AnyUser, proposal: Proposal, *, today: dt.date) -> bool:
    """Add a file to a proposal that is still alive (open votes included): its author or a lead;
    the coordinators for the network."""
    if proposal.status in (Proposal.Status.CLOSED, Proposal.Status.CANCELLED):
        return False
    if proposal.is_network:
        return coordinates(user, proposal.network_id, today=today)
    return _is_author(user, proposal, today) or leads(user, proposal.kpa_id, today=today)
