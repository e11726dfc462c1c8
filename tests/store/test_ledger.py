"""The ledger: idempotent writes, one writer at a time, metadata, and reading a run back."""

from __future__ import annotations

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
