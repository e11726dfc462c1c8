"""How much of a search's progress is architecture, and how much accumulated training (issue 24
point 4; studies/results/search_decomposition/plan.md).

A search with weight inheritance progresses in two ways at once: its edits change the
architectures, and every child trains further from its parent's weights. The decomposition runs
the same search, paired by seed, with the edits taken away (``policy.operators =
["retrain_control"]``: every child is its parent retrained): both arms start from the same
initial population, so each seed's gain over that population's hypervolume splits as

    architecture share = 1 - gain(training only) / gain(search)

per seed, and over seeds as the ratio of the mean gains (a seed whose search gained little
would make a per-seed ratio explode). 1: all of the search's progress needs the edits; 0: the
same training without edits progresses as far; below 0: the edits cost progress. The interval
is a percentile bootstrap over seeds (the unit), seeded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nas_ops.store.run import Run

N_BOOT = 2000


def initial_hypervolume(run: Run) -> float:
    """The hypervolume once the initial population has settled (its ``population`` first
    evaluations): what every arm of a seed starts from."""
    size = run.config.search.population
    points = [p for p in run.hypervolume if p.evals_done <= size]
    if not points:
        raise ValueError(f"run {run.run_dir} recorded no hypervolume within its initial "
                         f"population of {size}")
    return points[-1].value


def final_hypervolume(run: Run) -> float:
    """The hypervolume after the run's last evaluation."""
    if not run.hypervolume:
        raise ValueError(f"run {run.run_dir} recorded no hypervolume")
    return run.hypervolume[-1].value


@dataclass(frozen=True)
class Share:
    share: float  # 1 - mean gain (training only) / mean gain (search)
    low: float
    high: float
    seeds: int
    gain_search: float  # mean over seeds
    gain_training: float
    per_seed: dict[int, float]  # each seed's own share (NaN when its search gained nothing)


def architecture_share(initial: Mapping[int, float], search: Mapping[int, float],
                       training: Mapping[int, float], seed: int = 0) -> Share:
    """The architecture share over the seeds all three mappings (seed -> hypervolume) hold."""
    seeds = sorted(set(initial) & set(search) & set(training))
    if not seeds:
        raise ValueError("no seed has an initial, a search and a training-only hypervolume")
    g_s = np.array([search[s] - initial[s] for s in seeds])
    g_t = np.array([training[s] - initial[s] for s in seeds])

    def ratio(idx: np.ndarray) -> float:
        total = float(g_s[idx].mean())
        return 1.0 - float(g_t[idx].mean()) / total if total > 0 else math.nan

    rng = np.random.default_rng([seed, 24, 4])
    boots = np.array([ratio(rng.integers(0, len(seeds), len(seeds))) for _ in range(N_BOOT)])
    boots = boots[~np.isnan(boots)]
    low, high = (np.percentile(boots, [2.5, 97.5]).tolist() if boots.size
                 else [math.nan, math.nan])
    per = {s: (1.0 - t / g if g > 0 else math.nan) for s, g, t in zip(seeds, g_s, g_t,
                                                                       strict=True)}
    return Share(ratio(np.arange(len(seeds))), float(low), float(high), len(seeds),
                 float(g_s.mean()), float(g_t.mean()), per)


__all__ = ["N_BOOT", "Share", "architecture_share", "final_hypervolume", "initial_hypervolume"]
