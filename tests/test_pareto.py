"""Pareto dominance, fronts and ranks (nas_ops.pareto): DEAP's sortLogNondominated as the
oracle of the fronts, a hand-made set, and the dominance relations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from deap import tools

from nas_ops.pareto import (
    Member,
    dominates,
    first_front,
    fitness_class,
    front_ranks,
    non_dominated,
    pareto_ranks,
    weakly_dominates,
    weights_of,
)


def deap_ranks(values: np.ndarray, weights: tuple[float, ...]) -> list[int]:
    cls = fitness_class(weights)
    members = [Member(str(i), row, cls) for i, row in enumerate(values)]
    fronts = tools.sortLogNondominated(members, len(members))
    rank = {m.uid: r for r, front in enumerate(fronts) for m in front}
    return [rank[str(i)] for i in range(len(values))]


def peeled(values: np.ndarray, weights: tuple[float, ...]) -> list[int]:
    """Fronts by definition: remove the non-dominated points, again and again."""
    left, rank, level = set(range(len(values))), [-1] * len(values), 0
    while left:
        now = {i for i in left
               if not any(dominates(values[j], values[i], weights) for j in left)}
        for i in now:
            rank[i] = level
        left -= now
        level += 1
    return rank


def draw(rng: np.random.Generator, n: int, m: int, kind: str) -> np.ndarray:
    if kind == "ties":  # few levels: ties in every objective and duplicate points
        return rng.integers(0, 4, size=(n, m)).astype(float)
    values = rng.normal(size=(n, m))
    if kind == "duplicates":
        values[n // 2:] = values[rng.integers(0, n // 2, size=n - n // 2)]
    if kind == "infinite":
        values[rng.random((n, m)) < 0.15] = -math.inf
    if kind == "correlated":  # many fronts
        values = values[:, :1] + 0.05 * values
    return values


@pytest.mark.parametrize("m", [2, 3, 4, 5])
@pytest.mark.parametrize("kind", ["ties", "duplicates", "infinite", "correlated", "plain"])
def test_ranks_are_deaps_for_mixed_weights(m: int, kind: str) -> None:
    rng = np.random.default_rng([m, len(kind)])
    for trial in range(12):
        n = int(rng.integers(1, 150))
        values = draw(rng, n, m, kind)
        weights = tuple(float(w) for w in rng.choice([1.0, -1.0], size=m))
        expected = deap_ranks(values, weights)
        assert front_ranks(values, weights) == expected, (kind, trial)
        assert front_ranks(values * np.asarray(weights)) == expected  # pre-signed values
        assert pareto_ranks({f"u{i}": v for i, v in enumerate(values)}, weights) == \
            {f"u{i}": r for i, r in enumerate(expected)}


def test_ranks_match_the_definition_for_one_objective_and_larger_sets() -> None:
    rng = np.random.default_rng(7)
    for n, m in [(40, 1), (300, 3), (600, 4)]:  # one objective: DEAP's sort fails there
        values = draw(rng, n, m, "ties") if m == 1 else draw(rng, n, m, "duplicates")
        weights = tuple(-1.0 if k % 2 else 1.0 for k in range(m))
        assert front_ranks(values, weights) == peeled(values, weights)
    assert front_ranks([[3.0], [1.0], [3.0], [2.0]]) == [0, 2, 0, 1]
    assert front_ranks(np.zeros((1000, 4))) == [0] * 1000  # one point, many times


def test_a_hand_made_set() -> None:
    # minimise both: (1, 4) (2, 2) (4, 1) non-dominated; (3, 3) behind (2, 2); (4, 4) last
    points = [[3.0, 3.0], [1.0, 4.0], [4.0, 4.0], [2.0, 2.0], [4.0, 1.0], [2.0, 2.0]]
    assert front_ranks(points, (-1.0, -1.0)) == [1, 0, 2, 0, 0, 0]
    assert non_dominated(points, weights_of([False, False])) == \
        [False, True, False, True, True, True]
    values = {"c": points[0], "a": points[1], "e": points[2], "b": points[3], "d": points[4]}
    assert first_front(values, (-1.0, -1.0)) == ["a", "b", "d"]
    # maximise the first, minimise the second: (4, 1) dominates every other point; then
    # (3, 3), (4, 4) and (2, 2) trade off; (1, 4) is behind (2, 2)
    assert front_ranks(points, (1.0, -1.0)) == [1, 2, 1, 1, 0, 1]


def test_zero_and_minus_zero_are_one_point_and_the_edges_hold() -> None:
    assert front_ranks([[0.0, 1.0], [-0.0, 1.0], [-1.0, 0.0]]) == [0, 0, 1]
    assert front_ranks([[0.0], [-0.0]], (-1.0,)) == [0, 0]
    assert front_ranks([]) == [] and pareto_ranks({}, (1.0,)) == {}
    assert front_ranks([[], []]) == [0, 0]


def test_bad_values_raise_one_line() -> None:
    with pytest.raises(ValueError, match="NaN"):
        front_ranks([[1.0, math.nan], [0.0, 0.0]])
    with pytest.raises(ValueError, match="3 weights for 2 objectives"):
        front_ranks([[1.0, 2.0]], (1.0, 1.0, -1.0))
    with pytest.raises(ValueError, match="one row of objective values per point"):
        front_ranks([1.0, 2.0])


def test_dominance_relations() -> None:
    assert dominates([2.0, 1.0], [1.0, 1.0]) and not dominates([1.0, 1.0], [1.0, 1.0])
    assert not dominates([2.0, 0.0], [1.0, 1.0]) and not dominates([1.0, 1.0], [2.0, 1.0])
    assert dominates([1.0, 1.0], [2.0, 1.0], (-1.0, 1.0))
    assert weakly_dominates([1.0, 1.0], [1.0, 1.0]) and weakly_dominates([1.0, 2.0], [1.0, 1.0])
    assert not weakly_dominates([1.0, 2.0], [1.0, 1.0], (1.0, -1.0))
    assert weakly_dominates([0.5, 0.5], [0.5, 0.7], (-1.0, -1.0))
    assert dominates([0.0, -math.inf], [-math.inf, -math.inf])
    with pytest.raises(ValueError):
        dominates([1.0, 2.0], [1.0])
    rng = np.random.default_rng(3)
    values = draw(rng, 60, 3, "ties")
    ranks = front_ranks(values, (1.0, -1.0, 1.0))
    for i in range(60):
        for j in range(60):
            if dominates(values[j], values[i], (1.0, -1.0, 1.0)):
                assert ranks[j] < ranks[i]


def test_points_without_objectives_all_share_the_first_front() -> None:
    """Records stored without objective values (hand-built ledgers) cannot dominate each other."""
    assert front_ranks([(), (), ()], (1.0, -1.0)) == [0, 0, 0]
    assert first_front({"a": (), "b": ()}, (1.0, 1.0, -1.0, -1.0)) == ["a", "b"]
