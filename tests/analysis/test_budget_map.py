"""Break-even rules of a budget map against hand-computed oracles on synthetic rows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nas_ops.analysis.budget_map import (
    NEVER,
    CellRow,
    break_even,
    break_even_index,
    budget_map,
    neutral_rule,
    neutral_rules,
    per_base,
)

RULES = ["e2", "e8", "conv"]


def _row(base: str, rule: str, vs_parent: float, *, op: str = "reinit_network",
         output: str = "class", state: str = "conv", vs_control: float = math.nan) -> CellRow:
    return CellRow(base, op, "network", output, state, rule, vs_parent, vs_control, 10.0)


def test_break_even_index_needs_every_longer_budget_at_or_above_zero() -> None:
    assert break_even_index([-0.2, -0.1, 0.05]) == 2
    assert break_even_index([-0.2, 0.0, 0.05]) == 1  # 0 costs nothing
    assert break_even_index([0.1, -0.1, 0.05]) == 2  # a later cost moves it on
    assert break_even_index([-0.2, -0.1, -0.01]) == 3  # never
    assert break_even_index([-0.2, math.nan, 0.3]) == 2  # an unmeasured rule is no break-even
    assert break_even_index([0.1, 0.2, 0.3]) == 0


def test_per_base_is_the_median_of_each_bases_finite_rows() -> None:
    rows = [_row("b0", "e2", -0.3), _row("b0", "e2", -0.1), _row("b0", "e2", 0.5),
            _row("b1", "e2", 0.2), _row("b1", "e2", math.nan)]
    assert per_base(rows, "vs_parent") == {"b0": -0.1, "b1": 0.2}


def test_two_bases_bootstrap_interval_is_the_two_one_base_resamples() -> None:
    # resamples {b0,b0} (1/4), {b0,b1} (1/2), {b1,b1} (1/4); the median of two is their mean
    # b0 alone breaks even at conv (-0.4, -0.2, +0.1); b1 alone at e8 (-0.2, +0.4, +0.3);
    # both: (-0.3, +0.1, +0.2) -> e8
    table = {"b0": [-0.4, -0.2, 0.1], "b1": [-0.2, 0.4, 0.3]}
    got = break_even(table, RULES, np.random.default_rng(0), n_boot=4000)
    assert got.rule == "e8"
    assert got.medians == pytest.approx([-0.3, 0.1, 0.2])
    assert (got.low, got.high) == ("e8", "conv")
    assert got.share["e2"] == 0.0 and got.share[NEVER] == 0.0
    assert got.share["conv"] == pytest.approx(0.25, abs=0.03)
    assert got.share["e8"] == pytest.approx(0.75, abs=0.03)


def test_unanimous_bases_give_a_point_interval_and_never_when_the_longest_costs() -> None:
    table = {f"b{i}": [-0.5 - i / 10, -0.3, 0.01 * (i + 1)] for i in range(5)}
    got = break_even(table, RULES, np.random.default_rng(1), n_boot=200)
    assert (got.rule, got.low, got.high) == ("conv", "conv", "conv")
    costly = {f"b{i}": [-0.5, -0.3, -0.1] for i in range(5)}
    got = break_even(costly, RULES, np.random.default_rng(1), n_boot=200)
    assert (got.rule, got.low, got.high) == (NEVER, NEVER, NEVER)


def test_a_group_without_bases_has_no_break_even_rather_than_never() -> None:
    got = break_even({}, RULES, np.random.default_rng(1), n_boot=200)
    assert (got.rule, got.low, got.high, got.bases) == ("n/a", "n/a", "n/a", 0)


def test_budget_map_groups_by_operator_family_output_and_state_and_measures_drift() -> None:
    rows = []
    for b, shift in (("b0", 0.0), ("b1", 0.1), ("b2", 0.2)):
        for rule, v in zip(RULES, (-0.3, -0.1, 0.1), strict=True):
            rows.append(_row(b, rule, v + shift, output="class"))
            rows.append(_row(b, rule, v + shift + 0.4, output="histogram"))
            rows.append(_row(b, rule, 0.02 * (RULES.index(rule) - 1) + shift / 10,
                             op="matched_control", output="class"))
    got = budget_map(rows, RULES, ["conv"], seed=3, n_boot=300)
    class_ = got["break_even"]["conv|operator|reinit_network|class"]
    # per-base class medians per rule: b0 (-0.3,-0.1,0.1), b1 (-0.2,0,0.2), b2 (-0.1,0.1,0.3)
    assert class_["medians"] == pytest.approx([-0.2, 0.0, 0.2])
    assert class_["break_even"] == "e8"
    hist = got["break_even"]["conv|family|network|histogram"]
    assert hist["break_even"] == "e2" and hist["interval"] == ["e2", "e2"]
    # pooled over outputs: each base's median of its class and histogram rows (their mean)
    assert got["break_even"]["conv|operator|reinit_network|all"]["medians"] == pytest.approx(
        [0.0, 0.2, 0.4])
    drift = got["control_drift"]
    # control minus parent per rule: -0.02, 0, +0.02 plus shift/10 -> medians -0.01, 0.01, 0.03
    assert drift["conv|e2|class"]["median"] == pytest.approx(-0.01)
    assert drift["conv|e8|class"]["median"] == pytest.approx(0.01)
    assert neutral_rule(drift, "conv", RULES, "class") in ("e2", "e8")  # a tie at 0.01
    assert neutral_rule(drift, "conv", ["e8", "conv"], "class") == "e8"
    assert neutral_rules(drift, "conv", ["conv", "e8"], "class") == ["e8"]
    assert neutral_rules(drift, "e5", RULES, "class") == []  # no such state measured
    assert got["cells"]["conv|operator|reinit_network|class"]["e2"]["bases"] == 3
    again = budget_map(rows, RULES, ["conv"], seed=3, n_boot=300)
    assert again == got  # seeded
