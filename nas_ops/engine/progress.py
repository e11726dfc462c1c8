"""A one-line progress display for long searches (stderr): redrawn in place on a terminal;
elsewhere (logs, CI) one line at most every ``log_every_s`` seconds, plus the last one.

An evaluation counts when its result arrives (:meth:`Progress.arrived`, from ``tell``), not when
the loop takes it: a generation, or a study's children, are one batch that the loop takes only
once all of it is in, but the count and the ETA move with every result. An evaluation settled
without training (the ledger, a duplicate) counts when it is taken (:meth:`Progress.update`). A
first line is printed when the first evaluations are submitted (:meth:`Progress.submitted`),
so a run never stays silent until its first evaluation ends.

The ETA is the time per evaluation measured from the first evaluations trained in this process
to the latest, times the evaluations left. The time before the first ones (process and worker
start-up, data loading) is not a per-evaluation cost, so it is left out; evaluations that end
together with the first (a fused batch) start the measure with it. No ETA is shown until
``min_samples`` evaluations have been trained, because one interval says little.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from nas_ops.fidelity import RUNG_MARK

BURST_S = 0.05  # results told within this long of the first one came with it


class Progress:
    def __init__(self, total: int, enabled: bool = True, stream: TextIO | None = None,
                 log_every_s: float = 5.0, *, min_samples: int = 3,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.done = self.new = self.failures = 0
        self.tty = self.stream.isatty()
        self.log_every_s = log_every_s
        self.min_samples = max(min_samples, 2)
        self._first_new: float | None = None  # when the first evaluation trained here ended
        self._at_first = 0  # evaluations that ended then (within BURST_S)
        self._last_line = -float("inf")
        self._last_shown = -1  # ``done`` when the last line was written
        self._started = False  # the first submission's line was written
        self._arrived: set[str] = set()  # counted on arrival, not taken by the loop yet
        self.best: dict[str, float] = {}

    def eta(self, now: float) -> float | None:
        """Seconds left, or None while too few evaluations were trained to tell."""
        if self._first_new is None or self.new < self.min_samples \
                or self.new - self._at_first < self.min_samples - 1:
            return None
        rate = (now - self._first_new) / (self.new - self._at_first)
        return rate * max(self.total - self.done, 0)

    def submitted(self, n: int, generation: int = 0) -> None:
        """``n`` evaluations were submitted: the first time, one line (nothing has ended yet)."""
        if self._started or not self.enabled or n <= 0:
            return
        self._started = True
        self._write(f"gen {generation} | evals {self.done}/{self.total} | {n} running | "
                    f"failures {self.failures} | ETA --")

    def arrived(self, uid: str, generation: int, *, failed: bool) -> None:
        """The result of evaluation ``uid`` arrived (trained now): it counts at once. A lower
        rung's result (``uid@r<k>``) does not: its individual counts when it is taken."""
        if RUNG_MARK in uid or uid in self._arrived:
            return
        self._arrived.add(uid)
        self._count(fresh=True, failed=failed)
        self._show(generation, final=False)

    def update(self, generation: int, best: dict[str, float], *, fresh: bool, failed: bool,
               uid: str | None = None) -> None:
        """An evaluation was taken by the loop (``best``: the best values so far). One whose
        result :meth:`arrived` was counted then; the line is refreshed."""
        self.best = best
        if uid is not None and uid in self._arrived:
            self._arrived.discard(uid)
            if self.done < self.total:  # shown when it arrived; the last line waits for this
                return
        else:
            self._count(fresh=fresh, failed=failed)
        self._show(generation, final=True)

    def _count(self, *, fresh: bool, failed: bool) -> None:
        self.done += 1
        self.new += int(fresh)
        self.failures += int(failed)
        now = self.clock()
        if fresh:
            if self._first_new is None:
                self._first_new = now
            if now - self._first_new < BURST_S:
                self._at_first += 1

    def _show(self, generation: int, *, final: bool) -> None:
        """The line, unless throttled; the last one (all done) waits until the loop took every
        result (``final`` and nothing arrived left), when the best values are known."""
        now = self.clock()
        last = self.done >= self.total
        if last and (not final or self._arrived):
            return
        quiet = not self.tty and now - self._last_line < self.log_every_s and not last
        if not self.enabled or quiet or (last and self._last_shown == self.done):
            return
        self._last_line = now
        self._last_shown = self.done
        eta = self.eta(now)
        shown = "--" if eta is None and not last else f"{eta or 0:.0f}s"
        bests = " ".join(f"{k}={v:.4g}" for k, v in self.best.items())
        self._write(f"gen {generation} | evals {self.done}/{self.total} | best {bests} | "
                    f"failures {self.failures} | ETA {shown}")

    def _write(self, line: str) -> None:
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
