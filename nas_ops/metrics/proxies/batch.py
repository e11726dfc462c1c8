"""What the proxies look at: one seeded mini-batch of training data, the networks of an output's
subgraph, and a copy of the model as it is at the first training step."""

from __future__ import annotations

import copy

from torch import nn

from nas_ops.genome.genome import Genome
from nas_ops.phenotype.model import Phenotype
from nas_ops.rng import generator, torch_seed
from nas_ops.tasks.base import Split, Task

BATCH_SIZE = 64  # samples in the proxies' mini-batch


def proxy_batch(task: Task, data_seed: int, size: int = BATCH_SIZE) -> Split:
    """``size`` training samples (all of them when there are fewer), drawn without replacement by
    the generator of ``(data_seed, "proxies", "batch")``, in the order drawn."""
    n = len(task.train)
    idx = generator(data_seed, "proxies", "batch").choice(n, size=min(size, n), replace=False)
    return task.train.subset(idx)


def output_networks(genome: Genome, output_id: str) -> list[str]:
    """The networks of ``output_id``'s subgraph (every network whose value can reach it), in the
    genome's declaration order."""
    reach = genome.output_subgraph(output_id)
    return [nid for nid in genome.network_ids if nid in reach]


def subgraph_parameters(model: Phenotype, output_id: str) -> list[nn.Parameter]:
    """The parameters of the networks of ``output_id``'s subgraph."""
    return model.network_parameters(output_networks(model.genome, output_id))


def first_step_copy(model: Phenotype, seed: int) -> Phenotype:
    """A copy of ``model`` as :func:`nas_ops.training.fit` runs its first step under ``seed``:
    train mode (batch norm normalizes with the batch's own statistics), dropout masks and decoder
    noise keyed by ``(seed, "train")`` at step 0, every parameter requiring a gradient. A copy,
    so the batch-norm running statistics of ``model`` do not move."""
    twin = copy.deepcopy(model)
    twin.train()
    twin.noise.key = torch_seed(seed, "train")
    twin.noise.step = 0
    for p in twin.parameters():
        p.requires_grad_(True)
    return twin
