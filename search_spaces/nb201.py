"""The NAS-Bench-201 cell space on CIFAR-10 (docs/tables.md), measured by AnalogNAS-Bench.

Genome: node ``j`` of the cell (1, 2) is a network of kind ``sum`` (no layers); each of the 6
edges ``i -> j`` is a network whose kind is its operation, reading node ``i`` (the input,
named ``cifar10``, for ``i = 0``) and feeding node ``j`` (the output ``class`` for ``j = 3``).
Edge networks are called ``e<i><j>``, sum nodes ``c1`` and ``c2``; the table key is the
standard cell string. Every cell is its own table entry: 5^6 = 15,625.
"""

from __future__ import annotations

from dataclasses import dataclass

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Hyper, NetworkNode
from nas_ops.genome.rules import Rules
from nas_ops.tables import nb201 as bench
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

NAME = "nb201"
SUM = "sum"


def _levels(genome: Genome) -> dict[str, int]:
    """The cell node (0..3) of the input, the sum nodes and the output."""
    sums = [n.id for n in genome.networks if n.kind == SUM]
    if len(sums) != 2:
        raise fail(NAME, "(genome)", f"{len(sums)} sum nodes; the cell has 2 (nodes 1 and 2)")
    fan_in = {s: len(genome.predecessors(s)) for s in sums}
    if sorted(fan_in.values()) != [1, 2]:
        raise fail(NAME, sums[0], "node 1 sums one edge and node 2 two")
    first = next(s for s in sums if fan_in[s] == 1)
    second = next(s for s in sums if fan_in[s] == 2)
    return {genome.inputs[0].id: 0, first: 1, second: 2, OUTPUT: 3}


def edge_ids(genome: Genome) -> tuple[str, ...]:
    """The ids of the edge networks, in :data:`bench.EDGES` order (found by structure; kept on
    the immutable genome once found)."""
    return genome.kept("_nb201_edges", _edge_ids)


def _edge_ids(genome: Genome) -> tuple[str, ...]:
    level = _levels(genome)
    nets = set(genome.network_ids)
    found: dict[tuple[int, int], str] = {}
    for net in genome.networks:
        if net.kind == SUM:
            if any(genome.network(p).kind == SUM for p in genome.predecessors(net.id)
                   if p in nets):
                raise fail(NAME, net.id, "a sum node reads edges only")
            continue
        preds, succs = genome.predecessors(net.id), genome.successors(net.id)
        if len(preds) != 1 or len(succs) != 1 or preds[0] not in level or succs[0] not in level:
            raise fail(NAME, net.id, "an edge reads one cell node and feeds one cell node")
        edge = (level[preds[0]], level[succs[0]])
        if edge not in bench.EDGES or edge in found:
            raise fail(NAME, net.id, f"edge {edge[0]}->{edge[1]} is not a free edge of the cell")
        found[edge] = net.id
    if len(found) != len(bench.EDGES):
        missing = [f"{i}->{j}" for i, j in bench.EDGES if (i, j) not in found]
        raise fail(NAME, "(genome)", f"edges missing: {', '.join(missing)}")
    return tuple(found[e] for e in bench.EDGES)


def ops_of(genome: Genome) -> tuple[str, ...]:
    """The operations on :data:`bench.EDGES` of a genome whose ends are checked."""
    return tuple(genome.network(n).kind for n in edge_ids(genome))


class _Rules(Rules):
    def check(self, genome: Genome) -> None:
        check_ends(NAME, genome, bench.DATASETS)
        ops_of(genome)


def build(dataset: str, ops: tuple[str, ...] | list[str]) -> Genome:
    """The genome of the cell whose edges (:data:`bench.EDGES` order) carry ``ops`` (one object
    per process and architecture: :func:`~search_spaces._table.interned`)."""
    bench.check_ops(ops)
    ops = tuple(ops)
    return interned((NAME, dataset, ops), lambda: _build(dataset, ops))


def _build(dataset: str, ops: tuple[str, ...]) -> Genome:
    inputs, outputs = ends(dataset)
    node = {0: dataset, 1: "c1", 2: "c2", 3: OUTPUT}
    nets: list[NetworkNode] = []
    edges: list[tuple[str, str]] = []
    for j in (1, 2, 3):
        for (src, dst), op in zip(bench.EDGES, ops, strict=True):
            if dst == j:
                nets.append(op_node(f"e{src}{dst}", op))
                edges += [(node[src], f"e{src}{dst}"), (f"e{src}{dst}", node[dst])]
        if j < 3:
            nets.append(op_node(node[j], SUM))
    return Genome(inputs, tuple(nets), outputs, tuple(edges), Hyper(), NAME)


@dataclass
class NB201Space(TableSpace):
    name: str = NAME
    table: str = "nb201"
    rules: Rules = _Rules(**table_rules((*bench.OPS, SUM), 8))  # noqa: RUF009 - immutable

    def genome_of_key(self, dataset: str, key: str) -> Genome:
        return build(dataset, bench.parse_cell(key))

    def key_of(self, genome: Genome) -> str:
        """The cell string of a valid nb201 genome."""
        return bench.cell_string(ops_of(genome))

    def canonical(self, genome: Genome) -> Genome:
        return build(genome.inputs[0].id, ops_of(genome))


__all__ = ["NB201Space", "SUM", "build", "edge_ids", "ops_of"]
