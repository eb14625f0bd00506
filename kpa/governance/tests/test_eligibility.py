"""Who may vote: frozen at opening, coopérants only, charter policy, one KPA = one vote."""

from __future__ import annotations

import datetime as dt

from conftest import TODAY
from kpa.directory.models import Kpa, RoleKind
from kpa.directory.tests.factories import (
    KpaFactory,
    NetworkFactory,
    StructureFactory,
    give_role,
)
from kpa.governance import eligibility
from kpa.governance.models import (
    CharterAcknowledgement,
    CharterPolicy,
    CharterVersion,
    Decision,
    WorkingGroup,
)
from kpa.governance.tests.factories import NOW, add_cooperant, make_autonomous, make_proposal


def electors(proposal):
    return set(proposal.electors.values_list("person_id", flat=True))


def test_only_current_cooperants_vote(cast):
    make_autonomous(cast.home)
    proposal = make_proposal(cast, method="majority")
    # référent, animateur, bénévole, accompagnateur hold other roles: they do not vote
    assert electors(proposal) == {cast.cooperant.pk, cast.quiet_cooperant.pk}


def test_electors_are_frozen_at_opening(cast):
    make_autonomous(cast.home)
    leaving = add_cooperant(cast.home, "leaving", ends_on=TODAY + dt.timedelta(days=1))
    proposal = make_proposal(cast, method="majority")
    newcomer = add_cooperant(cast.home, "newcomer", starts_on=TODAY + dt.timedelta(days=1))
    later = TODAY + dt.timedelta(days=3)
    # The newcomer is a coopérant and the leaver no longer is, three days on…
    assert newcomer in eligibility.eligible_persons(cast.home, today=later)
    assert leaving not in eligibility.eligible_persons(cast.home, today=later)
    # …but the proposal keeps the electors of its opening day.
    eligibility.freeze_electors(proposal, today=later)  # a second freeze removes nobody
    assert leaving.pk in electors(proposal)


def test_role_starting_after_opening_is_not_an_elector(cast):
    make_autonomous(cast.home)
    newcomer = add_cooperant(cast.home, "newcomer", starts_on=TODAY + dt.timedelta(days=1))
    proposal = make_proposal(cast, method="majority")
    assert newcomer.pk not in electors(proposal)


def test_working_group_votes_among_its_cooperant_members(cast):
    make_autonomous(cast.home)
    group = WorkingGroup.objects.create(kpa=cast.home, name="Fournil")
    group.members.add(cast.cooperant, cast.referent)
    proposal = make_proposal(cast, method="majority", group=group)
    assert electors(proposal) == {cast.cooperant.pk}


def adopted_charter(cast):
    decision = Decision.objects.create(kpa=cast.home, number=1, title="Charte", source="proposal",
                                       outcome="adopted", decided_on=TODAY)
    return CharterVersion.objects.create(kpa=cast.home, number=1, body="Charte",
                                         status=CharterVersion.Status.ADOPTED, decision=decision,
                                         adopted_on=TODAY, created_by=cast.referent)


def test_charter_policy_blocks_who_has_not_acknowledged(cast):
    make_autonomous(cast.home)
    version = adopted_charter(cast)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    CharterPolicy.objects.create(structure=cast.cae, acknowledgement_required=True)
    assert eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    CharterAcknowledgement.objects.create(version=version, person=cast.cooperant,
                                          acknowledged_at=NOW)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    assert eligibility.charter_blocks_vote(cast.quiet_cooperant.pk, cast.home, today=TODAY)
    proposal = make_proposal(cast, method="majority")
    assert electors(proposal) == {cast.cooperant.pk}


def test_policy_without_an_adopted_charter_blocks_nobody(cast):
    CharterPolicy.objects.create(structure=cast.cae, acknowledgement_required=True)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)
    assert eligibility.eligible_persons(cast.home, today=TODAY).count() == 2


def test_policy_of_another_structure_does_not_apply(cast):
    adopted_charter(cast)
    CharterPolicy.objects.create(structure=cast.other_structure, acknowledgement_required=True)
    assert not eligibility.charter_blocks_vote(cast.cooperant.pk, cast.home, today=TODAY)


def test_network_electors_are_its_starting_and_active_kpas(cast):
    starting = KpaFactory.create(network=cast.network, name="KPA Lancement",
                                 carrying_structure=cast.cae, status=Kpa.Status.STARTING)
    for status in (Kpa.Status.PROJECT, Kpa.Status.PAUSED, Kpa.Status.CLOSED):
        KpaFactory.create(network=cast.network, name=f"KPA {status}",
                          carrying_structure=cast.cae, status=status)
    other_network = NetworkFactory.create(name="Autre réseau")
    KpaFactory.create(name="KPA d'un autre réseau", network=other_network,
                      carrying_structure=StructureFactory.create(network=other_network))
    proposal = make_proposal(cast, method="majority", network=cast.network)
    assert set(proposal.electors.values_list("kpa_id", flat=True)) == {
        cast.home.pk, cast.elsewhere.pk, starting.pk}
    assert not proposal.electors.filter(person__isnull=False).exists()


def test_a_person_with_two_cooperant_roles_is_one_elector(cast):
    make_autonomous(cast.home)
    give_role(cast.cooperant, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 3, 1))
    proposal = make_proposal(cast, method="majority")
    assert proposal.electors.filter(person=cast.cooperant).count() == 1
