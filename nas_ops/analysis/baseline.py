"""Operators against the control arm: the comparison a retrain-everything edit needs.

A child is trained again after its parent was, so part of every effect is extra training. With
matched controls (each edit child has a ``matched_control`` twin: same base, same trainable set,
no edit) the primary effect of every edit already is edit minus control, paired within the base.
Ledgers without them have ``retrain_control`` children of each base (every network retrained,
unpaired): each operator is compared, base by base, with the control children of the same base
(see :mod:`nas_ops.analysis.findings`, kind ``versus_control``): per base the median effect of the
operator's children minus that of the control's on the same output, an exact Wilcoxon test of
those per-base differences (discovery half, Holm in the confirmatory family), the median difference
with a base-bootstrap 95% interval, and its replication on the held-out half. Unaffected outputs
(exactly unchanged) take no part.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from nas_ops.analysis.rows import CONTROL
from nas_ops.guidelines_format import regime_text


@dataclass
class ControlComparison:
    operator: str
    output: str
    n: int
    n_control: int
    median_difference: float  # median over bases of (operator median - control median)
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float
    n_bases: int = 0
    discovery: dict[str, Any] = field(default_factory=dict)
    replication: dict[str, Any] = field(default_factory=dict)
    replicated: bool = False
    #: the retraining budget and parent state it holds for (:mod:`nas_ops.analysis.regime`)
    regime: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        if self.median_difference == 0 or math.isnan(self.median_difference):
            return "no different from retraining alone"
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
                f"Wilcoxon over bases p = {self.p_value:.2g}, Holm p = {self.p_adjusted:.2g}; "
                f"n = {self.n} vs {self.n_control} from {self.n_bases} bases; "
                f"{'replicated' if self.replicated else 'not replicated'} on held-out bases)"
                + (f"; {regime_text(self.regime)}" if self.regime else ""))


__all__ = ["CONTROL", "ControlComparison"]
