"""The paper's task from any labelled data set: input ``x`` -> class, histogram, reconstruction.

:func:`paper_task` turns arrays into a :class:`Task`:

- splits: without a given test set the pooled data are permuted with ``seed`` and cut 70/15/15
  (train/val/test); with a given test set (e.g. MNIST's t10k files) that set is the test split,
  kept in file order, and 15% of the permuted training pool becomes val.
- ``n_train`` keeps only the first ``n_train`` training samples; ``n_eval`` caps val and test.
- normalization: ``"none"`` requires values already in [0, 1]; ``"minmax"`` maps the global
  min / max of the full training split (before ``n_train``) to 0 / 1 and clips val / test.
- outputs: ``class`` (classification), ``histogram`` (regression onto a ``bins``-bin intensity
  histogram over [0, 1], normalized to sum 1) and ``reconstruction`` (generation of ``x``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import torch

from nas_ops.errors import TaskError, unknown
from nas_ops.tasks.base import DataType, InputSpec, OutputSpec, Split, Task

PAPER_OUTPUTS: tuple[str, ...] = ("class", "histogram", "reconstruction")
VAL_FRACTION = 0.15
TEST_FRACTION = 0.15
_DTYPE_BY_RANK: dict[int, DataType] = {1: "vector", 2: "signal", 3: "image"}


def parse_outputs(outputs: str | Iterable[str]) -> tuple[str, ...]:
    """Validate a subset of PAPER_OUTPUTS (a list or a comma-separated string), order kept."""
    names = [s.strip() for s in outputs.split(",")] if isinstance(outputs, str) else list(outputs)
    if not names:
        raise TaskError(f"option 'outputs' is empty; choose from {', '.join(PAPER_OUTPUTS)}")
    for name in names:
        if name not in PAPER_OUTPUTS:
            raise unknown("output", name, list(PAPER_OUTPUTS))
    if len(set(names)) != len(names):
        raise TaskError(f"option 'outputs' repeats a name: {names}")
    return tuple(names)


def intensity_histogram(x: np.ndarray, bins: int = 32) -> np.ndarray:
    """Per-sample histogram of the values of ``x`` (N, ...) over [0, 1], rows summing to 1.

    Same bin rule as ``numpy.histogram(row, bins, range=(0, 1))``: bins are half-open
    ``[a, b)`` except the last, which includes 1.
    """
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.searchsorted(edges, flat, side="right") - 1, 0, bins - 1)
    rows = np.repeat(np.arange(len(flat)), flat.shape[1])
    counts = np.bincount(rows * bins + idx.ravel(), minlength=len(flat) * bins)
    return (counts.reshape(len(flat), bins) / flat.shape[1]).astype(np.float32)


def split_indices(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint train / val / test indices covering range(n): a seeded 70/15/15 permutation."""
    perm = np.random.default_rng(seed).permutation(n)
    n_val, n_test = round(n * VAL_FRACTION), round(n * TEST_FRACTION)
    n_train = n - n_val - n_test
    if min(n_train, n_val, n_test) < 1:
        raise TaskError(f"{n} samples are too few for a train/val/test split")
    return perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]


