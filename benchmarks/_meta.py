"""Shared header of every benchmark result: device, versions, date and the code's commit."""

from __future__ import annotations

import json
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

from nas_ops.infra.machine import cpu_name

RESULTS = Path(__file__).resolve().parent / "results"


def commit() -> str:
    """The checkout's commit (short), ``+dirty`` when tracked files other than results differ
    from it; "" outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=RESULTS.parent, capture_output=True,
                              text=True, check=True).stdout.strip()

    try:
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                    ":!benchmarks/results")
        return git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return ""


def header() -> dict[str, Any]:
    import numpy
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"date": time.strftime("%Y-%m-%d"), "device": gpu or cpu_name(),
            "cpu_count": __import__("os").cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": numpy.__version__, "commit": commit()}


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {**header(), **payload}
    path = RESULTS / f"{name}-{data['date']}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
