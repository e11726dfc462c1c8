import pytest
import torch

from nas_ops import load_task, sample_genome, train
from nas_ops.metrics import diagnose


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
