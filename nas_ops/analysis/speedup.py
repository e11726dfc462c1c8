"""Steps to a target hypervolume: how many training steps each arm of a comparison needs to
reach the final hypervolume of a reference arm (issue 13's headline, docs/fidelity.md).

Per seed, the target is the reference run's final hypervolume (its last point, at the end of
its own run). A run reaches it at the cumulative training steps of the first evaluation after
which its hypervolume is at least the target (``math.inf``: never). The reference reaches its
own target at its last improvement, so its steps are the steps it really needed. The speed-up
of an arm on a seed is reference steps / arm steps: 2 means the arm got there with half the
steps, 0 that it never got there. Across seeds: the median, quartiles, range, and a percentile
bootstrap interval of the median (resampling seeds). A seed whose target is 0 (the reference
found no point inside the reference box) has no speed-up and is left out.

With ``share`` (say 0.9) the target is symmetric instead: ``share`` x the smaller of the two
runs' final hypervolumes of the seed, so that both runs reach it and neither arm is favoured by
being the one whose end point sets the bar (a reference-final target credits an arm that only
just reaches it with the reference's whole run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class Curve(Protocol):
    policy: str
    seed: int
    steps: list[int]
    values: list[float]


@dataclass
class SpeedUp:
    """``arm`` against ``reference`` over the seeds both ran (per-seed lists in seed order)."""

    arm: str
    reference: str
    seeds: list[int]
    targets: list[float]  # the reference's final hypervolume per seed
    reference_steps: list[float]  # steps the reference needed to reach it
    arm_steps: list[float]  # steps the arm needed (inf: never reached)
    ratios: list[float]  # reference_steps / arm_steps (0 when never reached)
    share: float | None = None  # symmetric target: share x the smaller final (None: ref's final)
    median: float = math.nan
    q1: float = math.nan
    q3: float = math.nan
    low: float = math.nan  # smallest ratio over the seeds
    high: float = math.nan  # largest
    ci_low: float = math.nan  # 95 % percentile bootstrap interval of the median
    ci_high: float = math.nan

    @property
    def reached(self) -> int:
        return sum(math.isfinite(s) for s in self.arm_steps)


def steps_to(steps: Sequence[int], values: Sequence[float], target: float) -> float:
    """The cumulative steps of the first evaluation after which the hypervolume is at least
    ``target`` (``math.inf`` when it never is)."""
    for s, v in zip(steps, values, strict=True):
        if v >= target:
            return float(s)
    return math.inf


def speedup(arm: str, reference: str, runs: Sequence[Curve], rng: np.random.Generator,
            n_bootstrap: int, share: float | None = None) -> SpeedUp:
    """The speed-up of ``arm`` over ``reference`` on the seeds both have among ``runs``
    (``share``: the symmetric target, see the module)."""
    ref = {r.seed: r for r in runs if r.policy == reference}
    mine = {r.seed: r for r in runs if r.policy == arm}
    out = SpeedUp(arm, reference, [], [], [], [], [], share)
    for seed in sorted(set(ref) & set(mine)):
        target = ref[seed].values[-1] if ref[seed].values else 0.0
        if share is not None:
            final = mine[seed].values[-1] if mine[seed].values else 0.0
            target = share * min(target, final)
        if target <= 0:
            continue
        base = steps_to(ref[seed].steps, ref[seed].values, target)
        took = steps_to(mine[seed].steps, mine[seed].values, target)
        out.seeds.append(seed)
        out.targets.append(target)
        out.reference_steps.append(base)
        out.arm_steps.append(took)
        out.ratios.append(base / took if math.isfinite(took) and took > 0 else
                          (math.inf if took == 0 else 0.0))
    if out.ratios:
        x = np.asarray(out.ratios)
        out.q1, out.median, out.q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
        out.low, out.high = float(x.min()), float(x.max())
        boot = np.median(x[rng.integers(0, len(x), size=(n_bootstrap, len(x)))], axis=1)
        out.ci_low, out.ci_high = (float(v) for v in np.percentile(boot, [2.5, 97.5]))
    return out


def speedups(runs: Sequence[Curve], reference: str, rng: np.random.Generator,
             n_bootstrap: int, share: float | None = None) -> list[SpeedUp]:
    """Every other arm's speed-up over ``reference``, arms in sorted order."""
    arms = sorted({r.policy for r in runs} - {reference})
    return [speedup(a, reference, runs, rng, n_bootstrap, share) for a in arms]


def target_text(reference: str, arm: str, share: float | None) -> str:
    """What the target of a speed-up is, in words."""
    if share is None:
        return f"{reference}'s final hypervolume of the same seed"
    return (f"{share:.0%} of the smaller of {reference}'s and {arm}'s final hypervolumes of "
            "the same seed")


def sentence(s: SpeedUp) -> str:
    """The verdict's sentence on one arm's speed-up."""
    n = len(s.seeds)
    if not n:
        return (f"{s.arm} and the reference {s.reference} share no seed with a target "
                "hypervolume above 0, so no speed-up is measured.")
    return (f"To reach {target_text(s.reference, s.arm, s.share)}, {s.arm} had a "
            f"median speed-up of {s.median:.3g} ({s.reference}'s steps / {s.arm}'s steps over "
            f"{n} seed{'s' * (n != 1)}; 95 % bootstrap interval [{s.ci_low:.3g}, "
            f"{s.ci_high:.3g}], range [{s.low:.3g}, {s.high:.3g}]; reached in {s.reached} of "
            f"{n}).")
