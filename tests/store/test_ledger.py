"""The ledger: idempotent writes, one writer at a time, metadata, and reading a run back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nas_ops import sample_genome
from nas_ops.errors import ConfigError, NasOpsError
from nas_ops.genome import structural_hash, to_json
from nas_ops.records import EvalRecord
from nas_ops.store import Ledger, load_run
from nas_ops.store.ledger import LEDGER_NAME

GENOME = '{"not": "read back here"}'


def record(uid: str, acc: float) -> EvalRecord:
    return EvalRecord(uid=uid, status="ok", val={"class": {"accuracy": acc}},
                      test={"class": {"accuracy": acc}}, complexity={"parameters": 10}, steps=3)


def test_inserts_are_idempotent(tmp_path: Path) -> None:
    with Ledger(tmp_path, "w") as ledger:
        for _ in range(2):
            ledger.add_individual("g000-000", 0, 0, GENOME, "h0", [], None, 1)
            ledger.add_evaluation(record("g000-000", 0.5), [0.5, 10.0])
        ledger.add_evaluation(record("g000-000", 0.9), [0.9, 10.0])  # the first one stays
        assert ledger.count_evaluations() == 1
        stored = ledger.evaluation("g000-000")
        assert stored is not None and stored.val == {"class": {"accuracy": 0.5}}
        assert ledger.individual_genome("g000-000") == GENOME
        assert ledger.evaluation("g000-001") is None


def test_a_second_writer_is_refused_while_readers_are_not(tmp_path: Path) -> None:
    first = Ledger(tmp_path, "w")
    try:
        with pytest.raises(NasOpsError, match="open for writing by another process"):
            Ledger(tmp_path, "w")
        first.set_meta("status", "running")
        reader = Ledger(tmp_path, "r")
        assert reader.meta("status") == "running"
        reader.close()
    finally:
        first.close()
    Ledger(tmp_path, "w").close()  # free again once the first writer closed


def test_meta_round_trips_json_values(tmp_path: Path) -> None:
    value = {"config": {"seed": 3, "names": ["a", "b"]}, "x": 1.5, "none": None}
    with Ledger(tmp_path, "w") as ledger:
        ledger.set_meta("stuff", value)
        ledger.set_meta("status", "running")
        ledger.set_meta("status", "finished")  # replaced, not duplicated
    with Ledger(tmp_path, "r") as ledger:
        assert ledger.meta("stuff") == value
        assert ledger.meta("status") == "finished"
        assert ledger.meta("absent", "default") == "default"


def test_load_run_reads_a_real_sqlite_file(tmp_path: Path) -> None:
    genome = sample_genome("multinet", "mnist1d", seed=1, n_train=200).with_lineage(
        "g000-000", (), None)
    with Ledger(tmp_path, "w") as ledger:
        ledger.set_meta("kind", "search")
        ledger.add_individual("g000-000", 0, 0, to_json(genome), structural_hash(genome), [],
                              None, 7)
        ledger.add_evaluation(record("g000-000", 0.75), [0.75, 10.0])
        ledger.set_population(0, ["g000-000"])
    assert (tmp_path / LEDGER_NAME).is_file()
    run = load_run(tmp_path)
    assert run.meta.kind == "search"
    (ind,) = run.individuals
    assert ind.uid == "g000-000" and ind.seed == 7 and ind.genome == genome
    assert ind.evaluation is not None and ind.evaluation.val["class"]["accuracy"] == 0.75
    assert list(ind.objectives) == [0.75, 10.0]
    with pytest.raises(ConfigError, match="is not a run directory"):
        load_run(tmp_path / "elsewhere")


def _committed(tmp_path: Path) -> int:
    """Evaluations another connection sees (what a kill would leave)."""
    db = sqlite3.connect(f"file:{tmp_path / LEDGER_NAME}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0])
    finally:
        db.close()


def test_held_blocks_commit_together_after_hold_s_and_at_close(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path, "w")
    with ledger.transaction(hold_s=3600):
        ledger.add_evaluation(record("a", 0.5), [0.5, 10.0])
    with ledger.transaction(hold_s=3600):
        ledger.add_evaluation(record("b", 0.5), [0.5, 10.0])
    assert _committed(tmp_path) == 0 and ledger.count_evaluations() == 2
    ledger.commit()
    assert _committed(tmp_path) == 2
    with ledger.transaction(hold_s=3600):
        ledger.add_evaluation(record("c", 0.5), [0.5, 10.0])
    with ledger.transaction():  # a block that holds nothing commits what is held with it
        ledger.add_evaluation(record("d", 0.5), [0.5, 10.0])
    assert _committed(tmp_path) == 4
    with ledger.transaction(hold_s=1e-9):  # the hold has passed when the block ends
        ledger.add_evaluation(record("e", 0.5), [0.5, 10.0])
    assert _committed(tmp_path) == 5
    with ledger.transaction(hold_s=3600):
        ledger.add_evaluation(record("f", 0.5), [0.5, 10.0])
    ledger.close()  # a clean close commits the held blocks
    assert _committed(tmp_path) == 6


def test_an_exception_rolls_back_every_held_block(tmp_path: Path) -> None:
    with Ledger(tmp_path, "w") as ledger:
        with ledger.transaction(hold_s=3600):
            ledger.add_evaluation(record("a", 0.5), [0.5, 10.0])
        with pytest.raises(RuntimeError), ledger.transaction(hold_s=3600):
            ledger.add_evaluation(record("b", 0.5), [0.5, 10.0])
            raise RuntimeError("mid-step")
        assert ledger.count_evaluations() == 0 and ledger.evaluation("a") is None
        ledger.add_evaluation(record("a", 0.7), [0.7, 10.0])  # the writer's keys were reloaded
        assert ledger.evaluation("a").val == {"class": {"accuracy": 0.7}}  # type: ignore[union-attr]
    assert _committed(tmp_path) == 1
