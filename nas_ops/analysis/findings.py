"""The two families of findings: candidates, their corrections, discovery and replication.

A *candidate* is one thing the guidelines could claim, with its effects as :data:`Blocks`:

- ``effect`` (condition, level, operator, output): the tested rows of the cell (affected output,
  base not at chance unless allowed) against zero; against the matched control when the ledger
  has matched controls (the primary effect). Control operators are never candidates, nor are
  edits that retrain every network without a matched control: those are judged against the
  control arm only.
- ``versus_control`` (operator, output), only without matched controls: per base, the median
  effect of the operator's children minus the median effect of the base's ``retrain_control``
  children on the same output, both from the same base, so the comparison is blocked on the base.

Cells whose tested children are the same set (e.g. "all" and "affected = affected") form one
candidate, listed once with every condition it holds under (``also``). The bases are split
(:func:`~nas_ops.analysis.blocks.split_bases`) into a discovery and a held-out half. Each
candidate with at least ``min_support`` children and a discovery p-value is *tested* (exact
Wilcoxon p on the discovery bases) in one of two families:

- **confirmatory** (:data:`CONFIRMATORY`): the operator x output cells over every base
  (condition ``all``) and the versus-control pairs: the cells a study is sized for
  (docs/study-design.md, K = operators x outputs). Holm over exactly these: each rule is a
  claim a reader acts on alone, so the guarantee wanted is that with probability >= 1 - alpha
  *no* rule is false (family-wise error). Its findings are the *rules*.
- **exploratory** (:data:`EXPLORATORY`): the same cells under one level of a condition
  (relevance, worst_output, size, distance, affected). They overlap the confirmatory cells and
  each other, and no study is sized for them; Benjamini-Hochberg at q = alpha over them bounds
  the expected share of false discoveries. Their findings are hypotheses to confirm in a study
  of their own, never rules.

A tested candidate whose adjusted p (Holm p, or BH q) is < alpha is a *finding*; it
*replicates* when its held-out median has the discovery median's sign and its held-out
cluster-bootstrap 95% interval excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nas_ops.analysis.blocks import (
    N_BOOTSTRAP,
    Blocks,
    blocked_p,
    cluster_bootstrap,
    make_blocks,
    median,
    n_children,
    subset,
)
from nas_ops.analysis.conditions import CONDITIONS
from nas_ops.analysis.rows import CONTROL, CONTROLS, EffectRow
from nas_ops.analysis.statistics import benjamini_hochberg, holm, test_blocks, tested_rows

CONFIRMATORY = "confirmatory"
EXPLORATORY = "exploratory"
#: how each family is corrected
CORRECTION = {CONFIRMATORY: "holm", EXPLORATORY: "benjamini-hochberg"}


@dataclass
class Candidate:
    kind: str  # "effect" or "versus_control"
    condition: str
    level: str
    operator: str
    output: str
    blocks: Blocks  # what the test uses (scaled where possible), per base
    absolute: Blocks  # the absolute effects (differences for versus_control), per base
    n: int  # children of the operator
    n_control: int = 0
    complexity_cost: float = math.nan  # median parameter change of the children
    matched: bool = False  # the effects are edit minus matched control
    also: list[str] = field(default_factory=list)
    p_value: float = math.nan
    p_adjusted: float = math.nan
    discovery: dict[str, Any] = field(default_factory=dict)
    replication: dict[str, Any] = field(default_factory=dict)
    replicated: bool = False
    rows: list[EffectRow] = field(default_factory=list)  # the tested rows (effect candidates)

    @property
    def family(self) -> str:
        """:data:`CONFIRMATORY` for an operator x output cell over every base (or a
        versus-control pair), :data:`EXPLORATORY` for a cell under a condition level."""
        return CONFIRMATORY if self.condition == "all" else EXPLORATORY

    @property
    def where(self) -> str:
        return "always" if self.condition == "all" else f"{self.condition} = {self.level}"


def _effect_candidates(rows: Sequence[EffectRow]) -> list[Candidate]:
    usable = [r for r in tested_rows(rows) if r.operator not in CONTROLS
              and (r.control is not None or not r.retrains_all)]
    seen: dict[tuple[str, str, frozenset[str]], Candidate] = {}
    out: list[Candidate] = []
    levels = [("all", "all", lambda r: "all")] + [
        (name, level, level_of) for name, (level_of, lvls) in CONDITIONS.items()
        for level in lvls]
    for name, level, level_of in levels:
        cells: dict[tuple[str, str], list[EffectRow]] = {}
        for r in usable:
            if level_of(r) == level:
                cells.setdefault((r.operator, r.output), []).append(r)
        for (op, output), cell in sorted(cells.items()):
            key = (op, output, frozenset(r.child for r in cell))
            if key in seen:
                seen[key].also.append(f"{name} = {level}")
                continue
            params = [r.d_parameters for r in cell if not math.isnan(r.d_parameters)]
            cand = Candidate("effect", name, level, op, output, test_blocks(cell),
                             make_blocks((r.base, r.primary(False)) for r in cell), len(cell),
                             complexity_cost=float(np.median(params)) if params else math.nan,
                             matched=any(r.control is not None for r in cell), rows=cell)
            seen[key] = cand
            out.append(cand)
    return out


def _per_base_median(rows: Sequence[EffectRow], scaled: bool) -> dict[str, float]:
    blocks = make_blocks((r.base, r.scaled_effect if scaled else r.effect) for r in rows)
    return {b: median(v) for b, v in blocks.items()}


def _control_candidates(rows: Sequence[EffectRow]) -> list[Candidate]:
    if any(r.control is not None for r in rows):
        return []  # matched controls: the primary effect already is edit minus control
    tested = tested_rows(rows)
    control = [r for r in tested if r.operator == CONTROL]
    if not control:
        return []  # no control arm: nothing to compare with
    out: list[Candidate] = []
    cells: dict[tuple[str, str], list[EffectRow]] = {}
    for r in tested:
        if r.operator not in CONTROLS:
            cells.setdefault((r.operator, r.output), []).append(r)
    for (op, output), cell in sorted(cells.items()):
        ctrl = [r for r in control if r.output == output]
        scaled = all(not math.isnan(r.scaled_effect) for r in [*cell, *ctrl])
        diffs = {}
        for flag in (scaled, False):
            a, b = _per_base_median(cell, flag), _per_base_median(ctrl, flag)
            diffs[flag] = {k: np.asarray([a[k] - b[k]]) for k in sorted(a) if k in b}
        out.append(Candidate("versus_control", "all", "all", op, output, diffs[scaled],
                             diffs[False], len(cell), len(ctrl), rows=cell))
    return out


def _half(cand: Candidate, bases: list[str], rng: np.random.Generator,
          n_boot: int) -> dict[str, Any]:
    blocks = subset(cand.blocks, bases)
    sizes = cluster_bootstrap(blocks, rng, n_boot)
    return {"n_bases": len(blocks), "n": n_children(blocks), "p_value": blocked_p(blocks),
            "median": sizes.median.estimate, "ci": [sizes.median.low, sizes.median.high]}


def _sign(x: float) -> int:
    return 0 if math.isnan(x) or x == 0 else (1 if x > 0 else -1)


def judge(candidates: list[Candidate], discovery: list[str], held_out: list[str],
          alpha: float, min_support: int, seed: int = 0,
          n_boot: int = N_BOOTSTRAP) -> tuple[list[Candidate], list[Candidate]]:
    """Test every candidate with enough support on the discovery bases; Holm over the
    confirmatory ones, Benjamini-Hochberg over the exploratory ones (each family alone); check
    each finding of either family on the held-out bases. Returns (tested, untested); every
    tested candidate carries p_value, p_adjusted (its family's) and its discovery statistics (p
    and size of the half; median and interval for findings), findings their replication."""
    rng = np.random.default_rng([seed, 3])
    for c in candidates:
        c.p_value = blocked_p(subset(c.blocks, discovery)) if c.n >= min_support else math.nan
    tested = [c for c in candidates if not math.isnan(c.p_value)]
    for family, correct in ((CONFIRMATORY, holm), (EXPLORATORY, benjamini_hochberg)):
        members = [c for c in tested if c.family == family]
        for c, adj in zip(members, correct([c.p_value for c in members]), strict=True):
            c.p_adjusted = adj
    for c in tested:
        d = subset(c.blocks, discovery)
        c.discovery = {"n_bases": len(d), "n": n_children(d), "p_value": c.p_value,
                       "p_adjusted": c.p_adjusted}
        if c.p_adjusted < alpha:
            c.discovery.update(_half(c, discovery, rng, n_boot))
            c.replication = _half(c, held_out, rng, n_boot)
            ci = c.replication["ci"]
            c.replicated = (_sign(c.replication["median"]) == _sign(c.discovery["median"]) != 0
                            and (ci[0] > 0 or ci[1] < 0))
    return tested, [c for c in candidates if math.isnan(c.p_value)]


def candidates(rows: Sequence[EffectRow]) -> list[Candidate]:
    """Every candidate finding of ``rows`` (effects first, then versus-control comparisons)."""
    return [*_effect_candidates(rows), *_control_candidates(rows)]
