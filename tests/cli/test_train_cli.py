"""``nas-ops train FILE --task T --epochs E``: per-output metrics, and its bad-input errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import nas_ops as N
from nas_ops.cli import main
from nas_ops.genome import to_json
from tests.genome.builders import mlp_genome


@pytest.fixture
def genome_file(tmp_path: Path) -> Path:
    path = tmp_path / "genome.json"
    path.write_text(to_json(mlp_genome(), indent=2))
    return path


def test_train_prints_per_output_metrics(genome_file: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(genome_file), "--task", "mnist1d", "--epochs", "1",
                 "--n-train", "300", "--device", "cpu"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert f"{N.complexity(mlp_genome()).parameters} params, 5 steps" in lines[0]  # 300/64
    assert "on cpu; test metrics:" in lines[0]
    metrics = {line.split()[0]: line for line in lines[1:]}
    assert set(metrics) == {"class", "histogram", "reconstruction"}
    assert "(classification) accuracy=" in metrics["class"]
    assert "(regression) mse=" in metrics["histogram"]
    assert "(generation) recon_mse=" in metrics["reconstruction"]


def test_train_json_output(genome_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(genome_file), "--epochs", "1", "--n-train", "300", "--json",
                 "--device", "cpu"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["steps"] == 5
    assert 0.0 <= result["test"]["class"]["accuracy"] <= 1.0
    assert result["trained_networks"] == ["c", "h", "r"]


@pytest.mark.parametrize(("args", "fragment"), [
    (["--task", "nope"], "unknown task 'nope'; valid choices:"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--task", "digits"], "genome does not fit task 'digits': input 'x' is image [1, 8, 8]"),
])
def test_train_bad_input(genome_file: Path, args: list[str], fragment: str,
                         capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", str(genome_file), "--n-train", "300", *args])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and fragment in err


def test_train_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", str(tmp_path / "nope.json"), "--epochs", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "nope.json" in err
