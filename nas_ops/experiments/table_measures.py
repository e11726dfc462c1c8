"""Measures of the table reproduction study from its records (docs/tables-results.md).

Per (table, arm, budget), over seeds:

- ``regret``: the table's best test value minus the test value of the run's pick (the best
  by validation within the budget): the headline, as NAS-Bench papers report it;
- ``regret_val``: the test value of the table's best-by-validation architecture minus the
  pick's (negative when the pick tests better than that one);
- ``top``: 1 when the pick's test value is at least the table's top-0.1 % threshold, else 0;
- ``hv_share``: the hypervolume of everything evaluated within the budget (validation value,
  second objective) over that of the table's true front, with the same reference point.

Each mean has a 95 % percentile-bootstrap interval over seeds; each arm's paired-by-seed
difference from random search has one too. The resampling uses one seeded generator per
(table, arm, budget, measure), so the numbers do not depend on the order they are made in.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MEASURES = ("regret", "regret_val", "top", "hv_share")
N_BOOT = 2000
REFERENCE_ARM = "random"


def values(record: dict[str, Any], fact: dict[str, Any]) -> dict[str, list[float]]:
    """Each measure of one run at each of its budgets (NaN where it picked nothing)."""
    out: dict[str, list[float]] = {m: [] for m in MEASURES}
    for test, hv in zip(record["test"], record["hv"], strict=True):
        if test is None:
            for m in ("regret", "regret_val", "top"):
                out[m].append(float("nan"))
        else:
            out["regret"].append(fact["optimum_test"] - test)
            out["regret_val"].append(fact["best_val_test"] - test)
            out["top"].append(1.0 if test >= fact["top_threshold"] else 0.0)
        out["hv_share"].append(hv / fact["front_hv"])
    return out


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float
    n: int


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32("|".join(map(str, parts)).encode()))


def bootstrap(x: Sequence[float], rng: np.random.Generator, n_boot: int = N_BOOT) -> Estimate:
    """Mean of ``x`` and its 95 % percentile-bootstrap interval (NaNs dropped)."""
    a = np.asarray([v for v in x if v == v], dtype=float)
    if a.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    means = a[rng.integers(a.size, size=(n_boot, a.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(float(a.mean()), float(low), float(high), int(a.size))


def by_run(records: Iterable[dict[str, Any]], facts: dict[str, Any]
           ) -> dict[tuple[str, str], dict[int, dict[str, list[float]]]]:
    """(table, arm) -> seed -> measure -> one value per budget."""
    out: dict[tuple[str, str], dict[int, dict[str, list[float]]]] = {}
    for rec in records:
        out.setdefault((rec["table"], rec["arm"]), {})[rec["seed"]] = values(
            rec, facts[rec["table"]])
    return out


def summarize(records: Iterable[dict[str, Any]], facts: dict[str, Any],
              budgets: Sequence[int]) -> dict[tuple[str, str, int, str], dict[str, Estimate]]:
    """(table, arm, budget, measure) -> {"mean": its estimate, "vs_random": the estimate of the
    paired difference arm - random over the seeds both ran (absent for random itself)}."""
    runs = by_run(records, facts)
    out: dict[tuple[str, str, int, str], dict[str, Estimate]] = {}
    for (table, arm), seeds in sorted(runs.items()):
        ref = runs.get((table, REFERENCE_ARM), {})
        for j, b in enumerate(budgets):
            for m in MEASURES:
                cell = {"mean": bootstrap([seeds[s][m][j] for s in sorted(seeds)],
                                          _rng(table, arm, b, m))}
                if arm != REFERENCE_ARM and ref:
                    common = sorted(set(seeds) & set(ref))
                    cell["vs_random"] = bootstrap(
                        [seeds[s][m][j] - ref[s][m][j] for s in common],
                        _rng(table, arm, b, m, "paired"))
                out[(table, arm, b, m)] = cell
    return out


__all__ = ["MEASURES", "N_BOOT", "REFERENCE_ARM", "Estimate", "bootstrap", "by_run",
           "summarize", "values"]
