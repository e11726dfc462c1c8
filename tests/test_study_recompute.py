"""A reviewer recomputes a finding of every committed study (studies/results/*/) from its
ledger with scipy alone and gets the p-value that its guidelines.json reports.

The recipe (docs/operator-study-results.md): an edit child's effect on an output it affects is
log(err_control / err_child), err = 1 - accuracy or the MSE, against its matched control (the
``matched_control`` child whose ``control_of`` decision names it). One summary per base: the
median over its children. The p-value is scipy's Wilcoxon signed-rank test of the per-base
medians over the discovery bases that guidelines.json lists.
"""

from __future__ import annotations

import gzip
import json
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
RESULTS = sorted(p.parent for p in (ROOT / "studies" / "results").glob("*/ledger.sqlite.gz")
                 if (p.parent / "report" / "guidelines.json").is_file())
METRIC = {"classification": ("accuracy", True), "regression": ("mse", False),
          "generation": ("recon_mse", False)}


def _error(val: dict, output: str, kind: str) -> float:
    metric, higher = METRIC[kind]
    value = val[output][metric]
    return 1.0 - value if higher else value


def _per_base(db: sqlite3.Connection, operator: str, output: str) -> dict[str, list[float]]:
    genome = json.loads(db.execute("SELECT genome FROM individuals LIMIT 1").fetchone()[0])
    kind = next(n["kind"] for n in genome["outputs"] if n["id"] == output)
    val = {u: json.loads(v) for u, v in
           db.execute("SELECT uid, val FROM evaluations WHERE status = 'ok'")}
    control = {}
    for child, event in db.execute("SELECT child, event FROM variations "
                                   "WHERE operator = 'matched_control' AND child IS NOT NULL"):
        edit = next(d["value"] for d in json.loads(event)["decisions"]
                    if d["name"] == "control_of")
        control[edit] = child
    found: dict[str, list[float]] = {}
    for child, event in db.execute("SELECT child, event FROM variations "
                                   "WHERE operator = ? AND child IS NOT NULL", (operator,)):
        ev = json.loads(event)
        ctrl = control.get(child)
        if output not in ev["affected_outputs"] or child not in val or ctrl not in val:
            continue
        effect = math.log(_error(val[ctrl], output, kind) / _error(val[child], output, kind))
        found.setdefault(ev["parents"][0], []).append(effect)
    return found


@pytest.mark.golden
@pytest.mark.parametrize("results", RESULTS, ids=[r.name for r in RESULTS])
def test_a_finding_recomputed_with_scipy_from_the_committed_ledger(results: Path,
                                                                   tmp_path: Path) -> None:
    g = json.loads((results / "report" / "guidelines.json").read_text())
    tested = [*g["rules"], *g["not_significant"]]
    cell = next(c for c in tested if c["condition"] == "all" and c.get("p_value") is not None)
    ledger = tmp_path / "ledger.sqlite"
    with gzip.open(results / "ledger.sqlite.gz") as src:
        ledger.write_bytes(src.read())
    db = sqlite3.connect(ledger)
    effects = _per_base(db, cell["operator"], cell["output"])
    db.close()
    per_base = [float(np.median(effects[b])) for b in g["bases"]["discovery"] if b in effects]
    assert cell["p_value"] == pytest.approx(stats.wilcoxon(per_base).pvalue, rel=1e-9)
    assert cell["support"] == sum(len(effects[b]) for b in effects
                                  if b not in g["bases"]["at_chance"])
