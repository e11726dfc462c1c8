"""Pareto dominance, non-dominated fronts and ranks: the one home of these (no torch).

A point *dominates* another when it is no worse in every objective and better in at least one;
it *weakly dominates* it when it is no worse in every objective. Objectives are maximised or
minimised by their ``weights``, DEAP's convention: each value is multiplied by its weight
(+1.0: maximise, -1.0: minimise) and the products are maximised; ``weights=None`` means the
values are already signed that way (every objective maximised). ``-inf`` is the worst signed
value and ties with itself; NaN is refused.

:func:`front_ranks` gives the front of every point (0 = non-dominated), the ranks
``deap.tools.sortLogNondominated`` gives, equal points sharing a front. It sorts the distinct
points lexicographically, so that a point's dominators all come before it, and places them in
that order, each in the first front that holds none of its dominators, found by bisection. With
two objectives that is a sweep over the second objective; with more, each point's dominators are
a bit set built one objective at a time (O(m n^2 / 64) word operations). See
benchmarks/pareto_ranks.py for the cost (a few ms at 2,000 points of 4 objectives; DEAP's
sort takes about a hundred times longer).

The search summary, the pre-filter, the hypervolume tracker, the report and
``Run.pareto_front`` rank with these, so they agree on what is non-dominated. NSGA-II's survivor
selection stays DEAP's ``selNSGA2`` (whose fronts are the same), on the fitness classes and
members defined here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Literal

import numpy as np
from deap import base

Weights = Sequence[float]


def fitness_class(weights: tuple[float, ...]) -> type[base.Fitness]:
    """A ``deap.base.Fitness`` subclass for these weights (local, no ``creator`` globals):
    +1.0 for an objective to maximize, -1.0 for one to minimize."""
    return type("RunFitness", (base.Fitness,), {"weights": weights})


class Member:
    """What DEAP's selection tools see: a uid with a fitness."""

    __slots__ = ("uid", "fitness")

    def __init__(self, uid: str, values: Sequence[float], fitness_cls: type[base.Fitness]):
        self.uid = uid
        self.fitness = fitness_cls(tuple(values))


def weights_of(higher_is_better: Sequence[bool]) -> tuple[float, ...]:
    """The weights of objectives to maximise (True) or minimise (False)."""
    return tuple(1.0 if h else -1.0 for h in higher_is_better)


def weakly_dominates(a: Sequence[float], b: Sequence[float],
                     weights: Weights | None = None) -> bool:
    """``a`` is no worse than ``b`` in every objective (an equal point counts)."""
    if weights is None:
        return all(x >= y for x, y in zip(a, b, strict=True))
    return all(x * w >= y * w for x, y, w in zip(a, b, weights, strict=True))


def dominates(a: Sequence[float], b: Sequence[float], weights: Weights | None = None) -> bool:
    """``a`` is no worse than ``b`` in every objective and better in at least one."""
    signs = (1.0,) * len(a) if weights is None else weights
    better = False
    for x, y, w in zip(a, b, signs, strict=True):
        if x * w < y * w:
            return False
        better = better or x * w > y * w
    return better


def _signed(values: Sequence[Sequence[float]] | np.ndarray,
            weights: Weights | None) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"expected one row of objective values per point, got shape "
                         f"{arr.shape}")
    if weights is not None:
        if len(weights) != arr.shape[1]:
            raise ValueError(f"{len(weights)} weights for {arr.shape[1]} objectives")
        arr = arr * np.asarray(weights, dtype=float)
    if np.isnan(arr).any():
        raise ValueError("objective values contain NaN; Pareto ranks need comparable values")
    return arr


