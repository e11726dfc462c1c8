"""Sizes that follow from a genome alone: input widths, conv geometry, parameter counts, FLOPs.

The phenotype builds exactly these shapes, and a test checks the counts against the built model,
so operators and the analysis can read complexity without building torch modules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, NetworkNode, OutputNode

KERNEL = 3


def node_out_size(genome: Genome, node_id: str) -> int:
    node = genome.node(node_id)
    if isinstance(node, InputNode):
        return node.size
    if isinstance(node, NetworkNode):
        return node.out_size
    assert isinstance(node, OutputNode)
    return node.size


def in_size(genome: Genome, node_id: str) -> int:
    """Width of the concatenated input of a network or output."""
    return sum(node_out_size(genome, p) for p in genome.predecessors(node_id))


def conv_in_geometry(genome: Genome, net_id: str) -> tuple[int, tuple[int, ...]]:
    """(channels, spatial shape) of a conv_encoder's input: predecessors stacked on channels."""
    preds = [genome.node(p) for p in genome.predecessors(net_id)]
    channels = sum(p.shape[0] for p in preds if isinstance(p, InputNode))
    spatial = next(p.shape[1:] for p in preds if isinstance(p, InputNode))
    return channels, tuple(spatial)


def pooled(spatial: tuple[int, ...]) -> tuple[int, ...]:
    """Spatial shape after one encoder layer: halved where every side is at least 4."""
    return tuple(s // 2 for s in spatial) if min(spatial) >= 4 else spatial


def encoder_out_spatial(spatial: tuple[int, ...], n_layers: int) -> tuple[int, ...]:
    for _ in range(n_layers):
        spatial = pooled(spatial)
    return spatial


def decoder_seed_spatial(out_spatial: tuple[int, ...], n_layers: int) -> tuple[int, ...]:
    """Spatial shape the conv_decoder starts from: each layer doubles it, then it is resized."""
    return tuple(max(1, math.ceil(s / 2 ** n_layers)) for s in out_spatial)


@dataclass(frozen=True)
class Complexity:
    parameters: int
    networks: int
    connections: int
    layers: int
    depth: int
    flops: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _linear(n_in: int, n_out: int) -> tuple[int, int]:
    return n_in * n_out + n_out, 2 * n_in * n_out


def network_cost(genome: Genome, net_id: str) -> tuple[int, int]:
    """(parameters, forward FLOPs per sample) of one network as the phenotype builds it."""
    net = genome.network(net_id)
    params = flops = 0

    def add(pf: tuple[int, int]) -> None:
        nonlocal params, flops
        params += pf[0]
        flops += pf[1]

    bn = sum(2 * la.units for la in net.layers if la.batchnorm)
    if net.kind == "conv_encoder":
        channels, spatial = conv_in_geometry(genome, net_id)
        k = KERNEL ** len(spatial)
        for la in net.layers:
            add((channels * la.units * k + la.units,
                 2 * channels * la.units * k * math.prod(spatial)))
            channels, spatial = la.units, pooled(spatial)
        add(_linear(channels * math.prod(spatial), net.out_size))
        return params + bn, flops
    if net.kind == "conv_decoder":
        spatial = decoder_seed_spatial(net.out_shape[1:], len(net.layers))
        channels = net.layers[0].units
        add(_linear(in_size(genome, net_id), channels * math.prod(spatial)))
        k = KERNEL ** len(spatial)
        for la in net.layers:
            spatial = tuple(2 * s for s in spatial)
            add((channels * la.units * k + la.units,
                 2 * channels * la.units * k * math.prod(spatial)))
            channels = la.units
        add((channels * net.out_shape[0] * k + net.out_shape[0],
             2 * channels * net.out_shape[0] * k * math.prod(net.out_shape[1:])))
        return params + bn, flops
    width = in_size(genome, net_id)
    if net.kind == "decoder":
        add(_linear(width, 2 * net.latent))
        width = net.latent
    for la in net.layers:
        add(_linear(width, la.units))
        width = la.units
    add(_linear(width, net.out_size))
    return params + bn, flops


def network_costs(genome: Genome) -> dict[str, tuple[int, int]]:
    """:func:`network_cost` of every network, computed once per (immutable) genome instance."""
    return dict(genome.kept("_network_costs",
                            lambda g: {n.id: network_cost(g, n.id) for n in g.networks}))


def complexity(genome: Genome, nodes: set[str] | None = None) -> Complexity:
    """Complexity of the whole genome, or of the subgraph made of ``nodes``."""
    nets = [n for n in genome.networks if nodes is None or n.id in nodes]
    every = network_costs(genome)
    costs = [every[n.id] for n in nets]
    keep = set(genome.node_ids) if nodes is None else nodes
    edges = [e for e in genome.edges if e[0] in keep and e[1] in keep]
    depth = _depth(genome, keep)
    return Complexity(
        parameters=sum(c[0] for c in costs), networks=len(nets), connections=len(edges),
        layers=sum(len(n.layers) for n in nets), depth=depth, flops=sum(c[1] for c in costs))


def _depth(genome: Genome, keep: set[str]) -> int:
    """Most networks on any input-to-output path inside ``keep``."""
    best: dict[str, int] = {}
    for nid in genome.topological_order:
        if nid not in keep:
            continue
        here = 1 if isinstance(genome.node(nid), NetworkNode) else 0
        best[nid] = here + max((best[p] for p in genome.predecessors(nid) if p in best), default=0)
    return max(best.values(), default=0)


def output_complexity(genome: Genome) -> dict[str, Complexity]:
    return {o: complexity(genome, genome.output_subgraph(o)) for o in genome.output_ids}


def output_cost(genome: Genome) -> dict[str, dict[str, int]]:
    """Per output: ``{"parameters", "flops"}`` of the networks in its subgraph (every network
    that reaches it), as :func:`network_cost` counts them. A network shared by two outputs counts
    in both, so the outputs' sums can exceed the genome's total."""
    costs = network_costs(genome)
    out = {}
    for oid in genome.output_ids:
        nets = [n for n in genome.output_subgraph(oid) if n in costs]
        out[oid] = {"parameters": sum(costs[n][0] for n in nets),
                    "flops": sum(costs[n][1] for n in nets)}
    return out
