"""Operators of the benchmark-table spaces nbgraph and nb201 (docs/tables.md).

Each is written for one space (``spaces``) and is not applicable elsewhere; the generic
operators are not applicable to these spaces. Children are canonical genomes of their
architecture, so isomorphic children share a structural hash (and a table entry). With the
output safe nothing can change, so none applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import combinations
from typing import ClassVar

from nas_ops.genome.genome import Genome
from nas_ops.tables import nb201 as nb201_table
from nas_ops.tables import nbgraph as nbgraph_table
from nas_ops.variation import Operator, VariationContext, register_operator
from search_spaces import nb201, nbgraph

Arch = nbgraph.Arch


def _nbgraph_child(dataset: str, link: Sequence[int], ops: Sequence[str]) -> Genome:
    """The canonical genome of a (link, ops) whose link may read any other node."""
    arch = nbgraph.topological(link, ops)
    if arch is None:  # a cycle: the genome's own reading names it
        arch = nbgraph.arch_of(nbgraph.build(dataset, link, ops))
    return nbgraph.build(dataset, *nbgraph_table.canonical(*arch))


def _not_all_skip(ops: Sequence[str]) -> bool:
    return any(op != "skip" for op in ops)


class _TableOperator(Operator):
    table_space: ClassVar[str] = ""

    def _editable(self, parents: Sequence[Genome], ctx: VariationContext) -> bool:
        return not ctx.safe and all(p.space == self.table_space for p in parents)


class _NBGraphNodeEdit(_TableOperator):
    """Base of the nbgraph operators that give one node another value: the target is the node
    (drawn as ``node``), the value one of ``_options`` (drawn as ``decision``)."""

    spaces = ("nbgraph",)
    table_space = "nbgraph"
    decision: ClassVar[str] = ""

    def _options(self, genome: Genome, node: str) -> list[str]:
        raise NotImplementedError

    def _child(self, genome: Genome, node: str, value: str) -> Genome:
        raise NotImplementedError

    def _options_of(self, genome: Genome, node: str) -> list[str]:
        """:meth:`_options`, kept on the (immutable) genome: a parent is drawn many times."""
        return list(genome.kept(f"_nbgraph_options:{self.name}:{node}",
                                lambda g: tuple(self._options(g, node))))

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        if not self._editable(parents, ctx):
            return []
        return list(parents[0].kept(f"_nbgraph_candidates:{self.name}", lambda g: tuple(
            n for n in nbgraph.positions(g) if self._options_of(g, n))))

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        node = ctx.choice("node", self._candidates(parents, ctx))
        return self._child(g, node, ctx.choice(self.decision, self._options_of(g, node)))


@register_operator("nbgraph_change_op", family="network", direction="neutral",
                   description="nbgraph: give one node another GNN operation")
class NBGraphChangeOp(_NBGraphNodeEdit):
    """Give one node of an nbgraph cell another operation (one trained on the genome's dataset;
    never the last non-skip one to skip). The target is the node."""

    decision = "op"

    def _options(self, genome: Genome, node: str) -> list[str]:
        order = nbgraph.positions(genome)
        ops = [genome.network(n).kind for n in order]
        k = order.index(node)
        allowed = nbgraph_table.ops_of(genome.inputs[0].id)
        return [op for op in allowed if op != ops[k]
                and _not_all_skip([*ops[:k], op, *ops[k + 1:]])]

    def _child(self, genome: Genome, node: str, value: str) -> Genome:
        link, ops = nbgraph.arch_of(genome)
        k = nbgraph.positions(genome).index(node)
        return _nbgraph_child(genome.inputs[0].id, link, [*ops[:k], value, *ops[k + 1:]])


@register_operator("nbgraph_rewire", family="connection", direction="neutral",
                   description="nbgraph: make one node read another value")
class NBGraphRewire(_NBGraphNodeEdit):
    """Make one node of an nbgraph cell read another value: the input or a node that does not
    depend on it. The target is the node; the new source is recorded as ``source``."""

    decision = "source"

    def _options(self, genome: Genome, node: str) -> list[str]:
        blocked = genome.descendants(node) | {node, *genome.predecessors(node)}
        return [s for s in [genome.inputs[0].id, *nbgraph.positions(genome)] if s not in blocked]

    def _child(self, genome: Genome, node: str, value: str) -> Genome:
        order = nbgraph.positions(genome)
        link, ops = nbgraph.arch_of(genome)
        new = list(link)
        new[order.index(node)] = 0 if value == genome.inputs[0].id else order.index(value) + 1
        return _nbgraph_child(genome.inputs[0].id, new, ops)


@cache
def _masks(n: int) -> tuple[tuple[tuple[int, ...], tuple[bool, ...]], ...]:
    """Every non-empty proper subset of ``range(n)``, smallest first, each with its membership
    flags."""
    return tuple((m, tuple(k in m for k in range(n)))
                 for size in range(1, n) for m in combinations(range(n), size))


def _exchange(a: Sequence[str], b: Sequence[str], inside: tuple[bool, ...]) -> tuple[str, ...]:
    """``a`` with ``b``'s operations at the positions flagged ``inside``."""
    return tuple(y if flag else x for x, y, flag in zip(a, b, inside, strict=True))


