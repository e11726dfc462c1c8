"""The ``guided`` policy on benchmark-table parents: the conditions of a table's guidelines
(percentile band, target, operation replaced) decide the rule and its target."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nas_ops.engine.policies import GuidedPolicy, ParentState
from nas_ops.engine.policies.effects import slots
from nas_ops.engine.policies.rules import GuideRules, load_rules
from nas_ops.engine.policies.table_conditions import in_band
from nas_ops.errors import ConfigError
from nas_ops.guidelines_format import Rule
from nas_ops.tables.nbgraph import LINKS
from nas_ops.variation import apply_operator
from search_spaces import nb201, nbgraph

NBG_OPS = ["nbgraph_change_op", "nbgraph_rewire"]
BOUNDS = {"p0-20": (None, 0.5), "p20-100": (0.5, None)}


def rule(condition: str, level: str, operator: str, effect: float, *,
         direction: str = "improves") -> Rule:
    return Rule(condition, level, operator, "class", direction, effect, complexity_cost=0.0,
                replicated=True)


def policy(*rules: Rule) -> GuidedPolicy:
    return GuidedPolicy(GuideRules("g.json", "0" * 64, rules, dict(BOUNDS)), explore=0.0)


def state(value: float) -> ParentState:
    return ParentState("p", ("class",), standing={"class": 1.0}, values={"class": value})


def cora(link: tuple[int, ...] = LINKS[1]):  # type: ignore[no-untyped-def]
    return nbgraph.build("cora", link, ["gcn", "gat", "sage", "gin"])


def test_a_percentile_rule_holds_inside_its_band_only() -> None:
    guided = policy(rule("all", "all", "nbgraph_change_op", 0.001),
                    rule("percentile", "p0-20", "nbgraph_rewire", 0.04))
    low = guided.choose(cora(), NBG_OPS, np.random.default_rng(0), state(0.3))
    assert (low.operator, low.target) == ("nbgraph_rewire", frozenset())
    assert "rule (percentile = p0-20)" in low.reason
    high = guided.choose(cora(), NBG_OPS, np.random.default_rng(0), state(0.5))
    assert high.operator == "nbgraph_change_op" and "always" in high.reason
    failed = guided.choose(cora(), NBG_OPS, np.random.default_rng(0),
                           ParentState("p", ("class",), standing={"class": 1.0}))
    assert failed.operator == "nbgraph_change_op"  # no value: the band cannot hold
    assert [in_band(v, (0.5, 0.7)) for v in (0.49, 0.5, 0.69, 0.7, float("nan"))] == [
        False, True, True, False, False]


def test_a_target_rule_names_the_node_by_its_position_and_the_operator_honours_it() -> None:
    guided = policy(rule("target", "n2", "nbgraph_change_op", 0.02))
    parent = next(r.children[0] for r in (apply_operator("nbgraph_rewire", cora(LINKS[4]), s)
                                          for s in range(10)) if r.ok)
    where = slots(parent)
    assert list(where) == ["n0", "n1", "n2", "n3"]
    assert list(where.values()) == nbgraph.positions(parent)
    got = guided.choose(parent, NBG_OPS, np.random.default_rng(0), state(0.6))
    assert (got.operator, got.target) == ("nbgraph_change_op", frozenset({where["n2"]}))
    for seed in range(4):
        done = apply_operator(got.operator, parent, seed, target=got.target)
        assert done.ok and done.event.hint["honoured"]
        assert nbgraph.arch_of(done.children[0])[1][2] != nbgraph.arch_of(parent)[1][2]


def test_a_replaced_rule_targets_the_edges_carrying_that_operation() -> None:
    ops = ["none", "nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "none"]
    parent = nb201.build("cifar10", ops)
    guided = GuidedPolicy(GuideRules("g", "0" * 64, (
        rule("replaced", "none", "nb201_change_op", 0.01),
        rule("replaced", "nor_conv_1x1", "nb201_change_op", 0.05))), explore=0.0)
    got = guided.choose(parent, ["nb201_change_op"], np.random.default_rng(0), state(0.9))
    edges = nb201.edge_ids(parent)
    assert got.target == frozenset({edges[0], edges[2], edges[5]})  # the three 'none' edges
    assert "replaced = none" in got.reason  # nor_conv_1x1 is on no edge: that rule cannot hold


def test_a_worsening_table_rule_is_avoided_and_put_in_is_not_followed() -> None:
    guided = policy(rule("percentile", "p20-100", "nbgraph_rewire", -0.01, direction="worsens"),
                    rule("put_in", "gcn", "nbgraph_rewire", 0.5))
    got = [guided.choose(cora(), NBG_OPS, np.random.default_rng(s), state(0.8)).operator
           for s in range(20)]
    assert set(got) == {"nbgraph_change_op"}
    low = {guided.choose(cora(), NBG_OPS, np.random.default_rng(s), state(0.2)).operator
           for s in range(20)}
    assert low == set(NBG_OPS)  # below the band: nothing to avoid, put_in never holds


def test_bounds_travel_with_the_rules_and_bad_bounds_are_one_line(tmp_path: Path) -> None:
    rules = policy(rule("percentile", "p0-20", "nbgraph_rewire", 0.04)).rules
    again = GuideRules.from_record(json.loads(json.dumps(rules.to_record())))
    assert again == rules and again.bounds == BOUNDS
    path = tmp_path / "g.json"
    path.write_text(json.dumps({"format": "nas-ops-guidelines", "version": 2, "rules": [],
                                "percentile_bounds": {"p0-20": [None, "x"]}}))
    with pytest.raises(ConfigError, match="policy.guidelines") as err:
        load_rules(path)
    assert "percentile_bounds" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("table", ["nbgraph_cora", "nb201_cifar10"])
def test_committed_bounds_put_every_architecture_in_the_studys_bin(table: str) -> None:
    from nas_ops.experiments.table_opstudy import (
        SELECTION,
        bin_label,
        objective_values,
        percentile_bins,
    )
    from nas_ops.tables import get_table

    root = Path(__file__).resolve().parents[2] / "studies" / "results" / "tables_opstudy"
    bounds = load_rules(root / "guidelines" / f"{table}.json").bounds
    name, dataset = table.split("_")
    values = objective_values(get_table(name, dataset))[SELECTION]
    bins = percentile_bins(values)
    for k in range(5):
        inside = np.array([in_band(v, bounds[bin_label(k)]) for v in values])
        assert np.array_equal(inside, bins == k)
