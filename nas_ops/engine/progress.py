"""A one-line progress display for long searches (stderr): redrawn in place on a terminal;
elsewhere (logs, CI) one line at most every ``log_every_s`` seconds, plus the last one.

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

    def eta(self, now: float) -> float | None:
        """Seconds left, or None while too few evaluations were trained to tell."""
        if self._first_new is None or self.new < self.min_samples \
                or self.new - self._at_first < self.min_samples - 1:
            return None
        rate = (now - self._first_new) / (self.new - self._at_first)
        return rate * max(self.total - self.done, 0)

    def update(self, generation: int, best: dict[str, float], *, fresh: bool, failed: bool) -> None:
        self.done += 1
        self.new += int(fresh)
        self.failures += int(failed)
        now = self.clock()
        if fresh:
            if self._first_new is None:
                self._first_new = now
            if now - self._first_new < BURST_S:
                self._at_first += 1
        quiet = not self.tty and now - self._last_line < self.log_every_s and self.done < self.total
        if not self.enabled or quiet:
            return
        self._last_line = now
        eta = self.eta(now)
        shown = "--" if eta is None and self.done < self.total else f"{eta or 0:.0f}s"
        bests = " ".join(f"{k}={v:.4g}" for k, v in best.items())
        line = (f"gen {generation} | evals {self.done}/{self.total} | best {bests} | "
                f"failures {self.failures} | ETA {shown}")
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
