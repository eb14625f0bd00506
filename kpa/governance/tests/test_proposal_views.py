"""The proposal pages: the governance home, the list and its filters, creating a proposal
method by method, the draft and its buttons, results said in words, the network's one vote per
KPA, the methods explained; 404 for the outsider, 403 for a forged button; bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.directory.models import Kpa, RoleKind
from kpa.directory.tests.factories import give_role
from kpa.governance import closing
from kpa.governance.models import NetworkDelegate, Proposal
from kpa.governance.tests.factories import (
    NOW,
    cast_ballot,
    make_autonomous,
    make_proposal,
    voter,
)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def logged(client: Client, cast: Cast, persona: str) -> Client:
    client.force_login(cast.user(persona))
    return client


def detail(proposal: Proposal) -> str:
    return reverse("governance:proposal_detail", args=[proposal.pk])


def closed_majority(cast: Cast) -> Proposal:
    """2 for, 1 against, 0 abstention among 3 electors, quorum 50 %, closed by the clock."""
    voter(cast, "benevole")
    proposal = make_proposal(cast, method="majority", title="Ouvrir le samedi",
                             quorum_percent=50)
    cast_ballot(proposal, cast.cooperant, choice="for")
    cast_ballot(proposal, cast.benevole, choice="for")
    cast_ballot(proposal, cast.quiet_cooperant, choice="against")
    assert proposal.closes_at is not None
    closing.close_proposal(proposal, actor=None, now=proposal.closes_at)
    return Proposal.objects.get(pk=proposal.pk)


# -- home ----------------------------------------------------------------------------------------

def test_home_puts_the_votes_waiting_for_me_first(client: Client, cast: Cast) -> None:
    waiting = make_proposal(cast, method="majority", title="Acheter une machine à coudre")
    voted = make_proposal(cast, method="majority", title="Repeindre la vitrine")
    cast_ballot(voted, cast.cooperant, choice="for")
    page = logged(client, cast, "cooperant").get(reverse("governance:home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tu as 1 vote qui t'attend." in html
    to_vote = html.split("À toi de voter")[1].split("Propositions en cours")[0]
    assert waiting.title in to_vote
    assert voted.title not in to_vote
    assert voted.title in html  # still listed among the current proposals


def test_home_lists_the_last_decisions_and_links_the_register(client: Client,
                                                              cast: Cast) -> None:
    decided = closed_majority(cast)
    html = logged(client, cast, "cooperant").get(reverse("governance:home")).content.decode()
    assert decided.decision.get_absolute_url() in html
    assert f"n° {decided.decision.number} — Ouvrir le samedi" in html
    assert reverse("governance:decision_list_kpa", args=[cast.home.pk]) in html


def test_home_costs_the_same_queries_with_more_proposals(
        client: Client, cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    logged(client, cast, "cooperant")
    make_proposal(cast, method="majority")
    closed_majority(cast)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("governance:home"))
    for n in range(4):
        make_proposal(cast, method="choice", title=f"Choix {n}")
    closed_majority(cast)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("governance:home")).status_code == 200


# -- list ----------------------------------------------------------------------------------------

def test_the_list_filters_by_status_and_costs_fixed_queries(
        client: Client, cast: Cast, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    draft = make_proposal(cast, method="majority", title="Un brouillon", opened=False)
    for n in range(6):
        make_proposal(cast, method="majority", title=f"Ouverte {n}")
    logged(client, cast, "cooperant")
    with django_assert_max_num_queries(12):
        page = client.get(reverse("governance:proposal_list"), {"status": "draft"})
    html = page.content.decode()
    assert draft.title in html
    assert "Ouverte 0" not in html
    with django_assert_max_num_queries(12):
        assert "Ouverte 5" in client.get(reverse("governance:proposal_list")).content.decode()


def test_the_outsider_sees_no_proposal_of_the_kpa(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority", title="Secret du KPA")
    logged(client, cast, "outsider")
    assert "Secret du KPA" not in client.get(
        reverse("governance:proposal_list")).content.decode()
    assert client.get(detail(proposal)).status_code == 404
    assert client.get(reverse("governance:proposal_results",
                              args=[proposal.pk])).status_code == 404
    assert client.post(reverse("governance:proposal_vote", args=[proposal.pk]),
                       {"choice": "for"}).status_code == 404
    assert client.post(reverse("governance:proposal_close",
                               args=[proposal.pk])).status_code == 404
    assert client.get(reverse("governance:proposal_new"),
                      {"kpa": cast.home.pk}).status_code == 404


# -- creation and the draft ----------------------------------------------------------------------

def test_a_member_creates_a_majority_vote_then_asks_the_animateur(client: Client,
                                                                   cast: Cast) -> None:
    logged(client, cast, "cooperant")
    new = reverse("governance:proposal_new")
    choose = client.get(new, {"kpa": cast.home.pk})
    assert choose.status_code == 200
    assert f"?kpa={cast.home.pk}&amp;method=majority" in choose.content.decode()
    form = client.get(new, {"kpa": cast.home.pk, "method": "majority"}).content.decode()
    assert 'type="datetime-local"' in form
    assert "<details" in form
    assert 'name="options"' not in form  # majority has no options
    response = client.post(f"{new}?kpa={cast.home.pk}&method=majority", {
        "title": "Fermer le 24 décembre", "body": "## Pourquoi\nLes fêtes.",
        "closes_at": "2026-12-05T18:00", "quorum_percent": "50", "threshold": "simple",
        "max_proxies": "0"})
    proposal = Proposal.objects.get(title="Fermer le 24 décembre")
    assert response.status_code == 302
    assert response["Location"] == detail(proposal)
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.quorum_percent == 50
    page = client.get(detail(proposal)).content.decode()
    assert "Clôture le 5 décembre à 18 h" in page
    assert "<h2>Pourquoi</h2>" in page
    assert "Demander l'ouverture à l'animateur·rice" in page
    client.post(reverse("governance:proposal_open", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.AWAITING_APPROVAL
    animateur = Client()
    animateur.force_login(cast.user("animateur"))
    assert "Accorder l'ouverture du vote" in animateur.get(detail(proposal)).content.decode()
    animateur.post(reverse("governance:proposal_approve", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_a_judgment_form_takes_one_option_per_line_and_refusals_come_back(
        client: Client, cast: Cast) -> None:
    logged(client, cast, "cooperant")
    url = f"{reverse('governance:proposal_new')}?kpa={cast.home.pk}&method=judgment"
    refused = client.post(url, {"title": "Le nom", "options": "Seule\n\n",
                                "closes_at": "2026-12-05T18:00", "quorum_percent": "0",
                                "max_proxies": "0"})
    assert refused.status_code == 400
    assert not Proposal.objects.exists()
    client.post(url, {"title": "Le nom", "options": "La Ruche\n\nLe Fil\n",
                      "closes_at": "2026-12-05T18:00", "quorum_percent": "0",
                      "max_proxies": "0"})
    proposal = Proposal.objects.get()
    assert [o.label for o in proposal.options.all()] == ["La Ruche", "Le Fil"]


def test_an_autonomous_kpa_opens_directly(client: Client, cast: Cast) -> None:
    make_autonomous(cast.home)
    proposal = make_proposal(cast, method="majority", opened=False,
                             actor=cast.user("cooperant"))
    logged(client, cast, "cooperant")
    assert "Ouvrir le vote" in client.get(detail(proposal)).content.decode()
    client.post(reverse("governance:proposal_open", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_a_forged_close_by_a_member_who_may_not_is_forbidden(client: Client,
                                                             cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    logged(client, cast, "cooperant")  # supervised KPA: only an animateur closes early
    page = client.get(detail(proposal)).content.decode()
    assert "Clore le vote maintenant" not in page
    assert client.post(reverse("governance:proposal_close",
                               args=[proposal.pk])).status_code == 403
    assert client.get(reverse("governance:proposal_cancel",
                              args=[proposal.pk])).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OPEN


def test_the_animateur_closes_now_and_the_results_are_shown(client: Client,
                                                            cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    cast_ballot(proposal, cast.cooperant, choice="for")
    logged(client, cast, "animateur")
    done = client.post(reverse("governance:proposal_close", args=[proposal.pk]), follow=True)
    html = done.content.decode()
    assert "Adoptée : 1 pour, 0 contre, 0 abstention sur 2 inscrit·es." in html


# -- results -------------------------------------------------------------------------------------

def test_results_are_text_first_with_a_table(client: Client, cast: Cast) -> None:
    proposal = closed_majority(cast)
    logged(client, cast, "cooperant")
    page = client.get(reverse("governance:proposal_results", args=[proposal.pk]))
    html = page.content.decode()
    assert ("Adoptée : 2 pour, 1 contre, 0 abstention sur 3 inscrit·es (quorum 50 % "
            "atteint).") in html
    assert "<table>" in html
    assert "67 %" in html
    assert "33 %" in html
    assert 'style="' not in html
    assert "Adoptée : 2 pour" in client.get(detail(proposal)).content.decode()


def test_results_wait_for_the_closing(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    cast_ballot(proposal, cast.cooperant, choice="for")
    html = logged(client, cast, "cooperant").get(
        reverse("governance:proposal_results", args=[proposal.pk])).content.decode()
    assert "Le résultat sera connu à la clôture du vote" in html
    assert "1 pour" not in html


def test_a_vote_past_its_time_is_closed_before_it_is_shown(client: Client,
                                                           cast: Cast,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           ) -> None:
    proposal = make_proposal(cast, method="majority")
    cast_ballot(proposal, cast.cooperant, choice="against")
    assert proposal.closes_at is not None
    later = proposal.closes_at + dt.timedelta(minutes=1)
    monkeypatch.setattr(dates, "current_time", lambda: later)
    html = logged(client, cast, "cooperant").get(detail(proposal)).content.decode()
    assert "Rejetée : 0 pour, 1 contre" in html
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.CLOSED


def test_judgment_results_show_each_merit_profile(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="judgment", options=["Jardin", "Cuisine"])
    cast_ballot(proposal, cast.cooperant, grades={"Jardin": 4, "Cuisine": 1})
    cast_ballot(proposal, cast.quiet_cooperant, grades={"Jardin": 5, "Cuisine": 2})
    assert proposal.closes_at is not None
    closing.close_proposal(proposal, actor=None, now=proposal.closes_at)
    html = logged(client, cast, "cooperant").get(
        reverse("governance:proposal_results", args=[proposal.pk])).content.decode()
    assert "Option retenue : « Jardin », mention majoritaire « Bien »" in html
    assert "Majorité : Bien — 100 % au moins Bien" in html
    assert "<meter" in html


# -- network -------------------------------------------------------------------------------------

def test_a_network_vote_lists_the_kpas_and_offers_an_internal_vote(client: Client,
                                                                   cast: Cast) -> None:
    for kpa in (cast.home, cast.elsewhere):
        Kpa.objects.filter(pk=kpa.pk).update(status=Kpa.Status.ACTIVE)
    proposal = make_proposal(cast.network, method="majority", title="Nouveau cadre")
    logged(client, cast, "referent")
    html = client.get(detail(proposal)).content.decode()
    assert cast.home.name in html
    assert cast.elsewhere.name in html
    assert "Proposer un vote interne au KPA" in html
    response = client.post(reverse("governance:proposal_internal", args=[proposal.pk]),
                           {"kpa": cast.home.pk})
    internal = Proposal.objects.get(network_proposal=proposal)
    assert response["Location"] == detail(internal)
    assert internal.kpa == cast.home
    assert internal.method == "majority"
    assert internal.status == Proposal.Status.DRAFT
    assert "Vote interne en cours ou fait" in client.get(detail(proposal)).content.decode()
    # the outsider leads the other KPA, not this one
    outsider = Client()
    outsider.force_login(cast.user("outsider"))
    assert outsider.post(reverse("governance:proposal_internal", args=[proposal.pk]),
                         {"kpa": cast.home.pk}).status_code == 404


def test_the_delegate_casts_the_kpa_vote(client: Client, cast: Cast) -> None:
    Kpa.objects.filter(pk=cast.home.pk).update(status=Kpa.Status.ACTIVE)
    NetworkDelegate.objects.create(kpa=cast.home, person=cast.cooperant,
                                   starts_on=dt.date(2026, 1, 5))
    proposal = make_proposal(cast.network, method="majority", title="Cotisation")
    logged(client, cast, "cooperant")
    assert 'value="for"' in client.get(detail(proposal)).content.decode()
    client.post(reverse("governance:proposal_vote", args=[proposal.pk]), {"choice": "for"})
    elector = proposal.electors.get(kpa=cast.home)
    assert elector.has_voted


def test_a_coordinator_may_propose_in_the_network(client: Client, cast: Cast) -> None:
    logged(client, cast, "coordinateur")
    page = client.get(reverse("governance:proposal_new"), {"network": cast.network.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "method=judgment" in html
    assert "method=consent" not in html
    give_role(cast.benevole, RoleKind.COOPERANT, cast.home, starts_on=dt.date(2026, 1, 5))
    member = Client()
    member.force_login(cast.user("benevole"))
    assert member.get(reverse("governance:proposal_new"),
                      {"network": cast.network.pk}).status_code == 403


# -- methods -------------------------------------------------------------------------------------

def test_the_methods_are_explained_in_plain_words(client: Client, cast: Cast) -> None:
    html = logged(client, cast, "cooperant").get(reverse("governance:methods")).content.decode()
    for anchor in ("consent", "majority", "judgment", "choice", "quorum", "proxies", "secret",
                   "network"):
        assert f'id="{anchor}"' in html
    assert "médiane inférieure" in html
    assert "un KPA = une voix" in html


PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_the_author_attaches_a_pdf_that_members_download_and_outsiders_do_not(
        cast: Cast, client: Client, settings: object, tmp_path: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    proposal = make_proposal(cast, method="majority", title="Un devis à regarder")
    author = proposal.author.user
    assert author is not None
    client.force_login(author)
    upload = SimpleUploadedFile("devis.pdf", PDF, content_type="application/pdf")
    response = client.post(reverse("governance:attachment_add", args=[proposal.pk]),
                           {"upload": upload}, follow=True)
    assert "La pièce jointe est ajoutée." in response.content.decode()
    attachment = proposal.attachments.get()
    url = reverse("governance:attachment_file", args=[attachment.pk])
    assert url in response.content.decode()

    member = logged(Client(), cast, "cooperant").get(url)
    assert member.status_code == 200
    assert member["Content-Type"] == "application/pdf"
    assert member["X-Content-Type-Options"] == "nosniff"
    assert b"".join(member.streaming_content) == PDF  # type: ignore[attr-defined]
    assert logged(Client(), cast, "outsider").get(url).status_code == 404


def test_a_page_that_is_not_a_document_is_refused_plainly(
        cast: Cast, client: Client, settings: object, tmp_path: object) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    proposal = make_proposal(cast, method="majority")
    author = proposal.author.user
    assert author is not None
    client.force_login(author)
    upload = SimpleUploadedFile("page.pdf", b"<html><script>alert(1)</script>",
                                content_type="application/pdf")
    response = client.post(reverse("governance:attachment_add", args=[proposal.pk]),
                           {"upload": upload}, follow=True)
    assert response.status_code == 200
    assert not proposal.attachments.exists()
    assert 'class="message error"' in response.content.decode()
