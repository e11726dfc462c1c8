"""Guidelines: explicit rules derived from the measured effects, with their evidence.

A cell is (condition, level, operator, output); the unconditioned cells have condition and level
``"all"``. A cell is *tested* when it has at least ``min_support`` effects (default
``MIN_SUPPORT`` = 10) and a Wilcoxon p-value (at least one non-zero effect). The p-values of all
tested cells are Holm-adjusted together (one family), and a cell with adjusted p < ``alpha``
(default 0.05) becomes a rule: "under <condition = level>, <operator> <improves|worsens>
<output> by <median> (95% CI), at a median cost of <d parameters> parameters". The direction is
the sign of the median effect (of Cliff's delta when the median is 0).

Cells below ``min_support`` are listed as ``insufficient``; tested cells that miss significance
as ``not_significant``; nothing is dropped silently.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from nas_ops.analysis.baseline import CONTROL, ControlComparison
from nas_ops.analysis.statistics import CellStats, holm

GUIDELINES_VERSION = 1
MIN_SUPPORT = 10
ALPHA = 0.05


@dataclass
class Rule:
    condition: str
    level: str
    operator: str
    output: str
    direction: str
    expected_effect: float
    ci: tuple[float, float]
    p_value: float
    p_adjusted: float
    support: int
    p_improve: float
    cliffs_delta: float
    complexity_cost: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["ci"] = list(self.ci)
        return d

    def text(self) -> str:
        where = "always" if self.condition == "all" else f"when {self.condition} = {self.level}"
        return (f"{where}: {self.operator} {self.direction} {self.output} by "
                f"{self.expected_effect:+.4g} (95% CI {self.ci[0]:+.4g} .. {self.ci[1]:+.4g}; "
                f"p = {self.p_value:.2g}, Holm p = {self.p_adjusted:.2g}; n = {self.support}; "
                f"P(improve) = {self.p_improve:.2f}; median parameter change "
                f"{self.complexity_cost:+.0f})")


@dataclass
class Guidelines:
    alpha: float
    min_support: int
    n_cells: int
    n_tested: int
    rules: list[Rule] = field(default_factory=list)
    not_significant: list[dict[str, Any]] = field(default_factory=list)
    insufficient: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    versus_control: list[ControlComparison] = field(default_factory=list)

    @property
    def control_rules(self) -> list[ControlComparison]:
        """Operators significantly better or worse than retraining alone (Holm, alpha)."""
        return [c for c in self.versus_control if c.p_adjusted < self.alpha]

    @property
    def verdict(self) -> str:
        """One plain sentence on the strength of the evidence."""
        if self.n_tested == 0:
            return (f"Insufficient evidence: no cell has n >= {self.min_support} effects "
                    f"({self.n_cells} cells); no rule can be derived.")
        if not self.rules:
            return (f"No rule reaches significance: {self.n_tested} cells tested with "
                    f"n >= {self.min_support}, alpha = {self.alpha} after Holm correction.")
        return (f"{len(self.rules)} rule(s) significant at alpha = {self.alpha} after Holm "
                f"correction over {self.n_tested} tested cells (n >= {self.min_support}).")

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "nas-ops-guidelines", "version": GUIDELINES_VERSION,
            "source": self.source,
            "method": {"effect": "child - parent on the output's primary validation metric, "
                                 "signed so that positive = better",
                       "test": "two-sided one-sample Wilcoxon signed-rank vs 0 (zeros dropped)",
                       "correction": "holm over all tested cells", "alpha": self.alpha,
                       "min_support": self.min_support,
                       "ci": "percentile bootstrap 95% CI of the median"},
            "verdict": self.verdict, "n_cells": self.n_cells, "n_tested": self.n_tested,
            "rules": [r.to_dict() for r in self.rules],
            "versus_control": {
                "control": CONTROL,
                "method": "two-sided Mann-Whitney U of the operator's effects vs the "
                          "retrain-only control's on the same output, Holm over all pairs; "
                          "difference of medians with a percentile bootstrap 95% CI",
                "tested": len(self.versus_control),
                "rules": [c.to_dict() for c in self.control_rules],
                "all": [c.to_dict() for c in self.versus_control]},
            "not_significant": self.not_significant, "insufficient": self.insufficient,
        }

    def to_json(self) -> str:
        return json.dumps(_finite(self.to_dict()), indent=2, sort_keys=False)

    def text(self) -> str:
        lines = ["Operator guidelines", "", self.verdict, ""]
        lines += [f"- {r.text()}" for r in self.rules]
        if self.versus_control:
            lines += ["", f"Against retraining alone ({CONTROL}): {len(self.control_rules)} of "
                      f"{len(self.versus_control)} tested operator x output pair(s) differ "
                      f"significantly (alpha = {self.alpha}, Holm)."]
            lines += [f"- {c.text()}" for c in self.control_rules]
        else:
            lines += ["", f"No control arm with n >= {self.min_support} ({CONTROL}): effects "
                      "include the extra training a child receives; see docs/search.md."]
        if self.insufficient:
            lines += ["", f"Insufficient evidence (n < {self.min_support}): "
                      f"{len(self.insufficient)} cell(s)."]
        if self.not_significant:
            lines += [f"Tested, not significant: {len(self.not_significant)} cell(s)."]
        return "\n".join(lines) + "\n"


def _finite(obj: Any) -> Any:
    """JSON has no nan: replace non-finite floats by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _cell_ref(c: CellStats, **extra: Any) -> dict[str, Any]:
    return {"condition": c.condition, "level": c.level, "operator": c.operator,
            "output": c.output, "support": c.n, "median": c.median, **extra}


def _direction(c: CellStats) -> str:
    sign = c.median if c.median != 0 else c.cliffs_delta
    return "improves" if sign > 0 else "worsens"


def derive_guidelines(cells: Sequence[CellStats], alpha: float = ALPHA,
                      min_support: int = MIN_SUPPORT,
                      source: dict[str, Any] | None = None) -> Guidelines:
    """Rules from unconditioned and conditioned cells (see the module docstring)."""
    tested = [c for c in cells if c.n >= min_support and not math.isnan(c.p_value)]
    adjusted = holm([c.p_value for c in tested])
    tested_ids = {id(c) for c in tested}
    g = Guidelines(alpha, min_support, len(cells), len(tested), source=dict(source or {}))
    g.insufficient = [_cell_ref(c, reason=f"n = {c.n} < {min_support}" if c.n < min_support
                                else "every effect is exactly 0")
                      for c in cells if id(c) not in tested_ids]
    for c, p_adj in zip(tested, adjusted, strict=True):
        if p_adj < alpha:
            g.rules.append(Rule(c.condition, c.level, c.operator, c.output, _direction(c),
                                c.median, (c.ci_low, c.ci_high), c.p_value, p_adj, c.n,
                                c.p_improve, c.cliffs_delta, c.median_d_parameters))
        else:
            g.not_significant.append(_cell_ref(c, p_value=c.p_value, p_adjusted=p_adj))
    g.rules.sort(key=lambda r: (r.p_adjusted, r.condition, r.level, r.operator, r.output))
    return g
