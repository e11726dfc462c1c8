"""Helpers shared by the built-in operators: type checks, editable targets, value choices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import ACTIVATIONS, INITIALIZERS, InputNode, NetworkNode, OutputNode
from nas_ops.genome.rules import Rules
from nas_ops.genome.shapes import node_out_size
from nas_ops.genome.validate import produced
from nas_ops.spaces import SearchSpace
from nas_ops.variation import VariationContext, downstream

DENSE_KINDS = ("mlp", "discrete", "decoder")
CONV_KINDS = ("conv_encoder", "conv_decoder")


def editable_networks(genome: Genome, ctx: VariationContext) -> list[NetworkNode]:
    """Networks that reach no safe output."""
    guard = ctx.protected(genome)
    return [n for n in genome.networks if n.id not in guard]


def source_fits(genome: Genome, src: str, dst: str, rules: Rules) -> bool:
    """Whether ``src`` may feed ``dst`` as it is (types, conv geometry, output sizes)."""
    node = genome.node(dst)
    dtype = produced(genome, src, rules)
    if isinstance(node, OutputNode):
        src_node = genome.node(src)
        return (dtype in rules.output_accepts[node.kind] and isinstance(src_node, NetworkNode)
                and src_node.out_size == node.size)
    assert isinstance(node, NetworkNode)
    if dtype not in rules.accepts[node.kind]:
        return False
    if node.kind == "conv_encoder":
        return same_spatial(genome, [*genome.predecessors(dst), src])
    return True


def same_spatial(genome: Genome, nodes: Sequence[str]) -> bool:
    shapes = set()
    for nid in nodes:
        node = genome.node(nid)
        if not isinstance(node, InputNode):
            return False
        shapes.add(node.shape[1:])
    return len(shapes) <= 1


def creates_cycle(genome: Genome, src: str, dst: str) -> bool:
    return src in downstream(genome, [dst])


def feeds_output(genome: Genome, nid: str) -> bool:
    return any(isinstance(genome.node(s), OutputNode) for s in genome.successors(nid))


def sizes(genome: Genome, nodes: Sequence[str]) -> int:
    return sum(node_out_size(genome, n) for n in nodes)


def unit_choices(space: SearchSpace, kind: str) -> tuple[int, ...]:
    """Widths the space samples for a layer of ``kind`` (channels for convolutional kinds)."""
    attr = "channels" if kind in CONV_KINDS else "units"
    values = getattr(space, attr, None)
    if not values:
        values = tuple(2 ** k for k in range(1, 12))
    r = space.rules
    return tuple(int(v) for v in values if r.min_units <= v <= r.max_units)


def value_choices(space: SearchSpace, attr: str, fallback: Sequence[Any]) -> tuple[Any, ...]:
    values = getattr(space, attr, None)
    return tuple(values) if values else tuple(fallback)


def activations(space: SearchSpace) -> tuple[str, ...]:
    return value_choices(space, "activations", ACTIVATIONS)


def initializers(space: SearchSpace) -> tuple[str, ...]:
    return value_choices(space, "initializers", INITIALIZERS)


def min_layers(kind: str) -> int:
    return 1 if kind in CONV_KINDS else 0


def replace_edge(edges: Sequence[tuple[str, str]], old: tuple[str, str],
                 new: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """``edges`` with ``old`` replaced in place by ``new`` (keeps the target's input order)."""
    out: list[tuple[str, str]] = []
    for e in edges:
        out.extend(new if e == old else (e,))
    return tuple(out)
