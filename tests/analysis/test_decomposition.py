"""The search decomposition's architecture share (nas_ops.analysis.decomposition): by hand, and
on a real pair of tiny searches whose initial populations must be the same."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nas_ops import load_run, run_search
from nas_ops.analysis.decomposition import (
    architecture_share,
    final_hypervolume,
    initial_hypervolume,
)
from tests.configs import tiny_config


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


def test_the_arms_of_a_seed_start_from_the_same_initial_population(tmp_path: Path) -> None:
    ops = ["add_layer", "remove_layer", "change_units"]
    search = tiny_config(seed=5, generations=1, policy__operators=ops)
    only = tiny_config(seed=5, generations=1, policy__operators=["retrain_control"])
    run_search(search, tmp_path / "s", progress=False)
    run_search(only, tmp_path / "t", progress=False)
    s, t = load_run(tmp_path / "s"), load_run(tmp_path / "t")
    assert [i.hash for i in s.individuals if i.generation == 0] == \
        [i.hash for i in t.individuals if i.generation == 0]
    assert initial_hypervolume(s) == initial_hypervolume(t)
    assert {i.operator for i in t.individuals if i.generation > 0} == {"retrain_control"}
    assert final_hypervolume(s) >= initial_hypervolume(s)  # hypervolume never falls
    assert final_hypervolume(s) == s.hypervolume[-1].value
