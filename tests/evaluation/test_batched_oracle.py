"""Batched evaluation gives the records run_request gives (the sequential oracle)."""

from __future__ import annotations

import pytest
import torch

from nas_ops.evaluation.batched import BatchedEvaluator
from nas_ops.evaluation.worker import run_request
from nas_ops.variation import apply_operator, trainable_networks

from .conftest import adaptive_bn, assert_same, make_request, population


def _both(reqs, **kw):
    seq = {r.uid: run_request(r) for r in reqs}
    ev = BatchedEvaluator(**{"fuse": "always", **kw})
    for r in reqs:
        ev.submit(r)
    bat = {r.uid: r for r in ev.as_completed()}
    assert bat.keys() == seq.keys() and ev.pending() == 0
    return seq, bat, ev


def test_groups_match_sequential(mixed_population):
    reqs = [make_request(g, 100 + i) for i, g in enumerate(mixed_population)]
    seq, bat, ev = _both(reqs)
    assert ev.stats["groups"] == 3 and ev.stats["grouped"] == 12 and not ev.stats["errors"]
    strict = 0
    for req, genome in zip(reqs, mixed_population, strict=True):
        loose = adaptive_bn(genome)
        strict += not loose
        assert_same(seq[req.uid], bat[req.uid], loose=loose)
    assert strict >= 6


def test_batchnorm_and_dropout_exact_under_sgd():
    pop = population([2, 7], 4, optimizer="sgd", learning_rate=0.03)
    assert any(la.batchnorm for g in pop for n in g.networks for la in n.layers)
    assert any(la.dropout for g in pop for n in g.networks for la in n.layers)
    reqs = [make_request(g, 7 + i, sample_score=True) for i, g in enumerate(pop)]
    seq, bat, ev = _both(reqs)
    assert ev.stats["grouped"] == len(pop)
    for r in reqs:
        assert_same(seq[r.uid], bat[r.uid])


def test_partial_retraining_and_inheritance(tmp_path, mixed_population):
    """Children inherit their parent's trained weights and train only the affected networks."""
    parent = mixed_population[4]
    parent_req = make_request(parent, 3, uid="parent", weights_out=str(tmp_path / "parent.pt"))
    assert run_request(parent_req).status == "ok"
    reqs = []
    for k, op in enumerate(("change_units", "change_activation", "toggle_dropout",
                            "change_units", "change_initializer")):
        res = apply_operator(op, parent, 50 + k)
        assert res.ok
        child = res.children[0]
        inherit = {"parents": [parent_req.weights_out], "map": res.event.inheritance[0],
                   "parent_genomes": [parent_req.genome]}
        reqs.append(make_request(child, 60 + k, inherit=inherit,
                                 trainable=sorted(trainable_networks(res, 0)),
                                 weights_out=str(tmp_path / f"c{k}.pt")))
    seq, bat, ev = _both(reqs)
    assert ev.stats["grouped"] >= 2
    for r in reqs:
        assert_same(seq[r.uid], bat[r.uid], loose=adaptive_bn(parent, r.trainable))
    assert any(len(seq[r.uid].trained_networks) < len(parent.networks) for r in reqs)


def test_diagnosis_is_computed_on_the_trained_model(monkeypatch, mixed_population):
    """The (costly) diagnosis runs on each trained phenotype with the request's seed; a cheap
    stand-in that reads the trained weights checks the plumbing."""
    def fake(model, task, seed, **settings):  # settings: relevance draws and noise
        total = sum(float(p.detach().double().sum()) for p in model.parameters())
        return [("all", "all", f"seed{seed}", total)]

    import nas_ops.evaluation.pipeline as pipeline

    monkeypatch.setattr(pipeline, "diagnose", fake)  # the one place both backends diagnose
    pop = population([11], 3, optimizer="sgd")
    reqs = [make_request(g, i, diagnose=i != 1) for i, g in enumerate(pop)]
    seq, bat, ev = _both(reqs)
    assert ev.stats["grouped"] == 3
    for r in reqs:
        a, b = seq[r.uid].diagnosis, bat[r.uid].diagnosis
        assert len(a) == len(b) == int(r.diagnose)
        for x, y in zip(a, b, strict=True):
            assert x[:3] == y[:3] and x[3] == pytest.approx(y[3], rel=1e-4)


def test_frozen_networks_stay_bit_identical(tmp_path, mixed_population):
    pop = mixed_population[:4]
    frozen = pop[0].network_ids[0]
    reqs = [make_request(g, i, trainable=[n for n in g.network_ids if n != frozen],
                         weights_out=str(tmp_path / f"w{i}.pt")) for i, g in enumerate(pop)]
    seq, bat, _ = _both(reqs)
    for i, r in enumerate(reqs):
        assert_same(seq[r.uid], bat[r.uid], loose=adaptive_bn(pop[i], r.trainable))
        from nas_ops.phenotype import build_model

        init = build_model(pop[i], seed=i).state_dict()
        state = torch.load(r.weights_out, weights_only=True)
        for key, value in init.items():
            if key.startswith(f"networks.{frozen}."):
                assert torch.equal(state[key], value), key


def test_saved_weights_match(tmp_path):
    pop = population([11], 3, optimizer="sgd")
    reqs = [make_request(g, i, weights_out=str(tmp_path / f"w{i}.pt")) for i, g in enumerate(pop)]
    for r in reqs:
        assert run_request(r).status == "ok"
    seq_states = [torch.load(r.weights_out, weights_only=True) for r in reqs]
    ev = BatchedEvaluator(fuse="always")
    for r in reqs:
        ev.submit(r)
    list(ev.as_completed())
    assert ev.stats["grouped"] == 3
    for r, before in zip(reqs, seq_states, strict=True):
        after = torch.load(r.weights_out, weights_only=True)
        assert after.keys() == before.keys()
        for key in before:
            assert torch.allclose(before[key].float(), after[key].float(), rtol=1e-4,
                                  atol=1e-5), key


@pytest.mark.gpu
def test_oracle_on_cuda(mixed_population):
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    reqs = [make_request(g, 100 + i, device="cuda") for i, g in enumerate(mixed_population)]
    sgd = [make_request(g, 7 + i, device="cuda", uid=f"s{i}")
           for i, g in enumerate(population([2, 7], 4, optimizer="sgd", learning_rate=0.03))]
    seq, bat, ev = _both(reqs + sgd)
    assert ev.stats["grouped"] >= 12 and not ev.stats["errors"]
    genomes = {r.uid: g for r, g in zip(reqs, mixed_population, strict=True)}
    for r in reqs + sgd:
        # same tolerances as on CPU (TF32 is off by default for fp32 matmul)
        loose = r.uid in genomes and adaptive_bn(genomes[r.uid])
        assert_same(seq[r.uid], bat[r.uid], loose=loose)
