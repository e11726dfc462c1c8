"""Variations per second of every registered operator (apply + validate + event), one core.

Typical genomes: samples of the multinet space for the mnist1d task. Each operator is called on
rotating genomes (crossover: rotating pairs) for ``--seconds`` of CPU time; a call that ends
``not_applicable`` counts too (the template ran to decide it), and the share of ``ok`` calls is
reported. Rates are given per CPU second (``time.process_time``) and per wall second; on a shared
machine the CPU rate is the one to compare.

    python benchmarks/operators.py [--seconds 1.0] [--genomes 50] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# run as a script, this file's folder comes first on sys.path and its name would shadow the
# built-in ``operators`` package that the registry imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks._meta import cpu_name  # noqa: E402
from nas_ops.genome import Genome  # noqa: E402
from nas_ops.spaces import get_space  # noqa: E402
from nas_ops.variation import OPERATORS, VariationContext, get_operator  # noqa: E402

TARGET = 2000.0  # variations per second per core


def typical_genomes(n: int, seed: int = 0) -> list[Genome]:
    from nas_ops.tasks import load_task

    task = load_task("mnist1d", n_train=256)
    space = get_space("multinet")
    return [space.sample(task, np.random.default_rng([seed, k])).with_lineage(f"g{k}", (), None)
            for k in range(n)]


def bench_operator(name: str, genomes: list[Genome], seconds: float) -> dict[str, Any]:
    op, space = get_operator(name), get_space("multinet")
    calls = ok = children = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.process_time() - cpu0 < seconds:
        for k, g in enumerate(genomes):
            parents = (g,) if op.arity == 1 else (g, genomes[(k + 1) % len(genomes)])
            res = op(parents, VariationContext.from_seed(calls, space))
            calls += 1
            ok += res.event.status == "ok"
            children += len(res.children)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {"operator": name, "calls": calls, "ok_fraction": round(ok / calls, 3),
            "per_cpu_second": round(calls / cpu, 1), "per_wall_second": round(calls / wall, 1),
            "children_per_cpu_second": round(children / cpu, 1),
            "meets_target": calls / cpu >= TARGET}


def environment() -> dict[str, Any]:
    return {"device": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "numpy": np.__version__, "networkx": networkx.__version__,
            "date": dt.date.today().isoformat(), "load_average": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per operator")
    parser.add_argument("--genomes", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    torch.set_num_threads(1)
    genomes = typical_genomes(args.genomes)
    rows = [bench_operator(name, genomes, args.seconds) for name in OPERATORS.names()]
    report = {"benchmark": "operators", "target_per_core": TARGET, **environment(),
              "genomes": {"space": "multinet", "task": "mnist1d", "count": len(genomes),
                          "mean_networks": float(np.mean([len(g.networks) for g in genomes]))},
              "results": rows}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"operators-{report['date']}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    for r in rows:
        flag = "" if r["meets_target"] else "  < target"
        print(f"{r['operator']:22s} {r['per_cpu_second']:8.0f}/cpu-s {r['per_wall_second']:8.0f}"
              f"/wall-s  ok {r['ok_fraction']:.2f}{flag}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
