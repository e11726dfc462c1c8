"""Conditioning covariates of an effect row: how the variation relates to the parent's diagnosis.

- ``edited_network``: the first touched node that is a network of the parent genome (None for
  variations that touch no existing network, e.g. hyperparameter changes).
- ``relevance``: the parent's diagnosis row (parent, edited network, output, "relevance"), the
  weight-randomization ratio of :mod:`nas_ops.metrics.diagnosis` (about 1 = the output does not
  need the network, larger = it does). None when the run has no diagnosis of the parent.
  ``relevance_level`` is a median split per output over the rows whose output is affected by
  the edit (the edited network reaches it) and that have a relevance: ``"low"`` when relevance
  <= that median, ``"high"`` otherwise. Rows whose output is not affected get no level: their
  relevance is 1 by definition and their effect trivially about 0 (see the ``affected``
  condition instead).
- ``worst_output``: whether the output is the parent's worst one, as it stood before its child
  was made. Each of the parent's outputs is scored by its percentile among the successfully
  evaluated individuals that existed before the child: those of an earlier generation than the
  child's (the fraction whose signed metric, larger = better, is <= the parent's). The parent
  itself is of an earlier generation; its children, its controls and every later individual
  take no part, so the covariate cannot leak the outcome it conditions. In a study the pool is
  the base models. The worst output has the lowest percentile (ties: the first in declaration
  order). None without a parent evaluation.
- ``size_level``: ``"small"`` when the parent's parameters <= the median parameters over the
  distinct parents of the rows, else ``"large"``.
- ``distance``: the number of edges on the shortest directed path, in the child genome, from a
  touched network (present in the child) to the output; with networks feeding each other this is
  the number of networks from the edit to the output, the edited one included.
  ``distance_level``: ``"near"`` when distance == 1 (the edited network feeds the output
  directly), ``"far"`` when >= 2; None when no touched network reaches the output.
"""

from __future__ import annotations

import bisect
import math
import statistics
from typing import Any

import networkx as nx

from nas_ops.analysis.rows import EffectRow, OutputInfo, metric_value
from nas_ops.store.run import Individual, Run


class Covariates:
    """Precomputed lookups for the covariates of one run."""

    def __init__(self, run: Run, outputs: list[OutputInfo], split: str = "val") -> None:
        self.outputs = outputs
        self.split = split
        self._relevance: dict[tuple[str, str, str], float] = {
            (uid, net, out): float(value)
            for uid, net, out, metric, value in run.diagnoses if metric == "relevance"}
        self._values: dict[str, list[tuple[int, float]]] = {}
        for out in outputs:
            values = [(i.generation, out.signed(metric_value(i, out, split)))
                      for i in run.evaluated()]
            self._values[out.name] = [(g, v) for g, v in values if not math.isnan(v)]
        self._pools: dict[tuple[str, int], list[float]] = {}
        self._worst: dict[tuple[str, int], str | None] = {}

    @staticmethod
    def edited_network(parent: Individual | None, touched: list[str]) -> str | None:
        if parent is None:
            return None
        nets = set(parent.genome.network_ids)
        return next((t for t in touched if t in nets), None)

    def relevance(self, parent: Individual | None, network: str | None,
                  output: str) -> float | None:
        if parent is None or network is None:
            return None
        return self._relevance.get((parent.uid, network, output))

    def pool(self, out: OutputInfo, before: int) -> list[float]:
        """The sorted signed values of ``out`` of the evaluated individuals of a generation
        below ``before``."""
        key = (out.name, before)
        if key not in self._pools:
            self._pools[key] = sorted(v for g, v in self._values.get(out.name, []) if g < before)
        return self._pools[key]

    def percentile(self, ind: Individual, out: OutputInfo, before: int) -> float:
        """``ind``'s percentile on ``out`` among the individuals of a generation below
        ``before``."""
        value = metric_value(ind, out, self.split)
        pool = self.pool(out, before)
        if math.isnan(value) or not pool:
            return math.nan
        return bisect.bisect_right(pool, out.signed(value)) / len(pool)

    def worst_output(self, parent: Individual, before: int) -> str | None:
        """The parent's worst output among the individuals of a generation below ``before``
        (its child's generation)."""
        key = (parent.uid, before)
        if key not in self._worst:
            scores = [(self.percentile(parent, o, before), k, o.name)
                      for k, o in enumerate(self.outputs)]
            scores = [s for s in scores if not math.isnan(s[0])]
            self._worst[key] = min(scores)[2] if scores else None
        return self._worst[key]

    def is_worst(self, parent: Individual | None, output: str, before: int) -> bool | None:
        """Whether ``output`` is ``parent``'s worst before its child of generation ``before``."""
        if parent is None:
            return None
        worst = self.worst_output(parent, before)
        return None if worst is None else worst == output

    @staticmethod
    def distance(child: Individual, touched: list[str], output: str) -> int | None:
        genome = child.genome
        nets = set(genome.network_ids)
        if not genome.has_node(output):
            return None
        best: int | None = None
        for node in touched:
            if node not in nets:
                continue
            try:
                d = int(nx.shortest_path_length(genome.graph, node, output))
            except nx.NetworkXNoPath:
                continue
            best = d if best is None else min(best, d)
        return best


def _median(values: list[float]) -> float | None:
    clean = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(clean) if clean else None


def assign_levels(rows: list[EffectRow]) -> None:
    """Fill ``relevance_level``, ``size_level`` and ``distance_level`` of ``rows`` in place."""
    by_output: dict[str, list[Any]] = {}
    for r in rows:
        by_output.setdefault(r.output, []).append(r)
    for out_rows in by_output.values():
        rated = [r for r in out_rows if r.relevance is not None and r.affected]
        med = _median([r.relevance for r in rated])
        for r in rated:
            if med is not None:
                r.relevance_level = "low" if r.relevance <= med else "high"
    sizes = {r.parent: r.parent_parameters for r in rows}
    size_median = _median(list(sizes.values()))
    for r in rows:
        if size_median is not None and not math.isnan(r.parent_parameters):
            r.size_level = "small" if r.parent_parameters <= size_median else "large"
        if r.distance is not None:
            r.distance_level = "near" if r.distance <= 1 else "far"
