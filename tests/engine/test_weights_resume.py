"""Lost or corrupt weights files never change a resumed run: they are regenerated exactly, or the
run stops with one line naming the file."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from nas_ops import run_search
from nas_ops.infra.files import file_sha256
from nas_ops.store import run_contents
from tests.configs import write_config
from tests.killing import cli, kill_after

pytestmark = pytest.mark.slow


def _shas(run_dir: Path) -> dict[str, str]:
    db = sqlite3.connect(f"file:{run_dir / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return dict(db.execute("SELECT uid, weights_sha256 FROM evaluations WHERE status = 'ok'"))
    finally:
        db.close()


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted run, and the same run killed after 5 evaluations (made once)."""
    root = tmp_path_factory.mktemp("weights_resume")
    cfg = write_config(root / "cfg.toml", seed=3, generations=3)
    clean = root / "clean"
    run_search(cfg, clean, progress=False)  # in-process: same engine, no interpreter start
    killed = root / "killed"
    kill_after(cli("search", str(cfg), "--out", str(killed), "--quiet"), killed, 5, 0.0)
    assert (killed / "ledger.sqlite").exists()
    return clean, killed


@pytest.fixture
def clean_and_killed(runs: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """The uninterrupted run, and a copy of the killed one for this test to damage."""
    clean, killed = runs
    copy = tmp_path / "killed"
    shutil.copytree(killed, copy)
    return clean, copy


def _resume(run_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli("resume", str(run_dir), "--quiet"), capture_output=True,
                          text=True)


def test_checksums_are_recorded_and_match_the_files(clean_and_killed: tuple[Path, Path]) -> None:
    clean, _ = clean_and_killed
    shas = _shas(clean)
    assert shas and all(len(sha) == 64 for sha in shas.values())
    for uid, sha in shas.items():
        assert file_sha256(clean / "weights" / f"{uid}.pt") == sha


def test_deleted_weights_are_regenerated(clean_and_killed: tuple[Path, Path]) -> None:
    clean, killed = clean_and_killed
    for path in (killed / "weights").glob("*.pt"):
        path.unlink()
    done = _resume(killed)
    assert done.returncode == 0, done.stderr
    assert run_contents(killed) == run_contents(clean)
    assert _shas(killed) == _shas(clean)


def test_corrupt_parent_weights_are_regenerated(clean_and_killed: tuple[Path, Path]) -> None:
    clean, killed = clean_and_killed
    # every weights file: which of them the children after the kill read depends on how far
    # the run got before SIGKILL landed
    corrupt = sorted((killed / "weights").glob("*.pt"))
    assert corrupt and len(_shas(killed)) < len(_shas(clean))  # killed before the end
    for path in corrupt:
        path.write_bytes(b"not a state dict")
    done = _resume(killed)
    assert done.returncode == 0, done.stderr
    assert run_contents(killed) == run_contents(clean)
    assert _shas(killed) == _shas(clean)
    restored = [p for p in corrupt if p.read_bytes() != b"not a state dict"]
    assert restored, "no child needed the corrupted parents: the test checks nothing"
    for path in restored:
        assert file_sha256(path) == _shas(clean)[path.stem]


def test_weights_that_cannot_be_reproduced_stop_the_run(
        clean_and_killed: tuple[Path, Path]) -> None:
    _, killed = clean_and_killed
    for path in (killed / "weights").glob("*.pt"):
        path.unlink()
    db = sqlite3.connect(killed / "ledger.sqlite")
    db.execute("UPDATE evaluations SET weights_sha256 = ? WHERE uid LIKE 'g000-%'", ("0" * 64,))
    db.commit()
    db.close()
    done = _resume(killed)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "weights file" in line and "g000-" in line and "did not reproduce it" in line
