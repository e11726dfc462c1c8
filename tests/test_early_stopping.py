"""Early stopping on validation loss (Budget.patience): stops, restores the best weights, is
deterministic, and is trained sequentially only."""

from __future__ import annotations

import torch
from torch import nn

import nas_ops as N
from nas_ops.evaluation.batched.plan import signature
from nas_ops.genome import Hyper, Layer, to_dict
from nas_ops.records import EvalRequest
from nas_ops.training import Budget, validation_loss
from nas_ops.training.early_stopping import EarlyStopping
from tests.genome.builders import mlp_genome


def test_stops_after_patience_measurements_without_improvement_and_restores_the_best() -> None:
    model = nn.Linear(2, 1)
    losses = iter([3.0, 2.0, 2.5, 1.999, 2.6])  # 1.999 is no improvement (< 0.1 % better)
    stop = EarlyStopping(model, lambda: next(losses), patience=3, min_improvement=1e-3)
    answers = []
    for value in range(5):
        with torch.no_grad():
            model.weight.fill_(float(value))
        answers.append(stop.check())
    assert answers == [False, False, False, False, True]
    assert stop.best == 2.0
    stop.restore()
    assert torch.equal(model.weight, torch.full((1, 2), 1.0))  # the weights measured at 2.0


def test_non_finite_loss_is_never_best() -> None:
    model = nn.Linear(2, 1)
    losses = iter([float("nan"), 1.0, float("inf")])
    stop = EarlyStopping(model, lambda: next(losses), patience=2, min_improvement=0.0)
    assert [stop.check() for _ in range(3)] == [False, False, False]
    assert stop.best == 1.0 and stop.since_best == 1


def test_training_stops_when_validation_stops_improving(small_task: N.Task) -> None:
    g = mlp_genome((Layer(32),), hyper=Hyper(1e-2, 64, "adam"))
    budget = Budget(epochs=300, patience=2)
    result = N.train(g, small_task, budget=budget, seed=0, keep_model=True)
    cap = budget.step_cap(len(small_task.train), 64)
    assert cap == 300 * 5
    assert 0 < result.steps < cap, "early stopping must end training long before the cap"
    assert result.steps % 5 == 0  # measured once per epoch
    again = N.train(g, small_task, budget=budget, seed=0).to_dict()
    first = result.to_dict()
    first.pop("wall_time_s"), again.pop("wall_time_s")
    assert again == first  # deterministic
    # the best weights are restored: not worse (beyond the improvement threshold) than the
    # weights the same training ends with when nothing is restored
    assert result.model is not None
    best = validation_loss(result.model, small_task, torch.device("cpu"))
    last = N.train(g, small_task, budget=Budget(epochs=result.steps // 5), seed=0,
                   keep_model=True)
    assert last.model is not None
    final = validation_loss(last.model, small_task, torch.device("cpu"))
    assert best <= final * (1 + 1e-3) and best != final


def test_measuring_every_k_steps_and_the_step_cap(small_task: N.Task) -> None:
    g = mlp_genome((Layer(16),), hyper=Hyper(1e-3, 32, "adam"))
    result = N.train(g, small_task, budget=Budget(epochs=50, max_steps=25, patience=100,
                                                  eval_every=7), seed=1)
    assert result.steps == 25  # the cap wins over a patience never exhausted
    assert Budget(epochs=2, max_steps=25).step_cap(300, 32) == 20


def test_without_patience_training_is_unchanged(small_task: N.Task) -> None:
    g = mlp_genome()
    plain = N.train(g, small_task, budget=Budget(epochs=2), seed=4).to_dict()
    none = N.train(g, small_task, budget=Budget(epochs=2, patience=None, eval_every=3),
                   seed=4).to_dict()
    plain.pop("wall_time_s"), none.pop("wall_time_s")
    assert none == plain


def test_requests_with_patience_are_never_fused() -> None:
    req = EvalRequest(uid="a", genome=to_dict(mlp_genome()), seed=0, task="mnist1d",
                      device="cpu")
    assert signature(req) is not None
    assert signature(EvalRequest(**{**req.to_dict(), "patience": 3})) is None


def test_measure_start_keeps_the_starting_weights_when_training_only_hurts(
        small_task: N.Task) -> None:
    g = mlp_genome((Layer(32),), hyper=Hyper(1e-2, 64, "adam"))
    start = N.train(g, small_task, budget=Budget(epochs=3), seed=0, keep_model=True).model
    assert start is not None
    state = {k: v.clone() for k, v in start.state_dict().items()}
    cpu = torch.device("cpu")
    before = validation_loss(start, small_task, cpu)
    # a learning rate 300x too large: every measured epoch is worse than the start
    hurt = Budget(epochs=4, patience=2, lr_scale=300.0)
    fresh = N.train(start, small_task, budget=hurt, seed=1, keep_model=True).model
    assert fresh is not None and validation_loss(fresh, small_task, cpu) > before
    start.load_state_dict(state)
    kept = N.train(start, small_task, budget=Budget(epochs=4, patience=2, lr_scale=300.0,
                                                    measure_start=True), seed=1,
                   keep_model=True)
    assert kept.model is not None and kept.steps == 2 * 5  # two measurements without a gain
    assert all(torch.equal(v, state[k]) for k, v in kept.model.state_dict().items())


def test_lr_scale_trains_as_the_genome_with_that_learning_rate(small_task: N.Task) -> None:
    g = mlp_genome((Layer(16),), hyper=Hyper(1e-2, 64, "adam"))
    half = mlp_genome((Layer(16),), hyper=Hyper(5e-3, 64, "adam"))
    scaled = N.train(g, small_task, budget=Budget(epochs=2, lr_scale=0.5), seed=3).to_dict()
    direct = N.train(half, small_task, budget=Budget(epochs=2), seed=3).to_dict()
    scaled.pop("wall_time_s"), direct.pop("wall_time_s")
    assert scaled == direct
    req = EvalRequest(uid="a", genome=to_dict(g), seed=0, task="mnist1d", device="cpu")
    assert signature(EvalRequest(**{**req.to_dict(), "lr_scale": 0.5})) is None  # sequential
