"""Planning for the batched evaluator: which requests train together, how many fit in memory,
and whether fusing a group is worth it on the device it runs on.

Requests are grouped by :func:`signature` (same nodes, kinds, edges, layer counts, batch size,
optimizer, budget, task and device; widths, latent sizes, activations, initializers, dropout,
batch norm, learning rates, loss weights, inherited weights and trainable networks may differ).
"""

from __future__ import annotations

import json
import math
from typing import Any

import torch

from nas_ops.genome import Genome, complexity, from_dict
from nas_ops.genome.nodes import InputNode
from nas_ops.genome.shapes import conv_in_geometry, decoder_seed_spatial, pooled
from nas_ops.records import EvalRequest
from nas_ops.training import pick_device

CPU_MEMORY_BUDGET = 2 << 30  # bytes one group may take on CPU
# CPU cost model of one training step, fitted to 35 groups (mnist1d, digits, mnist5k; 2 to 16
# models; AMD EPYC, 1 torch thread; docs/evaluation.md). One model alone: compute = 3 x batch x
# forward FLOPs / CPU_FLOP_RATE, plus CPU_LAYER_STEP_S per layer (dispatch, autograd,
# optimizer). A fused group: FUSED_COMPUTE x models x its widest member's compute (zero padding,
# grouped convolutions are slower per FLOP on CPU) plus (FUSED_LAYER_BASE + FUSED_LAYER_PER_MODEL
# x models) x one model's per-layer cost. Fused only when the predicted speed-up reaches
# MIN_CPU_GAIN: the model misjudges a few groups by up to 1.5x, and a CPU run must not be slower.
CPU_FLOP_RATE = 1.35e10
CPU_LAYER_STEP_S = 1.38e-3
FUSED_COMPUTE = 1.78
FUSED_LAYER_BASE = 1.39
FUSED_LAYER_PER_MODEL = 0.096
MIN_CPU_GAIN = 1.4


def signature(req: EvalRequest) -> tuple[Any, ...] | None:
    """What must be equal for requests to train as one group; ``None``: not batchable."""
    try:
        g = from_dict(req.genome)
    except Exception:  # noqa: BLE001 - run_request reports the error
        return None
    if req.trainable is not None and not set(req.trainable) & set(g.network_ids):
        return None  # nothing to train
    if req.patience or req.lr_scale != 1.0:
        return None  # early stopping or a scaled learning rate: sequential training only
    for net in g.networks:
        if net.kind == "conv_encoder" and not all(
                isinstance(g.node(p), InputNode) for p in g.predecessors(net.id)):
            return None
    nets = tuple((n.id, n.kind, len(n.layers), n.out_shape) for n in g.networks)
    outs = tuple((o.id, o.kind, o.size) for o in g.outputs)
    ins = tuple((i.id, i.dtype, i.shape) for i in g.inputs)
    return (str(pick_device(req.device)), req.task, json.dumps(req.task_options, sort_keys=True),
            req.epochs, req.max_steps, req.time_limit_s, g.hyper.batch_size, g.hyper.optimizer,
            g.space, ins, nets, outs, g.edges)


def activations_per_sample(g: Genome) -> int:
    """Values one sample produces inside ``g`` (all layer outputs), for the memory estimate."""
    total = 0
    for net in g.networks:
        if net.kind == "conv_encoder":
            _, spatial = conv_in_geometry(g, net.id)
            for la in net.layers:
                total += la.units * math.prod(spatial)
                spatial = pooled(spatial)
        elif net.kind == "conv_decoder":
            spatial = decoder_seed_spatial(net.out_shape[1:], len(net.layers))
            total += net.layers[0].units * math.prod(spatial)
            for la in net.layers:
                spatial = tuple(2 * s for s in spatial)
                total += la.units * math.prod(spatial)
        else:
            total += sum(la.units for la in net.layers) + 3 * net.latent
        total += net.out_size
    return total


def estimate_bytes(model_params: int, activations: int, batch_size: int) -> int:
    """Rough float32 footprint of one model in a group: parameters with gradient and optimizer
    state (x5), activations kept for the backward pass with their gradients and post-op copies
    (x6), the gathered batch."""
    return 4 * (5 * model_params + 6 * activations * batch_size)


def estimate_group(reqs: list[EvalRequest]) -> int:
    """Bytes one model of a group of ``reqs`` may take (the largest of them, padded alike)."""
    per = 0
    for req in reqs:
        g = from_dict(req.genome)
        per = max(per, estimate_bytes(complexity(g).parameters, activations_per_sample(g),
                                      g.hyper.batch_size))
    return per


def memory_budget(device: torch.device) -> int:
    """Bytes a group may take: 60 % of free CUDA memory, or :data:`CPU_MEMORY_BUDGET`."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(0.6 * free)
    return CPU_MEMORY_BUDGET


def cpu_fusion_gain(reqs: list[EvalRequest]) -> float:
    """Predicted speed-up of training ``reqs`` fused over one after another on one CPU thread.

    Small models are overhead-bound (fusion pays the per-layer overhead once instead of per
    model); large ones are compute-bound, where fusion saves little and zero padding to the
    widest member costs FLOPs. Deterministic, so the same population always trains the same way.
    """
    genomes = [from_dict(r.genome) for r in reqs]
    batch, m = genomes[0].hyper.batch_size, len(reqs)
    cost = [complexity(g) for g in genomes]
    compute = [3 * batch * c.flops / CPU_FLOP_RATE for c in cost]
    layer = cost[0].layers * CPU_LAYER_STEP_S  # the layer count is part of the signature
    sequential = sum(compute) + m * layer
    overhead = (FUSED_LAYER_BASE + FUSED_LAYER_PER_MODEL * m) * layer
    fused = FUSED_COMPUTE * m * max(compute) + overhead
    return sequential / fused


def worth_fusing(reqs: list[EvalRequest]) -> bool:
    """Fuse on a GPU always (the per-model overhead dominates there); on CPU when the cost model
    predicts at least :data:`MIN_CPU_GAIN`."""
    if pick_device(reqs[0].device).type != "cpu":
        return True
    return cpu_fusion_gain(reqs) >= MIN_CPU_GAIN
