"""nas-ops: neural architecture search of heterogeneous multi-network models that studies its own
variation operators.

The public API is what this module exports; everything else is internal.
"""

from __future__ import annotations

from typing import Any

from nas_ops.errors import (
    ConfigError,
    EvaluationError,
    GenomeError,
    NasOpsError,
    TaskError,
    UnknownNameError,
)
from nas_ops.genome import Genome, complexity, structural_hash
from nas_ops.genome import validate as _validate_genome
from nas_ops.metrics.capacity import CapacityAllocation, capacity_allocation
from nas_ops.phenotype import build_model, inherit_weights
from nas_ops.rng import generator as _generator
from nas_ops.spaces import SearchSpace, get_space, list_spaces, register_space, rules_for
from nas_ops.store import load_run
from nas_ops.tasks import Task, list_tasks, load_task, register_task
from nas_ops.training import Budget, TrainResult, evaluate, train

__version__ = "0.1.0"


def sample_genome(space: str | SearchSpace = "multinet", task: str | Task = "mnist1d",
                  seed: int = 0, **task_options: Any) -> Genome:
    """A random genome of ``space`` for ``task``, determined by ``seed``."""
    sp = get_space(space) if isinstance(space, str) else space
    tk = load_task(task, **task_options) if isinstance(task, str) else task
    return sp.sample(tk, _generator(seed, "sample"))


def run_search(config: str | Any, out: str, *, seed: int | None = None,
               max_evals: int | None = None, progress: bool = True) -> Any:
    """Run a search from a TOML path (or a :class:`nas_ops.config.RunConfig`) into ``out``."""
    from nas_ops.config import RunConfig, load_config, with_overrides
    from nas_ops.engine import run_search as _run

    cfg = config if isinstance(config, RunConfig) else load_config(config)
    return _run(with_overrides(cfg, seed=seed, max_evals=max_evals), out, progress=progress)


def validate(genome: Genome) -> Genome:
    """Check ``genome`` against the rules of its space; return it or raise :class:`GenomeError`."""
    return _validate_genome(genome, rules_for(genome.space))


__all__ = [
    "Budget", "build_model", "capacity_allocation", "CapacityAllocation", "complexity",
    "ConfigError", "evaluate", "EvaluationError", "Genome", "GenomeError", "get_space",
    "inherit_weights", "list_spaces", "list_tasks", "load_run", "load_task", "NasOpsError",
    "register_space", "register_task", "run_search", "sample_genome", "SearchSpace",
    "structural_hash", "Task", "TaskError", "train", "TrainResult", "UnknownNameError", "validate",
]
