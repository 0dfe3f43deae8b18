"""Review arithmetic on known examples."""

from __future__ import annotations

import math

import pytest

from ideas.review.aggregate import aggregate_idea, krippendorff_alpha, weighted_score

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example:
# four observers, twelve units, missing values; published alphas: nominal .743, interval .849.
KRIPPENDORFF_EXAMPLE = [
    # A     B     C     D
    (1, 1, None, 1),
    (2, 2, 3, 2),
    (3, 3, 3, 3),
    (3, 3, 3, 3),
    (2, 2, 2, 2),
    (1, 2, 3, 4),
    (4, 4, 4, 4),
    (1, 1, 2, 1),
    (2, 2, 2, 2),
    (None, 5, 5, 5),
    (None, None, 1, 1),
    (None, 3, None, None),
]


def test_alpha_matches_krippendorffs_published_example():
    assert krippendorff_alpha(KRIPPENDORFF_EXAMPLE, "nominal") == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_EXAMPLE, "interval") == pytest.approx(0.849, abs=5e-4)


def test_alpha_is_one_for_perfect_agreement_and_negative_for_systematic_disagreement():
    assert krippendorff_alpha([(1, 1), (3, 3), (5, 5)]) == pytest.approx(1.0)
    assert krippendorff_alpha([(1, 5), (5, 1), (1, 5), (5, 1)]) < 0


def test_alpha_is_undefined_without_variation_or_pairs():
    assert krippendorff_alpha([(4, 4), (4, 4)]) is None
    assert krippendorff_alpha([(4, None), (None, 2)]) is None
    assert krippendorff_alpha([]) is None


def test_weighted_score_uses_the_staff_weights():
    weights = {"usefulness": 3, "feasibility": 2, "cost": 1}
    assert weighted_score({"usefulness": 5, "feasibility": 2, "cost": 1}, weights) == pytest.approx(
        (15 + 4 + 1) / 6
    )
    assert weighted_score({"usefulness": 4}, {"usefulness": 1, "reach": 0}) == 4


def test_weighted_score_needs_a_scored_criterion():
    with pytest.raises(ValueError, match="no weighted criterion"):
        weighted_score({}, {"usefulness": 1})


def test_aggregate_mean_spread_and_shortlist_votes():
    result = aggregate_idea([4.0, 2.0, 3.0], [True, False, True])
    assert result.mean == pytest.approx(3.0)
    assert result.spread == pytest.approx(math.sqrt(2 / 3))
    assert result.reviews == 3
    assert result.shortlisted_by == 2
