"""The evaluation stages every backend shares: one optimizer factory and one set of training
constants for both training loops, typed inheritance specs, failures recorded, weights saved."""

from __future__ import annotations

import pytest
import torch

import nas_ops.evaluation.batched.model as batched_model
import nas_ops.evaluation.batched.train as batched_train
import nas_ops.training as training
from nas_ops.errors import EvaluationError
from nas_ops.evaluation.pipeline import failure_reason, finalize, prepare
from nas_ops.evaluation.worker import run_request
from nas_ops.records import EvalRequest, InheritSpec

from .conftest import make_request, population


def test_both_training_paths_share_one_set_of_constants() -> None:
    for name in ("CLIP_NORM", "CLIP_EPS", "ADAM_BETAS", "ADAM_EPS", "SGD_MOMENTUM",
                 "RMSPROP_ALPHA", "RMSPROP_EPS"):
        assert getattr(batched_train, name) is getattr(training, name), name
    assert batched_model.KL_BETA is training.KL_BETA


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop"])
def test_known_optimizers_are_built_by_both_paths(name: str) -> None:
    w = torch.nn.Parameter(torch.zeros(3))
    assert isinstance(training.make_optimizer(name, [w], 0.1), torch.optim.Optimizer)
    assert batched_train.StackedOptimizer(name, [], [0.1], torch.device("cpu")).name == name


def test_an_unknown_optimizer_raises_in_both_paths() -> None:
    w = torch.nn.Parameter(torch.zeros(3))
    with pytest.raises(EvaluationError, match="adamw.*adam, sgd, rmsprop"):
        training.make_optimizer("adamw", [w], 0.1)
    with pytest.raises(EvaluationError, match="adamw.*adam, sgd, rmsprop"):
        batched_train.StackedOptimizer("adamw", [], [0.1], torch.device("cpu"))


def test_inherit_spec_round_trips_through_plain_data(tmp_path) -> None:
    spec = InheritSpec(parents=(str(tmp_path / "p.pt"),), map={"n0": {"source": "n0"}},
                       parent_genomes=({"nodes": []},))
    assert InheritSpec.from_dict(spec.to_dict()) == spec
    req = EvalRequest(uid="a", genome={}, seed=1, task="mnist1d", inherit=spec)
    data = req.to_dict()
    assert data["inherit"] == {"parents": [str(tmp_path / "p.pt")], "map": {"n0": {"source": "n0"}},
                               "parent_genomes": [{"nodes": []}]}
    assert EvalRequest.from_dict(data) == req
    assert EvalRequest(**data).inherit == spec  # the dict form is accepted


def test_stages_compose_to_run_request(tmp_path) -> None:
    genome = population([11], 1, optimizer="sgd")[0]
    req = make_request(genome, 3, weights_out=str(tmp_path / "w.pt"))
    whole = run_request(req)
    prepared = prepare(req)
    device = torch.device("cpu")
    budget = training.Budget(epochs=req.epochs)
    steps, _ = training.fit(prepared.model, prepared.task, budget, seed=req.seed, device=device)
    staged = finalize(req, prepared.model, prepared.task, steps, 0.0, device)
    a, b = whole.to_dict(), staged.to_dict()
    a.pop("wall_time_s"), b.pop("wall_time_s")
    assert a == b
    assert sorted(torch.load(req.weights_out, weights_only=True)) == \
        sorted(prepared.model.state_dict())
    assert not list(tmp_path.glob(".w.pt.*"))  # written atomically, no temporary file left


def test_failure_reasons() -> None:
    assert failure_reason(EvaluationError("boom")) == "EvaluationError: boom"
    assert failure_reason(torch.cuda.OutOfMemoryError("x")) == "CUDA out of memory"
    assert failure_reason(KeyError("k")) == "KeyError: 'k'"


def test_diagnosis_without_capacity_drops_only_the_capacity_rows() -> None:
    """``evaluation.diagnose_capacity = false`` (searches that diagnose to steer a policy):
    the same diagnosis rows as with it, less ``capacity_per_param``."""
    genome = population([12], 1)[0]
    full = run_request(make_request(genome, 4, diagnose=True))
    lean = run_request(make_request(genome, 4, diagnose=True, diagnose_capacity=False))
    assert lean.status == full.status == "ok"
    metrics = {row[2] for row in full.diagnosis}
    assert "capacity_per_param" in metrics and "relevance" in metrics
    assert lean.diagnosis == [r for r in full.diagnosis if r[2] != "capacity_per_param"]
