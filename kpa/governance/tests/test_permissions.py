"""The gates of `permissions.py`, as a table: for each autonomy level of the home KPA, who may
open a vote, approve its opening, close it early, ratify a decision, plan and run a meeting —
in the KPA and in the network. Objects are written with the ORM in the state each gate asks
about: only the gates are under test here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from conftest import TODAY, Cast
from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa
from kpa.governance import permissions
from kpa.governance.models import Decision, Meeting, Method, Proposal
from kpa.governance.tests.factories import NOW, add_cooperant

SUPERVISED = Kpa.Autonomy.SUPERVISED
ACCOMPANIED = Kpa.Autonomy.ACCOMPANIED
AUTONOMOUS = Kpa.Autonomy.AUTONOMOUS
LEVELS = (SUPERVISED, ACCOMPANIED, AUTONOMOUS)

# "cooperant" writes the KPA's proposals; "cooperant2" is a coopérant who did not.
PERSONAS = ("cooperant", "cooperant2", "referent", "animateur", "accompagnateur", "benevole",
            "gestionnaire", "comptable", "coordinateur", "outsider", "admin", "anonymous")


@dataclass
class Scene:
    kpa: Kpa
    draft: Proposal
    awaiting: Proposal
    open: Proposal
    closed: Proposal
    network_draft: Proposal
    network_open: Proposal
    decision: Decision
    ratified: Decision
    network_decision: Decision
    meeting: Meeting
    network_meeting: Meeting


def build_scene(cast: Cast, level: str) -> Scene:
    cast.home.autonomy = level
    cast.home.save(update_fields=["autonomy"])

    def proposal(status: str, *, network: bool = False) -> Proposal:
        if network:
            return Proposal.objects.create(network=cast.network, author=cast.coordinateur,
                                           title="Réseau", method=Method.MAJORITY, status=status)
        return Proposal.objects.create(kpa=cast.home, author=cast.cooperant, title="KPA",
                                       method=Method.MAJORITY, status=status)

    def decision(number: int, *, network: bool = False, ratified: bool = False) -> Decision:
        return Decision.objects.create(
            kpa=None if network else cast.home, network=cast.network if network else None,
            number=number, title="Décision", source=Decision.Source.PROPOSAL,
            outcome=Proposal.Outcome.ADOPTED, decided_on=TODAY,
            ratified_at=NOW if ratified else None,
            ratified_by=cast.animateur if ratified else None)

    def meeting(*, network: bool = False) -> Meeting:
        return Meeting.objects.create(
            kpa=None if network else cast.home, network=cast.network if network else None,
            title="Réunion", starts_at=NOW, ends_at=NOW + dt.timedelta(hours=2),
            created_by=cast.referent)

    status = Proposal.Status
    return Scene(
        kpa=cast.home, draft=proposal(status.DRAFT), awaiting=proposal(status.AWAITING_APPROVAL),
        open=proposal(status.OPEN), closed=proposal(status.CLOSED),
        network_draft=proposal(status.DRAFT, network=True),
        network_open=proposal(status.OPEN, network=True),
        decision=decision(1), ratified=decision(2, ratified=True),
        network_decision=decision(1, network=True),
        meeting=meeting(), network_meeting=meeting(network=True))


Gate = Callable[[AnyUser, Scene], bool]

GATES: dict[str, Gate] = {
    "open": lambda u, s: permissions.can_open_proposal(u, s.draft, today=TODAY),
    "open network": lambda u, s: permissions.can_open_proposal(u, s.network_draft, today=TODAY),
    "approve": lambda u, s: permissions.can_approve_opening(u, s.awaiting, today=TODAY),
    "close": lambda u, s: permissions.can_close_proposal(u, s.open, today=TODAY),
    "close network": lambda u, s: permissions.can_close_proposal(u, s.network_open,
                                                                 today=TODAY),
    "ratify": lambda u, s: permissions.can_ratify_decision(u, s.decision, today=TODAY),
    "ratify network": lambda u, s: permissions.can_ratify_decision(u, s.network_decision,
                                                                   today=TODAY),
    "plan meeting": lambda u, s: permissions.can_plan_meeting_in(u, s.kpa, today=TODAY),
    "run meeting": lambda u, s: permissions.can_manage_meeting(u, s.meeting, today=TODAY),
    "run network meeting": lambda u, s: permissions.can_manage_meeting(u, s.network_meeting,
                                                                       today=TODAY),
}

AUTHOR_OR_LEADS = {"cooperant", "referent", "animateur", "admin"}
ANIMATEUR = {"animateur", "admin"}
COORDINATORS = {"coordinateur", "admin"}
MEETING_LEADS = {"referent", "animateur", "admin"}


def expected(level: str) -> dict[str, set[str]]:
    """Who passes each gate when the home KPA is at `level`."""
    autonomous = level == AUTONOMOUS
    return {
        # Anyone who may open asks: outside autonomy the opening then waits for an animateur.
        "open": AUTHOR_OR_LEADS,
        "open network": COORDINATORS,
        "approve": ANIMATEUR,
        "close": AUTHOR_OR_LEADS if autonomous else ANIMATEUR,
        "close network": COORDINATORS,
        # An autonomous KPA's outcomes take effect without anyone's ratification.
        "ratify": set() if autonomous else ANIMATEUR,
        "ratify network": set(),
        "plan meeting": MEETING_LEADS | ({"cooperant", "cooperant2"} if autonomous else set()),
        "run meeting": MEETING_LEADS | ({"cooperant", "cooperant2"} if autonomous else set()),
        "run network meeting": COORDINATORS,
    }


def users(cast: Cast) -> dict[str, AnyUser]:
    second = add_cooperant(cast.home, "cooperant2")
    assert second.user is not None
    found: dict[str, AnyUser] = {"cooperant2": second.user, "anonymous": AnonymousUser()}
    for persona in PERSONAS:
        if persona not in found:
            found[persona] = cast.user(persona)
    return found


def allowed(gate: Gate, scene: Scene, logins: dict[str, AnyUser]) -> set[str]:
    return {persona for persona, user in logins.items() if gate(user, scene)}


@pytest.mark.parametrize("level", LEVELS)
def test_each_gate_lets_through_exactly_the_expected_personas(cast: Cast, level: str) -> None:
    scene = build_scene(cast, level)
    logins = users(cast)
    table = expected(level)
    assert set(table) == set(GATES)

    wrong = {name: {"allowed": sorted(allowed(gate, scene, logins)),
                    "expected": sorted(table[name])}
             for name, gate in GATES.items() if allowed(gate, scene, logins) != table[name]}

    assert not wrong


@pytest.mark.parametrize("level", LEVELS)
def test_a_proposal_or_decision_in_the_wrong_state_passes_no_gate(cast: Cast,
                                                                  level: str) -> None:
    scene = build_scene(cast, level)
    logins = users(cast)
    wrong_state: dict[str, Gate] = {
        "open an open vote": lambda u, s: permissions.can_open_proposal(u, s.open, today=TODAY),
        "open a waiting vote": lambda u, s: permissions.can_open_proposal(u, s.awaiting,
                                                                          today=TODAY),
        "approve a draft": lambda u, s: permissions.can_approve_opening(u, s.draft,
                                                                        today=TODAY),
        "approve an open vote": lambda u, s: permissions.can_approve_opening(u, s.open,
                                                                             today=TODAY),
        "close a draft": lambda u, s: permissions.can_close_proposal(u, s.draft, today=TODAY),
        "close a closed vote": lambda u, s: permissions.can_close_proposal(u, s.closed,
                                                                           today=TODAY),
        "ratify twice": lambda u, s: permissions.can_ratify_decision(u, s.ratified,
                                                                     today=TODAY),
    }

    passed = {name: sorted(allowed(gate, scene, logins))
              for name, gate in wrong_state.items() if allowed(gate, scene, logins)}

    assert not passed


def test_a_lead_whose_role_ended_passes_no_gate(cast: Cast) -> None:
    from kpa.directory.models import Role

    scene = build_scene(cast, AUTONOMOUS)
    Role.objects.filter(person=cast.animateur, kpa=cast.home).update(ends_on=TODAY)
    animateur = cast.user("animateur")

    assert not any(gate(animateur, scene) for gate in GATES.values())
    yesterday = TODAY - dt.timedelta(days=1)
    assert permissions.can_close_proposal(animateur, scene.open, today=yesterday)
