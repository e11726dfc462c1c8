"""Without ray installed, the ray backend says how to install it (one line, a NasOpsError)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
sys.modules["ray"] = None  # as if ray were not installed
from nas_ops.config import EvaluationConfig
from nas_ops.errors import MissingDependencyError
from nas_ops.evaluation import make_evaluator
try:
    make_evaluator(EvaluationConfig(backend="ray"))
except MissingDependencyError as exc:
    print("MISSING", exc)
"""


def test_missing_ray_is_a_clear_error():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.startswith("MISSING ") and "pip install nas-ops[ray]" in out
    assert len(out.strip().splitlines()) == 1
