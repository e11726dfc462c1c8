"""The search loop's collector setting is scoped: thresholds are raised inside, restored after
(also when the block raises), and never lowered."""

from __future__ import annotations

import gc

import pytest

from nas_ops.infra.collector import YOUNG, fewer_collections


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (max(before[0], YOUNG), *before[1:])
        assert gc.isenabled()
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(young=5_000):
        assert gc.get_threshold()[0] == max(before[0], 5_000)
        raise RuntimeError
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept() -> None:
    before = gc.get_threshold()
    gc.set_threshold(10 * YOUNG, *before[1:])
    try:
        with fewer_collections():
            assert gc.get_threshold()[0] == 10 * YOUNG
    finally:
        gc.set_threshold(*before)
