"""Capacity study: train classical 1-D architectures on synthetic tasks, then analyse them.

Compute only: :func:`run_study` returns plain records; :mod:`nas_ops.report.capacity` renders
them. The config is parsed in :mod:`nas_ops.capacity.config`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from nas_ops.capacity.architectures import build
from nas_ops.capacity.config import CapacityStudyConfig, CapacityStudySettings
from nas_ops.capacity.signals import SignalTask, make_task
from nas_ops.metrics.capacity.allocation import capacity_allocation
from nas_ops.rng import generator
from nas_ops.training import make_optimizer


@dataclass
class ModelRecord:
    """One trained and analysed (task, architecture) pair; JSON-able."""

    task: str
    architecture: str
    kind: str
    activation: str
    n_parameters: int
    capacity: float
    ranks: list[int]
    linear: bool
    train_loss: float
    test_loss: float
    per_input: list[float]
    per_offset: list[float] | None
    offsets: list[int] | None
    bias: float
    seconds: float
    spec: dict[str, object] = field(default_factory=dict)


def train(model: torch.nn.Module, task: SignalTask, study: CapacityStudySettings,
          seed: int) -> tuple[float, float]:
    """``study.optimizer`` (Adam by default) on the MSE (:func:`fit_mse`); returns the train and
    test losses. The optimizer comes from the training module's factory, so a name means the
    same optimizer and constants as in a search."""
    opt = make_optimizer(study.optimizer, list(model.parameters()), study.learning_rate)
    return fit_mse(model, task, opt, study.epochs, study.batch_size, seed)


def fit_mse(model: torch.nn.Module, task: SignalTask, opt: torch.optim.Optimizer, epochs: int,
            batch_size: int, seed: int) -> tuple[float, float]:
    """``epochs`` of ``opt`` on the MSE, full batch (``batch_size`` 0) or minibatches shuffled
    by a generator seeded with ``seed``; returns the train and test losses."""
    x, y = torch.as_tensor(task.x_train), torch.as_tensor(task.y_train)
    gen = torch.Generator().manual_seed(seed)
    bs = batch_size or len(x)
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), bs):
            idx = order[start : start + bs]
            opt.zero_grad()
            loss = torch.mean((model(x[idx]) - y[idx]) ** 2)
            loss.backward()
            opt.step()
    with torch.no_grad():
        tr = float(torch.mean((model(x) - y) ** 2))
        te = float(torch.mean((model(torch.as_tensor(task.x_test)) - torch.as_tensor(task.y_test))
                              ** 2))
    return tr, te


def study_capacity_of_model(model: torch.nn.Module, inputs: np.ndarray | torch.Tensor, *,
                            variant: str = "euclidean", data: np.ndarray | None = None,
                            **kwargs: object) -> dict[str, object]:
    """Analyse a trained model (e.g. one found by a search) and return a JSON-able summary."""
    res = capacity_allocation(model, inputs, variant=variant, data=data, **kwargs)  # type: ignore[arg-type]
    return {
        "capacity": res.total, "ranks": list(res.ranks), "linear": res.linear,
        "n_parameters": res.n_parameters, "bias": res.bias,
        "per_input": res.per_input.ravel().tolist(),
        "per_offset": None if res.per_offset is None else res.per_offset.ravel().tolist(),
        "offsets": None if res.offsets is None else res.offsets[0].tolist(),
        "threshold": res.threshold, "rtol": res.rtol, "variant": res.variant,
    }


def _one(cfg: CapacityStudyConfig, task: SignalTask, arch: dict[str, object],
         k: int) -> ModelRecord:
    study = cfg.study
    seed = study.seed
    t0 = time.perf_counter()
    model = build(arch, study.signal_length, seed + 1000 * k)
    tr, te = train(model, task, study, seed + 1000 * k + 1)
    pts = task.x_test[: study.analysis_points]
    data = task.x_train if study.variant != "euclidean" else None
    s = study_capacity_of_model(model, pts, variant=study.variant, data=data)
    return ModelRecord(
        task=task.name, architecture=str(arch["name"]), kind=str(arch["kind"]),
        activation=str(arch.get("activation", "linear")), n_parameters=int(s["n_parameters"]),  # type: ignore[call-overload]
        capacity=float(s["capacity"]), ranks=s["ranks"], linear=bool(s["linear"]),  # type: ignore[arg-type]
        train_loss=tr, test_loss=te, per_input=s["per_input"],  # type: ignore[arg-type]
        per_offset=s["per_offset"], offsets=s["offsets"], bias=float(s["bias"]),  # type: ignore[arg-type]
        seconds=time.perf_counter() - t0, spec=dict(arch),
    )


def run_study(cfg: CapacityStudyConfig,
              progress: Callable[[str], None] = print) -> list[ModelRecord]:
    """Train and analyse every (task, architecture) pair, printing one line per model."""
    study = cfg.study
    seed, length = study.seed, study.signal_length
    records: list[ModelRecord] = []
    for ti, spec in enumerate(cfg.tasks):
        rng = generator(seed, "capacity-task", ti)
        task = make_task(spec, length, study.n_train, study.n_test, rng)
        for k, arch in enumerate(cfg.architectures):
            rec = _one(cfg, task, arch, k)
            records.append(rec)
            progress(f"[{task.name}] {rec.architecture:<18} params={rec.n_parameters:<6d} "
                     f"capacity={rec.capacity:8.2f} test_mse={rec.test_loss:.4f} "
                     f"({rec.seconds:.1f}s)")
    return records
