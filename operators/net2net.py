"""Function-preserving growth (Net2Net, Chen et al. 2016) for dense networks.

``widen_layer`` replicates random units of a hidden layer and divides their outgoing weights by
the replication count. ``deepen_network`` inserts an identity-initialized layer; it is exact
when the inserted layer's activation is the identity on its input: ``relu`` where the preceding
layer's activation is ``relu`` or ``sigmoid`` (non-negative values), ``identity`` otherwise.
Both hold in evaluation mode (dropout off, batch norm on its running statistics); convolutional
networks are not eligible (their layers also pool or upsample).
"""

from __future__ import annotations

from collections.abc import Sequence

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Layer, NetworkNode
from nas_ops.genome.shapes import in_size
from nas_ops.variation import (
    NetInheritance,
    Offspring,
    Operator,
    VariationContext,
    register_operator,
)
from operators._common import DENSE_KINDS, editable_networks, unit_choices

Site = tuple[str, int]
NON_NEGATIVE = ("relu", "sigmoid")


def _dense(parents: Sequence[Genome], ctx: VariationContext) -> list[NetworkNode]:
    return [n for n in editable_networks(parents[0], ctx) if n.kind in DENSE_KINDS]


@register_operator("widen_layer", family="layer", direction="grow", function_preserving=True,
                   description="Net2Net wider: grow a dense layer (function-preserving)")
class WidenLayer(Operator):
    """Net2Net wider: grow a dense hidden layer to a larger width the space samples, new units
    copying random existing ones, outgoing weights split so the function is unchanged."""

    def _wider(self, net: NetworkNode, j: int, ctx: VariationContext) -> list[int]:
        return [u for u in unit_choices(ctx.space, net.kind) if u > net.layers[j].units]

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Site]:
        return [(n.id, j) for n in _dense(parents, ctx) for j in range(len(n.layers))
                if self._wider(n, j, ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid, j = ctx.choice("layer", self._candidates(parents, ctx))
        net = g.network(nid)
        old = net.layers[j].units
        units = ctx.choice("units", self._wider(net, j, ctx))
        rng = ctx.generator("mapping")
        sources = [int(s) for s in rng.integers(0, old, size=units - old)]
        layers = list(net.layers)
        layers[j] = Layer(units, layers[j].activation, layers[j].init, layers[j].dropout,
                          layers[j].batchnorm)
        child = g.replace_network(net.with_layers(tuple(layers)))
        widen = {"op": "widen", "layer": j, "old": old, "sources": sources}
        return Offspring(child, {nid: NetInheritance(0, nid, transforms=(widen,))})


@register_operator("deepen_network", family="layer", direction="grow", function_preserving=True,
                   description="Net2Net deeper: insert an identity layer (function-preserving)")
class DeepenNetwork(Operator):
    """Net2Net deeper: insert an identity-initialized hidden layer into a dense network (relu
    after relu/sigmoid, identity activation otherwise), leaving its function unchanged."""

    @staticmethod
    def _width(g: Genome, net: NetworkNode, j: int) -> int:
        if j > 0:
            return net.layers[j - 1].units
        return net.latent if net.kind == "decoder" else in_size(g, net.id)

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Site]:
        g, rules = parents[0], ctx.space.rules
        return [(n.id, j) for n in _dense(parents, ctx) if len(n.layers) < rules.max_layers
                for j in range(len(n.layers) + 1)
                if rules.min_units <= self._width(g, n, j) <= rules.max_units]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid, j = ctx.choice("position", self._candidates(parents, ctx))
        net = g.network(nid)
        before = net.layers[j - 1].activation if j > 0 else "identity"
        act = "relu" if before in NON_NEGATIVE else "identity"
        init = net.layers[j - 1].init if j > 0 else "xavier_uniform"
        layer = Layer(self._width(g, net, j), act, init, 0.0, False)
        child = g.replace_network(net.with_layers((*net.layers[:j], layer, *net.layers[j:])))
        lmap = tuple([*range(j), None, *range(j, len(net.layers))])
        ident = {"op": "identity", "unit": f"L{j}"}
        return Offspring(child, {nid: NetInheritance(0, nid, layer_map=lmap,
                                                     transforms=(ident,))})
