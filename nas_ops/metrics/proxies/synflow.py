"""synflow per output (Tanaka et al. 2020; as a zero-cost proxy, Abdelfattah et al. 2021):
sum over the output subgraph's parameters of |theta * dR/dtheta|, with every parameter replaced
by its absolute value, an all-ones input and R the sum of the output's values.

Batch norm runs in eval mode: at initialization its running statistics are (0, 1) and its affine
map (1, 0), so it is the identity up to 1/sqrt(1 + eps). Dropout is off and a decoder uses its
latent mean (eval mode). With non-negative parameters and inputs every activation of the space
(relu, leaky_relu, elu, gelu, tanh, sigmoid) sees non-negative values, so no sign is lost.
Computed in float64 (a chain of six 3-layer, 128-unit networks scores about 4e27).
"""

from __future__ import annotations

import copy

import torch

from nas_ops.metrics.proxies.batch import subgraph_parameters
from nas_ops.phenotype.model import Phenotype


def synflow(model: Phenotype) -> dict[str, float]:
    """Per output of the genome: the synflow score of the output's subgraph (float64). ``model``
    is not changed (the score is taken on a copy)."""
    net = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    for p in net.parameters():
        p.requires_grad_(True)
    ones = {inp.id: torch.ones((1, *inp.shape), dtype=torch.float64)
            for inp in net.genome.inputs}
    fwd = net(ones)
    scores: dict[str, float] = {}
    for out in net.genome.outputs:
        params = subgraph_parameters(net, out.id)
        flow = fwd.outputs[out.id].sum()
        grads = torch.autograd.grad(flow, params, retain_graph=True, allow_unused=True)
        scores[out.id] = sum(float((p.detach() * g).abs().sum())
                             for p, g in zip(params, grads, strict=True) if g is not None)
    return scores
