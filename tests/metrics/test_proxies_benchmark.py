"""benchmarks/proxies.py end to end at a toy size: results, the per-genome cache, resume, and a
work dir made with other settings refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "proxies.py"
PROXIES = ["grad_norm", "synflow", "naswot", "params"]


def _run(tmp: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(SCRIPT), "--n", "3", "--n-train", "200",
                           "--bootstrap", "50", "--device", "cpu", "--work", str(tmp / "work"),
                           "--out", str(tmp / "out.json"), *extra],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.slow
def test_the_proxies_benchmark_runs_caches_and_resumes(tmp_path: Path) -> None:
    first = _run(tmp_path, "--epochs", "1")
    assert first.returncode == 0, first.stderr
    assert "0 of 3 genomes cached" in first.stdout and "[3/3] g" in first.stdout
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["genomes"] == 3 and result["settings"]["epochs"] == 1
    assert set(result["outputs"]) == {"class", "histogram", "reconstruction"}
    for res in result["outputs"].values():
        assert list(res["proxies"]) == PROXIES
        for stats in res["proxies"].values():
            assert stats["tau"] is None or -1 <= stats["tau"] <= 1
    assert sorted(p.name for p in (tmp_path / "work" / "genomes").iterdir()) == \
        ["0.json", "1.json", "2.json"]
    again = _run(tmp_path, "--epochs", "1")
    assert again.returncode == 0 and "3 of 3 genomes cached" in again.stdout
    assert json.loads((tmp_path / "out.json").read_text())["outputs"] == result["outputs"]
    other = _run(tmp_path, "--epochs", "2")
    assert other.returncode == 2
    assert "holds genomes made with other settings" in other.stderr
