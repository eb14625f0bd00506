"""Test helpers for governance: proposals built through the real services, electors, ballots.

`make_proposal(cast, method="majority", now=NOW)` gives an OPEN proposal of `cast.home` whose
electors are frozen (with the conftest cast: the coopérants `cooperant` and `quiet_cooperant`).
Pass a `Kpa` or a `Network` instead of the cast (then give `actor=` unless the scope has a lead
with a login), `opened=False` for a draft, and any `create_proposal` keyword in `**fields`.
In a supervised or accompanied KPA the helper asks for the opening and has an animateur of the
KPA (or the administrator) approve it, so that the proposal is open either way.

`cast_ballot` writes a ballot with the ORM, without the rules of `ballots.py`: closing tests use
it to set up exact figures.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User

from kpa.directory.models import Kpa, Network, Person, Role, RoleKind
from kpa.directory.tests.factories import give_role, person_with_login
from kpa.governance.models import (
    Ballot,
    BallotGrade,
    BallotSelection,
    Elector,
    Method,
    Objection,
    Proposal,
    ProposalOption,
)

if TYPE_CHECKING:
    from conftest import Cast

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# 10:00 on conftest's TODAY (2026-11-28), when the cast's roles have all begun.
NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
DEFAULT_OPTIONS = ("Option A", "Option B", "Option C")


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware time in Paris on `day`."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def _lead_user(kpa: Kpa, kinds: Sequence[str], day: dt.date) -> User | None:
    role = (Role.objects.current(day)
            .filter(kpa=kpa, kind__in=list(kinds), person__user__isnull=False,
                    person__user__is_active=True)
            .select_related("person__user").order_by("id").first())
    return role.person.user if role is not None else None


def _coordinator_user(network: Network, day: dt.date) -> User | None:
    role = (Role.objects.current(day)
            .filter(network=network, kind=RoleKind.COORDINATEUR, person__user__isnull=False)
            .select_related("person__user").order_by("id").first())
    return role.person.user if role is not None else None


def _admin_user() -> User:
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if admin is None:
        admin = User.objects.create_superuser("gov-admin", "gov-admin@example.org", "x")
    return admin


def make_proposal(
    cast_or_kpa: Cast | Kpa | Network,
    *,
    method: str,
    options: Sequence[str] = (),
    now: dt.datetime = NOW,
    opened: bool = True,
    **fields: Any,
) -> Proposal:
    """A proposal built with `proposals.create_proposal` (then opened, unless `opened=False`).

    `fields` go to `create_proposal` (title, body, quorum_percent, secret, group, network,
    closes_at, …); `actor=` sets the author (default: the cast's référent in a KPA, its
    coordinator in the network). Judgment and choice get three options when none are given.
    """
    from kpa.governance import proposals

    actor: User | None = fields.pop("actor", None)
    day = dt.date(now.year, now.month, now.day)
    network: Network | None = fields.pop("network", None)
    kpa: Kpa | None = fields.pop("kpa", None)
    if isinstance(cast_or_kpa, Network):
        network = cast_or_kpa
    elif isinstance(cast_or_kpa, Kpa):
        kpa = kpa or cast_or_kpa
    elif network is None:
        kpa = kpa or cast_or_kpa.home
        if actor is None and kpa == cast_or_kpa.home:
            actor = cast_or_kpa.user("referent")
    if network is not None:
        kpa = None
        actor = actor or _coordinator_user(network, day) or _admin_user()
    else:
        assert kpa is not None
        actor = actor or _lead_user(kpa, [RoleKind.REFERENT, RoleKind.ANIMATEUR], day) \
            or _admin_user()
    if not options and method in (Method.JUDGMENT, Method.CHOICE):
        options = DEFAULT_OPTIONS
    fields.setdefault("title", f"Proposition {method}")
    fields.setdefault("body", "Le texte de la proposition.")
    fields.setdefault("closes_at", now + dt.timedelta(days=7))
    proposal = proposals.create_proposal(actor=actor, now=now, method=method, kpa=kpa,
                                         network=network, options=options, **fields)
    if not opened:
        return proposal
    proposal = proposals.open_proposal(proposal, actor=actor, now=now)
    if proposal.status == Proposal.Status.AWAITING_APPROVAL:
        assert proposal.kpa is not None
        approver = _lead_user(proposal.kpa, [RoleKind.ANIMATEUR], day) or _admin_user()
        proposal = proposals.approve_opening(proposal, actor=approver, now=now)
    return proposal


def make_autonomous(kpa: Kpa) -> Kpa:
    kpa.autonomy = Kpa.Autonomy.AUTONOMOUS
    kpa.save(update_fields=["autonomy"])
    return kpa


def add_cooperant(kpa: Kpa, username: str, *, starts_on: dt.date = dt.date(2026, 1, 5),
                  ends_on: dt.date | None = None) -> Person:
    """A new coopérant of `kpa`, with a login, from `starts_on` (to `ends_on`, excluded)."""
    person = person_with_login(username, first_name=username.capitalize(), last_name="Test")
    give_role(person, RoleKind.COOPERANT, kpa, starts_on=starts_on, ends_on=ends_on)
    return person


def user_of(person: Person) -> User:
    """The login of a person who has one."""
    assert person.user is not None
    return person.user


def voter(cast: Cast, persona: str, *, kpa: Kpa | None = None) -> User:
    """The login of a cast persona made coopérant of `kpa` (default: the home KPA) since the
    cast's roles began, so that votes opened afterwards count them as electors."""
    person: Person = getattr(cast, persona)
    give_role(person, RoleKind.COOPERANT, kpa or cast.home, starts_on=dt.date(2026, 1, 5))
    return cast.user(persona)


def elector_of(proposal: Proposal, who: Person | Kpa) -> Elector:
    """The frozen elector row of a person (KPA proposal) or a KPA (network proposal)."""
    if isinstance(who, Kpa):
        return Elector.objects.get(proposal=proposal, kpa=who)
    return Elector.objects.get(proposal=proposal, person=who)


def option(proposal: Proposal, label: str) -> ProposalOption:
    return ProposalOption.objects.get(proposal=proposal, label=label)


def cast_ballot(
    proposal: Proposal,
    who: Person | Kpa,
    *,
    choice: str = "",
    grades: Mapping[str, int] | None = None,
    chosen: Sequence[str] = (),
) -> Ballot:
    """A ballot written straight into the database (no rules checked): `choice` for majority
    and consent, `grades` {option label: grade 0 to 6} for judgment, `chosen` option labels for a
    choice. Marks the elector as having voted; a secret ballot is not linked to them."""
    elector = elector_of(proposal, who)
    elector.has_voted = True
    elector.save(update_fields=["has_voted"])
    ballot = Ballot.objects.create(proposal=proposal, choice=choice,
                                   elector=None if proposal.secret else elector)
    for label, grade in (grades or {}).items():
        BallotGrade.objects.create(ballot=ballot, option=option(proposal, label), grade=grade)
    for label in chosen:
        BallotSelection.objects.create(ballot=ballot, option=option(proposal, label))
    return ballot


def object_to(proposal: Proposal, who: Person, argument: str = "Cela nous met en danger.",
              *, status: str = Objection.Status.OPEN) -> Objection:
    """An objection written straight into the database."""
    return Objection.objects.create(proposal=proposal, elector=elector_of(proposal, who),
                                    argument=argument, status=status)
