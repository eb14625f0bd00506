"""The proposals API: a proposal's whole life through the API alone (create, open, three
votes, close, results), refusals as 422 in French, 409 for results before the closing, 404
for the outsider."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.core.services import create_api_token
from kpa.governance.models import Ballot, Decision, Proposal
from kpa.governance.tests.factories import NOW, make_autonomous, make_proposal, voter

API = "/api/v1/governance"


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


def client_of(user: User) -> Client:
    _, secret = create_api_token(actor=None, user=user)
    return Client(headers={"Authorization": f"Bearer {secret}"})


def post_json(client: Client, url: str, data: Any = None) -> Any:
    return client.post(url, json.dumps({} if data is None else data),
                       content_type="application/json")


def refusal(response: Any) -> str:
    assert response.status_code == 422, response.content
    return " ".join(error["msg"] for error in response.json()["detail"])


def test_a_vote_lives_its_whole_life_through_the_api(cast: Cast) -> None:
    make_autonomous(cast.home)
    voter(cast, "benevole")
    voter(cast, "animateur")
    author = client_of(cast.user("referent"))
    created = post_json(author, f"{API}/proposals", {
        "kpa_id": cast.home.pk, "title": "Acheter une surjeteuse", "body": "Pour l'atelier.",
        "method": "majority", "closes_at": "2026-12-05T18:00:00+01:00", "quorum_percent": 50})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    opened = post_json(author, f"{API}/proposals/{pk}/open")
    assert opened.status_code == 200
    assert opened.json()["status"] == "open"
    early = author.get(f"{API}/proposals/{pk}/results")
    assert early.status_code == 409
    assert "clôture" in early.json()["detail"]
    for persona, choice in (("cooperant", "for"), ("benevole", "for"),
                            ("animateur", "against")):
        answer = post_json(client_of(cast.user(persona)), f"{API}/proposals/{pk}/ballots",
                           {"choice": choice})
        assert answer.status_code == 201, answer.content
        assert answer.json()["message"] == "Ton vote est enregistré."
    # the référent is not a coopérant: not an elector
    assert "pas inscrit·e" in refusal(post_json(author, f"{API}/proposals/{pk}/ballots",
                                                {"choice": "against"}))
    assert Ballot.objects.filter(proposal_id=pk).count() == 3
    closed = post_json(author, f"{API}/proposals/{pk}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    said = author.get(f"{API}/proposals/{pk}/results").json()
    assert said["outcome"] == "adopted"
    assert said["sentence"] == ("Adoptée : 2 pour, 1 contre, 0 abstention sur 4 inscrit·es "
                                "(quorum 50 % atteint).")
    assert said["figures"]["for"] == 2
    assert Decision.objects.get(proposal_id=pk).title == "Acheter une surjeteuse"


def test_three_votes_of_a_secret_judgment_through_the_api(cast: Cast) -> None:
    make_autonomous(cast.home)
    voter(cast, "benevole")
    voter(cast, "animateur")
    proposal = make_proposal(cast, method="judgment", options=["Jardin", "Cuisine"],
                             secret=True)
    ids = [o.pk for o in proposal.options.all()]
    for persona, grades in (("cooperant", [4, 1]), ("benevole", [5, 2]),
                            ("animateur", [3, 6])):
        answer = post_json(client_of(cast.user(persona)),
                           f"{API}/proposals/{proposal.pk}/ballots",
                           {"grades": dict(zip(map(str, ids), grades, strict=True))})
        assert answer.status_code == 201, answer.content
        assert "personne ne peut savoir" in answer.json()["message"]
    closed = post_json(client_of(cast.user("referent")), f"{API}/proposals/{proposal.pk}/close")
    assert closed.status_code == 200, closed.content
    said = client_of(cast.user("cooperant")).get(
        f"{API}/proposals/{proposal.pk}/results").json()
    assert said["outcome"] == "elected"
    assert said["figures"]["winners"] == [ids[0]]
    assert said["sentence"].startswith("Option retenue : « Jardin »")


def test_refusals_answer_422_in_french(cast: Cast) -> None:
    author = client_of(cast.user("cooperant"))
    assert "option" in refusal(post_json(author, f"{API}/proposals", {
        "kpa_id": cast.home.pk, "title": "Le nom", "method": "judgment", "options": ["Seule"],
        "closes_at": "2026-12-05T18:00:00+01:00"})).lower()
    proposal = make_proposal(cast, method="majority")
    post_json(author, f"{API}/proposals/{proposal.pk}/ballots", {"choice": "for"})
    assert refusal(post_json(author, f"{API}/proposals/{proposal.pk}/ballots",
                             {"choice": "for"})) == "Tu as déjà voté."
    consent = make_proposal(cast, method="consent")
    assert refusal(post_json(author, f"{API}/proposals/{consent.pk}/objections",
                             {"argument": "Trop cher."}))


def test_forbidden_steps_answer_403(cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    member = client_of(cast.user("cooperant"))  # supervised KPA: only an animateur closes
    assert post_json(member, f"{API}/proposals/{proposal.pk}/close").status_code == 403
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.OPEN


def test_comments_go_through_the_api(cast: Cast) -> None:
    proposal = make_proposal(cast, method="majority")
    member = client_of(cast.user("cooperant"))
    written = post_json(member, f"{API}/proposals/{proposal.pk}/comments",
                        {"body": "Combien ça coûte ?"})
    assert written.status_code == 201, written.content
    listed = member.get(f"{API}/proposals/{proposal.pk}/comments").json()
    assert [c["body"] for c in listed] == ["Combien ça coûte ?"]


def test_the_list_filters_and_the_outsider_finds_nothing(cast: Cast) -> None:
    draft = make_proposal(cast, method="majority", opened=False, title="Brouillon")
    make_proposal(cast, method="majority", title="Ouverte")
    member = client_of(cast.user("cooperant"))
    found = member.get(f"{API}/proposals", {"kpa": cast.home.pk, "status": "draft"}).json()
    assert [item["id"] for item in found["items"]] == [draft.pk]
    outsider = client_of(cast.user("outsider"))
    assert outsider.get(f"{API}/proposals").json()["items"] == []
    assert outsider.get(f"{API}/proposals/{draft.pk}").status_code == 404
    assert post_json(outsider, f"{API}/proposals/{draft.pk}/open").status_code == 404
    assert post_json(outsider, f"{API}/proposals/{draft.pk}/ballots",
                     {"choice": "for"}).status_code == 404
    assert post_json(outsider, f"{API}/proposals", {
        "kpa_id": cast.home.pk, "title": "Intrusion", "method": "majority",
        "closes_at": "2026-12-05T18:00:00+01:00"}).status_code == 404
    assert outsider.get(f"{API}/proposals/{draft.pk}/results").status_code == 404


def test_attachments_are_added_and_listed_through_the_api(
        cast: Cast, settings: Any, tmp_path: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    proposal = make_proposal(cast, method="majority")
    author = proposal.author.user
    assert author is not None
    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    added = client_of(author).post(
        f"{API}/proposals/{proposal.pk}/attachments",
        {"upload": SimpleUploadedFile("devis.pdf", pdf, content_type="application/pdf")})
    assert added.status_code == 201, added.content
    listed = client_of(cast.user("cooperant")).get(f"{API}/proposals/{proposal.pk}/attachments")
    assert [row["name"] for row in listed.json()] == [added.json()["name"]]
    assert listed.json()[0]["download"].startswith("/gouvernance/pieces/")
    refused = client_of(author).post(
        f"{API}/proposals/{proposal.pk}/attachments",
        {"upload": SimpleUploadedFile("x.pdf", b"MZ\x90\x00", content_type="application/pdf")})
    assert refused.status_code == 422
    assert client_of(cast.user("outsider")).get(
        f"{API}/proposals/{proposal.pk}/attachments").status_code == 404


def test_the_list_reads_a_fixed_number_of_queries(cast: Cast, django_assert_num_queries: Any,
                                                  django_assert_max_num_queries: Any) -> None:
    make_proposal(cast, method="judgment", opened=False, title="Nos projets")
    client = client_of(cast.user("referent"))
    client.get(f"{API}/proposals")  # the token's first use is noted once
    with django_assert_max_num_queries(12) as few:
        listed = client.get(f"{API}/proposals", {"kpa": cast.home.pk}).json()
    assert [p["title"] for p in listed["items"]] == ["Nos projets"]
    assert len(listed["items"][0]["options"]) == 3
    for n in range(4):
        make_proposal(cast, method="choice", opened=False, title=f"Choix {n}")
    with django_assert_num_queries(len(few)):
        assert client.get(f"{API}/proposals", {"kpa": cast.home.pk}).json()["count"] == 5
