"""naswot per output (Mellor et al. 2021, "Neural architecture search without training"): the
log-determinant of the kernel of binary activation codes over a mini-batch.

A sample's code has one bit per unit of every hidden-layer activation in the networks reaching
the output (a conv layer: one unit per channel and position): 1 where the activation's input
(the pre-activation) is positive. For relu that is whether the unit is active, as in the paper;
for the other activations (tanh, sigmoid, elu, leaky_relu, gelu, identity) it is the same sign
pattern, i.e. the linear region relu would have there. With N_A bits,
K[i, j] = N_A - Hamming(c_i, c_j) and the score is log det K (K is positive semi-definite).
K = [C, 1 - C][C, 1 - C]^T has rank at most N_A + 1, so a subgraph with fewer than N - 1 units
(N samples), or two samples with one code, make K singular: the score is then -inf (numerically:
an eigenvalue at or below N * eps * the largest).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nas_ops.metrics.proxies.batch import first_step_copy, output_networks
from nas_ops.phenotype.blocks import is_activation
from nas_ops.phenotype.model import Phenotype
from nas_ops.tasks.base import Split, Task


def log_det_kernel(codes: Tensor) -> float:
    """``log det K`` of binary ``codes`` ``(N, N_A)`` (-inf when K is singular)."""
    c = codes.to(torch.float64)
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    eig = torch.linalg.eigvalsh(kernel)
    top = float(eig[-1]) if len(eig) else 0.0
    if len(eig) == 0 or float(eig[0]) <= top * len(eig) * torch.finfo(torch.float64).eps:
        return -math.inf
    return float(torch.log(eig).sum())


def activation_codes(model: Phenotype, task: Task, batch: Split,
                     seed: int) -> dict[str, Tensor]:
    """Per network: the codes ``(N, units)`` (float64 0/1) of all its hidden-layer activations
    on ``batch``, the model taken as at the first training step (:func:`first_step_copy`)."""
    net = first_step_copy(model, seed)
    parts: dict[str, list[Tensor]] = {nid: [] for nid in net.networks}

    def recorder(store: list[Tensor]):  # type: ignore[no-untyped-def]
        def hook(_module: nn.Module, args: tuple[Tensor, ...]) -> None:
            store.append((args[0] > 0).flatten(1).to(torch.float64))
        return hook

    handles = [sub.register_forward_pre_hook(recorder(parts[nid]))
               for nid, module in net.networks.items() for sub in module.modules()
               if is_activation(sub)]
    try:
        with torch.no_grad():
            net({spec.name: batch[spec.name] for spec in task.inputs})
    finally:
        for handle in handles:
            handle.remove()
    n = len(batch)
    return {nid: torch.cat(p, dim=1) if p else torch.zeros((n, 0), dtype=torch.float64)
            for nid, p in parts.items()}


def naswot(model: Phenotype, task: Task, batch: Split, seed: int) -> dict[str, float]:
    """Per task output: :func:`log_det_kernel` of the codes of the networks reaching it."""
    codes = activation_codes(model, task, batch, seed)
    return {spec.name: log_det_kernel(torch.cat(
                [codes[nid] for nid in output_networks(model.genome, spec.name)]
                or [torch.zeros((len(batch), 0), dtype=torch.float64)], dim=1))
            for spec in task.outputs}
