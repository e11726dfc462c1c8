"""The task registry: user-defined tasks, unknown names."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from nas_ops.errors import RegistryCollisionError, TaskError, UnknownNameError
from nas_ops.tasks import TASKS, Task, list_tasks, load_task, paper_task, register_task


@pytest.fixture
def sines() -> Iterator[str]:
    @register_task("test_sines")
    def build(seed: int = 0, n_train: int | None = None, freq: float = 1.0) -> Task:
        rng = np.random.default_rng(99)
        labels = rng.integers(0, 2, size=200)
        t = np.linspace(0, 2 * np.pi, 16)
        x = 0.5 + 0.5 * np.sin(np.outer(1 + labels, t) * freq)  # (200, 16) in [0, 1]
        return paper_task("test_sines", x[:, None, :], labels, seed=seed, n_train=n_train)

    yield "test_sines"
    TASKS.unregister("test_sines")


def test_builtins_are_listed() -> None:
    assert {"mnist1d", "digits", "mnist5k", "mnist", "fashion_mnist", "idx"} <= set(list_tasks())


def test_user_task_through_load_task(sines: str) -> None:
    assert sines in list_tasks()
    task = load_task(sines, seed=1, n_train=50, freq=2.0)
    assert task.input("x").dtype == "signal" and task.input("x").shape == (1, 16)
    assert (len(task.train), len(task.val), len(task.test)) == (50, 30, 30)
    assert task.output("class").size == 2
    with pytest.raises(TaskError, match=r"unknown option 'bins'.*options: seed, n_train, freq"):
        load_task(sines, bins=4)


def test_collision_and_unknown_name(sines: str) -> None:
    with pytest.raises(RegistryCollisionError):
        register_task(sines)(lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(UnknownNameError, match="unknown task 'nope'; valid choices: ") as err:
        load_task("nope")
    listed = str(err.value).split("valid choices: ", 1)[1].split(", ")
    assert listed == sorted(listed)  # an installed task plugin may add names: built-ins a subset
    assert {"digits", "fashion_mnist", "idx", "mnist", "mnist1d", "mnist5k", sines} <= set(listed)


def test_builder_must_return_a_task() -> None:
    register_task("test_not_a_task")(lambda: 42)  # type: ignore[arg-type,return-value]
    try:
        with pytest.raises(TaskError, match="returned int, not a Task"):
            load_task("test_not_a_task")
    finally:
        TASKS.unregister("test_not_a_task")