@lru_cache(maxsize=4096)
def _exchanges(a: tuple[str, ...], b: tuple[str, ...]) -> dict[tuple[int, ...], tuple[
        tuple[str, ...], tuple[str, ...]]]:
    """mask -> (``a`` with ``b``'s operations there, the converse), for every mask (kept: a
    crossover asks for its candidates, then for the drawn one's children). Do not mutate."""
    return {mask: (_exchange(a, b, inside), _exchange(b, a, inside))
            for mask, inside in _masks(len(a))}


@register_operator("nbgraph_crossover", family="crossover", arity=2, direction="neutral",
                   description="nbgraph: exchange the operations at some positions")
class NBGraphCrossover(_TableOperator):
    """Exchange the operations at some positions (``positions``, topological order) between two
    nbgraph cells: child 1 keeps the first parent's wiring with the second's operations there,
    child 2 the converse. Only exchanges that change both parents are drawn."""

    spaces = ("nbgraph",)
    table_space = "nbgraph"

    def _children(self, parents: Sequence[Genome]) -> dict[tuple[int, ...], tuple[Arch, Arch]]:
        (link_a, ops_a), (link_b, ops_b) = (nbgraph.arch_of(p) for p in parents)
        return {mask: ((link_a, one), (link_b, two))
                for mask, (one, two) in _exchanges(ops_a, ops_b).items()
                if one != ops_a and _not_all_skip(one) and _not_all_skip(two)}

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[tuple]:
        a, b = parents
        if not self._editable(parents, ctx) or a.inputs[0].id != b.inputs[0].id:
            return []
        return list(self._children(parents))

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> tuple[Genome, ...]:
        mask = tuple(ctx.choice("positions", self._candidates(parents, ctx)))
        dataset = parents[0].inputs[0].id
        return tuple(_nbgraph_child(dataset, *arch) for arch in self._children(parents)[mask])


@register_operator("nb201_change_op", family="network", direction="neutral",
                   description="nb201: give one edge of the cell another operation")
class NB201ChangeOp(_TableOperator):
    """Give one edge of a NAS-Bench-201 cell another of the 5 operations. The target is the
    edge's network (``e<i><j>``)."""

    spaces = ("nb201",)
    table_space = "nb201"

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        return list(nb201.edge_ids(parents[0])) if self._editable(parents, ctx) else []

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        edge = ctx.choice("edge", self._candidates(parents, ctx))
        current = g.network(edge).kind
        op = ctx.choice("op", [o for o in nb201_table.OPS if o != current])
        ops = list(nb201.ops_of(g))
        ops[nb201.edge_ids(g).index(edge)] = op
        return nb201.build(g.inputs[0].id, ops)


@register_operator("nb201_crossover", family="crossover", arity=2, direction="neutral",
                   description="nb201: exchange the operations of some edges")
class NB201Crossover(_TableOperator):
    """Exchange the operations of some edges (``edges``, in cell-string order) between two
    NAS-Bench-201 cells, giving two children; only exchanges that give two cells unlike either
    parent are drawn."""

    spaces = ("nb201",)
    table_space = "nb201"

    def _children(self, parents: Sequence[Genome]) -> dict[tuple[int, ...], tuple[tuple, tuple]]:
        a, b = nb201.ops_of(parents[0]), nb201.ops_of(parents[1])
        return {mask: (one, two) for mask, (one, two) in _exchanges(a, b).items()
                if one not in (a, b) and two not in (a, b)}

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[tuple]:
        if not self._editable(parents, ctx) or parents[0].inputs[0].id != parents[1].inputs[0].id:
            return []
        return list(self._children(parents))

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> tuple[Genome, ...]:
        mask = tuple(ctx.choice("edges", self._candidates(parents, ctx)))
        dataset = parents[0].inputs[0].id
        return tuple(nb201.build(dataset, ops) for ops in self._children(parents)[mask])


__all__ = ["NB201ChangeOp", "NB201Crossover", "NBGraphChangeOp", "NBGraphCrossover",
           "NBGraphRewire"]
