"""The tasks of the benchmark tables (docs/tables.md): ``nbgraph`` and ``nb201``.

A table task holds no data: its one input is named after the dataset (so the dataset travels
with every genome), its one output ``class`` is ranked by the table's accuracy, and its splits
are empty. Building the task reads the table (checksum and restricted unpickler), so a missing
extra, an unknown dataset or a bad table file fails with one line before a run starts. Its
evaluations are lookups: ``evaluation.backend = "table"``.
"""

from __future__ import annotations

import torch

from nas_ops.tables import get_table, spec
from nas_ops.tasks.base import InputSpec, OutputSpec, Split, Task
from nas_ops.tasks.registry import TASKS

OUTPUT = "class"
# the complexity objectives a table's records hold (search.complexity_objective; docs/tables.md)
COMPLEXITY = {"nbgraph": ("parameters", "latency_us"), "nb201": ("parameters",)}


def table_task(table: str, dataset: str, path: str = "") -> Task:
    """The task of ``table`` on ``dataset`` (``path``: a copy of the data file to read instead
    of the installed one; its sha256 must still be the pinned one)."""
    loaded = get_table(spec(table).name, dataset, str(path or ""))
    empty = Split({dataset: torch.zeros((0, 1)), OUTPUT: torch.zeros((0,), dtype=torch.int64)})
    return Task(f"{table}:{dataset}", (InputSpec(dataset, "vector", (1,)),),
                (OutputSpec(OUTPUT, "classification", 1),), empty, empty, empty,
                meta={"table": table, "dataset": dataset, "architectures": len(loaded),
                      "sha256": loaded.sha256, "complexity": COMPLEXITY[table]})


@TASKS.decorator("nbgraph", table="nbgraph")
def nbgraph(dataset: str = "cora", path: str = "") -> Task:
    """NAS-Bench-Graph on ``dataset`` (cora, citeseer, pubmed, cs, physics, photo, computers,
    arxiv, proteins): 26,206 architectures (proteins: 2,021)."""
    return table_task("nbgraph", dataset, path)


@TASKS.decorator("nb201", table="nb201")
def nb201(dataset: str = "cifar10", path: str = "") -> Task:
    """NAS-Bench-201 cells on CIFAR-10 as AnalogNAS-Bench measured them: 15,625 cells."""
    return table_task("nb201", dataset, path)


__all__ = ["COMPLEXITY", "OUTPUT", "nb201", "nbgraph", "table_task"]
