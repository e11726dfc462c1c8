"""Zero-cost proxies: scores of an untrained model, per output, that may predict how well it
trains (docs/proxies.md). ``score(genome, task, seed)`` builds the model exactly as an
evaluation with that seed does and returns ``{output: {proxy: value}}`` for every task output:

- ``grad_norm``: norm of the gradient of the output's loss on one mini-batch (grad_norm.py);
- ``synflow``: synaptic flow of the output's subgraph (synflow.py);
- ``naswot``: log-determinant of the activation-code kernel on the mini-batch (naswot.py);
- ``params``: parameters of the output's subgraph, the baseline a proxy must beat.

Higher is taken to predict better for each. No training, no global random state: the model's
initialization comes from ``seed`` and the mini-batch from ``data_seed`` (default ``seed``).
"""

from __future__ import annotations

from nas_ops.genome.genome import Genome
from nas_ops.genome.shapes import output_cost
from nas_ops.metrics.proxies.batch import BATCH_SIZE, proxy_batch
from nas_ops.metrics.proxies.grad_norm import grad_norm
from nas_ops.metrics.proxies.naswot import log_det_kernel, naswot
from nas_ops.metrics.proxies.synflow import synflow
from nas_ops.phenotype.model import build_model
from nas_ops.tasks.base import Task
from nas_ops.training import check_fits

PROXIES = ("grad_norm", "synflow", "naswot", "params")

__all__ = ["PROXIES", "grad_norm", "log_det_kernel", "naswot", "proxy_batch", "score", "synflow"]


def score(genome: Genome, task: Task, seed: int = 0, *, batch_size: int = BATCH_SIZE,
          data_seed: int | None = None) -> dict[str, dict[str, float]]:
    """Every proxy of :data:`PROXIES` for every output of ``task``, for ``genome`` built with
    ``seed`` (the evaluation seed: the initialization that training would start from). The
    mini-batch: ``batch_size`` training samples drawn with ``data_seed`` (default ``seed``; pass
    one value for all genomes to score them on the same samples). Raises
    :class:`~nas_ops.errors.GenomeError` when the genome does not fit the task."""
    check_fits(genome, task)
    model = build_model(genome, seed=seed)
    batch = proxy_batch(task, seed if data_seed is None else data_seed, batch_size)
    norms = grad_norm(model, task, batch, seed)
    flows = synflow(model)
    codes = naswot(model, task, batch, seed)
    cost = output_cost(genome)
    return {spec.name: {"grad_norm": norms[spec.name], "synflow": flows[spec.name],
                        "naswot": codes[spec.name],
                        "params": float(cost[spec.name]["parameters"])}
            for spec in task.outputs}
