"""What the spaces of public benchmark tables share (docs/tables.md).

A table space's genome is a fixed cell written in the ordinary genome format: one input named
after the benchmark's dataset (so the dataset travels with the genome), one network node per
operation (its ``kind`` is the operation; no layers, ``out_size`` 1), plain edges, one output.
Such genomes are table entries, not networks to build: the phenotype cannot build them and only
the operators written for the space apply (``SearchSpace.table``). The space's :class:`Rules`
subclass adds the cell's own rules to validation, each refused with one line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from nas_ops.errors import GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.nodes import InputNode, Layer, NetworkNode, OutputNode
from nas_ops.spaces import SearchSpace, TaskSignature
from nas_ops.tables import Table, get_table

OUTPUT = "class"  # the one output of a table task: its primary metric is the table's accuracy


def fail(space: str, node: str, what: str) -> GenomeError:
    return GenomeError(f"genome invalid: node {node!r}: {what} [rule: {space} cell]")


def table_rules(kinds: tuple[str, ...], networks: int) -> dict[str, Any]:
    """The :class:`Rules` fields of a table space whose network kinds are ``kinds``."""
    flat = frozenset({"vector", "values"})
    return {"accepts": {k: flat for k in kinds},
            "output_accepts": {"classification": frozenset({"values"}),
                               "regression": frozenset(), "generation": frozenset()},
            "produces": {k: "values" for k in kinds}, "network_kinds": kinds,
            "max_networks": networks, "max_layers": 0, "min_units": 1, "max_units": 1,
            "max_latent": 1}


def check_ends(space: str, genome: Genome, datasets: tuple[str, ...]) -> str:
    """The dataset a table genome's one input names, once its input and output are as built."""
    if genome.space != space:
        raise fail(space, "(genome)", f"space is {genome.space!r}, not {space!r}")
    if len(genome.inputs) != 1 or len(genome.outputs) != 1:
        raise fail(space, "(genome)", "a table cell has one input and one output")
    inp, out = genome.inputs[0], genome.outputs[0]
    if inp.id not in datasets:
        raise fail(space, inp.id, f"the input is named after the dataset; valid: "
                   f"{', '.join(datasets)}")
    if inp.dtype != "vector" or inp.shape != (1,):
        raise fail(space, inp.id, "the input is a vector of shape [1]")
    if out.id != OUTPUT or out.kind != "classification" or out.size != 1:
        raise fail(space, out.id, f"the output is {OUTPUT!r}, a classification of size 1")
    for net in genome.networks:
        if net.out_size != 1 or net.layers or net.latent or net.out_shape:
            raise fail(space, net.id, "an operation node has no layers and out_size 1")
    return inp.id


def dataset_of(task: TaskSignature) -> tuple[str, str]:
    """(dataset, table file path or "") of a table task: its one input's name, and the path its
    options name (a task built by ``load_task`` keeps them in ``meta``)."""
    options = getattr(task, "meta", {}).get("options", {})
    return str(task.inputs[0].name), str(options.get("path", "") or "")


@dataclass
class TableSpace(SearchSpace):
    """Base of the table spaces: sampling is uniform over the table's distinct architectures."""

    def genome_of_key(self, dataset: str, key: Any) -> Genome:
        raise NotImplementedError

    def key_of(self, genome: Genome) -> Any:
        raise NotImplementedError

    def table_for(self, task: TaskSignature) -> Table:
        dataset, path = dataset_of(task)
        return get_table(self.table, dataset, path)

    def sample(self, task: TaskSignature, rng: np.random.Generator) -> Genome:
        table = self.table_for(task)
        return self.genome_of_key(table.dataset, table.keys[int(rng.integers(len(table)))])

    def _no_layers(self) -> GenomeError:
        return GenomeError(f"space {self.name!r} is a fixed cell of a benchmark table: it has "
                           "no networks or layers to sample")

    def sample_layers(self, kind: str, rng: np.random.Generator) -> tuple[Layer, ...]:
        raise self._no_layers()

    def sample_layer(self, kind: str, rng: np.random.Generator) -> Layer:
        raise self._no_layers()

    def sample_network(self, genome: Genome, kind: str, net_id: str, out_size: int,
                       rng: np.random.Generator, out_shape: tuple[int, ...] = ()) -> NetworkNode:
        raise self._no_layers()


@cache
def ends(dataset: str) -> tuple[tuple[InputNode, ...], tuple[OutputNode, ...]]:
    """The input and output of a table genome (one frozen record each per dataset, so what is
    kept on a record, its hash label, is computed once)."""
    return (InputNode(dataset, "vector", (1,)),), (OutputNode(OUTPUT, "classification", 1),)


@cache
def op_node(node_id: str, op: str) -> NetworkNode:
    """An operation node (one frozen record per id and operation, as :func:`ends`)."""
    return NetworkNode(node_id, op, (), 1)


_BUILT: dict[tuple, Genome] = {}
# genomes kept per process: the largest table has 26,206 entries; about 5 KB each with what
# a search keeps on them, so at most some 170 MB
MAX_INTERNED = 1 << 15


def interned(key: tuple, build: Callable[[], Genome]) -> Genome:
    """The genome ``build()`` makes for ``key`` (the space, dataset and architecture as given),
    made once per process: a table search meets the same architectures over and over, and what
    is kept on an (immutable, lineage-free) genome, its order, hash, costs and validity, then
    is computed once per architecture instead of once per child. The store is cleared when it
    holds :data:`MAX_INTERNED` genomes."""
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= MAX_INTERNED:
            _BUILT.clear()
        found = _BUILT[key] = build()
    return found


def forget_interned() -> None:
    """Empty the store of :func:`interned` (a benchmark timing a run from a cold start)."""
    _BUILT.clear()


__all__ = ["MAX_INTERNED", "OUTPUT", "TableSpace", "check_ends", "dataset_of", "ends", "fail",
           "forget_interned", "interned", "op_node", "table_rules"]
