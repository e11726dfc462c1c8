"""The "ranked" arm of the search decomposition (issue 24 point 4; plan:
studies/results/search_decomposition/plan.md): operator weights with real contrast, from the
operator ranking measured inside committed uniform searches.

    python studies/search_decomposition.py weights LEDGERS.tar.xz [--arm uniform] [--tv 0.3]
        per operator: the mean over seeds (the unit) of each seed's mean effect of its children
        on the outputs they affect (log error ratio, child vs parent: positive = better), then
        softmax weights whose total-variation distance from uniform is --tv; prints the
        [arms] line of studies/search_decomposition.toml and the ranking behind it

The training-only arm is `policy.operators = ["retrain_control"]` (docs/search.md).
"""

from __future__ import annotations

import argparse
import math
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np


def operator_scores(archive: Path, arm: str) -> dict[str, tuple[float, int]]:
    """mutation operator -> (mean over seeds of the seed's mean effect on affected outputs,
    seeds)."""
    from nas_ops import load_run
    from nas_ops.analysis.effects import effect_rows
    from nas_ops.analysis.rows import CONTROLS, run_outputs

    per_seed: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers()
                          if m.isfile() and m.name.startswith(f"{arm}-seed-")),
                         key=lambda m: m.name)
        if not members:
            raise SystemExit(f"{archive}: no ledger of arm {arm!r} (files {arm}-seed-*.sqlite)")
        for m in members:
            run_dir = Path(tmp) / Path(m.name).stem
            run_dir.mkdir()
            src = tar.extractfile(m)
            assert src is not None
            (run_dir / "ledger.sqlite").write_bytes(src.read())
            run = load_run(run_dir)
            rows = [r for r in effect_rows(run, run_outputs(run))
                    if r.affected and r.operator not in CONTROLS and math.isfinite(r.effect)]
            ops = sorted({r.operator for r in rows})
            for op in ops:
                per_seed.setdefault(op, []).append(
                    float(np.mean([r.effect for r in rows if r.operator == op])))
    from nas_ops.variation import get_operator

    return {op: (float(np.mean(v)), len(v)) for op, v in sorted(per_seed.items())
            if get_operator(op).arity == 1}  # what a policy chooses among: mutations


def softmax_for_tv(scores: dict[str, float], tv: float) -> tuple[dict[str, float], float]:
    """Weights ``exp(z / t)`` of the standardized scores ``z`` (normalized to sum 1), with
    the temperature ``t`` found by bisection so that their total-variation distance from
    uniform is ``tv``; (weights, t)."""
    names = list(scores)
    s = np.array([scores[n] for n in names])
    z = (s - s.mean()) / (s.std() or 1.0)
    k = len(names)

    def weights(t: float) -> np.ndarray:
        w = np.exp((z - z.max()) / t)
        return w / w.sum()

    def dist(t: float) -> float:
        return float(0.5 * np.abs(weights(t) - 1 / k).sum())

    lo, hi = 1e-3, 1e3  # dist falls as t grows
    if dist(lo) < tv:
        raise SystemExit(f"--tv {tv}: even a greedy choice is only {dist(lo):.3f} from uniform")
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if dist(mid) > tv else (lo, mid)
    t = math.sqrt(lo * hi)
    return {n: float(x) for n, x in zip(names, weights(t), strict=True)}, t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("weights")
    w.add_argument("archive", type=Path)
    w.add_argument("--arm", default="uniform")
    w.add_argument("--tv", type=float, default=0.3)
    args = ap.parse_args()
    if not 0 < args.tv < 1:
        print(f"--tv {args.tv}: give a distance between 0 and 1", file=sys.stderr)
        raise SystemExit(2)
    if not args.archive.is_file():
        print(f"{args.archive}: no such file", file=sys.stderr)
        raise SystemExit(2)
    scores = operator_scores(args.archive, args.arm)
    weights, t = softmax_for_tv({k: v[0] for k, v in scores.items()}, args.tv)
    print(f"# ranking from the {args.arm} arm of {args.archive} (mean over seeds of each "
          f"seed's mean log error ratio on affected outputs; softmax temperature {t:.4g} in "
          f"standard deviations, total-variation distance {args.tv} from uniform)")
    for op, (score, n) in sorted(scores.items(), key=lambda kv: -kv[1][0]):
        print(f"#   {op}: {score:+.4f} ({n} seeds) -> weight {weights[op]:.4f}")
    body = ", ".join(f'{op} = {weights[op] * len(weights):.4f}' for op in sorted(weights))
    print(f'ranked = {{policy = {{name = "weights", weights = {{{body}}}}}}}')
    print("# the run's operators ([base] policy.operators): these and the crossover swap_network")
    print("operators = [" + ", ".join(f'"{op}"' for op in sorted(weights)) + ', "swap_network"]')


if __name__ == "__main__":
    main()
