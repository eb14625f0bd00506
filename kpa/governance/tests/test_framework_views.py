"""The framework pages on a phone: the framework in force and its versions (fixed query
counts), a coordinator's draft edited then put to the network's vote, the self-assessment with
the platform's suggestions, the coordinators' overview, the delegate page; 404 out of reach,
403 for what one sees but may not do."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.directory.models import RoleKind
from kpa.directory.tests.factories import (
    KpaFactory,
    NetworkFactory,
    StructureFactory,
    give_role,
    person_with_login,
)
from kpa.governance import framework
from kpa.governance.models import (
    FrameworkCriterion,
    FrameworkVersion,
    NetworkDelegate,
    Proposal,
    SelfAssessment,
)
from kpa.governance.tests.factories import NOW


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


@pytest.fixture
def version(cast: Cast) -> FrameworkVersion:
    return framework.install_framework(cast.network, actor=None)


def as_persona(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("&quot;", '"').split())


def url(name: str, *args: int) -> str:
    return reverse(f"governance:{name}", args=args)


def stranger(client: Client) -> Client:
    """A référent of a KPA in another network."""
    network = NetworkFactory.create(name="Un autre réseau")
    kpa = KpaFactory.create(network=network, name="KPA lointain",
                            carrying_structure=StructureFactory.create(network=network))
    person = person_with_login("lointaine", first_name="Lou", last_name="Loin")
    give_role(person, RoleKind.REFERENT, kpa, starts_on=dt.date(2026, 1, 5))
    assert person.user is not None
    client.force_login(person.user)
    return client


def test_every_member_reads_the_framework_in_force_pillar_by_pillar(
        cast: Cast, client: Client, version: FrameworkVersion,
        django_assert_max_num_queries: Any) -> None:
    as_persona(client, cast, "cooperant")
    assert client.get(url("framework_index")).url == url("framework_home", cast.network.pk)
    with django_assert_max_num_queries(12):
        page = client.get(url("framework_home", cast.network.pk))
    assert page.status_code == 200
    text = text_of(page)
    assert "Cadre d'un KPA — 6 décembre 2024" in text
    assert "2.3 Une charte collective est mise en place pour les coopérants" in text
    assert "5. En coopération nationale" in text
    assert "[modifier" not in text
    assert "Auto-évaluation de KPA Zorglub" in text


def test_the_versions_list_costs_fixed_queries(cast: Cast, client: Client,
                                               version: FrameworkVersion,
                                               django_assert_max_num_queries: Any) -> None:
    for n in range(3):
        framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                            label=f"Projet {n}", today=TODAY)
    as_persona(client, cast, "coordinateur")
    with django_assert_max_num_queries(8):
        page = client.get(url("framework_versions", cast.network.pk))
    assert page.status_code == 200
    assert text_of(page).count("Projet pas encore soumis au vote.") == 3
    assert "Préparer une modification du cadre" in text_of(page)


def test_another_network_s_framework_does_not_exist(cast: Cast, client: Client,
                                                    version: FrameworkVersion) -> None:
    stranger(client)
    assert client.get(url("framework_home", cast.network.pk)).status_code == 404
    assert client.get(url("framework_version", version.pk)).status_code == 404
    assert client.get(url("assessment_kpa", cast.home.pk)).status_code == 404
    assert client.get(url("delegate_kpa", cast.home.pk)).status_code == 404
    assert client.get(url("assessment_overview", cast.network.pk)).status_code == 404


def test_a_coordinator_drafts_edits_compares_and_submits_to_the_network(
        cast: Cast, client: Client, version: FrameworkVersion) -> None:
    as_persona(client, cast, "coordinateur")
    created = client.post(url("framework_draft_new", cast.network.pk),
                          {"label": "Cadre 2027"})
    draft = FrameworkVersion.objects.get(label="Cadre 2027")
    assert created.url == url("framework_draft_edit", draft.pk)
    assert client.get(created.url).status_code == 200
    target = FrameworkCriterion.objects.get(pillar__version=draft, code="5.6")
    client.post(url("framework_criterion_edit", target.pk), {
        f"c{target.pk}-text": "Soutient le réseau par une cotisation votée.",
        f"c{target.pk}-evidence_key": ""})
    pillar = draft.pillars.get(position=2)
    client.post(url("framework_criterion_add", pillar.pk), {
        f"n{pillar.pk}-text": "Tient une réunion par mois.",
        f"n{pillar.pk}-evidence_key": "meetings"})
    compare = client.get(url("framework_compare", version.pk, draft.pk))
    text = text_of(compare)
    assert "Critère 5.6 modifié" in text
    assert "Soutient le réseau par une cotisation votée." in text
    assert "Critère 2.5 ajouté" in text

    submitted = client.post(url("framework_submit", draft.pk))
    proposal = Proposal.objects.get(framework_version=draft)
    assert submitted.url == proposal.get_absolute_url()
    assert (proposal.network, proposal.method, proposal.status) == (
        cast.network, "majority", "draft")
    assert proposal.closes_at == NOW + dt.timedelta(days=14)
    assert "Critère 5.6 modifié" in proposal.body
    # Still the same framework in force: only the network's vote changes it.
    assert framework.current_version(cast.network) == version
    again = client.post(url("framework_submit", draft.pk))
    assert again.url == proposal.get_absolute_url()
    assert Proposal.objects.filter(framework_version=draft).count() == 1


def test_members_see_drafts_but_do_not_change_them(cast: Cast, client: Client,
                                                   version: FrameworkVersion) -> None:
    draft = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                label="Projet", today=TODAY)
    target = FrameworkCriterion.objects.get(pillar__version=draft, code="1.1")
    as_persona(client, cast, "referent")
    page = client.get(url("framework_version", draft.pk))
    assert page.status_code == 200
    assert "Soumettre au vote du réseau" not in text_of(page)
    assert client.post(url("framework_draft_new", cast.network.pk),
                       {"label": "X"}).status_code == 403
    assert client.post(url("framework_criterion_edit", target.pk),
                       {f"c{target.pk}-text": "Autre"}).status_code == 403
    assert client.post(url("framework_submit", draft.pk)).status_code == 403
    assert client.get(url("framework_draft_edit", draft.pk)).status_code == 403
    target.refresh_from_db()
    assert target.text.startswith("Des activités économiques")


def test_a_draft_in_vote_refuses_edits_with_a_plain_message(
        cast: Cast, client: Client, version: FrameworkVersion) -> None:
    draft = framework.draft_framework_amendment(cast.network, actor=cast.user("coordinateur"),
                                                label="Projet", today=TODAY)
    Proposal.objects.create(network=cast.network, author=cast.coordinateur, title="Cadre",
                            method="majority", status="open", framework_version=draft)
    target = FrameworkCriterion.objects.get(pillar__version=draft, code="1.1")
    as_persona(client, cast, "coordinateur")
    done = client.post(url("framework_criterion_edit", target.pk),
                       {f"c{target.pk}-text": "Autre"}, follow=True)
    assert "en vote ou adoptée : elle ne change plus" in text_of(done)
    target.refresh_from_db()
    assert target.text != "Autre"


def test_the_self_assessment_page_suggests_evidence_and_saves_the_answers(
        cast: Cast, client: Client, version: FrameworkVersion,
        django_assert_max_num_queries: Any) -> None:
    as_persona(client, cast, "cooperant")
    with django_assert_max_num_queries(20):
        page = client.get(url("assessment_kpa", cast.home.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<fieldset class="criterion">') == 21
    assert html.count('type="radio"') == 63
    assert html.count("<textarea") == 21
    charter = FrameworkCriterion.objects.get(pillar__version=version, code="2.3")
    place = FrameworkCriterion.objects.get(pillar__version=version, code="3.1")
    # Beside the criterion and in its empty evidence.
    assert re.search(rf'name="evidence_{charter.pk}"[^>]*>\s*Pas encore de charte adoptée',
                     html)
    assert "Ce que la plateforme voit" in html
    assert not SelfAssessment.objects.exists()  # reading the page writes nothing

    saved = client.post(url("assessment_kpa", cast.home.pk), {
        f"status_{charter.pk}": "not_yet", f"evidence_{charter.pk}": "On l'écrit en janvier.",
        f"status_{place.pk}": "met", f"evidence_{place.pk}": "L'atelier, clés à tous."})
    found = SelfAssessment.objects.get(kpa=cast.home)
    assert saved.url == url("assessment_detail", found.pk)
    assert {(a.criterion.code, a.status) for a in found.answers.select_related("criterion")} == {
        ("2.3", "not_yet"), ("3.1", "met")}
    detail = text_of(client.get(saved.url))
    assert "Rempli : 1" in detail
    assert "Pas encore : 1" in detail
    assert "L'atelier, clés à tous." in detail


def test_a_bad_answer_is_refused_on_the_page(cast: Cast, client: Client,
                                             version: FrameworkVersion) -> None:
    target = FrameworkCriterion.objects.get(pillar__version=version, code="1.1")
    as_persona(client, cast, "cooperant")
    refused = client.post(url("assessment_kpa", cast.home.pk),
                          {f"status_{target.pk}": "peut-être"})
    assert refused.status_code == 400
    assert not SelfAssessment.objects.exists()


def test_coordinators_see_the_network_overview_and_members_do_not(
        cast: Cast, client: Client, version: FrameworkVersion,
        django_assert_max_num_queries: Any) -> None:
    as_persona(client, cast, "cooperant")
    target = FrameworkCriterion.objects.get(pillar__version=version, code="1.1")
    client.post(url("assessment_kpa", cast.home.pk), {f"status_{target.pk}": "met"})
    assert client.get(url("assessment_overview", cast.network.pk)).status_code == 403
    as_persona(client, cast, "coordinateur")
    with django_assert_max_num_queries(12):
        page = client.get(url("assessment_overview", cast.network.pk))
    text = text_of(page)
    assert "KPA Zorglub" in text
    assert "Pas encore d'auto-évaluation" in text  # KPA Ailleurs
    found = SelfAssessment.objects.get(kpa=cast.home)
    assert client.get(url("assessment_detail", found.pk)).status_code == 200
    as_persona(client, cast, "outsider")
    assert client.get(url("assessment_detail", found.pk)).status_code == 404


def test_a_lead_designates_the_delegate_and_members_see_who_it_is(
        cast: Cast, client: Client) -> None:
    as_persona(client, cast, "referent")
    page = client.get(url("delegate_kpa", cast.home.pk))
    assert "Pas de délégué·e aujourd'hui." in text_of(page)
    done = client.post(url("delegate_kpa", cast.home.pk), {
        "person": cast.cooperant.pk, "starts_on": "2026-11-28"})
    assert done.url == url("delegate_kpa", cast.home.pk)
    assert NetworkDelegate.objects.get(kpa=cast.home).person == cast.cooperant
    refused = client.post(url("delegate_kpa", cast.home.pk), {
        "person": cast.cooperant.pk, "starts_on": "2025-01-01"})
    assert refused.status_code == 400
    assert "pas membre du KPA à cette date" in text_of(refused)

    as_persona(client, cast, "benevole")
    seen = client.get(url("delegate_kpa", cast.home.pk))
    assert "Délégué·e aujourd'hui : Cooperant" in text_of(seen)
    assert "Désigner un·e délégué·e" not in text_of(seen)
    assert client.post(url("delegate_kpa", cast.home.pk), {
        "person": cast.benevole.pk, "starts_on": "2026-12-01"}).status_code == 403
    as_persona(client, cast, "outsider")
    assert client.get(url("delegate_kpa", cast.home.pk)).status_code == 404
