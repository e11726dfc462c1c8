import copy
import statistics

import pytest
import torch

from nas_ops import load_task, sample_genome, train
from nas_ops.config import EvaluationConfig
from nas_ops.errors import ConfigError
from nas_ops.metrics import diagnose, diagnosis
from nas_ops.rng import torch_seed


@pytest.fixture(scope="module")
def trained():
    task = load_task("mnist1d", n_train=300)
    genome = sample_genome("multinet", task, seed=3)
    result = train(genome, task, epochs=2, keep_model=True)
    return task, genome, result.model


def _table(rows):
    return {(n, o, m): v for n, o, m, v in rows}


def test_diagnosis_covers_every_pair_and_respects_reachability(trained):
    task, genome, model = trained
    before = {k: v.clone() for k, v in model.state_dict().items()}
    table = _table(diagnose(model, task, seed=1))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), "diagnosis must not change the model"
    for net in genome.network_ids:
        reach = set(genome.reachable_outputs([net]))
        for out in genome.output_ids:
            if out not in reach:
                assert table[(net, out, "relevance")] == 1.0
                assert table[(net, out, "ablation")] == 1.0
                assert table[(net, out, "saliency")] == 0.0
                assert table[(net, out, "affected")] == 0.0
            else:
                assert table[(net, out, "affected")] == 1.0
    for out in genome.output_ids:
        shares = [table[(n, out, "param_share")] for n in genome.network_ids]
        assert sum(shares) == pytest.approx(1.0)
        sal = [table[(n, out, "saliency")] for n in genome.network_ids]
        assert sum(sal) == pytest.approx(1.0)


def test_the_network_producing_an_output_matters_to_it(trained):
    task, genome, model = trained
    table = _table(diagnose(model, task, seed=1))
    for out in genome.output_ids:
        producer = genome.predecessors(out)[0]
        assert table[(producer, out, "relevance")] != pytest.approx(1.0, abs=1e-6)


def test_diagnosis_is_reproducible_from_its_seed(trained):
    task, _, model = trained
    assert diagnose(model, task, seed=4) == diagnose(model, task, seed=4)


def test_capacity_per_parameter_is_a_share_and_exactly_one_for_a_linear_network(trained):
    task, genome, model = trained
    table = _table(diagnose(model, task, seed=1))
    shares = {n: v for (n, _o, m), v in table.items() if m == "capacity_per_param"}
    assert shares and all(0.0 < v <= 1.0 + 1e-9 for v in shares.values())
    dense = next(n for n in genome.networks if n.kind in ("mlp", "discrete"))
    linear = genome.replace_network(dense.with_layers(()))
    lin_model = train(linear, task, epochs=1, keep_model=True).model
    rows = _table(diagnose(lin_model, task, seed=1))
    out = linear.reachable_outputs([dense.id])[0]
    # y = W x + b: every weight and bias is an independent degree of freedom
    assert rows[(dense.id, out, "capacity_per_param")] == pytest.approx(1.0)


def _by_hand_ratio(model, task, net_id, key, std_of):
    """One relevance draw computed without the diagnosis helpers that make the draws."""
    split = task.val.subset(slice(0, 512)).to(next(model.parameters()).device)
    base = diagnosis._errors(model, task, split)
    other = copy.deepcopy(model)
    gen = torch.Generator().manual_seed(key)
    with torch.no_grad():
        for p in other.networks[net_id].parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * std_of(p))
    noised = diagnosis._errors(other, task, split)
    return {o: noised[o] / base[o] for o in base}


def _tensor_std(p):
    std = float(p.detach().std()) if p.numel() > 1 else 1.0
    return std if std > 0 else 1.0


def test_one_draw_keeps_the_single_draw_value(trained):
    task, genome, model = trained
    table = _table(diagnose(model, task, seed=1, draws=1, capacity=False))
    for net in genome.network_ids:
        ratios = _by_hand_ratio(model, task, net, torch_seed(1, "diagnosis", "noise", net),
                                _tensor_std)
        for out in genome.reachable_outputs([net]):
            assert table[(net, out, "relevance")] == pytest.approx(ratios[out], rel=1e-9)
            assert table[(net, out, "relevance_sd")] == 0.0
            assert table[(net, out, "relevance_median")] == table[(net, out, "relevance")]


def test_relevance_is_the_mean_of_its_draws_with_their_spread(trained):
    task, genome, model = trained
    draws = 3
    table = _table(diagnose(model, task, seed=2, draws=draws, capacity=False))
    for net in genome.network_ids:
        keys = [diagnosis._noise_key(2, net, d) for d in range(draws)]
        assert len(set(keys)) == draws and keys[0] == torch_seed(2, "diagnosis", "noise", net)
        per_draw = [_by_hand_ratio(model, task, net, k, _tensor_std) for k in keys]
        reach = set(genome.reachable_outputs([net]))
        for out in genome.output_ids:
            row = {m: table[(net, out, m)]
                   for m in ("relevance", "relevance_sd", "relevance_median")}
            if out not in reach:
                assert row == {"relevance": 1.0, "relevance_sd": 0.0, "relevance_median": 1.0}
                continue
            values = [d[out] for d in per_draw]
            assert row["relevance"] == pytest.approx(statistics.fmean(values), rel=1e-9)
            assert row["relevance_sd"] == pytest.approx(statistics.pstdev(values), rel=1e-9)
            assert row["relevance_sd"] > 0
            assert row["relevance_median"] == pytest.approx(statistics.median(values), rel=1e-9)


def test_paper_noise_has_standard_deviation_one_tenth(trained):
    task, genome, model = trained
    other = copy.deepcopy(model)
    net = max(genome.network_ids,
              key=lambda n: sum(p.numel() for p in model.networks[n].parameters()))
    params = list(other.networks[net].parameters())
    diagnosis._noise_in_place(params, diagnosis._noise_stds(params, "paper"), 7)
    big = max(params, key=lambda p: p.numel())
    assert big.numel() >= 1000
    assert float(big.detach().std()) == pytest.approx(0.1, rel=0.1)
    assert abs(float(big.detach().mean())) < 0.02
    paper = _table(diagnose(model, task, seed=1, draws=2, noise="paper", capacity=False))
    scale = _table(diagnose(model, task, seed=1, draws=2, capacity=False))
    assert any(paper[k] != scale[k] for k in paper if k[2] == "relevance")


def test_relevance_settings_are_validated(trained):
    task, _, model = trained
    with pytest.raises(ValueError, match="draws"):
        diagnose(model, task, draws=0)
    with pytest.raises(ValueError, match="noise"):
        diagnose(model, task, noise="uniform")
    for bad in ({"relevance_draws": 0}, {"relevance_draws": True},
                {"relevance_draws": 2.5}, {"relevance_noise": "gauss"}):
        with pytest.raises(ConfigError, match="evaluation.relevance_"):
            EvaluationConfig(**bad)
    ev = EvaluationConfig()
    assert (ev.relevance_draws, ev.relevance_noise) == (5, "scale")
