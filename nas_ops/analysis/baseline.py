"""Operators against the retrain-only control arm of a study.

A child is trained again after its parent was, so part of every effect is extra training. When
a run holds effects of the control operator ``retrain_control`` (``[study] controls``), each
operator's effects on an output are compared with the control's effects on that output: a
two-sided Mann-Whitney U test, Holm-adjusted over all (operator, output) pairs tested, with the
difference of medians and its percentile-bootstrap 95% CI (each sample resampled on its own).
A pair is tested when both sides have at least ``min_support`` effects.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nas_ops.analysis.effects import EffectRow
from nas_ops.analysis.statistics import CI_LEVEL, N_BOOTSTRAP, holm

CONTROL = "retrain_control"


@dataclass
class ControlComparison:
    operator: str
    output: str
    n: int
    n_control: int
    median_difference: float  # median(operator effects) - median(control effects)
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float

    @property
    def direction(self) -> str:
        return "better than retraining alone" if self.median_difference > 0 else \
            "worse than retraining alone"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        d["direction"] = self.direction
        return d

    def text(self) -> str:
        return (f"{self.operator} on {self.output}: {self.direction} by "
                f"{self.median_difference:+.4g} (95% CI {self.ci[0]:+.4g} .. {self.ci[1]:+.4g}; "
                f"Mann-Whitney p = {self.p_value:.2g}, Holm p = {self.p_adjusted:.2g}; "
                f"n = {self.n} vs {self.n_control})")


def _difference_ci(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    ma = np.median(a[rng.integers(0, a.size, size=(N_BOOTSTRAP, a.size))], axis=1)
    mb = np.median(b[rng.integers(0, b.size, size=(N_BOOTSTRAP, b.size))], axis=1)
    tail = (1.0 - CI_LEVEL) / 2.0
    low, high = np.quantile(ma - mb, [tail, 1.0 - tail])
    return float(low), float(high)


def compare_with_control(rows: Sequence[EffectRow], min_support: int, seed: int = 0
                         ) -> list[ControlComparison]:
    """Every (operator, output) with enough effects against the control on that output."""
    from scipy import stats

    effects: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if not math.isnan(r.effect):
            effects.setdefault((r.operator, r.output), []).append(r.effect)
    rng = np.random.default_rng(seed)
    found: list[ControlComparison] = []
    for (op, output), values in sorted(effects.items()):
        control = effects.get((CONTROL, output), [])
        if op == CONTROL or len(values) < min_support or len(control) < min_support:
            continue
        a, b = np.asarray(values), np.asarray(control)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        found.append(ControlComparison(op, output, a.size, b.size,
                                       float(np.median(a) - np.median(b)),
                                       _difference_ci(a, b, rng), p, math.nan))
    for comp, adj in zip(found, holm([c.p_value for c in found]), strict=True):
        comp.p_adjusted = adj
    return found
