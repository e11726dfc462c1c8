"""Local evaluators: in-process sequential, and a process pool of single-threaded workers."""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import torch

from nas_ops.evaluation.records import EvalRecord, EvalRequest
from nas_ops.evaluation.worker import run_request


class SequentialEvaluator:
    """Evaluates requests one after another in this process (lazily, as results are read)."""

    name = "local"

    def __init__(self) -> None:
        self.workers = 1
        self._queue: deque[EvalRequest] = deque()

    def submit(self, request: EvalRequest) -> None:
        self._queue.append(request)

    def pending(self) -> int:
        return len(self._queue)

    def as_completed(self) -> Iterator[EvalRecord]:
        while self._queue:
            yield run_request(self._queue.popleft())

    def close(self) -> None:
        self._queue.clear()


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)


class UnitPool:
    """A pool of spawned worker processes (``threads`` torch threads each) running units:
    ``fn(requests, *args)`` for a list of requests. :meth:`as_completed` yields ``(requests,
    result)`` as units finish; ``result`` is ``None`` when the worker running the unit died, and
    the pool is rebuilt for the other units.
    """

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.workers, self._threads = workers, threads
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[Any], tuple[Callable[..., Any], list[EvalRequest],
                                               tuple[Any, ...]]] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self._threads,))
        return self._pool

    def submit(self, fn: Callable[..., Any], reqs: list[EvalRequest], *args: Any) -> None:
        self._futures[self._executor().submit(fn, reqs, *args)] = (fn, reqs, args)

    def pending(self) -> int:
        """Requests submitted and not yet yielded."""
        return sum(len(unit[1]) for unit in self._futures.values())

    def as_completed(self) -> Iterator[tuple[list[EvalRequest], Any]]:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            for fut in done:
                _, reqs, _ = self._futures.pop(fut)
                try:
                    yield reqs, fut.result()
                except BrokenProcessPool:
                    self._restart()
                    yield reqs, None

    def _restart(self) -> None:
        """The pool broke: resubmit the other units to a fresh pool."""
        others = list(self._futures.values())
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        for fn, reqs, args in others:
            self.submit(fn, reqs, *args)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        self._futures.clear()


def died(req: EvalRequest) -> EvalRecord:
    """The record of a request whose worker process died."""
    return EvalRecord(uid=req.uid, status="failed", error="worker process died")


def _run_one(reqs: list[EvalRequest]) -> EvalRecord:
    return run_request(reqs[0])


class PoolEvaluator:
    """A pool of worker processes (spawned, one torch thread each by default).

    A worker that dies takes only its own request down: that request is recorded as failed
    (with the reason) and the pool is rebuilt for the others.
    """

    name = "pool"

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.workers = workers
        self._units = UnitPool(workers, threads)

    def submit(self, request: EvalRequest) -> None:
        self._units.submit(_run_one, [request])

    def pending(self) -> int:
        return self._units.pending()

    def as_completed(self) -> Iterator[EvalRecord]:
        for reqs, record in self._units.as_completed():
            yield record if record is not None else died(reqs[0])

    def close(self) -> None:
        self._units.close()
