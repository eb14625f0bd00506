"""Who may vote on a proposal, frozen into `Elector` rows when it opens.

- In a KPA: the persons holding a current coopérant role in that KPA on the opening day (in a
  working group: those of its members who are such coopérants), minus those the charter policy
  holds back (`charter_blocks_vote`).
- In the network: its KPAs whose status is "en lancement" or "actif", one row each ("un KPA =
  une voix").

Frozen means frozen: a role that ends after the opening does not remove an elector, and a role
that starts after it does not add one.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from kpa.directory.models import Kpa, Network, Person, Role, RoleKind
from kpa.governance.models import (
    CharterAcknowledgement,
    CharterPolicy,
    CharterVersion,
    Elector,
    Proposal,
    WorkingGroup,
)

VOTING_KPA_STATUSES = (Kpa.Status.STARTING, Kpa.Status.ACTIVE)


def _charter_to_acknowledge(kpa: Kpa, today: dt.date) -> CharterVersion | None:
    """The KPA's adopted charter when its structure makes acknowledging it a condition of the
    vote; None when nothing holds anyone back."""
    required = CharterPolicy.objects.filter(structure_id=kpa.carrying_structure_id,
                                            acknowledgement_required=True).exists()
    if not required:
        return None
    return (CharterVersion.objects
            .filter(kpa=kpa, status=CharterVersion.Status.ADOPTED, adopted_on__lte=today)
            .first())


def charter_blocks_vote(person_id: int, kpa: Kpa, *, today: dt.date) -> bool:
    """True when the structure requires acknowledging the KPA's adopted charter and the person
    has not acknowledged it."""
    version = _charter_to_acknowledge(kpa, today)
    if version is None:
        return False
    return not CharterAcknowledgement.objects.filter(version=version,
                                                     person_id=person_id).exists()


def eligible_persons(kpa: Kpa, *, today: dt.date,
                     group: WorkingGroup | None = None) -> QuerySet[Person]:
    cooperants = (Role.objects.current(today)
                  .filter(kpa=kpa, kind=RoleKind.COOPERANT).values("person_id"))
    persons = Person.objects.filter(pk__in=cooperants)
    if group is not None:
        persons = persons.filter(pk__in=group.members.values("pk"))
    version = _charter_to_acknowledge(kpa, today)
    if version is not None:
        persons = persons.filter(pk__in=CharterAcknowledgement.objects
                                 .filter(version=version).values("person_id"))
    return persons


def eligible_kpas(network: Network, *, today: dt.date) -> QuerySet[Kpa]:
    """The network's voting members. `today` is kept for symmetry: a KPA's status has no
    history, so the one it has when the vote opens is the one that counts."""
    return Kpa.objects.filter(network=network, status__in=VOTING_KPA_STATUSES)


def freeze_electors(proposal: Proposal, *, today: dt.date) -> int:
    """Write the electors of `proposal` as of `today`; returns how many. Called once, when the
    proposal opens (a second call adds nobody twice, but nobody is removed either)."""
    already_person = set(proposal.electors.exclude(person=None)
                         .values_list("person_id", flat=True))
    already_kpa = set(proposal.electors.exclude(kpa=None).values_list("kpa_id", flat=True))
    if proposal.network is not None:
        kpa_ids = eligible_kpas(proposal.network, today=today).values_list("pk", flat=True)
        rows = [Elector(proposal=proposal, kpa_id=pk) for pk in kpa_ids if pk not in already_kpa]
    else:
        assert proposal.kpa is not None
        person_ids = eligible_persons(proposal.kpa, today=today,
                                      group=proposal.group).values_list("pk", flat=True)
        rows = [Elector(proposal=proposal, person_id=pk) for pk in person_ids
                if pk not in already_person]
    Elector.objects.bulk_create(rows)
    return proposal.electors.count()
