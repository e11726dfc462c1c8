"""Per-task overhead of the Ray backend against the local process pool, in one run.

Three levels, each on the same machine and the same number of workers:
- bare task round-trip: a no-op function through a Ray task and through the process pool;
- null evaluation: a real request through each evaluator's machinery (request/record transport,
  weight write-back) with a tiny genome, ``max_steps = 1`` and 100 samples, so that nearly all
  the time is the backend's; latency (one request at a time) and throughput (all in flight);
- real small trainings (mnist1d, 1,000 samples, 3 epochs): throughput per request.
Worker start-up (cluster start, first task importing torch) is timed apart, after which every
backend is warm. Ratios are ray / pool (1.0 = same cost).
Usage: python benchmarks/distributed_overhead.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

# run as a script: import from the repository root, not from benchmarks/ (whose operators.py
# would shadow the operators package)
sys.path[0] = str(Path(__file__).resolve().parents[1])
import multiprocessing as mp  # noqa: E402

import torch  # noqa: E402

from benchmarks._meta import write  # noqa: E402
from nas_ops.evaluation import PoolEvaluator, SequentialEvaluator  # noqa: E402
from nas_ops.genome import to_dict  # noqa: E402
from nas_ops.records import EvalRequest  # noqa: E402
from nas_ops.rng import generator  # noqa: E402
from nas_ops.spaces import get_space  # noqa: E402
from nas_ops.tasks import load_task  # noqa: E402

WORKERS = 2
BARE = 200  # no-op round-trips
NULL = 40  # null evaluations
REAL = 8  # real trainings


def noop(x: int) -> int:
    return x


def requests(n: int, out: Path, tag: str, null: bool) -> list[EvalRequest]:
    options = {"n_train": 100, "n_eval": 100} if null else {"n_train": 1000}
    task = load_task("mnist1d", **options)
    space = get_space("multinet")
    return [EvalRequest(uid=f"{tag}{i}", seed=i, task="mnist1d", task_options=options,
                        genome=to_dict(space.sample(task, generator(7, "null" if null else "real",
                                                                    i % 4 if null else i))),
                        epochs=1 if null else 3, max_steps=1 if null else 0, device="cpu",
                        weights_out=str(out / f"{tag}{i}.pt")) for i in range(n)]


def latency(evaluator, reqs: list[EvalRequest]) -> float:
    """Mean seconds per request, one in flight at a time."""
    times = []
    for req in reqs:
        start = time.perf_counter()
        evaluator.submit(req)
        rec = next(iter(evaluator.as_completed()))
        assert rec.status == "ok", rec.error
        times.append(time.perf_counter() - start)
    return statistics.fmean(times)


def throughput(evaluator, reqs: list[EvalRequest]) -> float:
    """Seconds per request with every request in flight."""
    start = time.perf_counter()
    for req in reqs:
        evaluator.submit(req)
    for rec in evaluator.as_completed():
        assert rec.status == "ok", rec.error
    return (time.perf_counter() - start) / len(reqs)


def bare_pool() -> float:
    with ProcessPoolExecutor(WORKERS, mp_context=mp.get_context("spawn")) as pool:
        for f in [pool.submit(noop, i) for i in range(WORKERS * 4)]:
            f.result()
        start = time.perf_counter()
        for i in range(BARE):
            pool.submit(noop, i).result()
        return (time.perf_counter() - start) / BARE


def bare_ray(ray) -> float:  # type: ignore[no-untyped-def]
    task = ray.remote(noop)
    ray.get([task.remote(i) for i in range(WORKERS * 4)])
    start = time.perf_counter()
    for i in range(BARE):
        ray.get(task.remote(i))
    return (time.perf_counter() - start) / BARE


def measure(name: str, make, out: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    evaluator = make()
    throughput(evaluator, requests(WORKERS * 2, out, f"warm-{name}-", null=True))
    row = {"startup_s": time.perf_counter() - start,
           "null_latency_s": latency(evaluator, requests(NULL // 2, out, f"nl-{name}-", True)),
           "null_throughput_s": throughput(evaluator, requests(NULL, out, f"nt-{name}-", True)),
           "real_throughput_s": throughput(evaluator, requests(REAL, out, f"r-{name}-", False))}
    evaluator.close()
    print(name, {k: round(v, 4) for k, v in row.items()}, flush=True)
    return row


def main() -> None:
    import ray

    from nas_ops.evaluation.ray import RayEvaluator

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        rows = {"local": measure("local", SequentialEvaluator, out),
                "pool": measure("pool", lambda: PoolEvaluator(WORKERS), out)}
        rows["ray"] = measure("ray", lambda: RayEvaluator("local", workers=WORKERS), out)
    bare = {"pool_s": bare_pool()}
    ray.init(address="local", num_cpus=WORKERS, include_dashboard=False, configure_logging=False)
    bare["ray_s"] = bare_ray(ray)
    ray.shutdown()
    ratios = {key: rows["ray"][key] / rows["pool"][key] for key in rows["ray"]}
    ratios["bare_roundtrip"] = bare["ray_s"] / bare["pool_s"]
    payload = {
        "workers": WORKERS, "ray": ray.__version__,
        "what": "seconds per task; null = tiny genome, max_steps 1, 100 samples; real = mnist1d "
                "1000 samples, 3 epochs; latency = one in flight, throughput = all in flight",
        "bare_roundtrip_s": bare, "evaluators": rows, "ray_over_pool": ratios,
        "ray_overhead_per_task_s": {
            "null_latency": rows["ray"]["null_latency_s"] - rows["local"]["null_latency_s"],
            "bare_roundtrip": bare["ray_s"]},
    }
    print("ray / pool:", {k: round(v, 2) for k, v in ratios.items()})
    print(write("distributed_overhead", payload))


if __name__ == "__main__":
    main()
