"""Every rule states the retraining budget and the parent state it holds for (issue 24 point
3), from what the ledger records: the children's budget from the config, child and parent
steps from the evaluations, converged or capped from the study's ``meta.bases``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nas_ops.analysis import analyze_run
from nas_ops.analysis.regime import NOT_RECORDED
from nas_ops.guidelines_format import read
from tests.analysis.synthetic import write_planted_run

N = 20


def _steps(p: int) -> int:
    return 100 + 20 * p


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    meta = {f"b{p:03d}": {"converged": p % 3 == 0, "steps": _steps(p), "chance_level": False}
            for p in range(N)}
    config = {"budget": {"epochs": 3},
              "study": {"base_patience": 4, "base_max_epochs": 30, "base_models": N}}
    return write_planted_run(tmp_path_factory.mktemp("regime") / "run", n_parents=N,
                             bases_meta=meta, config=config, base_steps=_steps)


def test_a_rule_states_its_budget_and_parent_state(run_dir: Path) -> None:
    g = analyze_run(run_dir).guidelines
    rule = next(r for r in g.rules if (r.operator, r.output) == ("plant_a", "class"))
    reg = rule.regime
    assert reg["child_budget"] == {"epochs": 3, "max_steps": 0, "retrain": "affected",
                                   "inherit_weights": True}
    assert reg["child_steps"] == {"median": 10.0, "q1": 10.0, "q3": 10.0, "n": 2 * N}
    ratios = [10 / _steps(p) for p in range(N) for _ in range(2)]
    assert reg["step_ratio"]["median"] == pytest.approx(float(np.median(ratios)))
    assert reg["parent_steps"]["median"] == pytest.approx(
        float(np.median([_steps(p) for p in range(N)])))
    converged = sum(p % 3 == 0 for p in range(N))
    assert reg["parents"] == {"converged": converged, "capped": N - converged, "unknown": 0,
                              "patience": 4, "max_epochs": 30, "max_steps": 0}
    assert reg["not_recorded"] == NOT_RECORDED
    ratio = f"{np.median(ratios):.1%}"
    assert rule.text().endswith(
        f"; holds for children trained 3 epoch(s), median 10 steps, {ratio} of their parent's "
        f"steps; parents ({N}): {converged} converged (early stopping), {N - converged} "
        "stopped at the cap of 30 epochs")


def test_guidelines_json_carries_the_regime_and_reads_back(run_dir: Path,
                                                           tmp_path: Path) -> None:
    g = analyze_run(run_dir).guidelines
    path = tmp_path / "guidelines.json"
    path.write_text(g.to_json())
    raw = json.loads(path.read_text())
    assert raw["rules"] and all(r["regime"]["child_budget"]["epochs"] == 3
                                for r in raw["rules"])
    assert [r.regime for r in read(path).rules] == [r["regime"] for r in raw["rules"]]


def test_a_search_parent_state_is_unknown(tmp_path: Path) -> None:
    # no meta.bases: nothing records whether a parent converged (the study defaults: 100 epochs)
    g = analyze_run(write_planted_run(tmp_path / "run", n_parents=N)).guidelines
    rule = g.rules[0]
    assert rule.regime["parents"] == {"converged": 0, "capped": 0, "unknown": N,
                                      "patience": 0, "max_epochs": 100, "max_steps": 0}
    assert rule.text().endswith(f"parents ({N}): {N} of unrecorded state")
