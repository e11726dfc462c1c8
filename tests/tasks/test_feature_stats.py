"""Frechet distance, k-NN precision / recall and the copy rate against hand-computed oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from nas_ops.tasks import feature_stats as fs


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def test_frechet_of_diagonal_gaussians_is_the_closed_form() -> None:
    m1, m2 = torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 1.0, 0.0])
    v1, v2 = torch.tensor([1.0, 4.0, 9.0]), torch.tensor([4.0, 4.0, 1.0])
    # |m1 - m2|^2 + sum (sqrt v1 - sqrt v2)^2 = 5 + (1 + 0 + 4)
    got = fs.frechet_distance(m1.double(), torch.diag(v1).double(), m2.double(),
                              torch.diag(v2).double())
    assert got == pytest.approx(10.0, rel=1e-5)


def test_frechet_matches_scipy_sqrtm_on_full_covariances() -> None:
    rng = np.random.default_rng(3)
    c1, c2 = _spd(rng, 12), _spd(rng, 12)
    m1, m2 = rng.normal(size=12), rng.normal(size=12)
    root = scipy.linalg.sqrtm(c1 @ c2).real
    oracle = float(((m1 - m2) ** 2).sum() + np.trace(c1 + c2 - 2 * root))
    got = fs.frechet_distance(*(torch.from_numpy(a) for a in (m1, c1, m2, c2)))
    assert got == pytest.approx(oracle, rel=1e-4)
    assert fs.frechet_distance(torch.from_numpy(m1), torch.from_numpy(c1),
                               torch.from_numpy(m1), torch.from_numpy(c1)) < 1e-6 * np.trace(c1)


def test_singular_covariances_give_a_finite_distance() -> None:
    gen = torch.Generator().manual_seed(0)
    few = torch.randn(5, 40, generator=gen, dtype=torch.float64)  # rank <= 4 in 40 dimensions
    dead = torch.cat([few, torch.zeros(5, 3, dtype=torch.float64)], dim=1)  # constant features
    m, c = fs.gaussian_fit(dead)
    assert torch.linalg.matrix_rank(c) <= 4
    same = fs.frechet_distance(m, c, m, c)
    assert math.isfinite(same) and 0.0 <= same < 1e-3
    other = fs.gaussian_fit(dead + 3.0)
    assert fs.frechet_distance(m, c, *other) == pytest.approx(43 * 9.0, rel=1e-4)


def test_precision_recall_on_points_of_a_line() -> None:
    real = torch.arange(10, dtype=torch.float64)[:, None]  # 0..9: the 1-NN radius is 1 everywhere
    fake = torch.tensor([[0.5], [8.9], [20.0], [21.0]], dtype=torch.float64)
    # in the real manifold: 0.5 and 8.9 -> precision 2/4. The fake 1-NN radii: 8.4 (0.5 -> 8.9),
    # 8.4, 1, 1: the balls around 0.5 and 8.9 cover 0..9 -> recall 1
    assert fs.precision_recall(real, fake, k=1) == (0.5, 1.0)
    # k = 2: fake radii 19.5, 11.1, 11.1, 12.1 still cover everything; real radii 1 (ends: 2)
    precision, recall = fs.precision_recall(real, fake, k=2)
    assert (precision, recall) == (0.5, 1.0)
    tight = torch.tensor([[0.0], [0.1], [0.2], [9.0]], dtype=torch.float64)
    # fake 1-NN radii 0.1, 0.1, 0.1, 8.8: the ball of 9.0 covers 1..9 (|x - 9| <= 8.8 -> x >= 0.2)
    assert fs.precision_recall(real, tight, k=1) == (1.0, 1.0)
    assert fs.precision_recall(real, tight[:3], k=1) == (1.0, 0.1)  # only 0 is covered


def test_copy_rate_counts_samples_closer_than_the_threshold() -> None:
    train = torch.tensor([[0.0, 0.0], [10.0, 0.0]], dtype=torch.float64)
    fake = torch.tensor([[0.0, 0.1], [5.0, 0.0], [10.0, 0.0], [3.0, 4.0]], dtype=torch.float64)
    assert fs.copy_rate(fake, train, threshold=0.5) == 0.5  # the first and the third
    assert fs.copy_rate(fake, train, threshold=5.0) == 0.5  # 5.0 is not < 5.0
    assert fs.copy_rate(fake, train, threshold=5.01) == 1.0


def test_nearest_distances_need_enough_reference_points() -> None:
    x = torch.zeros(3, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="need more than 3 reference vectors for k = 3"):
        fs.nearest_distances(x, x, 3, exclude_self=True)
