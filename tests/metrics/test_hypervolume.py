"""Hypervolume: hand-computed 2-D and 3-D cases, an inclusion-exclusion oracle on random small
sets, the reference point and the incremental tracker."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nas_ops.errors import ConfigError
from nas_ops.metrics.hypervolume import (
    DEFAULT_REFERENCE,
    Reference,
    Tracker,
    curve,
    hypervolume,
    minimised,
    reference_for,
)


def _oracle(points: list[tuple[float, ...]], ref: tuple[float, ...]) -> float:
    """Volume of the union of the boxes [p, ref] by inclusion-exclusion (exact, small sets)."""
    boxes = [p for p in points if all(x < r for x, r in zip(p, ref, strict=True))]
    total = 0.0
    for k in range(1, len(boxes) + 1):
        for subset in itertools.combinations(boxes, k):
            corner = [max(c) for c in zip(*subset, strict=True)]
            total += (-1) ** (k + 1) * math.prod(r - c for c, r in zip(corner, ref, strict=True))
    return total


def test_two_dimensions_by_hand() -> None:
    # staircase of (1,3), (2,2), (3,1) under (4,4): 3 + 2 + 1 columns of width 1 -> 3*1+2*1+1*1
    assert hypervolume([(1, 3), (2, 2), (3, 1)], (4, 4)) == pytest.approx(6.0)
    assert hypervolume([(1, 3), (2, 2), (3, 1), (3, 3)], (4, 4)) == pytest.approx(6.0)


def test_three_dimensions_by_hand() -> None:
    # two unit-corner boxes: [0,2]^3 (8) and [1,3]x[1,3]x[-1,... ] -> (0,0,1) and (1,1,0) in 2^3
    pts = [(0.0, 0.0, 1.0), (1.0, 1.0, 0.0)]
    # box A = 2*2*1 = 4, box B = 1*1*2 = 2, overlap = [1,2]x[1,2]x[1,2] = 1
    assert hypervolume(pts, (2.0, 2.0, 2.0)) == pytest.approx(5.0)


def test_points_outside_the_box_count_nothing() -> None:
    assert hypervolume([(0.5, 2.0), (5.0, 0.1), (1.0, 0.5)], (1.0, 1.0)) == 0.0
    assert hypervolume([], (1.0, 1.0)) == 0.0
    assert hypervolume([(0.5, 0.5), (math.inf, 0.0)], (1.0, 1.0)) == pytest.approx(0.25)
    assert hypervolume([(0.25,)], (1.0,)) == pytest.approx(0.75)


@pytest.mark.parametrize("dim", [2, 3, 4])
def test_random_sets_match_inclusion_exclusion(dim: int) -> None:
    rng = np.random.default_rng(dim)
    for _ in range(30):
        n = int(rng.integers(1, 7))
        pts = [tuple(float(x) for x in row) for row in rng.uniform(0, 1.2, size=(n, dim))]
        ref = tuple(1.0 for _ in range(dim))
        assert hypervolume(pts, ref) == pytest.approx(_oracle(pts, ref), abs=1e-12)


def test_minimised_and_default_reference() -> None:
    assert minimised("accuracy", 0.75) == 0.25
    assert minimised("mse", 0.01) == 0.01
    assert minimised("parameters", 1e4) == pytest.approx(4.0)
    ref = reference_for(["class", "hist", "recon", "parameters"],
                        ["accuracy", "mse", "recon_mse", "parameters"])
    assert ref.point == (1.0, 0.05, 0.05, 6.0)
    assert ref.minimised([0.9, 0.01, 0.02, 1000.0]) == pytest.approx((0.1, 0.01, 0.02, 3.0))
    assert Reference.from_dict(ref.to_dict()) == ref
    assert set(DEFAULT_REFERENCE) >= {"accuracy", "mse", "recon_mse", "parameters"}


def test_overrides_and_unknown_names() -> None:
    ref = reference_for(["class", "parameters"], ["accuracy", "parameters"], {"parameters": 5})
    assert ref.point == (1.0, 5.0)
    with pytest.raises(ConfigError, match="'klass'.*valid: class, parameters"):
        reference_for(["class", "parameters"], ["accuracy", "parameters"], {"klass": 1.0})


def test_tracker_equals_recomputing_from_scratch() -> None:
    rng = np.random.default_rng(0)
    ref = Reference(("a", "b", "c"), ("mse", "mse", "mse"), (1.0, 1.0, 1.0))
    tracker, seen = Tracker(ref), []
    for i in range(40):
        values = tuple(float(x) for x in rng.uniform(0, 1.3, size=3))
        point = tracker.add(f"u{i}", values if i % 7 else None, steps=i)
        if i % 7:
            seen.append(values)
        assert point.value == pytest.approx(hypervolume(seen, ref.point), abs=1e-12)
        assert (point.seq, point.evals_done, point.steps_done) == (i, i + 1, i * (i + 1) // 2)


def test_curve_skips_failures_and_duplicate_steps() -> None:
    ref = Reference(("class",), ("accuracy",), (1.0,))
    rows = curve(ref, [("g0", "ok", [0.5], 10), ("g1", "failed", [0.0], 3),
                       ("g2", "duplicate", [0.5], 0), ("g3", "ok", [0.75], 10)])
    assert [r.value for r in rows] == [0.5, 0.5, 0.5, 0.75]
    assert [r.steps_done for r in rows] == [10, 13, 13, 23]
