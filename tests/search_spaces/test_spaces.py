"""The built-in search spaces: registration, VALP-style growth within bounds, the mlp space."""

from __future__ import annotations

import pytest

import nas_ops as N
from nas_ops.errors import UnknownNameError
from nas_ops.genome import NetworkNode
from nas_ops.rng import generator
from tests.genome.builders import SIGNATURES

SEEDS = range(60)


def test_both_spaces_are_registered() -> None:
    assert {"multinet", "mlp"} <= set(N.list_spaces())
    assert N.get_space("multinet").name == "multinet"
    with pytest.raises(UnknownNameError, match="valid choices: .*mlp.*multinet"):
        N.get_space("nope")


def test_sample_genome_public_api(small_task: N.Task) -> None:
    a = N.sample_genome("multinet", small_task, seed=7)
    assert a == N.sample_genome("multinet", small_task, seed=7)
    assert a != N.sample_genome("multinet", small_task, seed=8)
    assert {i.id for i in a.inputs} == {s.name for s in small_task.inputs}
    assert [o.id for o in a.outputs] == [o.name for o in small_task.outputs]


@pytest.mark.parametrize("sig", sorted(SIGNATURES))
def test_multinet_growth_respects_bounds_and_types(sig: str) -> None:
    space = N.get_space("multinet")
    rules = space.rules
    signature = SIGNATURES[sig]
    counts, chained, hashes = [], 0, set()
    for seed in SEEDS:
        g = space.sample(signature, generator(seed, "sample"))
        counts.append(len(g.networks))
        assert 1 <= len(g.networks) <= rules.max_networks
        for net in g.networks:
            assert len(net.layers) <= rules.max_layers
            assert all(rules.min_units <= la.units <= rules.max_units for la in net.layers)
            if net.kind in ("conv_encoder", "conv_decoder"):
                assert signature.inputs[0].dtype != "vector", "conv kinds need a signal or image"
        for out in g.outputs:  # every output is produced by a network of a fitting kind
            feeds = [g.node(p) for p in g.predecessors(out.id)]
            assert feeds and all(isinstance(f, NetworkNode) for f in feeds)
            assert all(rules.produces[f.kind] in rules.output_accepts[out.kind] for f in feeds)
        chained += any(isinstance(g.node(p), NetworkNode)
                       for n in g.networks for p in g.predecessors(n.id))
        hashes.add(N.structural_hash(g))
    assert len(hashes) == len(SEEDS)  # sampling explores: no two seeds gave the same structure
    assert max(counts) > len(signature.outputs)  # feeder networks are grown ...
    assert chained > len(SEEDS) // 4  # ... and networks feed other networks (multi-network DAGs)


@pytest.mark.parametrize("sig", sorted(SIGNATURES))
def test_mlp_space_is_one_dense_network_per_output(sig: str) -> None:
    space = N.get_space("mlp")
    signature = SIGNATURES[sig]
    for seed in range(20):
        g = space.sample(signature, generator(seed, "sample"))
        assert g.space == "mlp"
        assert len(g.networks) == len(signature.outputs)
        for out in g.outputs:
            (net_id,) = g.predecessors(out.id)
            net = g.network(net_id)
            assert net.kind == ("discrete" if out.kind == "classification" else "mlp")
            assert g.predecessors(net_id) == [i.id for i in g.inputs]
            assert len(net.layers) <= space.rules.max_layers
