"""Kill a real search process with SIGKILL at random moments, resume it, and compare ledgers."""

import subprocess
import time

import numpy as np
import pytest

from nas_ops import run_search
from nas_ops.store import run_contents
from tests.killing import cli, kill_after

pytestmark = pytest.mark.slow








def test_killed_and_resumed_run_equals_uninterrupted_run(tiny_config, tmp_path):
    cfg = tiny_config(seed=3, generations=3)
    clean = tmp_path / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    expected = run_contents(clean)
    assert expected["status"] == "finished"
    assert len(expected["individuals"]) == 16

    rng = np.random.default_rng(7)  # where to kill: random, but the test itself is repeatable
    killed = tmp_path / "killed"
    for evals in sorted(rng.integers(1, 15, size=2)):
        kill_after(cli("search" if not killed.exists() else "resume",
                         *([str(cfg), "--out", str(killed)] if not killed.exists()
                           else [str(killed)]), "--quiet"),
                    killed, int(evals), float(rng.uniform(0, 0.5)))
    done = subprocess.run(cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    got = run_contents(killed)
    assert got == expected


def test_second_writer_gets_a_clear_error(tiny_config, tmp_path):
    cfg = tiny_config(seed=4, generations=6, epochs=200)
    run_dir = tmp_path / "run"
    first = subprocess.Popen(cli("search", str(cfg), "--out", str(run_dir), "--quiet"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not (run_dir / "ledger.sqlite").exists() and time.time() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first search ended before the test could race it"
        second = subprocess.run(cli("resume", str(run_dir)), capture_output=True, text=True)
        assert second.returncode == 2
        assert "open for writing by another process" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
    finally:
        first.kill()
        first.wait()
