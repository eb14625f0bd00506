"""Voting on a phone in two taps: GET the proposal, POST the button. One test per method, the
vote refused the second time with the service's message on the page, the secret-ballot notice,
the objection form of a consent round."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.governance import proposals
from kpa.governance.models import Ballot, BallotGrade, BallotSelection, Elector, Objection
from kpa.governance.tests.factories import NOW, make_proposal, option


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def member(client: Client, cast: Cast, persona: str = "cooperant") -> Client:
    client.force_login(cast.user(persona))
    return client


def detail(pk: int) -> str:
    return reverse("governance:proposal_detail", args=[pk])


def vote_url(pk: int) -> str:
    return reverse("governance:proposal_vote", args=[pk])


def test_majority_takes_one_tap_on_a_big_button(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    page = member(client, cast).get(detail(proposal.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="choice" value="for"' in html
    assert 'value="against"' in html
    assert 'value="abstain"' in html
    done = client.post(vote_url(proposal.pk), {"choice": "against"}, follow=True)
    assert "Ton vote est enregistré." in done.content.decode()
    ballot = Ballot.objects.get(proposal=proposal)
    assert ballot.choice == "against"
    assert ballot.elector is not None
    assert 'value="against"' not in done.content.decode()  # no second ballot offered


def test_voting_twice_is_refused_with_the_message_shown(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    member(client, cast).post(vote_url(proposal.pk), {"choice": "for"})
    again = client.post(vote_url(proposal.pk), {"choice": "against"}, follow=True)
    assert "Tu as déjà voté." in again.content.decode()
    assert list(Ballot.objects.filter(proposal=proposal).values_list("choice", flat=True)) == [
        "for"]


def test_a_secret_vote_says_nobody_can_know_what_was_voted(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority", secret=True)
    done = member(client, cast).post(vote_url(proposal.pk), {"choice": "for"}, follow=True)
    html = done.content.decode()
    assert "Ton vote est secret : personne ne peut savoir ce que tu as voté." in html
    assert Ballot.objects.get(proposal=proposal).elector is None
    assert Elector.objects.get(proposal=proposal, person=cast.cooperant).has_voted


def test_a_single_choice_is_one_button_per_option(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="choice", options=["Awa", "Binta"])
    awa = option(proposal, "Awa")
    html = member(client, cast).get(detail(proposal.pk)).content.decode()
    assert f'name="option" value="{awa.pk}"' in html
    client.post(vote_url(proposal.pk), {"option": awa.pk})
    assert list(BallotSelection.objects.values_list("option_id", flat=True)) == [awa.pk]


def test_approval_is_checkboxes_and_one_button(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="choice", choice_mode="approval",
                             options=["Lundi", "Mardi", "Jeudi"])
    lundi, jeudi = option(proposal, "Lundi"), option(proposal, "Jeudi")
    html = member(client, cast).get(detail(proposal.pk)).content.decode()
    assert f'type="checkbox" name="options" value="{lundi.pk}"' in html
    client.post(vote_url(proposal.pk), {"options": [lundi.pk, jeudi.pk]})
    assert sorted(BallotSelection.objects.values_list("option_id", flat=True)) == sorted(
        [lundi.pk, jeudi.pk])


def test_judgment_is_one_radio_group_per_option_with_seven_grades(client: Client,
                                                                  cast: Cast) -> None:
    proposal = make_proposal(cast, method="judgment", options=["Jardin", "Cuisine"])
    jardin, cuisine = option(proposal, "Jardin"), option(proposal, "Cuisine")
    html = member(client, cast).get(detail(proposal.pk)).content.decode()
    assert html.count(f'name="grade_{jardin.pk}"') == 7
    assert "À rejeter" in html
    assert "Excellent" in html
    done = client.post(vote_url(proposal.pk),
                       {f"grade_{jardin.pk}": "5", f"grade_{cuisine.pk}": "2"}, follow=True)
    assert "Ton vote est enregistré." in done.content.decode()
    assert dict(BallotGrade.objects.values_list("option_id", "grade")) == {
        jardin.pk: 5, cuisine.pk: 2}


def test_a_judgment_with_an_option_left_out_is_refused(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="judgment", options=["Jardin", "Cuisine"])
    jardin = option(proposal, "Jardin")
    done = member(client, cast).post(vote_url(proposal.pk), {f"grade_{jardin.pk}": "5"},
                                     follow=True)
    assert "Donne une mention à cette option." in done.content.decode()
    assert not Ballot.objects.filter(proposal=proposal).exists()


def consent_in_objection_round(cast: Cast):  # type: ignore[no-untyped-def]
    proposal = make_proposal(cast, method="consent")
    animateur = cast.user("animateur")  # the home KPA is supervised: an animateur leads
    proposal = proposals.advance_phase(proposal, actor=animateur, now=NOW)
    return proposals.advance_phase(proposal, actor=animateur, now=NOW)


def test_consent_waits_for_the_objection_round(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="consent")
    html = member(client, cast).get(detail(proposal.pk)).content.decode()
    assert "Le vote viendra au tour d'objections." in html
    assert 'value="consent"' not in html


def test_consent_is_one_tap_and_objecting_opens_the_argued_form(client: Client,
                                                                cast: Cast) -> None:
    proposal = consent_in_objection_round(cast)
    html = member(client, cast).get(detail(proposal.pk)).content.decode()
    assert "Je consens" in html
    assert "J'objecte" in html
    object_url = reverse("governance:proposal_object", args=[proposal.pk])
    assert object_url in html
    form = client.get(object_url)
    assert form.status_code == 200
    assert 'name="argument"' in form.content.decode()
    refused = client.post(object_url, {"argument": ""})
    assert refused.status_code == 400
    client.post(object_url, {"argument": "Le local ne sera pas assez grand."})
    objection = Objection.objects.get(proposal=proposal)
    assert objection.argument == "Le local ne sera pas assez grand."
    # the objector sees their objection and may withdraw it, then consent
    page = client.get(detail(proposal.pk)).content.decode()
    assert reverse("governance:objection_withdraw", args=[objection.pk]) in page
    client.post(reverse("governance:objection_withdraw", args=[objection.pk]))
    client.post(vote_url(proposal.pk), {"choice": "consent"})
    assert Ballot.objects.get(proposal=proposal).choice == "consent"


def test_a_person_who_is_not_an_elector_gets_no_ballot(client: Client, cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    html = member(client, cast, "benevole").get(detail(proposal.pk)).content.decode()
    assert "Tu n'es pas inscrit·e pour ce vote" in html
    assert 'value="for"' not in html
    refused = client.post(vote_url(proposal.pk), {"choice": "for"}, follow=True)
    assert "pas inscrit·e" in refused.content.decode()
    assert not Ballot.objects.filter(proposal=proposal).exists()
