"""Evaluation backends behind one protocol: ``submit(request)`` then ``as_completed()``.

The records (``EvalRecord``, ``EvalRequest``, ``InheritSpec``) import no torch, so reading a run
does not either; the backends and ``run_request`` are imported on first use.
"""

from __future__ import annotations

import importlib
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, Protocol

from nas_ops.config import BACKENDS, EvaluationConfig
from nas_ops.errors import ConfigError
from nas_ops.evaluation.records import EvalRecord, EvalRequest, InheritSpec

if TYPE_CHECKING:
    from nas_ops.evaluation.local import SequentialEvaluator
    from nas_ops.evaluation.pool import PoolEvaluator
    from nas_ops.evaluation.worker import run_request

_LAZY = {"SequentialEvaluator": "nas_ops.evaluation.local",
         "PoolEvaluator": "nas_ops.evaluation.pool", "run_request": "nas_ops.evaluation.worker"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nas_ops.evaluation' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


class Evaluator(Protocol):
    name: str
    workers: int

    def submit(self, request: EvalRequest) -> None: ...

    def pending(self) -> int: ...

    def as_completed(self): ...  # type: ignore[no-untyped-def]  # Iterator[EvalRecord]

    def close(self) -> None: ...


def spawned_workers(cfg: EvaluationConfig) -> int:
    """How many worker processes the evaluator of ``cfg`` spawns (0: none; Ray starts its
    own): the pool's, or the batched evaluator's on CPU (``auto`` picks one of those)."""
    if cfg.workers <= 1 or cfg.backend not in ("auto", "pool", "batched"):
        return 0
    if cfg.backend == "pool":
        return cfg.workers
    from nas_ops.training import pick_device  # lazily: torch

    return cfg.workers if pick_device(cfg.device).type == "cpu" else 0


def make_evaluator(cfg: EvaluationConfig) -> Evaluator:
    """The evaluator a config asks for. ``auto``: batched on a GPU; on CPU the pool with several
    workers, else local (both run_request, whose records do not depend on which requests run
    together, so a resumed run equals an uninterrupted one: docs/evaluation.md)."""
    from nas_ops.evaluation.local import SequentialEvaluator  # lazily: these need torch
    from nas_ops.evaluation.pool import PoolEvaluator
    from nas_ops.training import pick_device

    backend = cfg.backend
    if backend == "auto":
        on_gpu = pick_device(cfg.device).type == "cuda"
        backend = "batched" if on_gpu else "local" if cfg.workers == 1 else "pool"
    if backend == "batched":
        from nas_ops.evaluation.batched import BatchedEvaluator

        return BatchedEvaluator(cfg.workers, cfg.torch_threads, cfg.device, fuse=cfg.fuse,
                                max_group=cfg.max_group, memory_budget=cfg.memory_budget or None)
    if backend == "local":
        return SequentialEvaluator()
    if backend == "pool":
        return PoolEvaluator(cfg.workers, cfg.torch_threads)
    if backend == "ray":
        from nas_ops.evaluation.ray import RayEvaluator  # lazily: ray is optional

        return RayEvaluator.from_config(cfg)
    available = [b for b in BACKENDS if b != "ray" or find_spec("ray") is not None]
    raise ConfigError(f"evaluation.backend = {backend!r} is not available in this build; "
                      f"choose one of: {', '.join(available)}")


__all__ = ["EvalRecord", "EvalRequest", "Evaluator", "InheritSpec", "PoolEvaluator",
           "SequentialEvaluator", "make_evaluator", "run_request", "spawned_workers"]
