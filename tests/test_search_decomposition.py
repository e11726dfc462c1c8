"""The search-decomposition design (issue 24 point 4): its config validates, its ranked arm's
weights are what the script derives from the committed uniform ledgers, at the contrast the
plan states (total-variation distance 0.3 from uniform over the run's mutation operators)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from nas_ops.analysis.decomposition import (
    architecture_share,
    final_hypervolume,
    initial_hypervolume,
)
from nas_ops.cli import main as cli
from nas_ops.engine.breeding import operator_lists
from nas_ops.experiments.plan import load_plan
from nas_ops.variation import RETRAIN_CONTROL
from tests.study_scripts import study_script

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "studies" / "search_decomposition.toml"


def _script() -> ModuleType:
    return study_script("search_decomposition")


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


def test_a_ci_size_decomposition_page_is_the_share_of_its_ledgers(tmp_path: Path) -> None:
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\nseeds = [3, 4]\n'
        '[base]\ntask = {name = "mnist1d", n_train = 200}\n'
        'search = {population = 4, offspring = 4, generations = 1}\n'
        'evaluation = {backend = "local"}\nbudget = {epochs = 1}\n'
        'policy = {operators = ["add_layer", "remove_layer", "change_units"]}\n'
        '[arms]\nuniform = {policy = {name = "uniform"}}\n'
        'training_only = {policy = {name = "uniform", operators = ["retrain_control"]}}\n')
    assert cli(["experiment", str(exp), "--out", str(tmp_path / "e")]) == 0
    study_script("experiment_results").package(tmp_path / "e", exp, tmp_path / "out")
    script = _script()
    text = script.summarize(tmp_path / "out")
    init, final, firsts = {}, {}, {}
    for arm in ("uniform", "training_only"):
        for seed, run in script.archived_runs(tmp_path / "out" / "ledgers.tar.xz", arm):
            init[(arm, seed)] = initial_hypervolume(run)
            final[(arm, seed)] = final_hypervolume(run)
            firsts[(arm, seed)] = [i.hash for i in run.individuals if i.generation == 0]
            if arm == "training_only":  # every child is its parent retrained, no edit
                assert {i.operator for i in run.individuals if i.generation > 0} == {
                    "retrain_control"}
            assert final[(arm, seed)] == run.hypervolume[-1].value >= init[(arm, seed)]
    for s in (3, 4):  # the arms of a seed start from the same initial population
        assert firsts[("uniform", s)] == firsts[("training_only", s)]
        assert init[("uniform", s)] == init[("training_only", s)]
    init = {s: init[("uniform", s)] for s in (3, 4)}
    share = architecture_share(init, {s: final[("uniform", s)] for s in init},
                               {s: final[("training_only", s)] for s in init})
    row = next(line for line in text.splitlines() if line.startswith("| uniform |"))
    assert f"{share.share:+.2f} ({share.low:+.2f} .. {share.high:+.2f})" in row
    assert "| training_only | 2 |" in text and "reference" in text
