"""Unit checks of the base-level statistics, the scale-free effect and the chance check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nas_ops.analysis.bases import at_chance
from nas_ops.analysis.blocks import (
    base_medians,
    blocked_p,
    cluster_bootstrap,
    make_blocks,
    split_bases,
)
from nas_ops.analysis.rows import OutputInfo, log_error_ratio

ACC = OutputInfo("class", "classification", "accuracy", True)
MSE = OutputInfo("histogram", "regression", "mse", False)


def test_per_base_medians_and_the_exact_test_over_bases() -> None:
    blocks = make_blocks([("b1", 1.0), ("b1", 3.0), ("b2", -1.0), ("b3", 2.0), ("b3", math.nan),
                          ("b4", 0.0), ("b5", 4.0), ("b6", 5.0)])
    assert list(blocks) == ["b1", "b2", "b3", "b4", "b5", "b6"]
    assert base_medians(blocks).tolist() == [2.0, -1.0, 2.0, 0.0, 4.0, 5.0]
    # the zero median is dropped, as scipy does by default
    assert blocked_p(blocks) == pytest.approx(stats.wilcoxon([2.0, -1.0, 2.0, 4.0, 5.0]).pvalue)
    assert math.isnan(blocked_p(make_blocks([("b1", 0.0), ("b2", 0.0)])))


def test_cluster_bootstrap_gives_every_effect_size_an_interval() -> None:
    rng = np.random.default_rng(1)
    blocks = {f"b{i}": rng.normal(0.5 + rng.normal(), 1.0, 3) for i in range(20)}
    sizes = cluster_bootstrap(blocks, np.random.default_rng(0), 500)
    assert sizes.n == 60 and sizes.n_bases == 20
    for iv in (sizes.median, sizes.p_improve, sizes.cliffs_delta):
        assert iv.low <= iv.estimate <= iv.high
    again = cluster_bootstrap(blocks, np.random.default_rng(0), 500)
    assert again == sizes
    # a single child per base: the interval is that of a plain bootstrap over bases
    single = cluster_bootstrap({"a": np.array([1.0]), "b": np.array([1.0])},
                               np.random.default_rng(0), 100)
    assert (single.median.low, single.median.high) == (1.0, 1.0)
    assert math.isnan(cluster_bootstrap({}, np.random.default_rng(0)).median.estimate)


def test_the_cluster_interval_is_wider_than_the_iid_one_for_clustered_effects() -> None:
    rng = np.random.default_rng(5)
    blocks = {f"b{i}": rng.normal(rng.normal(0, 1), 0.2, 5) for i in range(12)}
    clustered = cluster_bootstrap(blocks, np.random.default_rng(0), 1000).median
    x = np.concatenate(list(blocks.values()))
    iid = np.median(x[np.random.default_rng(0).integers(0, x.size, (1000, x.size))], axis=1)
    lo, hi = np.quantile(iid, [0.025, 0.975])
    assert clustered.high - clustered.low > 1.3 * (hi - lo)


def test_split_is_deterministic_and_halves_the_bases() -> None:
    bases = [f"b{i:02d}" for i in range(11)]
    d, h = split_bases(reversed(bases), seed=3)
    assert (d, h) == split_bases(bases, seed=3)
    assert len(d) == 6 and len(h) == 5 and sorted(d + h) == bases
    assert split_bases(bases, seed=4) != (d, h)


def test_log_error_ratio_is_scale_free_and_positive_when_better() -> None:
    assert log_error_ratio(ACC, 0.5, 0.75) == pytest.approx(math.log(2))  # error 0.5 -> 0.25
    assert log_error_ratio(MSE, 0.02, 0.01) == pytest.approx(math.log(2))
    assert log_error_ratio(MSE, 2.0, 1.0) == pytest.approx(math.log(2))  # 100x the scale
    assert log_error_ratio(MSE, 0.01, 0.02) < 0
    assert math.isnan(log_error_ratio(ACC, 0.5, 1.0))  # error 0: no ratio


def test_chance_level_is_a_binomial_interval_around_one_over_k() -> None:
    # 10 classes, 500 samples: 0.1 +- 1.96 * sqrt(0.09 / 500) = 0.1 +- 0.0263
    assert at_chance(0.117, 10, 500) and at_chance(0.08, 10, 500)
    assert not at_chance(0.13, 10, 500) and not at_chance(0.6, 10, 500)
    assert not at_chance(math.nan, 10, 500)
