"""Arithmetic of expert review: weighted scores, spread, and agreement between experts.

Pure functions over plain numbers, so the figures staff see can be checked by hand.

Agreement is Krippendorff's alpha: 1 − observed disagreement / disagreement expected by
chance, computed from the coincidences of values within each idea. It handles any number
of experts, ideas scored by only some of them, and interval or nominal scores; 1 means
perfect agreement, 0 agreement no better than chance, below 0 systematic disagreement.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

Metric = Literal["interval", "nominal"]


def weighted_score(scores: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """One review's score: the weighted mean of its criteria (weights need not sum to 1)."""
    used = [(scores[c], w) for c, w in weights.items() if c in scores and w > 0]
    total = sum(w for _, w in used)
    if not used or total == 0:
        raise ValueError("no weighted criterion was scored")
    return sum(s * w for s, w in used) / total


@dataclass(frozen=True)
class IdeaAggregate:
    mean: float  # mean of the experts' weighted scores
    spread: float  # population standard deviation of those scores
    reviews: int
    shortlisted_by: int


def aggregate_idea(
    review_scores: Sequence[float], shortlist_votes: Sequence[bool]
) -> IdeaAggregate:
    if not review_scores:
        raise ValueError("an idea without reviews has no aggregate")
    mean = sum(review_scores) / len(review_scores)
    spread = math.sqrt(sum((s - mean) ** 2 for s in review_scores) / len(review_scores))
    return IdeaAggregate(mean, spread, len(review_scores), sum(bool(v) for v in shortlist_votes))


def krippendorff_alpha(
    units: Sequence[Sequence[float | None]], metric: Metric = "interval"
) -> float | None:
    """Alpha over `units` (one row of values per idea, None where an expert gave none).

    Returns None when it is undefined: fewer than two ideas with two or more values, or no
    variation at all among the values.
    """

    def distance(a: float, b: float) -> float:
        return (a - b) ** 2 if metric == "interval" else float(a != b)

    pairable = [[v for v in unit if v is not None] for unit in units]
    pairable = [values for values in pairable if len(values) >= 2]
    n = sum(len(values) for values in pairable)
    if len(pairable) < 1 or n < 2:
        return None
    observed = 0.0
    for values in pairable:
        within = sum(distance(a, b) for a, b in combinations(values, 2)) * 2
        observed += within / (len(values) - 1)
    observed /= n
    everything = [v for values in pairable for v in values]
    expected = sum(distance(a, b) for a, b in combinations(everything, 2)) * 2 / (n * (n - 1))
    if expected == 0:
        return None
    return 1.0 - observed / expected
