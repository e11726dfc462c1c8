"""The in-process evaluator: requests evaluated one after another, as results are read."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from nas_ops.evaluation.worker import run_request
from nas_ops.records import EvalRecord, EvalRequest


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
