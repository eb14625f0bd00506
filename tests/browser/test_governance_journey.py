"""Issue 7's "Done when", in a real browser on a 360 px phone: a KPA runs its collective life —
a majority vote proposed, voted in two taps, closed by the clock and found in the register; a
charter v2 adopted by consent and acknowledged with the big button; a majority-judgment vote
with its merit profiles in words — and the network adopts a change to its framework with one
vote per KPA.

The pages' clock (`dates.local_today` and `dates.current_time`) follows a mutable `Clock`; what
the other members and the staff do (their ballots, the consent round of the charter, the
internal vote of another KPA) goes through the same services their pages call, at that clock's
time.

Run alone with `KPA_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_governance_journey.py`;
screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from kpa.core import dates
from kpa.directory.tests.factories import KpaFactory
from kpa.governance import (
    ballots,
    charter,
    closing,
    delegates,
    framework,
    proposals,
)
from kpa.governance.models import (
    CharterVersion,
    Decision,
    Elector,
    FrameworkVersion,
    Method,
    Proposal,
    ProposalOption,
)
from kpa.governance.tests import factories as gf
from tests.browser.conftest import Cast, field, log_in, no_sideways_scroll, styled_box

pytestmark = pytest.mark.browser

PHONE = 360
START = gf.NOW  # Saturday 28 November 2026, 10:00 in Paris: every role of the cast has begun


@dataclass
class Clock:
    """The time every page and service of the story sees; moved forward step by step."""

    now: dt.datetime

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(gf.PARIS).date()

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def set_clock(monkeypatch: pytest.MonkeyPatch, start: dt.datetime) -> Clock:
    clock = Clock(start)
    monkeypatch.setattr(dates, "local_today", lambda: clock.today)
    monkeypatch.setattr(dates, "current_time", lambda: clock.now)
    return clock


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shot(page: Any, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"governance-{name}.png"), full_page=True)


def on_phone(page: Any) -> None:
    page.set_viewport_size({"width": PHONE, "height": 740})


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name=name, exact=True).click()


def switch_to(page: Any, username: str) -> None:
    """Another person picks up a phone: a fresh session, then the login form."""
    page.context.clear_cookies()
    log_in(page, username)


def scope(page: Any, name: str) -> Any:
    """One KPA's (or the network's) section of the governance home."""
    return page.get_by_role("region", name=name, exact=True)


def message(page: Any) -> Any:
    return page.get_by_role("status")


def adopt_charter_by_consent(cast: Cast, clock: Clock, body: str,
                             consenting: list[User]) -> CharterVersion:
    """What the KPA's people do on their own pages: draft a version, put it to a consent round,
    go through the rounds, consent, and the référent closes it — the closing adopts it."""
    referent = cast.user("referent")
    version = charter.draft_charter_version(cast.home, actor=referent, body=body,
                                            today=clock.today)
    proposal = charter.propose_charter_version(version, actor=referent, now=clock.now)
    proposal = proposals.open_proposal(proposal, actor=referent, now=clock.now)
    for _round in ("réactions", "objections"):
        proposal = proposals.advance_phase(proposal, actor=referent, now=clock.advance(hours=1))
    for user in consenting:
        ballots.cast_vote(proposal, actor=user, now=clock.advance(minutes=10), choice="consent")
    decision = closing.close_proposal(proposal, actor=referent, now=clock.advance(hours=1))
    assert decision.outcome == Proposal.Outcome.ADOPTED
    version.refresh_from_db()
    assert version.status == CharterVersion.Status.ADOPTED
    return version


# -- 1. A KPA runs its collective life -------------------------------------------------------


def test_a_kpa_votes_by_majority_on_a_phone_and_finds_the_decision_in_its_register(
        page: Any, live_server: Any, browser_cast: Cast, screenshots: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cast = browser_cast
    gf.make_autonomous(cast.home)
    # Four coopérants when the vote opens: Cooperant, Quentin (no login), Binta and Chloé.
    binta = gf.add_cooperant(cast.home, "binta").user
    chloe = gf.add_cooperant(cast.home, "chloe").user
    assert binta is not None
    assert chloe is not None
    clock = set_clock(monkeypatch, START)
    on_phone(page)

    # 1. The référent proposes: the method first, then the form, then "Ouvrir le vote".
    log_in(page, "referent")
    nav(page, "Gouvernance")
    scope(page, cast.home.name).get_by_role("link", name="Faire une proposition").click()
    expect(page.get_by_role("heading", name="Comment voulez-vous décider ?")).to_be_visible()
    no_sideways_scroll(page, "the choice of a method")
    shot(page, screenshots, "1-methods-phone")
    page.get_by_role("link", name="Vote à la majorité").click()
    field(page, "Titre").fill("Acheter une deuxième machine à coudre")
    field(page, "Texte de la proposition").fill(
        "## Pourquoi\n\nL'atelier attend son tour : une **deuxième machine** à 450 €.")
    field(page, "Fin du vote").fill("2026-12-05T18:00")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(message(page)).to_contain_text("Ta proposition est enregistrée en brouillon")
    page.get_by_role("button", name="Ouvrir le vote").click()
    proposal = Proposal.objects.get(title="Acheter une deuxième machine à coudre")
    assert (proposal.kpa, proposal.method, proposal.status) == (
        cast.home, Method.MAJORITY, Proposal.Status.OPEN)
    assert proposal.author == cast.referent
    assert Elector.objects.filter(proposal=proposal).count() == 4
    expect(page.get_by_text("Clôture le 5 décembre à 18 h")).to_be_visible()
    expect(page.locator("h2", has_text="Pourquoi")).to_be_visible()  # the Markdown, rendered

    # 2. The coopérant, on her phone: the governance home says a vote waits for her.
    clock.advance(hours=2)
    switch_to(page, "cooperant")
    nav(page, "Gouvernance")
    expect(page.get_by_text("Tu as 1 vote qui t'attend.")).to_be_visible()
    waiting = scope(page, cast.home.name).locator(".vote")
    expect(waiting.get_by_role("heading", name="À toi de voter")).to_be_visible()
    no_sideways_scroll(page, "the governance home")
    links = scope(page, cast.home.name).locator("ul.actions").first
    expect(links).to_have_css("list-style-type", "none")  # no stray bullet
    shot(page, screenshots, "2-home-to-vote-phone")
    # Two taps: the proposal, then "Pour".
    waiting.get_by_role("link", name="Acheter une deuxième machine à coudre").click()
    expect(page.get_by_role("heading", name="Ton vote")).to_be_in_viewport()
    no_sideways_scroll(page, "the vote")
    shot(page, screenshots, "3-vote-phone")
    page.get_by_role("button", name="Pour", exact=True).click()
    expect(page.locator(".vote-done")).to_have_text("Ton vote est enregistré.")
    expect(page.get_by_role("button", name="Pour", exact=True)).to_have_count(0)
    shot(page, screenshots, "4-voted-phone")
    assert Elector.objects.get(proposal=proposal, person=cast.cooperant).has_voted

    # 3. Two others vote from their own phones, one against.
    ballots.cast_vote(proposal, actor=binta, now=clock.advance(hours=5), choice="for")
    ballots.cast_vote(proposal, actor=chloe, now=clock.advance(hours=20), choice="against")

    # 4. The closing time passes; the first one to open the proposal sees its result in words.
    clock.now = dt.datetime(2026, 12, 5, 18, 30, tzinfo=gf.PARIS)
    nav(page, "Gouvernance")
    expect(page.get_by_text("Aucun vote ne t'attend pour l'instant.")).to_be_visible()
    # The home closed it on the way: it is now among the last decisions.
    scope(page, cast.home.name).get_by_role(
        "link", name="n° 1 — Acheter une deuxième machine à coudre").click()
    expect(page.get_by_text("Pour : 2 · Contre : 1 · Abstentions : 0")).to_be_visible()
    page.get_by_role("main").get_by_role(
        "link", name="Acheter une deuxième machine à coudre").click()
    sentence = page.locator(".result-sentence")
    expect(sentence).to_have_text(re.compile(
        r"^Adoptée : 2 pour, 1 contre, 0 abstention sur 4 inscrit·es"))
    expect(page.get_by_text("3 participant·es sur 4 inscrit·es")).to_be_visible()
    no_sideways_scroll(page, "the results")
    shot(page, screenshots, "5-result-phone")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.outcome) == (Proposal.Status.CLOSED,
                                                   Proposal.Outcome.ADOPTED)
    assert (proposal.results["for"], proposal.results["against"]) == (2, 1)

    # 5. The register of the KPA lists it; its search box finds it by a word of its title.
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.kpa, decision.number, decision.decided_on) == (
        cast.home, 1, dt.date(2026, 12, 5))
    nav(page, "Gouvernance")
    scope(page, cast.home.name).get_by_role("link", name="Registre des décisions").click()
    field(page, "Chercher un mot").fill("machine à coudre")
    page.get_by_role("button", name="Chercher").click()
    row = page.get_by_role("row", name=re.compile("Acheter une deuxième machine à coudre"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Vote à la majorité")
    expect(row).to_contain_text("Adoptée")
    field(page, "Chercher un mot").fill("tondeuse")
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_text("Aucune décision ne correspond à cette recherche.")).to_be_visible()
    field(page, "Chercher un mot").fill("coudre")
    page.get_by_role("button", name="Chercher").click()
    no_sideways_scroll(page, "the register")
    shot(page, screenshots, "6-register-phone")
    page.get_by_role("link", name="Acheter une deuxième machine à coudre").click()
    expect(page).to_have_url(re.compile(rf"/decisions/{decision.pk}/$"))


def test_a_kpa_adopts_its_charter_v2_and_grades_its_projects_by_majority_judgment(
        page: Any, live_server: Any, browser_cast: Cast, screenshots: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cast = browser_cast
    gf.make_autonomous(cast.home)
    binta = gf.add_cooperant(cast.home, "binta").user
    assert binta is not None
    clock = set_clock(monkeypatch, START)
    on_phone(page)

    # 1. The charter: v1 last spring, v2 today — each adopted by a consent round.
    first = adopt_charter_by_consent(cast, clock, "# Notre charte\n\nOn se respecte.\n",
                                     [binta])
    assert first.number == 1
    second = adopt_charter_by_consent(
        cast, clock, "# Notre charte\n\nOn se respecte.\n\nOn range l'atelier le vendredi.\n",
        [binta, cast.user("cooperant")])
    assert second.number == 2
    assert charter.current_charter(cast.home) == second
    first.refresh_from_db()
    assert first.status == CharterVersion.Status.SUPERSEDED

    # The référent sees who has not read it yet: the coopérant among them.
    log_in(page, "referent")
    nav(page, "Gouvernance")
    scope(page, cast.home.name).get_by_role("link", name="Charte", exact=True).click()
    page.get_by_role("link", name="Qui n'a pas encore lu la charte").click()
    pending = page.locator("ul.cards")
    expect(pending.get_by_text(cast.cooperant.full_name)).to_be_visible()
    no_sideways_scroll(page, "the pending acknowledgements")

    # 2. The coopérant reads the charter in force on her phone and taps the big button.
    switch_to(page, "cooperant")
    nav(page, "Gouvernance")
    scope(page, cast.home.name).get_by_role("link", name="Charte", exact=True).click()
    expect(page.get_by_text("Version 2, adoptée le")).to_be_visible()
    expect(page.get_by_text("On range l'atelier le vendredi.")).to_be_visible()
    button = page.get_by_role("button", name="J'ai lu la charte et je m'engage à la respecter")
    box = styled_box(button)
    assert box["width"] <= PHONE
    assert box["height"] >= 44, box  # a thumb's target
    no_sideways_scroll(page, "the charter")
    shot(page, screenshots, "7-charter-phone")
    button.click()
    expect(message(page)).to_contain_text("Merci : ton engagement à respecter la charte est noté.")
    expect(page.locator(".ack-done")).to_contain_text("Tu as lu cette charte")
    expect(button).to_have_count(0)
    shot(page, screenshots, "8-charter-acknowledged-phone")

    # ... and the référent's list no longer names her.
    switch_to(page, "referent")
    nav(page, "Gouvernance")
    scope(page, cast.home.name).get_by_role("link", name="Charte", exact=True).click()
    page.get_by_role("link", name="Qui n'a pas encore lu la charte").click()
    expect(page.get_by_role("heading", name="Qui n'a pas encore lu la charte")).to_be_visible()
    expect(page.get_by_text(cast.cooperant.full_name)).to_have_count(0)
    expect(page.get_by_text(binta.person.full_name)).to_be_visible()  # type: ignore[attr-defined]
    assert cast.cooperant not in charter.pending_acknowledgements(cast.home, today=clock.today)

    # 3. A majority-judgment vote: one radio per grade and option, on the phone.
    projects = ["Jardin partagé", "Atelier vélo", "Fête de quartier"]
    judged = gf.make_proposal(cast, method=Method.JUDGMENT, options=projects,
                              title="Notre projet du printemps", now=clock.now,
                              closes_at=clock.now + dt.timedelta(days=3))
    switch_to(page, "cooperant")
    nav(page, "Gouvernance")
    scope(page, cast.home.name).locator(".vote").get_by_role(
        "link", name="Notre projet du printemps").click()
    mine = {"Jardin partagé": "Très bien", "Atelier vélo": "Passable",
            "Fête de quartier": "À rejeter"}
    for project, grade in mine.items():
        group = page.get_by_role("group", name=project)
        expect(group.get_by_role("radio")).to_have_count(7)
        group.get_by_label(grade, exact=True).check()
    no_sideways_scroll(page, "the majority-judgment ballot")
    shot(page, screenshots, "9-judgment-ballot-phone")
    page.get_by_role("button", name="Voter", exact=True).click()
    expect(page.locator(".vote-done")).to_have_text("Ton vote est enregistré.")
    option_ids = dict(ProposalOption.objects.filter(proposal=judged)
                      .values_list("label", "pk"))
    ballots.cast_vote(judged, actor=binta, now=clock.advance(hours=3),
                      grades={option_ids["Jardin partagé"]: 4, option_ids["Atelier vélo"]: 5,
                              option_ids["Fête de quartier"]: 2})

    # 4. The vote closes; the results page gives each option's merit profile in words.
    clock.advance(days=4)
    page.goto(f"/gouvernance/propositions/{judged.pk}/resultats/")
    expect(page.locator(".result-sentence")).to_have_text(
        "Option retenue : « Jardin partagé », mention majoritaire « Bien » — "
        "2 participant·es sur 3 inscrit·es.")
    garden = page.locator(".card", has=page.get_by_role("heading", name=re.compile(
        "Jardin partagé")))
    expect(garden.get_by_role("heading")).to_contain_text("1")
    expect(garden).to_contain_text("Majorité : Bien — 100 % au moins Bien")
    expect(garden.get_by_role("row", name=re.compile(r"^Très bien 1 50 %"))).to_have_count(1)
    expect(page.get_by_role("table")).to_have_count(3)
    bar = styled_box(garden.locator("meter").first)  # the bar beside the words, not a sliver
    assert bar["width"] >= 40, bar
    no_sideways_scroll(page, "the merit profiles")
    shot(page, screenshots, "10-merit-profiles-phone")
    judged.refresh_from_db()
    assert judged.status == Proposal.Status.CLOSED
    assert judged.results["winners"] == [option_ids["Jardin partagé"]]


# -- 2. The network adopts a change to its framework, one vote per KPA -----------------------


def test_the_network_amends_its_framework_with_one_vote_per_kpa(
        page: Any, live_server: Any, browser_cast: Cast, screenshots: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cast = browser_cast
    clock = set_clock(monkeypatch, START)
    coordinator, referent, outsider = (cast.user("coordinateur"), cast.user("referent"),
                                       cast.user("outsider"))
    installed = framework.install_framework(cast.network, actor=coordinator, today=clock.today)
    # Three member KPAs: A (home) answers by its delegate, B (elsewhere) by an internal vote,
    # C stays silent.
    kpa_a, kpa_b = cast.home, cast.elsewhere
    kpa_c = KpaFactory.create(network=cast.network, name="KPA Tourcoing")
    gf.make_autonomous(kpa_b)
    delegates.designate_delegate(kpa_a, actor=referent, person=cast.cooperant,
                                 starts_on=clock.today, today=clock.today)
    bintou = gf.add_cooperant(kpa_b, "bintou").user
    assert bintou is not None
    on_phone(page)

    # 1. A coordinator drafts the amendment in the browser, checks what changes, submits it.
    log_in(page, "coordinateur")
    nav(page, "Gouvernance")
    network_scope = scope(page, cast.network.name)
    network_scope.get_by_role("link", name="Cadre du réseau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Ce qu'est un KPA : le cadre du réseau")
    no_sideways_scroll(page, "the framework")
    page.get_by_role("link", name="Toutes les versions").click()
    page.get_by_role("link", name="Préparer une modification du cadre").click()
    field(page, "Nom du projet").fill("Cadre 2027 : décider ensemble")
    page.get_by_role("button", name="Créer le projet").click()
    expect(message(page)).to_contain_text("Le projet reprend le cadre en vigueur")
    draft = FrameworkVersion.objects.get(label="Cadre 2027 : décider ensemble")
    assert (draft.status, draft.based_on) == (FrameworkVersion.Status.DRAFT, installed)
    first_pillar = page.locator("section.pillar").first
    adding = first_pillar.locator("form", has=page.get_by_role(
        "heading", name="Ajouter un critère à ce pilier"))
    new_text = "Les décisions du KPA sont prises en gouvernance partagée et inscrites au registre."
    field(adding, "Texte du critère").fill(new_text)
    adding.get_by_role("button", name="Ajouter le critère").click()
    expect(message(page)).to_contain_text("Le critère est ajouté.")
    no_sideways_scroll(page, "the draft's editor")
    page.get_by_role("link", name="Ce qui change").click()
    change = page.locator("li.change-added")
    expect(change).to_have_count(1)
    expect(change).to_contain_text(new_text)
    expect(change).to_have_css("border-left-width", "6px")  # marked new
    no_sideways_scroll(page, "the comparison")
    shot(page, screenshots, "11-framework-compare-phone")
    page.get_by_role("link", name="← Cadre 2027 : décider ensemble").click()
    page.get_by_role("button", name="Soumettre au vote du réseau").click()
    expect(message(page)).to_contain_text("La proposition est prête")
    page.get_by_role("button", name="Ouvrir le vote").click()
    network_vote = Proposal.objects.get(framework_version=draft)
    assert (network_vote.network, network_vote.status) == (cast.network, Proposal.Status.OPEN)
    assert set(Elector.objects.filter(proposal=network_vote).values_list("kpa_id", flat=True)
               ) == {kpa_a.pk, kpa_b.pk, kpa_c.pk}
    expect(page.get_by_role("row", name=re.compile("KPA Tourcoing"))).to_contain_text(
        "Pas encore")

    # 2. KPA A's delegate votes "Pour" on her phone.
    clock.advance(hours=3)
    switch_to(page, "cooperant")
    nav(page, "Gouvernance")
    scope(page, cast.network.name).locator(".vote").get_by_role(
        "link", name="Modifier le cadre : Cadre 2027 : décider ensemble").click()
    expect(page.get_by_text("un KPA = une voix")).to_be_visible()
    expect(page.get_by_text("Chaque KPA a une voix.")).to_be_visible()
    # The same page left open in a second tab: its button will be tapped again later.
    stale = page.context.new_page()
    stale.goto(page.url)
    no_sideways_scroll(page, "the network vote")
    shot(page, screenshots, "12-network-vote-phone")
    # She votes with the keyboard this time: the button takes the focus and Enter presses it.
    vote_for = page.get_by_role("button", name="Pour", exact=True)
    vote_for.focus()
    expect(vote_for).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".vote-done")).to_have_text("Ton vote est enregistré.")
    # 3. Voting again for KPA A, from the stale tab, is refused in plain words.
    stale.get_by_role("button", name="Pour", exact=True).click()
    expect(stale.get_by_role("status")).to_contain_text(f"Le KPA {kpa_a.name} a déjà voté.")
    stale.close()
    assert list(network_vote.ballots.values_list("choice", flat=True)) == ["for"]

    # 4. KPA B answers through its internal vote, which closes adopted (its own pages).
    internal = proposals.create_proposal(
        actor=outsider, now=clock.advance(hours=1), kpa=kpa_b, method=Method.MAJORITY,
        title="Notre voix au réseau : le cadre 2027", body="Le résultat sera la voix du KPA.",
        closes_at=clock.now + dt.timedelta(days=5), network_proposal=network_vote)
    internal = proposals.open_proposal(internal, actor=outsider, now=clock.now)
    ballots.cast_vote(internal, actor=bintou, now=clock.advance(days=1), choice="for")
    closing.close_proposal(internal, actor=outsider, now=clock.advance(days=1))
    internal.refresh_from_db()
    assert internal.outcome == Proposal.Outcome.ADOPTED
    assert Elector.objects.get(proposal=network_vote, kpa=kpa_b).has_voted
    assert not Elector.objects.get(proposal=network_vote, kpa=kpa_c).has_voted

    # 5. The network's closing time passes; its page says how many KPAs voted, and adopted.
    assert network_vote.closes_at is not None
    clock.now = network_vote.closes_at + dt.timedelta(minutes=5)
    switch_to(page, "coordinateur")
    nav(page, "Gouvernance")
    # Closed on the way by the home page: it is now the network's last decision.
    scope(page, cast.network.name).get_by_role(
        "link", name="n° 1 — Modifier le cadre : Cadre 2027 : décider ensemble").click()
    expect(page.get_by_text("3 KPA appelés à voter, 2 ont voté")).to_be_visible()
    page.get_by_role("main").get_by_role(
        "link", name="Modifier le cadre : Cadre 2027 : décider ensemble", exact=True).click()
    expect(page.locator(".result-sentence")).to_have_text(re.compile(
        r"^Adoptée : 2 pour, 0 contre, 0 abstention sur 3 KPA appelés à voter"))
    expect(page.get_by_text("2 KPA ont voté sur 3 KPA appelés à voter")).to_be_visible()
    no_sideways_scroll(page, "the network result")
    shot(page, screenshots, "13-network-result-phone")
    network_vote.refresh_from_db()
    assert (network_vote.status, network_vote.outcome) == (Proposal.Status.CLOSED,
                                                           Proposal.Outcome.ADOPTED)

    # 6. The framework page shows the amended version in force; the network register lists it.
    nav(page, "Gouvernance")
    scope(page, cast.network.name).get_by_role("link", name="Cadre du réseau").click()
    expect(page.locator("p.lead")).to_contain_text("Cadre 2027 : décider ensemble.")
    expect(page.get_by_text(new_text)).to_be_visible()
    draft.refresh_from_db()
    installed.refresh_from_db()
    assert draft.status == FrameworkVersion.Status.CURRENT
    assert installed.status == FrameworkVersion.Status.SUPERSEDED
    assert framework.current_version(cast.network) == draft
    shot(page, screenshots, "14-framework-amended-phone")
    nav(page, "Gouvernance")
    scope(page, cast.network.name).get_by_role(
        "link", name="Registre du réseau").click()
    row = page.get_by_role("row", name=re.compile("Modifier le cadre : Cadre 2027"))
    expect(row).to_contain_text("Adoptée")
    no_sideways_scroll(page, "the network register")
    decision = Decision.objects.get(proposal=network_vote)
    assert (decision.network, decision.kpa, decision.figures["participants"]) == (
        cast.network, None, 2)
