"""Study runner, config validation and the CLI (a tiny config, a few seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nas_ops.capacity.config import parse_config
from nas_ops.capacity.study import run_study
from nas_ops.cli import main
from nas_ops.errors import ConfigError
from tests.configs import CAPACITY_GP, UNET_RELU

TINY = CAPACITY_GP + """
[[architectures]]
name = "conv"
kind = "conv"
depth = 2
kernel = 3
""" + UNET_RELU + """
[[architectures]]
name = "res"
kind = "residual"
depth = 3
kernel = 3
"""


def test_cli_writes_complete_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(TINY)
    out = tmp_path / "report"
    assert main(["capacity", str(cfg), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("capacity=") == 3
    names = {p.name for p in out.iterdir()}
    assert {"report.md", "index.html", "results.json", "capacity_vs_params.png"} <= names
    records = json.loads((out / "results.json").read_text())["records"]
    by_name = {r["architecture"]: r for r in records}
    assert by_name["conv"]["capacity"] == pytest.approx(5.0, abs=1e-8)
    assert by_name["res"]["capacity"] == pytest.approx(7.0, abs=1e-8)
    assert "data:image/png;base64," in (out / "index.html").read_text()
    assert "| conv |" in (out / "report.md").read_text().replace("| gp | conv |", "| conv |")


def test_cli_bad_config_is_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(TINY.replace("kernel = 3\n", "kernal = 3\n", 1))
    out = tmp_path / "report"
    assert main(["capacity", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "unknown key 'kernal'" in err and "valid keys:" in err
    assert not out.exists() and list(tmp_path.iterdir()) == [cfg]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (("seed = 3", "sead = 3"), "unknown key study.sead"),
        (('kind = "gp"', 'kind = "gauss"'), "valid choices: gp, mnist1d"),
        (('kind = "unet"', 'kind = "vgg"'), "valid choices: conv, dense, dilated, residual, unet"),
        (("epochs = 5", 'epochs = "five"'), "study.epochs must be an integer, got 'five'"),
        (('activation = "relu"', 'activation = "tanh"'), "valid choices: linear, relu"),
    ],
)
def test_config_errors(patch: tuple[str, str], message: str) -> None:
    text = TINY.replace(*patch)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        cfg = parse_config(text)
        run_study(cfg, progress=lambda _: None)
