"""The nbgraph and nb201 spaces: genomes in the ordinary format, validation naming the node and
rule, isomorphic architectures sharing a key and a canonical genome, uniform sampling."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from types import SimpleNamespace

import pytest

from nas_ops.errors import GenomeError
from nas_ops.genome import from_json, structural_hash, to_json, validate
from nas_ops.rng import generator
from nas_ops.spaces import get_space
from nas_ops.tables import get_table, nb201, nbgraph
from nas_ops.tasks.base import InputSpec, OutputSpec
from search_spaces import nb201 as nb201_space
from search_spaces import nbgraph as nbgraph_space
from tests.tables.conftest import needs_tables


def _task(dataset: str) -> SimpleNamespace:
    return SimpleNamespace(inputs=(InputSpec(dataset, "vector", (1,)),),
                           outputs=(OutputSpec("class", "classification", 1),))


def _invalid(genome, space: str, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GenomeError, match=match) as err:
        validate(genome, get_space(space).rules)
    assert len(str(err.value).splitlines()) == 1


def test_nbgraph_validation_names_the_node_and_rule() -> None:
    good = nbgraph_space.build("cora", (0, 0, 1, 1), ("gcn", "gat", "skip", "fc"))
    validate(good, get_space("nbgraph").rules)
    _invalid(nbgraph_space.build("coraa", (0, 0, 1, 1), ("gcn",) * 4), "nbgraph",
             "node 'coraa'.*named after the dataset; valid: cora, citeseer")
    _invalid(nbgraph_space.build("proteins", (0, 0, 1, 1), ("gat", "gcn", "gcn", "gcn")),
             "nbgraph", "node 'n0': operation 'gat' is not trained on proteins; valid: gcn")
    _invalid(nbgraph_space.build("cora", (0, 0, 0, 0), ("skip",) * 4), "nbgraph",
             "only skip operations")
    extra = good.replace(edges=(*good.edges, ("cora", "n3")))
    _invalid(extra, "nbgraph", "node 'n3': reads 2 values")
    inner = good.replace(edges=(*good.edges, ("n0", "class")))  # n0 is read by n2 and n3
    _invalid(inner, "nbgraph", "node 'class': the output sums the nodes nobody reads")
    _invalid(good.replace(space="nb201"), "nb201", "space is 'nb201'|rule")


def test_nb201_validation_names_the_node_and_rule() -> None:
    good = nb201_space.build("cifar10", ("nor_conv_3x3",) * 6)
    validate(good, get_space("nb201").rules)
    net = good.network("e12")
    bad_op = good.replace_network(dataclasses.replace(net, kind="conv_5x5"))
    _invalid(bad_op, "nb201", "'conv_5x5' unknown; valid")
    no_edge = good.replace(networks=tuple(n for n in good.networks if n.id != "e13"),
                           edges=tuple(e for e in good.edges if "e13" not in e))
    _invalid(no_edge, "nb201", "edges missing: 1->3")
    _invalid(nb201_space.build("cifar100", ("none",) * 6), "nb201",
             "named after the dataset; valid: cifar10")


def test_isomorphic_architectures_share_a_key_and_a_canonical_genome() -> None:
    space = get_space("nbgraph")
    raw = nbgraph_space.build("cora", (0, 0, 0, 2), ("gat", "gcn", "gin", "sage"))  # relabelled
    validate(raw, space.rules)
    key = space.key_of(raw)  # type: ignore[attr-defined]
    canonical = space.genome_of_key("cora", key)  # type: ignore[attr-defined]
    assert space.canonical(raw) == canonical  # type: ignore[attr-defined]
    assert structural_hash(space.canonical(raw)) == structural_hash(canonical)  # type: ignore[attr-defined]
    assert from_json(to_json(raw)) == raw and key == nbgraph.canonical_key((0, 0, 0, 2),
                                                                         ("gat", "gcn", "gin",
                                                                          "sage"))
    cell = nb201_space.build("cifar10", ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3",
                                         "avg_pool_3x3", "none"))
    assert get_space("nb201").key_of(cell) == ("|none~0|+|skip_connect~0|nor_conv_1x1~1|+"  # type: ignore[attr-defined]
                                               "|nor_conv_3x3~0|avg_pool_3x3~1|none~2|")


@needs_tables
def test_sampling_is_uniform_over_the_tables_distinct_architectures() -> None:
    space = get_space("nbgraph")
    table = get_table("nbgraph", "proteins")
    rng, replica = generator(5, "uniform"), generator(5, "uniform")
    for _ in range(100):  # a sample is the table's key at a uniformly drawn row
        want = space.genome_of_key("proteins", table.keys[int(replica.integers(len(table)))])  # type: ignore[attr-defined]
        assert space.sample(_task("proteins"), rng) == want
    draws = 10_000
    seen = Counter(nbgraph_space.arch_of(space.sample(_task("proteins"), rng))[0]
                   for _ in range(draws))
    links = Counter(nbgraph.decode(k)[0] for k in table.keys)  # shares of the distinct archs
    for link, n in links.items():
        assert abs(seen[link] / draws - n / len(table)) < 0.015, link
    cells = [get_space("nb201").sample(_task("cifar10"), rng) for _ in range(2000)]
    per_edge = Counter(op for g in cells for op in nb201_space.ops_of(g))
    assert set(per_edge) == set(nb201.OPS)
    assert all(abs(n / (6 * 2000) - 0.2) < 0.02 for n in per_edge.values())


def test_a_table_genome_is_built_once_per_architecture_and_what_is_kept_survives() -> None:
    from search_spaces import _table

    a = nbgraph_space.build("cora", (0, 0, 1, 1), ("gcn", "gat", "skip", "fc"))
    assert nbgraph_space.build("cora", [0, 0, 1, 1], ["gcn", "gat", "skip", "fc"]) is a
    assert nbgraph_space.build("citeseer", (0, 0, 1, 1), ("gcn", "gat", "skip", "fc")) is not a
    assert nb201_space.build("cifar10", ["none"] * 6) is nb201_space.build("cifar10", ("none",) * 6)
    h = a.kept("_variation_shash", structural_hash)
    again = nbgraph_space.build("cora", (0, 0, 1, 1), ("gcn", "gat", "skip", "fc"))
    child = again.with_lineage("u1", ("p",), "nbgraph_change_op")

    def recomputed(_: object) -> str:
        raise AssertionError("kept on the interned genome, not computed again")

    assert child.kept("_variation_shash", recomputed) == h
    assert child.uid == "u1" and a.uid == ""  # the interned genome itself keeps no lineage
    _table.forget_interned()
    fresh = nbgraph_space.build("cora", (0, 0, 1, 1), ("gcn", "gat", "skip", "fc"))
    assert fresh is not a and fresh == a and structural_hash(fresh) == h


def test_the_store_of_built_genomes_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from search_spaces import _table

    monkeypatch.setattr(_table, "MAX_INTERNED", 3)
    _table.forget_interned()
    cells = [nb201_space.build("cifar10", (op,) * 6) for op in nb201.OPS[:3]]
    assert len(_table._BUILT) == 3
    nb201_space.build("cifar10", (nb201.OPS[3],) * 6)  # full: cleared, then this one kept
    assert len(_table._BUILT) == 1
    assert nb201_space.build("cifar10", (nb201.OPS[0],) * 6) is not cells[0]


def test_topological_reads_every_raw_link_as_the_built_genome_does() -> None:
    from search_spaces import _table

    ops = ("gcn", "gat", "sage", "skip")
    for link in itertools.product(range(5), repeat=4):  # every node may read any value
        genome = nbgraph_space.build("cora", link, ops)
        try:
            want = nbgraph_space.arch_of(genome)
        except GenomeError:  # a node reading itself, or a cycle
            want = None
        assert nbgraph_space.topological(link, ops) == want, link
    assert nbgraph_space.topological((2, 1, 0, 0), ops) is None  # n0 <-> n1
    assert nbgraph_space.topological((0, 5, 0, 0), ops) is None  # no node 4
    _table.forget_interned()
