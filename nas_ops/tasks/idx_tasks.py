"""Tasks read from IDX files the user already has: ``mnist``, ``fashion_mnist`` and ``idx``.

``mnist`` / ``fashion_mnist`` take ``path=DIR`` holding the four standard files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``; each may end in ``.gz``, and ``.idx3-ubyte`` spellings are accepted).
The t10k files are the test split; val is 15% of the training files. ``idx`` takes ``images=`` and
``labels=`` paths (plus optional ``test_images=`` / ``test_labels=``); without a test pair the data
are pooled and split 70/15/15. uint8 images are divided by 255; other types are min-max normalized
with training statistics. Image arrays ``(N, H, W)`` get one channel; ``(N, n)`` are vectors.
Nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from nas_ops.errors import TaskError
from nas_ops.tasks.base import Task
from nas_ops.tasks.idx import read_idx
from nas_ops.tasks.paper import PAPER_OUTPUTS, paper_task
from nas_ops.tasks.registry import TASKS

PathLike = str | os.PathLike[str]
STANDARD_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


@functools.lru_cache(maxsize=8)
def _read_cached(path: str, mtime_ns: int, size: int) -> np.ndarray:
    array = read_idx(path)
    array.setflags(write=False)
    return array


def _read(path: PathLike) -> np.ndarray:
    """read_idx with a per-process cache keyed by path, modification time and size."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"IDX file not found: {path}")
    stat = path.stat()
    return _read_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


def find_standard_file(directory: PathLike, stem: str) -> Path:
    """The file ``stem`` in ``directory`` (plain, ``.gz``, dash or dot spelling)."""
    directory = Path(directory)
    dotted = stem.replace("-idx", ".idx")
    candidates = [directory / f"{s}{ext}" for s in (stem, dotted) for ext in ("", ".gz")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise TaskError(f"IDX file not found: {directory / stem}[.gz] (looked for "
                    f"{', '.join(c.name for c in candidates)} in {directory})")


def _samples(images: np.ndarray, where: str) -> np.ndarray:
    if images.ndim == 3:
        return images[:, None]
    if images.ndim in (2, 4):
        return images
    raise TaskError(f"{where}: IDX images must have 2 to 4 dimensions, got shape {images.shape}")


def _labels(labels: np.ndarray, n: int, where: str) -> np.ndarray:
    if labels.ndim != 1 or len(labels) != n:
        raise TaskError(f"{where}: labels of shape {labels.shape} do not match {n} images")
    return labels.astype(np.int64)


def idx_paper_task(
    name: str,
    images: PathLike,
    labels: PathLike,
    test_images: PathLike | None,
    test_labels: PathLike | None,
    **options: object,
) -> Task:
    """The paper's task on IDX files (shared by ``mnist``, ``fashion_mnist`` and ``idx``)."""
    if (test_images is None) != (test_labels is None):
        raise TaskError(f"task {name!r}: give both test_images and test_labels, or neither")
    x = _samples(_read(images), str(images))
    y = _labels(_read(labels), len(x), str(labels))
    test = None
    if test_images is not None and test_labels is not None:
        x_test = _samples(_read(test_images), str(test_images))
        test = (x_test, _labels(_read(test_labels), len(x_test), str(test_labels)))
    scale = x.dtype == np.uint8 and (test is None or test[0].dtype == np.uint8)
    if scale:
        x = x.astype(np.float32) / 255.0
        test = None if test is None else (test[0].astype(np.float32) / 255.0, test[1])
    files = {"images": str(images), "labels": str(labels)}
    if test_images is not None:
        files.update(test_images=str(test_images), test_labels=str(test_labels))
    return paper_task(name, x, y, test=test, normalize="none" if scale else "minmax",
                      meta={"files": files}, **options)  # type: ignore[arg-type]


def _standard_task(name: str, doc: str) -> Callable[..., Task]:
    """Register task ``name``: a 10-class paper task read from the four standard IDX files in
    the directory given by its ``path`` option."""

    def build(path: PathLike, seed: int = 0, n_train: int | None = None,
              n_eval: int | None = None, outputs: str | Iterable[str] = PAPER_OUTPUTS,
              bins: int = 32) -> Task:
        files = {key: find_standard_file(path, stem) for key, stem in STANDARD_FILES.items()}
        return idx_paper_task(name, files["train_images"], files["train_labels"],
                              files["test_images"], files["test_labels"], seed=seed,
                              n_train=n_train, n_eval=n_eval, outputs=outputs, bins=bins,
                              n_classes=10)

    build.__name__ = build.__qualname__ = name
    build.__doc__ = doc
    return TASKS.register(name, build, input="image", needs="path")


mnist = _standard_task("mnist", "MNIST from the four standard IDX files in directory ``path``.")
fashion_mnist = _standard_task(
    "fashion_mnist",
    "Fashion-MNIST (the paper's data set) from the four standard IDX files in ``path``.")


@TASKS.decorator("idx", input="any", needs="images, labels")
def idx(
    images: PathLike,
    labels: PathLike,
    test_images: PathLike | None = None,
    test_labels: PathLike | None = None,
    n_classes: int | None = None,
    seed: int = 0,
    n_train: int | None = None,
    n_eval: int | None = None,
    outputs: str | Iterable[str] = PAPER_OUTPUTS,
    bins: int = 32,
) -> Task:
    """Any IDX image/label pair; ``n_classes`` defaults to the largest label + 1."""
    return idx_paper_task("idx", images, labels, test_images, test_labels, n_classes=n_classes,
                          seed=seed, n_train=n_train, n_eval=n_eval, outputs=outputs, bins=bins)
