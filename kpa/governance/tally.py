"""Pure vote counting: no database, no Django. Every function works on counts.

Majority judgment (Balinski & Laraki) with MieuxVoter's conventions: the majority grade is the
lower median; ties are broken by the sequence of majority grades obtained by repeatedly taking
away the median judgments, which is computed here in at most one step per grade (the median
block moves as a whole to the nearer side that holds more judgments, the contestation side
winning ties). Two options with the same sequence share a rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from math import lcm


class Padding(Enum):
    """How judgments missing from an option are filled up to the number of participants."""

    STATIC = "static"  # with a given grade (the worst, by default): silence is rejection
    MEDIAN = "median"  # with the option's own majority grade: silence changes nothing
    NORMALIZED = "normalized"  # scale every tally to the same total


@dataclass(frozen=True)
class MeritProfile:
    """What the page says of an option: its majority grade and the shares either side."""

    majority_grade: int
    above: int  # judgments better than the majority grade
    below: int  # judgments worse than the majority grade
    total: int


def lower_median_grade(tally: Sequence[int]) -> int:
    """The grade of the lower middle judgment, grades counted worst first."""
    total = sum(tally)
    if total <= 0:
        raise ValueError("An option without judgments has no median.")
    wanted = (total - 1) // 2  # 0-based position of the lower middle judgment
    seen = 0
    for grade, count in enumerate(tally):
        seen += count
        if seen > wanted:
            return grade
    raise AssertionError("unreachable")


def merit_profile(tally: Sequence[int]) -> MeritProfile:
    grade = lower_median_grade(tally)
    return MeritProfile(majority_grade=grade, above=sum(tally[grade + 1:]),
                        below=sum(tally[:grade]), total=sum(tally))


def _score(tally: Sequence[int]) -> tuple[int, ...]:
    """The majority-value sequence, compressed: per step, the median grade then the signed size
    of the larger group outside it (adhesion positive, contestation negative)."""
    counts = list(tally)
    total = sum(counts)
    score: list[int] = []
    for _step in counts:
        median = lower_median_grade(counts)
        above = sum(counts[median + 1:])
        below = sum(counts[:median])
        if above > below:
            group, target = above, next(g for g in range(median + 1, len(counts)) if counts[g])
        elif below:
            group, target = -below, next(g for g in range(median - 1, -1, -1) if counts[g])
        else:
            group, target = 0, median
        score += [median, total + group]
        counts[target] += counts[median] if target != median else 0
        if target != median:
            counts[median] = 0
    return tuple(score)


def _balanced(tallies: Sequence[Sequence[int]], participants: int | None, padding: Padding,
              default_grade: int) -> list[list[int]]:
    sizes = {len(t) for t in tallies}
    if len(sizes) > 1:
        raise ValueError("Every option must be graded on the same scale.")
    if any(count < 0 for tally in tallies for count in tally):
        raise ValueError("A count of judgments cannot be negative.")
    rows = [list(t) for t in tallies]
    totals = [sum(row) for row in rows]
    if padding is Padding.NORMALIZED:
        if any(total == 0 for total in totals):
            raise ValueError("An option without judgments cannot be normalised.")
        common = lcm(*totals)
        return [[count * (common // total) for count in row]
                for row, total in zip(rows, totals, strict=True)]
    target = participants if participants is not None else max(totals, default=0)
    for row, total in zip(rows, totals, strict=True):
        missing = target - total
        if missing < 0:
            raise ValueError("An option has more judgments than there are participants.")
        if missing:
            grade = default_grade if padding is Padding.STATIC or total == 0 \
                else lower_median_grade(row)
            row[grade] += missing
    return rows


def majority_judgment_ranking(
    tallies: Sequence[Sequence[int]],
    *,
    participants: int | None = None,
    padding: Padding = Padding.STATIC,
    default_grade: int = 0,
) -> list[int]:
    """1-based ranks of the options, in the order given; equal options share a rank.

    `tallies[i][g]` is how many judges gave grade `g` (worst first) to option `i`. Options with
    fewer judgments than `participants` (or than the most judged option) are padded as `padding`
    says.
    """
    if not tallies:
        return []
    rows = _balanced(tallies, participants, padding, default_grade)
    if sum(rows[0]) == 0:
        return [1] * len(rows)
    scores = [_score(row) for row in rows]
    return [1 + sum(1 for other in scores if other > score) for score in scores]


def majority_judgment_profiles(tallies: Sequence[Sequence[int]], *,
                               participants: int | None = None) -> list[MeritProfile | None]:
    """Each option's merit profile after padding with the worst grade (None when unjudged)."""
    rows = _balanced(tallies, participants, Padding.STATIC, 0) if tallies else []
    return [merit_profile(row) if sum(row) else None for row in rows]


# -- majority and consent -------------------------------------------------------------------------

THRESHOLDS: dict[str, Fraction] = {
    "simple": Fraction(1, 2),
    "two_thirds": Fraction(2, 3),
    "three_quarters": Fraction(3, 4),
    "unanimity": Fraction(1, 1),
}


def quorum_reached(*, participants: int, electors: int, quorum_percent: int) -> bool:
    """At least `quorum_percent` % of the electors took part (0 % needs nobody)."""
    return participants * 100 >= quorum_percent * electors


def majority_adopted(*, votes_for: int, against: int, abstain: int, threshold: str,
                     abstentions_count: bool) -> bool:
    """A simple majority needs more than half the counted votes; the other thresholds need at
    least their share (two thirds, three quarters, all). Abstentions count only when the rules
    say so, and then as votes that are not "for"."""
    counted = votes_for + against + (abstain if abstentions_count else 0)
    if counted == 0 or votes_for == 0:
        return False
    share = Fraction(votes_for, counted)
    needed = THRESHOLDS[threshold]
    return share > needed if threshold == "simple" else share >= needed


def consent_adopted(*, open_objections: int, participants: int, electors: int,
                    quorum_percent: int) -> bool:
    """Consent is given when no argued objection remains open and the quorum took part."""
    return open_objections == 0 and quorum_reached(
        participants=participants, electors=electors, quorum_percent=quorum_percent)


def choice_winners(counts: Sequence[int]) -> list[int]:
    """Indexes of the options with the most votes (several on a tie; none without votes)."""
    best = max(counts, default=0)
    return [i for i, count in enumerate(counts) if count == best] if best else []
