"""Benchmark: genome operations per second for the multinet space on mnist1d.

Measures, over the same set of sampled genomes: sample (growth + validation), validate,
serialize (``to_json``), deserialize (``from_json``), structural hash, build (``build_model``:
validation + torch modules + seeded initialization) and one forward pass of a batch of 64 in
eval mode, all with one torch thread (as in the tests); then training steps per second with 1
torch thread and with one per core. Each figure is the best of ``--repeats`` passes (the machine
is shared; the best pass is the least disturbed one); the load average at start is recorded.

Run: ``python benchmarks/genome_ops.py [--genomes 200] [--profile]``; writes
benchmarks/results/genome_ops-<date>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

import networkx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _meta import cpu_name, write  # noqa: E402

import nas_ops as N  # noqa: E402
from nas_ops.genome import from_json, structural_hash, to_json  # noqa: E402
from nas_ops.rng import generator  # noqa: E402
from nas_ops.spaces import rules_for  # noqa: E402


def best_rate(fn: Callable[[Any], object], items: list[Any], repeats: int) -> dict[str, float]:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return {"per_second": round(len(items) / best, 1),
            "us_per_op": round(1e6 * best / len(items), 1)}


def train_rates(genomes: list[Any], repeats: int) -> dict[str, Any]:
    """Training steps per second (batch 64, mnist1d) with 1 torch thread and with torch's default:
    on a shared machine intra-op threads oversubscribe the cores."""
    task = N.load_task("mnist1d", n_train=640, n_eval=64)
    genomes = [g.replace(hyper=dataclasses.replace(g.hyper, batch_size=64)) for g in genomes]
    out: dict[str, Any] = {"genomes": len(genomes), "steps_per_genome": 10}
    default = torch.get_num_threads()
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            for g in genomes:
                N.train(g, task, epochs=1)
            best = min(best, time.perf_counter() - start)
        out[f"threads_{threads}"] = {"steps_per_second": round(10 * len(genomes) / best, 1)}
        print(f"train steps, {threads} thread(s): {out[f'threads_{threads}']['steps_per_second']}"
              f" /s", flush=True)
    torch.set_num_threads(default)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genomes", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print the top of a cProfile of each op")
    args = ap.parse_args(argv)
    default_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    load = os.getloadavg()[0]
    task = N.load_task("mnist1d", n_train=100)
    space = N.get_space("multinet")
    rules = rules_for("multinet")
    seeds = list(range(args.genomes))
    genomes = [space.sample(task, generator(s, "bench")) for s in seeds]
    texts = [to_json(g) for g in genomes]
    x = {"x": torch.rand(64, 1, 40)}
    models = [N.build_model(g).eval() for g in genomes[: max(1, args.genomes // 4)]]

    def forward(model: torch.nn.Module) -> None:
        with torch.no_grad():
            model(x)

    ops: dict[str, tuple[Callable[[Any], object], list[Any]]] = {
        "sample": (lambda s: space.sample(task, generator(s, "bench")), seeds),
        "validate": (lambda g: N.genome.validate(g, rules), genomes),
        "serialize": (to_json, genomes),
        "deserialize": (from_json, texts),
        "hash": (lambda g: structural_hash(from_json(g)), texts),  # fresh genome: no cached views
        "build": (lambda g: N.build_model(g), genomes[: max(1, args.genomes // 4)]),
        "forward_batch64": (forward, models),
    }
    results: dict[str, dict[str, float]] = {}
    for name, (fn, items) in ops.items():
        results[name] = best_rate(fn, items, args.repeats)
        print(f"{name:<16} {results[name]['per_second']:>10.1f} /s  "
              f"{results[name]['us_per_op']:>9.1f} us/op  (n={len(items)})", flush=True)
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(lambda fn=fn, items=items: [fn(i) for i in items])
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(12)
            print(out.getvalue())
    results["train_steps"] = train_rates(genomes[:10], args.repeats)
    results["train_steps"]["torch_default_threads"] = default_threads
    results["hash"]["note"] = "includes from_json, so that no cached graph view is reused"  # type: ignore[assignment]
    sizes = [N.complexity(g) for g in genomes]
    path = write("genome_ops", {
        "benchmark": "genome_ops", "space": "multinet", "task": "mnist1d",
        "cpu_model": cpu_name(), "networkx": networkx.__version__, "torch_threads": 1,
        "load_average_at_start": round(load, 2), "genomes": args.genomes,
        "repeats": args.repeats,
        "genome_stats": {
            "mean_networks": round(sum(c.networks for c in sizes) / len(sizes), 2),
            "mean_connections": round(sum(c.connections for c in sizes) / len(sizes), 2),
            "mean_parameters": round(sum(c.parameters for c in sizes) / len(sizes), 1)},
        "results": results,
    })
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
