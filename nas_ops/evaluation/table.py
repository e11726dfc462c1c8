"""The ``table`` backend: an evaluation is a lookup in a public benchmark table (no torch).

The request's task names the table (``nbgraph`` or ``nb201``) and its options the dataset; the
genome's space gives the table key. What a record holds (docs/tables.md):

- nbgraph: ``val`` = the validation performance (``class.accuracy``, what selection ranks),
  ``test`` = the test performance (stored, never ranked by), ``complexity`` = ``parameters``
  (the table's count) and ``latency_us`` (its inference latency in microseconds);
- nb201: ``val`` = baseline accuracy plus ``analog_accuracy`` and ``drift_30d_accuracy`` (the
  analog model's after 30 days), as fractions; AnalogNAS-Bench measured them on the CIFAR-10
  test set and has no validation split, so ``test`` holds the same values; ``complexity`` =
  ``parameters``, counted by nas-ops from the NAS-Bench-201 skeleton (the table has none).

Cost: neither table records a training cost, so each evaluation costs one unit: ``steps = 1``
(budgets, hypervolume over cost and compare count steps).
"""

from __future__ import annotations

import time
from typing import Any

from nas_ops.errors import NasOpsError
from nas_ops.evaluation import InProcessEvaluator
from nas_ops.genome.genome import Genome
from nas_ops.genome.serialize import from_dict
from nas_ops.genome.validate import validate
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.spaces import get_space
from nas_ops.tables import Table, get_table, nb201, spec

TABLE_TASKS = {"nbgraph": "cora", "nb201": "cifar10"}  # table task -> its default dataset
COST = 1  # steps charged per lookup: neither table records a training cost
_DEVICE = "table"


def _nbgraph_metrics(table: Table, row: int) -> tuple[dict, dict, dict[str, int]]:
    c = table.columns
    val = {"class": {"accuracy": float(c["valid_perf"][row])}}
    test = {"class": {"accuracy": float(c["perf"][row])}}
    cx = {"parameters": round(float(c["para"][row]) * 1e6),
          "latency_us": round(float(c["latency"][row]) * 1e6)}
    return val, test, cx


def _nb201_metrics(table: Table, row: int) -> tuple[dict, dict, dict[str, int]]:
    c = table.columns
    metrics = {"accuracy": float(c["baseline_accuracy"][row]) / 100.0,
               "analog_accuracy": float(c["analog_accuracy"][row]) / 100.0,
               "drift_30d_accuracy": float(c["analog_drift_2592000"][row]) / 100.0}
    cx = {"parameters": nb201.parameters(nb201.parse_cell(table.keys[row]))}
    return {"class": metrics}, {"class": dict(metrics)}, cx


_METRICS = {"nbgraph": _nbgraph_metrics, "nb201": _nb201_metrics}


def row_metrics(table: Table, row: int) -> tuple[dict, dict, dict[str, int]]:
    """``(val, test, complexity)`` of the table's row ``row``, as a record holds them."""
    return _METRICS[table.name](table, row)


def lookup(request: EvalRequest) -> EvalRecord:
    """The record of one request, read from its table; a genome the table lacks, or a task
    that is not a table's, gives a ``failed`` record naming why."""
    start = time.perf_counter()
    try:
        val, test, cx = _answer(request)
    except (NasOpsError, KeyError) as exc:
        return EvalRecord(uid=request.uid, status="failed", device=_DEVICE,
                          error=f"{type(exc).__name__}: {exc}",
                          wall_time_s=time.perf_counter() - start)
    return EvalRecord(uid=request.uid, status="ok", val=val, test=test, complexity=cx,
                      wall_time_s=time.perf_counter() - start, device=_DEVICE, steps=COST)


def _answer(request: EvalRequest) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    if request.task not in TABLE_TASKS:
        raise KeyError(f"backend 'table' answers the table tasks "
                       f"({', '.join(TABLE_TASKS)}), not task {request.task!r}")
    options = request.task_options
    dataset = str(options.get("dataset", TABLE_TASKS[request.task]))
    table = get_table(spec(request.task).name, dataset, str(options.get("path", "") or ""))
    genome = request.genome_object  # the coordinator's own genome: validated, its key kept
    if not isinstance(genome, Genome):
        genome = from_dict(request.genome)
    space = get_space(genome.space)
    if space.table != table.name:
        raise KeyError(f"a genome of space {genome.space!r} has no entry in table {table.name}")
    validate(genome, space.rules)
    if genome.inputs[0].id != table.dataset:  # the input of a table genome names its dataset
        raise KeyError(f"the genome is an architecture for {genome.inputs[0].id}, the task's "
                       f"dataset is {table.dataset}")
    row = table.row(space.key_of(genome))  # type: ignore[attr-defined]
    return row_metrics(table, row)


class TableEvaluator(InProcessEvaluator):
    """Answers requests from the tables, in order, in this process."""

    name = "table"
    instant = True

    def answer(self, request: EvalRequest) -> EvalRecord:
        return lookup(request)


__all__ = ["COST", "TABLE_TASKS", "TableEvaluator", "lookup", "row_metrics"]
