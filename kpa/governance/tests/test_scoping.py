"""Every read of governance starts from `scoping`: each `*_visible_to` returns exactly the rows
of the user's KPAs and networks, for each persona.

The world: the home KPA and the outsider's KPA (`elsewhere`) in the cast's network, and a far
network with its own KPA. Each KPA has a proposal, a decision, a meeting, a charter version and
a self-assessment; each network has a proposal, a decision, a meeting and a framework version.
Rows are written with the ORM: only who sees them is under test here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model, QuerySet

from conftest import TODAY, Cast
from kpa.core.auth import AnyUser
from kpa.directory.models import Kpa, Network, Person, RoleKind
from kpa.directory.tests.factories import (
    KpaFactory,
    NetworkFactory,
    StructureFactory,
    give_role,
    person_with_login,
)
from kpa.governance import scoping
from kpa.governance.models import (
    CharterVersion,
    Decision,
    FrameworkVersion,
    Meeting,
    Method,
    Proposal,
    SelfAssessment,
)
from kpa.governance.tests.factories import NOW

# The scopes every row belongs to: "home", "elsewhere", "far" (KPAs), "net", "farnet" (networks).
ALL_KPAS = {"home", "elsewhere", "far"}
ALL_NETWORKS = {"net", "farnet"}


@dataclass
class World:
    kpas: dict[str, Kpa]
    networks: dict[str, Network]
    # label → pk, per model
    rows: dict[type[Model], dict[str, int]]

    def labels(self, model: type[Model], queryset: QuerySet[Any]) -> set[str]:
        by_pk = {pk: label for label, pk in self.rows[model].items()}
        return {by_pk[pk] for pk in queryset.values_list("pk", flat=True)}


def _kpa_rows(kpa: Kpa, author: Person, version: FrameworkVersion, number: int) -> dict[
        type[Model], int]:
    return {
        Proposal: Proposal.objects.create(kpa=kpa, author=author, title="P",
                                          method=Method.MAJORITY).pk,
        Decision: Decision.objects.create(kpa=kpa, number=number, title="D",
                                          source=Decision.Source.SHOW_OF_HANDS,
                                          outcome=Proposal.Outcome.ADOPTED,
                                          decided_on=TODAY).pk,
        Meeting: Meeting.objects.create(kpa=kpa, title="M", starts_at=NOW,
                                        ends_at=NOW + dt.timedelta(hours=1),
                                        created_by=author).pk,
        CharterVersion: CharterVersion.objects.create(kpa=kpa, number=1, body="Charte",
                                                      created_by=author).pk,
        SelfAssessment: SelfAssessment.objects.create(kpa=kpa, version=version,
                                                      created_by=author).pk,
    }


def _network_rows(network: Network, author: Person,
                  version: FrameworkVersion) -> dict[type[Model], int]:
    return {
        Proposal: Proposal.objects.create(network=network, author=author, title="P",
                                          method=Method.MAJORITY).pk,
        Decision: Decision.objects.create(network=network, number=1, title="D",
                                          source=Decision.Source.PROPOSAL,
                                          outcome=Proposal.Outcome.ADOPTED,
                                          decided_on=TODAY).pk,
        Meeting: Meeting.objects.create(network=network, title="M", starts_at=NOW,
                                        ends_at=NOW + dt.timedelta(hours=1),
                                        created_by=author).pk,
        FrameworkVersion: version.pk,
    }


@pytest.fixture
def world(cast: Cast) -> World:
    farnet = NetworkFactory.create(name="Réseau lointain")
    far = KpaFactory.create(network=farnet, carrying_structure=StructureFactory.create(
        network=farnet))
    kpas = {"home": cast.home, "elsewhere": cast.elsewhere, "far": far}
    networks = {"net": cast.network, "farnet": farnet}
    versions = {label: FrameworkVersion.objects.create(network=network, label="Cadre")
                for label, network in networks.items()}
    rows: dict[type[Model], dict[str, int]] = {
        model: {} for model in (Proposal, Decision, Meeting, CharterVersion, SelfAssessment,
                                FrameworkVersion)}
    for label, kpa in kpas.items():
        version = versions["farnet" if label == "far" else "net"]
        for model, pk in _kpa_rows(kpa, cast.referent, version, 1).items():
            rows[model][label] = pk
    for label, network in networks.items():
        for model, pk in _network_rows(network, cast.coordinateur,
                                              versions[label]).items():
            rows[model][label] = pk
    return World(kpas=kpas, networks=networks, rows=rows)


def former_member(cast: Cast) -> User:
    """A coopérant of the home KPA whose role ended yesterday."""
    person = person_with_login("former")
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 1, 5),
              ends_on=TODAY)
    assert person.user is not None
    return person.user


def user_of(cast: Cast, persona: str) -> AnyUser:
    if persona == "anonymous":
        return AnonymousUser()
    if persona == "former":
        return former_member(cast)
    return cast.user(persona)


HOME_MEMBER = {"kpa": {"home"}, "network": {"net"}}
# What each persona sees: KPA-scoped rows of these KPAs, network-scoped rows of these networks.
SEES: dict[str, dict[str, set[str]]] = {
    "cooperant": HOME_MEMBER,
    "referent": HOME_MEMBER,
    "animateur": HOME_MEMBER,
    "accompagnateur": HOME_MEMBER,
    "benevole": HOME_MEMBER,
    # The structure's staff hold no role in a KPA: no KPA's governance, no network's either.
    "gestionnaire": {"kpa": set(), "network": set()},
    "comptable": {"kpa": set(), "network": set()},
    "coordinateur": {"kpa": set(), "network": {"net"}},
    "outsider": {"kpa": {"elsewhere"}, "network": {"net"}},
    "admin": {"kpa": ALL_KPAS, "network": ALL_NETWORKS},
    "anonymous": {"kpa": set(), "network": set()},
    "former": {"kpa": set(), "network": set()},
}
# The network's coordinators read the self-assessments of its KPAs (against its framework).
ASSESSMENTS_SEEN = {"coordinateur": {"home", "elsewhere"}}

Reader = Callable[..., QuerySet[Any]]


@pytest.mark.parametrize(("model", "reader", "scopes"), [
    (Proposal, scoping.proposals_visible_to, ("kpa", "network")),
    (Decision, scoping.decisions_visible_to, ("kpa", "network")),
    (Meeting, scoping.meetings_visible_to, ("kpa", "network")),
    (CharterVersion, scoping.charter_versions_visible_to, ("kpa",)),
    (FrameworkVersion, scoping.framework_versions_visible_to, ("network",)),
    (SelfAssessment, scoping.assessments_visible_to, ("kpa",)),
], ids=["proposals", "decisions", "meetings", "charter", "framework", "assessments"])
def test_each_reader_returns_exactly_each_persona_s_rows(
        cast: Cast, world: World, model: type[Model], reader: Reader,
        scopes: tuple[str, ...]) -> None:
    wrong = {}
    for persona, sees in SEES.items():
        expected = set().union(*(sees[scope] for scope in scopes))
        if model is SelfAssessment:
            expected |= ASSESSMENTS_SEEN.get(persona, set())
        found = world.labels(model, reader(user_of(cast, persona), today=TODAY))
        if found != expected:
            wrong[persona] = {"found": sorted(found), "expected": sorted(expected)}
    assert not wrong


def test_governed_kpas_and_networks_follow_the_same_reach(cast: Cast, world: World) -> None:
    wrong = {}
    for persona, sees in SEES.items():
        user = user_of(cast, persona)
        kpas = set(scoping.governed_kpas(user, today=TODAY).values_list("pk", flat=True))
        networks = set(scoping.networks_of(user, today=TODAY).values_list("pk", flat=True))
        found = ({label for label, kpa in world.kpas.items() if kpa.pk in kpas},
                 {label for label, net in world.networks.items() if net.pk in networks})
        if found != (sees["kpa"], sees["network"]):
            wrong[persona] = found
    assert not wrong


def test_a_role_that_starts_tomorrow_shows_nothing_yet(cast: Cast, world: World) -> None:
    person = person_with_login("newcomer")
    give_role(person, RoleKind.COOPERANT, cast.home, starts_on=TODAY + dt.timedelta(days=1))
    assert person.user is not None
    assert not scoping.proposals_visible_to(person.user, today=TODAY).exists()
    tomorrow = scoping.proposals_visible_to(person.user, today=TODAY + dt.timedelta(days=1))
    assert world.labels(Proposal, tomorrow) == {"home", "net"}


def test_a_member_of_two_kpas_of_two_networks_sees_both(cast: Cast, world: World) -> None:
    give_role(cast.cooperant, RoleKind.BENEVOLE, world.kpas["far"],
              starts_on=dt.date(2026, 1, 5))
    user = cast.user("cooperant")
    assert world.labels(Proposal, scoping.proposals_visible_to(user, today=TODAY)) == {
        "home", "far", "net", "farnet"}
    assert world.labels(FrameworkVersion,
                        scoping.framework_versions_visible_to(user, today=TODAY)) == {
        "net", "farnet"}
