"""``nas-ops report``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nas_ops.cli import main
from tests.analysis.synthetic import write_planted_run


def test_cli_prints_the_index_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_planted_run(tmp_path / "run", n_parents=2, per_parent=1)
    assert main(["report", str(run), "--out", str(tmp_path / "rep")]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str((tmp_path / "rep" / "index.html").resolve())
    assert Path(printed).is_file()


def test_cli_shows_progress_per_stage_unless_quiet(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    run = write_planted_run(tmp_path / "run", n_parents=2, per_parent=1)
    assert main(["report", str(run), "--out", str(tmp_path / "rep")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 6 and all(line.startswith("report: ") for line in lines)
    assert lines[0].startswith("report: read ") and "effect rows" in lines[1]
    assert "figures drawn" in lines[4] and lines[5].startswith("report: tables, guidelines")
    seconds = [float(re.search(r"\(([0-9.]+) s\)$", line).group(1)) for line in lines[:4]]
    assert seconds == sorted(seconds)  # elapsed since the analysis started
    assert main(["report", str(run), "--out", str(tmp_path / "rep"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_cli_bad_run_dir_is_one_line_exit_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "rep")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run directory" in err and "Traceback" not in err


def test_cli_allow_untrained_keeps_bases_at_chance(tmp_path: Path) -> None:
    run = write_planted_run(tmp_path / "run", n_parents=4, per_parent=1, chance=4)
    assert main(["report", str(run), "--out", str(tmp_path / "rep"), "--allow-untrained"]) == 0
    g = json.loads((tmp_path / "rep" / "guidelines.json").read_text())
    assert g["bases"]["allow_untrained"] and g["bases"]["used"] == 4
    assert len(g["bases"]["at_chance"]) == 4
    assert main(["report", str(run), "--out", str(tmp_path / "rep2")]) == 0
    g = json.loads((tmp_path / "rep2" / "guidelines.json").read_text())
    assert not g["bases"]["allow_untrained"] and g["bases"]["used"] == 0
