"""Property tests: every sampled genome is valid, round-trips, hashes stably, builds and runs.

Seeds are the strategy: each example samples a genome of one space for one task signature
(mnist1d's signal, digits' 8x8 image, a 28x28 image, a plain vector).
"""

from __future__ import annotations

import dataclasses

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nas_ops as N
from nas_ops.genome import ACTIVATIONS, Genome, from_json, structural_hash, to_json
from nas_ops.rng import generator
from tests.genome.builders import SIGNATURES, relabel

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
SPACES = st.sampled_from(["multinet", "mlp"])
SIGS = st.sampled_from(sorted(SIGNATURES))
FAST = settings(max_examples=80, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def sample(space: str, sig: str, seed: int) -> Genome:
    return N.get_space(space).sample(SIGNATURES[sig], generator(seed, "sample"))


@FAST
@given(space=SPACES, sig=SIGS, seed=SEEDS)
def test_sampled_genome_is_valid_and_round_trips(space: str, sig: str, seed: int) -> None:
    g = sample(space, sig, seed)
    assert N.validate(g) is g
    assert g.space == space
    text = to_json(g)
    back = from_json(text)
    assert back == g
    assert to_json(back) == text
    assert to_json(back, indent=2) == to_json(g, indent=2)
    assert from_json(to_json(g, indent=2)) == g
    assert sample(space, sig, seed) == g  # sampling is a function of the seed


@FAST
@given(space=SPACES, sig=SIGS, seed=SEEDS)
def test_hash_is_stable_and_structural(space: str, sig: str, seed: int) -> None:
    g = sample(space, sig, seed)
    h = structural_hash(g)
    assert len(h) == 32 and int(h, 16) >= 0
    assert structural_hash(from_json(to_json(g))) == h
    assert structural_hash(g.with_lineage("uid", ("p1",), "op")) == h  # lineage is not structure
    iso = relabel(g)
    assert N.validate(iso).network_ids != g.network_ids
    assert structural_hash(iso) == h

    lr = 2 * g.hyper.learning_rate
    changed = [g.replace(hyper=dataclasses.replace(g.hyper, learning_rate=lr)),
               g.replace(outputs=(dataclasses.replace(g.outputs[0], loss_weight=0.5),
                                  *g.outputs[1:]))]
    for net in g.networks:
        if net.layers:
            lay = net.layers[0]
            other = next(a for a in ACTIVATIONS if a != lay.activation)
            changed.append(g.replace_network(net.with_layers(
                (dataclasses.replace(lay, activation=other), *net.layers[1:]))))
            changed.append(g.replace_network(net.with_layers(
                (dataclasses.replace(lay, units=lay.units - 1 if lay.units > 1 else 2),
                 *net.layers[1:]))))
    for variant in changed:
        N.validate(variant)
        assert structural_hash(variant) != h


@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(space=SPACES, sig=SIGS, seed=SEEDS)
def test_sampled_genome_builds_and_runs(space: str, sig: str, seed: int) -> None:
    g = sample(space, sig, seed)
    model = N.build_model(g, seed=seed % 1000, device="cpu")
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == N.complexity(g).parameters
    assert set(model.networks.keys()) == set(g.network_ids)
    shape = SIGNATURES[sig].inputs[0].shape
    x = torch.rand(3, *shape, generator=torch.Generator().manual_seed(seed % 1000))
    for mode in ("train", "eval"):
        model.train(mode == "train")
        fwd = model({"x": x})
        for out in SIGNATURES[sig].outputs:
            value = fwd.outputs[out.name]
            assert value.shape == (3, out.size), (out.name, tuple(value.shape))
            assert value.dtype == torch.float32 and torch.isfinite(value).all()
        assert fwd.kl.shape == () and torch.isfinite(fwd.kl)
    sampled = model({"x": x}, sample=True)
    assert {k: v.shape for k, v in sampled.outputs.items()} == \
        {k: v.shape for k, v in fwd.outputs.items()}
