"""What the measures of the table study compare against, computed once per table from the
whole table (docs/tables-results.md): the optimum (best test value), the test value of the
architecture with the best validation value (the mean over a tie), the test value an
architecture needs to be in the top 0.1 % by test, and the hypervolume of the table's true
Pareto front of (validation performance, second objective) with the runs' reference point.
The study's results directory keeps them (``tables.json``), so its page needs no table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nas_ops.evaluation.table import row_metrics
from nas_ops.experiments.table_arms import COMPLEXITY, HV_REFERENCE, split
from nas_ops.metrics.hypervolume import hypervolume, reference_for
from nas_ops.tables import get_table

TOP_SHARE = 0.001  # "top 0.1 %"


def columns(table: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validation value, test value and second objective of every row, as records hold them."""
    name, dataset = split(table)
    loaded = get_table(name, dataset)
    cx = COMPLEXITY[name]
    rows = [row_metrics(loaded, r) for r in range(len(loaded))]
    val = np.array([v["class"]["accuracy"] for v, _, _ in rows])
    test = np.array([t["class"]["accuracy"] for _, t, _ in rows])
    second = np.array([float(c[cx]) for _, _, c in rows])
    return val, test, second


def front_hypervolume(val: np.ndarray, second: np.ndarray, table: str) -> float:
    """Hypervolume of every (val, second) point of ``table`` (the dominated ones add nothing),
    in the minimised units and against the reference point of the runs."""
    name = split(table)[0]
    cx = COMPLEXITY[name]
    ref = reference_for(["class", cx], ["accuracy", cx], HV_REFERENCE[name])
    points = [ref.minimised((v, c)) for v, c in zip(val, second, strict=True)]
    return hypervolume(points, ref.point)


def facts(table: str) -> dict[str, Any]:
    val, test, second = columns(table)
    n = len(val)
    k = math.ceil(TOP_SHARE * n)
    best_val = val == val.max()
    return {"architectures": n, "optimum_test": float(test.max()),
            "best_val_test": float(test[best_val].mean()), "best_val_ties": int(best_val.sum()),
            "top_k": k, "top_threshold": float(np.sort(test)[::-1][k - 1]),
            "front_hv": front_hypervolume(val, second, table),
            "second_objective": COMPLEXITY[split(table)[0]],
            "sha256": get_table(*split(table)).sha256}


__all__ = ["TOP_SHARE", "columns", "facts", "front_hypervolume"]
