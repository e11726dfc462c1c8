"""grad_norm per output: the L2 norm of the gradient of one output's loss on a mini-batch with
respect to the parameters of that output's subgraph, at initialization."""

from __future__ import annotations

import math

import torch

from nas_ops.metrics.proxies.batch import first_step_copy, subgraph_parameters
from nas_ops.phenotype.model import Phenotype
from nas_ops.tasks.base import Split, Task
from nas_ops.tasks.losses import output_loss


def grad_norm(model: Phenotype, task: Task, batch: Split, seed: int) -> dict[str, float]:
    """Per task output: ``||d L_o / d theta_o||_2``, where ``L_o`` is the output's own loss
    (:func:`~nas_ops.tasks.losses.output_loss`, unweighted, no KL term) on ``batch`` and
    ``theta_o`` the parameters of the networks reaching the output. The model is taken as at the
    first training step under ``seed`` (:func:`first_step_copy`); ``model`` is not changed."""
    net = first_step_copy(model, seed)
    fwd = net({spec.name: batch[spec.name] for spec in task.inputs})
    scores: dict[str, float] = {}
    for spec in task.outputs:
        params = subgraph_parameters(net, spec.name)
        loss = output_loss(spec, fwd.outputs[spec.name], batch[spec.name])
        grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        squares = sum(float(g.double().pow(2).sum()) for g in grads if g is not None)
        scores[spec.name] = math.sqrt(squares)
    return scores
