"""The rest of the new-user review's cases (issue 25, point 9): each refusal is the exact line
``nas-ops: error: ...`` and exit code 2; a UTF-8 byte-order mark is accepted; a config typo is
reported before torch is imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from nas_ops.genome import to_json
from tests.configs import tiny_config, tiny_dict, toml_text, write_config
from tests.genome.builders import mlp_genome

ROOT = Path(__file__).resolve().parents[2]


def the_line(argv: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    return err[0]


# --------------------------------------------------------------------------- config files
@pytest.mark.parametrize("deep", ["x = " + "[" * 5000 + "]" * 5000,
                                  "y = " + "{a = " * 5000 + "1" + "}" * 5000])
def test_deep_toml_nesting(deep: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "deep.toml"
    config.write_text(toml_text(tiny_dict()) + deep + "\n")
    assert the_line(["search", config, "--out", tmp_path / "run"], capsys) == (
        f"nas-ops: error: {config}: not a config: arrays or tables nested too deeply")
    assert not (tmp_path / "run").exists()


def test_dev_null_is_not_a_regular_file(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert the_line(["search", "/dev/null", "--out", tmp_path / "run"], capsys) == (
        "nas-ops: error: config file '/dev/null' is not a regular file")
    assert the_line(["genome", "validate", "/dev/null"], capsys) == (
        "nas-ops: error: genome file '/dev/null' is not a regular file")


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    plain = write_config(tmp_path / "plain.toml")
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert nas_ops.load_config(bom) == nas_ops.load_config(plain) == tiny_config()


@pytest.mark.parametrize(("key", "value", "bound"), [
    ("cpus_per_task", -1.0, "in [0, 1024]"), ("gpus_per_task", 1e9, "in [0, 1024]"),
    ("max_retries", -5, "in [0, 100]"), ("cpus_per_task", float("nan"), "in [0, 1024]")])
def test_ray_keys_are_bounded(key: str, value: float, bound: str, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", **{f"evaluation__{key}": value})
    assert the_line(["search", config, "--out", tmp_path / "run", "--max-evals", 2],
                    capsys) == (f"nas-ops: error: {config}: evaluation.{key} must be {bound}, "
                                f"got {value!r}")
    assert not (tmp_path / "run").exists()


def test_a_config_typo_is_reported_before_torch_is_imported(tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml", search__populaton=4)
    probe = ("import sys\nfrom nas_ops.cli import main\ncode = main(sys.argv[1:])\n"
             "print(code, 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", probe, "search", str(config), "--out",
                           str(tmp_path / "run")], capture_output=True, text=True, cwd=ROOT,
                          check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert done.stderr.startswith(f"nas-ops: error: {config}: unknown key search.populaton; ")
    assert len(done.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------------- genomes
def test_duplicate_json_keys_in_a_genome(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dup.json"
    path.write_text(to_json(mlp_genome()).replace('"schema": 1,',
                                                  '"schema": 1, "space": "other",', 1))
    assert the_line(["genome", "validate", path], capsys) == (
        f"nas-ops: error: {str(path)!r}: genome JSON repeats the key 'space' in one object; "
        "keep one")


def test_batch_size_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(to_json(mlp_genome()))
    data["hyper"]["batch_size"] = 10**12
    path = tmp_path / "bs.json"
    path.write_text(json.dumps(data))
    assert the_line(["genome", "validate", path], capsys) == (
        f"nas-ops: error: {str(path)!r}: genome invalid: node '(hyper)': batch_size "
        "1000000000000 must be in [1, 1048576] [rule: hyperparameters]")


# ------------------------------------------------------------------------------- commands
def test_report_seed_below_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert the_line(["report", tmp_path, "--out", tmp_path / "rep", "--seed", -1], capsys) == (
        "nas-ops: error: --seed must be >= 0, got -1")
    assert not (tmp_path / "rep").exists()


def test_search_max_evals_on_a_run_points_to_resume(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    config, run = write_config(tmp_path / "c.toml", generations=3, budget__max_evals=6), \
        tmp_path / "run"
    assert main(["search", str(config), "--out", str(run), "--quiet"]) == 0
    capsys.readouterr()
    assert the_line(["search", config, "--out", run, "--max-evals", 10, "--quiet"], capsys) == (
        f"nas-ops: error: run directory {str(run)!r} holds this run with max_evals = 6; extend "
        f"it with `nas-ops resume {run} --max-evals 10`")
