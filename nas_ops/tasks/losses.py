"""Loss and metrics of one typed output (pure functions of prediction and target).

- classification: ``pred`` are logits ``(N, classes)``, ``target`` int64 labels ``(N,)``;
  loss = mean softmax cross-entropy; metrics: accuracy, cross_entropy.
- regression: ``pred`` and ``target`` ``(N, size)``; loss = mean squared error; metric: mse.
- generation: ``pred`` any shape with N rows of ``size`` values, ``target`` the flattened source
  input ``(N, size)``; loss = mean squared reconstruction error; metric: recon_mse. A VAE-style
  decoder adds its KL term itself: it belongs to the network, not to the task.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nas_ops.errors import TaskError
from nas_ops.tasks.base import OutputSpec


def _check(spec: OutputSpec, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Validate shapes; return ``pred`` flattened to ``(N, size)`` for non-classification."""
    n = target.shape[0]
    if pred.shape[0] != n:
        raise TaskError(f"output {spec.name!r}: {pred.shape[0]} predictions for {n} targets")
    flat = pred.reshape(n, -1)
    if flat.shape[1] != spec.size:
        raise TaskError(f"output {spec.name!r}: prediction has {flat.shape[1]} values per sample, "
                        f"expected {spec.size}")
    if spec.kind == "classification":
        if target.ndim != 1:
            raise TaskError(f"output {spec.name!r}: labels must be 1-D, got {tuple(target.shape)}")
        return flat
    if target.reshape(n, -1).shape[1] != spec.size:
        raise TaskError(f"output {spec.name!r}: target has {tuple(target.shape)}, "
                        f"expected ({n}, {spec.size})")
    return flat


def output_loss(spec: OutputSpec, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The scalar (mean) training loss of output ``spec``."""
    flat = _check(spec, pred, target)
    if spec.kind == "classification":
        return F.cross_entropy(flat, target.long())
    return F.mse_loss(flat, target.reshape(flat.shape).to(flat.dtype))


@torch.no_grad()
def output_metrics(spec: OutputSpec, pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """The evaluation metrics of output ``spec``; ``spec.primary_metric`` is always among them."""
    flat = _check(spec, pred, target)
    if spec.kind == "classification":
        labels = target.long()
        accuracy = (flat.argmax(dim=1) == labels).float().mean() if len(labels) else 0.0
        return {"accuracy": float(accuracy),
                "cross_entropy": float(F.cross_entropy(flat, labels))}
    mse = float(F.mse_loss(flat, target.reshape(flat.shape).to(flat.dtype)))
    return {spec.primary_metric: mse}
