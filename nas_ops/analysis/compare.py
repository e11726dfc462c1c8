"""Comparing searches by their hypervolume: runs grouped by policy, paired by seed, at equal
training steps.

Budget-fair: every run's hypervolume curve (a step function of the optimizer steps it trained,
``Run.hypervolume``) is read at common step counts from 0 to the budget, the fewest steps any
run spent; the final hypervolume is its value at the budget and the area under the curve its
mean over [0, budget]. For every pair of policies the runs of the seeds both have are paired:
a two-sided exact Wilcoxon signed-rank test of the paired differences (zeros dropped), Holm
over the policy pairs (for each measure apart), and the mean paired difference with a
percentile bootstrap interval over seeds. Computing here, rendering in
:mod:`nas_ops.report.compare`.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from nas_ops.analysis.statistics import holm
from nas_ops.errors import ConfigError
from nas_ops.store.run import load_run

MEASURES = ("final", "auc")
ALPHA = 0.05


@dataclass
class RunCurve:
    """One run: its policy, seed, hypervolume curve and what it spent."""

    run_dir: str
    policy: str
    seed: int
    steps: list[int]  # cumulative training steps after every evaluation
    values: list[float]  # hypervolume after every evaluation
    usage: dict[str, int] = field(default_factory=dict)  # children per operator

    @property
    def steps_spent(self) -> int:
        return self.steps[-1] if self.steps else 0

    def at(self, step: float) -> float:
        """The hypervolume once ``step`` training steps were spent (0 before any evaluation)."""
        k = int(np.searchsorted(np.asarray(self.steps), step, side="right"))
        return self.values[k - 1] if k else 0.0

    def area(self, budget: float) -> float:
        """Mean hypervolume over [0, budget] training steps (the area under the step curve,
        divided by the budget)."""
        if budget <= 0:
            return self.at(0)
        total, last_step, last_value = 0.0, 0.0, 0.0
        for s, v in zip(self.steps, self.values, strict=True):
            if s >= budget:
                break
            total += last_value * (s - last_step)
            last_step, last_value = s, v
        return (total + last_value * (budget - last_step)) / budget


@dataclass
class PairTest:
    """Policy ``b`` against policy ``a`` on one measure over the seeds both ran."""

    measure: str
    a: str
    b: str
    seeds: list[int]
    mean_difference: float  # b - a
    relative: float  # mean difference / mean of a
    ci_low: float
    ci_high: float
    p_value: float
    p_holm: float = math.nan


@dataclass
class Comparison:
    policies: list[str]
    runs: list[RunCurve]
    budget: int  # common training steps every run is compared at
    grid: list[float]
    bands: dict[str, dict[str, list[float]]]  # policy -> median, q1, q3 along grid
    measures: dict[str, dict[str, dict[int, float]]]  # measure -> policy -> seed -> value
    tests: list[PairTest]
    usage: dict[str, dict[str, float]]  # policy -> operator -> share of its children
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["measures"] = {m: {p: {str(s): v for s, v in by_seed.items()}
                               for p, by_seed in by_policy.items()}
                           for m, by_policy in self.measures.items()}
        return out


def run_curve(run_dir: str | Path) -> RunCurve:
    run = load_run(run_dir)
    policy = str(run.config.get("policy", {}).get("name", "uniform"))
    seed = int(run.meta.get("seed", run.config.get("seed", 0)))
    usage = Counter(i.operator for i in run.individuals if i.operator is not None)
    return RunCurve(str(run_dir), policy, seed, [p.steps_done for p in run.hypervolume],
                    [p.value for p in run.hypervolume], dict(sorted(usage.items())))


def compare_runs(run_dirs: Sequence[str | Path], *, n_grid: int = 50,
                 n_bootstrap: int = 2000, seed: int = 0) -> Comparison:
    return compare_curves([run_curve(d) for d in run_dirs], n_grid=n_grid,
                          n_bootstrap=n_bootstrap, seed=seed)


def compare_curves(runs: Sequence[RunCurve], *, n_grid: int = 50, n_bootstrap: int = 2000,
                   seed: int = 0) -> Comparison:
    by_policy: dict[str, list[RunCurve]] = {}
    for r in runs:
        by_policy.setdefault(r.policy, []).append(r)
    for policy, group in by_policy.items():
        seeds = Counter(r.seed for r in group)
        twice = sorted(s for s, n in seeds.items() if n > 1)
        if twice:
            raise ConfigError(f"policy {policy!r} has more than one run of seed "
                              f"{', '.join(map(str, twice))}; give one run per policy and seed")
    if len(by_policy) < 2:
        raise ConfigError(f"nas-ops compare needs runs of at least two policies; got only "
                          f"{', '.join(by_policy) or 'none'}")
    if any(not r.steps for r in runs):
        raise ConfigError("a run to compare has no evaluation: "
                          f"{', '.join(r.run_dir for r in runs if not r.steps)}")
    policies = sorted(by_policy)
    budget = min(r.steps_spent for r in runs)
    grid = [float(x) for x in np.linspace(0, budget, n_grid)]
    bands = {}
    for p in policies:
        curves = np.array([[r.at(s) for s in grid] for r in by_policy[p]])
        q1, med, q3 = np.percentile(curves, [25, 50, 75], axis=0)
        bands[p] = {"median": med.tolist(), "q1": q1.tolist(), "q3": q3.tolist()}
    measures = {"final": {p: {r.seed: r.at(budget) for r in by_policy[p]} for p in policies},
                "auc": {p: {r.seed: r.area(budget) for r in by_policy[p]} for p in policies}}
    rng = np.random.default_rng(seed)
    tests = []
    for measure in MEASURES:
        found = [_pair_test(measure, a, b, measures[measure], rng, n_bootstrap)
                 for a, b in itertools.combinations(policies, 2)]
        for t, adjusted in zip(found, holm([t.p_value for t in found]), strict=True):
            t.p_holm = adjusted
        tests.extend(found)
    usage = {}
    for p in policies:
        total = Counter[str]()
        for r in by_policy[p]:
            total.update(r.usage)
        n = sum(total.values())
        usage[p] = {op: c / n for op, c in sorted(total.items())} if n else {}
    cmp = Comparison(policies, list(runs), budget, grid, bands, measures, tests, usage, "")
    cmp.verdict = verdict(cmp)
    return cmp


def _pair_test(measure: str, a: str, b: str, values: dict[str, dict[int, float]],
               rng: np.random.Generator, n_bootstrap: int) -> PairTest:
    seeds = sorted(set(values[a]) & set(values[b]))
    xa = np.array([values[a][s] for s in seeds])
    xb = np.array([values[b][s] for s in seeds])
    d = xb - xa
    if not seeds:
        return PairTest(measure, a, b, [], math.nan, math.nan, math.nan, math.nan, math.nan)
    mean_a = float(xa.mean())
    relative = float(d.mean() / mean_a) if mean_a else math.nan
    boot = d[rng.integers(0, len(d), size=(n_bootstrap, len(d)))].mean(axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    nonzero = d[d != 0]
    p = 1.0 if len(nonzero) == 0 else float(stats.wilcoxon(nonzero, method="exact").pvalue)
    return PairTest(measure, a, b, seeds, float(d.mean()), relative, float(low), float(high), p)


def verdict(cmp: Comparison) -> str:
    """One plain sentence per policy pair on the final hypervolume at equal training steps."""
    parts = []
    for t in cmp.tests:
        if t.measure != "final":
            continue
        if not t.seeds:
            parts.append(f"{t.b} and {t.a} share no seed, so they are not compared.")
            continue
        n = len(t.seeds)
        size = "no difference" if t.mean_difference == 0 else (
            f"{abs(t.relative) * 100:.0f} % {'higher' if t.mean_difference > 0 else 'lower'}"
            if math.isfinite(t.relative) else
            f"{'higher' if t.mean_difference > 0 else 'lower'} by {abs(t.mean_difference):.3g}")
        significant = t.p_holm <= ALPHA
        parts.append(
            f"At {cmp.budget} training steps, {t.b} ends with a hypervolume {size} than {t.a} "
            f"(mean paired difference {t.mean_difference:.3g}, 95 % bootstrap interval "
            f"[{t.ci_low:.3g}, {t.ci_high:.3g}], {n} seed{'s' * (n != 1)}, Wilcoxon "
            f"p = {t.p_value:.3g}, Holm p = {t.p_holm:.3g}): "
            + ("a significant difference at 0.05." if significant else
               "not a significant difference at 0.05"
               + (f"; with {n} paired seeds an exact Wilcoxon test cannot reach 0.05."
                  if 2 ** (1 - n) > ALPHA else ".")))
    return " ".join(parts)
