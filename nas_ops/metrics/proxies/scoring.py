"""``score``: every registered proxy of an untrained model, per output (needs torch)."""

from __future__ import annotations

from nas_ops.genome.genome import Genome
from nas_ops.metrics.proxies import PROXIES, ProxyInputs
from nas_ops.metrics.proxies.batch import BATCH_SIZE, proxy_batch
from nas_ops.phenotype.model import build_model
from nas_ops.tasks.base import Task
from nas_ops.training import check_fits


def score(genome: Genome, task: Task, seed: int = 0, *, batch_size: int = BATCH_SIZE,
          data_seed: int | None = None) -> dict[str, dict[str, float]]:
    """Every proxy of :data:`PROXIES` (in registration order) for every output of ``task``, for
    ``genome`` built with ``seed`` (the evaluation seed: the initialization that training would
    start from). The mini-batch: ``batch_size`` training samples drawn with ``data_seed``
    (default ``seed``; pass one value for all genomes to score them on the same samples).
    Raises :class:`~nas_ops.errors.GenomeError` when the genome does not fit the task."""
    check_fits(genome, task)
    model = build_model(genome, seed=seed)
    batch = proxy_batch(task, seed if data_seed is None else data_seed, batch_size)
    inputs = ProxyInputs(genome, task, model, batch, seed)
    found = {name: PROXIES.get(name)(inputs) for name in PROXIES.in_order()}
    return {spec.name: {name: values[spec.name] for name, values in found.items()}
            for spec in task.outputs}
