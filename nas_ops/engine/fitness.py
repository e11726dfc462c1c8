"""Objectives of an evaluated genome, DEAP fitness classes, and the scalarization.

Objectives are, in task output order, each output's primary validation metric, then (unless
disabled) the complexity objective. A failed evaluation gets the worst value of every objective.
The scalarization (used by (mu+lambda), aging evolution and the adaptive policy) maps each output
to a score where higher is better: accuracy as is; an error metric ``m`` to ``-log10(m) / 4``
(so 1e-2 -> 0.5, 1e-4 -> 1.0); the weighted mean over outputs is the scalar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from nas_ops.metrics.hypervolume import Reference, reference_for
from nas_ops.pareto import Member, fitness_class
from nas_ops.records import EvalRecord
from nas_ops.tasks.base import OutputSpec

__all__ = ["Member", "WORST_COMPLEXITY", "WORST_ERROR", "fitness_class", "hv_reference",
           "objective_weights", "objectives", "output_score", "scalar"]

WORST_ERROR = 1e6
WORST_COMPLEXITY = 1e12


def objective_weights(outputs: Sequence[OutputSpec], complexity: str) -> tuple[float, ...]:
    signs = [1.0 if o.higher_is_better else -1.0 for o in outputs]
    return tuple(signs + ([] if complexity == "none" else [-1.0]))


def hv_reference(outputs: Sequence[OutputSpec], complexity: str,
                 overrides: dict[str, float] | None = None) -> Reference:
    """The hypervolume reference of a run's objectives (each output's primary metric, then the
    complexity objective unless "none"): ``overrides`` (search.hv_reference) over the defaults."""
    names = [o.name for o in outputs] + ([] if complexity == "none" else [complexity])
    metrics = [o.primary_metric for o in outputs] + ([] if complexity == "none" else [complexity])
    return reference_for(names, metrics, overrides)


def objectives(record: EvalRecord, outputs: Sequence[OutputSpec],
               complexity: str) -> list[float]:
    values = []
    for spec in outputs:
        metric = record.val.get(spec.name, {}).get(spec.primary_metric) if record.ok else None
        if metric is None or not math.isfinite(metric):
            metric = 0.0 if spec.higher_is_better else WORST_ERROR
        values.append(float(metric))
    if complexity != "none":
        values.append(float(record.complexity.get(complexity, WORST_COMPLEXITY))
                      if record.ok else WORST_COMPLEXITY)
    return values


def output_score(spec: OutputSpec, value: float) -> float:
    if spec.higher_is_better:
        return value
    return -math.log10(max(value, 1e-12)) / 4.0


def scalar(values: Sequence[float], outputs: Sequence[OutputSpec],
           output_weights: dict[str, float] | None = None) -> float:
    weights = output_weights or {}
    total = norm = 0.0
    for spec, value in zip(outputs, values, strict=False):
        w = weights.get(spec.name, 1.0)
        total += w * output_score(spec, value)
        norm += w
    return total / norm if norm else 0.0
