"""The base model is the unit: per-base summaries, exact tests across bases, cluster bootstrap.

Children of one base share its parent measurement and its training history, so their effects
are not independent (intra-base correlation 0.45 in the CI study). Every test and interval here
treats a base model as one observation:

- ``base_medians``: the median effect of each base's children (one number per base).
- ``blocked_p``: two-sided exact Wilcoxon signed-rank test of the per-base medians against 0
  (``scipy.stats.wilcoxon`` defaults: bases whose median is exactly 0 are dropped). With b bases
  the smallest attainable p is 2 / 2**b.
- ``cluster_bootstrap``: a two-stage percentile bootstrap: resample bases with replacement, then
  the children of each drawn base with replacement; the statistic is computed on the pooled
  children of the resample. It gives the 95% interval of the pooled median, of P(improve) (the
  fraction of effects > 0) and of Cliff's delta against no change (P(x > 0) - P(x < 0)).

``Blocks`` maps a base uid to the (finite) effects of its children.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, cast

import numpy as np

Blocks = dict[str, np.ndarray]
N_BOOTSTRAP = 2000
CI_LEVEL = 0.95


def wilcoxon_p(x: np.ndarray) -> float:
    """Two-sided one-sample Wilcoxon signed-rank p-value vs 0 (zeros dropped); nan if untestable."""
    from scipy import stats

    if np.count_nonzero(x) < 1:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(stats.wilcoxon(x).pvalue)
        except ValueError:
            return math.nan


class AsDict:
    """The ``to_dict`` of the analysis dataclasses: their fields as plain data."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(cast(Any, self))


@dataclass
class Interval(AsDict):
    """A point estimate with its cluster-bootstrap 95% interval."""

    estimate: float
    low: float
    high: float

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


@dataclass
class EffectSizes:
    """Median, P(improve) and Cliff's delta of the pooled children, each with its interval."""

    n: int
    n_bases: int
    median: Interval
    p_improve: Interval
    cliffs_delta: Interval

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "n_bases": self.n_bases, "median": self.median.to_dict(),
                "p_improve": self.p_improve.to_dict(),
                "cliffs_delta": self.cliffs_delta.to_dict()}


def make_blocks(pairs: Iterable[tuple[str, float]]) -> Blocks:
    """Blocks from (base, effect) pairs; nan effects are left out, bases in sorted order."""
    acc: dict[str, list[float]] = {}
    for base, value in pairs:
        if not math.isnan(value):
            acc.setdefault(base, []).append(value)
    return {b: np.asarray(v, dtype=float) for b, v in sorted(acc.items())}


def subset(blocks: Blocks, bases: Iterable[str]) -> Blocks:
    keep = set(bases)
    return {b: v for b, v in blocks.items() if b in keep}


def n_children(blocks: Blocks) -> int:
    return int(sum(v.size for v in blocks.values()))


def median(v: np.ndarray) -> float:
    """The median of a small non-empty array (np.median costs more than the sort itself)."""
    s = sorted(v.tolist())
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2.0


def base_medians(blocks: Blocks) -> np.ndarray:
    """One median per base (bases in the blocks' order)."""
    return np.asarray([median(v) for v in blocks.values() if v.size], dtype=float)


def blocked_p(blocks: Blocks) -> float:
    """Exact two-sided Wilcoxon signed-rank p of the per-base medians against 0 (nan when no
    base median is non-zero)."""
    return wilcoxon_p(base_medians(blocks))


def _pooled(blocks: Blocks) -> np.ndarray:
    return np.concatenate(list(blocks.values())) if blocks else np.zeros(0)


def _resample(blocks: Blocks, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """(n_boot, n_bases * max_k) children of the two-stage resamples; nan pads short bases."""
    arrays = list(blocks.values())
    sizes = np.asarray([a.size for a in arrays])
    k = int(sizes.max())
    table = np.full((len(arrays), k), np.nan)
    for i, a in enumerate(arrays):
        table[i, :a.size] = a
    drawn = rng.integers(0, len(arrays), size=(n_boot, len(arrays)))
    within = np.floor(rng.random((n_boot, len(arrays), k)) * sizes[drawn][..., None]).astype(int)
    values = table[drawn[..., None], within]
    values[np.arange(k)[None, None, :] >= sizes[drawn][..., None]] = np.nan
    return values.reshape(n_boot, -1)


def _interval(estimate: float, samples: np.ndarray, level: float) -> Interval:
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail])
    return Interval(estimate, float(low), float(high))


def cluster_bootstrap(blocks: Blocks, rng: np.random.Generator, n_boot: int = N_BOOTSTRAP,
                      level: float = CI_LEVEL) -> EffectSizes:
    """The effect sizes of the pooled children with two-stage (base, then child) intervals."""
    blocks = {b: v for b, v in blocks.items() if v.size}
    x = _pooled(blocks)
    nan = Interval(math.nan, math.nan, math.nan)
    if x.size == 0:
        return EffectSizes(0, 0, nan, nan, nan)
    up, down = float(np.mean(x > 0)), float(np.mean(x < 0))
    sample = _resample(blocks, rng, n_boot)
    counted = np.sum(~np.isnan(sample), axis=1)
    with np.errstate(invalid="ignore"):
        ups = np.sum(sample > 0, axis=1) / counted
        downs = np.sum(sample < 0, axis=1) / counted
    return EffectSizes(int(x.size), len(blocks),
                       _interval(float(np.median(x)), np.nanmedian(sample, axis=1), level),
                       _interval(up, ups, level), _interval(up - down, ups - downs, level))


def split_bases(bases: Iterable[str], seed: int) -> tuple[list[str], list[str]]:
    """A deterministic random half of the bases (discovery) and the rest (held out): the sorted
    uids permuted by ``numpy.random.default_rng([seed, 2])``; discovery gets the larger half."""
    uids = sorted(set(bases))
    order = np.random.default_rng([seed, 2]).permutation(len(uids))
    cut = (len(uids) + 1) // 2
    return sorted(uids[i] for i in order[:cut]), sorted(uids[i] for i in order[cut:])
