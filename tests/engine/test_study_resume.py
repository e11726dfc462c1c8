"""A study with early-stopped bases and matched controls, killed with SIGKILL at random moments
and resumed, equals the uninterrupted study (ledger contents and design meta)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nas_ops import load_run
from nas_ops.store import run_contents

pytestmark = pytest.mark.slow

STUDY = """
seed = 5
[task]
name = "mnist1d"
n_train = 200
[study]
base_models = 2
variations = 1
operators = ["change_units", "add_layer"]
base_patience = 2
base_max_epochs = 20
[evaluation]
backend = "local"
[budget]
epochs = 1
"""


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "nas_ops", *args]


def _evals(run_dir: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{run_dir / 'ledger.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            return int(db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def _kill_after(cmd: list[str], run_dir: Path, evals: int, extra_delay: float) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while _evals(run_dir) < evals and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(extra_delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def _design(run_dir: Path) -> dict:  # type: ignore[type-arg]
    meta = load_run(run_dir).meta
    return {"bases": meta["bases"], "applicability": meta["applicability"]}


def test_killed_and_resumed_study_equals_uninterrupted_study(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text(STUDY)
    clean = tmp_path / "clean"
    subprocess.run(_cli("study", str(cfg), "--out", str(clean), "--quiet"), check=True,
                   capture_output=True)
    expected = run_contents(clean)
    assert expected["status"] == "finished"
    assert len(expected["individuals"]) == 2 + 2 * 2 * 2  # bases, edits, matched controls

    rng = np.random.default_rng(11)  # where to kill: random, but the test itself is repeatable
    killed = tmp_path / "killed"
    for evals in sorted(rng.integers(1, 9, size=2)):
        args = ["study", str(cfg), "--out", str(killed)] if not killed.exists() else [
            "resume", str(killed)]
        _kill_after(_cli(*args, "--quiet"), killed, int(evals), float(rng.uniform(0, 0.5)))
    done = subprocess.run(_cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert run_contents(killed) == expected
    assert _design(killed) == _design(clean)