def _distinct(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows, lexicographically descending, and the position of every row's."""
    order = np.lexsort(arr.T[::-1])[::-1]
    rows = arr[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = np.any(rows[1:] != rows[:-1], axis=1)
    group = np.cumsum(new) - 1
    where = np.empty(len(arr), dtype=np.intp)
    where[order] = group
    return rows[new], where


def _dominators(points: np.ndarray) -> list[int]:
    """For distinct points in lexicographically descending order, the points before each one
    that dominate it, as a Python int (bit j = point j; bits of later points are noise). Any
    earlier point is no worse in the first objective, so those no worse in all the others are
    its dominators."""
    n, m = points.shape
    if m == 1:
        return [-1] * n  # every earlier point is better
    words = (n + 63) // 64
    idx = np.arange(n)
    bit = np.left_shift(np.uint64(1), (idx & 63).astype(np.uint64))
    one, upto, dom = (np.empty((words, n), dtype=np.uint64) for _ in range(3))
    at = np.empty(n, dtype=np.intp)
    for k in range(1, m):  # buffers are reused: fresh large arrays cost more than the work
        order = np.argsort(-points[:, k], kind="stable")  # best first
        best_first = -points[order, k]
        one.fill(0)
        one[order >> 6, idx] = bit[order]
        np.bitwise_or.accumulate(one, axis=1, out=upto)  # column r: the r + 1 best points
        at[order] = np.searchsorted(best_first, best_first, side="right") - 1  # ties: all
        if k == 1:
            np.take(upto, at, axis=1, out=dom, mode="clip")
        else:
            np.take(upto, at, axis=1, out=one, mode="clip")
            np.bitwise_and(dom, one, out=dom)
    by_point = np.empty((n, words), dtype="<u8")
    np.copyto(by_point, dom.T)
    rows = by_point.view(f"V{8 * words}").ravel().tolist()
    little: Literal["little"] = "little"
    return list(map(int.from_bytes, rows, repeat(little)))


def _sweep(points: np.ndarray) -> list[int]:
    """Fronts of distinct points of two objectives, lexicographically descending: a point's
    dominators are the earlier points no worse in the second objective. The best second value
    placed in each front falls from front to front, so the first front without a dominator is
    found by bisection on those values."""
    lows: list[float] = []  # minus the best second value placed in each front: ascending
    rank = []
    for y in (-points[:, 1]).tolist():
        k = bisect_right(lows, y)  # the fronts holding a point no worse than this one
        if k == len(lows):
            lows.append(y)
        else:
            lows[k] = y
        rank.append(k)
    return rank


def _placed(points: np.ndarray) -> list[int]:
    """Fronts of distinct points, lexicographically descending: each point goes to the first
    front without one of its dominators (those fronts are a prefix: found by bisection)."""
    fronts: list[int] = []  # the points placed in each front so far, as bit sets
    rank = []
    for p, dom in enumerate(_dominators(points)):
        lo, hi = 0, len(fronts)
        while lo < hi:
            mid = (lo + hi) // 2
            if dom & fronts[mid]:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(fronts):
            fronts.append(1 << p)
        else:
            fronts[lo] |= 1 << p
        rank.append(lo)
    return rank


def front_ranks(values: Sequence[Sequence[float]] | np.ndarray,
                weights: Weights | None = None) -> list[int]:
    """The non-dominated front of every point (0 = non-dominated; front k + 1 holds the points
    dominated only by points of fronts 0 .. k); equal points share their front."""
    if len(values) == 0:
        return []
    if all(isinstance(v, tuple | list) and not v for v in values):  # records without objectives
        return [0] * len(values)
    arr = _signed(values, weights)
    if arr.shape[1] == 0:
        return [0] * len(arr)
    points, where = _distinct(arr)
    rank = _sweep(points) if arr.shape[1] == 2 else _placed(points)
    return [rank[w] for w in where.tolist()]


def pareto_ranks(values: Mapping[str, Sequence[float]],
                 weights: Weights | None = None) -> dict[str, int]:
    """The front (0 = non-dominated) of every uid of ``values`` (uid -> objective values)."""
    return dict(zip(values, front_ranks(list(values.values()), weights), strict=True))


def non_dominated(values: Sequence[Sequence[float]] | np.ndarray,
                  weights: Weights | None = None) -> list[bool]:
    """Whether each point is in the first front."""
    return [r == 0 for r in front_ranks(values, weights)]


def first_front(values: Mapping[str, Sequence[float]], weights: Weights | None) -> list[str]:
    """The uids (sorted) of the first non-dominated front of ``values`` (uid -> objective
    values), each objective maximized (weight +1.0) or minimized (-1.0)."""
    return sorted(u for u, r in pareto_ranks(values, weights).items() if r == 0)
