"""Results said in words: the sentence and the rows come from the stored results JSON alone,
with whole percentages and no float."""

from __future__ import annotations

from typing import Any

import pytest

from kpa.governance import results


def majority(**overrides: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "method": "majority", "electors": 11, "participants": 10, "quorum_percent": 50,
        "quorum_reached": True, "for": 7, "against": 2, "abstain": 1, "threshold": "simple",
        "abstentions_count": False}
    figures.update(overrides)
    return figures


def test_a_majority_vote_is_said_in_one_sentence_with_its_quorum() -> None:
    said = results.summarize_figures(method="majority", outcome="adopted", figures=majority())
    assert said.sentence == ("Adoptée : 7 pour, 2 contre, 1 abstention sur 11 inscrit·es "
                             "(quorum 50 % atteint).")
    assert [(row.label, row.count, row.share) for row in said.rows] == [
        ("Pour", 7, "70 %"), ("Contre", 2, "20 %"), ("Abstention", 1, "10 %")]
    assert said.participation == "10 participant·es sur 11 inscrit·es"


def test_a_missed_quorum_and_a_qualified_majority_are_said_too() -> None:
    said = results.summarize_figures(
        method="majority", outcome="no_quorum",
        figures=majority(participants=3, quorum_reached=False, threshold="two_thirds",
                         **{"for": 2, "against": 1, "abstain": 0}))
    assert said.sentence == ("Quorum non atteint : 2 pour, 1 contre, 0 abstention sur 11 "
                             "inscrit·es (quorum 50 % non atteint) — majorité requise : deux "
                             "tiers.")


def test_without_quorum_the_sentence_does_not_mention_one() -> None:
    said = results.summarize_figures(method="majority", outcome="rejected",
                                     figures=majority(quorum_percent=0, **{"abstain": 2}))
    assert said.sentence == "Rejetée : 7 pour, 2 contre, 2 abstentions sur 11 inscrit·es."


def test_network_votes_count_kpas() -> None:
    said = results.summarize_figures(method="majority", outcome="adopted", network=True,
                                     figures=majority(electors=3, participants=2,
                                                      quorum_percent=0))
    assert "sur 3 KPA appelés à voter" in said.sentence
    assert said.participation == "2 KPA ont voté sur 3 KPA appelés à voter"


def test_a_judgment_gives_each_option_its_merit_profile_in_words() -> None:
    figures = {
        "method": "judgment", "electors": 4, "participants": 4, "quorum_percent": 0,
        "quorum_reached": True, "winners": [1],
        "options": [
            {"id": 1, "label": "Jardin", "tally": [0, 0, 1, 0, 2, 1, 0], "rank": 1,
             "majority_grade": 4, "majority_grade_label": "Bien"},
            {"id": 2, "label": "Cuisine", "tally": [1, 1, 1, 1, 0, 0, 0], "rank": 2,
             "majority_grade": 1, "majority_grade_label": "Insuffisant"},
        ]}
    said = results.summarize_figures(method="judgment", outcome="elected", figures=figures)
    assert said.sentence == ("Option retenue : « Jardin », mention majoritaire « Bien » — "
                             "4 participant·es sur 4 inscrit·es.")
    first, second = said.profiles
    assert (first.label, first.rank, first.winner) == ("Jardin", 1, True)
    assert first.sentence == "Majorité : Bien — 75 % au moins Bien"
    # best grade first, as people read a scale of marks
    assert [(row.label, row.count, row.share) for row in first.grades][:3] == [
        ("Excellent", 0, "0 %"), ("Très bien", 1, "25 %"), ("Bien", 2, "50 %")]
    assert second.sentence == "Majorité : Insuffisant — 75 % au moins Insuffisant"


def test_a_choice_tie_names_both_options() -> None:
    figures = {
        "method": "choice", "electors": 5, "participants": 4, "quorum_percent": 0,
        "quorum_reached": True, "winners": [1, 2],
        "options": [{"id": 1, "label": "Awa", "votes": 2, "rank": 1},
                    {"id": 2, "label": "Binta", "votes": 2, "rank": 1},
                    {"id": 3, "label": "Chloé", "votes": 0, "rank": 3}]}
    said = results.summarize_figures(method="choice", outcome="tie", figures=figures)
    assert said.sentence == ("Égalité entre « Awa » et « Binta », 2 voix chacune — "
                             "4 participant·es sur 5 inscrit·es.")
    assert [(row.label, row.share, row.winner) for row in said.rows] == [
        ("Awa", "50 %", True), ("Binta", "50 %", True), ("Chloé", "0 %", False)]


def test_consent_counts_objections_by_what_became_of_them() -> None:
    figures = {"method": "consent", "electors": 6, "participants": 5, "quorum_percent": 0,
               "quorum_reached": True, "consents": 5, "objections_open": 0,
               "objections_integrated": 2, "objections_withdrawn": 1}
    said = results.summarize_figures(method="consent", outcome="adopted", figures=figures)
    assert said.sentence == ("Adoptée : 5 consentements, 0 objection restée ouverte, "
                             "2 intégrées, 1 retirée — 5 participant·es sur 6 inscrit·es.")


@pytest.mark.parametrize(("part", "whole", "expected"), [(1, 3, 33), (2, 3, 67), (1, 8, 13),
                                                         (0, 0, 0)])
def test_shares_are_rounded_half_up_from_exact_decimals(part: int, whole: int,
                                                        expected: int) -> None:
    assert results.percent_of(part, whole) == expected
