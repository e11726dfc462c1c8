"""Evaluate one request in this process: prepare, train it alone, finalize.

Runs in the coordinator process (sequential backend) or in a worker process (pool, Ray, and the
batched evaluator for what it does not train in a group). Never raises for a failure inside the
evaluation: the record carries status ``failed`` and the reason.
"""

from __future__ import annotations

import time

import torch

from nas_ops.evaluation.pipeline import Prepared, finalize, prepare, recorded
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.training import Budget, fit, pick_device


def run_request(req: EvalRequest) -> EvalRecord:
    """Train and evaluate ``req``; always returns a record."""
    start = time.perf_counter()
    device = pick_device(req.device)

    def stages() -> EvalRecord:
        prepared = prepare(req)
        fit_start = time.perf_counter()
        steps = fit_alone(req, prepared, device)
        return finalize(req, prepared.model, prepared.task, steps, fit_start, device)

    return recorded(req, start, device, stages)


def fit_alone(req: EvalRequest, prepared: Prepared, device: torch.device) -> int:
    """Train the prepared model on ``device`` under the request's budget, seed and trainable
    networks (sequential training); return the number of optimizer steps."""
    budget = Budget(epochs=req.epochs, max_steps=req.max_steps or None,
                    time_limit_s=req.time_limit_s or None, patience=req.patience or None,
                    eval_every=req.eval_every or None, lr_scale=req.lr_scale,
                    measure_start=req.measure_start)
    trainable = set(req.trainable) if req.trainable is not None else None
    model = prepared.model.to(device)
    steps, _ = fit(model, prepared.task, budget, seed=req.seed, device=device,
                   trainable=trainable, start=time.perf_counter())
    return steps
