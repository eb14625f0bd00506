"""The evidence the platform suggests for a KPA's self-assessment: one plain French sentence per
key, read from the platform's own rows, in four queries however much data there is."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from conftest import TODAY, Cast
from kpa.directory.models import Activity, RoleKind
from kpa.directory.tests.factories import ActivityFactory, PersonFactory, give_role
from kpa.governance import evidence, framework_2024
from kpa.governance.models import (
    CharterVersion,
    Decision,
    Elector,
    Meeting,
    Proposal,
)
from kpa.governance.tests.factories import at
from kpa.journey.models import Contract, Journey, JourneyStatus
from kpa.ledger.models import FiscalYear, TreasuryAccount


def home_decision(cast: Cast, number: int, decided_on: dt.date) -> Decision:
    return Decision.objects.create(kpa=cast.home, number=number, title=f"Décision {number}",
                                   source=Decision.Source.PROPOSAL, outcome="adopted",
                                   decided_on=decided_on)


def adopted_charter(cast: Cast, number: int, adopted_on: dt.date) -> CharterVersion:
    return CharterVersion.objects.create(
        kpa=cast.home, number=number, body="Notre charte", status="adopted",
        decision=home_decision(cast, 100 + number, adopted_on), adopted_on=adopted_on,
        created_by=cast.referent)


def contract_of(cast: Cast, *, starts_on: dt.date, ends_on: dt.date,
                status: str = Contract.Status.SIGNED) -> Contract:
    journey = Journey.objects.create(person=PersonFactory.create(), kpa=cast.home,
                                     structure=cast.cae, status=JourneyStatus.ACTIVE,
                                     status_since=timezone.now())
    return Contract.objects.create(
        journey=journey, period_number=1, starts_on=starts_on, ends_on=ends_on, status=status,
        pdf=b"%PDF", pdf_sha256=hashlib.sha256(b"%PDF").hexdigest(), issued_at=timezone.now(),
        issued_by=cast.user("referent"))


def fill_the_platform(cast: Cast) -> None:
    """Rows of every kind the evidence reads, with look-alikes that must not count."""
    adopted_charter(cast, 3, dt.date(2026, 3, 2))
    second = PersonFactory.create()
    give_role(second, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 1, 5))
    for code, person in (("411COOP", cast.cooperant), ("411SEC", second),
                         ("411REF", cast.referent)):  # the référent is no coopérant
        TreasuryAccount.objects.create(structure=cast.cae, code=code, label=code,
                                       kind="individual", person=person)
    friperie = ActivityFactory.create(kpa=cast.home, name="La Friperie")
    ActivityFactory.create(kpa=cast.home, name="Couture Awa", kind=Activity.Kind.INDIVIDUAL)
    ActivityFactory.create(kpa=cast.home, name="Fermée", ended_on=dt.date(2026, 6, 1))
    TreasuryAccount.objects.create(structure=cast.cae, code="FRIP", label="Friperie",
                                   kind="collective", activity=friperie)
    TreasuryAccount.objects.create(structure=cast.cae, code="POT", label="Caisse",
                                   kind="common", kpa=cast.home)
    FiscalYear.objects.create(structure=cast.cae, starts_on=dt.date(2025, 1, 1),
                              ends_on=dt.date(2026, 1, 1), status="closed")
    FiscalYear.objects.create(structure=cast.cae, starts_on=dt.date(2026, 1, 1),
                              ends_on=dt.date(2027, 1, 1))
    contract_of(cast, starts_on=dt.date(2026, 2, 1), ends_on=dt.date(2027, 2, 1))
    contract_of(cast, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2026, 1, 1))  # over
    contract_of(cast, starts_on=dt.date(2026, 11, 1), ends_on=dt.date(2027, 11, 1),
                status=Contract.Status.SENT)  # not signed yet
    home_decision(cast, 1, dt.date(2026, 10, 1))
    home_decision(cast, 2, dt.date(2025, 10, 1))  # more than a year ago
    for day in (dt.date(2026, 9, 1), dt.date(2025, 6, 1)):
        Meeting.objects.create(kpa=cast.home, title="AG", starts_at=at(day),
                               ends_at=at(day, 12), created_by=cast.referent)
    network_vote = Proposal.objects.create(network=cast.network, author=cast.coordinateur,
                                           title="Cotisation", method="majority",
                                           status="closed")
    Elector.objects.create(proposal=network_vote, kpa=cast.home, has_voted=True)
    cast.home.local_structure = cast.other_structure
    cast.home.save()


def test_an_empty_kpa_gets_plain_noes(cast: Cast) -> None:
    cast.elsewhere.refresh_from_db()
    found = evidence.suggest_evidence(cast.elsewhere, today=TODAY)
    assert set(found) == set(framework_2024.EVIDENCE_KEYS)
    assert found["charter"] == "Pas encore de charte adoptée"
    assert found["individual_treasury"] == "Suivi de trésorerie individuelle : non"
    assert found["collective_treasury"] == "Suivi de trésorerie collective : non"
    assert found["cape"] == "Aucun contrat CAPE en cours"
    assert found["place"] == "Pas encore de lieu enregistré"
    assert found["local_structure"] == "Pas de structure locale de l'ESS renseignée"
    assert "ne tient pas encore ses comptes" in found["books"]


def test_the_platform_says_what_it_sees_of_a_kpa(cast: Cast) -> None:
    fill_the_platform(cast)
    found = evidence.suggest_evidence(cast.home, today=TODAY)
    assert found["charter"] == "Charte adoptée : v3 le 2 mars 2026"
    assert found["individual_treasury"] == "Suivi de trésorerie individuelle : oui (2 comptes)"
    assert found["collective_treasury"] == (
        "Suivi de trésorerie collective : oui (1 activité collective, la caisse commune du KPA)")
    assert found["books"] == ("Comptes tenus sur la plateforme par CAE Zorglub : 2 exercices, "
                              "dont 1 clôturé (comptes annuels)")
    assert found["cape"] == "Contrat CAPE en cours : 1"
    assert found["activities"] == (
        "Activités ouvertes : 2 (individuelles : 1, collectives : 1)")
    # The charter's adoption in March is a decision of the year too.
    assert found["governance"] == "Décisions inscrites au registre ces 12 derniers mois : 2"
    assert found["meetings"] == "Réunion tenue ces 12 derniers mois : 1"
    assert found["place"] == "Lieu partagé : 1"
    assert found["network"] == "A voté sur 1 proposition du réseau"
    assert found["accompaniment"] == "Accompagnateur·rice en poste : 1"
    assert found["local_structure"] == "Structure locale de l'ESS : Association Ailleurs"


def test_the_suggestion_costs_four_queries_whatever_the_data(
        cast: Cast, django_assert_num_queries: pytest.FixtureRequest) -> None:
    with django_assert_num_queries(4):  # type: ignore[operator]
        evidence.suggest_evidence(cast.home, today=TODAY)
    fill_the_platform(cast)
    for n in range(5):
        ActivityFactory.create(kpa=cast.home, name=f"Atelier {n}")
        home_decision(cast, 10 + n, dt.date(2026, 5, 1))
    with django_assert_num_queries(4):  # type: ignore[operator]
        evidence.suggest_evidence(cast.home, today=TODAY)


def test_another_kpa_s_rows_never_count_for_this_one(cast: Cast) -> None:
    fill_the_platform(cast)
    found = evidence.suggest_evidence(cast.elsewhere, today=TODAY)
    assert found["charter"] == "Pas encore de charte adoptée"
    assert found["cape"] == "Aucun contrat CAPE en cours"
    assert found["network"] == "N'a pas encore voté sur une proposition du réseau"
    assert found["governance"] == "Aucune décision inscrite au registre ces 12 derniers mois"
