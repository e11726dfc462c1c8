"""Bad inputs from the new-user review: each is one line on stderr starting ``nas-ops: error:``
that names the offending thing, exit code 2, and nothing written (no ledger.sqlite in --out).

The cases that ended in a traceback or were accepted silently are here, with a sample of those
that were already right (they must stay right). Everything runs in-process through
``nas_ops.cli.main``; a failure happens before any training, so each case takes about a second.
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

import nas_ops
from nas_ops.cli import main
from nas_ops.errors import LedgerError, NasOpsError
from nas_ops.genome import to_json
from nas_ops.store.ledger import Ledger
from tests.configs import write_config
from tests.genome.builders import mlp_genome
from tests.mounts import tmpfs

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
DEEP = "[" * 100_000 + "]" * 100_000  # a RecursionError in json.loads


def one_error_line(argv: list[object], capsys: pytest.CaptureFixture[str]) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("nas-ops: error: "), err
    return lines[0]


def assert_nothing_written(out: Path) -> None:
    assert not (out / "ledger.sqlite").exists()
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


@pytest.fixture(scope="module")
def unwritable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory nothing can be created in: mode 555 for a user, a read-only tmpfs for root
    (root writes through any mode); skipped where root may not mount."""
    place = tmp_path_factory.mktemp("unwritable")
    if os.geteuid() != 0:
        place.chmod(0o555)
        yield place
        place.chmod(0o755)
        return
    yield from tmpfs(place, "ro")


@pytest.fixture
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a directory\n")
    return path


@pytest.fixture
def genome_file(tmp_path: Path) -> Path:
    path = tmp_path / "genome.json"
    path.write_text(to_json(mlp_genome()))
    return path


# ------------------------------------------------------------------ config values (search)
CONFIG_CASES = {
    "device_tpu": ({"device": "tpu"}, "evaluation.device = 'tpu'"),
    "time_limit_nan": ({"budget__time_limit_s": float("nan")}, "budget.time_limit_s"),
    "time_limit_negative": ({"budget__time_limit_s": -60.0}, "budget.time_limit_s"),
    "max_evals_negative": ({"budget__max_evals": -5}, "budget.max_evals"),
    "exploration_negative": ({"policy__name": "adaptive", "policy__exploration": -1.0},
                             "policy.exploration"),
    "population_huge": ({"population": 100_000_000}, "search.population"),
    "offspring_huge": ({"offspring": 100_000_000}, "search.offspring"),
    "output_weights_unknown": ({"algorithm": "mu_plus_lambda",
                                "search__output_weights": {"klass": 1.0}}, "'klass'"),
    "output_weights_negative": ({"search__output_weights": {"class": -1.0}},
                                "search.output_weights.class"),
    "policy_weights_unknown": ({"policy__name": "weights", "policy__weights": {"add_lyaer": 2.0}},
                               "'add_lyaer'"),
    "controls_negative": ({"study__controls": -1}, "study.controls"),
    "unknown_operator": ({"operators": ["nope_op"]}, "nope_op"),  # already right
    "unknown_key": ({"search__populaton": 4}, "search.populaton"),  # already right
    "sample_metric_unknown": ({"task__sample_metric": "fid"}, "task.sample_metric = 'fid'"),
    "sample_metric_no_classifier": ({"task__sample_metric": "recall",
                                     "task__outputs": "histogram,reconstruction"},
                                    "no classification output"),
    "diagnosis_without_diagnose": ({"policy__name": "diagnosis"},
                                   "policy.name = 'diagnosis' reads each parent's diagnosis, but "
                                   "evaluation.diagnose = false"),
    "guided_without_guidelines": ({"policy__name": "guided", "evaluation__diagnose": True},
                                  "policy.name = 'guided' needs policy.guidelines"),
    "frrmab_decay_above_one": ({"policy__name": "frrmab", "policy__decay": 1.5}, "policy.decay"),
    "frrmab_window_negative": ({"policy__name": "frrmab", "policy__window": -1}, "policy.window"),
}


GUIDELINES_CASES = {
    "missing": (None, "does not exist"),
    "not_json": ("{\"rules\": [", "not valid JSON"),
    "old_version": ('{"format": "nas-ops-guidelines", "version": 1, "rules": []}',
                    "guidelines version 1; this nas-ops reads version 2"),
}


