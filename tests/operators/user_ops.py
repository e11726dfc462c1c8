"""A user operator written as a plain function (shared by the user-operator tests: registered
in process, and by a pytest plugin module in a subprocess)."""

from __future__ import annotations

from nas_ops.genome import Genome
from nas_ops.variation import VariationContext


def shuffle_inputs(genome: Genome, ctx: VariationContext) -> Genome:
    """Reverse the input order of one multi-input network."""
    guard = ctx.protected(genome)
    target = ctx.choice("network", [n.id for n in genome.networks if n.id not in guard
                                    and len(genome.predecessors(n.id)) > 1])
    incoming = iter(reversed([e for e in genome.edges if e[1] == target]))
    return genome.replace(edges=tuple(next(incoming) if e[1] == target else e
                                      for e in genome.edges))
