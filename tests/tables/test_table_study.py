"""The table reproduction study (studies/table_results.py, nas_ops/experiments/table_*):
the pick per budget and the measures against hand-computed oracles, a CI-size run that is
killed (a partial last line) and resumed, the proof that the test column never chooses, and
latency as NSGA-II's second objective."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nas_ops import ConfigError, load_run, run_search
from nas_ops.experiments.table_arms import arm_config, picks, run_one
from nas_ops.experiments.table_measures import bootstrap, summarize, values
from nas_ops.experiments.table_runner import read_results, run_all
from nas_ops.tables import get_table
from tests.tables.conftest import needs_tables

ROOT = Path(__file__).resolve().parents[2]


def test_the_pick_is_the_best_validation_within_each_budget() -> None:
    # (evaluations so far, validation value) in settle order
    settled = [(1, 0.5), (2, 0.7), (3, 0.7), (4, 0.6), (6, 0.9), (7, 0.8)]
    assert picks(settled, [1, 3, 5, 6, 10]) == [0, 1, 1, 4, 4]  # a tie keeps the first
    assert picks([], [5]) == [None]


def test_measures_against_hand_computed_values() -> None:
    fact = {"optimum_test": 0.90, "best_val_test": 0.85, "top_threshold": 0.88, "front_hv": 2.0}
    rec = {"test": [None, 0.80, 0.88], "hv": [1.0, 1.5, 1.9]}
    got = values(rec, fact)
    assert np.isnan(got["regret"][0]) and np.isnan(got["top"][0])
    assert got["regret"][1:] == pytest.approx([0.10, 0.02])
    assert got["regret_val"][1:] == pytest.approx([0.05, -0.03])
    assert got["top"][1:] == [0.0, 1.0]  # 0.88 is at the threshold: in
    assert got["hv_share"] == pytest.approx([0.5, 0.75, 0.95])
    same = bootstrap([0.3, 0.3, 0.3], np.random.default_rng(0))
    assert (same.mean, same.low, same.high, same.n) == pytest.approx((0.3, 0.3, 0.3, 3))
    # paired by seed: aging is 0.01 better than random on seed 0 and 0.03 on seed 1
    facts = {"t": fact}
    recs = [{"table": "t", "arm": "random", "seed": 0, "test": [0.80], "hv": [1.0]},
            {"table": "t", "arm": "random", "seed": 1, "test": [0.84], "hv": [1.0]},
            {"table": "t", "arm": "aging", "seed": 0, "test": [0.81], "hv": [1.2]},
            {"table": "t", "arm": "aging", "seed": 1, "test": [0.87], "hv": [1.0]}]
    cells = summarize(recs, facts, [100])
    assert cells[("t", "aging", 100, "regret")]["mean"].mean == pytest.approx(0.06)
    diff = cells[("t", "aging", 100, "regret")]["vs_random"]
    assert diff.mean == pytest.approx(-0.02) and diff.low == pytest.approx(-0.03)
    assert diff.high == pytest.approx(-0.01)
    assert cells[("t", "aging", 100, "hv_share")]["vs_random"].mean == pytest.approx(0.05)
    assert "vs_random" not in cells[("t", "random", 100, "regret")]


@needs_tables
def test_a_ci_size_study_resumes_after_a_kill(tmp_path: Path) -> None:
    tables, arms, seeds, budgets = ["nbgraph/cora", "nb201/cifar10"], \
        ["random", "aging", "local", "nsga2"], range(3), [50, 60]
    run_all(tmp_path, tables, arms, seeds, budgets, workers=1, say=lambda _: None)
    results = tmp_path / "results.jsonl"
    first = read_results(results)
    assert len(first) == 24 and {(r["table"], r["arm"], r["seed"]) for r in first} == {
        (t, a, s) for t in tables for a in arms for s in seeds}
    facts = json.loads((tmp_path / "tables.json").read_text())
    for r in first:
        assert r["evals"] == 60 and r["budgets"] == [50, 60]
        assert r["lookups"][0] <= 50 and r["lookups"][1] <= 60
        assert all(facts[r["table"]]["optimum_test"] >= t for t in r["test"])
        assert r["val"][1] >= r["val"][0]  # more evaluations never pick a worse validation
    # a kill: the last two runs lost, and half a line written
    lines = results.read_text().splitlines(keepends=True)
    results.write_text("".join(lines[:-2]) + lines[-2][: len(lines[-2]) // 2])
    assert len(read_results(results)) == 22
    assert run_all(tmp_path, tables, arms, seeds, budgets, workers=1, say=lambda _: None) == 2
    again = read_results(results)
    assert len(again) == 24 and results.read_text().endswith("\n")

    def key(r: dict) -> tuple:
        return r["table"], r["arm"], r["seed"]

    strip = [{k: v for k, v in r.items() if k != "wall_s"} for r in first]
    assert sorted(strip, key=key) == sorted(
        ({k: v for k, v in r.items() if k != "wall_s"} for r in again), key=key)
    assert not (tmp_path / ".scratch").exists()


@needs_tables
def test_the_test_column_never_chooses_the_pick() -> None:
    a = run_one("nbgraph/cora", "aging", 0, [50, 100])
    table = get_table("nbgraph", "cora")
    kept = table.columns["perf"].copy()
    table.columns["perf"][:] = np.random.default_rng(1).permutation(kept)
    try:
        b = run_one("nbgraph/cora", "aging", 0, [50, 100])
    finally:
        table.columns["perf"][:] = kept
    assert a["test"] != b["test"]  # the test values changed ...
    for field in ("key", "val", "hv", "lookups", "evals"):
        assert a[field] == b[field]  # ... the picks and everything chosen did not


@needs_tables
def test_nsga2_ranks_latency_on_nbgraph_and_nb201_has_none(tmp_path: Path) -> None:
    run_search(arm_config("nbgraph/cora", "nsga2", 0, 60), tmp_path / "a", progress=False)
    run = load_run(tmp_path / "a")
    ind = run.ok()[0]
    assert run.objectives()[1].metric == "latency_us"
    assert ind.objectives[1] == ind.evaluation.complexity["latency_us"]
    bad = arm_config("nb201/cifar10", "nsga2", 0, 60)
    data = bad.to_dict()
    data["search"]["complexity_objective"] = "latency_us"
    data["search"]["hv_reference"] = {}
    from nas_ops.config import config_from_dict

    with pytest.raises(ConfigError, match=r"^search.complexity_objective = 'latency_us' is not "
                       r"recorded by task 'nb201:cifar10'; valid: parameters, none$"):
        run_search(config_from_dict(data), tmp_path / "b", progress=False)
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("args, message", [
    (["--arms", "random,bogus"], "--arms: unknown arm 'bogus'; valid: random, aging, local, "
                                 "nsga2\n"),
    (["--seeds", "0-300"], "--seeds '0-300': give FIRST:END (END excluded), e.g. 0:1000\n"),
    (["--budgets", "50,lots"], "--budgets '50,lots': give integers, e.g. 50,100,200,500\n"),
])
def test_bad_argument_is_one_line_and_exit_2(tmp_path: Path, args: list[str],
                                             message: str) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "studies" / "table_results.py"), "run",
                           str(tmp_path / "out"), *args],
                          capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stderr) == (2, message)
    assert not (tmp_path / "out").exists()


@needs_tables
@pytest.mark.slow
def _running_in_group(pgid: int) -> list[int]:
    """Pids of the live (not zombie) processes of process group ``pgid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


