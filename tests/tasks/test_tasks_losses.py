"""output_loss / output_metrics against hand-computed values."""

from __future__ import annotations

import math

import pytest
import torch

from nas_ops.errors import TaskError
from nas_ops.tasks import OutputSpec, output_loss, output_metrics

CLS = OutputSpec("class", "classification", 2)
REG = OutputSpec("histogram", "regression", 2)
GEN = OutputSpec("reconstruction", "generation", 4, source="x")


def test_classification_loss_and_metrics() -> None:
    logits = torch.tensor([[0.0, 0.0], [math.log(3.0), 0.0]])
    labels = torch.tensor([1, 0])
    # sample 1: p = 1/2 -> ln 2; sample 2: p(0) = 3/4 -> ln(4/3)
    expected = (math.log(2.0) + math.log(4.0 / 3.0)) / 2
    assert output_loss(CLS, logits, labels).item() == pytest.approx(expected, rel=1e-6)
    metrics = output_metrics(CLS, logits, labels)
    # argmax of [0, 0] is class 0 (wrong), of [ln 3, 0] is class 0 (right)
    assert metrics == {"accuracy": 0.5, "cross_entropy": pytest.approx(expected, rel=1e-6)}


def test_regression_mse() -> None:
    pred = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    target = torch.tensor([[0.0, 0.0], [0.0, 1.0]])
    # squared errors 1, 4, 0, 1 -> mean 1.5
    assert output_loss(REG, pred, target).item() == pytest.approx(1.5)
    assert output_metrics(REG, pred, target) == {"mse": pytest.approx(1.5)}


def test_generation_flattens_prediction() -> None:
    pred = torch.tensor([[[[0.5, 0.5], [1.0, 0.0]]]])  # (1, 1, 2, 2) image-shaped
    target = torch.tensor([[0.0, 0.5, 1.0, 1.0]])
    # squared errors 0.25, 0, 0, 1 -> mean 0.3125
    assert output_loss(GEN, pred, target).item() == pytest.approx(0.3125)
    assert output_metrics(GEN, pred, target) == {"recon_mse": pytest.approx(0.3125)}


def test_loss_has_gradient() -> None:
    pred = torch.zeros(3, 2, requires_grad=True)
    output_loss(REG, pred, torch.ones(3, 2)).backward()
    assert pred.grad is not None
    assert torch.allclose(pred.grad, torch.full((3, 2), -2.0 / 6))


def test_shape_mismatch_is_task_error() -> None:
    with pytest.raises(TaskError, match="3 values per sample, expected 2"):
        output_loss(REG, torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(TaskError, match="2 predictions for 3 targets"):
        output_loss(CLS, torch.zeros(2, 2), torch.zeros(3, dtype=torch.long))


def test_primary_metric_directions() -> None:
    assert (CLS.primary_metric, CLS.higher_is_better) == ("accuracy", True)
    assert (REG.primary_metric, REG.higher_is_better) == ("mse", False)
    assert (GEN.primary_metric, GEN.higher_is_better) == ("recon_mse", False)
    for spec in (CLS, REG, GEN):
        assert spec.primary_metric in output_metrics(
            spec, torch.zeros(1, spec.size), torch.zeros(1, dtype=torch.long)
            if spec.kind == "classification" else torch.zeros(1, spec.size))
