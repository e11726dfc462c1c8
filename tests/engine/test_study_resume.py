"""A study with early-stopped bases and matched controls, killed with SIGKILL at random moments
and resumed, equals the uninterrupted study (ledger contents and design meta)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from nas_ops import load_run, run_study
from nas_ops.store import run_contents
from tests.configs import write_config
from tests.killing import cli, kill_after

pytestmark = pytest.mark.slow

STUDY = {"seed": 5, "study__base_models": 2, "study__variations": 1,
         "study__operators": ["change_units", "add_layer"], "study__base_patience": 2,
         "study__base_max_epochs": 8}








def _design(run_dir: Path) -> dict:  # type: ignore[type-arg]
    meta = load_run(run_dir).meta
    return {"bases": meta.bases, "applicability": meta.applicability}


def test_killed_and_resumed_study_equals_uninterrupted_study(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    write_config(cfg, **STUDY)
    clean = tmp_path / "clean"
    run_study(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    expected = run_contents(clean)
    assert expected["status"] == "finished"
    assert len(expected["individuals"]) == 2 + 2 * 2 * 2  # bases, edits, matched controls

    rng = np.random.default_rng(11)  # where to kill: random, but the test itself is repeatable
    killed = tmp_path / "killed"
    for evals in sorted(rng.integers(1, 9, size=1)):  # one kill: CI time
        args = ["study", str(cfg), "--out", str(killed)] if not killed.exists() else [
            "resume", str(killed)]
        kill_after(cli(*args, "--quiet"), killed, int(evals), float(rng.uniform(0, 0.5)))
    done = subprocess.run(cli("resume", str(killed), "--quiet"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert run_contents(killed) == expected
    assert _design(killed) == _design(clean)
