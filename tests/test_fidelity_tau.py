"""studies/fidelity_tau.py: Kendall's tau between a rung and the full budget, from a CI-size run
with rule "all", equals scipy's over the pairs read from the ledger by hand."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from scipy import stats

from nas_ops.experiments.plan import load_plan
from tests.study_scripts import study_script

ROOT = Path(__file__).resolve().parents[1]


def test_tau_of_a_ci_size_rule_all_run(tmp_path: Path) -> None:
    text = (ROOT / "studies" / "fidelity_tau.toml").read_text()
    small = (text.replace("n_train = 1000", "n_train = 200").replace("generations = 26",
             "generations = 2").replace("epochs = 20", "epochs = 1")
             .replace('backend = "pool"', 'backend = "local"').replace("workers = 2", ""))
    cfg = tmp_path / "tau.toml"
    cfg.write_text(small)
    run = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "nas_ops", "search", str(cfg), "--out",
                           str(run), "--quiet"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result = study_script("fidelity_tau").measure([run], n_boot=50)
    cell = next(c for c in result["cells"] if c["rung"] == 0 and c["output"] == "class")
    db = sqlite3.connect(run / "ledger.sqlite")
    val = {u: json.loads(v) for u, v in db.execute(
        "SELECT uid, val FROM evaluations WHERE status = 'ok'")}
    x, y = [], []
    for uid, v in val.items():
        if uid.endswith("@r0") and uid[:-3] in val:
            x.append(v["class"]["accuracy"])
            y.append(val[uid[:-3]]["class"]["accuracy"])
    assert cell["children"] == len(x) >= 8
    assert cell["tau"] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert cell["ci"][0] <= cell["tau"] <= cell["ci"][1]


@pytest.mark.golden
def test_the_committed_tau_recomputes_from_the_committed_ledger(tmp_path: Path) -> None:
    """Seed 0's tau at the lowest rung on class, from its committed ledger with sqlite3 and
    scipy alone (rung keys are '<uid>@r0'; the full-budget record is the uid's own)."""
    import gzip

    results = ROOT / "studies" / "results" / "fidelity_tau"
    data = json.loads((results / "tau.json").read_text())
    cell = next(c for c in data["cells"] if c["rung"] == 0 and c["output"] == "class")
    ledger = tmp_path / "s0.sqlite"
    with gzip.open(results / "s0.ledger.sqlite.gz") as src:
        ledger.write_bytes(src.read())
    val = {u: json.loads(v) for u, v in sqlite3.connect(ledger).execute(
        "SELECT uid, val FROM evaluations WHERE status = 'ok'")}
    pairs = [(v["class"]["accuracy"], val[u[:-3]]["class"]["accuracy"])
             for u, v in val.items() if u.endswith("@r0") and u[:-3] in val]
    x, y = zip(*pairs, strict=True)
    assert cell["per_run"][0] == pytest.approx(stats.kendalltau(x, y).statistic)
    assert len(pairs) == 200


def test_the_retest_design_is_halving_at_eta_3_against_full_on_new_seeds() -> None:
    plan = load_plan(ROOT / "studies" / "fidelity_sh.toml")
    assert [a.name for a in plan.arms] == ["full", "halving"] and len(plan.seeds) == 10
    assert plan.speedup_share == 0.9  # the symmetric speed-up the issue defines
    full, halving = (a.run_config(plan.seeds[0]) for a in plan.arms)
    assert full.search.fidelity is None or not full.search.fidelity.rungs
    fid = halving.search.fidelity
    assert fid is not None and fid.rungs == pytest.approx([1 / 9, 1 / 3, 1.0])
    assert fid.keep == pytest.approx(1 / 3) and fid.rule == "halving"
    assert full.budget.epochs == halving.budget.epochs == 20
    assert full.budget.total_steps == halving.budget.total_steps == 24000
    earlier = {s for f in ("fidelity_vs_full.toml", "search_decomposition.toml")
               for s in load_plan(ROOT / "studies" / f).seeds}
    assert not set(plan.seeds) & earlier
