"""The engine's account of a parent for the policy: :class:`ParentState` from its candidate
record, its stored diagnosis and the current population.

The diagnosis is the parent's own (a fresh evaluation carries its rows, one read back from the
ledger on resume reads them from the ``diagnoses`` table), or, for a duplicate, that of the
model whose result it reused. Standing is computed among the members of the pool the parent was
drawn from (the current population) whose evaluation succeeded; the pool's sorted values are
computed once per pool (:class:`Standings`), so describing a parent costs O(log pool).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence

from nas_ops.engine.individuals import Candidate
from nas_ops.engine.policies import ParentState
from nas_ops.genome import Genome
from nas_ops.tasks.base import OutputSpec


def _rows(cand: Candidate, members: Mapping[str, Candidate]) -> list[tuple[str, str, str, float]]:
    rec = cand.record
    if rec is None:
        return []
    if not rec.diagnosis and rec.duplicate_of in members:
        original = members[rec.duplicate_of].record
        return list(original.diagnosis) if original is not None else []
    return list(rec.diagnosis)


def _error(spec: OutputSpec, value: float) -> float:
    return 1.0 - value if spec.higher_is_better else value


def _ok(cand: Candidate) -> bool:
    return cand.record is not None and cand.record.ok


def _parameters(cand: Candidate) -> float:
    return float(cand.record.complexity.get("parameters", 0)) if cand.record else 0.0


class Standings:
    """The sorted errors (per output) and parameter counts of the successful members of one
    pool: a parent's standing is the share of them (itself included) at or below its own."""

    def __init__(self, members: Mapping[str, Candidate], pool: Sequence[str],
                 outputs: Sequence[OutputSpec]) -> None:
        evaluated = [members[u] for u in dict.fromkeys(pool) if u in members and _ok(members[u])]
        self.uids = {m.uid for m in evaluated}
        self.outputs = tuple(outputs)
        self.errors = [sorted(_error(spec, m.objectives[k]) for m in evaluated)
                       for k, spec in enumerate(self.outputs)]
        self.sizes = sorted(_parameters(m) for m in evaluated)

    def of(self, cand: Candidate, members: Mapping[str, Candidate],
           ) -> tuple[dict[str, float], float]:
        """(output -> percentile of ``cand``'s error, percentile of its parameter count)."""
        extra = int(cand.uid not in self.uids and cand.uid in members)  # counted with the pool
        n = len(self.sizes) + extra
        standing = {spec.name: (bisect_right(self.errors[k], _error(spec, cand.objectives[k]))
                                + extra) / n
                    for k, spec in enumerate(self.outputs)}
        return standing, (bisect_right(self.sizes, _parameters(cand)) + extra) / n


def structure(genome: Genome) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(network -> the outputs it reaches, output -> the networks with an edge into it)."""
    affected = {n: tuple(genome.reachable_outputs([n])) for n in genome.network_ids}
    feeds = {o: tuple(p for p in genome.predecessors(o) if p in affected)
             for o in genome.output_ids}
    return affected, feeds


def parent_state(cand: Candidate, members: Mapping[str, Candidate], pool: Sequence[str],
                 outputs: Sequence[OutputSpec], safe: Sequence[str] = (),
                 tried: Sequence[str] = (), standings: Standings | None = None) -> ParentState:
    """``standings``: those of ``pool`` when the caller keeps them (computed here if not)."""
    relevance: dict[str, dict[str, float]] = {}
    for net, out, metric, value in _rows(cand, members):
        if metric == "relevance":
            relevance.setdefault(net, {})[out] = float(value)
    affected, feeds = structure(cand.genome)
    standing: dict[str, float] = {}
    values: dict[str, float] = {}
    size = None
    if _ok(cand):
        standing, size = (standings or Standings(members, pool, outputs)).of(cand, members)
        values = {spec.name: float(cand.objectives[k]) for k, spec in enumerate(outputs)}
    return ParentState(cand.uid, tuple(o.name for o in outputs), relevance, affected, feeds,
                       standing, size, tuple(tried), tuple(safe), values)
