"""The in-process evaluator: requests evaluated one after another, as results are read."""

from __future__ import annotations

from nas_ops.evaluation import InProcessEvaluator
from nas_ops.evaluation.worker import run_request
from nas_ops.records import EvalRecord, EvalRequest


class SequentialEvaluator(InProcessEvaluator):
    """Evaluates requests one after another in this process (lazily, as results are read)."""

    name = "local"

    def answer(self, request: EvalRequest) -> EvalRecord:
        return run_request(request)
