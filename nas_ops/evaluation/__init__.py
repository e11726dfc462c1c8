"""Evaluation backends behind one protocol: ``submit(request)`` then ``as_completed()``.

The records (``EvalRecord``, ``EvalRequest``, ``InheritSpec``) import no torch, so reading a run
does not either; the backends and ``run_request`` are imported on first use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from nas_ops.infra.lazy import exports, loader
from nas_ops.records import EvalRecord, EvalRequest, InheritSpec
from nas_ops.registry import Registry

if TYPE_CHECKING:
    from nas_ops.config import EvaluationConfig
    from nas_ops.evaluation.local import SequentialEvaluator
    from nas_ops.evaluation.pool import PoolEvaluator
    from nas_ops.evaluation.worker import run_request

__getattr__, __dir__ = loader(__name__, exports({
    "nas_ops.evaluation.local": ["SequentialEvaluator"],
    "nas_ops.evaluation.pool": ["PoolEvaluator"],
    "nas_ops.evaluation.worker": ["run_request"]}))


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


class InProcessEvaluator:
    """An evaluator that answers requests one after another in this process, in the order they
    were submitted, as results are read. A subclass sets ``name`` and implements ``answer``;
    ``instant``: its answers cost microseconds (a search then commits its ledger a few times a
    second rather than at every step, ``engine.search.HOLD_COMMITS_S``)."""

    name = "in_process"
    instant = False

    def __init__(self) -> None:
        self.workers = 1
        self._queue: deque[EvalRequest] = deque()

    def answer(self, request: EvalRequest) -> EvalRecord:
        """The record of one request."""
        raise NotImplementedError

    def submit(self, request: EvalRequest) -> None:
        self._queue.append(request)

    def pending(self) -> int:
        return len(self._queue)

    def as_completed(self) -> Iterator[EvalRecord]:
        while self._queue:
            yield self.answer(self._queue.popleft())

    def close(self) -> None:
        self._queue.clear()


# name -> the evaluator a config asks for; config validation reads this registry
BACKENDS: Registry[Callable[[EvaluationConfig], Evaluator]] = Registry("evaluation backend")


@BACKENDS.decorator("auto")
def _auto(cfg: EvaluationConfig) -> Evaluator:
    """Batched on a GPU; on CPU the pool with several workers, else local (both run_request,
    whose records do not depend on which requests run together, so a resumed run equals an
    uninterrupted one: docs/evaluation.md)."""
    from nas_ops.training import pick_device  # lazily: torch

    on_gpu = pick_device(cfg.device).type == "cuda"
    return BACKENDS.get("batched" if on_gpu else "local" if cfg.workers == 1 else "pool")(cfg)


@BACKENDS.decorator("local")
def _local(cfg: EvaluationConfig) -> Evaluator:
    from nas_ops.evaluation.local import SequentialEvaluator  # lazily: these need torch

    return SequentialEvaluator()


@BACKENDS.decorator("pool")
def _pool(cfg: EvaluationConfig) -> Evaluator:
    from nas_ops.evaluation.pool import PoolEvaluator

    return PoolEvaluator(cfg.workers, cfg.torch_threads)


@BACKENDS.decorator("batched")
def _batched(cfg: EvaluationConfig) -> Evaluator:
    from nas_ops.evaluation.batched import BatchedEvaluator

    return BatchedEvaluator(cfg.workers, cfg.torch_threads, cfg.device, fuse=cfg.fuse,
                            max_group=cfg.max_group, memory_budget=cfg.memory_budget or None)


@BACKENDS.decorator("ray")
def _ray(cfg: EvaluationConfig) -> Evaluator:
    from nas_ops.evaluation.ray import RayEvaluator  # lazily: ray is optional

    return RayEvaluator.from_config(cfg)


@BACKENDS.decorator("table")
def _table(cfg: EvaluationConfig) -> Evaluator:
    """A lookup in a public benchmark table: no torch (docs/tables.md)."""
    from nas_ops.evaluation.table import TableEvaluator

    return TableEvaluator()


def make_evaluator(cfg: EvaluationConfig) -> Evaluator:
    """The evaluator of ``cfg.backend`` (:data:`BACKENDS`)."""
    return BACKENDS.get(cfg.backend)(cfg)


__all__ = ["BACKENDS", "EvalRecord", "EvalRequest", "Evaluator", "InProcessEvaluator",
           "InheritSpec", "PoolEvaluator", "SequentialEvaluator", "make_evaluator", "run_request",
           "spawned_workers"]
