"""The policy comparison on the tables (studies/policy_results.py): a CI-size run of the
extended table runner with a tiny fitted effect model, the records' hits and choice mix against
the run's own ledger, contrast and detectable differences, settings pinned on resume, CLI
errors."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nas_ops import ConfigError, load_run, run_search
from nas_ops.experiments.effect_fit import fit
from nas_ops.experiments.table_arms import arm_config, mix_of, optima
from nas_ops.experiments.table_measures import contrast, detectable, summarize, total_variation
from nas_ops.experiments.table_runner import read_results, run_all
from tests.tables.conftest import needs_tables

ROOT = Path(__file__).resolve().parents[2]


def test_total_variation_by_hand() -> None:
    assert total_variation({"a": 1, "b": 1}, {"a": 3, "b": 1}) == pytest.approx(0.25)
    assert total_variation({"a": 2}, {"b": 5}) == 1.0
    assert np.isnan(total_variation({}, {"a": 1}))


@needs_tables
def test_a_ci_size_policy_comparison(tmp_path: Path) -> None:
    model, rows = fit("nb201/cifar10", bases=30)
    assert model.fit["bases"] == 30 and len(rows) == 30 * 6  # 6 edges per base
    path = tmp_path / "model.json"
    model.write(path)
    settings = {"models": {"nb201/cifar10": str(path)}, "temperature": 0.25}
    arms = ["aging:uniform", "aging:ucb", "aging:learned", "nsga2:uniform", "nsga2:frrmab"]
    out = tmp_path / "out"
    run_all(out, ["nb201/cifar10"], arms, range(2), [50, 80], workers=1, say=lambda _: None,
            settings=settings)
    recs = read_results(out / "results.jsonl")
    # ucb and frrmab pick among mutation operators and nb201 has one: same as uniform, not run
    assert sorted({r["arm"] for r in recs}) == ["aging:learned", "aging:uniform", "nsga2:uniform"]
    assert len(recs) == 6
    for r in recs:
        chosen = sum(sum(t.values()) for t in r["mix"].values())
        # aging mutates every child (30 after the first 50); NSGA-II crosses over 20 % of them
        assert chosen >= 30 if r["arm"].startswith("aging") else chosen > 0
        assert r["hit_val"] is None or 1 <= r["hit_val"] <= 80
    # the record's mix is the ledger's variation rows of mutation operators
    run_search(arm_config("nb201/cifar10", "aging:learned", 1, 80, settings), tmp_path / "r",
               progress=False)
    run = load_run(tmp_path / "r")
    learned = next(r for r in recs if r["arm"] == "aging:learned" and r["seed"] == 1)
    by_hand: dict[str, dict[str, int]] = {}  # from the typed variations of load_run
    for v in run.variations:
        if v.operator == "nb201_change_op":
            target = str(v.event.decisions[0]["value"])
            by_hand.setdefault(v.operator, {})[target] = \
                by_hand.get(v.operator, {}).get(target, 0) + 1
    assert learned["mix"] == {op: dict(sorted(t.items())) for op, t in by_hand.items()}
    assert mix_of([("nb201_crossover", "x"), ("nb201_change_op", "e01"),
                   ("retrain_control", "c1")]) == {"nb201_change_op": {"e01": 1},
                                                   "retrain_control": {"": 1}}
    hints = [v.event.hint for v in run.variations if v.operator == "nb201_change_op"]
    assert hints and all(h["honoured"] and h["reason"].startswith("learned: ") for h in hints)
    assert all([v.event.decisions[0]["value"]] == v.event.hint["target"]
               for v in run.variations if v.operator == "nb201_change_op")
    best_val, _ = optima("nb201/cifar10")
    assert len(best_val) >= 1
    # contrast: uniform against itself is 0; the learned policy moves its targets
    assert contrast(recs, "nb201/cifar10", "aging:uniform", "aging:uniform") == {
        "operator": 0.0, "target": 0.0}
    moved = contrast(recs, "nb201/cifar10", "aging:learned", "aging:uniform")
    assert moved["operator"] == 0.0 and moved["target"] > 0.0  # nb201 has one mutation op
    facts = __import__("json").loads((out / "tables.json").read_text())

    def ref(arm: str) -> str:
        return arm.split(":")[0] + ":uniform"

    cells = summarize(recs, facts, [50, 80], ref)
    power = detectable(recs, facts, [50, 80], ref)
    assert ("nb201/cifar10", "aging:uniform", 80, "found") not in power
    n, d = power[("nb201/cifar10", "aging:learned", 80, "regret")]
    assert n == 2 and d == float("inf")  # two pairs can never reach 0.05
    # at 50 evaluations both arms are still in their shared random start (population 50)
    assert cells[("nb201/cifar10", "aging:learned", 50, "regret")]["vs_random"].mean == 0.0
    # the paired t-test is that of the per-seed differences (NaN where every pair is equal)
    from scipy import stats

    from nas_ops.experiments.table_measures import paired_differences, paired_p

    diffs = paired_differences(recs, facts, [50, 80], ref)
    ps = paired_p(recs, facts, [50, 80], ref)
    for cell, d in diffs.items():
        if d.size < 2 or d.std() == 0:
            assert math.isnan(ps[cell])
        else:
            assert ps[cell] == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue)
    assert math.isnan(ps[("nb201/cifar10", "aging:learned", 50, "regret")])
    # the same directory with other settings is refused, nothing run
    with pytest.raises(ConfigError, match=r"holds runs with policy settings"):
        run_all(out, ["nb201/cifar10"], arms, range(3), [50, 80], workers=1,
                say=lambda _: None, settings={**settings, "temperature": 1.0})
    assert len(read_results(out / "results.jsonl")) == 6


def test_bad_policy_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "studies" / "policy_results.py"), "run",
                           str(tmp_path / "out"), "--policies", "uniform,bogus"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr == ("--policies: unknown policy 'bogus'; valid: uniform, guided, "
                           "frrmab, ucb, learned\n")
    assert not (tmp_path / "out").exists()
