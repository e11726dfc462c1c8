"""Rank agreement between the rungs and the full budget (issue 24 point 5, first step):
Kendall's tau between each child's score at a low rung and at the full budget, from runs with
``[search] fidelity`` rule "all" (every child recorded at every rung; studies/fidelity_tau.toml).

    python studies/fidelity_tau.py RUN_DIR [RUN_DIR ...] [--out tau.json] [--boot 2000]

Per output, the score is its primary validation metric (accuracy, or an error where lower is
better); a child counts when it has an ok record at the rung and at the full budget. Per run,
tau (scipy's tau-b) per rung x output; pooled: tau over all children of all runs, with a 95 %
bootstrap interval that resamples runs (the seed is the unit) and children within them.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats


def pairs(run_dir: Path) -> dict[tuple[int, str], list[tuple[float, float]]]:
    """(rung, output) -> (score at the rung, score at the full budget) per child."""
    from nas_ops import load_run
    from nas_ops.genome.nodes import primary_metric

    run = load_run(run_dir)
    out: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for ind in run.individuals:
        full = ind.evaluation
        if not ind.rungs or full is None or full.status != "ok" or full.fidelity < 1.0:
            continue
        for node in ind.genome.outputs:
            metric, _ = primary_metric(node.kind)
            for rec in ind.rungs:
                if rec.status != "ok":
                    continue
                a, b = rec.val[node.id][metric], full.val[node.id][metric]
                if math.isfinite(a) and math.isfinite(b):
                    out.setdefault((rec.rung, node.id), []).append((float(a), float(b)))
    return out


def tau(xy: list[tuple[float, float]]) -> float:
    if len(xy) < 3:
        return math.nan
    x, y = zip(*xy, strict=True)
    return float(stats.kendalltau(x, y).statistic)


def summarize(runs: list[Path], n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    per_run = {str(r): pairs(r) for r in runs}
    keys = sorted({k for p in per_run.values() for k in p})
    rng = np.random.default_rng([seed, 5])
    cells = []
    for rung, output in keys:
        groups = [p.get((rung, output), []) for p in per_run.values()]
        pooled = [xy for g in groups for xy in g]
        boots = []
        for _ in range(n_boot):
            pick = [groups[i] for i in rng.integers(len(groups), size=len(groups))]
            sample = [g[j] for g in pick if g for j in rng.integers(len(g), size=len(g))]
            boots.append(tau(sample))
        finite = [b for b in boots if math.isfinite(b)]
        lo, hi = (np.quantile(finite, [0.025, 0.975]) if finite else (math.nan, math.nan))
        cells.append({"rung": rung, "output": output, "children": len(pooled),
                      "tau": tau(pooled), "ci": [float(lo), float(hi)],
                      "per_run": [tau(g) for g in groups]})
    return {"runs": [str(r) for r in runs], "bootstrap": n_boot, "seed": seed, "cells": cells}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", type=Path, nargs="+")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--boot", type=int, default=2000)
    args = ap.parse_args()
    missing = [r for r in args.runs if not (r / "ledger.sqlite").is_file()]
    if missing:
        print(f"{missing[0]}: no run there (no ledger.sqlite)", file=sys.stderr)
        raise SystemExit(2)
    from nas_ops import load_run
    from nas_ops.experiments.table_runner import provenance

    result = summarize(args.runs, args.boot)
    result["provenance"] = provenance()  # versions, machine, commit and date of this summary
    result["configs"] = {str(r): load_run(r).config.to_dict() for r in args.runs}
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    for c in result["cells"]:
        print(f"rung {c['rung']} vs full, {c['output']}: tau {c['tau']:+.3f} "
              f"[{c['ci'][0]:+.3f}, {c['ci'][1]:+.3f}] over {c['children']} children")


if __name__ == "__main__":
    main()
