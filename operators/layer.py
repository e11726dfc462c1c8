"""Layer operators: edit the layer genome inside one sub-network."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Layer, NetworkNode
from nas_ops.variation import (
    NetInheritance,
    Offspring,
    Operator,
    VariationContext,
    register_operator,
)
from operators._common import (
    activations,
    editable_networks,
    initializers,
    min_layers,
    unit_choices,
)

Site = tuple[str, int]  # (network id, layer index)


def _shifted(n: int, insert: int | None = None, remove: int | None = None,
             fresh: int | None = None) -> tuple[int | None, ...]:
    """A layer map for a network of ``n`` parent layers after one insertion / removal."""
    src: list[int | None] = list(range(n))
    if insert is not None:
        src.insert(insert, None)
    if remove is not None:
        del src[remove]
    if fresh is not None:
        src[fresh] = None
    return tuple(src)


def _with_layers(genome: Genome, net: NetworkNode, layers: tuple[Layer, ...],
                 layer_map: tuple[int | None, ...] | None) -> Offspring:
    """The child whose network ``net`` has ``layers``; its weights come from the parent's network
    through ``layer_map`` (``None``: as the default inheritance does)."""
    hints = {net.id: NetInheritance(0, net.id, layer_map=layer_map)} \
        if layer_map is not None else {}
    return Offspring(genome.replace_network(net.with_layers(layers)), hints)


class LayerEdit(Operator):
    """Base of the operators that change one existing layer of an editable network: a subclass
    names the layer field it sets (``field``, a value converted to ``value_type``) and the
    values the space offers (``_choices``; the layer's own value is left out), or overrides
    ``_options``."""

    field: ClassVar[str] = ""
    value_type: ClassVar[type] = str

    def _eligible(self, net: NetworkNode, j: int, ctx: VariationContext) -> bool:
        return bool(self._options(net, j, ctx))

    def _choices(self, net: NetworkNode, ctx: VariationContext) -> Sequence[Any]:
        raise NotImplementedError

    def _options(self, net: NetworkNode, j: int, ctx: VariationContext) -> Sequence[Any]:
        current = getattr(net.layers[j], self.field)
        return [v for v in self._choices(net, ctx) if v != current]

    def _edit(self, layer: Layer, value: Any) -> Layer:
        return dataclasses.replace(layer, **{self.field: self.value_type(value)})

    def _layer_map(self, net: NetworkNode, j: int) -> tuple[int | None, ...] | None:
        return None

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Site]:
        return [(n.id, j) for n in editable_networks(parents[0], ctx)
                for j in range(len(n.layers)) if self._eligible(n, j, ctx)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid, j = ctx.choice("layer", self._candidates(parents, ctx))
        net = g.network(nid)
        value = ctx.choice("value", list(self._options(net, j, ctx)))
        layers = list(net.layers)
        layers[j] = self._edit(layers[j], value)
        return _with_layers(g, net, tuple(layers), self._layer_map(net, j))


@register_operator("add_layer", family="layer", direction="grow",
                   description="insert a sampled layer into a network")
class AddLayer(Operator):
    """Insert a layer sampled from the space at a random position of a network."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Site]:
        cap = ctx.space.rules.max_layers
        return [(n.id, j) for n in editable_networks(parents[0], ctx) if len(n.layers) < cap
                for j in range(len(n.layers) + 1)]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid, j = ctx.choice("position", self._candidates(parents, ctx))
        net = g.network(nid)
        layer = ctx.space.sample_layer(net.kind, ctx.generator("layer"))
        return _with_layers(g, net, (*net.layers[:j], layer, *net.layers[j:]),
                            _shifted(len(net.layers), insert=j))


@register_operator("remove_layer", family="layer", direction="shrink",
                   description="delete a hidden layer of a network")
class RemoveLayer(Operator):
    """Delete one hidden layer (convolutional networks keep at least one)."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Site]:
        return [(n.id, j) for n in editable_networks(parents[0], ctx)
                if len(n.layers) > min_layers(n.kind) for j in range(len(n.layers))]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Offspring:
        g = parents[0]
        nid, j = ctx.choice("layer", self._candidates(parents, ctx))
        net = g.network(nid)
        return _with_layers(g, net, (*net.layers[:j], *net.layers[j + 1:]),
                            _shifted(len(net.layers), remove=j))


@register_operator("change_units", family="layer", direction="neutral",
                   description="set a layer's width to another sampled value")
class ChangeUnits(LayerEdit):
    """Set a layer's width (units, or channels for convolutional networks) to another value the
    space samples; complexity goes up or down with the width."""

    field, value_type = "units", int

    def _choices(self, net: NetworkNode, ctx: VariationContext) -> Sequence[Any]:
        return unit_choices(ctx.space, net.kind)


@register_operator("change_activation", family="layer", direction="neutral",
                   description="set a layer's activation to another one")
class ChangeActivation(LayerEdit):
    """Set a layer's activation to another one the space samples (weights kept)."""

    field = "activation"

    def _choices(self, net: NetworkNode, ctx: VariationContext) -> Sequence[Any]:
        return activations(ctx.space)


@register_operator("change_initializer", family="layer", direction="neutral",
                   description="set a layer's initializer and re-initialize the layer")
class ChangeInitializer(LayerEdit):
    """Set a layer's weight initializer to another scheme and re-initialize that layer with it
    (the rest of the network keeps its weights)."""

    field = "init"

    def _choices(self, net: NetworkNode, ctx: VariationContext) -> Sequence[Any]:
        return initializers(ctx.space)

    def _layer_map(self, net: NetworkNode, j: int) -> tuple[int | None, ...] | None:
        return _shifted(len(net.layers), fresh=j)


DROPOUT_RATES = (0.1, 0.2, 0.3, 0.5)


@register_operator("toggle_dropout", family="layer", direction="neutral",
                   description="switch a layer's dropout on or off")
class ToggleDropout(LayerEdit):
    """Switch a layer's dropout off, or on at a rate from ``ctx.options['dropout_rates']``
    (default 0.1, 0.2, 0.3, 0.5)."""

    field, value_type = "dropout", float

    def _options(self, net: NetworkNode, j: int, ctx: VariationContext) -> Sequence[Any]:
        if net.layers[j].dropout > 0:
            return [0.0]
        return [float(r) for r in ctx.options.get("dropout_rates", DROPOUT_RATES)]


@register_operator("toggle_batchnorm", family="layer", direction="neutral",
                   description="switch a layer's batch normalization on or off")
class ToggleBatchnorm(LayerEdit):
    """Switch a layer's batch normalization on (fresh statistics) or off."""

    field, value_type = "batchnorm", bool

    def _options(self, net: NetworkNode, j: int, ctx: VariationContext) -> Sequence[Any]:
        return [not net.layers[j].batchnorm]
