"""A disk that fills up under a run (issue 25, point 4), on a real small tmpfs.

The run stops with one line naming what could not be written and the command that resumes it
(exit 2). The machine's failure is not recorded as the candidate's failed evaluation: once space
is freed (the tmpfs is remounted larger), ``resume`` gives the ledger of the run that never
stopped. Mounting needs root; elsewhere the tests are skipped.

Which write meets the full disk first, a weights file or the ledger, follows from the sizes of
the files the tiny search writes: at 800k the weights of the fifth model, at 900k the ledger
after the fourth evaluation (measured on the CI image); the assertions accept either line.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import nas_ops
from nas_ops.cli import main
from nas_ops.errors import MachineError
from nas_ops.store import run_contents
from tests.configs import write_config
from tests.mounts import tmpfs

SEED = 3


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("straight") / "run"
    nas_ops.run_search(write_config(out.parent / "c.toml", seed=SEED), out, progress=False)
    return out


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    place = tmp_path / "disk"
    place.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield from tmpfs(place, "size=64k")


def resize(place: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(place)], check=True)


def evaluations(run: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(f"file:{run / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT uid, status FROM evaluations ORDER BY seq").fetchall()
    finally:
        db.close()


def without_config(contents: dict[str, object]) -> dict[str, object]:
    """A run's contents but its config (the pool run's evaluation section differs)."""
    return {k: v for k, v in contents.items() if k != "config"}


def full_disk_lines(run: Path) -> set[str]:
    advice = ("; the run stopped and nothing is recorded as failed: free space or fix the disk, "
              f"then `nas-ops resume {run}`")
    return {f"nas-ops: error: No space left on device while writing in "
            f"{str(run / 'weights')!r}{advice}",
            f"nas-ops: error: database or disk is full while writing "
            f"{str(run / 'ledger.sqlite')!r}{advice}"}


@pytest.mark.parametrize(("size", "backend"), [("800k", "local"), ("900k", "local"),
                                               ("800k", "pool")])
def test_full_disk_stops_the_run_and_resume_is_exact(size: str, backend: str, straight: Path,
                                                     small_disk: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    resize(small_disk, size)
    over = {"backend": backend, "workers": 2} if backend == "pool" else {}
    config = write_config(tmp_path / "c.toml", seed=SEED, **over)
    run = small_disk / "run"
    code = main(["search", str(config), "--out", str(run), "--quiet"])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0] in full_disk_lines(run), captured.err
    assert captured.out == ""
    done = evaluations(run)
    assert 0 < len(done) < 12  # it stopped inside the run
    assert all(status == "ok" for _, status in done), done  # the disk is no candidate's fault
    resize(small_disk, "8m")  # space freed
    assert main(["resume", str(run), "--quiet"]) == 0
    assert without_config(run_contents(run)) == without_config(run_contents(straight))


def test_a_run_directory_with_no_space_at_all(small_disk: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """No room even for the ledger: the same line, before any evaluation (API: MachineError)."""
    filler = small_disk / "filler"
    with filler.open("wb") as f, pytest.raises(OSError):
        f.write(b"\0" * (1 << 20))
    run = small_disk / "run"
    config = write_config(tmp_path / "c.toml", seed=SEED)
    assert main(["search", str(config), "--out", str(run), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() in full_disk_lines(run)
    with pytest.raises(MachineError, match="^(No space left|database or disk is full)"):
        nas_ops.run_search(config, small_disk / "api", progress=False)
    shutil.rmtree(small_disk / "api", ignore_errors=True)
