"""One-call helpers of the public API: a random genome of a space, and a genome checked against
the rules of its own space."""

from __future__ import annotations

from typing import Any

from nas_ops.genome import Genome
from nas_ops.genome import validate as validate_with
from nas_ops.rng import generator
from nas_ops.spaces import SearchSpace, get_space, rules_for
from nas_ops.tasks import Task, load_task


def sample_genome(space: str | SearchSpace = "multinet", task: str | Task = "mnist1d",
                  seed: int = 0, **task_options: Any) -> Genome:
    """A random genome of ``space`` for ``task``, determined by ``seed``."""
    sp = get_space(space) if isinstance(space, str) else space
    tk = load_task(task, **task_options) if isinstance(task, str) else task
    return sp.sample(tk, generator(seed, "sample"))


def validate(genome: Genome) -> Genome:
    """Check ``genome`` against the rules of its space; return it or raise :class:`GenomeError`."""
    return validate_with(genome, rules_for(genome.space))
