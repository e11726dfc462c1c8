"""Tasks: typed inputs + typed outputs with train/val/test splits, and the built-in datasets.

``load_task("mnist1d")`` (the default) builds the paper's task: one input ``x`` and the outputs
``class`` (classification), ``histogram`` (regression) and ``reconstruction`` (generation).
See docs/tasks.md.
"""

from nas_ops.tasks.base import DataType, InputSpec, OutputKind, OutputSpec, Split, Task
from nas_ops.tasks.idx import read_idx
from nas_ops.tasks.losses import output_loss, output_metrics
from nas_ops.tasks.paper import PAPER_OUTPUTS, intensity_histogram, paper_task
from nas_ops.tasks.registry import (
    DEFAULT_TASK,
    TASKS,
    list_tasks,
    load_task,
    register_task,
    task_options,
)

__all__ = [
    "DEFAULT_TASK",
    "PAPER_OUTPUTS",
    "TASKS",
    "DataType",
    "InputSpec",
    "OutputKind",
    "OutputSpec",
    "Split",
    "Task",
    "intensity_histogram",
    "list_tasks",
    "load_task",
    "output_loss",
    "output_metrics",
    "paper_task",
    "read_idx",
    "register_task",
    "task_options",
]
