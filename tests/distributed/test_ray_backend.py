"""The Ray backend on a real local cluster: same ledger as local, survives killed workers."""

from __future__ import annotations

import pytest

from nas_ops.errors import ConfigError
from nas_ops.evaluation import run_request
from nas_ops.genome import to_dict
from nas_ops.records import EvalRequest
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.tasks import load_task
from tests.distributed.conftest import Killer, search

pytestmark = pytest.mark.distributed


def requests(n: int, epochs: int = 1) -> list[EvalRequest]:
    task = load_task("mnist1d", n_train=200)
    space = get_space("multinet")
    return [EvalRequest(uid=f"r{i}", genome=to_dict(space.sample(task, generator(3, "t", i))),
                        seed=i, task="mnist1d", task_options={"n_train": 200}, epochs=epochs,
                        device="cpu") for i in range(n)]


def drain(evaluator) -> dict:
    """Read records one generator at a time, as the aging engine does."""
    out = {}
    while evaluator.pending():
        rec = next(iter(evaluator.as_completed()))
        assert rec.uid not in out
        out[rec.uid] = rec
    return out


def same(a, b) -> bool:
    keys = ("status", "val", "test", "complexity", "steps", "trained_networks", "error")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_ray_search_gives_the_local_ledger(ray_cluster, local_runs, tmp_path, algorithm):
    assert search(tmp_path, "ray", algorithm) == local_runs(algorithm)


def test_search_survives_a_killed_worker(ray_cluster, local_runs, tmp_path):
    with Killer(count=1) as killer:  # 10 epochs: tasks last long enough to be caught
        contents = search(tmp_path, "ray", epochs=10)
    assert len(killer.killed) == 1  # a worker really died mid-task, and its task was re-run
    assert contents == local_runs("nsga2", epochs=10)


def test_a_task_that_keeps_dying_is_recorded_failed_and_others_are_kept(ray_cluster):
    from nas_ops.evaluation.ray import RayEvaluator

    reqs = requests(2, epochs=20)
    evaluator = RayEvaluator("local", workers=2, max_retries=0)
    with Killer(count=1) as killer:
        for req in reqs:
            evaluator.submit(req)
        records = drain(evaluator)
    evaluator.close()
    assert len(killer.killed) == 1 and ray_cluster.is_initialized()  # joined: not shut down
    failed = [r for r in records.values() if r.status == "failed"]
    assert len(failed) == 1 and failed[0].error.startswith("ray worker died (1 attempt): ")
    assert failed[0].complexity  # still carries the genome's complexity
    (ok,) = [r for r in records.values() if r.status == "ok"]
    assert same(ok, run_request(next(r for r in reqs if r.uid == ok.uid)))


def test_gpu_batches_split_after_a_death_and_match_sequential(ray_cluster):
    from nas_ops.evaluation.ray import RayEvaluator

    reqs = requests(4, epochs=10)
    evaluator = RayEvaluator("local", workers=2, gpus_per_task=0.5, max_retries=0)
    with Killer(count=1) as killer:
        for req in reqs:
            evaluator.submit(req)
        assert evaluator.pending() == 4
        records = drain(evaluator)
    evaluator.close()
    assert len(killer.killed) == 1
    assert sorted(records) == [r.uid for r in reqs]
    for req in reqs:  # the killed batch was re-run request by request
        assert same(records[req.uid], run_request(req)), req.uid


def test_bad_resources_are_config_errors(ray_cluster):
    from nas_ops.evaluation.ray import RayEvaluator

    with pytest.raises(ConfigError, match="gpus_per_task"):
        RayEvaluator("local", gpus_per_task=1.5)
    with pytest.raises(ConfigError, match="has 1 GPUs"):
        RayEvaluator("local", gpus_per_task=2)
    assert ray_cluster.is_initialized()


def test_an_unreachable_address_fails_fast_with_one_line(ray_cluster):
    from nas_ops.evaluation.ray import _connect

    with pytest.raises(ConfigError, match=r"address = '127.0.0.1:1': cannot join.*ray start"):
        _connect(ray_cluster, "127.0.0.1:1", 1, 1.0, 0.0)
    with pytest.raises(ConfigError, match="cannot join"):
        _connect(ray_cluster, "ray://127.0.0.1:1", 1, 1.0, 0.0)
