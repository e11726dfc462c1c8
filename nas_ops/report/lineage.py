"""The lineage of the best models: the best individual per output and all of its ancestors."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from nas_ops.analysis import Analysis
from nas_ops.analysis.effects import metric_value


def best_per_output(a: Analysis, split: str = "val") -> dict[str, tuple[str, float]]:
    """Output -> (uid, value) of the best successfully evaluated individual (ties: first)."""
    best: dict[str, tuple[str, float]] = {}
    for out in a.outputs:
        scored = [(out.signed(v), -k, ind.uid, v) for k, ind in enumerate(a.run.evaluated())
                  if not math.isnan(v := metric_value(ind, out, split))]
        if scored:
            _, _, uid, value = max(scored)
            best[out.name] = (uid, value)
    return best


def lineage_graph(a: Analysis) -> tuple[nx.DiGraph, dict[str, str]]:
    """Parent -> child graph of the ancestors of each output's best individual (edges carry the
    child's operator), and the best uid of each output."""
    by_uid = a.run.by_uid()
    best = {o: uid for o, (uid, _) in best_per_output(a).items()}
    graph = nx.DiGraph()
    stack = list(best.values())
    while stack:
        uid = stack.pop()
        ind = by_uid.get(uid)
        if ind is None or uid in graph and graph.nodes[uid].get("seen"):
            continue
        graph.add_node(uid, generation=ind.generation, seen=True)
        for parent in ind.parents:
            if parent in by_uid:
                graph.add_node(parent, generation=by_uid[parent].generation)
                graph.add_edge(parent, uid, operator=ind.operator or "")
                stack.append(parent)
    return graph, best


def lineage_chains(a: Analysis) -> list[list[Any]]:
    """Rows (output, best uid, chain) where chain reads ``uid <-op- parent <-op- ...`` following
    first parents back to a generation-0 model."""
    by_uid = a.run.by_uid()
    rows = []
    for out, (uid, value) in best_per_output(a).items():
        parts, cur, seen = [uid], by_uid.get(uid), {uid}
        while cur is not None and cur.parents and cur.parents[0] not in seen:
            parent = cur.parents[0]
            parts.append(f"<-{cur.operator or '?'}- {parent}")
            seen.add(parent)
            cur = by_uid.get(parent)
        rows.append([out, uid, value, " ".join(parts)])
    return rows
