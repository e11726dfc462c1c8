"""Capacity analysis of the best models of a real (tiny) search run, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from tests.configs import write_config


@pytest.mark.slow
def test_capacity_of_a_search_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(tmp_path / "tiny.toml", seed=3, population=3, offspring=2, generations=1)
    nas_ops.run_search(str(tmp_path / "tiny.toml"), str(tmp_path / "run"), progress=False)
    assert main(["capacity", str(tmp_path / "run"), "--out", str(tmp_path / "cap")]) == 0
    records = json.loads((tmp_path / "cap" / "results.json").read_text())
    outputs = {"class": 10, "histogram": 32, "reconstruction": 40}
    assert {r["best_for"] for r in records} == set(outputs)
    for r in records:
        rows = outputs[r["output"]] * 41  # (outputs x (inputs + the constant bias input))
        assert 0 <= r["capacity"] <= min(r["parameters"], rows) + 1e-6
        assert len(r["per_input"]) == 40
        for cap, params in r["networks"].values():
            assert 0 <= cap <= params + 1e-6
    assert any(r["capacity"] > 0 for r in records)
    assert (tmp_path / "cap" / "profiles.png").read_bytes()[:4] == b"\x89PNG"
    assert "data:image/png;base64," in (tmp_path / "cap" / "index.html").read_text()
