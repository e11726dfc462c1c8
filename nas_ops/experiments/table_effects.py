"""The statistics of the table operator study (docs/tables-operators.md), base first.

An effect is child minus parent on one objective, in the units a record holds (accuracy as a
fraction, latency in microseconds, parameters). The base (the parent architecture) is the unit:
each base's children in a cell are summarised by their median first (:func:`base_medians`),
and every number of a cell is a statistic of those per-base medians (:func:`cell_stats`):

- ``median``: the median over bases, with a distribution-free 95% interval from order
  statistics (the binomial interval of a median: no resampling, exact coverage >= 95%);
- ``mean``: the mean over bases, with a t interval;
- ``up`` / ``down``: the share of bases whose median is above / below 0 (raw direction, child
  minus parent), ``up`` with a Wilson interval;
- ``p_value``: the two-sided Wilcoxon signed-rank test of the per-base medians against 0 (the
  project's :func:`~nas_ops.analysis.blocks.wilcoxon_p`: bases whose median is 0 drop out);
- ``sd``: the standard deviation of the per-base medians (what a detectable effect in standard
  deviations is worth in the objective's units).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nas_ops.analysis.blocks import wilcoxon_p

LEVEL = 0.95


def base_medians(parent: np.ndarray, effect: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bases, the median effect of each base's children), bases ascending."""
    if parent.size == 0:
        return parent, effect.astype(float)
    order = np.lexsort((effect, parent))
    p, e = parent[order], effect[order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    sizes = np.diff(np.r_[starts, p.size])
    return p[starts], (e[starts + (sizes - 1) // 2] + e[starts + sizes // 2]) / 2.0


def median_interval(x: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Distribution-free interval of the median: order statistics k and n - k + 1 (1-based),
    k the largest with P(Binomial(n, 1/2) < k) <= (1 - level) / 2; the range when n is small."""
    from scipy import stats

    n = x.size
    if n == 0:
        return math.nan, math.nan
    s = np.sort(x)
    k = int(stats.binom.ppf((1 - level) / 2, n, 0.5))  # P(B <= k - 1) <= tail <= P(B <= k)
    if k < 1:
        return float(s[0]), float(s[-1])
    return float(s[k - 1]), float(s[n - k])


def mean_interval(x: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    from scipy import stats

    if x.size < 2:
        return math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1)) * float(x.std(ddof=1)) \
        / math.sqrt(x.size)
    return float(x.mean()) - half, float(x.mean()) + half


def wilson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    from scipy import stats

    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    mid = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return mid - half, mid + half


def cell_stats(m: np.ndarray, n_children: int) -> dict[str, Any]:
    """The statistics of one cell from its per-base medians ``m`` (see the module docstring)."""
    n = int(m.size)
    if n == 0:
        return {"n_bases": 0, "n": n_children}
    up, down = int(np.count_nonzero(m > 0)), int(np.count_nonzero(m < 0))
    return {"n_bases": n, "n": n_children, "median": float(np.median(m)),
            "ci": list(median_interval(m)), "mean": float(m.mean()),
            "mean_ci": list(mean_interval(m)), "sd": float(m.std(ddof=1)) if n > 1 else 0.0,
            "up": up / n, "up_ci": list(wilson(up, n)), "down": down / n,
            "p_value": wilcoxon_p(m)}


__all__ = ["LEVEL", "base_medians", "cell_stats", "mean_interval", "median_interval", "wilson"]
