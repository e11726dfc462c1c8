"""Which base models are trained well enough to draw rules from.

An edit of an untrained model mostly measures "more training helps". A base counts as *at
chance* when:

- the run records it: the ledger meta ``"bases"`` = {uid: {"converged": bool, "steps": int,
  "chance_level": bool}} (written by studies that train their bases to convergence), else
- its validation accuracy on some classification output with k classes is not above chance
  1/k: at or below the upper end of the central 95% binomial interval of n guesses at 1/k
  (:func:`chance_accuracy_bound`, the same rule the study records), with n the task's ``n_val``
  from the run config when given, else ``DEFAULT_N_VAL`` (500) validation samples.

Bases without a classification output and without meta are never called at chance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from scipy.stats import binom

from nas_ops.analysis.rows import OutputInfo, metric_value
from nas_ops.store.run import Run

DEFAULT_N_VAL = 500


def _n_val(run: Run) -> int:
    value = run.config.task.options.get("n_val")
    return int(value) if isinstance(value, int | float) and value > 0 else DEFAULT_N_VAL


def chance_accuracy_bound(n: int, classes: int) -> float:
    """The accuracy that ``n`` guesses at chance (1 / ``classes``) stay at or below with 97.5 %
    probability: the upper end of the central binomial 95 % interval, as a fraction."""
    return float(binom.ppf(0.975, n, 1.0 / classes)) / n


def at_chance(accuracy: float, n_classes: int, n: int) -> bool:
    """Whether ``accuracy`` on ``n`` samples is not above chance 1/n_classes: at or below the
    upper end of the binomial 95% interval (the rule the study records in ``meta.bases``)."""
    if math.isnan(accuracy) or n_classes < 2:
        return False
    return accuracy <= chance_accuracy_bound(n, n_classes)


def base_status(run: Run, outputs: list[OutputInfo], bases: Iterable[str],
                split: str = "val") -> dict[str, dict[str, Any]]:
    """{base uid: {"chance_level": bool, "converged": bool | None, "steps": int | None,
    "source": "meta" | "binomial"}} for every uid in ``bases``."""
    meta = run.meta.bases
    by_uid = run.by_uid()
    n = _n_val(run)
    status: dict[str, dict[str, Any]] = {}
    for uid in sorted(set(bases)):
        if meta is not None and uid in meta:
            m = meta[uid]
            status[uid] = {"chance_level": bool(m.get("chance_level", False)),
                           "converged": m.get("converged"), "steps": m.get("steps"),
                           "source": "meta"}
            continue
        ind = by_uid.get(uid)
        chance = False
        if ind is not None:
            sizes = {o.id: o.size for o in ind.genome.outputs}
            chance = any(at_chance(metric_value(ind, o, split), sizes.get(o.name, 0), n)
                         for o in outputs if o.kind == "classification")
        steps = ind.evaluation.steps if ind is not None and ind.evaluation else None
        status[uid] = {"chance_level": chance, "converged": None, "steps": steps,
                       "source": "binomial"}
    return status
