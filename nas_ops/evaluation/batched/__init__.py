"""The batched evaluator: trains the requests that share a topology together, as one model.

Planning (:mod:`~nas_ops.evaluation.batched.plan`) groups requests by topology, cuts groups to
the memory budget and decides whether fusing pays on the device (always on a GPU; on CPU by a
cost model, since large models are compute-bound there). Each group, and each request that runs
alone, is one unit (:func:`~nas_ops.evaluation.batched.unit.run_unit`). Units run in this
process on a GPU (a CUDA out-of-memory error splits the group in halves and retries) and on CPU
with one worker; on CPU with several workers they run in a process pool of single-threaded
workers, so a CPU run is never slower than the pool for lack of parallelism.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import torch

from nas_ops.evaluation.batched.plan import estimate_group, memory_budget, signature, worth_fusing
from nas_ops.evaluation.batched.unit import UnitResult, run_unit
from nas_ops.evaluation.pool import UnitPool, died
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.training import pick_device

Unit = tuple[list[EvalRequest], bool]  # requests, and whether to train them as one group
FUSE_CHOICES = ("auto", "always")


class BatchedEvaluator:
    """Evaluator protocol (``submit`` / ``pending`` / ``as_completed`` / ``close``).

    ``fuse``: ``"auto"`` fuses every group on a GPU and, on CPU, the groups the cost model
    predicts faster (:func:`~nas_ops.evaluation.batched.plan.worth_fusing`); ``"always"`` fuses
    every group (for oracle tests and measurements). ``stats`` counts models trained in groups,
    models evaluated by ``run_request``, groups, groups the cost model left unfused (``unfused``,
    in models), out-of-memory splits and the reasons groups fell back.
    """

    name = "batched"

    def __init__(self, workers: int = 1, threads: int = 1, device: str = "auto",
                 max_group: int = 256, memory_budget: int | None = None,
                 fuse: str = "auto") -> None:
        if fuse not in FUSE_CHOICES:
            raise ValueError(f"fuse = {fuse!r}; choose one of: {', '.join(FUSE_CHOICES)}")
        self.fuse = fuse
        self.workers, self.threads, self.max_group = workers, threads, max_group
        self.memory_budget = memory_budget
        on_cpu = pick_device(device).type == "cpu"
        self._pool = UnitPool(workers, threads) if on_cpu and workers > 1 else None
        self._queue: list[EvalRequest] = []
        self._units: deque[Unit] = deque()
        self._ready: deque[EvalRecord] = deque()
        self.stats: dict[str, Any] = {"grouped": 0, "fallback": 0, "groups": 0, "splits": 0,
                                      "unfused": 0, "errors": []}

    # ------------------------------------------------------------------ protocol
    def submit(self, request: EvalRequest) -> None:
        self._queue.append(request)

    def pending(self) -> int:
        waiting = self._pool.pending() if self._pool is not None else 0
        return (len(self._queue) + sum(len(u[0]) for u in self._units) + len(self._ready)
                + waiting)

    def as_completed(self) -> Iterator[EvalRecord]:
        """Records as they finish; safe to abandon after any record and call again."""
        while True:
            if self._ready:
                yield self._ready.popleft()
            elif self._queue:
                self._plan()
            elif self._units:
                self._run_here(self._units.popleft())
            elif self._pool is not None and self._pool.pending():
                reqs, result = next(iter(self._pool.as_completed()))
                self._take(result if result is not None
                           else UnitResult([died(r) for r in reqs], fallback=len(reqs)))
            else:
                return

    def close(self) -> None:
        self._queue.clear()
        self._units.clear()
        self._ready.clear()
        if self._pool is not None:
            self._pool.close()

    # ------------------------------------------------------------------ planning
    def _plan(self) -> None:
        groups: dict[tuple[Any, ...], list[EvalRequest]] = {}
        singles: list[EvalRequest] = []
        for req in self._queue:
            key = signature(req)
            if key is None:
                singles.append(req)
            else:
                groups.setdefault(key, []).append(req)
        self._queue = []
        for reqs in groups.values():
            if len(reqs) < 2:
                singles += reqs
                continue
            size = min(self.max_group, self._fitting(reqs))
            for lo in range(0, len(reqs), size):
                part = reqs[lo: lo + size]
                if len(part) > 1 and (self.fuse == "always" or worth_fusing(part)):
                    self._dispatch((part, True))
                else:
                    self.stats["unfused"] += len(part) if len(part) > 1 else 0
                    singles += part
        for req in singles:
            self._dispatch(([req], False))

    def _fitting(self, reqs: list[EvalRequest]) -> int:
        """How many of ``reqs`` one group may hold under the memory budget."""
        budget = self.memory_budget or memory_budget(pick_device(reqs[0].device))
        return max(1, budget // max(1, estimate_group(reqs)))

    def _dispatch(self, unit: Unit) -> None:
        if self._pool is not None:
            self._pool.submit(run_unit, unit[0], unit[1], self.threads)
        else:
            self._units.append(unit)

    # ------------------------------------------------------------------ running
    def _run_here(self, unit: Unit) -> None:
        reqs, fuse = unit
        try:
            self._take(run_unit(reqs, fuse, self.threads))
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            self.stats["splits"] += 1
            half = len(reqs) // 2
            self._units.extendleft([(reqs[half:], True), (reqs[:half], True)])

    def _take(self, result: UnitResult) -> None:
        self.stats["grouped"] += result.grouped
        self.stats["groups"] += 1 if result.grouped else 0
        self.stats["fallback"] += result.fallback
        self.stats["errors"] += result.errors
        self._ready.extend(result.records)
