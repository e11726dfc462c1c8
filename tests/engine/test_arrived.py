"""A run killed in the middle of a batch keeps the results that arrived: the resume trains only
the rest, and the run still equals the uninterrupted one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from nas_ops import run_search
from nas_ops.records import EvalRecord
from nas_ops.store import Ledger, run_contents
from tests.configs import write_config
from tests.killing import cli

pytestmark = pytest.mark.slow


def _arrived(run_dir: Path) -> list[str]:
    try:
        db = sqlite3.connect(f"file:{run_dir / 'ledger.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            return [r[0] for r in db.execute("SELECT uid FROM arrived ORDER BY uid")]
        finally:
            db.close()
    except sqlite3.Error:
        return []


def test_results_of_an_unfinished_batch_survive_a_kill(tmp_path: Path) -> None:
    # one batch of 6 initial models, then 2 children: the kill lands inside the first batch
    cfg = write_config(tmp_path / "c.toml", seed=6, population=6, offspring=2, generations=1)
    clean = tmp_path / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    killed = tmp_path / "killed"
    proc = subprocess.Popen(cli("search", str(cfg), "--out", str(killed), "--quiet"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(_arrived(killed)) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = _arrived(killed)
    assert 3 <= len(kept) < 6, kept  # inside the batch: nothing in `evaluations` yet
    assert sqlite3.connect(killed / "ledger.sqlite").execute(
        "SELECT COUNT(*) FROM evaluations").fetchone()[0] == 0
    mtimes = {u: (killed / "weights" / f"{u}.pt").stat().st_mtime_ns for u in kept}
    with Ledger(killed, "w") as ledger:  # a result no batch asks for: cleared at the end
        ledger.keep_arrived(EvalRecord(uid="orphan", status="ok"))

    done = subprocess.run(cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # the kept models were not trained again (their weights files are the ones of before)
    assert {u: (killed / "weights" / f"{u}.pt").stat().st_mtime_ns for u in kept} == mtimes
    assert _arrived(killed) == []
    assert run_contents(killed) == run_contents(clean)
