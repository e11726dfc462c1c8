"""Genome -> torch.nn.Module: one submodule per network, the DAG executed in topological order."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, NetworkNode
from nas_ops.genome.shapes import conv_in_geometry, in_size
from nas_ops.genome.validate import validate as validate_genome
from nas_ops.phenotype.blocks import ConvDecoderNet, ConvEncoderNet, DecoderNet, DenseNet
from nas_ops.phenotype.noise import KeyedDropout, NoiseState, draw_id
from nas_ops.rng import torch_seed
from nas_ops.spaces import rules_for


class Forward(NamedTuple):
    """What a phenotype returns: every output's tensor, and the summed KL terms of its decoders."""

    outputs: dict[str, Tensor]
    kl: Tensor


def build_network(genome: Genome, net: NetworkNode) -> nn.Module:
    if net.kind in ("mlp", "discrete"):
        return DenseNet(net, in_size(genome, net.id))
    if net.kind == "decoder":
        return DecoderNet(net, in_size(genome, net.id))
    if net.kind == "conv_encoder":
        channels, spatial = conv_in_geometry(genome, net.id)
        return ConvEncoderNet(net, channels, spatial)
    return ConvDecoderNet(net, in_size(genome, net.id))


class Phenotype(nn.Module):
    """The trainable model of a genome.

    ``networks[node_id]`` is the sub-network of that node, so weights can be copied and frozen by
    node id. ``forward(inputs)`` takes a dict of input tensors shaped ``(N, *shape)`` and returns a
    :class:`Forward`. An output's value is the sum of the outputs of the networks feeding it. With
    ``sample=True`` every decoder draws its latent from N(0, 1) instead of its input.
    """

    def __init__(self, genome: Genome, seed: int = 0) -> None:
        super().__init__()
        self.genome = genome
        self.seed = seed
        self.networks = nn.ModuleDict()
        for net in genome.networks:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(torch_seed(seed, "init", net.id))
                self.networks[net.id] = build_network(genome, net)
        self.noise = NoiseState()  # shared by every keyed dropout and decoder of the model
        for nid, module in self.networks.items():
            for sub in module.modules():
                if isinstance(sub, KeyedDropout | DecoderNet):
                    sub.noise = self.noise
                    sub.draw = draw_id(nid, sub.layer if isinstance(sub, KeyedDropout) else "z")
        self._order = [n for n in genome.topological_order if n in self.networks]
        self._flat = {n.id: n.kind != "conv_encoder" for n in genome.networks}

    def _gather(self, values: dict[str, Tensor], node_id: str) -> Tensor:
        preds = self.genome.predecessors(node_id)
        if self._flat.get(node_id, True):
            parts = [values[p].flatten(1) for p in preds]
        else:
            parts = [values[p] for p in preds]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    def forward(self, inputs: dict[str, Tensor], sample: bool = False) -> Forward:
        values: dict[str, Tensor] = {}
        for inp in self.genome.inputs:
            values[inp.id] = inputs[inp.id]
        kl = torch.zeros((), device=next(iter(values.values())).device)
        for nid in self._order:
            module = self.networks[nid]
            x = self._gather(values, nid)
            if isinstance(module, DecoderNet):
                values[nid], term = module(x, sample=sample)
                kl = kl + term
            else:
                values[nid] = module(x)
        outputs: dict[str, Tensor] = {}
        for out in self.genome.outputs:
            feeds = [values[p] for p in self.genome.predecessors(out.id)]
            total = feeds[0]
            for extra in feeds[1:]:
                total = total + extra
            outputs[out.id] = total
        return Forward(outputs, kl)

    def network_parameters(self, node_ids: set[str] | list[str]) -> list[nn.Parameter]:
        return [p for nid in node_ids if nid in self.networks
                for p in self.networks[nid].parameters()]

    def freeze_except(self, trainable: set[str] | None) -> None:
        """Make only the networks in ``trainable`` trainable (all when ``None``)."""
        for nid, module in self.networks.items():
            flag = trainable is None or nid in trainable
            for p in module.parameters():
                p.requires_grad_(flag)


def build_model(genome: Genome, seed: int = 0, device: str | torch.device | None = None,
                validate: bool = True) -> Phenotype:
    """Build the phenotype of ``genome`` with initialization determined by ``seed`` and node ids."""
    if validate:
        validate_genome(genome, rules_for(genome.space))
    model = Phenotype(genome, seed)
    return model.to(device) if device is not None else model


def input_shapes(genome: Genome) -> dict[str, tuple[int, ...]]:
    return {n.id: n.shape for n in genome.inputs if isinstance(n, InputNode)}
