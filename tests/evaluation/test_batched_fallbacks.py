"""What the batched evaluator cannot train as a group goes through run_request unchanged; it
never crashes on a group (errors, out-of-memory, memory budget) and never loses a record."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import nas_ops
import nas_ops.evaluation.batched as batched
import nas_ops.evaluation.batched.plan as batched_plan
import nas_ops.evaluation.batched.unit as batched_group
from nas_ops.config import EvaluationConfig
from nas_ops.engine.search import Search
from nas_ops.evaluation import make_evaluator
from nas_ops.evaluation.batched import BatchedEvaluator
from nas_ops.evaluation.worker import run_request
from tests.configs import tiny_config

from .conftest import adaptive_bn, assert_same, make_request, population


def _same_record(a, b):
    x, y = a.to_dict(), b.to_dict()
    x.pop("wall_time_s"), y.pop("wall_time_s")
    assert x == y


def _run(ev, reqs):
    for r in reqs:
        ev.submit(r)
    return {r.uid: r for r in ev.as_completed()}


@pytest.fixture(scope="module")
def trio():
    return population([11], 3, optimizer="sgd")


def test_ungroupable_requests_fall_back_with_identical_records(trio, mixed_population):
    digits = nas_ops.load_task("digits")
    misfit = nas_ops.sample_genome("multinet", digits, seed=1)  # does not fit mnist1d
    reqs = [
        make_request(mixed_population[0], 1, uid="alone"),
        make_request(trio[0], 2, uid="limit", time_limit_s=60.0),  # alone with its limit
        make_request(trio[1], 3, uid="fast", max_steps=2),  # alone with its step budget
        make_request(trio[2], 4, uid="frozen", trainable=[]),
        make_request(misfit, 5, uid="misfit1"),
        make_request(misfit, 6, uid="misfit2"),
    ]
    ev = BatchedEvaluator(fuse="always")
    bat = _run(ev, reqs)
    assert ev.stats["grouped"] == 0 and ev.stats["fallback"] == len(reqs)
    assert bat["misfit1"].status == "failed" and "does not fit" in bat["misfit1"].error
    for r in reqs:
        _same_record(run_request(r), bat[r.uid])


def test_non_finite_loss_fails_only_that_model(trio):
    blown = trio[1].replace(hyper=dataclasses.replace(trio[1].hyper, learning_rate=1e12))
    reqs = [make_request(g, i) for i, g in enumerate([trio[0], blown, trio[2]])]
    ev = BatchedEvaluator(fuse="always")
    bat = _run(ev, reqs)
    assert ev.stats["grouped"] == 3
    assert bat["m1"].status == "failed" and "non-finite loss" in bat["m1"].error
    for r in reqs:
        assert_same(run_request(r), bat[r.uid])


def test_group_error_falls_back(monkeypatch, trio):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(batched_group, "fit_group", broken)
    reqs = [make_request(g, i) for i, g in enumerate(trio)]
    ev = BatchedEvaluator(fuse="always")
    bat = _run(ev, reqs)
    assert ev.stats["errors"] == ["RuntimeError: boom"] and ev.stats["fallback"] == 3
    for r in reqs:
        _same_record(run_request(r), bat[r.uid])


def test_out_of_memory_splits_and_retries(monkeypatch, mixed_population):
    real = batched_group.fit_group

    def small_only(model, *args, **kwargs):
        if len(model.models) > 2:
            raise torch.cuda.OutOfMemoryError("simulated")
        return real(model, *args, **kwargs)

    monkeypatch.setattr(batched_group, "fit_group", small_only)
    reqs = [make_request(g, i) for i, g in enumerate(mixed_population[:4])]
    ev = BatchedEvaluator(fuse="always")
    bat = _run(ev, reqs)
    assert ev.stats["splits"] == 1 and ev.stats["groups"] == 2 and ev.stats["grouped"] == 4
    for r, g in zip(reqs, mixed_population, strict=False):
        assert_same(run_request(r), bat[r.uid], loose=adaptive_bn(g))


def test_memory_budget_limits_group_size(mixed_population):
    reqs = [make_request(g, i) for i, g in enumerate(mixed_population[:4])]
    ev = BatchedEvaluator(fuse="always", memory_budget=1)  # one model per group: all sequential
    assert all(r.status == "ok" for r in _run(ev, reqs).values())
    assert ev.stats["grouped"] == 0 and ev.stats["fallback"] == 4
    est = batched_plan.estimate_group(reqs)
    ev = BatchedEvaluator(fuse="always", memory_budget=2 * est)
    _run(ev, reqs)
    assert ev.stats["groups"] == 2 and ev.stats["grouped"] == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_results_survive_an_abandoned_iterator(mixed_population, workers):
    reqs = [make_request(g, i) for i, g in enumerate(mixed_population[:6])]
    ev = BatchedEvaluator(workers=workers, fuse="always")
    try:
        for r in reqs:
            ev.submit(r)
        seen = []
        while ev.pending():
            seen.append(next(iter(ev.as_completed())).uid)  # as the aging loop reads them
    finally:
        ev.close()
    assert sorted(seen) == sorted(r.uid for r in reqs)
    assert ev.stats["grouped"] + ev.stats["fallback"] == len(reqs)


def test_pool_workers_train_groups_and_give_the_same_records(trio, mixed_population):
    reqs = [make_request(g, i) for i, g in enumerate(trio)]
    reqs += [make_request(mixed_population[0], 7, uid="alone")]
    one = _run(BatchedEvaluator(fuse="always"), reqs)
    ev = BatchedEvaluator(workers=2, fuse="always")
    try:
        two = _run(ev, reqs)
    finally:
        ev.close()
    assert ev.stats["grouped"] == 3 and ev.stats["groups"] == 1 and ev.stats["fallback"] == 1
    for r in reqs:  # the ledger does not depend on the number of workers
        _same_record(one[r.uid], two[r.uid])


def test_time_limit_applies_to_a_group(trio):
    reqs = [make_request(g, i, time_limit_s=60.0) for i, g in enumerate(trio)]
    ev = BatchedEvaluator(fuse="always")
    bat = _run(ev, reqs)
    assert ev.stats["grouped"] == 3
    for r in reqs:  # a limit that is not reached changes nothing
        assert_same(run_request(r), bat[r.uid])
    reqs = [dataclasses.replace(r, time_limit_s=1e-9) for r in reqs]
    bat = _run(BatchedEvaluator(fuse="always"), reqs)
    for r in reqs:  # the sequential outcome: stopped after the first step
        assert bat[r.uid].status == "failed"
        assert bat[r.uid].error == run_request(r).error == \
            "EvaluationError: time limit of 1e-09 s reached at step 1"


def test_cpu_cost_model_fuses_small_models_only(trio):
    small = [make_request(g, i) for i, g in enumerate(trio)] * 3  # 9 mnist1d models
    assert batched_plan.cpu_fusion_gain(small) > batched_plan.MIN_CPU_GAIN
    wide = trio[0].replace(networks=tuple(
        dataclasses.replace(n, layers=tuple(dataclasses.replace(la, units=la.units * 16)
                                            for la in n.layers)) for n in trio[0].networks))
    padded = small[:-1] + [make_request(wide, 9)]  # every model padded to one 16x wider
    assert batched_plan.cpu_fusion_gain(padded) < 1.0
    ev = BatchedEvaluator()  # fuse="auto": the cost model decides on CPU
    _run(ev, padded)
    assert ev.stats["grouped"] == 0 and ev.stats["unfused"] == 9 and ev.stats["fallback"] == 9
    assert batched.worth_fusing(small) and not batched.worth_fusing(padded)
    with pytest.raises(ValueError, match="fuse = 'never'; choose one of: auto, always"):
        BatchedEvaluator(fuse="never")


def test_make_evaluator_selects_batched():
    assert make_evaluator(EvaluationConfig(backend="batched")).name == "batched"
    # auto stays on run_request on CPU (records must not depend on which requests run together)
    assert make_evaluator(EvaluationConfig(backend="auto", device="cpu")).name == "local"


def test_search_with_batched_backend(tmp_path):
    cfg = tiny_config(seed=3, offspring=6, backend="batched",
                      operators=["change_units", "change_learning_rate", "change_activation"])
    ev = make_evaluator(cfg.evaluation)
    summary = Search(cfg, tmp_path / "run", progress=False, evaluator=ev).run()
    assert summary.evaluations == 4 + 6 * 2 and summary.failures == 0
    assert ev.stats["grouped"] >= 2  # children of one parent share its topology
    run = nas_ops.load_run(tmp_path / "run")
    assert run.meta.status == "finished"
