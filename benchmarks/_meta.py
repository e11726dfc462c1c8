"""Shared header of every benchmark result: device, versions, date."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

from nas_ops.infra.machine import cpu_name

RESULTS = Path(__file__).resolve().parent / "results"


def header() -> dict[str, Any]:
    import numpy
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"date": time.strftime("%Y-%m-%d"), "device": gpu or cpu_name(),
            "cpu_count": __import__("os").cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": numpy.__version__}


def write(name: str, payload: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {**header(), **payload}
    path = RESULTS / f"{name}-{data['date']}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
