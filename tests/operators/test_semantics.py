"""Each built-in operator does its job: the structural change it promises, and no other."""

from __future__ import annotations

import pytest

from nas_ops.genome import Genome, complexity
from nas_ops.testing.operators import partner
from nas_ops.variation import OPERATORS, apply_operator, get_operator


def _ok_results(name: str, genomes: list[Genome], seeds: range = range(4)):  # type: ignore[no-untyped-def]
    out = []
    for g in genomes:
        for seed in seeds:
            parents = [g] if get_operator(name).arity == 1 else [g, partner(g, seed)]
            res = apply_operator(name, parents, seed)
            if res.ok:
                out.append((g, res.children[0], res))
    assert out, f"{name} never applied"
    return out


@pytest.mark.parametrize(("name", "field", "delta"), [
    ("add_connection", "connections", 1), ("remove_connection", "connections", -1),
    ("divide_connection", "networks", 1), ("divide_connection", "connections", 1),
    ("bypass_network", "networks", -1), ("clone_network", "networks", 1),
    ("add_layer", "layers", 1), ("remove_layer", "layers", -1), ("deepen_network", "layers", 1),
])
def test_structural_counts(name: str, field: str, delta: int, genomes: list[Genome]) -> None:
    for g, child, _ in _ok_results(name, genomes):
        before, after = complexity(g).as_dict()[field], complexity(child).as_dict()[field]
        assert after == before + delta, (name, g.uid)


@pytest.mark.parametrize("name", [n for n in OPERATORS.names()
                                  if get_operator(n).direction != "neutral"])
def test_direction_of_parameter_count(name: str, genomes: list[Genome]) -> None:
    op = get_operator(name)
    for g, child, _ in _ok_results(name, genomes):
        size = (complexity(g).networks + complexity(g).layers + complexity(g).connections,
                complexity(g).parameters)
        after = (complexity(child).networks + complexity(child).layers
                 + complexity(child).connections, complexity(child).parameters)
        if op.direction == "grow":
            assert after[0] > size[0] or after[1] > size[1], name
        else:
            assert after[0] < size[0], name


def test_add_connection_fixes_output_sizes(genomes: list[Genome]) -> None:
    for g, child, res in _ok_results("add_connection", genomes, range(10)):
        (edge,) = res.event.diff["edges_added"]
        src, dst = edge.split("->")
        if dst in child.output_ids:
            assert child.network(src).out_size == child.node(dst).size  # type: ignore[union-attr]
            if g.network(src).out_size != child.network(src).out_size:
                assert res.event.diff["nodes_changed"] == [src]


def test_divide_connection_keeps_input_order(genomes: list[Genome]) -> None:
    for g, child, res in _ok_results("divide_connection", genomes):
        (new,) = res.event.diff["nodes_added"]
        (old_edge,) = res.event.diff["edges_removed"]
        a, b = old_edge.split("->")
        slot = g.predecessors(b).index(a)
        assert child.predecessors(b)[slot] == new and child.predecessors(new) == [a]


def test_bypass_rewires_predecessors_to_successors(genomes: list[Genome]) -> None:
    for g, child, res in _ok_results("bypass_network", genomes, range(6)):
        (gone,) = res.event.diff["nodes_removed"]
        for s in g.successors(gone):
            assert set(g.predecessors(gone)) <= set(child.predecessors(s))


def test_layer_edits_change_exactly_one_gene(genomes: list[Genome]) -> None:
    fields = {"change_units": "units", "change_activation": "activation",
              "change_initializer": "init", "toggle_dropout": "dropout",
              "toggle_batchnorm": "batchnorm"}
    for name, attr in fields.items():
        for g, child, res in _ok_results(name, genomes):
            (nid,) = res.event.diff["nodes_changed"]
            old, new = g.network(nid).layers, child.network(nid).layers
            diffs = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
            assert len(diffs) == 1
            a, b = diffs[0]
            assert getattr(a, attr) != getattr(b, attr)
            assert {k for k in a.__dict__ if getattr(a, k) != getattr(b, k)} == {attr}


def test_change_initializer_reinitializes_that_layer(genomes: list[Genome]) -> None:
    for _, _, res in _ok_results("change_initializer", genomes):
        (nid,) = res.event.diff["nodes_changed"]
        j = int(res.event.decisions[0]["value"][1])
        assert res.inheritance[0][nid].layer_map[j] is None  # type: ignore[index]


def test_hyperparameter_operators_change_one_value(genomes: list[Genome]) -> None:
    for name, key in [("change_learning_rate", "learning_rate"),
                      ("change_batch_size", "batch_size"), ("change_optimizer", "optimizer")]:
        for g, child, res in _ok_results(name, genomes):
            assert res.event.diff["hyper_changed"] == [key]
            assert getattr(g.hyper, key) != getattr(child.hyper, key)
    for g, child, res in _ok_results("change_loss_weights", genomes):
        (key,) = res.event.diff["hyper_changed"]
        out = key.split(".", 1)[1]
        assert g.node(out).loss_weight != child.node(out).loss_weight  # type: ignore[union-attr]


def test_swap_network_exchanges_genes(genomes: list[Genome]) -> None:
    a = genomes[0]
    for seed in range(5):
        b = partner(a, seed)
        res = apply_operator("swap_network", [a, b], seed)
        assert res.ok
        x, y = res.event.decisions[0]["value"]
        ca, cb = res.children
        assert ca.network(x).layers == b.network(y).layers
        assert cb.network(y).layers == a.network(x).layers
        assert ca.network(x).out_size == a.network(x).out_size


def test_reinit_network_resamples(genomes: list[Genome]) -> None:
    for _, _, res in _ok_results("reinit_network", genomes):
        (nid,) = res.event.touched
        assert res.inheritance[0][nid].mode == "none"
