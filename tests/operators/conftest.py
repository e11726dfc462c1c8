"""Shared fixtures of the operator tests: example genomes and single-threaded torch."""

from __future__ import annotations

import pytest
import torch

from nas_ops.genome.genome import Genome
from nas_ops.testing.operators import example_genomes

torch.set_num_threads(1)  # tiny models: threads only add contention


@pytest.fixture(scope="session")
def genomes() -> list[Genome]:
    return example_genomes(6, spaces=("multinet", "mlp"))


@pytest.fixture(scope="session")
def genome(genomes: list[Genome]) -> Genome:
    return genomes[0]
