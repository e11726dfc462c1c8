"""Fixtures shared by the whole suite (keep this file small).

Torch runs single-threaded in tests: the models are tiny and the suite shares 2 cores, where
intra-op threads oversubscribe the machine and make a 20 ms training run take seconds.
"""

from __future__ import annotations

import pytest
import torch

from nas_ops.tasks import Task, load_task

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def mnist1d_task() -> Task:
    """The default task, mnist1d, with 2,000 training samples (val and test: 750 each)."""
    return load_task("mnist1d", n_train=2000)


@pytest.fixture(scope="session")
def small_task() -> Task:
    """mnist1d with 300 training and 200 val / test samples, for quick training runs."""
    return load_task("mnist1d", n_train=300, n_eval=200)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow tests first (each file keeps its order): the two xdist workers take whole
    files in this order (``--dist loadfile --no-loadscope-reorder``, the Makefile's), so the
    longest ones start early instead of ending the run alone."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)
