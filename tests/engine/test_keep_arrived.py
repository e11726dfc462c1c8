"""Which results are kept the moment they arrive: those that took long enough to be worth a
ledger write (``KEEP_ARRIVED_S``); a lookup-cheap result is recomputed after a kill instead."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import nas_ops
from nas_ops.engine.search import KEEP_ARRIVED_S
from nas_ops.evaluation import run_request
from tests.configs import tiny_config


def test_only_results_that_took_long_enough_are_kept_before_their_batch_ends(
        tmp_path: Path) -> None:
    search = nas_ops.create_search(tiny_config(seed=3, population=4, offspring=2), tmp_path / "r")
    try:
        batch = search.ask()
        assert len(batch) == 4
        walls = [0.0, KEEP_ARRIVED_S, KEEP_ARRIVED_S / 2, 1.0]
        for cand, wall in zip(batch[:3], walls, strict=False):  # the batch stays open
            assert cand.request is not None
            search.tell(cand.uid, dataclasses.replace(run_request(cand.request),
                                                      wall_time_s=wall))
        db = sqlite3.connect(tmp_path / "r" / "ledger.sqlite")
        kept = {r[0] for r in db.execute("SELECT uid FROM arrived")}
        assert kept == {batch[1].uid}
        assert db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 0
        last = batch[3]
        assert last.request is not None
        search.tell(last.uid, dataclasses.replace(run_request(last.request), wall_time_s=1.0))
        assert db.execute("SELECT COUNT(*) FROM arrived").fetchone()[0] == 0  # batch taken
        assert db.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 4
        db.close()
    finally:
        search.close()
