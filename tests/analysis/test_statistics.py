"""Unit checks of the statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nas_ops.analysis.statistics import (
    benjamini_hochberg,
    bootstrap_median_ci,
    cliffs_delta_vs_zero,
    holm,
    wilcoxon_p,
)


def test_holm_matches_a_hand_computed_example() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max so far 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_skips_nan_and_caps_at_one() -> None:
    # m = 3 valid: 0.02*3 = 0.06, 0.5*2 = 1.0, 0.6*1 = 0.6 -> running max 1.0
    adj = holm([math.nan, 0.02, 0.6, 0.5])
    assert math.isnan(adj[0])
    assert adj[1:] == pytest.approx([0.06, 1.0, 1.0])
    assert holm([]) == []


def test_benjamini_hochberg_matches_a_hand_computed_example_and_scipy() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 (m = 4): 0.02, 0.02, 0.04, 0.04, each the min from its rank up
    p = [0.01, 0.04, 0.03, 0.005]
    assert benjamini_hochberg(p) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    from scipy import stats

    x = np.random.default_rng(0).random(50) ** 3
    assert benjamini_hochberg(list(x)) == pytest.approx(stats.false_discovery_control(x))
    adj = benjamini_hochberg([math.nan, 0.5])
    assert math.isnan(adj[0]) and adj[1] == 0.5


def test_cliffs_delta_against_no_change() -> None:
    assert cliffs_delta_vs_zero(np.array([1.0, -1.0, 0.0, 2.0])) == pytest.approx(0.25)
    assert cliffs_delta_vs_zero(np.array([0.5, 0.1])) == 1.0
    assert math.isnan(cliffs_delta_vs_zero(np.array([])))


def test_bootstrap_ci_is_seeded_and_brackets_the_median() -> None:
    x = np.random.default_rng(3).normal(0.05, 0.01, 40)
    lo, hi = bootstrap_median_ci(x, np.random.default_rng(0))
    assert lo < np.median(x) < hi
    assert hi - lo < 0.02
    assert (lo, hi) == bootstrap_median_ci(x, np.random.default_rng(0))
    assert bootstrap_median_ci(np.array([2.0]), np.random.default_rng(0)) == (2.0, 2.0)


def test_wilcoxon_drops_zeros_and_is_nan_without_nonzero() -> None:
    assert math.isnan(wilcoxon_p(np.zeros(5)))
    # all 8 non-zero effects positive: exact two-sided p = 2 / 2**8
    x = np.array([0.0, 0.0, 1, 2, 3, 4, 5, 6, 7, 8])
    assert wilcoxon_p(x) == pytest.approx(2 / 2**8)
