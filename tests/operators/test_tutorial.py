"""studies/tutorials/custom_operator.py runs as documented."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # about 300 s: a subprocess running the conformance suite twice
def test_custom_operator_tutorial_runs() -> None:
    script = ROOT / "studies" / "tutorials" / "custom_operator.py"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("conformance suite passed") == 2
    assert "tutorial_halve_units: ok" in proc.stdout
