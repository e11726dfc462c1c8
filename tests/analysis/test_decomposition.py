"""The search decomposition's architecture share (nas_ops.analysis.decomposition), by hand; on
real searches: tests/test_search_decomposition.py (a CI-size experiment)."""

from __future__ import annotations

import math

import pytest

from nas_ops.analysis.decomposition import architecture_share


def test_share_is_one_minus_the_ratio_of_mean_gains() -> None:
    got = architecture_share({1: 1.0, 2: 1.0, 3: 2.0}, {1: 3.0, 2: 5.0, 3: 2.0},
                             {1: 2.0, 2: 2.0, 3: 2.5})
    # gains: search 2, 4, 0 (mean 2); training only 1, 1, 0.5 (mean 5/6)
    assert got.share == pytest.approx(1 - (5 / 6) / 2)
    assert got.gain_search == pytest.approx(2.0) and got.gain_training == pytest.approx(5 / 6)
    assert got.per_seed[1] == pytest.approx(0.5) and got.per_seed[2] == pytest.approx(0.75)
    assert math.isnan(got.per_seed[3])  # that seed's search gained nothing
    assert got.low <= got.share <= got.high and got.seeds == 3
    assert architecture_share({1: 1.0}, {1: 2.0}, {1: 2.0}).share == 0.0  # training did it all
    with pytest.raises(ValueError, match="no seed"):
        architecture_share({1: 1.0}, {2: 2.0}, {1: 1.0})
