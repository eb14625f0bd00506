"""Properties of the tally (hypothesis): majority judgment against a brute-force oracle written
here from the definition, its invariances and monotonicity; majority thresholds; consent."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from kpa.governance.tally import (
    THRESHOLDS,
    consent_adopted,
    majority_adopted,
    majority_judgment_ranking,
)

Tallies = list[list[int]]


@st.composite
def balanced_tallies(draw: st.DrawFn, *, max_options: int = 6, max_grades: int = 7,
                     max_judges: int = 12) -> Tallies:
    """Per option, the counts (worst grade first) of `judges` judgments drawn at random: every
    option has the same number of judgments, as when every ballot grades every option."""
    options = draw(st.integers(1, max_options))
    grades = draw(st.integers(1, max_grades))
    judges = draw(st.integers(1, max_judges))
    tallies = []
    for _option in range(options):
        judgments = draw(st.lists(st.integers(0, grades - 1), min_size=judges,
                                  max_size=judges))
        tallies.append([judgments.count(grade) for grade in range(grades)])
    return tallies


def median_sequence(tally: list[int]) -> list[int]:
    """The definition, on expanded ballots: take the lower median judgment away, again and
    again, and note each median."""
    judgments = sorted(grade for grade, count in enumerate(tally) for _ in range(count))
    sequence = []
    while judgments:
        median = judgments[(len(judgments) - 1) // 2]
        sequence.append(median)
        judgments.remove(median)
    return sequence


def oracle_ranking(tallies: Tallies) -> list[int]:
    """Compare the sequences lexicographically; equal sequences share a rank."""
    sequences = [median_sequence(tally) for tally in tallies]
    return [1 + sum(1 for other in sequences if other > mine) for mine in sequences]


def test_the_oracle_itself_on_a_case_worked_by_hand() -> None:
    # A: 0 2 2 4 → medians 2, 2, 0, 4. B: 1 2 2 3 → 2, 2, 1, 3. B wins on the third step.
    assert median_sequence([1, 0, 2, 0, 1]) == [2, 2, 0, 4]
    assert median_sequence([0, 1, 2, 1, 0]) == [2, 2, 1, 3]
    assert oracle_ranking([[1, 0, 2, 0, 1], [0, 1, 2, 1, 0], [1, 0, 2, 0, 1]]) == [2, 1, 2]


@given(balanced_tallies())
def test_the_ranking_agrees_with_the_brute_force_definition(tallies: Tallies) -> None:
    assert majority_judgment_ranking(tallies) == oracle_ranking(tallies)


@given(balanced_tallies(), st.data())
def test_silence_padded_with_a_fixed_grade_is_that_many_judgments_of_that_grade(
        tallies: Tallies, data: st.DataObject) -> None:
    grades = len(tallies[0])
    judges = sum(tallies[0])
    # Some options lose judgments (absent judges), then are padded back.
    short = [[max(0, count - data.draw(st.integers(0, 2))) for count in tally]
             for tally in tallies]
    default = data.draw(st.integers(0, grades - 1))
    padded = [list(tally) for tally in short]
    for tally in padded:
        tally[default] += judges - sum(tally)
    assert majority_judgment_ranking(short, participants=judges,
                                     default_grade=default) == oracle_ranking(padded)


@given(balanced_tallies(), st.data())
def test_the_ranking_does_not_depend_on_the_order_of_the_options(
        tallies: Tallies, data: st.DataObject) -> None:
    order = data.draw(st.permutations(range(len(tallies))))
    ranks = majority_judgment_ranking(tallies)
    shuffled = majority_judgment_ranking([tallies[i] for i in order])
    back = [0] * len(tallies)
    for position, original in enumerate(order):
        back[original] = shuffled[position]
    assert back == ranks


@given(balanced_tallies())
def test_ranks_are_competition_ranks(tallies: Tallies) -> None:
    ranks = majority_judgment_ranking(tallies)
    assert min(ranks) == 1
    # Each rank is one more than the number of options strictly ahead ("1, 1, 3").
    for rank in ranks:
        assert rank == 1 + sum(1 for other in ranks if other < rank)


@given(balanced_tallies(), st.integers(2, 50))
def test_scaling_every_tally_changes_no_rank(tallies: Tallies, k: int) -> None:
    assert majority_judgment_ranking([[count * k for count in tally] for tally in tallies]) \
        == majority_judgment_ranking(tallies)


@given(balanced_tallies(), st.data())
def test_moving_one_judgment_up_never_worsens_the_option_s_rank(
        tallies: Tallies, data: st.DataObject) -> None:
    # Each sorted judgment can only rise, so every median in the option's sequence can only
    # rise: the sequence is lexicographically at least as good, the other options unchanged.
    grades = len(tallies[0])
    option = data.draw(st.integers(0, len(tallies) - 1))
    movable = [grade for grade in range(grades - 1) if tallies[option][grade]]
    if not movable:
        return
    source = data.draw(st.sampled_from(movable))
    target = data.draw(st.integers(source + 1, grades - 1))
    better = [list(tally) for tally in tallies]
    better[option][source] -= 1
    better[option][target] += 1
    before, after = majority_judgment_ranking(tallies), majority_judgment_ranking(better)
    assert after[option] <= before[option]
    # Nobody else overtakes it: whoever was behind or level stays so.
    for other in range(len(tallies)):
        if before[other] >= before[option]:
            assert after[other] >= after[option]


# -- majority and consent -------------------------------------------------------------------------

counts = st.integers(0, 10_000)


@given(counts, counts, counts, st.sampled_from(sorted(THRESHOLDS)), st.booleans())
def test_one_more_vote_for_never_turns_an_adoption_into_a_rejection(
        votes_for: int, against: int, abstain: int, threshold: str,
        abstentions_count: bool) -> None:
    if majority_adopted(votes_for=votes_for, against=against, abstain=abstain,
                        threshold=threshold, abstentions_count=abstentions_count):
        assert majority_adopted(votes_for=votes_for + 1, against=against, abstain=abstain,
                                threshold=threshold, abstentions_count=abstentions_count)
    # And moving one vote from against to for never does either.
    if against and majority_adopted(votes_for=votes_for, against=against, abstain=abstain,
                                    threshold=threshold, abstentions_count=abstentions_count):
        assert majority_adopted(votes_for=votes_for + 1, against=against - 1, abstain=abstain,
                                threshold=threshold, abstentions_count=abstentions_count)


@given(counts, counts, counts, st.booleans())
def test_a_simple_majority_is_more_than_half_of_the_counted_votes(
        votes_for: int, against: int, abstain: int, abstentions_count: bool) -> None:
    counted = votes_for + against + (abstain if abstentions_count else 0)
    assert majority_adopted(votes_for=votes_for, against=against, abstain=abstain,
                            threshold="simple", abstentions_count=abstentions_count) \
        is (2 * votes_for > counted)


@given(counts, counts, counts, st.sampled_from(["two_thirds", "three_quarters", "unanimity"]),
       st.booleans())
def test_the_other_thresholds_are_reached_at_their_share(
        votes_for: int, against: int, abstain: int, threshold: str,
        abstentions_count: bool) -> None:
    counted = votes_for + against + (abstain if abstentions_count else 0)
    share = {"two_thirds": Fraction(2, 3), "three_quarters": Fraction(3, 4),
             "unanimity": Fraction(1)}[threshold]
    assert majority_adopted(votes_for=votes_for, against=against, abstain=abstain,
                            threshold=threshold, abstentions_count=abstentions_count) \
        is (votes_for > 0 and votes_for >= share * counted)


@given(st.integers(0, 5), st.integers(0, 200), st.integers(0, 200), st.integers(0, 100))
def test_consent_is_adopted_iff_no_objection_is_open_and_the_quorum_took_part(
        open_objections: int, participants: int, electors: int, quorum_percent: int) -> None:
    quorum = participants * 100 >= quorum_percent * electors
    assert consent_adopted(open_objections=open_objections, participants=participants,
                           electors=electors, quorum_percent=quorum_percent) \
        is (open_objections == 0 and quorum)
