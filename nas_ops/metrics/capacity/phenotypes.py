"""Capacity of NAS phenotypes: per output (over the task input) and per network.

A phenotype is not linear in its input, so both analyses use the local linear maps at a few
validation inputs (see :func:`nas_ops.metrics.capacity.capacity_allocation`), in eval mode
(batch norm uses its running statistics, dropout is off, decoders use their mean latent).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from nas_ops.errors import CapacityError
from nas_ops.genome.shapes import network_cost
from nas_ops.metrics.capacity.allocation import capacity_allocation
from nas_ops.phenotype.blocks import DecoderNet
from nas_ops.phenotype.model import Phenotype


class _OutputOf(nn.Module):
    """``x -> phenotype output`` for a single-input phenotype (flattened output)."""

    def __init__(self, model: Phenotype, input_id: str, output_id: str) -> None:
        super().__init__()
        self.model, self.input_id, self.output_id = model, input_id, output_id

    def forward(self, x: Tensor) -> Tensor:
        return self.model({self.input_id: x}).outputs[self.output_id].flatten(1)


class _NetworkOf(nn.Module):
    """A network as a function of its own (concatenated) input."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        out = self.net(x)
        return (out[0] if isinstance(self.net, DecoderNet) else out).flatten(1)


@dataclass(frozen=True)
class PhenotypeCapacity:
    output: str
    capacity: float
    parameters: int  # parameters of the output's subgraph
    per_input: np.ndarray


def output_capacity(model: Phenotype, inputs: Tensor, max_memory_gib: float = 2.0
                    ) -> list[PhenotypeCapacity]:
    """Capacity each output spends on the (single) task input, averaged over ``inputs``; 0 for
    an output that does not depend on the input at those points (e.g. every ReLU dead)."""
    genome = model.genome
    if len(genome.inputs) != 1:
        raise CapacityError("output capacity needs a single-input genome")
    model.eval()
    results = []
    for out in genome.output_ids:
        sub = [n for n in genome.output_subgraph(out) if n in model.networks]
        params = sum(network_cost(genome, n)[0] for n in sub)
        try:
            res = capacity_allocation(_OutputOf(model, genome.inputs[0].id, out), inputs,
                                      max_memory_gib=max_memory_gib)
        except CapacityError as exc:
            if "does not depend on the input" not in str(exc):
                raise
            results.append(PhenotypeCapacity(out, 0.0, params, np.zeros(genome.inputs[0].shape)))
            continue
        results.append(PhenotypeCapacity(out, res.total, params, res.per_input))
    return results


def _network_inputs(model: Phenotype, inputs: dict[str, Tensor]) -> dict[str, Tensor]:
    captured: dict[str, Tensor] = {}
    hooks = [net.register_forward_pre_hook(
        lambda _m, args, nid=nid: captured.__setitem__(nid, args[0].detach()))
        for nid, net in model.networks.items()]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
    return captured


def network_capacity(model: Phenotype, inputs: dict[str, Tensor], max_memory_gib: float = 1.0,
                     max_pairs: int | None = None) -> dict[str, tuple[float, int]]:
    """``{network: (capacity, parameters)}`` of each network's own local linear map. Networks
    whose analysis would not fit in ``max_memory_gib``, or (when given) that have more than
    ``max_pairs`` (output, input + constant) pairs, each a row of the Jacobian and a
    second-order backward pass, are left out."""
    model.eval()
    feeds = _network_inputs(model, inputs)
    found: dict[str, tuple[float, int]] = {}
    for nid, net in model.networks.items():
        pairs = model.genome.network(nid).out_size * (feeds[nid][0].numel() + 1)
        if max_pairs is not None and pairs > max_pairs:
            continue
        try:
            res = capacity_allocation(_NetworkOf(net), feeds[nid], max_memory_gib=max_memory_gib)
        except CapacityError:
            continue
        found[nid] = (res.total, network_cost(model.genome, nid)[0])
    return found
