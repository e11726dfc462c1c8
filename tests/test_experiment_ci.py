"""The CI-size guided-vs-uniform experiment (studies/guided_vs_uniform_ci.toml), end to end:
arms x seeds -> budget-stopped runs -> one comparison report with its verdict. The arms are
read from the file, so a policy joins by uncommenting its one line there; the committed
experiment file must validate as soon as the policies it names exist."""

from __future__ import annotations

import json
import sqlite3
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from nas_ops.cli import main
from nas_ops.engine.policies import POLICIES
from nas_ops.experiments.plan import ExperimentPlan, load_plan
from nas_ops.store import load_run
from tests.study_scripts import study_script

STUDIES = Path(__file__).resolve().parents[1] / "studies"
CI = STUDIES / "guided_vs_uniform_ci.toml"


@pytest.mark.slow
def test_ci_experiment_runs_every_arm_and_compares_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = load_plan(CI)
    assert {a.name for a in plan.arms} == {"uniform", "frrmab", "diagnosis", "guided"}
    out = tmp_path / "exp"
    assert main(["experiment", str(CI), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    runs = plan.runs()
    assert [line.split(":")[0] for line in printed[:len(runs)]] == \
        [f"[{k}/{len(runs)}] {arm.name} seed {seed}" for k, (arm, seed) in enumerate(runs, 1)]
    budget = plan.arms[0].run_config(0).budget.total_steps
    for arm, seed in runs:
        run = load_run(out / "runs" / arm.name / f"seed-{seed}")
        assert run.meta.stopped_by == "total_steps"
        assert run.meta.steps_spent >= budget
        assert run.config.policy.name == arm.config["policy"]["name"]
    data = json.loads((out / "compare" / "main" / "compare.json").read_text())
    assert data["policies"] == sorted(a.name for a in plan.arms)
    assert data["budget"] == min(r["steps"][-1] for r in data["runs"]) >= budget
    assert {r["stopped_by"] for r in data["runs"]} == {"total_steps"}
    n_pairs = len(plan.arms) * (len(plan.arms) - 1) // 2
    finals = [t for t in data["tests"] if t["measure"] == "final"]
    assert len(finals) == n_pairs and all(t["seeds"] == list(plan.seeds) for t in finals)
    report = (out / "compare" / "main" / "report.md").read_text()
    assert data["verdict"] in report and data["verdict"] == printed[-1].strip()
    assert data["verdict"].count("training steps, ") == n_pairs
    assert "Holm p = " in data["verdict"] and "Holm's strictest level" in data["verdict"]


@pytest.mark.parametrize("name", ["guided_vs_uniform_ci", "guided_vs_uniform_pilot"])
def test_the_small_experiments_validate(name: str) -> None:
    plan = load_plan(STUDIES / f"{name}.toml")
    assert len(plan.seeds) >= 2 and min(plan.seeds) >= 100
    assert all(arm.run_config(s).budget.total_steps > 0 for arm, s in plan.runs())


@pytest.mark.skipif(not {"guided", "diagnosis", "frrmab"} <= set(POLICIES),
                    reason="the guided, diagnosis and frrmab policies are not merged yet")
def test_the_committed_experiment_validates() -> None:
    plan = load_plan(STUDIES / "guided_vs_uniform.toml")
    assert len(plan.seeds) >= 10 and min(plan.seeds) >= 100
    assert set(plan.groups()) == {"main", "transfer"}
    main_arms = {a.config["policy"]["name"] for a in plan.groups()["main"]}
    assert main_arms == {"uniform", "adaptive", "frrmab", "diagnosis", "guided"}


def test_the_longer_follow_up_is_a_replication_on_new_seeds() -> None:
    first = load_plan(STUDIES / "guided_vs_uniform.toml")
    long = load_plan(STUDIES / "guided_vs_uniform_long.toml")
    assert [a.name for a in long.arms] == ["uniform", "guided"] and len(long.seeds) >= 10
    assert not set(long.seeds) & set(first.seeds)
    steps = {a.run_config(s).budget.total_steps for a, s in long.runs()}
    assert steps == {12000} and first.arms[0].run_config(100).budget.total_steps < 12000


FIDELITY_CI = STUDIES / "fidelity_vs_full_ci.toml"


@pytest.mark.slow
def test_fidelity_ci_experiment_gives_the_speedups_against_full(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 13's comparison at CI size: full, rungs and prefilter under one step budget; the
    comparison measures every other arm's steps to reach full's final hypervolume."""
    plan = load_plan(FIDELITY_CI)
    assert [a.name for a in plan.arms] == ["full", "rungs", "prefilter"]
    out = tmp_path / "exp"
    assert main(["experiment", str(FIDELITY_CI), "--out", str(out)]) == 0
    capsys.readouterr()
    for arm, seed in plan.runs():
        run = load_run(out / "runs" / arm.name / f"seed-{seed}")
        assert run.meta.stopped_by == "total_steps"
        assert bool(run.prefilter) == (arm.name == "prefilter")
        assert any(i.rungs for i in run.individuals) == (arm.name == "rungs")
    data = json.loads((out / "compare" / "main" / "compare.json").read_text())
    assert data["reference_arm"] == "full"
    assert sorted(s["arm"] for s in data["speedups"]) == ["prefilter", "rungs"]
    for s in data["speedups"]:
        assert s["seeds"] and all(r >= 0 for r in s["ratios"])
        assert f"To reach full's final hypervolume of the same seed, {s['arm']} had a median " \
               f"speed-up of {s['median']:.3g}" in data["verdict"]
    assert "Training steps to reach full's final hypervolume" in \
        (out / "compare" / "main" / "report.md").read_text()
    _package_and_summarize(out, plan, data, tmp_path / "committed")


def _package_and_summarize(out: Path, plan: ExperimentPlan, data: dict[str, Any],
                           dest: Path) -> None:
    """studies/experiment_results.py packages the experiment (ledgers readable, provenance per
    run) and its page carries the comparison's numbers."""
    er = _module("experiment_results")
    er.package(out, FIDELITY_CI, dest)
    prov = json.loads((dest / "provenance.json").read_text())
    assert sorted((r["arm"], r["seed"]) for r in prov["runs"]) == \
        sorted((a.name, s) for a in plan.arms for s in plan.seeds)
    assert prov["training_steps"] == sum(r["steps_spent"] for r in prov["runs"])
    with tarfile.open(dest / "ledgers.tar.xz") as tar:
        assert sorted(tar.getnames()) == sorted(f"{r['arm']}-seed-{r['seed']}.sqlite"
                                                for r in prov["runs"])
        tar.extractall(dest / "ledgers", filter="data")
    for r in prov["runs"]:
        n = sqlite3.connect(dest / "ledgers" / f"{r['arm']}-seed-{r['seed']}.sqlite").execute(
            "SELECT count(*) FROM evaluations").fetchone()[0]
        assert n >= r["evaluations"] > 0
    text = er.summarize(dest)
    assert f"{len(prov['runs'])} ({len(plan.arms)} arms x {len(plan.seeds)} seeds" in text
    for s in data["speedups"]:
        table = text.split("Training steps to reach `full`'s final hypervolume")[1]
        row = next(line for line in table.splitlines() if line.startswith(f"| {s['arm']} | "))
        assert row.startswith(f"| {s['arm']} | {len(s['seeds'])} | {s['reached']} | "
                              f"{er._g(s['median'])} (")
    for arm in ("rungs", "prefilter"):
        t = next(t for t in data["tests"] if t["measure"] == "final" and
                 {t["a"], t["b"]} == {"full", arm})
        sign = 1 if t["a"] == "full" else -1
        assert f"| {arm} | final | {er._g(sign * t['mean_difference'], '+.3g')} (" in text
        assert f"`{arm}` " in text.split("**Verdict:**")[1].split("\n")[0]


def _module(name: str) -> ModuleType:
    return study_script(name)


def test_the_fidelity_experiment_validates_with_equal_budgets() -> None:
    plan = load_plan(STUDIES / "fidelity_vs_full.toml")
    assert [a.name for a in plan.arms] == ["full", "rungs", "prefilter", "median"]
    assert len(plan.seeds) >= 5 and set(plan.groups()) == {"main"}
    budgets = {arm.run_config(s).budget.total_steps for arm, s in plan.runs()}
    assert len(budgets) == 1 and budgets.pop() > 0
    configs = {a.name: a.run_config(plan.seeds[0]) for a in plan.arms}
    assert configs["full"].task.name == "mnist1d" and configs["full"].policy.name == "uniform"
    assert configs["rungs"].search.fidelity.enabled
    assert configs["prefilter"].search.prefilter.enabled
    assert configs["median"].search.fidelity.rule == "median"
