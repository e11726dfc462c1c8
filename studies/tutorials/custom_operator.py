"""Tutorial: write your own variation operator, register it, apply it, conformance-test it.

Run it with ``python studies/tutorials/custom_operator.py``. Two ways to register:

1. a plain function ``fn(genome, ctx) -> Genome`` under ``@register_operator(...)``;
2. an :class:`~nas_ops.variation.Operator` subclass implementing ``_apply`` (and, optionally,
   ``_candidates`` so that ``applicable`` is cheap).

Rules an operator follows: draw every random decision from ``ctx`` (``ctx.choice``,
``ctx.integers``, ``ctx.uniform``, ``ctx.generator``) so it can be replayed; never touch a node in
``ctx.protected(genome)``; raise ``NotApplicable`` (or let ``ctx.choice`` of an empty list do it)
when there is nothing to do; return a new genome (genomes are immutable). The template method
validates the child, records what changed and which outputs it can affect, and assigns lineage.
To make it available to every study, ship it in a package with an entry point in the group
``nas_ops.operators`` (see docs/operators.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from types import SimpleNamespace

import numpy as np

from nas_ops.genome import Genome
from nas_ops.spaces import get_space
from nas_ops.tasks.base import InputSpec, OutputSpec
from nas_ops.testing.operators import check_operator, example_genomes
from nas_ops.variation import (
    OPERATORS,
    Operator,
    VariationContext,
    apply_operator,
    register_operator,
)


# 1. a function: reverse the order in which one network concatenates its inputs
@register_operator("tutorial_reverse_inputs", family="connection", direction="neutral")
def reverse_inputs(genome: Genome, ctx: VariationContext) -> Genome:
    """Reverse the order of a network's inputs (changes which weights see which input)."""
    guard = ctx.protected(genome)
    nets = [n.id for n in genome.networks
            if n.id not in guard and len(genome.predecessors(n.id)) > 1]
    target = ctx.choice("network", nets)  # an empty list means "not applicable"
    incoming = iter(reversed([e for e in genome.edges if e[1] == target]))
    edges = tuple(next(incoming) if e[1] == target else e for e in genome.edges)
    return genome.replace(edges=edges)


# 2. a subclass: halve the width of one hidden layer
@register_operator("tutorial_halve_units", family="layer", direction="shrink")
class HalveUnits(Operator):
    """Halve the number of units of one hidden layer."""

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> list[list]:
        g = parents[0]
        guard = ctx.protected(g)
        return [[n.id, j] for n in g.networks if n.id not in guard
                for j, layer in enumerate(n.layers) if layer.units >= 2]

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Genome:
        g = parents[0]
        nid, j = ctx.choice("layer", self._candidates(parents, ctx))
        net = g.network(nid)
        layers = list(net.layers)
        layers[j] = dataclasses.replace(layers[j], units=layers[j].units // 2)
        return g.replace_network(net.with_layers(tuple(layers)))


def main() -> None:
    task = SimpleNamespace(inputs=(InputSpec("x", "signal", (1, 40)),),
                           outputs=(OutputSpec("class", "classification", 10),
                                    OutputSpec("histogram", "regression", 32)))
    space = get_space("multinet")
    names = ("tutorial_reverse_inputs", "tutorial_halve_units")
    genome = next(g for g in (space.sample(task, np.random.default_rng(s)) for s in range(100))
                  if all(OPERATORS.get(n).applicable(g) for n in names))
    for name in names:
        result = apply_operator(name, genome, seed=1)
        ev = result.event
        print(f"{name}: {ev.status} {ev.reason} touched={ev.touched} "
              f"affected={ev.affected_outputs} decisions={ev.decisions}")
        safe = apply_operator(name, genome, seed=1, safe=["class"])
        print(f"  with 'class' safe: {safe.event.status}, touched={safe.event.touched}")
        counts = check_operator(name, example_genomes(3), seeds=(0,))
        print(f"  conformance suite passed ({counts})")


if __name__ == "__main__":
    main()
