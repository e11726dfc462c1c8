"""A ledger of every schema version (tests/store/old_ledgers, written by build.py there in each
version's own layout) loads through ``load_run`` with typed metadata and rows, gets what it lacks
when opened for writing, and reads the same afterwards."""

from __future__ import annotations

import math
import shutil
import sqlite3
from pathlib import Path

import pytest

from nas_ops.config import RunConfig
from nas_ops.errors import ConfigError
from nas_ops.genome.shapes import output_cost
from nas_ops.metrics.hypervolume import Reference
from nas_ops.store import LEDGER_NAME, SCHEMA_VERSION, Ledger, RunMeta, load_run, run_contents
from nas_ops.store.schema import HISTORY, TABLES

HERE = Path(__file__).parent / "old_ledgers"
VERSIONS = list(range(1, SCHEMA_VERSION + 1))
UIDS = ["g000-0", "g000-1", "g000-2", "g000-3", "g001-0", "g001-1"]


def _layout(db: sqlite3.Connection) -> dict[str, list[tuple[str, str, int, str | None]]]:
    names = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    return {t: [(r[1], r[2], r[3], r[4]) for r in db.execute(f"PRAGMA table_info({t})")]
            for t in names}


def test_there_is_a_fixture_for_every_version() -> None:
    assert sorted(HISTORY) == VERSIONS
    assert sorted(int(p.name.split("-")[1]) for p in HERE.glob("schema-*")) == VERSIONS


@pytest.mark.parametrize("version", VERSIONS)
def test_the_meta_of_every_schema_is_typed(version: int) -> None:
    meta = load_run(HERE / f"schema-{version}").meta
    assert isinstance(meta, RunMeta) and meta.extra == {}
    assert (meta.schema, meta.kind, meta.status, meta.seed) == (version, "search", "finished", 5)
    assert meta.created == "2026-11-30T12:00:00+0000" and meta.versions["torch"] == "2.13.0+cpu"
    assert (meta.components is None) == (version < 3)
    assert meta.components is None or meta.components["operators"][0]["name"] == "widen_layer"
    assert (meta.hv_reference is None) == (version < 4)
    assert meta.hv_reference is None or meta.hv_reference.names[-1] == "parameters"
    # finished runs record their steps and what stopped them since late in schema 4
    assert (meta.steps_spent, meta.stopped_by) == ((None, "") if version < 5
                                                   else (210, "generations"))
    assert meta.guidelines is None and meta.bases is None and meta.applicability is None


@pytest.mark.parametrize("version", VERSIONS)
def test_the_config_of_every_schema_is_a_run_config(version: int) -> None:
    cfg = load_run(HERE / f"schema-{version}").config
    assert isinstance(cfg, RunConfig)
    assert (cfg.seed, cfg.task.name, cfg.space.name) == (5, "mnist1d", "multinet")
    assert (cfg.search.population, cfg.search.offspring, cfg.search.generations) == (4, 2, 1)
    assert cfg.task.sample_metric == "recon_mse"  # recorded, or the default before schema 5
    # keys recorded before matched controls and averaged relevance existed read as "none"
    assert cfg.study.matched_controls == (version == 1 or version >= 5)
    assert cfg.evaluation.relevance_draws == (1 if version < 5 else 5)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_rows_of_every_schema_load_typed(version: int) -> None:
    run = load_run(HERE / f"schema-{version}")
    assert [i.uid for i in run.individuals] == UIDS
    by_uid = run.by_uid()
    statuses = [i.evaluation.status for i in run.individuals if i.evaluation is not None]
    assert statuses == ["ok", "ok", "ok", "failed", "ok", "duplicate"]
    dup = by_uid["g001-1"]
    assert dup.evaluation is not None and dup.evaluation.duplicate_of == "g000-2"
    assert dup.objectives == by_uid["g000-2"].objectives and dup.parents == ("g000-2",)
    assert by_uid["g000-3"].objectives == (0.0, 1e6, 1e6, 1e12)
    for ind in run.individuals:
        ev = ind.evaluation
        assert ev is not None and (ev.rung, ev.fidelity) == (0, 1.0) and not ind.rungs
        assert ev.weights_sha256 == ("" if version < 3 or ev.status != "ok"
                                     else f"{UIDS.index(ind.uid):064x}")
    assert [o.name for o in run.objectives()] == ["class accuracy", "histogram mse",
                                                   "reconstruction recon_mse", "parameters"]
    assert {i.uid for i in run.pareto_front()} <= {"g000-0", "g000-1", "g000-2", "g001-0",
                                                    "g001-1"}
    assert run.populations == {0: UIDS[:4], 1: ["g001-0", "g000-2", "g000-1", "g001-1"]}
    assert [c["evals_done"] for c in run.checkpoints] == [4, 6]
    assert len(run.diagnoses) == 2 and all(d[3] == "relevance" for d in run.diagnoses)


