"""What a variation changed: diff, touched nodes, affected outputs, protected nodes.

Reachability is the genome's own (``Genome.descendants``, ``ancestors``, ``reachable_outputs``);
these run once per variation and sit in the hot path of a search.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from nas_ops.genome.genome import Genome
from nas_ops.genome.hashing import structural_hash
from nas_ops.genome.nodes import OutputNode
from nas_ops.genome.shapes import complexity, output_cost
from nas_ops.variation.events import DIFF_KEYS, ChildRecord


def downstream(genome: Genome, start: Iterable[str]) -> set[str]:
    """``start`` (those present) and every node reachable from them."""
    present = {s for s in start if genome.has_node(s)}
    return present.union(*(genome.descendants(s) for s in present))


def upstream(genome: Genome, start: Iterable[str]) -> set[str]:
    """``start`` (those present) and every node that reaches them."""
    present = {s for s in start if genome.has_node(s)}
    return present.union(*(genome.ancestors(s) for s in present))


def protected_nodes(genome: Genome, safe: Iterable[str]) -> set[str]:
    """Nodes that reach one of the ``safe`` outputs, the outputs included."""
    return upstream(genome, [s for s in safe if s in genome.output_ids])


def _edge_name(edge: tuple[str, str]) -> str:
    return f"{edge[0]}->{edge[1]}"


def genome_diff(parent: Genome, child: Genome) -> dict[str, list[str]]:
    """Node, edge and hyperparameter differences from ``parent`` to ``child``."""
    pids, cids = set(parent.node_ids), set(child.node_ids)
    changed, hyper = [], []
    for nid in child.node_ids:
        if nid not in pids:
            continue
        old, new = parent.node(nid), child.node(nid)
        if old is new or old == new:  # records are shared between genomes more often than not
            continue
        if (isinstance(old, OutputNode) and isinstance(new, OutputNode)
                and dataclasses.replace(old, loss_weight=new.loss_weight) == new):
            hyper.append(f"loss_weight.{nid}")
        else:
            changed.append(nid)
    if parent.hyper != child.hyper:
        hyper += [f.name for f in dataclasses.fields(parent.hyper)
                  if getattr(parent.hyper, f.name) != getattr(child.hyper, f.name)]
    pedges, cedges = set(parent.edges), set(child.edges)
    return {
        "nodes_added": [n for n in child.node_ids if n not in pids],
        "nodes_removed": [n for n in parent.node_ids if n not in cids],
        "nodes_changed": changed,
        "edges_added": [_edge_name(e) for e in child.edges if e not in pedges],
        "edges_removed": [_edge_name(e) for e in parent.edges if e not in cedges],
        "hyper_changed": hyper,
    }


def touched_nodes(parent: Genome, child: Genome, diff: dict[str, list[str]],
                  rewired: Iterable[str] = ()) -> list[str]:
    """Nodes added, removed or changed, nodes whose input changed (edges added/removed or
    reordered), and ``rewired`` (networks whose weights the inheritance map does not copy as is).
    """
    touched = set(diff["nodes_added"]) | set(diff["nodes_removed"]) | set(diff["nodes_changed"])
    for key in ("edges_added", "edges_removed"):
        touched |= {e.split("->", 1)[1] for e in diff[key]}
    for nid in child.node_ids:
        if parent.has_node(nid) and parent.predecessors(nid) != child.predecessors(nid):
            touched.add(nid)
    touched |= set(rewired)
    order = {n: i for i, n in enumerate([*parent.node_ids, *child.node_ids])}
    return sorted(touched, key=order.__getitem__)


def affected_outputs(parent: Genome, child: Genome, touched: Iterable[str],
                     diff: dict[str, list[str]]) -> list[str]:
    """Outputs reachable from touched nodes in the child, or in the parent (removed nodes);
    every output when a hyperparameter changed."""
    if diff["hyper_changed"]:
        return list(child.output_ids)
    touched = list(touched)
    reach = set(child.reachable_outputs(touched)) | set(parent.reachable_outputs(touched))
    return [o for o in child.output_ids if o in reach]


def cached_hash(genome: Genome) -> str:
    return str(genome.kept("_variation_shash", structural_hash))


def cached_complexity(genome: Genome) -> dict[str, int]:
    return dict(genome.kept("_variation_complexity", lambda g: complexity(g).as_dict()))


def cached_output_cost(genome: Genome) -> dict[str, dict[str, int]]:
    """:func:`~nas_ops.genome.shapes.output_cost` of ``genome`` (a copy), memoized on it."""
    cost = genome.kept("_variation_output_cost", output_cost)
    return {k: dict(v) for k, v in cost.items()}


def is_neutral(parent: Genome, child: Genome) -> bool:
    """Whether the child is structurally the parent (equal structural hashes; the engine needs
    the child's hash anyway, and it stays memoized on the child)."""
    return cached_hash(parent) == cached_hash(child)


def describe_child(parent: Genome, child: Genome, rewired: Iterable[str] = ()) -> ChildRecord:
    """The per-child record: diff, touched, affected outputs, neutrality, complexity before and
    after (whole genome, and per output subgraph)."""
    diff = genome_diff(parent, child)
    touched = touched_nodes(parent, child, diff, rewired)
    affected = affected_outputs(parent, child, touched, diff)
    neutral = (not any(diff.values()) and not touched) or is_neutral(parent, child)
    return ChildRecord(diff, touched, affected, neutral, cached_complexity(parent),
                       cached_complexity(child), cached_output_cost(parent),
                       cached_output_cost(child))


def merge_records(records: list[ChildRecord], output_ids: list[str]) -> ChildRecord:
    """Union of per-child records (diff lists and touched nodes keep first-seen order); its
    ``complexity_*`` fields are left empty."""
    merged = ChildRecord()
    for k in DIFF_KEYS:
        merged.diff[k] = list(dict.fromkeys(x for rec in records for x in rec.diff[k]))
    merged.touched = list(dict.fromkeys(t for rec in records for t in rec.touched))
    affected = {o for rec in records for o in rec.affected_outputs}
    merged.affected_outputs = [o for o in output_ids if o in affected]
    merged.neutral = bool(records) and all(rec.neutral for rec in records)
    return merged

