"""Crossover: exchange sub-network genomes between two parents."""

from __future__ import annotations

from collections.abc import Sequence

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import NetworkNode
from nas_ops.genome.validate import produced
from nas_ops.variation import (
    NetInheritance,
    Offspring,
    Operator,
    VariationContext,
    register_operator,
)
from operators._common import editable_networks, same_spatial

Pair = tuple[str, str]


def transplant(receiver: Genome, slot: str, donor: NetworkNode) -> NetworkNode:
    """``donor``'s genes (kind, layers, latent) in ``slot``: id, out_size and shape kept."""
    old = receiver.network(slot)
    shape = old.out_shape if donor.kind == "conv_decoder" else ()
    return NetworkNode(slot, donor.kind, donor.layers, old.out_size, donor.latent, shape)


def fits(receiver: Genome, slot: str, donor: NetworkNode, ctx: VariationContext) -> bool:
    """Whether ``donor``'s kind can take ``slot``'s inputs and feed its consumers."""
    rules = ctx.space.rules
    old = receiver.network(slot)
    if (donor.kind == "conv_decoder") != (old.kind == "conv_decoder"):
        return False
    preds = receiver.predecessors(slot)
    if any(produced(receiver, p, rules) not in rules.accepts[donor.kind] for p in preds):
        return False
    if donor.kind == "conv_encoder" and not same_spatial(receiver, preds):
        return False
    return rules.produces[donor.kind] == rules.produces[old.kind]


@register_operator("swap_network", family="crossover", arity=2, direction="neutral",
                   description="exchange type-compatible sub-networks between two parents")
class SwapNetwork(Operator):
    """Exchange two type-compatible sub-network genomes between parents: child 1 is parent 1
    with network X's genes replaced by parent 2's network Y's (X keeps its id, connections and
    output size), child 2 the converse. Each swapped network inherits its donor's weights."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Pair]:
        a, b = parents
        if a.space != b.space:
            return []
        nets_b = editable_networks(b, ctx)
        return [(x.id, y.id) for x in editable_networks(a, ctx) for y in nets_b
                if fits(a, x.id, y, ctx) and fits(b, y.id, x, ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> tuple[Offspring, ...]:
        a, b = parents
        x, y = ctx.choice("pair", self._candidates(parents, ctx))
        child_a = a.replace_network(transplant(a, x, b.network(y)))
        child_b = b.replace_network(transplant(b, y, a.network(x)))
        return (Offspring(child_a, {x: NetInheritance(1, y)}),
                Offspring(child_b, {y: NetInheritance(0, x)}))
