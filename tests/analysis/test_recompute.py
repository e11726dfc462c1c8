"""A reviewer recomputes a rule from the SQLite ledger with scipy and gets the same numbers.

The recipe (also in docs/search.md): the effect of a child is its validation metric minus its
parent's (signed so that positive = better); the scale-free effect is log(err_parent /
err_child) with err = 1 - accuracy. One summary per base: the median over its children. The
rule's p-value is scipy's Wilcoxon signed-rank test of those per-base medians over the discovery
bases listed in guidelines.json.
"""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from nas_ops.analysis import analyze_run
from tests.analysis.synthetic import write_planted_run


def _children_effects(ledger: Path, operator: str, output: str,
                      metric: str) -> dict[str, list[tuple[float, float]]]:
    """{base uid: [(effect, scaled effect) of each child]} straight from the SQL tables."""
    db = sqlite3.connect(ledger)
    acc = {uid: json.loads(val)[output][metric]
           for uid, val in db.execute("SELECT uid, val FROM evaluations WHERE status = 'ok'")}
    found: dict[str, list[tuple[float, float]]] = {}
    rows = db.execute("SELECT uid, parents FROM individuals WHERE operator = ?", (operator,))
    for uid, parents in rows:
        base = json.loads(parents)[0]
        effect = acc[uid] - acc[base]
        scaled = math.log((1 - acc[base]) / (1 - acc[uid]))
        found.setdefault(base, []).append((effect, scaled))
    db.close()
    return found


def test_a_rule_recomputed_with_scipy_from_the_ledger(tmp_path: Path) -> None:
    run_dir = write_planted_run(tmp_path / "run", n_parents=20)
    guidelines = json.loads(analyze_run(run_dir).guidelines.to_json())
    rule = next(r for r in guidelines["rules"]
                if (r["operator"], r["output"], r["condition"]) == ("plant_a", "class", "all"))
    effects = _children_effects(run_dir / "ledger.sqlite", "plant_a", "class", "accuracy")
    discovery = guidelines["bases"]["discovery"]
    per_base = [np.median([s for _, s in effects[b]]) for b in discovery]
    p = stats.wilcoxon(per_base).pvalue
    assert rule["p_value"] == pytest.approx(p, rel=1e-12)
    assert rule["discovery"]["p_value"] == pytest.approx(p, rel=1e-12)
    assert rule["discovery"]["n_bases"] == len(discovery) == 10
    held_out = guidelines["bases"]["held_out"]
    p_held = stats.wilcoxon([np.median([s for _, s in effects[b]]) for b in held_out]).pvalue
    assert rule["replication"]["p_value"] == pytest.approx(p_held, rel=1e-12)
    pooled = [e for b in sorted(effects) for e, _ in effects[b]]
    assert rule["expected_effect"] == pytest.approx(float(np.median(pooled)), rel=1e-12)
    assert rule["support"] == len(pooled) and rule["n_bases"] == len(effects)
    assert rule["p_improve"] == pytest.approx(np.mean(np.asarray(pooled) > 0))


def test_per_base_summaries_are_what_the_test_ranks(tmp_path: Path) -> None:
    a = analyze_run(write_planted_run(tmp_path / "run", n_parents=6))
    rows = [s for s in a.per_base if (s.operator, s.output) == ("plant_a", "class")]
    assert [s.base for s in rows] == [f"b{p:03d}" for p in range(6)]
    for s in rows:
        children = [r for r in a.effects if r.parent == s.base and r.operator == "plant_a"
                    and r.output == "class"]
        assert s.n == 2 and s.against == "parent" and s.n_unaffected == 0
        assert s.median == pytest.approx(np.median([r.effect for r in children]))
        assert s.scaled_median == pytest.approx(np.median([r.scaled_effect for r in children]))
    recon = [s for s in a.per_base if s.output == "reconstruction"]
    assert all(s.n == 0 and s.n_unaffected == 2 and math.isnan(s.median) for s in recon)
