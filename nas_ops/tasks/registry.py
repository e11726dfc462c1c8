"""The task registry: ``load_task(name, **options)``, ``list_tasks()``, ``@register_task(name)``.

A task builder is any callable taking keyword options and returning a :class:`Task`. Options
are checked against the builder's signature, so an unknown option fails with one line naming it
and the valid ones. Built-in datasets register lazily (the first time the registry is read);
third-party packages may register through the ``nas_ops.tasks`` entry-point group.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from nas_ops.errors import TaskError
from nas_ops.registry import Registry
from nas_ops.tasks.base import Task

TaskBuilder = Callable[..., Task]
TASKS = Registry[TaskBuilder]("task", group="nas_ops.tasks")
DEFAULT_TASK = "mnist1d"


def _load_builtins() -> None:
    importlib.import_module("nas_ops.tasks.datasets")
    importlib.import_module("nas_ops.tasks.idx_tasks")
    importlib.import_module("nas_ops.tasks.tables")


TASKS.set_builtin_loader(_load_builtins)


def register_task(name: str, **meta: Any) -> Callable[[TaskBuilder], TaskBuilder]:
    """Decorator registering a task builder under ``name`` (collisions raise)."""
    TASKS.names()  # load built-ins first, so that a clash with one is reported here

    def wrap(builder: TaskBuilder) -> TaskBuilder:
        return TASKS.register(name, builder, **meta)

    return wrap


def list_tasks() -> list[str]:
    """The registered task names, sorted."""
    return TASKS.names()


def task_options(name: str) -> list[str]:
    """The option names accepted by task ``name`` (empty if it takes ``**kwargs``)."""
    params = inspect.signature(TASKS.get(name)).parameters.values()
    return [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def load_task(name: str = DEFAULT_TASK, **options: Any) -> Task:
    """Build task ``name`` with ``options`` (see docs/tasks.md for each task's options)."""
    builder = TASKS.get(name)
    params = inspect.signature(builder).parameters.values()
    if not any(p.kind is p.VAR_KEYWORD for p in params):
        valid = task_options(name)
        for option in options:
            if option not in valid:
                raise TaskError(f"unknown option {option!r} for task {name!r}; valid options: "
                                f"{', '.join(valid) or '(none)'}")
    for p in params:
        if p.default is p.empty and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) \
                and p.name not in options:
            raise TaskError(f"task {name!r} needs option {p.name!r}")
    task = builder(**options)
    if not isinstance(task, Task):
        raise TaskError(f"task builder {name!r} returned {type(task).__name__}, not a Task")
    task.meta.setdefault("task", name)
    task.meta.setdefault("options", {k: _jsonable(v) for k, v in options.items()})
    return task


def _jsonable(value: Any) -> Any:
    """An option value as JSON-able data (paths become strings, tuples lists)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)
