"""Statistics of operator effects (scipy), per operator x output.

Per cell (an operator's effects on one output; rows with a nan effect are left out). The
*tested* rows of a cell are those whose output the edit can reach (``affected``; an unaffected
output is exactly unchanged by construction and is only counted, ``n_unaffected``), with a
finite primary effect (against the matched control when the ledger has one, else against the
parent; see :meth:`EffectRow.primary`). The base model is the unit (:mod:`.blocks`):

- ``median``, ``p_improve`` (fraction > 0), ``cliffs_delta`` (P(x > 0) - P(x < 0)) of the tested
  effects, each with a two-stage cluster-bootstrap 95% interval (``ci_low``/``ci_high``,
  ``p_improve_ci``, ``cliffs_ci``); ``N_BOOTSTRAP`` (2000) resamples from
  ``numpy.random.default_rng(seed)``. A cell without tested rows describes all its rows
  (exactly 0) and has nan intervals.
- ``scaled_median`` / ``scaled_ci``: the same for the scale-free log error ratio.
- ``p_value``: exact two-sided Wilcoxon signed-rank test of the per-base medians of the scaled
  effect against 0 (of the absolute effect when a tested row has no scaled one); ``n_bases``
  bases. nan when no base median is non-zero.
- ``mean_d_*``: mean complexity change (whole genome: parameters, networks, connections, layers,
  FLOPs; ``mean_d_output_parameters`` / ``mean_d_output_flops``: of the cell's output subgraph);
  ``mean_cost_s``: mean wall time of the children.

Across operators, per output: Kruskal-Wallis H test over the operators with at least 2 effects,
and pairwise two-sided Mann-Whitney U tests whose p-values are Holm-adjusted within the output.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from nas_ops.analysis.blocks import (
    CI_LEVEL,
    N_BOOTSTRAP,
    AsDict,
    Blocks,
    blocked_p,
    cluster_bootstrap,
    make_blocks,
)
from nas_ops.analysis.blocks import wilcoxon_p as wilcoxon_p  # re-exported: it moved to blocks
from nas_ops.analysis.effects import EffectRow


@dataclass
class CellStats(AsDict):
    """Statistics of one group of effects (an operator on an output, maybe under a condition)."""

    operator: str
    output: str
    n: int
    median: float
    ci_low: float
    ci_high: float
    p_improve: float
    cliffs_delta: float
    p_value: float
    mean_effect: float
    mean_d_parameters: float
    median_d_parameters: float
    mean_d_networks: float
    mean_d_connections: float
    mean_d_layers: float
    mean_cost_s: float
    condition: str = "all"
    level: str = "all"
    n_unaffected: int = 0
    n_bases: int = 0
    p_improve_ci: tuple[float, float] = (math.nan, math.nan)
    cliffs_ci: tuple[float, float] = (math.nan, math.nan)
    scaled_median: float = math.nan
    scaled_ci: tuple[float, float] = (math.nan, math.nan)
    mean_d_flops: float = math.nan
    mean_d_output_parameters: float = math.nan
    mean_d_output_flops: float = math.nan


@dataclass
class BaseSummary(AsDict):
    """One base's summary of an operator's effects on an output: what the tests rank.

    Over the tested rows (affected output, finite primary effect); ``against`` says whether the
    primary effect is against the parent or the matched control."""

    base: str
    operator: str
    output: str
    n: int
    n_unaffected: int
    median: float
    scaled_median: float
    against: str


@dataclass
class KruskalResult(AsDict):
    output: str
    operators: list[str]
    h: float
    p_value: float


@dataclass
class PairwiseResult(AsDict):
    output: str
    a: str
    b: str
    n_a: int
    n_b: int
    u: float
    p_value: float
    p_adjusted: float


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (same order as given; nan stays nan, not counted).

    With m valid p-values sorted ascending p(1) <= ... <= p(m):
    adj(i) = max over j <= i of min(1, (m - j + 1) * p(j)).
    """
    valid = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    valid.sort()
    m = len(valid)
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(valid):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values; same order as given; nan stays nan, not
    counted). With m valid p-values sorted ascending: adj(i) = min over j >= i of
    min(1, m * p(j) / j)."""
    valid = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    m = len(valid)
    adjusted = [math.nan] * len(p_values)
    running = 1.0
    for rank in range(m - 1, -1, -1):
        p, i = valid[rank]
        running = min(running, m * p / (rank + 1))
        adjusted[i] = running
    return adjusted


def cliffs_delta_vs_zero(x: np.ndarray) -> float:
    if x.size == 0:
        return math.nan
    return (int(np.count_nonzero(x > 0)) - int(np.count_nonzero(x < 0))) / x.size


def bootstrap_median_ci(x: np.ndarray, rng: np.random.Generator,
                        n_boot: int = N_BOOTSTRAP, level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap CI of the median."""
    if x.size == 0:
        return math.nan, math.nan
    if x.size == 1:
        return float(x[0]), float(x[0])
    medians = np.median(x[rng.integers(0, x.size, size=(n_boot, x.size))], axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail])
    return float(low), float(high)


def _mean(values: Iterable[float]) -> float:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    return float(arr.mean()) if arr.size else math.nan


def _median_of(values: Iterable[float]) -> float:
    arr = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    return float(np.median(arr)) if arr.size else math.nan


def tested_rows(rows: Sequence[EffectRow]) -> list[EffectRow]:
    """The rows a test uses: affected output, finite primary effect."""
    return [r for r in rows if r.affected and not math.isnan(r.primary(False))]


def test_blocks(rows: Sequence[EffectRow]) -> Blocks:
    """Per-base primary effects a test uses: scaled when every row has a scaled effect."""
    scaled = all(not math.isnan(r.primary(True)) for r in rows)
    return make_blocks((r.base, r.primary(scaled)) for r in rows)


