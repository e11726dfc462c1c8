"""Operator-selection policies: uniform draws, fixed weights, the UCB bandit, and errors."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nas_ops.engine.policies import AdaptivePolicy, UniformPolicy, WeightedPolicy, make_policy
from nas_ops.errors import ConfigError

OPS = ["a", "b", "c"]
PARENT = None  # no policy reads the parent yet


def draws(policy, n: int = 3000, seed: int = 0) -> Counter[str]:
    rng = np.random.default_rng(seed)
    return Counter(policy.choose(PARENT, OPS, rng) for _ in range(n))


def test_uniform_draws_every_operator_about_equally_and_replays() -> None:
    counts = draws(UniformPolicy())
    assert set(counts) == set(OPS)
    assert all(abs(n / 3000 - 1 / 3) < 0.04 for n in counts.values())
    assert draws(UniformPolicy(), seed=7) == draws(UniformPolicy(), seed=7)
    assert UniformPolicy().state() == {}


def test_weights_follow_the_config_and_default_to_one() -> None:
    counts = draws(WeightedPolicy({"a": 2.0, "c": 0.0}))
    assert counts["c"] == 0
    assert abs(counts["a"] / 3000 - 2 / 3) < 0.04  # a: 2, b: 1 (not named), c: 0


def test_all_zero_weights_fall_back_to_uniform() -> None:
    counts = draws(WeightedPolicy({"a": 0.0, "b": 0.0, "c": 0.0}))
    assert set(counts) == set(OPS)


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_invalid_weights_are_a_config_error(bad: float) -> None:
    with pytest.raises(ConfigError, match="policy.weights must be finite and >= 0"):
        WeightedPolicy({"a": bad})


def test_adaptive_tries_each_operator_once_then_follows_the_credit() -> None:
    policy = AdaptivePolicy(exploration=0.1)
    rng = np.random.default_rng(0)
    tried = []
    for _ in OPS:
        op = policy.choose(PARENT, OPS, rng)
        tried.append(op)
        policy.credit(op, 1.0 if op == "b" else -1.0)
    assert tried == OPS  # untried first, in candidate order
    assert policy.choose(PARENT, OPS, rng) == "b"
    assert policy.state() == {"n": {"a": 1, "b": 1, "c": 1},
                              "total": {"a": -1.0, "b": 1.0, "c": -1.0}}


def test_adaptive_exploration_reaches_a_rarely_tried_operator() -> None:
    policy = AdaptivePolicy(exploration=10.0)
    for op, n in (("a", 50), ("b", 50), ("c", 1)):
        for _ in range(n):
            policy.credit(op, 0.1)
    assert policy.choose(PARENT, OPS, np.random.default_rng(0)) == "c"


def test_make_policy_by_name_and_unknown_name() -> None:
    assert make_policy("uniform", {}, 0.5).name == "uniform"
    assert make_policy("weights", {"a": 1.0}, 0.5).name == "weights"
    assert make_policy("adaptive", {}, 0.5).name == "adaptive"
    with pytest.raises(ConfigError, match="choose one of: uniform, weights, adaptive"):
        make_policy("clever", {}, 0.5)
