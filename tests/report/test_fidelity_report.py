"""The report's fidelity section on a tiny real run with rungs: per generation the children
stopped at each rung and the steps spent per rung, checked against the ledger's own rows; every
evaluation is listed with its fidelity; for the median rule (an aging run), the children it
stopped and the history sizes per generation, against the ledger. A run without rungs says it
has none."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from nas_ops.engine import run_search
from nas_ops.fidelity import individual_of
from nas_ops.report import build_report
from nas_ops.report.fidelity import median_rows, rung_rows
from nas_ops.store import load_run
from tests.configs import tiny_config

RUNGS = {"rungs": [0.25, 1.0], "keep": 0.5}


@pytest.fixture(scope="module")
def rung_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fidelity-report") / "run"
    run_search(tiny_config(seed=3, epochs=2, search__fidelity=RUNGS), out, progress=False)
    return out


def _ledger_rows(run_dir: Path) -> list[dict]:
    db = sqlite3.connect(run_dir / "ledger.sqlite")
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(
            "SELECT e.*, i.generation FROM evaluations e JOIN individuals i "
            "ON i.uid = e.uid OR e.uid LIKE i.uid || '@r%' ORDER BY e.seq")]
    finally:
        db.close()


def test_rungs_per_generation_match_the_ledger(rung_run: Path) -> None:
    rows = _ledger_rows(rung_run)
    oracle: dict[int, list[int]] = {}
    stopped: Counter = Counter()
    for r in rows:
        if r["generation"] == 0:
            continue
        g = oracle.setdefault(r["generation"], [0] * 7)
        uid = individual_of(r["uid"])
        if r["status"] == "duplicate":
            g[0] += 1
            g[1] += 1
            continue
        g[5 + r["rung"]] += r["steps"]
        if r["uid"] == uid:  # the last rung: finished (or failed there)
            g[0] += 1
            g[2] += r["status"] == "failed"
            g[4] += 1
        elif not any(o["uid"] == uid for o in rows):  # no last-rung row: stopped at rung 0
            g[0] += 1
            g[2] += r["status"] == "failed"
            g[3] += 1
            stopped[r["generation"]] += 1
    table = rung_rows(load_run(rung_run), 2)
    assert table == [[g, *v] for g, v in sorted(oracle.items())]
    assert sum(stopped.values()) > 0 and sum(row[5] for row in table) > 0
    assert all(row[6] > 0 and row[7] > row[6] for row in table if row[5])  # rung 1 trains more


def test_the_report_shows_the_rung_table_and_marks_every_evaluation(rung_run: Path,
                                                                     tmp_path: Path) -> None:
    md = (build_report(rung_run, tmp_path / "rep").parent / "report.md").read_text()
    part = md.split("## Fidelity", 1)[1].split("\n## ", 1)[0]
    assert "Rungs at 0.25, 1 of the full training budget; 0.5 of each rung's children" in part
    assert "| generation | children | duplicates | failed | stopped at rung 0 (0.25) | " \
           "finished rung 1 (1) | steps at rung 0 (0.25) | steps at rung 1 (1) |" in part
    run = load_run(rung_run)
    n_rows = len(_ledger_rows(rung_run))
    assert f"every evaluation with its fidelity ({n_rows} rows)" in part
    low = sum(len(i.rungs) for i in run.individuals)
    assert f"{low} at 0.25" in part
    some = next(i for i in run.individuals if i.rungs)
    assert f"| {some.rungs[0].uid} | {some.uid} | {some.generation} | 0 | 0.25 |" in part


def test_a_run_without_rungs_says_so(search_report: Path) -> None:
    md = (search_report / "report.md").read_text()
    assert "Every evaluation trained to the full budget (fidelity 1.0)" in md


@pytest.fixture(scope="module")
def median_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fidelity-report") / "median"
    run_search(tiny_config(seed=3, epochs=2, generations=3, algorithm="aging",
                           task__outputs=["reconstruction"],
                           search__fidelity={"rungs": [0.25, 1.0], "rule": "median"}),
               out, progress=False)
    return out


def test_the_median_rule_table_matches_the_ledger(median_run: Path, tmp_path: Path) -> None:
    """Aging: a child's history is the successful rung-0 results of the children created before
    it; a child the rule stopped has a successful rung-0 row and no row of its own."""
    rows = _ledger_rows(median_run)
    by_uid = {r["uid"]: r for r in rows}
    run = load_run(median_run)
    children = sorted((i for i in run.individuals if i.generation > 0),
                      key=lambda i: (i.generation, i.slot))
    stopped: Counter = Counter()
    sizes: dict[int, list[int]] = {}  # per generation, each decision's history size
    for ind in children:
        r0 = by_uid.get(f"{ind.uid}@r0")
        if r0 is not None and r0["status"] == "ok":
            seen = sum(len(h) for h in sizes.values())
            sizes.setdefault(ind.generation, []).append(seen)
            stopped[ind.generation] += ind.uid not in by_uid
    fid = run.config.search.fidelity
    assert fid is not None
    table = median_rows(run, fid)
    assert table == [[g, 0, len(h), stopped[g], min(h), max(h)] for g, h in sorted(sizes.items())]
    assert sum(row[3] for row in table) > 0 and table[0][4] == 0 and table[-1][5] >= 5
    md = (build_report(median_run, tmp_path / "rep").parent / "report.md").read_text()
    part = md.split("## Fidelity", 1)[1].split("\n## ", 1)[0]
    assert "strictly worse than the median of the rung's history on every output, once that " \
           "history holds at least 5 results (rule median, after Optuna's MedianPruner); only " \
           "children trained to the full budget enter selection. Per generation" in part
    assert "| generation | rung | decided | stopped by the median rule | history (smallest) | " \
           "history (largest) |" in part
    g, rung, decided, stopped, low, high = table[-1]
    assert f"| {g} | {rung} | {decided} | {stopped} | {low} | {high} |" in part
