"""Network operators: bypass, re-initialize and clone (function-preserving) a sub-network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nas_ops.genome.genome import Edge, Genome
from nas_ops.genome.nodes import NetworkNode, OutputNode
from nas_ops.genome.shapes import node_out_size
from nas_ops.variation import (
    NetInheritance,
    Offspring,
    Operator,
    VariationContext,
    fresh,
    input_unit,
    register_operator,
)
from operators._common import editable_networks, feeds_output, sizes, source_fits


@register_operator("bypass_network", family="network", direction="shrink",
                   description="remove a network, wiring its inputs to its consumers")
class BypassNetwork(Operator):
    """Remove a type-transparent network N: its predecessors feed its successors directly
    (in N's input slot), applicable only where every new connection keeps types and sizes valid."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        g = parents[0]
        return [n.id for n in editable_networks(g, ctx) if self._fits(g, n.id, ctx)]

    @staticmethod
    def _fits(g: Genome, nid: str, ctx: VariationContext) -> bool:
        rules = ctx.space.rules
        for s in g.successors(nid):
            for p in g.predecessors(nid):
                if p not in g.predecessors(s) and not source_fits(g, p, s, rules):
                    return False
        return True

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        nid = ctx.choice("network", self._candidates(parents, ctx))
        preds = g.predecessors(nid)
        edges: list[Edge] = []
        for e in g.edges:
            if e[1] == nid:
                continue
            if e[0] != nid:
                edges.append(e)
                continue
            for p in preds:
                new = (p, e[1])
                if new not in g.edges and new not in edges:
                    edges.append(new)
        nets = tuple(n for n in g.networks if n.id != nid)
        return g.replace(networks=nets, edges=tuple(edges))


@register_operator("reinit_network", family="network", direction="neutral",
                   description="re-sample a network's layers; fresh weights")
class ReinitNetwork(Operator):
    """Re-sample a network's layers from the space (kind, sizes and connections kept); its
    weights start fresh (inheritance ``none``)."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        return [n.id for n in editable_networks(parents[0], ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid = ctx.choice("network", self._candidates(parents, ctx))
        net = g.network(nid)
        layers = ctx.space.sample_layers(net.kind, ctx.generator("layers"))
        child = g.replace_network(net.with_layers(layers))
        return Offspring(child, {nid: fresh()})


@register_operator("clone_network", family="network", direction="grow", function_preserving=True,
                   description="duplicate a network, splitting its outgoing weights")
class CloneNetwork(Operator):
    """Duplicate a network N into N' reading the same inputs and feeding every consumer of N.
    Function-preserving: outputs (sums) get both copies' final layers halved; network consumers
    get N's and N''s input columns halved (or copied, when N's head is already halved)."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        g = parents[0]
        if len(g.networks) >= ctx.space.rules.max_networks:
            return []
        return [n.id for n in editable_networks(g, ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid = ctx.choice("network", self._candidates(parents, ctx))
        net = g.network(nid)
        cid = g.fresh_network_id()
        clone = NetworkNode(cid, net.kind, net.layers, net.out_size, net.latent, net.out_shape)
        edges = (*g.edges, *((p, cid) for p in g.predecessors(nid)),
                 *((cid, s) for s in g.successors(nid)))
        child = g.replace(networks=(*g.networks, clone), edges=edges)
        return Offspring(child, self._inherit(g, nid, cid))

    @staticmethod
    def _inherit(g: Genome, nid: str, cid: str) -> dict[str, NetInheritance]:
        head = 0.5 if feeds_output(g, nid) else 1.0
        scale: tuple[dict[str, Any], ...] = (
            ({"op": "scale", "unit": "head", "factor": head},) if head != 1.0 else ())
        hints = {nid: NetInheritance(0, nid, transforms=scale),
                 cid: NetInheritance(0, nid, transforms=scale)}
        width = node_out_size(g, nid)
        for s in g.successors(nid):
            consumer = g.node(s)
            if isinstance(consumer, OutputNode):
                continue
            preds = g.predecessors(s)
            start = sizes(g, preds[: preds.index(nid)])
            end = sizes(g, preds)
            move = {"op": "copy_columns", "unit": input_unit(consumer),  # type: ignore[arg-type]
                    "src": [start, start + width], "dst": [end, end + width],
                    "factor": 1.0 / (2.0 * head)}
            hints[s] = NetInheritance(0, s, transforms=(move,))
        return hints
