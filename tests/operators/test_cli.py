"""``nas-ops operators list|show``."""

from __future__ import annotations

import pytest

from nas_ops.cli import main


def test_list_prints_a_row_per_operator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operators", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "family", "arity", "direction", "description"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["swap_network"][1:4] == ["crossover", "2", "neutral"]
    assert rows["add_connection"][1:4] == ["connection", "1", "grow"]
    assert len(rows) >= 20


def test_show_prints_metadata_and_doc(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operators", "show", "widen_layer"]) == 0
    out = capsys.readouterr().out
    assert "family: layer" in out and "function_preserving: True" in out
    assert "Net2Net wider" in out


def test_show_unknown_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operators", "show", "add_conection"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "add_connection" in err and "Traceback" not in err
