"""The budget x parent-state map of a budget-map study (issue 24, points 1 and 2).

Unit: the base model. Every number is a median over bases of per-base medians of the scale-free
log error ratio (:func:`nas_ops.analysis.rows.log_error_ratio`; positive = better), over the
rows, on outputs an edit reaches (:func:`cell_rows`), of one group (an operator, or an
operator family), one parent state, one retraining rule and one output (or every output
pooled, ``"all"``):

- ``vs_parent``: child against its parent (the seed paper's reference);
- ``vs_control``: child against its matched control (same cell);
- ``control_drift``: the matched control against the parent, per rule: what retraining alone
  does to an unedited parent (a neutral control has 0; point 2).

**Break-even rule** of a group and parent state: the first rule, in the study's order of
``[study] retrain`` (shortest budget first), from which on the ``vs_parent`` median is >= 0 at
that rule and every longer one; ``never`` when the longest still costs; ``n/a`` when no base
has a measured edit in the group (nothing to break even). Its interval: the
2.5 % and 97.5 % quantiles, over a seeded bootstrap of bases (resampled with replacement, all
of a base's rows together), of the break-even index (``len(rules)`` = never).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nas_ops.analysis.rows import CONTROLS, MATCHED_CONTROL, EffectRow

NEVER = "never"
NO_BASES = "n/a"
ALL = "all"


@dataclass(frozen=True)
class CellRow:
    """One effect row placed in its cell: ``base`` is the base model's uid in the converged
    state (the block), ``state`` and ``rule`` the cell."""

    base: str
    operator: str
    family: str
    output: str
    state: str
    rule: str
    vs_parent: float
    vs_control: float
    child_steps: float


def cell_rows(rows: Sequence[EffectRow], members: Mapping[str, Sequence[str]]) -> list[CellRow]:
    """The rows of ``rows`` whose child the design's ``members`` places in a cell, on outputs
    the edit (or the control's retraining) reaches: an output it leaves frozen is its parent's
    exactly, an effect of 0 by construction that would pull every median to 0."""
    out = []
    for r in rows:
        cell = members.get(r.child)
        if cell is None or not (r.affected or r.retrains_all):
            continue
        out.append(CellRow(r.parent.split(".")[0], r.operator, r.family, r.output, cell[0],
                           cell[1], r.scaled_effect, r.scaled_vs_control, r.child_steps))
    return out


def per_base(rows: Sequence[CellRow], value: str) -> dict[str, float]:
    """base -> median of ``value`` (``vs_parent``, ``vs_control``) over its finite rows."""
    by: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        v = getattr(r, value)
        if math.isfinite(v):
            by[r.base].append(v)
    return {b: float(np.median(v)) for b, v in by.items()}


def break_even_index(medians: Sequence[float]) -> int:
    """The first index from which every median is >= 0 (nan is not); ``len`` when none."""
    index = len(medians)
    for i in range(len(medians) - 1, -1, -1):
        if not medians[i] >= 0.0:
            break
        index = i
    return index


def _medians(table: Mapping[str, Sequence[float]], bases: Sequence[str],
             n_rules: int) -> list[float]:
    out = []
    for j in range(n_rules):
        col = [table[b][j] for b in bases if math.isfinite(table[b][j])]
        out.append(float(np.median(col)) if col else math.nan)
    return out


@dataclass(frozen=True)
class BreakEven:
    """The break-even rule of one group and parent state (module docstring); ``medians``: the
    ``vs_parent`` median per rule; ``share``: per rule (and ``never``), the fraction of bootstrap
    replicates whose break-even it is."""

    rule: str
    low: str
    high: str
    medians: list[float]
    share: dict[str, float]
    bases: int

    def to_dict(self) -> dict[str, Any]:
        return {"break_even": self.rule, "interval": [self.low, self.high],
                "medians": self.medians, "bootstrap_share": self.share, "bases": self.bases}


def break_even(table: Mapping[str, Sequence[float]], rules: Sequence[str],
               rng: np.random.Generator, n_boot: int = 2000) -> BreakEven:
    """``table``: base -> the per-base ``vs_parent`` median at each rule (nan where it has
    none), rules in ``rules`` order."""
    names = [*rules, NEVER]
    bases = sorted(table)
    medians = _medians(table, bases, len(rules))
    point = break_even_index(medians)
    if not bases:
        return BreakEven(NO_BASES, NO_BASES, NO_BASES, medians, {}, 0)
    idx = np.empty(n_boot, dtype=int)
    for i in range(n_boot):
        pick = [bases[j] for j in rng.integers(len(bases), size=len(bases))]
        idx[i] = break_even_index(_medians(table, pick, len(rules)))
    low, high = (int(v) for v in np.quantile(idx, [0.025, 0.975], method="inverted_cdf"))
    share = {names[k]: float(np.mean(idx == k)) for k in range(len(names))}
    return BreakEven(names[point], names[low], names[high], medians, share, len(bases))


def _table(rows: Sequence[CellRow], rules: Sequence[str]) -> dict[str, list[float]]:
    cols = [per_base([r for r in rows if r.rule == rule], "vs_parent") for rule in rules]
    bases = sorted(set().union(*cols)) if cols else []
    return {b: [c.get(b, math.nan) for c in cols] for b in bases}


def budget_map(rows: Sequence[CellRow], rules: Sequence[str], states: Sequence[str],
               seed: int = 0, n_boot: int = 2000,
               drift_rules: Sequence[str] | None = None) -> dict[str, Any]:
    """Every number of the map (module docstring): per parent state, per group (``operator``
    and ``family`` keys), per output and ``all``, the medians per rule of the ladder ``rules``
    and the break-even; and the controls' drift per state and rule of ``drift_rules`` (default
    ``rules``; rules a state lacks are left out). Seeded: ``rng`` is keyed by ``seed`` only,
    and the groups are visited in sorted order."""
    rng = np.random.default_rng([seed, 24])
    edits = [r for r in rows if r.operator not in CONTROLS]
    controls = [r for r in rows if r.operator == MATCHED_CONTROL]
    outputs = [*sorted({r.output for r in rows}), ALL]
    out: dict[str, Any] = {"rules": list(rules), "states": list(states), "seed": seed,
                           "n_boot": n_boot, "break_even": {}, "cells": {}, "control_drift": {}}
    for state in states:
        mine = [r for r in edits if r.state == state]
        for kind in ("operator", "family"):
            for group in sorted({getattr(r, kind) for r in mine}):
                for output in outputs:
                    sel = [r for r in mine if getattr(r, kind) == group
                           and output in (ALL, r.output)]
                    key = f"{state}|{kind}|{group}|{output}"
                    out["break_even"][key] = break_even(_table(sel, rules), rules, rng,
                                                        n_boot).to_dict()
                    out["cells"][key] = {rule: _summary([r for r in sel if r.rule == rule])
                                         for rule in rules}
        ctl = [r for r in controls if r.state == state]
        for output in outputs:
            for rule in drift_rules or rules:
                sel = [r for r in ctl if r.rule == rule and output in (ALL, r.output)]
                if sel:
                    out["control_drift"][f"{state}|{rule}|{output}"] = _drift(sel)
    return out


def _summary(rows: Sequence[CellRow]) -> dict[str, Any]:
    parent, control = per_base(rows, "vs_parent"), per_base(rows, "vs_control")
    steps = [r.child_steps for r in rows if math.isfinite(r.child_steps)]
    return {"bases": len(parent), "rows": len(rows),
            "vs_parent": _med(parent.values()), "vs_control": _med(control.values()),
            "child_steps": _med(steps)}


def _drift(rows: Sequence[CellRow]) -> dict[str, Any]:
    """Control minus parent: per-base medians, their median and how many bases are above 0."""
    vals = per_base(rows, "vs_parent")
    return {"bases": len(vals), "median": _med(vals.values()),
            "above_zero": sum(v > 0 for v in vals.values()),
            "below_zero": sum(v < 0 for v in vals.values())}


def _med(values: Any) -> float:
    v = [x for x in values if math.isfinite(x)]
    return float(np.median(v)) if v else math.nan


def neutral_rules(drift: Mapping[str, Any], state: str, rules: Sequence[str],
                  output: str = ALL) -> list[str]:
    """Of ``rules``, those whose control drift (``budget_map(...)["control_drift"]``) on
    parents in ``state`` is closest to 0 on ``output``: every one that ties, in ``rules``
    order; empty when none was measured."""
    scored = {rule: abs(d["median"]) for rule in rules
              if math.isfinite((d := drift.get(f"{state}|{rule}|{output}", {})).get(
                  "median", math.nan))}
    best = min(scored.values(), default=math.nan)
    return [rule for rule, s in scored.items() if s == best]


def neutral_rule(drift: Mapping[str, Any], state: str, rules: Sequence[str],
                 output: str = ALL) -> str | None:
    """The first of :func:`neutral_rules` (None when none was measured)."""
    tied = neutral_rules(drift, state, rules, output)
    return tied[0] if tied else None
