"""Measures of the table reproduction study from its records (docs/tables-results.md).

Per (table, arm, budget), over seeds:

- ``regret``: the table's best test value minus the test value of the run's pick (the best
  by validation within the budget): the headline, as NAS-Bench papers report it;
- ``regret_val``: the test value of the table's best-by-validation architecture minus the
  pick's (negative when the pick tests better than that one);
- ``top``: 1 when the pick's test value is at least the table's top-0.1 % threshold, else 0;
- ``hv_share``: the hypervolume of everything evaluated within the budget (validation value,
  second objective) over that of the table's true front, with the same reference point;
- ``found``: 1 when the run evaluated the table's best architecture by selection value (its
  optimum: what the search maximizes) within the budget, else 0 (records with ``hit_val``);
- ``to_opt``: the evaluations it took to evaluate that optimum, censored at the budget
  (``min(hit_val, b)``; a run that never found it counts ``b``).

The policy comparison (docs/tables-policies.md) compares each arm with its own reference arm
(``reference``: arm -> the arm it is paired with, e.g. ``aging:ucb`` -> ``aging:uniform``),
states each arm's *contrast* (:func:`contrast`: the total-variation distance of its pooled mix of
operator choices from its reference arm's) and the *detectable difference* of each paired
comparison (:func:`detectable`).

Each mean has a 95 % percentile-bootstrap interval over seeds; each arm's paired-by-seed
difference from random search has one too. The resampling uses one seeded generator per
(table, arm, budget, measure), so the numbers do not depend on the order they are made in.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MEASURES = ("regret", "regret_val", "top", "hv_share", "found", "to_opt")
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
    hit = record.get("hit_val", "absent")
    for b in record.get("budgets", [None] * len(record["hv"])):
        if hit == "absent" or b is None:
            out["found"].append(float("nan"))
            out["to_opt"].append(float("nan"))
        else:
            out["found"].append(1.0 if hit is not None and hit <= b else 0.0)
            out["to_opt"].append(float(b if hit is None else min(hit, b)))
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


def _random(arm: str) -> str:
    return REFERENCE_ARM


def summarize(records: Iterable[dict[str, Any]], facts: dict[str, Any],
              budgets: Sequence[int], reference: Callable[[str], str] = _random
              ) -> dict[tuple[str, str, int, str], dict[str, Estimate]]:
    """(table, arm, budget, measure) -> {"mean": its estimate, "vs_random": the estimate of the
    paired difference arm - its reference arm (``reference(arm)``; random search by default)
    over the seeds both ran (absent for the reference arm itself)}."""
    runs = by_run(records, facts)
    out: dict[tuple[str, str, int, str], dict[str, Estimate]] = {}
    for (table, arm), seeds in sorted(runs.items()):
        ref_arm = reference(arm)
        ref = runs.get((table, ref_arm), {})
        for j, b in enumerate(budgets):
            for m in MEASURES:
                cell = {"mean": bootstrap([seeds[s][m][j] for s in sorted(seeds)],
                                          _rng(table, arm, b, m))}
                if arm != ref_arm and ref:
                    common = sorted(set(seeds) & set(ref))
                    cell["vs_random"] = bootstrap(
                        [seeds[s][m][j] - ref[s][m][j] for s in common],
                        _rng(table, arm, b, m, "paired"))
                out[(table, arm, b, m)] = cell
    return out


def pooled_mix(records: Iterable[dict[str, Any]], table: str, arm: str,
               by_target: bool) -> dict[str, int]:
    """The choices of ``arm`` on ``table`` over all its runs: operator (or
    ``operator@target``) -> attempts."""
    out: dict[str, int] = {}
    for rec in records:
        if rec["table"] != table or rec["arm"] != arm:
            continue
        for op, per in rec.get("mix", {}).items():
            for target, n in per.items():
                key = f"{op}@{target}" if by_target else op
                out[key] = out.get(key, 0) + n
    return out


def total_variation(p: Mapping[str, int], q: Mapping[str, int]) -> float:
    """Half the L1 distance of two count vectors normalized to distributions (NaN if one is
    empty)."""
    sp, sq = sum(p.values()), sum(q.values())
    if sp == 0 or sq == 0:
        return float("nan")
    return 0.5 * sum(abs(p.get(k, 0) / sp - q.get(k, 0) / sq) for k in set(p) | set(q))


def contrast(records: Sequence[dict[str, Any]], table: str, arm: str, ref_arm: str
             ) -> dict[str, float]:
    """Total-variation distance of ``arm``'s pooled mix of choices from ``ref_arm``'s on
    ``table``: over operators, and over (operator, target) pairs."""
    return {key: total_variation(pooled_mix(records, table, arm, by_target),
                                 pooled_mix(records, table, ref_arm, by_target))
            for key, by_target in (("operator", False), ("target", True))}


def paired_differences(records: Iterable[dict[str, Any]], facts: dict[str, Any],
                       budgets: Sequence[int], reference: Callable[[str], str]
                       ) -> dict[tuple[str, str, int, str], np.ndarray]:
    """(table, arm, budget, measure) -> the per-seed differences arm - ``reference(arm)`` over
    the seeds both ran (NaNs dropped), for every arm but the references."""
    runs = by_run(records, facts)
    out: dict[tuple[str, str, int, str], np.ndarray] = {}
    for (table, arm), seeds in sorted(runs.items()):
        ref_arm = reference(arm)
        ref = runs.get((table, ref_arm), {})
        if arm == ref_arm or not ref:
            continue
        common = sorted(set(seeds) & set(ref))
        for j, b in enumerate(budgets):
            for m in MEASURES:
                d = np.array([seeds[s][m][j] - ref[s][m][j] for s in common], dtype=float)
                out[(table, arm, b, m)] = d[~np.isnan(d)]
    return out


def detectable(records: Iterable[dict[str, Any]], facts: dict[str, Any],
               budgets: Sequence[int], reference: Callable[[str], str], alpha: float = 0.05,
               ) -> dict[tuple[str, str, int, str], tuple[int, float]]:
    """(table, arm, budget, measure) -> (pairs, the smallest mean paired difference found with
    80 % power at ``alpha``: :func:`~nas_ops.analysis.power.detectable_effect` of the pairs
    times the observed standard deviation of the differences)."""
    from nas_ops.analysis.power import detectable_effect

    out: dict[tuple[str, str, int, str], tuple[int, float]] = {}
    for cell, d in paired_differences(records, facts, budgets, reference).items():
        effect = detectable_effect(int(d.size), alpha) if d.size > 1 else math.inf
        # too few pairs: none is found, whatever the spread (inf, not inf * 0)
        out[cell] = (int(d.size), effect * float(d.std(ddof=1))
                     if math.isfinite(effect) else math.inf)
    return out


def paired_p(records: Iterable[dict[str, Any]], facts: dict[str, Any],
             budgets: Sequence[int], reference: Callable[[str], str]
             ) -> dict[tuple[str, str, int, str], float]:
    """(table, arm, budget, measure) -> the two-sided p-value of the paired t-test of the mean
    difference against 0 (NaN with fewer than 2 pairs or no spread: every pair equal)."""
    from scipy import stats

    out: dict[tuple[str, str, int, str], float] = {}
    for cell, d in paired_differences(records, facts, budgets, reference).items():
        if d.size < 2 or float(d.std()) == 0.0:
            out[cell] = math.nan
        else:
            out[cell] = float(stats.ttest_1samp(d, 0.0).pvalue)
    return out


__all__ = ["MEASURES", "N_BOOT", "REFERENCE_ARM", "Estimate", "bootstrap", "by_run",
           "contrast", "detectable", "paired_differences", "paired_p", "pooled_mix", "summarize",
           "total_variation", "values"]
