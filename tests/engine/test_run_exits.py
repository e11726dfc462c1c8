"""Exit codes of `search` and `resume`: a run whose evaluations all fail, an --out that is not
a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from nas_ops.cli import main
from nas_ops.store import load_run


def test_a_run_whose_evaluations_all_fail_exits_1(tiny_config, tmp_path: Path,  # noqa: ANN001
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tiny_config(seed=1, extra="time_limit_s = 1e-9\n")
    out = tmp_path / "run"
    assert main(["search", str(cfg), "--out", str(out), "--max-evals", "2", "--quiet"]) == 1
    captured = capsys.readouterr()
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("nas-ops: error: all 2 evaluations failed; most common reason "
                           "(2 of 2): ")
    assert "time limit" in line
    assert "2 evaluations (0 trained now, 2 failed)" in captured.out  # the summary is printed
    run = load_run(out)
    assert run.meta.status == "finished"
    assert [i.evaluation.status for i in run.individuals if i.evaluation] == ["failed"] * 2
    assert main(["resume", str(out), "--quiet"]) == 1  # resume says the same


def test_search_refuses_a_non_empty_directory_that_holds_no_run(
        tiny_config, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["search", str(tiny_config()), "--out", str(out), "--quiet"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == (f"nas-ops: error: --out {str(out)!r} is not empty and holds no nas-ops "
                    "run; choose a new or empty directory")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
