"""Comparing searches by their hypervolume: runs grouped by policy (or by a label, such as an
experiment's arm), paired by seed, at equal training steps.

Pairing: runs of the same seed start from the same initial population (it is drawn from the
seed alone, before any policy acts, and evaluated with the same training seeds), so the paired
difference removes the luck of the start. Runs are refused when they do not share one task,
hypervolume reference point and ``[budget]``, when two runs of one seed start from different
initial populations, when every evaluation of a run failed, and when a run is unfinished (unless
``allow_unfinished``): one line naming the run.

Budget-fair: every run's hypervolume curve (``Run.hypervolume``) is read at common step counts
from 0 to the budget, the fewest steps any run spent. The curve is a step function of the
cumulative optimizer steps: the hypervolume changes only when an evaluation is settled, so the
value at a step count is that after the last evaluation settled at or before it (a linear
interpolation would credit an evaluation before it finished training). The final hypervolume is
the value at the budget; the area under the curve is its mean over [0, budget].

For every pair of policies, the runs of the seeds both have are paired: a two-sided exact
Wilcoxon signed-rank test of the paired differences (zeros dropped), Holm over the policy pairs
(for each measure apart), the mean paired difference with a percentile bootstrap interval over
seeds, and the detectable difference: the one these seeds would find with 80 % power given the
observed standard deviation of the paired differences, at Holm's strictest level alpha / pairs
(:mod:`nas_ops.analysis.power`). Computing here, rendering in :mod:`nas_ops.report.compare`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from nas_ops.analysis.power import POWER, detectable_effect
from nas_ops.analysis.speedup import SpeedUp, sentence, speedups
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
    task: str = ""  # the run's task config (JSON), the same for every run compared
    initial: str = ""  # fingerprint of the initial population's genomes ("" = not checked)
    stopped_by: str = ""  # what ended the run (meta.stopped_by; "" when not recorded)
    reference: str = ""  # the hypervolume reference point (JSON), the same for every run
    status: str = ""  # meta.status: "finished", or "running" for an unfinished run
    evaluations: int = 0  # evaluations recorded
    failed: int = 0  # of which failed
    budget: str = ""  # the run's [budget] (JSON), the same for every run

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
    mean_a: float = math.nan  # mean of policy a over the paired seeds
    sd_difference: float = math.nan  # standard deviation of the paired differences
    level: float = math.nan  # Holm's strictest level: alpha / number of policy pairs
    detectable: float = math.nan  # difference found with 80 % power at ``level`` (inf: none)


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
    reference_arm: str | None = None  # the policy the speed-ups are measured against
    speedups: list[SpeedUp] = field(default_factory=list)  # analysis/speedup.py
    speedup_share: float | None = None  # the speed-ups' symmetric target (None: ref's final)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["measures"] = {m: {p: {str(s): v for s, v in by_seed.items()}
                               for p, by_seed in by_policy.items()}
                           for m, by_policy in self.measures.items()}
        for d, s in zip(out["speedups"], self.speedups, strict=True):
            d["reached"] = s.reached
        return out


def run_curve(run_dir: str | Path, label: str | None = None) -> RunCurve:
    """The curve of one run, grouped under ``label`` (default: the run's policy name)."""
    run = load_run(run_dir)
    policy = label or run.config.policy.name
    seed = run.meta.seed
    usage = Counter(i.operator for i in run.individuals if i.operator is not None)
    evaluated = [i.evaluation for i in run.individuals if i.evaluation is not None]
    start = sorted(i.hash for i in run.individuals if i.generation == 0)
    initial = hashlib.sha256(" ".join(start).encode()).hexdigest()[:12]
    return RunCurve(str(run_dir), policy, seed, [p.steps_done for p in run.hypervolume],
                    [p.value for p in run.hypervolume], dict(sorted(usage.items())),
                    json.dumps(run.config.to_dict()["task"], sort_keys=True), initial,
                    run.meta.stopped_by,
                    json.dumps(run.hv_reference().to_dict(), sort_keys=True),
                    run.meta.status, len(evaluated),
                    sum(e.status == "failed" for e in evaluated),
                    json.dumps(run.config.to_dict()["budget"], sort_keys=True))


def compare_runs(run_dirs: Sequence[str | Path], *, labels: Sequence[str] | None = None,
                 n_grid: int = 50, n_bootstrap: int = 2000, seed: int = 0,
                 reference: str | None = None, allow_unfinished: bool = False,
                 speedup_share: float | None = None) -> Comparison:
    """Compare the runs ``run_dirs``, grouped by policy or by ``labels`` (one per run);
    ``reference``: the policy (label) whose final hypervolume the others' steps are measured
    against (None: no speed-ups); ``speedup_share``: measure them instead against that share of
    the smaller of the two runs' finals (:mod:`nas_ops.analysis.speedup`);
    ``allow_unfinished``: compare unfinished runs too, at the steps they spent."""
    if speedup_share is not None and not (0 < speedup_share <= 1 and reference is not None):
        raise ConfigError(f"a symmetric speed-up target needs a reference arm and a share in "
                          f"(0, 1], got share {speedup_share!r} and reference {reference!r}")
    if labels is not None and len(labels) != len(run_dirs):
        raise ConfigError(f"{len(labels)} labels for {len(run_dirs)} runs; give one per run")
    names = list(labels) if labels is not None else [None] * len(run_dirs)
    curves = [run_curve(d, n) for d, n in zip(run_dirs, names, strict=True)]
    check_comparable(curves, allow_unfinished=allow_unfinished)
    return compare_curves(curves, n_grid=n_grid, n_bootstrap=n_bootstrap, seed=seed,
                          reference=reference, speedup_share=speedup_share)


def check_comparable(runs: Sequence[RunCurve], *, allow_unfinished: bool = False) -> None:
    """Refuse, naming the run, a run whose every evaluation failed (no hypervolume to judge), an
    unfinished run (unless ``allow_unfinished``), and runs on different ``[budget]``s."""
    for r in runs:
        if r.evaluations and r.failed == r.evaluations:
            raise ConfigError(f"run {r.run_dir}: all {r.evaluations} evaluations failed, so it "
                              "has no hypervolume to compare; leave it out or run it again")
    for r in runs:
        if r.status and r.status != "finished" and not allow_unfinished:
            raise ConfigError(f"run {r.run_dir} is unfinished ({r.evaluations} evaluations "
                              f"recorded); finish it with `nas-ops resume {r.run_dir}`, or pass "
                              "--allow-unfinished to compare it at the steps it spent")
    budgets = [r for r in runs if r.budget]
    other = next((r for r in budgets if r.budget != budgets[0].budget), None)
    if other is not None:
        raise ConfigError(f"runs on different budgets cannot be compared: run {other.run_dir} "
                          f"has [budget] {other.budget}, run {budgets[0].run_dir} has "
                          f"{budgets[0].budget}")


def check_pairing(runs: Sequence[RunCurve]) -> None:
    """Refuse runs that do not share one task and hypervolume reference point, or two runs of
    one seed that start from different initial populations (their paired difference would not
    remove the start)."""
    tasks = {r.task for r in runs if r.task}
    if len(tasks) > 1:
        first = next(r for r in runs if r.task)
        other = next(r for r in runs if r.task and r.task != first.task)
        raise ConfigError(f"runs of different tasks cannot be compared: {first.run_dir} has "
                          f"task {first.task}, {other.run_dir} has {other.task}")
    refs = {r.reference for r in runs if r.reference}
    if len(refs) > 1:
        first = next(r for r in runs if r.reference)
        other = next(r for r in runs if r.reference and r.reference != first.reference)
        raise ConfigError(f"runs measured against different hypervolume reference points "
                          f"cannot be compared: {first.run_dir} has {first.reference}, "
                          f"{other.run_dir} has {other.reference}")
    start: dict[int, RunCurve] = {}
    for r in runs:
        if not r.initial:
            continue
        seen = start.setdefault(r.seed, r)
        if seen.initial != r.initial:
            raise ConfigError(f"seed {r.seed}: {seen.run_dir} and {r.run_dir} start from "
                              "different initial populations (another space, population or "
                              "code?), so they cannot be paired")


def compare_curves(runs: Sequence[RunCurve], *, n_grid: int = 50, n_bootstrap: int = 2000,
                   seed: int = 0, reference: str | None = None,
                   speedup_share: float | None = None) -> Comparison:
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
    if reference is not None and reference not in by_policy:
        raise ConfigError(f"reference {reference!r} is not one of the compared policies: "
                          f"{', '.join(sorted(by_policy))}")
    check_pairing(runs)
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
    level = ALPHA / math.comb(len(policies), 2)
    for measure in MEASURES:
        found = [_pair_test(measure, a, b, measures[measure], rng, n_bootstrap, level)
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
    cmp = Comparison(policies, list(runs), budget, grid, bands, measures, tests, usage, "",
                     reference)
    if reference is not None:  # drawn after the tests, so they are the same with or without
        cmp.speedups = speedups(runs, reference, rng, n_bootstrap, speedup_share)
        cmp.speedup_share = speedup_share
    cmp.verdict = verdict(cmp)
    return cmp


def _pair_test(measure: str, a: str, b: str, values: dict[str, dict[int, float]],
               rng: np.random.Generator, n_bootstrap: int, level: float) -> PairTest:
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
    sd = float(d.std(ddof=1)) if len(d) > 1 else math.nan
    effect = detectable_effect(len(d), level)
    detectable = effect * sd if math.isfinite(effect) and len(d) > 1 else math.inf
    return PairTest(measure, a, b, seeds, float(d.mean()), relative, float(low), float(high), p,
                    mean_a=mean_a, sd_difference=sd, level=level, detectable=detectable)


def verdict(cmp: Comparison) -> str:
    """Plain sentences per policy pair on the final hypervolume at equal training steps: the
    effect, its interval, p after Holm, and what these seeds could have detected; with a
    reference, first the speed-up of every other policy in reaching its final hypervolume."""
    return " ".join([*(sentence(s) for s in cmp.speedups),
                     *(_pair_sentence(t, cmp.budget) for t in cmp.tests if t.measure == "final")])


def _pair_sentence(t: PairTest, budget: int) -> str:
    if not t.seeds:
        return f"{t.b} and {t.a} share no seed, so they are not compared."
    n = len(t.seeds)
    if t.mean_difference == 0:
        size = "the same hypervolume as"
    elif math.isfinite(t.relative):
        size = (f"a hypervolume {abs(t.relative) * 100:.0f} % "
                f"{'higher' if t.mean_difference > 0 else 'lower'} than")
    else:
        size = (f"a hypervolume {'higher' if t.mean_difference > 0 else 'lower'} by "
                f"{abs(t.mean_difference):.3g} than")
    found = ("a significant difference at 0.05 after Holm." if t.p_holm <= ALPHA
             else "not a significant difference at 0.05 after Holm.")
    return (f"At {budget} training steps, {t.b} ends with {size} {t.a} (mean paired "
            f"difference {t.mean_difference:.3g}, 95 % bootstrap interval [{t.ci_low:.3g}, "
            f"{t.ci_high:.3g}], {n} seed{'s' * (n != 1)}, Holm p = {t.p_holm:.3g}): {found} "
            + _power_sentence(t))


def _power_sentence(t: PairTest) -> str:
    """What the test could find: the difference detected with 80 % power at Holm's strictest
    level, given the spread of the paired differences."""
    n = len(t.seeds)
    if not math.isfinite(t.detectable):
        return (f"With {n} paired seed{'s' * (n != 1)} an exact Wilcoxon test cannot reach "
                f"p = {t.level:.3g} (Holm's strictest level), so no difference is detectable.")
    share = f" ({t.detectable / abs(t.mean_a) * 100:.2g} % of {t.a}'s mean)" \
        if math.isfinite(t.mean_a) and t.mean_a else ""
    return (f"Given the spread of the paired differences (SD {t.sd_difference:.3g}), {n} "
            f"seeds detect a difference of {t.detectable:.3g}{share} with "
            f"{POWER * 100:.0f} % power at p = {t.level:.3g} (Holm's strictest level).")
