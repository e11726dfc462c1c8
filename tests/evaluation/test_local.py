"""The process pools: units run in spawned workers; a worker that dies takes only its own unit."""

from __future__ import annotations

import os

import pytest

from nas_ops.evaluation.pool import PoolEvaluator, UnitPool, died
from nas_ops.evaluation.worker import run_request

from .conftest import make_request, population


def _die_on_x(reqs, exit_code):
    if reqs[0].uid.startswith("x"):
        os._exit(exit_code)  # the worker process dies mid-unit
    return [run_request(r) for r in reqs]


@pytest.mark.slow
def test_a_dead_worker_fails_only_its_unit_and_the_pool_recovers():
    genomes = population([5], 3, optimizer="sgd")
    units = [[make_request(genomes[0], 1, uid="a0"), make_request(genomes[1], 2, uid="a1")],
             [make_request(genomes[2], 3, uid="x0")],
             [make_request(genomes[0], 4, uid="b0")]]
    pool = UnitPool(2)
    try:
        for unit in units:
            pool.submit(_die_on_x, unit, 3)
        assert pool.pending() == 4
        got = {tuple(r.uid for r in reqs): result for reqs, result in pool.as_completed()}
        assert pool.pending() == 0
        assert got[("x0",)] is None
        for uids in (("a0", "a1"), ("b0",)):  # resubmitted to a fresh pool if they were lost
            assert [rec.uid for rec in got[uids]] == list(uids)
            assert all(rec.status == "ok" for rec in got[uids])
        pool.submit(_die_on_x, units[2], 3)  # the rebuilt pool keeps working
        (reqs, result), = list(pool.as_completed())
        assert result[0].to_dict() | {"wall_time_s": 0} == \
            run_request(reqs[0]).to_dict() | {"wall_time_s": 0}
    finally:
        pool.close()
    record = died(units[1][0])
    assert (record.uid, record.status, record.error) == ("x0", "failed", "worker process died")


def test_pool_evaluator_records_equal_run_request():
    genomes = population([6], 2, optimizer="sgd")
    reqs = [make_request(g, i) for i, g in enumerate(genomes)]
    ev = PoolEvaluator(2)
    try:
        for r in reqs:
            ev.submit(r)
        got = {rec.uid: rec for rec in ev.as_completed()}
    finally:
        ev.close()
    for r in reqs:
        assert got[r.uid].to_dict() | {"wall_time_s": 0} == \
            run_request(r).to_dict() | {"wall_time_s": 0}
