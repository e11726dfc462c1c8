"""Power of the blocked operator-effect test, to size a study (docs/study-design.md).

Model of one (operator, output) cell: base model b = 1..N, replicate k = 1..M, paired difference
d_bk = (edit child - its matched control), in units of its total standard deviation:

    d_bk = delta + u_b + e_bk,   u_b ~ N(0, icc),   e_bk ~ N(0, 1 - icc)

so a base's mean difference has variance icc + (1 - icc) / M: replicates beyond a few buy little
when the intra-base correlation (icc) is high. The test is a two-sided Wilcoxon signed-rank test
on the N per-base means, at alpha / K (Bonferroni, Holm's first step) for K cells. Power comes
from the noncentral t approximation (Wilcoxon's efficiency against t for normal data, 3/pi, is
applied to N) and is checked by simulation with scipy's exact Wilcoxon. Replication: the rule
is found on one half of the bases (alpha / K) and confirmed on the other half (one-sided, same
sign, alpha); both halves are independent, so the probabilities multiply.

    python studies/power.py                  # the tables of docs/study-design.md
    python studies/power.py --simulate 2000  # with the simulation check (slower)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

import numpy as np
from scipy import optimize, stats

ARE = 3 / math.pi  # asymptotic efficiency of Wilcoxon signed-rank vs t, normal data


def power_t(delta: float, n: int, m: int, icc: float, alpha: float,
            sides: int = 2) -> float:
    """Approximate power of the blocked test (noncentral t on ``ARE * n`` bases)."""
    n_eff = ARE * n
    ncp = delta / math.sqrt(icc + (1 - icc) / m) * math.sqrt(n_eff)
    df = max(n_eff - 1, 1.0)
    crit = stats.t.ppf(1 - alpha / sides, df)
    upper = float(stats.nct.sf(crit, df, ncp))
    lower = float(stats.nct.cdf(-crit, df, ncp)) if sides == 2 else 0.0
    # scipy answers NaN far in a tail: there the probability is 1 (upper) or 0 (lower)
    return (1.0 if math.isnan(upper) else upper) + (0.0 if math.isnan(lower) else lower)


def power_replicated(delta: float, n: int, m: int, icc: float, alpha: float, k: int) -> float:
    """Found on n // 2 bases at alpha / k and confirmed on the other n - n // 2 at alpha."""
    half = n // 2
    return (power_t(delta, half, m, icc, alpha / k)
            * power_t(delta, n - half, m, icc, alpha, sides=1))


def detectable(n: int, m: int, icc: float, alpha: float, k: int, power: float = 0.8,
               replicated: bool = False) -> float:
    """The smallest standardized effect found with probability ``power``."""
    def gap(delta: float) -> float:
        got = (power_replicated(delta, n, m, icc, alpha, k) if replicated
               else power_t(delta, n, m, icc, alpha / k))
        return got - power
    return float(optimize.brentq(gap, 1e-3, 4.0))


def simulate(delta: float, n: int, m: int, icc: float, alpha: float, reps: int,
             seed: int = 0) -> float:
    """Monte Carlo power of the exact Wilcoxon test on per-base means at ``alpha``."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        u = rng.normal(0.0, math.sqrt(icc), size=n)
        e = rng.normal(0.0, math.sqrt(1 - icc), size=(n, m))
        means = delta + u + e.mean(axis=1)
        hits += stats.wilcoxon(means, method="exact").pvalue <= alpha
    return hits / reps


def _print_grid(args: argparse.Namespace,
                cell: Callable[[int, int, float], tuple[float, float]]) -> None:
    """One row per (icc, bases), one column per replicate count: ``a (b)`` of ``cell(n, m,
    icc)`` (for the base count n, the replicate count m)."""
    for icc in args.icc:
        for n in args.bases:
            cells = [f"{a:.2f} ({b:.2f})" for a, b in (cell(n, m, icc) for m in args.replicates)]
            print(f"{icc:.2f} {n:3d} " + "  ".join(f"{c:11s}" for c in cells))


def main() -> None:
    p = argparse.ArgumentParser(description="power of the blocked operator-effect test")
    p.add_argument("--icc", type=float, nargs="+", default=[0.12, 0.45, 0.81])
    p.add_argument("--bases", type=int, nargs="+", default=[30, 60, 80])
    p.add_argument("--replicates", type=int, nargs="+", default=[1, 2, 3, 4, 6])
    p.add_argument("--cells", type=int, default=57,
                   help="K: operators x outputs tested (19 x 3 on mnist1d)")
    p.add_argument("--effect", type=float, default=0.5, help="the effect to state power for")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--simulate", type=int, default=0, help="Monte Carlo repetitions (0: none)")
    args = p.parse_args()
    k, alpha = args.cells, args.alpha
    print(f"smallest standardized effect with 80 % power; K = {k} cells, alpha = {alpha}")
    print("icc  N   " + "  ".join(f"M={m:<2d} (repl)" for m in args.replicates))
    _print_grid(args, lambda n, m, icc: (detectable(n, m, icc, alpha, k),
                                          detectable(n, m, icc, alpha, k, replicated=True)))
    print(f"\npower for a standardized effect of {args.effect} (found; found and replicated):")
    _print_grid(args, lambda n, m, icc: (power_t(args.effect, n, m, icc, alpha / k),
                                          power_replicated(args.effect, n, m, icc, alpha, k)))
    if args.simulate:
        print(f"\nsimulation check (exact Wilcoxon, {args.simulate} studies per row):")
        for icc, n, m in [(0.45, 60, 2), (0.45, 30, 3), (0.81, 60, 2)]:
            delta = detectable(n, m, icc, alpha, k)
            sim = simulate(delta, n, m, icc, alpha / k, args.simulate)
            print(f"icc {icc:.2f} N {n} M {m}: delta {delta:.2f} -> approx 0.80, "
                  f"simulated {sim:.3f}")
        null = simulate(0.0, 60, 2, 0.45, alpha, args.simulate, seed=1)
        print(f"no effect (icc 0.45, N 60, M 2), unadjusted: rejection rate {null:.4f} "
              f"(nominal {alpha:.4f})")


if __name__ == "__main__":
    main()
