"""The decision register pages: the registers one reads, a KPA's register (search over title and
summary ignoring case, filters by method and year, newest first, 25 a page, fixed query count),
the network's, one decision with its figures in words (majority, judgment options), the
ratification button for an animateur and the review date; 403 and 404 where due."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import TODAY, Cast
from kpa.core import dates
from kpa.directory.models import Kpa
from kpa.governance import register
from kpa.governance.models import Decision
from kpa.governance.tests.factories import NOW


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(dates, "local_today", lambda: TODAY)
    monkeypatch.setattr(dates, "current_time", lambda: NOW)


MAJORITY_FIGURES = {"electors": 11, "participants": 10, "quorum_percent": 50,
                    "quorum_reached": True, "method": "majority", "for": 7, "against": 2,
                    "abstain": 1, "threshold": "simple"}
JUDGMENT_FIGURES = {
    "electors": 4, "participants": 3, "quorum_percent": 0, "quorum_reached": True,
    "method": "judgment", "winners": [2],
    "options": [
        {"id": 1, "label": "Le lundi", "tally": [1, 0, 2, 0, 0, 0, 0], "rank": 2,
         "majority_grade": 2, "majority_grade_label": "Passable"},
        {"id": 2, "label": "Le samedi", "tally": [0, 0, 0, 0, 2, 1, 0], "rank": 1,
         "majority_grade": 4, "majority_grade_label": "Bien"},
    ]}


def record(kpa: Kpa | None = None, *, title: str = "Décision", summary: str = "",
           method: str = "majority", decided_on: dt.date = TODAY, outcome: str = "adopted",
           figures: dict[str, Any] | None = None, **fields: Any) -> Decision:
    return register.record_decision(
        actor=None, kpa=kpa, title=title, summary=summary, source="proposal", method=method,
        outcome=outcome, figures=figures if figures is not None else MAJORITY_FIGURES,
        decided_on=decided_on, **fields)


def text_of(response: Any) -> str:
    without_tags = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(without_tags.replace("&#x27;", "'").replace("&quot;", '"').split())


def url(name: str, *args: int) -> str:
    return reverse(f"governance:{name}", args=args)


def rows(response: Any) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', response.content.decode())


def test_the_register_lists_newest_first_with_every_column(cast: Cast,
                                                           client: Client) -> None:
    record(cast.home, title="Acheter un four", decided_on=dt.date(2026, 3, 2),
           review_on=dt.date(2027, 3, 1))
    record(cast.home, title="Ouvrir le samedi", decided_on=dt.date(2026, 10, 1),
           method="consent", outcome="rejected")
    client.force_login(cast.user("cooperant"))
    page = client.get(url("decision_list_kpa", cast.home.pk))
    assert rows(page) == ["Ouvrir le samedi", "Acheter un four"]
    text = text_of(page)
    assert "01/10/2026" in text
    assert "Consentement" in text
    assert "Rejetée" in text
    assert "01/03/2027" in text
    assert "Vote à la majorité" in text


def test_the_register_searches_title_and_summary_ignoring_case(cast: Cast,
                                                               client: Client) -> None:
    record(cast.home, title="Acheter un FOUR")
    record(cast.home, title="Nouvelle charte", summary="Le four commun est à tous.")
    record(cast.home, title="Ouvrir le samedi")
    client.force_login(cast.user("cooperant"))
    found = client.get(url("decision_list_kpa", cast.home.pk), {"q": "four"})
    assert sorted(rows(found)) == ["Acheter un FOUR", "Nouvelle charte"]
    nothing = client.get(url("decision_list_kpa", cast.home.pk), {"q": "piscine"})
    assert "Aucune décision ne correspond" in text_of(nothing)


def test_the_register_filters_by_method_and_year(cast: Cast, client: Client) -> None:
    record(cast.home, title="Vieille", decided_on=dt.date(2025, 6, 1))
    record(cast.home, title="Jugée", method="judgment", figures=JUDGMENT_FIGURES)
    record(cast.home, title="Votée")
    client.force_login(cast.user("cooperant"))
    by_year = client.get(url("decision_list_kpa", cast.home.pk), {"year": "2025"})
    assert rows(by_year) == ["Vieille"]
    by_method = client.get(url("decision_list_kpa", cast.home.pk), {"method": "judgment"})
    assert rows(by_method) == ["Jugée"]


def test_the_register_pages_by_25_with_a_fixed_query_count(
        cast: Cast, client: Client, django_assert_max_num_queries: Any,
        django_assert_num_queries: Any) -> None:
    for n in range(3):
        record(cast.home, title=f"Décision {n}")
    client.force_login(cast.user("cooperant"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("decision_list_kpa", cast.home.pk)).status_code == 200
    for n in range(3, 30):
        record(cast.home, title=f"Décision {n}")
    with django_assert_num_queries(len(few)):
        first = client.get(url("decision_list_kpa", cast.home.pk))
    assert len(rows(first)) == 25
    assert "Page 1 sur 2" in text_of(first)
    assert len(rows(client.get(url("decision_list_kpa", cast.home.pk), {"page": "2"}))) == 5


def test_a_decision_says_its_figures_in_words(cast: Cast, client: Client) -> None:
    decision = record(cast.home, title="Acheter un four")
    client.force_login(cast.user("cooperant"))
    text = text_of(client.get(url("decision_detail", decision.pk)))
    assert ("Pour : 7 · Contre : 2 · Abstentions : 1 — 11 inscrit·es, 10 ont voté, "
            "quorum de 50 % atteint") in text
    assert "Décision n° 1 — Acheter un four" in text


def test_a_judgment_decision_lists_options_by_rank_with_their_grade(cast: Cast,
                                                                   client: Client) -> None:
    decision = record(cast.home, title="Quel jour ?", method="judgment",
                      figures=JUDGMENT_FIGURES, outcome="elected")
    client.force_login(cast.user("cooperant"))
    text = text_of(client.get(url("decision_detail", decision.pk)))
    assert text.index("Le samedi") < text.index("Le lundi")
    assert "Mention majoritaire : Bien" in text
    assert "retenue" in text
    assert "Mention majoritaire : Passable (À rejeter 1, Passable 2)" in text


def test_an_animateur_ratifies_in_a_supervised_kpa(cast: Cast, client: Client) -> None:
    decision = record(cast.home)
    client.force_login(cast.user("cooperant"))
    page = text_of(client.get(url("decision_detail", decision.pk)))
    assert "En attente : un·e animateur·rice du KPA doit la ratifier." in page
    assert "Ratifier cette décision" not in page
    assert client.post(url("decision_ratify", decision.pk)).status_code == 403
    client.force_login(cast.user("animateur"))
    assert "Ratifier cette décision" in text_of(client.get(url("decision_detail",
                                                                decision.pk)))
    client.post(url("decision_ratify", decision.pk))
    decision.refresh_from_db()
    assert decision.ratified_by == cast.animateur
    assert decision.ratified_at == NOW


def test_a_lead_sets_the_review_date(cast: Cast, client: Client) -> None:
    decision = record(cast.home)
    client.force_login(cast.user("cooperant"))
    assert "Enregistrer la date" not in text_of(client.get(url("decision_detail",
                                                                decision.pk)))
    assert client.post(url("decision_review", decision.pk),
                       {"review_on": "2027-06-01"}).status_code == 403
    client.force_login(cast.user("referent"))
    client.post(url("decision_review", decision.pk), {"review_on": "2027-06-01"})
    decision.refresh_from_db()
    assert decision.review_on == dt.date(2027, 6, 1)
    refused = client.post(url("decision_review", decision.pk), {"review_on": "demain"})
    assert refused.status_code == 400


def test_the_outsider_finds_nothing_and_the_network_register_is_shared(
        cast: Cast, client: Client) -> None:
    ours = record(cast.home, title="Chez nous")
    network = register.record_decision(
        actor=None, network=cast.network, title="Cadre modifié", source="proposal",
        method="majority", outcome="adopted", figures={}, decided_on=TODAY)
    client.force_login(cast.user("outsider"))
    assert client.get(url("decision_detail", ours.pk)).status_code == 404
    assert client.get(url("decision_list_kpa", cast.home.pk)).status_code == 404
    assert client.get(url("decision_detail", network.pk)).status_code == 200
    index = text_of(client.get(url("decision_index")))
    assert "KPA Ailleurs" in index
    assert "Zorglub" not in index
    client.force_login(cast.user("coordinateur"))
    assert rows(client.get(url("decision_list_network", cast.network.pk))) == ["Cadre modifié"]


def test_a_show_of_hands_decision_links_back_to_its_meeting(cast: Cast,
                                                            client: Client) -> None:
    from kpa.governance import meetings
    from kpa.governance.tests.test_meetings import held

    meeting = held(cast, title="Réunion de novembre")
    decision = meetings.record_show_of_hands(
        meeting, actor=cast.user("referent"), now=NOW, title="Ouvrir le samedi",
        summary="", votes_for=4, against=1, abstain=2)
    client.force_login(cast.user("cooperant"))
    page = client.get(url("decision_detail", decision.pk))
    assert url("meeting_detail", meeting.pk) in page.content.decode()
    assert "Main levée en réunion" in text_of(page)
    assert "Pour : 4 · Contre : 1 · Abstentions : 2" in text_of(page)
