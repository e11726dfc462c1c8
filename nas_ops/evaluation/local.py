"""Local evaluators: in-process sequential, and a process pool of single-threaded workers."""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

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


class PoolEvaluator:
    """A pool of worker processes (spawned, one torch thread each by default).

    A worker that dies takes only its own request down: that request is recorded as failed
    (with the reason) and the pool is rebuilt for the others.
    """

    name = "pool"

    def __init__(self, workers: int, threads: int = 1) -> None:
        self.workers = workers
        self._threads = threads
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[EvalRecord], EvalRequest] = {}

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                             initializer=_init_worker, initargs=(self._threads,))
        return self._pool

    def submit(self, request: EvalRequest) -> None:
        self._futures[self._executor().submit(run_request, request)] = request

    def pending(self) -> int:
        return len(self._futures)

    def as_completed(self) -> Iterator[EvalRecord]:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            for fut in done:
                req = self._futures.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    yield self._recover(req)

    def _recover(self, req: EvalRequest) -> EvalRecord:
        """The pool broke: resubmit the others to a fresh pool; this request failed."""
        others = list(self._futures.values())
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        for other in others:
            self.submit(other)
        return EvalRecord(uid=req.uid, status="failed", error="worker process died")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        self._futures.clear()
