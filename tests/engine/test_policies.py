"""Operator-selection policies: uniform draws, fixed weights, the UCB bandit, the FRRMAB
bandit against a hand-computed oracle, and errors."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from nas_ops.config import PolicyConfig
from nas_ops.engine.policies import (
    POLICIES,
    AdaptivePolicy,
    Choice,
    DiagnosisPolicy,
    FrrmabPolicy,
    PolicyContext,
    UniformPolicy,
    WeightedPolicy,
    auto_window,
)
from nas_ops.errors import ConfigError, UnknownNameError

OPS = ["a", "b", "c"]
PARENT = None  # no policy reads the parent yet


def draws(policy, n: int = 3000, seed: int = 0) -> Counter[str]:
    rng = np.random.default_rng(seed)
    return Counter(policy.choose(PARENT, OPS, rng).operator for _ in range(n))


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
        op = policy.choose(PARENT, OPS, rng).operator
        tried.append(op)
        policy.credit(op, 1.0 if op == "b" else -1.0)
    assert tried == OPS  # untried first, in candidate order
    assert policy.choose(PARENT, OPS, rng) == Choice("b")
    assert policy.state() == {"n": {"a": 1, "b": 1, "c": 1},
                              "total": {"a": -1.0, "b": 1.0, "c": -1.0}}


def test_adaptive_exploration_reaches_a_rarely_tried_operator() -> None:
    policy = AdaptivePolicy(exploration=10.0)
    for op, n in (("a", 50), ("b", 50), ("c", 1)):
        for _ in range(n):
            policy.credit(op, 0.1)
    assert policy.choose(PARENT, OPS, np.random.default_rng(0)).operator == "c"


def test_the_registry_builds_each_policy_from_its_config() -> None:
    ctx = PolicyContext(population=8, operators=3)
    cfg = PolicyConfig(weights={"a": 2.0}, exploration=0.3, scaling=2.0, unimportant=1.2)
    built = {name: POLICIES.get(name)(cfg, ctx) for name in POLICIES
             if name not in ("guided", "learned")}  # these two need a file
    assert {name: policy.name for name, policy in built.items()} == {n: n for n in built}
    assert isinstance(built["weights"], WeightedPolicy) and built["weights"].weights == {"a": 2.0}
    assert isinstance(built["adaptive"], AdaptivePolicy) and built["adaptive"].c == 0.3
    assert isinstance(built["frrmab"], FrrmabPolicy) and built["frrmab"].scaling == 2.0
    assert built["frrmab"].size == auto_window(8, 3) == 6  # window 0: the automatic one
    frrmab = POLICIES.get("frrmab")(PolicyConfig(window=5), ctx)
    assert isinstance(frrmab, FrrmabPolicy) and frrmab.size == 5
    assert isinstance(built["diagnosis"], DiagnosisPolicy)
    with pytest.raises(UnknownNameError, match="unknown policy 'clever'; valid choices: "
                                               f"{', '.join(POLICIES.names())}"):
        POLICIES.get("clever")
    with pytest.raises(ConfigError, match="needs guidelines"):
        POLICIES.get("guided")(PolicyConfig(name="guided", guidelines="g.json"), ctx)


# ----------------------------------------------------------------------------- FRRMAB
def test_frrmab_tries_every_operator_first_uniformly() -> None:
    policy = FrrmabPolicy(window=4)
    first = policy.choose(PARENT, OPS, np.random.default_rng(0))
    assert first == Choice(OPS[int(np.random.default_rng(0).integers(3))])
    policy.credit("a", 0.1, 0.5)
    rng = np.random.default_rng(1)
    assert policy.choose(PARENT, OPS, rng).operator == ["b", "c"][
        int(np.random.default_rng(1).integers(2))]


def test_frrmab_matches_a_hand_computed_oracle() -> None:
    policy = FrrmabPolicy(scaling=1.0, decay=0.5, window=4)
    policy.choose(PARENT, OPS, np.random.default_rng(0))  # the arms are a, b, c
    for op, reward in (("a", 0.2), ("b", -0.1), ("c", 0.05), ("a", 0.1)):
        policy.credit(op, reward, 0.5)  # FIR = max(reward, 0) / 0.5
    assert policy.state() == {"window": [["a", 0.4], ["b", 0.0], ["c", 0.1], ["a", 0.2]]}
    # rewards a .6, b 0, c .1; uses a 2, b 1, c 1; ranks a 0, c 1, b 2 (D = .5):
    # FRR a = .6 / .65, c = .05 / .65, b = 0; explore sqrt(2 ln 4 / n)
    assert policy.scores(OPS) == pytest.approx(
        {"a": 0.6 / 0.65 + math.sqrt(math.log(4)), "b": math.sqrt(2 * math.log(4)),
         "c": 0.05 / 0.65 + math.sqrt(2 * math.log(4))})
    assert policy.choose(PARENT, OPS, np.random.default_rng(0)).operator == "a"
    policy.credit("b", 0.3, 0.5)  # the oldest entry (a, .4) leaves the window
    # rewards a .2, b .6, c .1; uses a 1, b 2, c 1; ranks b 0, a 1, c 2
    assert policy.scores(OPS) == pytest.approx(
        {"a": 0.1 / 0.725 + math.sqrt(2 * math.log(4)), "b": 0.6 / 0.725 + math.sqrt(math.log(4)),
         "c": 0.025 / 0.725 + math.sqrt(2 * math.log(4))})
    assert policy.choose(PARENT, OPS, np.random.default_rng(0)).operator == "b"


def test_frrmab_retries_an_operator_that_left_the_window() -> None:
    policy = FrrmabPolicy(window=3)
    policy.choose(PARENT, OPS, np.random.default_rng(0))
    for _ in range(3):
        policy.credit("c", 1.0, 0.5)
    picks = {policy.choose(PARENT, OPS, np.random.default_rng(s)).operator for s in range(20)}
    assert picks == {"a", "b"}


def test_frrmab_ignores_operators_it_does_not_choose_and_failures_score_zero() -> None:
    policy = FrrmabPolicy(window=5)
    policy.credit("a", 1.0, 0.5)  # before any choice: no arm yet
    policy.choose(PARENT, OPS, np.random.default_rng(0))
    policy.credit("swap_network", 1.0, 0.5)
    policy.credit("b", -1.0, 0.5)
    policy.credit("c", math.nan, 0.5)
    assert policy.state() == {"window": [["b", 0.0], ["c", 0.0]]}


def test_frrmab_all_zero_rewards_leave_only_exploration() -> None:
    policy = FrrmabPolicy(scaling=5.0, decay=1.0, window=6)
    policy.choose(PARENT, OPS, np.random.default_rng(0))
    for op in ("a", "a", "b", "c"):
        policy.credit(op, 0.0, 0.5)
    scores = policy.scores(OPS)
    assert scores["a"] == pytest.approx(5 * math.sqrt(2 * math.log(4) / 2))
    assert policy.choose(PARENT, OPS, np.random.default_rng(0)).operator == "b"  # first of ties


def test_frrmab_default_window() -> None:
    assert auto_window(600, 4) == 300  # the paper's W = N / 2
    assert auto_window(8, 19) == 38  # at least two entries per operator


@pytest.mark.parametrize("make", [AdaptivePolicy, FrrmabPolicy])
def test_bandits_skip_an_operator_that_already_failed_for_this_child(make) -> None:
    """An operator that cannot apply is never credited (it makes no child); a bandit that chose
    it again on every attempt because it looks untried bred nothing but crossovers (seen in the
    guided-vs-uniform experiment: bypass_network failed 4,384 times in one search)."""
    from nas_ops.engine.policies import ParentState

    policy = make()
    rng = np.random.default_rng(0)
    first = ParentState("p", ("class",), tried=("a",))
    assert all(policy.choose(PARENT, OPS, rng, first).operator != "a" for _ in range(50))
    both = ParentState("p", ("class",), tried=("a", "b"))
    assert {policy.choose(PARENT, OPS, rng, both).operator for _ in range(20)} == {"c"}
    every = ParentState("p", ("class",), tried=tuple(OPS))  # all failed: any may be retried
    assert policy.choose(PARENT, OPS, rng, every).operator in OPS