def _check_int(name: str, value: object, low: int, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise TaskError(f"option {name!r} must be an integer >= {low}, got {value!r}")
    return int(value)


def paper_task(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
    n_train: int | None = None,
    n_eval: int | None = None,
    outputs: str | Iterable[str] = PAPER_OUTPUTS,
    bins: int = 32,
    normalize: Literal["none", "minmax"] = "none",
    meta: dict[str, Any] | None = None,
) -> Task:
    """Build the paper's task from samples ``x`` (N, *shape) and integer labels ``y`` (N,).

    ``shape`` of one sample decides the input type: (n,) vector, (C, L) signal, (C, H, W) image.
    """
    seed = _check_int("seed", seed, 0)  # type: ignore[assignment]
    n_train = _check_int("n_train", n_train, 1, allow_none=True)
    n_eval = _check_int("n_eval", n_eval, 1, allow_none=True)
    bins = _check_int("bins", bins, 1)  # type: ignore[assignment]
    names = parse_outputs(outputs)
    x, y = _as_xy(x, y, "data")
    if x.ndim - 1 not in _DTYPE_BY_RANK:
        raise TaskError(f"samples must have 1 to 3 dimensions, got shape {x.shape[1:]}")
    if normalize not in ("none", "minmax"):
        raise TaskError(f"normalize must be 'none' or 'minmax', got {normalize!r}")
    if test is None:
        tr, va, te = split_indices(len(x), seed)
        parts = {"train": (x[tr], y[tr]), "val": (x[va], y[va]), "test": (x[te], y[te])}
        policy = "pooled 70/15/15"
    else:
        x_test, y_test = _as_xy(*test, "test data")
        if x_test.shape[1:] != x.shape[1:]:
            raise TaskError(f"test samples have shape {x_test.shape[1:]}, train {x.shape[1:]}")
        perm = np.random.default_rng(seed).permutation(len(x))
        n_val = max(1, round(len(x) * VAL_FRACTION))
        va, tr = perm[:n_val], perm[n_val:]
        parts = {"train": (x[tr], y[tr]), "val": (x[va], y[va]), "test": (x_test, y_test)}
        policy = "given test; 15% of train as val"
    norm = _normalizer(parts["train"][0], normalize)
    if n_classes is None:
        n_classes = int(max(int(p[1].max(initial=0)) for p in parts.values())) + 1
    caps = {"train": n_train, "val": n_eval, "test": n_eval}
    splits = {}
    for split_name, (xs, ys) in parts.items():
        keep = slice(caps[split_name])
        splits[split_name] = _make_split(norm(xs[keep]), ys[keep], names, bins)
    spec = InputSpec("x", _DTYPE_BY_RANK[x.ndim - 1], tuple(x.shape[1:]))
    out_specs = {
        "class": OutputSpec("class", "classification", n_classes),
        "histogram": OutputSpec("histogram", "regression", bins),
        "reconstruction": OutputSpec("reconstruction", "generation", spec.size, source="x"),
    }
    info = {"dataset": name, "seed": seed, "n_classes": n_classes, "bins": bins,
            "outputs": list(names), "split": policy, "normalization": norm.info,
            "sizes": {k: len(v) for k, v in splits.items()}}
    info.update(meta or {})
    return Task(name, (spec,), tuple(out_specs[n] for n in names), meta=info, **splits)


def _as_xy(x: np.ndarray, y: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim != 1 or len(x) != len(y):
        raise TaskError(f"{what}: {len(x)} samples but labels of shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0):
        raise TaskError(f"{what}: labels must be non-negative integers, got {y.dtype}")
    return x, y.astype(np.int64)


class _Normalizer:
    def __init__(self, low: float, high: float, info: dict[str, Any]) -> None:
        self.low, self.high, self.info = low, high, info

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = (np.asarray(x, dtype=np.float64) - self.low) / (self.high - self.low)
        return np.clip(out, 0.0, 1.0).astype(np.float32)


def _normalizer(train_x: np.ndarray, mode: str) -> _Normalizer:
    if mode == "minmax":
        low, high = float(train_x.min()), float(train_x.max())
        if not high > low:
            raise TaskError(f"cannot min-max normalize: training data are constant ({low})")
        return _Normalizer(low, high, {"mode": "minmax", "min": low, "max": high})
    lo, hi = float(train_x.min()), float(train_x.max())
    if lo < 0.0 or hi > 1.0:
        raise TaskError(f"inputs must lie in [0, 1] (found [{lo}, {hi}]); use normalize='minmax'")
    return _Normalizer(0.0, 1.0, {"mode": "none"})


def _make_split(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], bins: int) -> Split:
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    tensors = {"x": xt}
    for name in names:
        if name == "class":
            tensors[name] = torch.from_numpy(y.astype(np.int64))
        elif name == "histogram":
            tensors[name] = torch.from_numpy(intensity_histogram(x, bins))
        else:
            tensors[name] = xt.reshape(len(xt), -1)
    return Split(tensors)
