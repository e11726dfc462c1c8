"""Table keys: nas-ops computes each benchmark's own canonical key; every key of both tables
goes through a genome (JSON, validation, structural hash) and back to itself."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest

from nas_ops.errors import GenomeError
from nas_ops.genome import from_json, structural_hash, to_json, validate
from nas_ops.spaces import get_space
from nas_ops.tables import get_table, nb201, nbgraph
from tests.tables.conftest import needs_tables

pytestmark = needs_tables
RAW_LINKS = list(itertools.product(*[range(i + 1) for i in range(4)]))  # node i reads 0..i


def _every_arch(ops: tuple[str, ...]):  # type: ignore[no-untyped-def]
    for link in RAW_LINKS:
        for arch_ops in itertools.product(ops, repeat=4):
            if any(op != "skip" for op in arch_ops):
                yield link, arch_ops


def test_canonical_key_equals_the_packages_on_every_architecture() -> None:
    from nas_bench_graph.architecture import Arch  # importing it runs nothing but definitions

    n = 0
    for link, ops in _every_arch(nbgraph.OPS):
        theirs = Arch(list(link), list(ops)).valid_hash()
        assert nbgraph.canonical_key(link, ops) == theirs, (link, ops)
        n += 1
    assert n == 24 * 9 ** 4 - 24


@functools.cache
def _distinct(ops: tuple[str, ...]) -> frozenset[int]:
    return frozenset(nbgraph.canonical_key(link, a) for link, a in _every_arch(ops))


@pytest.mark.parametrize("dataset", nbgraph.DATASETS)
def test_the_tables_keys_are_the_distinct_architectures(dataset: str) -> None:
    keys = _distinct(nbgraph.ops_of(dataset))
    table = get_table("nbgraph", dataset)
    assert set(table.keys) == keys
    assert len(table) == (2021 if dataset == "proteins" else 26206)
    assert all(nbgraph.canonical_key(*nbgraph.decode(k)) == k for k in table.keys)


def test_nb201_keys_are_cell_strings_in_naslib_order() -> None:
    table = get_table("nb201", "cifar10")
    assert len(table) == 5 ** 6 == len(set(table.keys))
    for key in table.keys[:50]:
        assert nb201.from_file_key(nb201.to_file_key(key)) == key
    acc = table.columns["baseline_accuracy"]
    # the encoding, checked against what the cells compute: with "none" on the three edges
    # leaving the input (or entering the output) nothing reaches the classifier: 10 %
    for row, key in enumerate(table.keys):
        ops = nb201.parse_cell(key)
        cut = all(ops[nb201.EDGES.index(e)] == "none" for e in ((0, 1), (0, 2), (0, 3)))
        if cut:
            assert acc[row] == 10.0, key
    best = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|" \
           "nor_conv_3x3~2|"  # the NAS-Bench-201 CIFAR-10 optimum: within 0.1 of the top here
    assert acc[table.row(best)] > np.max(acc) - 0.1


def _walk(space_name: str, dataset: str) -> None:
    space = get_space(space_name)
    table = get_table(space.table, dataset)
    hashes = set()
    for key in table.keys:
        genome = from_json(to_json(space.genome_of_key(dataset, key)))  # type: ignore[attr-defined]
        validate(genome, space.rules)
        assert space.key_of(genome) == key  # type: ignore[attr-defined]
        hashes.add(structural_hash(genome))
    assert len(hashes) == len(table)  # one genome, one hash per distinct architecture


@pytest.mark.slow
def test_every_nbgraph_key_through_a_genome_and_back() -> None:
    _walk("nbgraph", "cora")  # 26,206 keys (the other datasets share them; proteins a subset)
    _walk("nbgraph", "proteins")


@pytest.mark.slow
def test_every_nb201_key_through_a_genome_and_back() -> None:
    _walk("nb201", "cifar10")


def test_a_kept_canonical_form_is_the_same_for_lists_and_an_invalid_one_fails_each_time() -> None:
    link, ops = [0, 0, 0, 2], ["gat", "gcn", "gin", "sage"]  # relabelled, as lists
    assert nbgraph.canonical(link, ops) == nbgraph.canonical(tuple(link), tuple(ops))
    assert nbgraph.canonical(link, ops) == ((0, 0, 0, 1), ("gcn", "gat", "gin", "sage"))
    for _ in range(2):  # a refusal is not kept: every call says why
        with pytest.raises(GenomeError, match="only skip operations"):
            nbgraph.canonical((0, 0, 0, 0), ("skip",) * 4)
