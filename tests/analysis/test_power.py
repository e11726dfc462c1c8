"""The power approximation of paired comparisons (nas_ops.analysis.power), against the exact
Wilcoxon test it stands for, by simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nas_ops.analysis.power import detectable_effect, min_pairs, paired_power, pairs_needed


def test_fewest_pairs_that_can_reach_a_level() -> None:
    assert min_pairs(0.05) == 6  # 2 / 2**5 = 0.031; 2 / 2**4 = 0.125
    assert min_pairs(0.05 / 4) == 8
    assert detectable_effect(5, 0.05) == math.inf
    assert paired_power(10.0, 5, 0.05) == 0.0


def test_detectable_effect_inverts_power_and_shrinks_with_pairs() -> None:
    for n in (6, 10, 20):
        assert paired_power(detectable_effect(n, 0.05), n, 0.05) == pytest.approx(0.8, abs=1e-6)
    assert detectable_effect(10, 0.05) > detectable_effect(20, 0.05) > detectable_effect(40, 0.05)
    assert pairs_needed(detectable_effect(12, 0.05), 0.05) == 12


@pytest.mark.parametrize("n, alpha", [(12, 0.05), (10, 0.05 / 4)])
def test_power_matches_the_exact_wilcoxon_test_by_simulation(n: int, alpha: float) -> None:
    effect = detectable_effect(n, alpha)
    rng = np.random.default_rng(3)
    samples = rng.normal(effect, 1.0, size=(1500, n))
    found = stats.wilcoxon(samples, axis=1, method="exact").pvalue <= alpha
    assert 0.72 <= found.mean() <= 0.86  # the approximation says 0.8 (simulated 0.77-0.80)