def test_kill_9_of_the_two_worker_runner_and_resume(tmp_path: Path) -> None:
    import os
    import signal
    import time

    out = tmp_path / "out"
    cmd = [sys.executable, str(ROOT / "studies" / "table_results.py"), "run", str(out),
           "--seeds", "0:2", "--tables", "nbgraph/cora,nbgraph/proteins", "--budgets", "50,60",
           "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results = out / "results.jsonl"
    deadline = time.time() + 180
    while (not results.is_file() or results.read_text().count("\n") < 3) \
            and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # the runner alone, mid-write or not
    proc.wait()
    deadline = time.time() + 10
    while _running_in_group(proc.pid) and time.time() < deadline:
        time.sleep(0.05)
    assert _running_in_group(proc.pid) == []  # its workers died with it
    killed = len(read_results(results))
    assert 3 <= killed < 16
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    final = read_results(results)
    assert sorted((r["table"], r["arm"], r["seed"]) for r in final) == sorted(
        (t, a, s) for t in ("nbgraph/cora", "nbgraph/proteins")
        for a in ("random", "aging", "local", "nsga2") for s in (0, 1))
    again = run_one(final[0]["table"], final[0]["arm"], final[0]["seed"], [50, 60])
    assert {k: v for k, v in again.items() if k != "wall_s"} == {
        k: v for k, v in final[0].items() if k != "wall_s"}


def test_the_known_results_section_reads_each_paired_interval() -> None:
    """better / worse only where the paired interval excludes 0; tallies per arm and budget; the
    shared start (the smallest budget) is not checked."""
    from nas_ops.experiments.table_measures import Estimate
    from tests.study_scripts import study_script

    page = study_script("table_page")
    est = {"better": Estimate(-0.01, -0.02, -0.001, 9), "worse": Estimate(0.01, 0.001, 0.02, 9),
           "none": Estimate(-0.01, -0.02, 0.0, 9)}
    cells = {("t1", "aging", 100, "regret"): {"vs_random": est["better"]},
             ("t1", "aging", 1000, "regret"): {"vs_random": est["none"]},
             ("t2", "aging", 100, "regret"): {"vs_random": est["worse"]},
             ("t2", "aging", 1000, "regret"): {"vs_random": est["better"]}}
    lines = page._known(cells, ["t1", "t2"], ["random", "aging"], [50, 100, 1000])
    assert "| t1 | better | no difference |" in lines
    assert "| t2 | worse | better |" in lines
    assert ("- **aging** against random search, at 100: better on 1, worse on 1, no difference "
            "on 0; at 1000: better on 1, worse on 0, no difference on 1.") in lines


@pytest.mark.slow
@needs_tables
@pytest.mark.parametrize("table", ["nbgraph/cora", "nb201/cifar10"])
def test_committed_runs_recompute_exactly_with_todays_engine(table: str) -> None:
    """Seed 0 of every arm, run again, gives the committed row of the reproduction (run by an
    older engine: the table fast path and every later change must leave a search unchanged)."""
    committed = {(r["arm"], r["seed"]): r for r in read_results(
        ROOT / "studies" / "results" / "tables_repro" / "results.jsonl") if r["table"] == table}
    for arm in ("random", "aging", "local", "nsga2"):
        want = dict(committed[(arm, 0)])
        got = run_one(table, arm, 0, want["budgets"])
        want.pop("wall_s")  # the rows predate the operator mix (``mix``), which is not compared
        assert {k: got.get(k) for k in want} == want, arm
