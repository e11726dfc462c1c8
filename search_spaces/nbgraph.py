"""The NAS-Bench-Graph space (docs/tables.md): 4 GNN operation nodes wired by a link pattern.

Genome: the input (named after the dataset) feeds the nodes with ``link[i] = 0``; node ``i``
(``n0``..``n3``, kind = its operation) feeds the nodes reading ``i + 1``; the nodes nobody reads
feed the output ``class``. Positions follow the genome's topological order, so any genome of
this shape has a (link, ops); its table key is the benchmark's canonical key of that pair.
The genomes this space builds (sampling, :meth:`NBGraphSpace.genome_of_key`, the operators) are
canonical: isomorphic architectures get one genome, and so one structural hash.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Hyper
from nas_ops.genome.rules import Rules
from nas_ops.tables import nbgraph as bench
from search_spaces._table import (
    OUTPUT,
    TableSpace,
    check_ends,
    ends,
    fail,
    interned,
    op_node,
    table_rules,
)

NAME = "nbgraph"
Arch = tuple[tuple[int, ...], tuple[str, ...]]  # (link, ops)


def positions(genome: Genome) -> list[str]:
    """The operation nodes in topological order (their positions in (link, ops))."""
    return list(genome.kept("_nbgraph_positions", _positions))


def _positions(genome: Genome) -> tuple[str, ...]:
    nets = set(genome.network_ids)
    return tuple(n for n in genome.topological_order if n in nets)


def arch_of(genome: Genome) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """(link, ops) of a genome whose ends are checked: positions in topological order (kept on
    the immutable genome once computed)."""
    return genome.kept("_nbgraph_arch", _arch_of)


def _arch_of(genome: Genome) -> tuple[tuple[int, ...], tuple[str, ...]]:
    order = positions(genome)
    if len(order) != 4:
        raise fail(NAME, "(genome)", f"{len(order)} operation nodes; the cell has 4")
    position = {nid: i for i, nid in enumerate(order)}
    source = genome.inputs[0].id
    link = []
    for nid in order:
        preds = genome.predecessors(nid)
        if len(preds) != 1:
            raise fail(NAME, nid, f"reads {len(preds)} values; a node reads exactly one")
        link.append(0 if preds[0] == source else position[preds[0]] + 1)
    read = {genome.predecessors(nid)[0] for nid in order}
    leaves = [nid for nid in order if nid not in read]
    fed = genome.predecessors(OUTPUT)
    if sorted(fed) != sorted(leaves):
        raise fail(NAME, OUTPUT, f"the output sums the nodes nobody reads ({', '.join(leaves)}), "
                   f"got {', '.join(fed) or 'none'}")
    return tuple(link), tuple(genome.network(nid).kind for nid in order)


def topological(link: Sequence[int], ops: Sequence[str]) -> Arch | None:
    """``arch_of(build(dataset, link, ops))`` without building the genome, for a ``link`` whose
    entries may read any node (``j`` > 0: node ``j - 1``); None when the nodes read each other in
    a cycle or read a node that does not exist (the genome is then no cell, and :func:`arch_of`
    says why). Positions follow the genome's topological order, ties broken by node index as
    :attr:`Genome.topological_order` breaks them by declaration."""
    readers: list[list[int]] = [[] for _ in range(len(ops) + 1)]  # value -> nodes reading it
    for node, source in enumerate(link):
        if not 0 <= source <= len(ops):
            return None
        readers[source].append(node)
    ready, order = [0], []  # values by rank: 0 the input, node + 1 a node
    while ready:
        value = heapq.heappop(ready)
        if value:
            order.append(value - 1)
        for node in readers[value]:  # a node reads one value: it is ready once that one is
            heapq.heappush(ready, node + 1)
    if len(order) != len(ops):
        return None
    position = {node: k for k, node in enumerate(order)}
    return (tuple(0 if link[n] == 0 else position[link[n] - 1] + 1 for n in order),
            tuple(ops[n] for n in order))


class _Rules(Rules):
    def check(self, genome: Genome) -> None:
        dataset = check_ends(NAME, genome, bench.DATASETS)
        link, ops = arch_of(genome)
        allowed = bench.ops_of(dataset)
        for nid, op in zip(positions(genome), ops, strict=True):
            if op not in allowed:
                raise fail(NAME, nid, f"operation {op!r} is not trained on {dataset}; valid: "
                           f"{', '.join(allowed)}")
        if all(op == "skip" for op in ops):
            raise fail(NAME, "(genome)", "only skip operations: not an architecture of the table")


def build(dataset: str, link: Sequence[int], ops: Sequence[str]) -> Genome:
    """The genome of (link, ops) as given (not canonicalized) for ``dataset`` (one object per
    process and architecture: :func:`~search_spaces._table.interned`)."""
    link, ops = tuple(link), tuple(ops)
    return interned((NAME, dataset, link, ops), lambda: _build(dataset, link, ops))


def _build(dataset: str, link: tuple[int, ...], ops: tuple[str, ...]) -> Genome:
    inputs, outputs = ends(dataset)
    nets = tuple(op_node(f"n{i}", op) for i, op in enumerate(ops))
    edges = [(dataset if src == 0 else f"n{src - 1}", f"n{i}") for i, src in enumerate(link)]
    edges += [(f"n{i}", OUTPUT) for i in range(len(ops)) if i + 1 not in set(link)]
    return Genome(inputs, nets, outputs, tuple(edges), Hyper(), NAME)


@dataclass
class NBGraphSpace(TableSpace):
    name: str = NAME
    table: str = "nbgraph"
    rules: Rules = _Rules(**table_rules(bench.OPS, 4))  # noqa: RUF009 - immutable

    def genome_of_key(self, dataset: str, key: Any) -> Genome:
        return build(dataset, *bench.decode(key))

    def key_of(self, genome: Genome) -> int:
        """The benchmark's key of a valid nbgraph genome."""
        return bench.canonical_key(*arch_of(genome))

    def canonical(self, genome: Genome) -> Genome:
        """The canonical genome of ``genome``'s architecture (lineage cleared)."""
        return build(genome.inputs[0].id, *bench.canonical(*arch_of(genome)))


__all__ = ["NBGraphSpace", "arch_of", "build", "topological"]
