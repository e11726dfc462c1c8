"""The Pareto front over every objective of a run: the data, then its scatter-matrix figure.

The objectives are the search's: each output's primary validation metric, then the complexity
objective (``search.complexity_objective``, parameters by default; none when it is ``"none"``).
The front is the non-dominated set of the final population (:func:`nas_ops.pareto.front_ranks`,
as the engine ranks), marked on every pairwise projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nas_ops import pareto
from nas_ops.analysis import Analysis
from nas_ops.analysis.effects import metric_value
from nas_ops.report.figures import _plt, _save


@dataclass
class ParetoData:
    """One row per successfully evaluated individual, one column per objective."""

    names: list[str]
    higher_is_better: list[bool]
    values: np.ndarray  # shape (individuals, objectives)
    uids: list[str]
    generations: list[int]
    front: list[bool]  # in the non-dominated set of the final population
    final_generation: int


def complexity_objective(a: Analysis) -> str:
    return a.run.config.search.complexity_objective


def pareto_data(a: Analysis) -> ParetoData | None:
    """The objective values of the run, or None without two objectives and an evaluated model."""
    cx = complexity_objective(a)
    names = [f"{o.name} {o.metric}" for o in a.outputs]
    higher = [o.higher_is_better for o in a.outputs]
    if cx != "none":
        names.append(cx)
        higher.append(False)
    rows, uids, gens = [], [], []
    for ind in a.run.evaluated():
        row = [metric_value(ind, o) for o in a.outputs]
        if cx != "none":
            row.append(float(ind.evaluation.complexity.get(cx, math.nan))  # type: ignore[union-attr]
                       if ind.evaluation and ind.evaluation.ok else math.nan)
        if row and all(math.isfinite(v) for v in row):
            rows.append(row)
            uids.append(ind.uid)
            gens.append(ind.generation)
    if len(names) < 2 or not rows:
        return None
    final = max(a.run.populations) if a.run.populations else max(gens)
    members = set(a.run.populations.get(final, ())) & set(uids)
    idx = [k for k, (u, g) in enumerate(zip(uids, gens, strict=True))
           if (u in members if members else g == final)]
    front = [False] * len(uids)
    for k, keep in zip(idx, non_dominated([rows[k] for k in idx], higher), strict=True):
        front[k] = keep
    return ParetoData(names, higher, np.array(rows, dtype=float), uids, gens,
                      front, final)


def non_dominated(rows: list[list[float]], higher_is_better: list[bool]) -> list[bool]:
    """Whether each row is in the first non-dominated front (weights +1 / -1 per objective)."""
    return pareto.non_dominated(rows, pareto.weights_of(higher_is_better))


def pareto_matrix(a: Analysis, fig_dir: Path) -> Path | str:
    """Every pairwise projection of the objectives (lower triangle), generations coloured, the
    final population's non-dominated models ringed in red; histograms on the diagonal."""
    data = pareto_data(a)
    if data is None:
        return "insufficient data: fewer than two objectives or no evaluated model"
    plt = _plt()
    d = len(data.names)
    size = min(1.0 + 2.1 * d, 12.5)
    fig, axes = plt.subplots(d, d, figsize=(size, size), squeeze=False)
    gens = np.array(data.generations)
    front = np.array(data.front)
    sc = None
    logs = [_log_axis(data.values[:, j]) for j in range(d)]
    for i in range(d):
        for j in range(d):
            ax = axes[i][j]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                _diagonal(ax, data.values[:, j], logs[j])
            else:
                sc = ax.scatter(data.values[:, j], data.values[:, i], c=gens, cmap="viridis",
                                vmin=0, vmax=max(max(data.generations), 1), s=14, alpha=0.75)
                ax.scatter(data.values[front, j], data.values[front, i], s=60,
                           facecolors="none", edgecolors="red", linewidths=1.4)
                ax.set_yscale("log" if logs[i] else "linear")
            ax.set_xscale("log" if logs[j] else "linear")
            ax.tick_params(labelsize=9)
            if i == d - 1:
                ax.set_xlabel(_label(data, j), fontsize=9)
            if j == 0 and i > 0:
                ax.set_ylabel(_label(data, i), fontsize=9)
    _legend(fig, axes[0][1], sc, data)
    return _save(fig, fig_dir / "pareto.png")


def _log_axis(values: np.ndarray) -> bool:
    lo, hi = float(values.min()), float(values.max())
    return lo > 0 and hi / lo > 30


def _label(data: ParetoData, j: int) -> str:
    return f"{data.names[j]} ({'higher' if data.higher_is_better[j] else 'lower'} better)"


def _diagonal(ax: Any, values: np.ndarray, log: bool) -> None:
    spread = values.min() < values.max()
    bins = np.geomspace(values.min(), values.max(), 12) if log and spread else 12
    ax.hist(values, bins=bins, color="lightsteelblue", edgecolor="grey")
    ax.set_yticks([])


def _legend(fig: Any, ax: Any, sc: Any, data: ParetoData) -> None:
    n_front = int(sum(data.front))
    text = (f"{len(data.uids)} evaluated models\ncolour = generation (0-{max(data.generations)})"
            f"\nred ring = non-dominated in the\npopulation of generation {data.final_generation}"
            f" ({n_front} models)")
    ax.text(0.0, 1.0, text, va="top", ha="left", fontsize=10, transform=ax.transAxes)
    if sc is not None and max(data.generations) > 0:
        cax = ax.inset_axes((0.0, 0.3, 0.9, 0.07))
        last = max(data.generations)
        fig.colorbar(sc, cax=cax, orientation="horizontal", label="generation",
                     ticks=list(range(last + 1)) if last <= 12 else None)
