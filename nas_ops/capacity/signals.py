"""Synthetic 1-D signal tasks for the capacity study (seeded numpy Generators only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nas_ops.errors import ConfigError, MissingDependencyError

TASK_KINDS = ("gp", "mnist1d")


@dataclass(frozen=True)
class SignalTask:
    """A denoising task: inputs = clean + noise, targets = clean (or smoothed) signals."""

    name: str
    x_train: np.ndarray  #: (N, 1, L)
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def gp_signals(n: int, length: int, length_scale: float, rng: np.random.Generator) -> np.ndarray:
    """Samples of a zero-mean Gaussian process with an RBF kernel on ``0..length-1``."""
    t = np.arange(length, dtype=float)
    cov = np.exp(-0.5 * ((t[:, None] - t[None, :]) / length_scale) ** 2)
    chol = np.linalg.cholesky(cov + 1e-6 * np.eye(length))
    return rng.standard_normal((n, length)) @ chol.T


def smooth(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average of odd ``width`` along the last axis (edge-padded)."""
    pad = width // 2
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="edge")
    kernel = np.ones(width) / width
    return np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="valid"), -1, xp)


def mnist1d_signals(n: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """mnist1d signals generated locally (never downloaded), cropped/padded to ``length``."""
    try:
        import mnist1d  # noqa: PLC0415 - optional dependency
        from mnist1d.data import get_dataset_args, make_dataset  # noqa: PLC0415
    except ImportError as err:
        raise MissingDependencyError("task kind 'mnist1d' needs the mnist1d package") from err
    del mnist1d
    args = get_dataset_args()
    args.num_samples = max(n, 200)
    args.seed = int(rng.integers(2**31))
    data = make_dataset(args)
    x = np.concatenate([data["x"], data["x_test"]])[:n].astype(float)
    x = (x - x.mean()) / x.std()
    if x.shape[1] >= length:
        return x[:, :length]
    return np.pad(x, [(0, 0), (0, length - x.shape[1])])


def make_task(spec: dict[str, object], length: int, n_train: int, n_test: int,
              rng: np.random.Generator) -> SignalTask:
    """Build the task described by one ``[[tasks]]`` table (already validated)."""
    kind = str(spec["kind"])
    n = n_train + n_test
    if kind == "gp":
        clean = gp_signals(n, length, float(spec.get("length_scale", 3.0)), rng)  # type: ignore[arg-type]
    elif kind == "mnist1d":
        clean = mnist1d_signals(n, length, rng)
    else:
        raise ConfigError(f"tasks.kind={kind!r} is unknown; valid choices: {', '.join(TASK_KINDS)}")
    noisy = clean + float(spec.get("noise", 0.5)) * rng.standard_normal(clean.shape)  # type: ignore[arg-type]
    width = int(spec.get("smooth", 1))  # type: ignore[call-overload]
    target = smooth(clean, width) if width > 1 else clean
    x, y = noisy[:, None, :], target[:, None, :]
    return SignalTask(str(spec["name"]), x[:n_train], y[:n_train], x[n_train:], y[n_train:])
