"""The search-decomposition design (issue 24 point 4): its config validates, its ranked arm's
weights are what the script derives from the committed uniform ledgers, at the contrast the
plan states (total-variation distance 0.3 from uniform over the run's mutation operators)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from nas_ops.engine.breeding import operator_lists
from nas_ops.experiments.plan import load_plan
from nas_ops.variation import RETRAIN_CONTROL

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "studies" / "search_decomposition.toml"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "search_decomposition", ROOT / "studies" / "search_decomposition.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_softmax_weights_reach_the_asked_distance_from_uniform() -> None:
    weights, t = _script().softmax_for_tv({"a": 1.0, "b": 0.0, "c": -1.0, "d": 0.5}, 0.3)
    assert sum(weights.values()) == pytest.approx(1.0) and t > 0
    assert 0.5 * sum(abs(w - 0.25) for w in weights.values()) == pytest.approx(0.3, abs=1e-9)
    assert weights["a"] > weights["d"] > weights["b"] > weights["c"]  # the ranking kept


def test_the_design_validates_with_its_three_arms_on_new_seeds() -> None:
    plan = load_plan(CONFIG)
    assert [a.name for a in plan.arms] == ["uniform", "training_only", "ranked"]
    assert len(plan.seeds) == 24 and not set(plan.seeds) & set(
        load_plan(ROOT / "studies" / "guided_vs_uniform_long.toml").seeds)
    only = next(a for a in plan.arms if a.name == "training_only").run_config(400)
    assert only.policy.operators == [RETRAIN_CONTROL]
    assert {a.run_config(400).budget.total_steps for a in plan.arms} == {12000}


@pytest.mark.golden
def test_the_ranked_weights_are_the_scripts_and_have_the_planned_contrast() -> None:
    script = _script()
    archive = ROOT / "studies" / "results" / "guided_vs_uniform_long" / "ledgers.tar.xz"
    scores = script.operator_scores(archive, "uniform")
    derived, _ = script.softmax_for_tv({k: v[0] for k, v in scores.items()}, 0.3)
    ranked = next(a for a in load_plan(CONFIG).arms if a.name == "ranked").run_config(400)
    weights = ranked.policy.weights
    k = len(derived)
    assert weights == {op: pytest.approx(w * k, abs=1e-4) for op, w in derived.items()}
    mutation, crossover = operator_lists(ranked.policy.operators)
    assert sorted(mutation) == sorted(weights) and crossover == ["swap_network"]
    total = sum(weights.values())
    tv = 0.5 * sum(abs(w / total - 1 / len(mutation)) for w in weights.values())
    assert tv == pytest.approx(0.3, abs=1e-3)  # the planned contrast, over what a run draws