@pytest.mark.parametrize("case", sorted(GUIDELINES_CASES))
def test_bad_guidelines_file(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content, named = GUIDELINES_CASES[case]
    path = tmp_path / "guidelines.json"
    if content is not None:
        path.write_text(content)
    config = write_config(tmp_path / "c.toml", policy__name="guided", evaluation__diagnose=True,
                          policy__guidelines=str(path))
    out = tmp_path / "run"
    line = one_error_line(["search", config, "--out", out, "--max-evals", 2], capsys)
    assert "policy.guidelines" in line and named in line
    assert_nothing_written(out)


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_bad_config_value(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    over, named = CONFIG_CASES[case]
    config, out = write_config(tmp_path / "c.toml", **over), tmp_path / "run"
    line = one_error_line(["search", config, "--out", out, "--max-evals", 2], capsys)
    assert named in line
    assert_nothing_written(out)


@NO_CUDA
def test_cuda_device_without_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, out = write_config(tmp_path / "c.toml", device="cuda"), tmp_path / "run"
    line = one_error_line(["search", config, "--out", out, "--max-evals", 2], capsys)
    assert "evaluation.device = 'cuda' is not available" in line and "valid here: auto, cpu" in line
    assert_nothing_written(out)
    nas_ops.load_config(config)  # the config itself stays loadable (for a machine with CUDA)


def test_binary_and_directory_configs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "garbage.toml"
    binary.write_bytes(b"\x8e\xff" + random.Random(0).randbytes(500))
    out = tmp_path / "run"
    assert "not a TOML file" in one_error_line(["search", binary, "--out", out], capsys)
    assert "is a directory" in one_error_line(["search", tmp_path, "--out", out], capsys)
    assert "does not exist" in one_error_line(["search", tmp_path / "nope.toml", "--out", out],
                                              capsys)
    assert_nothing_written(out)


def test_max_evals_zero_stays_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, out = write_config(tmp_path / "c.toml"), tmp_path / "run"
    assert "--max-evals must be >= 1" in one_error_line(
        ["search", config, "--out", out, "--max-evals", 0], capsys)
    assert_nothing_written(out)


# ------------------------------------------------------------------------------ study
def test_study_without_study_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, out = write_config(tmp_path / "c.toml"), tmp_path / "run"
    line = one_error_line(["study", config, "--out", out], capsys)
    assert "has no [study] section; add one" in line
    assert_nothing_written(out)


def test_study_unknown_operator_leaves_no_ledger(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", study__operators=["nope_op"])
    out = tmp_path / "run"
    assert "'nope_op' is not a mutation" in one_error_line(["study", config, "--out", out], capsys)
    assert_nothing_written(out)
    with pytest.raises(nas_ops.ConfigError, match="nope_op"):
        nas_ops.run_study(nas_ops.load_config(config), out)
    assert_nothing_written(out)


# ------------------------------------------------------------------------------ --out
def out_cases(tmp: Path, a_file: Path) -> dict[str, tuple[Path, str]]:
    return {"file": (a_file, "is a file"),
            "file_as_parent": (a_file / "sub" / "run", "is a file"),
            "proc": (Path("/proc/nas-ops-run"), "cannot be written")}


@pytest.mark.parametrize("where", ["file", "file_as_parent", "proc"])
@pytest.mark.parametrize("command", ["search", "study", "report", "demo", "capacity"])
def test_out_that_cannot_be_written(command: str, where: str, tmp_path: Path, a_file: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out, named = out_cases(tmp_path, a_file)[where]
    config = write_config(tmp_path / "c.toml", study__base_models=1)
    argv: list[object] = {
        "search": ["search", config, "--out", out, "--max-evals", 2],
        "study": ["study", config, "--out", out],
        "report": ["report", tmp_path, "--out", out],  # refused before the run is read
        "demo": ["demo", "--config", config, "--out", out, "--quiet"],
        "capacity": ["capacity", tmp_path, "--out", out]}[command]
    line = one_error_line(argv, capsys)
    assert named in line and str(out) in line
    assert not (tmp_path / "ledger.sqlite").exists()


@pytest.mark.parametrize("command", ["search", "study", "report", "demo"])
def test_out_on_unwritable_place(command: str, unwritable: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "c.toml", study__base_models=1)
    for out in (unwritable / "run", unwritable):
        argv: list[object] = {
            "search": ["search", config, "--out", out, "--max-evals", 2],
            "study": ["study", config, "--out", out],
            "report": ["report", tmp_path, "--out", out],
            "demo": ["demo", "--config", config, "--out", out, "--quiet"]}[command]
        assert "cannot be written" in one_error_line(argv, capsys)
    assert list(unwritable.iterdir()) == []


def test_capacity_out_on_unwritable_place(unwritable: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error_line(["capacity", tmp_path, "--out", unwritable / "cap"], capsys)
    assert "cannot be written" in line
    assert list(unwritable.iterdir()) == []


def test_report_out_is_a_file_stays_refused(tmp_path: Path, a_file: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert "is a file" in one_error_line(["report", tmp_path, "--out", a_file], capsys)


# ------------------------------------------------------------------ corrupt ledgers
def corrupt_ledger(run_dir: Path, how: str) -> Path:
    with Ledger(run_dir, "w") as ledger:  # a ledger of many pages, so that half is torn
        ledger.set_meta("config", {})
        for i in range(200):
            ledger.add_individual(f"u{i}", 0, i, "x" * 500, "h", [], None, 0)
    path = run_dir / "ledger.sqlite"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2],
                      "random": random.Random(1).randbytes(len(data)),
                      "empty": b""}[how])
    return run_dir


CORRUPT = ["truncated", "random", "empty"]


# an empty ledger holds nothing: a new search may start there
@pytest.mark.parametrize(("command", "how"), [(c, h) for c in ("resume", "report", "search")
                                              for h in CORRUPT if (c, h) != ("search", "empty")])
def test_corrupt_ledger_cli(command: str, how: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    run = corrupt_ledger(tmp_path / "run", how)
    argv: list[object] = {
        "resume": ["resume", run, "--quiet"],
        "report": ["report", run, "--out", tmp_path / "rep"],
        "search": ["search", write_config(tmp_path / "c.toml"), "--out", run, "--quiet"]}[command]
    assert "is not a readable nas-ops ledger" in one_error_line(argv, capsys)
    assert not (tmp_path / "rep").exists()


@pytest.mark.parametrize("how", CORRUPT)
def test_corrupt_ledger_load_run(how: str, tmp_path: Path) -> None:
    run = corrupt_ledger(tmp_path / "run", how)
    with pytest.raises(LedgerError) as caught:
        nas_ops.load_run(run)
    assert isinstance(caught.value, NasOpsError)
    assert not isinstance(caught.value, sqlite3.Error)
    assert "\n" not in str(caught.value) and "ledger.sqlite" in str(caught.value)


def test_missing_run_stays_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "is not a run directory" in one_error_line(["resume", tmp_path / "nope"], capsys)


# --------------------------------------------------------------------- train, genomes
@pytest.mark.parametrize("command", [["genome", "validate"], ["genome", "show"], ["train"]])
def test_deeply_nested_genome(command: list[str], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP)
    assert "nested too deeply" in one_error_line([*command, path], capsys)


@pytest.mark.parametrize(("args", "named"), [
    (["--device", "tpu"], "--device = 'tpu' is not a device; valid: auto, cpu, cuda, cuda:N, mps"),
    (["--device", "cuda:99"], "--device = 'cuda:99' is not available"),
    (["--n-train", "0"], "--n-train must be >= 1"),
    (["--n-train", "-5"], "--n-train must be >= 1"),
    (["--epochs", "0"], "--epochs must be >= 1"),  # already right
])
def test_train_bad_options(args: list[str], named: str, genome_file: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert named in one_error_line(["train", genome_file, *args], capsys)


@NO_CUDA
def test_train_cuda_without_cuda(genome_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error_line(["train", genome_file, "--device", "cuda"], capsys)
    assert "--device = 'cuda' is not available on this machine; valid here: auto, cpu" in line
