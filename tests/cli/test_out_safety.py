"""No command deletes or replaces a directory it did not write (issue 25, point 1).

Every command that takes ``--out`` is pointed at a real run directory (made by a tiny search),
its own and another's: each is refused in one line with exit 2, and every byte of the run
survives. ``capacity --force`` replaces only a capacity report (its marker file), never a run,
not even one nested inside a report. A report killed with SIGKILL while writing leaves a
temporary directory that the next report removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from nas_ops.experiments.plan import load_plan
from nas_ops.infra.files import TMP_TAG, atomic_dir
from nas_ops.infra.outdir import MARKERS
from tests.cli.test_bad_inputs import one_error_line
from tests.configs import TINY_CAPACITY, write_config
from tests.killing import cli

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = ROOT / "studies" / "guided_vs_uniform_ci.toml"


def contents(root: Path) -> dict[str, str]:
    """Every file below ``root`` (the lock file aside) and the sha256 of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "ledger.lock"}


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    nas_ops.run_search(str(write_config(root / "tiny.toml")), str(root / "run"), progress=False)
    return root / "run"


@pytest.fixture
def two_runs(real_run: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """Two copies of the real run (the one a command reads, the one it is pointed at), and
    the contents both hold."""
    mine, victim = tmp_path / "mine", tmp_path / "victim"
    shutil.copytree(real_run, mine)
    shutil.copytree(real_run, victim)
    return mine, victim, contents(real_run)


def argv_for(command: str, source: Path, out: Path, tmp: Path) -> list[object]:
    config = write_config(tmp / "other.toml", seed=2)
    study = write_config(tmp / "study.toml", study__base_models=1)
    capacity = tmp / "cap.toml"
    capacity.write_text(TINY_CAPACITY)
    return {"capacity_run": ["capacity", source, "--out", out, "--force"],
            "capacity_study": ["capacity", capacity, "--out", out, "--force"],
            "report": ["report", source, "--out", out, "--quiet"],
            "compare": ["compare", source, source, "--out", out],
            "experiment": ["experiment", EXPERIMENT, "--out", out],
            "search": ["search", config, "--out", out, "--quiet"],
            "study": ["study", study, "--out", out, "--quiet"],
            "demo": ["demo", "--config", config, "--out", out, "--quiet"]}[command]


COMMANDS = ["capacity_run", "capacity_study", "report", "compare", "experiment", "search",
            "study", "demo"]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("target", ["itself", "another run"])
def test_a_run_as_out_is_refused_and_survives(command: str, target: str, tmp_path: Path,
                                               two_runs: tuple[Path, Path, dict[str, str]],
                                               capsys: pytest.CaptureFixture[str]) -> None:
    mine, victim, before = two_runs
    out = mine if target == "itself" else victim
    line = one_error_line(argv_for(command, mine, out, tmp_path), capsys)
    assert str(out) in line
    assert "holds a nas-ops run" in line or "holds a run with another config" in line, line
    assert contents(mine) == before and contents(victim) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_capacity_force_refuses_a_crafted_ledger(tmp_path: Path, real_run: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Even a directory holding the capacity marker is not replaced when it holds a ledger."""
    out = tmp_path / "cap"
    out.mkdir()
    (out / "ledger.sqlite").write_bytes(b"precious")
    (out / MARKERS["capacity report"]).write_text("nas-ops capacity report\n")
    line = one_error_line(["capacity", real_run, "--out", out, "--force"], capsys)
    assert "holds a nas-ops run (ledger.sqlite)" in line
    assert (out / "ledger.sqlite").read_bytes() == b"precious"


@pytest.mark.parametrize("command", ["capacity_run", "report", "compare"])
def test_a_run_inside_an_old_report_is_never_replaced(command: str, tmp_path: Path,
                                                      real_run: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    what = {"capacity_run": "capacity report", "report": "report",
            "compare": "comparison"}[command]
    out = tmp_path / "old"
    out.mkdir()
    (out / MARKERS[what]).write_text("marker\n")
    shutil.copytree(real_run, out / "kept" / "run")
    before = contents(out)
    line = one_error_line(argv_for(command, real_run, out, tmp_path), capsys)
    assert f"holds a nas-ops run in {str(out / 'kept' / 'run')!r}" in line
    assert contents(out) == before


@pytest.mark.parametrize("force", [False, True])
def test_capacity_force_replaces_only_a_directory_without_its_marker(
        force: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    argv = argv_for("capacity_study", tmp_path, out, tmp_path)
    line = one_error_line(argv if force else argv[:-1], capsys)
    assert "is not empty and holds no nas-ops capacity report" in line
    assert "--force replaces only a capacity report" in line
    assert (out / "notes.txt").read_text() == "keep me"


def test_capacity_replaces_its_own_report_with_force_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = argv_for("capacity_study", tmp_path, tmp_path / "cap", tmp_path)
    assert main([str(a) for a in argv[:-1]]) == 0
    assert (tmp_path / "cap" / MARKERS["capacity report"]).is_file()
    (tmp_path / "cap" / "stale.txt").write_text("old")
    capsys.readouterr()
    line = one_error_line(argv[:-1], capsys)
    assert "already holds a capacity report; pass --force" in line
    assert main([str(a) for a in argv]) == 0
    assert not (tmp_path / "cap" / "stale.txt").exists()
    assert (tmp_path / "cap" / "results.json").is_file()


def test_an_empty_directory_is_a_valid_out(tmp_path: Path, real_run: Path) -> None:
    (tmp_path / "rep").mkdir()
    assert main(["report", str(real_run), "--out", str(tmp_path / "rep"), "--quiet"]) == 0
    assert (tmp_path / "rep" / MARKERS["report"]).is_file()


def test_stale_temporary_directories_go_live_ones_stay(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    with atomic_dir(out) as live:
        (live / "a").write_text("1")
        stale = tmp_path / f".rep{TMP_TAG}killed"
        stale.mkdir()
        (stale / "half.png").write_bytes(b"x")
        with atomic_dir(out) as second:  # a second writer removes the stale one, not ours
            assert not stale.exists() and live.is_dir()
            (second / "b").write_text("2")
    assert (out / "a").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


def test_report_killed_while_writing_leaves_nothing_after_the_next(
        tmp_path: Path, real_run: Path) -> None:
    out = tmp_path / "rep"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cli("report", str(real_run), "--out", str(out), "--quiet"),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(tmp_path.glob(f".rep{TMP_TAG}*")) and time.time() < deadline:
        assert proc.poll() is None, "the report ended before it was killed"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(tmp_path.glob(f".rep{TMP_TAG}*")), "nothing left to clean: killed too late"
    assert main(["report", str(real_run), "--out", str(out), "--quiet"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["rep"]


@pytest.mark.parametrize("inside", ["notes.txt", "ledger.sqlite"])
def test_an_experiment_never_replaces_a_foreign_comparison_directory(
        inside: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The experiment's compare/<group> is replaced at the end: it is checked before any run."""
    out = tmp_path / "exp"
    (out / "compare" / "main").mkdir(parents=True)
    (out / "plan.json").write_text(json.dumps(load_plan(EXPERIMENT).to_dict()))
    (out / "compare" / "main" / inside).write_text("mine")
    line = one_error_line(["experiment", EXPERIMENT, "--out", out], capsys)
    assert f"comparison directory {str(out / 'compare' / 'main')!r}" in line
    assert (out / "compare" / "main" / inside).read_text() == "mine"
    assert not (out / "runs").exists()