def cell_stats(rows: Sequence[EffectRow], operator: str, output: str,
               rng: np.random.Generator, condition: str = "all",
               level: str = "all", n_boot: int = N_BOOTSTRAP) -> CellStats:
    """Statistics of the effects in ``rows`` (already filtered to one cell)."""
    valid = [r for r in rows if not math.isnan(r.effect)]
    tested = tested_rows(valid)
    described = tested or valid
    x = np.asarray([r.primary(False) if tested else r.effect for r in described], dtype=float)
    sizes = cluster_bootstrap(make_blocks((r.base, r.primary(False)) for r in tested), rng, n_boot)
    scaled = cluster_bootstrap(make_blocks((r.base, r.primary(True)) for r in tested), rng,
                               n_boot)
    return CellStats(
        operator=operator, output=output, n=len(valid),
        median=float(np.median(x)) if x.size else math.nan,
        ci_low=sizes.median.low, ci_high=sizes.median.high,
        p_improve=float(np.mean(x > 0)) if x.size else math.nan,
        cliffs_delta=cliffs_delta_vs_zero(x), p_value=blocked_p(test_blocks(tested)),
        mean_effect=float(x.mean()) if x.size else math.nan,
        mean_d_parameters=_mean(r.d_parameters for r in valid),
        median_d_parameters=_median_of(r.d_parameters for r in valid),
        mean_d_networks=_mean(r.d_networks for r in valid),
        mean_d_connections=_mean(r.d_connections for r in valid),
        mean_d_layers=_mean(r.d_layers for r in valid),
        mean_cost_s=_mean(r.cost_s for r in valid), condition=condition, level=level,
        n_unaffected=sum(not r.affected for r in valid), n_bases=sizes.n_bases,
        p_improve_ci=(sizes.p_improve.low, sizes.p_improve.high),
        cliffs_ci=(sizes.cliffs_delta.low, sizes.cliffs_delta.high),
        scaled_median=scaled.median.estimate, scaled_ci=(scaled.median.low, scaled.median.high),
        mean_d_flops=_mean(r.d_flops for r in valid),
        mean_d_output_parameters=_mean(r.d_output_parameters for r in valid),
        mean_d_output_flops=_mean(r.d_output_flops for r in valid))


def base_summaries(rows: Sequence[EffectRow]) -> list[BaseSummary]:
    """Per (operator, output, base): the median primary effect of the base's tested children."""
    cells: dict[tuple[str, str, str], list[EffectRow]] = {}
    for r in rows:
        if not math.isnan(r.effect):
            cells.setdefault((r.operator, r.output, r.base), []).append(r)
    out = []
    for (op, output, base), cell in sorted(cells.items()):
        tested = tested_rows(cell)
        scaled = [r.primary(True) for r in tested if not math.isnan(r.primary(True))]
        out.append(BaseSummary(
            base, op, output, len(tested), sum(not r.affected for r in cell),
            _median_of(r.primary(False) for r in tested), _median_of(scaled),
            "matched_control" if any(r.control is not None for r in tested) else "parent"))
    return out


def group(rows: Iterable[EffectRow]) -> dict[tuple[str, str], list[EffectRow]]:
    """Rows by (operator, output), in sorted key order."""
    cells: dict[tuple[str, str], list[EffectRow]] = {}
    for r in rows:
        cells.setdefault((r.operator, r.output), []).append(r)
    return dict(sorted(cells.items()))


def operator_stats(rows: Sequence[EffectRow], seed: int = 0) -> list[CellStats]:
    """One :class:`CellStats` per operator x output (bootstrap seeded with ``seed``)."""
    rng = np.random.default_rng(seed)
    return [cell_stats(cell, op, out, rng) for (op, out), cell in group(rows).items()]


def _effects_by_operator(rows: Sequence[EffectRow], output: str) -> dict[str, np.ndarray]:
    by_op: dict[str, list[float]] = {}
    for r in rows:
        if r.output == output and not math.isnan(r.effect):
            by_op.setdefault(r.operator, []).append(r.effect)
    return {op: np.asarray(v, dtype=float) for op, v in sorted(by_op.items()) if len(v) >= 2}


def kruskal_tests(rows: Sequence[EffectRow]) -> list[KruskalResult]:
    """Kruskal-Wallis across operators (those with >= 2 effects), one test per output."""
    from scipy import stats

    results = []
    for output in sorted({r.output for r in rows}):
        groups = _effects_by_operator(rows, output)
        h = p = math.nan
        if len(groups) >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = stats.kruskal(*groups.values())
                    h, p = float(res.statistic), float(res.pvalue)
                except ValueError:  # every value identical
                    pass
        results.append(KruskalResult(output, list(groups), h, p))
    return results


def pairwise_tests(rows: Sequence[EffectRow]) -> list[PairwiseResult]:
    """Two-sided Mann-Whitney U for each operator pair, Holm-adjusted within each output."""
    from scipy import stats

    results: list[PairwiseResult] = []
    for output in sorted({r.output for r in rows}):
        groups = _effects_by_operator(rows, output)
        block = []
        for a, b in itertools.combinations(groups, 2):
            xa, xb = groups[a], groups[b]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = stats.mannwhitneyu(xa, xb, alternative="two-sided")
            u, p = float(res.statistic), float(res.pvalue)
            block.append(PairwiseResult(output, a, b, int(xa.size), int(xb.size), u, p, math.nan))
        for res_, adj in zip(block, holm([r.p_value for r in block]), strict=True):
            res_.p_adjusted = adj
        results.extend(block)
    return results
