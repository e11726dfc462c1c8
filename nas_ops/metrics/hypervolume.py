"""Hypervolume of a search's objective vectors, against a reference point fixed per task.

Every objective is first turned into one to minimise (:func:`minimised`): accuracy becomes the
class error ``1 - accuracy`` (a generation output ranked by sample ``precision`` or ``recall``:
``1 -`` that), an error metric (``mse``, ``recon_mse``, ``frechet``) stays as it is, parameters,
FLOPs and a table's latency (``latency_us``) become their ``log10``, the number of networks stays
as it is. The reference point bounds the region that counts; a point that does not lie strictly
inside the reference box (in every objective) contributes nothing, so failed evaluations (stored
with the worst values) never count. Default reference values, per objective metric
(:data:`DEFAULT_REFERENCE`): class error 1, every MSE objective 0.05 (a cap: a model worse than
that on an output is no trade-off worth keeping), log10 parameters 6 (one million), log10 FLOPs
8, log10 latency_us 6 (one second), networks 16; a Frechet distance 100 (mnist1d: real held-out
signals ~7.5, Gaussian noise ~57), 1 - precision or 1 - recall 1. For the quickstart task (class
accuracy, histogram mse, reconstruction recon_mse, parameters) that is (1, 0.05, 0.05, 6).
``[search] hv_reference = {<output or complexity name> = value}`` overrides single values (in the
minimised units above). The hypervolume itself is computed by ``moocore`` (imported on first
use).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nas_ops.errors import ConfigError
from nas_ops.pareto import weakly_dominates
from nas_ops.records import HvPoint

DEFAULT_REFERENCE: dict[str, float] = {"accuracy": 1.0, "mse": 0.05, "recon_mse": 0.05,
                                       "parameters": 6.0, "flops": 8.0, "networks": 16.0,
                                       "frechet": 100.0, "precision": 1.0, "recall": 1.0,
                                       "latency_us": 6.0}
_LOG10 = ("parameters", "flops", "latency_us")
_SCORES = ("accuracy", "precision", "recall")  # in [0, 1], higher is better


def minimised(metric: str, value: float) -> float:
    """``value`` of an objective measured as ``metric``, as a value to minimise."""
    if metric in _SCORES:
        return 1.0 - value
    if metric in _LOG10:
        return math.log10(max(value, 1.0))
    return value


@dataclass(frozen=True)
class Reference:
    """The objectives a hypervolume is measured over (``names``: output names, then the
    complexity objective's name; ``metrics``: what each is measured as) and the reference point
    in minimised units."""

    names: tuple[str, ...]
    metrics: tuple[str, ...]
    point: tuple[float, ...]

    def minimised(self, values: Sequence[float]) -> tuple[float, ...]:
        """Stored objective values (``Individual.objectives``) as a point to minimise."""
        return tuple(minimised(m, float(v)) for m, v in zip(self.metrics, values, strict=True))

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), "metrics": list(self.metrics),
                "point": list(self.point)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reference:
        return cls(tuple(data["names"]), tuple(data["metrics"]),
                   tuple(float(v) for v in data["point"]))


def reference_for(names: Sequence[str], metrics: Sequence[str],
                  overrides: Mapping[str, float] | None = None) -> Reference:
    """The reference point of objectives ``names`` measured as ``metrics``: the default of each
    metric, or the value ``overrides`` gives for that name."""
    overrides = overrides or {}
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise ConfigError(f"search.hv_reference names {', '.join(map(repr, unknown))}, not an "
                          f"objective of this run; valid: {', '.join(names)}")
    point = []
    for name, metric in zip(names, metrics, strict=True):
        if name in overrides:
            point.append(float(overrides[name]))
        elif metric in DEFAULT_REFERENCE:
            point.append(DEFAULT_REFERENCE[metric])
        else:
            raise ConfigError(f"objective {name!r} ({metric}) has no default hypervolume "
                              f"reference; set search.hv_reference.{name}")
    return Reference(tuple(names), tuple(metrics), tuple(point))


def inside(point: Sequence[float], ref: Sequence[float]) -> bool:
    """Whether ``point`` lies strictly inside the reference box (so it can add volume)."""
    return all(math.isfinite(p) and p < r for p, r in zip(point, ref, strict=True))


def hypervolume(points: Iterable[Sequence[float]], ref: Sequence[float]) -> float:
    """The volume dominated by ``points`` (to minimise) and bounded by ``ref``; points outside
    the reference box contribute nothing; no point inside is 0.0."""
    kept = [tuple(p) for p in points if inside(p, ref)]
    if not kept:
        return 0.0
    if len(ref) == 1:
        return float(ref[0] - min(p[0] for p in kept))
    import moocore  # lazily: its import takes half a second, and reading a ledger needs none

    return float(moocore.hypervolume(np.asarray(kept, dtype=float),
                                     ref=np.asarray(ref, dtype=float)))




class Tracker:
    """The hypervolume after every evaluation, updated incrementally: it keeps the
    non-dominated points inside the reference box and recomputes only when one is added."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        self.front: list[tuple[float, ...]] = []
        self.value = 0.0
        self.evals = self.steps = 0
        self._minimise = (-1.0,) * len(reference.point)

    def add(self, uid: str, values: Sequence[float] | None, steps: int) -> HvPoint:
        """Settle one evaluation: its stored objective values (None when it has none usable)
        and the optimizer steps it trained (0 for a duplicate)."""
        self.evals += 1
        self.steps += int(steps)
        if values is not None:
            point = self.reference.minimised(values)
            ref = self.reference.point
            low = self._minimise
            if inside(point, ref) and not any(weakly_dominates(p, point, low)
                                              for p in self.front):
                self.front = [p for p in self.front
                              if not weakly_dominates(point, p, low)] + [point]
                self.value = hypervolume(self.front, ref)
        return HvPoint(self.evals - 1, uid, self.evals, self.steps, self.value)


def curve(reference: Reference,
          evaluations: Iterable[tuple[str, str, Sequence[float], int]]) -> list[HvPoint]:
    """The hypervolume curve of evaluations ``(uid, status, objectives, steps)`` in the order
    the run settled them (how a ledger without a hypervolume table gets its curve)."""
    tracker = Tracker(reference)
    return [tracker.add(uid, values if status in ("ok", "duplicate") else None,
                        0 if status == "duplicate" else steps)
            for uid, status, values, steps in evaluations]
