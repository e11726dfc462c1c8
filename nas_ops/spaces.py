"""Search spaces: how genomes are sampled, and the rules (type tables, bounds) they obey.

Built-in spaces live in the top-level ``search_spaces`` package and register through the
``nas_ops.search_spaces`` entry-point group, like any third-party space.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol

import numpy as np

from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import Layer, NetworkNode
from nas_ops.genome.rules import DEFAULT_RULES, Rules
from nas_ops.registry import Registry


class TaskSignature(Protocol):
    """What sampling needs of a task: its typed inputs and outputs (no data)."""

    @property
    def inputs(self) -> tuple: ...  # tuple[InputSpec, ...]

    @property
    def outputs(self) -> tuple: ...  # tuple[OutputSpec, ...]


class SearchSpace(ABC):
    """A family of genomes. Subclasses define sampling; the rules are data."""

    name: str = ""
    rules: Rules = DEFAULT_RULES
    # A space of a public benchmark table (docs/tables.md) names it here: its genomes are table
    # entries, not networks to build, and only operators written for the space apply to them.
    table: str = ""

    @abstractmethod
    def sample(self, task: TaskSignature, rng: np.random.Generator) -> Genome:
        """A random valid genome for ``task``."""

    @abstractmethod
    def sample_layers(self, kind: str, rng: np.random.Generator) -> tuple[Layer, ...]:
        """Random hidden layers for a network of ``kind``."""

    @abstractmethod
    def sample_layer(self, kind: str, rng: np.random.Generator) -> Layer:
        """One random hidden layer for a network of ``kind``."""

    @abstractmethod
    def sample_network(self, genome: Genome, kind: str, net_id: str, out_size: int,
                       rng: np.random.Generator, out_shape: tuple[int, ...] = ()) -> NetworkNode:
        """A random network genome of ``kind`` producing ``out_size`` values."""


SPACES: Registry[SearchSpace] = Registry("search space", group="nas_ops.search_spaces")


def register_space(space: SearchSpace) -> SearchSpace:
    return SPACES.register(space.name, space)


def get_space(name: str) -> SearchSpace:
    return SPACES.get(name)


def list_spaces() -> list[str]:
    return SPACES.names()


def rules_for(name: str) -> Rules:
    return SPACES.get(name).rules
