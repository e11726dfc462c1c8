"""Process pools of spawned workers: :class:`UnitPool` (runs units of requests, survives a dying
worker) and :class:`PoolEvaluator` (one request per unit, through ``run_request``)."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from nas_ops.evaluation.spawn_guard import check_main_guard
from nas_ops.evaluation.worker import run_request
from nas_ops.infra.lifeline import init_worker
from nas_ops.records import EvalRecord, EvalRequest


@dataclass
class _Unit:
    fn: Callable[..., Any]
    reqs: list[EvalRequest]
    args: tuple[Any, ...]
    strikes: int = 0  # pool breaks this unit was in flight for
    alone: ProcessPoolExecutor | None = None  # its own process, once it is a suspect


class UnitPool:
    """A pool of spawned worker processes (``threads`` torch threads each) running units:
    ``fn(requests, *args)`` for a list of requests. :meth:`as_completed` yields ``(requests,
    result)`` as units finish.

    When a worker dies the pool breaks and every unit in flight fails with it, though only one
    killed it. Those units go to a fresh pool; a unit in flight at a second break is run in a
    process of its own, where a death is its own: then ``result`` is ``None``. So a unit is never
    blamed for another's death, and the others are not lost.
    """

    def __init__(self, workers: int, threads: int = 1) -> None:
        check_main_guard(workers)  # a script without its __main__ guard: refused, not spawned
        self.workers, self._threads = workers, threads
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[Future[Any], _Unit] = {}

    def _spawn(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"),
                                   initializer=init_worker,  # dies with this process
                                   initargs=(os.getpid(), self._threads))

    def submit(self, fn: Callable[..., Any], reqs: list[EvalRequest], *args: Any) -> None:
        self._submit(_Unit(fn, reqs, args))

    def _submit(self, unit: _Unit) -> None:
        if unit.strikes >= 2:
            unit.alone = self._spawn(1)
            executor = unit.alone
        else:
            if self._pool is None:
                self._pool = self._spawn(self.workers)
            executor = self._pool
        self._futures[executor.submit(unit.fn, unit.reqs, *unit.args)] = unit

    def pending(self) -> int:
        """Requests submitted and not yet yielded."""
        return sum(len(unit.reqs) for unit in self._futures.values())

    def as_completed(self) -> Iterator[tuple[list[EvalRequest], Any]]:
        while self._futures:
            done, _ = wait(list(self._futures), return_when=FIRST_COMPLETED)
            for fut in done:
                unit = self._futures.pop(fut, None)
                if unit is None:
                    continue  # resubmitted after a break, below
                if unit.alone is not None:
                    unit.alone.shutdown(wait=False)
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    if unit.alone is not None:
                        yield unit.reqs, None  # it died alone: its own death
                        continue
                    self._restart(unit)
                    continue
                yield unit.reqs, result

    def _restart(self, broken: _Unit) -> None:
        """The shared pool broke: its units in flight (all failed with it) go again."""
        assert self._pool is not None
        def lost(f: Future[Any], u: _Unit) -> bool:
            return u.alone is None and (not f.done() or f.exception() is not None)

        again = [broken] + [u for f, u in self._futures.items() if lost(f, u)]
        self._futures = {f: u for f, u in self._futures.items() if not lost(f, u)}
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        for unit in again:
            unit.strikes += 1
            self._submit(unit)

    def close(self) -> None:
        """Shut the pool down. Work still in flight is abandoned (the coordinator is stopping:
        an error, Ctrl-C, SIGTERM): its workers are killed rather than waited for."""
        executors = [u.alone for u in self._futures.values() if u.alone is not None]
        executors += [self._pool] if self._pool is not None else []
        if any(not f.done() for f in self._futures):
            for executor in executors:
                _kill_workers(executor)
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        self._futures.clear()


def _kill_workers(executor: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop running work before Python 3.14
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.kill()


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
