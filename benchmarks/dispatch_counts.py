"""Operator dispatches per training step: K models one after another vs one fused group.

On a GPU, small models are bound by per-operator overhead (Python, dispatch, kernel launch), not
by arithmetic, so the number of aten operators a training step dispatches is a device-independent
proxy for what fusion can gain there. For K same-topology variants of a sampled genome (mnist1d
by default), the operators of one optimizer step are counted (a 2-step run minus a 1-step run)
for sequential training (``training.fit``, summed over the K models) and for the fused group
(``fit_group``), with the fused group's random draws counted apart (dropout masks and decoder
noise are drawn once per model, from each model's own stream, to match sequential training bit
for bit). The slope of the fused count over K (operators each added model costs) bounds the
ratio fusion can reach for large K: sequential operators per model / fused operators per model.

Usage: python benchmarks/dispatch_counts.py [--k 8 64 256] [--seeds 3 7] [--tasks mnist1d]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not benchmarks/ (operators.py shadows)
from benchmarks._meta import write  # noqa: E402
from benchmarks.cpu_fusion_cost import OPTIONS, fit_stacked, groups  # noqa: E402
from nas_ops.evaluation.batched.model import StackedModel  # noqa: E402
from nas_ops.evaluation.batched.unit import build_members  # noqa: E402
from nas_ops.training import Budget, fit  # noqa: E402

CPU = torch.device("cpu")
PER_MODEL_RANDOM = ("bernoulli", "normal", "randn", "native_dropout")


class Count(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.ops: Counter[str] = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        self.ops[func.__name__.split(".")[0]] += 1
        return func(*args, **(kwargs or {}))


def _sequential(task, reqs, steps: int) -> Counter[str]:
    models = [p.model for p in build_members(reqs)[1]]
    with Count() as c:
        for m in models:
            fit(m, task, Budget(epochs=1, max_steps=steps), seed=0, device=CPU)
    return c.ops


def _fused(task, reqs, steps: int) -> Counter[str]:
    models = [p.model for p in build_members(reqs)[1]]
    stacked = StackedModel(models, CPU)
    with Count() as c:
        fit_stacked(stacked, models, task, reqs, max_steps=steps)
    return c.ops


def per_step(fn, task, reqs) -> Counter[str]:  # type: ignore[no-untyped-def]
    two, one = fn(task, reqs, 2), fn(task, reqs, 1)
    two.subtract(one)
    return +two


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k", type=int, nargs="+", default=[8, 64, 256])
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 7])
    ap.add_argument("--tasks", nargs="+", default=["mnist1d"],
                    help="mnist5k counts the same operators; its 256-model step is slow on CPU")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for task_name, task, seed, _, reqs in groups(args.tasks, args.seeds, args.k):
        seq, fused = per_step(_sequential, task, reqs), per_step(_fused, task, reqs)
        random_ops = sum(n for op, n in fused.items() if op.startswith(PER_MODEL_RANDOM))
        row = {"task": task_name, "seed": seed, "models": len(reqs),
               "sequential_ops_per_step": sum(seq.values()),
               "fused_ops_per_step": sum(fused.values()),
               "ratio": round(sum(seq.values()) / sum(fused.values()), 1),
               "fused_random_draws": random_ops, "fused_top_ops": dict(fused.most_common(6))}
        rows.append(row)
        print(row, flush=True)
    slopes = []
    for task_name in args.tasks:
        for seed in args.seeds:
            mine = [r for r in rows if r["task"] == task_name and r["seed"] == seed]
            lo, hi = mine[0], mine[-1]
            per_model = (hi["fused_ops_per_step"] - lo["fused_ops_per_step"]) / (
                hi["models"] - lo["models"])
            seq = hi["sequential_ops_per_step"] / hi["models"]
            slopes.append({"task": task_name, "seed": seed,
                           "sequential_ops_per_model": round(seq, 1),
                           "fused_ops_per_added_model": round(per_model, 2),
                           "ratio_limit": round(seq / per_model, 1) if per_model else None})
            print(slopes[-1])
    path = write("dispatch_counts", {
        "task_options": OPTIONS, "groups": rows, "per_model": slopes,
        "note": "aten operators dispatched per optimizer step (forward, backward, clipping, "
                "optimizer); sequential = summed over the group's models; per-model random ops "
                "= dropout masks and decoder noise drawn per model for exact streams"})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
