"""A one-line progress display for long searches (stderr): redrawn in place on a terminal;
elsewhere (logs, CI) one line at most every ``log_every_s`` seconds, plus the last one."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, enabled: bool = True, stream: TextIO | None = None,
                 log_every_s: float = 5.0) -> None:
        self.total, self.enabled = total, enabled
        self.stream = stream or sys.stderr
        self.start = time.perf_counter()
        self.done = self.new = self.failures = 0
        self.tty = self.stream.isatty()
        self.log_every_s = log_every_s
        self._last_line = -float("inf")

    def update(self, generation: int, best: dict[str, float], *, fresh: bool, failed: bool) -> None:
        self.done += 1
        self.new += int(fresh)
        self.failures += int(failed)
        now = time.perf_counter()
        quiet = not self.tty and now - self._last_line < self.log_every_s and self.done < self.total
        if not self.enabled or quiet:
            return
        self._last_line = now
        elapsed = now - self.start
        rate = elapsed / self.new if self.new else 0.0
        eta = rate * max(self.total - self.done, 0)
        bests = " ".join(f"{k}={v:.4g}" for k, v in best.items())
        line = (f"gen {generation} | evals {self.done}/{self.total} | best {bests} | "
                f"failures {self.failures} | ETA {eta:.0f}s")
        if self.tty:
            self.stream.write("\r" + line[:160].ljust(160))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
