"""Every ledger committed under studies/results/ (in an experiment's ledgers.tar.xz, or a study's
ledger.sqlite.gz) still loads through ``load_run``, with typed metadata and a full hypervolume
curve. The fast test reads the first ledger of each archive; the slow one reads all of them."""

from __future__ import annotations

import gzip
import shutil
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nas_ops.config import RunConfig
from nas_ops.store import LEDGER_NAME, SCHEMA_VERSION, Ledger, Run, RunMeta, load_run

RESULTS = Path(__file__).resolve().parents[2] / "studies" / "results"
ARCHIVES = sorted(RESULTS.glob("*/ledgers.tar.xz"))
STUDIES = sorted(RESULTS.glob("*/ledger.sqlite.gz"))


def _ledgers(archive: Path, into: Path, first_only: bool) -> Iterator[tuple[str, Path]]:
    """``(name, run_dir)`` of the ledgers in ``archive``, extracted one at a time."""
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".sqlite"):
                continue
            run_dir = into / Path(member.name).stem
            run_dir.mkdir(parents=True)
            source = tar.extractfile(member)
            assert source is not None
            with source, (run_dir / LEDGER_NAME).open("wb") as out:
                shutil.copyfileobj(source, out)
            yield member.name, run_dir
            shutil.rmtree(run_dir)
            if first_only:
                return


def _check(name: str, run_dir: Path) -> Run:
    run = load_run(run_dir)
    assert isinstance(run.meta, RunMeta) and isinstance(run.config, RunConfig), name
    assert 1 <= run.meta.schema <= SCHEMA_VERSION and run.meta.status == "finished", name
    assert run.meta.config is not None and run.meta.seed == run.config.seed, name
    assert run.individuals and run.evaluated(), name
    with Ledger(run_dir) as ledger:  # one point after every evaluation row
        assert len(run.hypervolume) == ledger.count_evaluations(), name
    return run


def test_there_are_committed_ledgers() -> None:
    assert len(ARCHIVES) >= 3 and STUDIES


@pytest.mark.parametrize("archive", ARCHIVES, ids=lambda p: p.parent.name)
def test_the_first_ledger_of_every_archive_loads(archive: Path, tmp_path: Path) -> None:
    loaded = [name for name, run_dir in _ledgers(archive, tmp_path, first_only=True)
              if _check(name, run_dir).individuals]
    assert len(loaded) == 1


@pytest.mark.slow
@pytest.mark.parametrize("archive", ARCHIVES, ids=lambda p: p.parent.name)
def test_every_ledger_of_every_archive_loads(archive: Path, tmp_path: Path) -> None:
    names = [name for name, run_dir in _ledgers(archive, tmp_path, first_only=False)
             if _check(name, run_dir).individuals]
    with tarfile.open(archive, "r:xz") as tar:
        assert names == [m.name for m in tar if m.name.endswith(".sqlite")]


@pytest.mark.slow
@pytest.mark.parametrize("ledger", STUDIES, ids=lambda p: p.parent.name)
def test_every_committed_study_ledger_loads(ledger: Path, tmp_path: Path) -> None:
    with gzip.open(ledger) as src, (tmp_path / LEDGER_NAME).open("wb") as out:
        shutil.copyfileobj(src, out)
    assert _check(ledger.parent.name, tmp_path).meta.kind == "study"
