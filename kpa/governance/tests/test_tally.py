"""Pure counting: majority judgment against MieuxVoter's published vectors, majority thresholds,
consent, choice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kpa.governance.tally import (
    MeritProfile,
    Padding,
    choice_winners,
    consent_adopted,
    lower_median_grade,
    majority_adopted,
    majority_judgment_profiles,
    majority_judgment_ranking,
    merit_profile,
    quorum_reached,
)

# MieuxVoter/majority-judgment-library-typescript, assertions.json (MIT).
VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "mieuxvoter_assertions.json").read_text(encoding="utf-8"))

MODES = {"StaticDefault": Padding.STATIC, "MedianDefault": Padding.MEDIAN,
         "Normalized": Padding.NORMALIZED}


def test_the_vectors_file_holds_the_nine_published_cases() -> None:
    assert len(VECTORS) == 9
    assert len({v["title"] for v in VECTORS}) == 9
    assert {v.get("mode", "StaticDefault") for v in VECTORS} == set(MODES)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["title"] for v in VECTORS])
def test_the_ranking_agrees_with_mieuxvoter(vector: dict[str, Any]) -> None:
    ranks = majority_judgment_ranking(
        vector["tallies"], participants=vector["participants"],
        padding=MODES[vector.get("mode", "StaticDefault")],
        default_grade=vector.get("default", 0))
    assert ranks == vector["ranks"]


def test_normalisation_ignores_the_number_of_participants() -> None:
    vector = next(v for v in VECTORS if v["title"] == "Normalization")
    for participants in (None, 1, 10, 1000):
        assert majority_judgment_ranking(vector["tallies"], participants=participants,
                                         padding=Padding.NORMALIZED) == vector["ranks"]


def test_padding_decides_between_silence_as_rejection_and_silence_as_nothing() -> None:
    # B has fewer judgments: padded with "À rejeter" it falls behind A; padded with its own
    # median it stays level with A, its judgments being A's minus one "Passable".
    tallies = [[0, 0, 3, 0, 0], [0, 0, 2, 0, 0]]
    assert majority_judgment_ranking(tallies, participants=3) == [1, 2]
    assert majority_judgment_ranking(tallies, participants=3, padding=Padding.MEDIAN) == [1, 1]
    # Without `participants` the most judged option sets the number.
    assert majority_judgment_ranking(tallies) == [1, 2]
    # A static default better than the median lifts the silent option above.
    assert majority_judgment_ranking(tallies, participants=3, default_grade=4) == [2, 1]


# -- the lower median ------------------------------------------------------------------------------

@pytest.mark.parametrize(("tally", "grade"), [
    ([1, 0, 0], 0),
    ([0, 1, 1], 1),        # two judgments: the lower of the two
    ([0, 1, 0, 1], 1),
    ([1, 1, 1], 1),        # three: the middle one
    ([2, 0, 2], 0),        # four, 0 0 2 2: the second, 0
    ([1, 0, 3], 2),        # four, 0 2 2 2: the second, 2
    ([0, 2, 1, 2], 2),     # five: the third
    ([3, 0, 0, 0, 0, 0, 3], 0),
    ([0, 0, 0, 0, 0, 0, 1], 6),
])
def test_the_majority_grade_is_the_lower_median(tally: list[int], grade: int) -> None:
    assert lower_median_grade(tally) == grade


def test_an_option_without_judgments_has_no_median() -> None:
    with pytest.raises(ValueError, match="median"):
        lower_median_grade([0, 0, 0])


def test_merit_profiles_split_the_judgments_around_the_majority_grade() -> None:
    assert merit_profile([1, 2, 3, 4, 0]) == MeritProfile(majority_grade=2, above=4, below=3,
                                                          total=10)
    assert merit_profile([0, 0, 5]) == MeritProfile(majority_grade=2, above=0, below=0, total=5)


def test_profiles_pad_silence_with_rejection_and_leave_an_unjudged_option_empty() -> None:
    profiles = majority_judgment_profiles([[0, 1, 1], [0, 0, 1], [0, 0, 0]], participants=3)
    assert profiles[0] == MeritProfile(majority_grade=1, above=1, below=1, total=3)
    # One "Passable" out of three: two missing judgments count as "À rejeter".
    assert profiles[1] == MeritProfile(majority_grade=0, above=1, below=0, total=3)
    # Padded to 3 it has judgments — three silent "À rejeter".
    assert profiles[2] == MeritProfile(majority_grade=0, above=0, below=0, total=3)
    assert majority_judgment_profiles([[0, 0], [0, 0]]) == [None, None]
    assert majority_judgment_profiles([]) == []


# -- ranks ----------------------------------------------------------------------------------------

def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    assert majority_judgment_ranking([[0, 1, 1], [0, 1, 1], [1, 1, 0]]) == [1, 1, 3]


def test_the_tie_break_looks_past_the_equal_majority_grade() -> None:
    # Both have the majority grade 2 (1 2 2 3 3 against 1 1 2 2 3); taking it away leaves A
    # with 2 and B with 1: A wins.
    assert majority_judgment_ranking([[0, 1, 2, 2, 0], [0, 2, 2, 1, 0]]) == [1, 2]


def test_nothing_to_rank_and_nobody_judging() -> None:
    assert majority_judgment_ranking([]) == []
    assert majority_judgment_ranking([[0, 0, 0], [0, 0, 0]]) == [1, 1]


# -- errors ---------------------------------------------------------------------------------------

def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        majority_judgment_ranking([[1, 1], [2, -1]])


def test_options_graded_on_different_scales_are_refused() -> None:
    with pytest.raises(ValueError, match="same scale"):
        majority_judgment_ranking([[1, 1, 1], [1, 2]])


def test_more_judgments_than_participants_are_refused() -> None:
    with pytest.raises(ValueError, match="more judgments"):
        majority_judgment_ranking([[1, 1, 1], [1, 1, 0]], participants=2)


def test_normalising_an_unjudged_option_is_refused() -> None:
    with pytest.raises(ValueError, match="normalised"):
        majority_judgment_ranking([[1, 1], [0, 0]], padding=Padding.NORMALIZED)


# -- quorum, majority, consent, choice ------------------------------------------------------------

@pytest.mark.parametrize(("participants", "electors", "quorum", "reached"), [
    (0, 10, 0, True),      # no quorum: nobody is enough
    (0, 0, 50, True),      # nobody to call
    (5, 10, 50, True),     # exactly half
    (4, 10, 50, False),
    (1, 3, 34, False),     # 33.3 % < 34 %
    (1, 3, 33, True),
    (10, 10, 100, True),
    (9, 10, 100, False),
])
def test_the_quorum_counts_the_share_of_electors_who_took_part(
        participants: int, electors: int, quorum: int, reached: bool) -> None:
    assert quorum_reached(participants=participants, electors=electors,
                          quorum_percent=quorum) is reached


@pytest.mark.parametrize(("threshold", "votes_for", "against", "adopted"), [
    ("simple", 5, 5, False),          # exactly half is not a majority
    ("simple", 6, 5, True),
    ("simple", 1, 0, True),
    ("two_thirds", 2, 1, True),       # exactly two thirds is enough
    ("two_thirds", 199, 101, False),  # 66.3 %
    ("two_thirds", 20, 10, True),
    ("three_quarters", 3, 1, True),   # exactly three quarters
    ("three_quarters", 74, 26, False),
    ("unanimity", 7, 0, True),
    ("unanimity", 7, 1, False),
])
def test_each_threshold_at_its_boundary(threshold: str, votes_for: int, against: int,
                                        adopted: bool) -> None:
    assert majority_adopted(votes_for=votes_for, against=against, abstain=0, threshold=threshold,
                            abstentions_count=False) is adopted


def test_abstentions_weigh_only_when_the_rules_say_so() -> None:
    kwargs: dict[str, Any] = {"votes_for": 6, "against": 4, "abstain": 3, "threshold": "simple"}
    assert majority_adopted(**kwargs, abstentions_count=False) is True   # 6 of 10
    assert majority_adopted(**kwargs, abstentions_count=True) is False   # 6 of 13
    # Counted, an abstention turns exactly-two-thirds into less.
    assert majority_adopted(votes_for=2, against=1, abstain=1, threshold="two_thirds",
                            abstentions_count=True) is False


def test_without_any_vote_for_nothing_is_adopted() -> None:
    for threshold in ("simple", "two_thirds", "three_quarters", "unanimity"):
        assert majority_adopted(votes_for=0, against=0, abstain=0, threshold=threshold,
                                abstentions_count=False) is False
        assert majority_adopted(votes_for=0, against=0, abstain=5, threshold=threshold,
                                abstentions_count=False) is False


def test_an_unknown_threshold_is_an_error_not_a_verdict() -> None:
    with pytest.raises(KeyError):
        majority_adopted(votes_for=1, against=0, abstain=0, threshold="most",
                         abstentions_count=False)


def test_consent_needs_no_open_objection_and_the_quorum() -> None:
    assert consent_adopted(open_objections=0, participants=6, electors=10, quorum_percent=50)
    assert not consent_adopted(open_objections=1, participants=10, electors=10,
                               quorum_percent=0)
    assert not consent_adopted(open_objections=0, participants=4, electors=10,
                               quorum_percent=50)


def test_choice_winners_are_every_option_with_the_most_votes() -> None:
    assert choice_winners([3, 5, 1]) == [1]
    assert choice_winners([4, 1, 4]) == [0, 2]
    assert choice_winners([0, 0]) == []
    assert choice_winners([]) == []
