"""The hypervolume after every evaluation, in the ledger: written with the evaluation, equal to
a recomputation from the evaluations, and recomputed (or filled in on resume) for a ledger of
an older schema."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from nas_ops import load_run
from nas_ops.cli import main
from nas_ops.config import load_config
from nas_ops.engine import run_search
from nas_ops.engine.search import Search
from nas_ops.errors import ConfigError
from nas_ops.metrics.hypervolume import hypervolume
from nas_ops.store import run_contents
from nas_ops.store.ledger import LEDGER_NAME, SCHEMA_VERSION
from tests.configs import tiny_config, write_config


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hv")
    cfg = write_config(tmp / "cfg.toml", seed=3, generations=1)
    run_search(load_config(cfg), tmp / "run", progress=False)
    return tmp / "run"


def _as_old_ledger(run: Path, to: Path, status: str = "finished") -> Path:
    """A copy of ``run`` as a schema-3 ledger: no hypervolume table, no hv_reference."""
    shutil.copytree(run, to)
    db = sqlite3.connect(to / LEDGER_NAME)
    db.execute("DROP TABLE hypervolume")
    db.execute("DELETE FROM run WHERE key = 'hv_reference'")
    db.execute("UPDATE run SET value = '3' WHERE key = 'schema'")
    db.execute("UPDATE run SET value = ? WHERE key = 'status'", (f'"{status}"',))
    db.commit()
    db.close()
    return to


def test_every_evaluation_has_its_hypervolume(searched: Path) -> None:
    run = load_run(searched)
    assert run.meta.schema == SCHEMA_VERSION == 7
    ref = run.hv_reference()
    assert run.meta.hv_reference is not None and run.meta.hv_reference.to_dict() == ref.to_dict()
    assert ref.names[-1] == "parameters" and ref.point[-1] == 6.0
    by_uid = run.by_uid()
    order = [by_uid[p.uid] for p in run.hypervolume]
    assert len(order) == len(run.evaluated())
    assert [p.evals_done for p in run.hypervolume] == list(range(1, len(run.evaluated()) + 1))
    seen, steps = [], 0
    for point, ind in zip(run.hypervolume, order, strict=True):
        ev = by_uid[point.uid].evaluation
        assert ev is not None
        if ev.ok:
            seen.append(ref.minimised(ind.objectives))
        steps += 0 if ev.status == "duplicate" else ev.steps
        assert point.steps_done == steps
        assert point.value == pytest.approx(hypervolume(seen, ref.point), abs=1e-15)
    assert run.hypervolume[-1].value > 0
    values = [p.value for p in run.hypervolume]
    assert values == sorted(values)


def test_an_older_ledger_gets_the_same_curve(searched: Path, tmp_path: Path) -> None:
    old = _as_old_ledger(searched, tmp_path / "old")
    assert load_run(old).hypervolume == load_run(searched).hypervolume
    assert load_run(old).hv_reference() == load_run(searched).hv_reference()


def test_resuming_an_older_ledger_fills_the_table(searched: Path, tmp_path: Path) -> None:
    old = _as_old_ledger(searched, tmp_path / "old", status="running")
    assert main(["resume", str(old), "--quiet"]) == 0
    db = sqlite3.connect(old / LEDGER_NAME)
    rows = db.execute("SELECT * FROM hypervolume ORDER BY seq").fetchall()
    db.close()
    assert rows == [p.to_tuple() for p in load_run(searched).hypervolume]
    assert run_contents(old)["hypervolume"] == run_contents(searched)["hypervolume"]


def test_a_reference_for_no_objective_is_refused(tmp_path: Path) -> None:
    cfg = tiny_config(search__hv_reference={"klass": 1.0})
    with pytest.raises(ConfigError, match="search.hv_reference names 'klass'"):
        run_search(cfg, tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_the_configured_reference_is_recorded_when_the_run_starts(tmp_path: Path) -> None:
    cfg = tiny_config(search__hv_reference={"class": 0.5, "parameters": 5})
    search = Search(cfg, tmp_path / "run", progress=False)
    try:
        assert search.ask()  # starts the run: the reference is in its meta before any result
        assert search.ledger.meta("hv_reference") == {
            "names": ["class", "histogram", "reconstruction", "parameters"],
            "metrics": ["accuracy", "mse", "recon_mse", "parameters"],
            "point": [0.5, 0.05, 0.05, 5.0]}
    finally:
        search.close()