@pytest.mark.parametrize("version", VERSIONS)
def test_events_of_every_schema_load_with_what_they_recorded(version: int) -> None:
    run = load_run(HERE / f"schema-{version}")
    assert [(v.status, v.child) for v in run.variations] == [
        ("not_applicable", None), ("ok", "g001-0"), ("ok", "g001-1")]
    for var in run.variations:  # schema 1 recorded no family or direction
        assert (var.event.family, var.event.direction) == (("unknown", "unknown") if version < 2
                                                           else ("layer", "grow"))
    child = run.variations[1].event.per_child[0]  # per-output complexity since schema 5
    by_uid = run.by_uid()
    assert child.output_complexity_after == ({} if version < 5
                                             else output_cost(by_uid["g001-0"].genome))
    assert math.isnan(child.output_delta("class", "parameters")) == (version < 5)


def test_every_schema_has_the_same_hypervolume_curve() -> None:
    """Recorded since schema 4; recomputed against the default reference before."""
    curves = {v: load_run(HERE / f"schema-{v}").hypervolume for v in VERSIONS}
    assert [p.uid for p in curves[SCHEMA_VERSION]] == UIDS
    assert curves[SCHEMA_VERSION][-1].value > 0
    assert all(c == curves[SCHEMA_VERSION] for c in curves.values())
    refs = {v: load_run(HERE / f"schema-{v}").hv_reference() for v in VERSIONS}
    assert all(r == refs[SCHEMA_VERSION] for r in refs.values())


@pytest.mark.parametrize("version", VERSIONS)
def test_prefilter_rows_exist_from_schema_7(version: int) -> None:
    rows = load_run(HERE / f"schema-{version}").prefilter
    if version < 7:
        assert rows == []
        return
    assert [(r["uid"], r["front"], r["kept"]) for r in rows] == [("g001-0", 0, True),
                                                                 ("g001-1", 1, True)]
    assert rows[0]["scores"] == {"class": 3.5, "histogram": math.inf}


def test_the_current_fixture_has_the_writers_layout(tmp_path: Path) -> None:
    with Ledger(tmp_path / "new", "w") as ledger:
        fresh = _layout(ledger.db)
    db = sqlite3.connect(HERE / f"schema-{SCHEMA_VERSION}" / LEDGER_NAME)
    try:
        assert _layout(db) == fresh
    finally:
        db.close()
    assert set(fresh) == {line.split()[5] for line in TABLES.splitlines()
                          if line.startswith("CREATE TABLE")}


@pytest.mark.parametrize("version", VERSIONS)
def test_an_old_ledger_opened_for_writing_gets_what_it_lacks(version: int,
                                                             tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(HERE / f"schema-{version}", run_dir)
    before = run_contents(run_dir)
    with Ledger(run_dir, "w") as ledger:
        upgraded = _layout(ledger.db)
        assert ledger.run_meta().schema == version  # a ledger keeps the schema it was made with
    with Ledger(tmp_path / "new", "w") as ledger:
        assert upgraded == _layout(ledger.db)
    assert run_contents(run_dir) == before


def test_run_meta_decodes_every_key() -> None:
    ref = {"names": ["class", "parameters"], "metrics": ["accuracy", "parameters"],
           "point": [1, 6]}
    meta = RunMeta.from_values({
        "config": {"seed": 3, "task": {"name": "mnist1d", "n_train": 100}}, "seed": 3,
        "created": "now", "status": "running", "versions": {"nas_ops": "0.1.0"}, "kind": "study",
        "schema": 7, "components": {"operators": []}, "bases": {"b000": {"converged": True}},
        "applicability": {"b000": {"widen_layer": 1}}, "hv_reference": ref,
        "steps_spent": 12, "stopped_by": "plan", "guidelines": {"rules": []},
        "someday": [1]})
    assert meta.config is not None and meta.config.task.options == {"n_train": 100}
    assert meta.hv_reference == Reference(("class", "parameters"), ("accuracy", "parameters"),
                                          (1.0, 6.0))
    assert (meta.kind, meta.status, meta.schema, meta.steps_spent, meta.stopped_by) == (
        "study", "running", 7, 12, "plan")
    assert meta.bases == {"b000": {"converged": True}} and meta.guidelines == {"rules": []}
    assert meta.extra == {"someday": [1]}
    bare = RunMeta.from_values({"config": {"seed": 9}})  # no seed of its own: the config's
    assert (bare.seed, bare.schema, bare.kind, bare.status) == (9, 1, "search", "unknown")


def test_a_recorded_config_this_version_cannot_read_is_one_line(tmp_path: Path) -> None:
    with Ledger(tmp_path / "run", "w") as ledger:
        ledger.set_meta("config", {"search": {"algorithm": "simulated_annealing"}})
    with pytest.raises(ConfigError, match="recorded config cannot be read: search.algorithm"):
        load_run(tmp_path / "run")
