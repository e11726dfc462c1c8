"""The multi-network task's commands on a benchmark table (issue 23 point 4): `study`, `report`,
`experiment` and `compare` at CI size, and the committed table study's matched controls, which a
lookup makes exactly neutral."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "studies" / "bench" / "nbgraph_cora_study.toml"
COMMITTED = ROOT / "studies" / "results" / "table_study_cora"


def nas_ops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nas_ops", *args], capture_output=True,
                          text=True, check=False, cwd=ROOT)


def test_study_report_experiment_and_compare_run_on_a_table(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text(STUDY.read_text().replace("base_models = 200", "base_models = 12"))
    done = nas_ops("study", str(cfg), "--out", str(tmp_path / "study"), "--quiet")
    assert done.returncode == 0, done.stderr
    done = nas_ops("report", str(tmp_path / "study"), "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    rules = json.loads((tmp_path / "report" / "guidelines.json").read_text())
    assert rules["bases"]["n"] == 12
    exp = tmp_path / "exp.toml"
    exp.write_text(
        '[experiment]\nfirst_seed = 0\nn_seeds = 2\n\n[base]\n'
        'task = {name = "nbgraph", dataset = "cora"}\nspace = {name = "nbgraph"}\n'
        'search = {algorithm = "aging", population = 10, offspring = 10, generations = 10, '
        'tournament = 3, crossover_rate = 0.0}\n'
        'evaluation = {backend = "table", inherit_weights = false}\n'
        'budget = {max_evals = 40}\n\n[arms]\n'
        'uniform = {policy = {name = "uniform"}}\n'
        'guided = {policy = {name = "guided", guidelines = '
        '"studies/results/tables_opstudy/guidelines/nbgraph_cora.json"}, '
        'evaluation = {diagnose = true}}\n')
    done = nas_ops("experiment", str(exp), "--out", str(tmp_path / "exp"))
    assert done.returncode == 0, done.stderr
    assert "guided had a median speed-up" in done.stdout
    runs = sorted(p for p in (tmp_path / "exp").rglob("ledger.sqlite"))
    assert len(runs) == 4
    done = nas_ops("compare", *(str(r.parent) for r in runs), "--out", str(tmp_path / "cmp"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "cmp" / "index.html").is_file()


def test_on_a_table_the_matched_control_equals_its_parent(tmp_path: Path) -> None:
    """The committed table study: every matched control (the parent retrained on the edit's
    networks, no edit) looks up its parent's architecture, so control minus parent is 0."""
    ledger = tmp_path / "ledger.sqlite"
    with gzip.open(COMMITTED / "ledger.sqlite.gz") as src:
        ledger.write_bytes(src.read())
    db = sqlite3.connect(ledger)
    val = dict(db.execute("SELECT uid, val FROM evaluations WHERE status = 'ok'"))
    controls = [(child, json.loads(event)["parents"][0]) for child, event in db.execute(
        "SELECT child, event FROM variations WHERE operator = 'matched_control' "
        "AND child IS NOT NULL")]
    db.close()
    assert len(controls) > 300
    assert all(json.loads(val[c]) == json.loads(val[p]) for c, p in controls)
