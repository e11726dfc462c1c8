"""The per operator x output statistics split by condition (see ``covariates`` for definitions).

Conditions and their levels:

- ``relevance``: ``low`` / ``high`` relevance of the edited network for the output (needs a
  diagnosis of the parent, e.g. a study's base models);
- ``worst_output``: ``worst`` (the output is the parent's worst) / ``other``;
- ``size``: ``small`` / ``large`` parent (median split of parent parameters);
- ``distance``: ``near`` (the edited network feeds the output) / ``far``;
- ``affected``: ``affected`` (the output is reachable from the edit) / ``unaffected``.

Rows whose covariate is missing take no part in that condition.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nas_ops.analysis.effects import EffectRow
from nas_ops.analysis.statistics import CellStats, cell_stats, group

Level = Callable[[EffectRow], str | None]


def _worst(r: EffectRow) -> str | None:
    return None if r.worst_output is None else ("worst" if r.worst_output else "other")


CONDITIONS: dict[str, tuple[Level, tuple[str, ...]]] = {
    "relevance": (lambda r: r.relevance_level, ("low", "high")),
    "worst_output": (_worst, ("worst", "other")),
    "size": (lambda r: r.size_level, ("small", "large")),
    "distance": (lambda r: r.distance_level, ("near", "far")),
    "affected": (lambda r: "affected" if r.affected else "unaffected",
                 ("affected", "unaffected")),
}


def condition_stats(rows: Sequence[EffectRow], seed: int = 0) -> list[CellStats]:
    """One :class:`CellStats` per (condition, level, operator, output) with at least one row.

    Cells come in a fixed order (condition, level, operator, output); the bootstrap generator is
    seeded once with ``seed`` and consumed in that order.
    """
    rng = np.random.default_rng(seed)
    out: list[CellStats] = []
    for name, (level_of, levels) in CONDITIONS.items():
        for level in levels:
            subset = [r for r in rows if level_of(r) == level]
            for (op, output), cell in group(subset).items():
                out.append(cell_stats(cell, op, output, rng, condition=name, level=level))
    return out


def coverage(rows: Sequence[EffectRow]) -> dict[str, dict[str, int]]:
    """How many rows have each level of each condition (``missing`` = covariate unavailable)."""
    result: dict[str, dict[str, int]] = {}
    for name, (level_of, levels) in CONDITIONS.items():
        counts = dict.fromkeys((*levels, "missing"), 0)
        for r in rows:
            counts[level_of(r) or "missing"] += 1
        result[name] = counts
    return result
