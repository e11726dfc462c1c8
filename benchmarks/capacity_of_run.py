"""Benchmark: time of ``nas-ops capacity RUN_DIR`` per analysed model, and where it goes.

A small search on mnist1d (default multinet space, ``--population`` models, 1 epoch) makes a run
directory; then, for the best model of each output (as ``nas-ops capacity RUN_DIR`` picks them),
the two analyses are timed separately: every network's own map (``network_capacity``) and every
output's map over the task input (``output_capacity``). The end-to-end ``analyse_run`` time is
the sum of the two (``analyse_run`` adds only loading the run; a model best for several outputs
is analysed once). The models of a real search differ from these 1-epoch ones only in their
trained weights, not in their shapes. The load average is recorded: on a shared machine the
times grow with it.

Run: ``PYTHONPATH=. python benchmarks/capacity_of_run.py``; it writes
benchmarks/results/capacity_of_run-<date>.json.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not benchmarks/ (operators.py shadows)
import nas_ops  # noqa: E402
from benchmarks._meta import write  # noqa: E402
from nas_ops.capacity.of_run import best_for_output  # noqa: E402
from nas_ops.metrics.capacity.phenotypes import network_capacity, output_capacity  # noqa: E402
from nas_ops.phenotype.model import build_model  # noqa: E402
from nas_ops.store.run import load_run  # noqa: E402
from nas_ops.tasks import load_task  # noqa: E402

CONFIG = """seed = {seed}
[task]
name = "mnist1d"
n_train = 400
[search]
population = {population}
offspring = 2
generations = 1
[evaluation]
backend = "local"
[budget]
epochs = 1
"""


def _timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def per_model(run_dir: Path) -> list[dict[str, Any]]:
    run = load_run(run_dir)
    task = load_task(run.config.task.name, **run.config.task.options)
    name = task.inputs[0].name
    x = task.val[name][:2]
    rows, seen = [], set()
    for k, spec in enumerate(task.outputs):
        ind = best_for_output(run.individuals, k, spec.higher_is_better)
        if ind.uid in seen:
            continue
        seen.add(ind.uid)
        model = build_model(ind.genome, seed=ind.seed)
        model.load_state_dict(torch.load(run_dir / "weights" / f"{ind.uid}.pt",
                                         map_location="cpu", weights_only=True))
        nets, t_net = _timed(lambda m=model: network_capacity(m, {name: x}))
        outs, t_out = _timed(lambda m=model: output_capacity(m, x))
        rows.append({
            "uid": ind.uid, "best_for": spec.name,
            "parameters": sum(p.numel() for p in model.parameters()),
            "networks": len(model.networks), "networks_analysed": len(nets),
            "network_capacity_s": round(t_net, 2), "output_capacity_s": round(t_out, 2),
            "total_s": round(t_net + t_out, 2),
            "outputs": {o.output: round(o.capacity, 1) for o in outs},
        })
        print(rows[-1])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--population", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "c.toml"
        cfg.write_text(CONFIG.format(seed=args.seed, population=args.population))
        run_dir = Path(tmp) / "run"
        _, t_search = _timed(lambda: nas_ops.run_search(str(cfg), str(run_dir), progress=False))
        load_before = os.getloadavg()
        rows = per_model(run_dir)
        load_after = os.getloadavg()
    times = [r["total_s"] for r in rows]
    path = write("capacity_of_run", {
        "benchmark": "capacity_of_run", "torch_threads": torch.get_num_threads(),
        "search": {"population": args.population, "seed": args.seed, "epochs": 1,
                   "seconds": round(t_search, 1)},
        "models": rows,
        "load_average_1_5_15_min": {"before": [round(v, 2) for v in load_before],
                                    "after": [round(v, 2) for v in load_after]},
        "per_model_s": {"min": min(times), "max": max(times),
                        "mean": round(sum(times) / len(times), 2)},
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
