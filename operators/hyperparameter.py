"""Hyperparameter operators: learning rate, batch size, optimizer and per-output loss weights.

They change how the whole model trains, so they affect every output; with any safe output they
are not applicable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import OPTIMIZERS
from nas_ops.variation import NotApplicable, Operator, VariationContext, register_operator
from operators._common import value_choices

LOSS_WEIGHTS = (0.25, 0.5, 1.0, 2.0, 4.0)


class HyperEdit(Operator):
    """Base: set one field of ``genome.hyper`` to another value from the space's choices."""

    field: str = ""
    attr: str = ""
    fallback: tuple[Any, ...] = ()

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[Any]:
        if ctx.safe:
            return []
        current = getattr(parents[0].hyper, self.field)
        return [v for v in value_choices(ctx.space, self.attr, self.fallback) if v != current]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        if ctx.safe:
            raise NotApplicable("hyperparameters affect every output; some are safe")
        g = parents[0]
        value = ctx.choice(self.field, self._candidates(parents, ctx))
        return g.replace(hyper=dataclasses.replace(g.hyper, **{self.field: value}))


@register_operator("change_learning_rate", family="hyperparameter",
                   description="set the learning rate to another sampled value")
class ChangeLearningRate(HyperEdit):
    """Set the learning rate to another value the space samples."""

    field, attr, fallback = "learning_rate", "learning_rates", (3e-4, 1e-3, 3e-3, 1e-2)


@register_operator("change_batch_size", family="hyperparameter",
                   description="set the batch size to another sampled value")
class ChangeBatchSize(HyperEdit):
    """Set the training batch size to another value the space samples."""

    field, attr, fallback = "batch_size", "batch_sizes", (32, 64, 128, 256)


@register_operator("change_optimizer", family="hyperparameter",
                   description="switch the optimizer")
class ChangeOptimizer(HyperEdit):
    """Switch the optimizer (adam, sgd, rmsprop, as the space samples)."""

    field, attr, fallback = "optimizer", "optimizers", OPTIMIZERS


@register_operator("change_loss_weights", family="hyperparameter",
                   description="set one output's loss weight to another value")
class ChangeLossWeights(Operator):
    """Set one output's weight in the total loss to another value from
    ``ctx.options['loss_weights']`` (default 0.25, 0.5, 1, 2, 4)."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[str]:
        return [] if ctx.safe else list(parents[0].output_ids)

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        oid = ctx.choice("output", self._candidates(parents, ctx))
        out = g.node(oid)
        weights = ctx.options.get("loss_weights", LOSS_WEIGHTS)
        value = ctx.choice("weight", [float(w) for w in weights
                                      if float(w) != out.loss_weight])  # type: ignore[union-attr]
        outs = tuple(dataclasses.replace(o, loss_weight=value) if o.id == oid else o
                     for o in g.outputs)
        return g.replace(outputs=outs)
