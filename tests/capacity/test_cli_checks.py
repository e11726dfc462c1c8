"""`nas-ops capacity`: --out is checked before any work; sizes out of range are one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nas_ops.capacity.config import MAX_SIGNAL_LENGTH, parse_config
from nas_ops.cli import main
from nas_ops.errors import ConfigError
from tests.configs import TINY_CAPACITY


def _run(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    cfg = tmp_path / "c.toml"
    cfg.write_text(TINY_CAPACITY)
    code = main(["capacity", str(cfg), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report"
    out.write_text("not a directory")
    code, printed, err = _run(tmp_path, out, capsys)
    assert code == 2 and "is a file" in err and err.count("\n") == 1
    assert "capacity=" not in printed  # nothing was computed


def test_out_parent_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("")
    code, printed, err = _run(tmp_path, tmp_path / "f" / "sub" / "report", capsys)
    assert code == 2 and "is a file" in err and "capacity=" not in printed


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_out_parent_is_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        code, printed, err = _run(tmp_path, locked / "new" / "report", capsys)
    finally:
        locked.chmod(0o755)
    assert code == 2 and "read-only" in err and "capacity=" not in printed
    assert list(locked.iterdir()) == []


def test_success_prints_one_line_per_model(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, printed, _ = _run(tmp_path, tmp_path / "a" / "report", capsys)
    assert code == 0 and printed.count("capacity=") == 1 and "s)" in printed


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (("signal_length = 8", "signal_length = -8"), "study.signal_length = -8 is out of range"),
        (("signal_length = 8", "signal_length = 100000"), f"[2, {MAX_SIGNAL_LENGTH}]"),
        (("n_train = 8", "n_train = 0"), "study.n_train = 0 is out of range"),
        (("n_test = 4", "n_test = 100000000"), "study.n_test = 100000000 is out of range"),
        (("epochs = 1", "epochs = 0"), "study.epochs = 0 is out of range"),
        (("analysis_points = 1", "analysis_points = 5"), "study.analysis_points = 5"),
        (('kind = "conv"', 'kind = "conv"\nchannels = 0'), "'conv'.channels = 0 is out of range"),
        (('kind = "conv"', 'kind = "conv"\ndepth = 100000'), "'conv'.depth = 100000 is out"),
        (('kind = "gp"', 'kind = "gp"\nnoise = -1.0'), "'gp'.noise = -1.0 is out of range"),
        (("epochs = 1", "epochs = 1\nlearning_rate = -0.1"), "learning_rate = -0.1 must be"),
    ],
)
def test_sizes_out_of_range(patch: tuple[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")) as info:
        parse_config(TINY_CAPACITY.replace(*patch), "c.toml")
    assert "\n" not in str(info.value) and str(info.value).startswith("c.toml: ")
