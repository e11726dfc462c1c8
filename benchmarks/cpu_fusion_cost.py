"""Fit of the CPU cost model that decides which groups the batched evaluator fuses on CPU.

For groups of 2, 4, 8 and 16 same-topology genomes on mnist1d, digits and mnist5k (one epoch of
512 samples, one torch thread) the training time of the members one after another
(``training.fit``) and fused (``fit_group``) is measured side by side. Fitted:
sequential = sum over models of steps x (3 x batch x FLOPs / R + layers x o), and
fused = steps x (alpha x models x the widest member's compute + (a + b x models) x layers x o)
(non-negative least squares, relative error). Reported with the constants in
``nas_ops/evaluation/batched/plan.py``: how often the model's decision (fuse when the predicted
gain reaches MIN_CPU_GAIN) fuses a group that is slower fused.

Usage: python benchmarks/cpu_fusion_cost.py [--sizes 2 4 8 16] [--seeds 3 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import nnls

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not benchmarks/ (operators.py shadows)
from benchmarks._meta import write  # noqa: E402
from benchmarks.eval_throughput import OPS, _request  # noqa: E402
from nas_ops import load_task, sample_genome  # noqa: E402
from nas_ops.evaluation.batched import plan  # noqa: E402
from nas_ops.evaluation.batched.model import StackedModel  # noqa: E402
from nas_ops.evaluation.batched.train import fit_group  # noqa: E402
from nas_ops.evaluation.batched.unit import build_members  # noqa: E402
from nas_ops.genome import complexity  # noqa: E402
from nas_ops.training import Budget  # noqa: E402
from nas_ops.training import fit as fit_alone  # noqa: E402
from nas_ops.variation import apply_operator  # noqa: E402

CPU = torch.device("cpu")
OPTIONS = {"n_train": 512, "n_eval": 64}


def members(task, task_name: str, seed: int, n: int) -> list:
    """A sampled genome and up to ``n - 1`` same-topology variants of it."""
    base = sample_genome("multinet", task, seed=seed)
    out = [base]
    key = plan.signature(_request(base, 0, task_name, OPTIONS, 1, "cpu"))
    for k in range(1, 400):
        if len(out) >= n:
            break
        res = apply_operator(OPS[k % len(OPS)], out[k % len(out)], k)
        if res.ok and res.children and \
                plan.signature(_request(res.children[0], 0, task_name, OPTIONS, 1, "cpu")) == key:
            out.append(res.children[0])
    return out


def measure(task, reqs) -> tuple[float, float, int]:
    """Seconds to train ``reqs`` one after another and fused; optimizer steps per model."""
    models = [p.model for p in build_members(reqs[:1])[1]]
    fit_alone(models[0], task, Budget(epochs=1), seed=0, device=CPU)  # warm
    models = [p.model for p in build_members(reqs)[1]]
    start = time.perf_counter()
    for m in models:
        fit_alone(m, task, Budget(epochs=1), seed=0, device=CPU)
    sequential = time.perf_counter() - start
    models = [p.model for p in build_members(reqs)[1]]
    start = time.perf_counter()
    fused = fit_stacked(StackedModel(models, CPU), models, task, reqs)
    return sequential, time.perf_counter() - start, fused.steps


def fit_stacked(stacked: StackedModel, models: list, task, reqs, max_steps: int | None = None):
    """One epoch of ``fit_group`` for ``models`` stacked as ``stacked``, every network trained."""
    return fit_group(stacked, task, seeds=[r.seed for r in reqs],
                     lrs=[m.genome.hyper.learning_rate for m in models],
                     optimizer=models[0].genome.hyper.optimizer,
                     batch_size=models[0].genome.hyper.batch_size, epochs=1,
                     max_steps=max_steps,
                     train={nid: [True] * len(models) for nid in models[0].networks})


def groups(task_names, seeds, sizes):  # type: ignore[no-untyped-def]
    """(task name, task, seed, genomes, requests) for each group measured: per task and seed the
    first ``size`` same-topology variants, for every size."""
    for task_name in task_names:
        task = load_task(task_name, **OPTIONS)
        for seed in seeds:
            genomes = members(task, task_name, seed, max(sizes))
            for size in sizes:
                reqs = [_request(g, i, task_name, OPTIONS, 1, "cpu")
                        for i, g in enumerate(genomes[:size])]
                yield task_name, task, seed, genomes[:size], reqs


def fit(rows: list[dict]) -> dict:
    seq = np.array([[r["steps"] * 3 * r["batch"] * sum(r["flops"]),
                     r["steps"] * r["models"] * r["layers"]] for r in rows], float)
    y = np.array([r["sequential_s"] for r in rows])
    (inv_rate, o), _ = nnls(seq / y[:, None], np.ones(len(rows)))
    rate = 1 / inv_rate
    fused = np.array([[r["steps"] * r["models"] * 3 * r["batch"] * max(r["flops"]) / rate,
                       r["steps"] * r["layers"] * o,
                       r["steps"] * r["models"] * r["layers"] * o] for r in rows], float)
    yf = np.array([r["fused_s"] for r in rows])
    (alpha, a, b), _ = nnls(fused / yf[:, None], np.ones(len(rows)))
    return {"CPU_FLOP_RATE": float(rate), "CPU_LAYER_STEP_S": float(o),
            "FUSED_COMPUTE": float(alpha), "FUSED_LAYER_BASE": float(a),
            "FUSED_LAYER_PER_MODEL": float(b)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2, 4, 8, 16])
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 7])
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for task_name, task, seed, genomes, reqs in groups(("mnist1d", "digits", "mnist5k"),
                                                        args.seeds, args.sizes):
        t_seq, t_fused, steps = measure(task, reqs)
        cost = [complexity(g) for g in genomes]
        row = {"task": task_name, "seed": seed, "models": len(reqs), "steps": steps,
               "batch": genomes[0].hyper.batch_size, "flops": [c.flops for c in cost],
               "layers": cost[0].layers, "sequential_s": round(t_seq, 4),
               "fused_s": round(t_fused, 4), "real_gain": round(t_seq / t_fused, 2),
               "predicted_gain": round(plan.cpu_fusion_gain(reqs), 2)}
        rows.append(row)
        print(row, flush=True)
    fused = [r for r in rows if r["predicted_gain"] >= plan.MIN_CPU_GAIN]
    path = write("cpu_fusion_cost", {
        "torch_threads": 1, "task_options": OPTIONS, "groups": rows, "fitted": fit(rows),
        "in_use": {k: getattr(plan, k) for k in ("CPU_FLOP_RATE", "CPU_LAYER_STEP_S",
                                                  "FUSED_COMPUTE", "FUSED_LAYER_BASE",
                                                  "FUSED_LAYER_PER_MODEL", "MIN_CPU_GAIN")},
        "fused_by_model": len(fused), "fused_but_slower": sum(r["real_gain"] < 1 for r in fused),
        "faster_fused_but_left": sum(r["real_gain"] >= 1.2 for r in rows if r not in fused)})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
