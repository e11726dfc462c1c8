"""Killing a real nas-ops process mid-run, for the resume tests: start the CLI in a subprocess,
wait until its ledger holds enough evaluations, then SIGKILL it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from nas_ops.store import run_contents


def cli(*args: str) -> list[str]:
    """The command line running ``nas-ops ARGS`` with this interpreter."""
    return [sys.executable, "-m", "nas_ops", *args]


def evals(run_dir: Path, *, arrived: bool = False) -> int:
    """Evaluations in the run's ledger so far (0 while it does not exist or is locked); with
    ``arrived``, also the results kept while their batch is under way (table ``arrived``)."""
    tables = ["evaluations", "arrived"] if arrived else ["evaluations"]
    try:
        db = sqlite3.connect(f"file:{run_dir / 'ledger.sqlite'}?mode=ro", uri=True, timeout=1)
        try:
            return sum(int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables)
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def kill_after(cmd: list[str], run_dir: Path, n_evals: int, extra_delay: float = 0.0, *,
               env: dict[str, str] | None = None, timeout_s: float = 180,
               arrived: bool = False) -> None:
    """Run ``cmd`` and SIGKILL it ``extra_delay`` s after its ledger holds ``n_evals``
    evaluations (``arrived``: evaluations and kept results of the batch under way; or when
    ``timeout_s`` passed); returns once it is dead."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout_s
    while (evals(run_dir, arrived=arrived) < n_evals and proc.poll() is None
           and time.time() < deadline):
        time.sleep(0.05)
    time.sleep(extra_delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def kill_and_resume(config: Path, run_dir: Path, n_evals: int) -> subprocess.CompletedProcess:
    """Start ``nas-ops search CONFIG --out RUN_DIR``, SIGKILL it once its ledger holds
    ``n_evals`` evaluations, check the run was left ``running``, and resume it to the end; the
    finished ``nas-ops resume`` (its exit status checked: 0)."""
    kill_after(cli("search", str(config), "--out", str(run_dir), "--quiet"), run_dir, n_evals)
    assert run_contents(run_dir)["status"] == "running"
    done = subprocess.run(cli("resume", str(run_dir), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done
