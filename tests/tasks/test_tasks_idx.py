"""IDX reader round trips and the IDX-backed tasks, on files the tests write themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from nas_ops.errors import TaskError
from nas_ops.tasks import load_task, read_idx

Writer = Callable[..., Path]


@pytest.mark.parametrize("gz", [False, True])
def test_uint8_images_and_labels_round_trip(tmp_path: Path, gz: bool, idx_writer: Writer) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7).astype(np.uint8)
    out_i = read_idx(idx_writer(tmp_path / "img", images, gz=gz))
    out_l = read_idx(idx_writer(tmp_path / "lbl", labels, gz=gz))
    assert out_i.dtype == np.uint8 and out_i.shape == (7, 5, 3)
    assert np.array_equal(out_i, images) and np.array_equal(out_l, labels)


@pytest.mark.parametrize("dtype", ["i1", "i2", "i4", "f4", "f8"])
def test_other_type_codes_round_trip(tmp_path: Path, dtype: str, idx_writer: Writer) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 11).astype(dtype)
    out = read_idx(idx_writer(tmp_path / "a.idx", array))
    assert out.dtype == np.dtype(dtype) and np.array_equal(out, array)
    assert out.dtype.isnative


def test_header_bytes_of_mnist_style_file(tmp_path: Path, idx_writer: Writer) -> None:
    data = idx_writer(tmp_path / "z", np.zeros((2, 28, 28), dtype=np.uint8)).read_bytes()
    assert data[:4] == b"\x00\x00\x08\x03"
    assert data[4:8] == (2).to_bytes(4, "big") and data[8:12] == (28).to_bytes(4, "big")


def test_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x12\x34\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(TaskError, match="bad magic number 12340801"):
        read_idx(bad)
    bad.write_bytes(b"\x00\x00\x07\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(TaskError, match="unknown IDX type code 0x07"):
        read_idx(bad)
    bad.write_bytes(b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + b"abc")
    with pytest.raises(TaskError, match="needs 4 bytes of data, found 3"):
        read_idx(bad)
    with pytest.raises(TaskError, match=r"IDX file not found: .*nowhere"):
        read_idx(tmp_path / "nowhere")


def _fake_mnist(write_idx: Writer, directory: Path, n_train: int, n_test: int, gz: bool) -> None:
    rng = np.random.default_rng(1)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}",
                  rng.integers(0, 256, size=(n, 6, 6), dtype=np.uint8), gz=gz)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}",
                  (np.arange(n) % 10).astype(np.uint8), gz=gz)


@pytest.mark.parametrize(("name", "gz"), [("mnist", True), ("fashion_mnist", False)])
def test_standard_directory_tasks(tmp_path: Path, name: str, gz: bool,
                                  idx_writer: Writer) -> None:
    _fake_mnist(idx_writer, tmp_path, 100, 30, gz)
    task = load_task(name, path=str(tmp_path), seed=1)
    assert (len(task.train), len(task.val), len(task.test)) == (85, 15, 30)
    assert task.input("x").shape == (1, 6, 6) and task.input("x").dtype == "image"
    raw_test = read_idx(tmp_path / f"t10k-images-idx3-ubyte{'.gz' if gz else ''}")
    assert np.allclose(task.test["x"].numpy()[:, 0], raw_test / 255.0)  # test kept in file order
    assert task.test["class"].tolist() == [i % 10 for i in range(30)]
    assert task.meta["split"] == "given test; 15% of train as val"


def test_missing_standard_file_names_the_path(tmp_path: Path, idx_writer: Writer) -> None:
    _fake_mnist(idx_writer, tmp_path, 20, 10, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(TaskError, match=r"IDX file not found: .*t10k-labels-idx1-ubyte\[\.gz\]"):
        load_task("mnist", path=str(tmp_path))
    with pytest.raises(TaskError, match="needs option 'path'"):
        load_task("mnist")


def test_generic_idx_task_pools_and_normalizes_floats(tmp_path: Path, idx_writer: Writer) -> None:
    rng = np.random.default_rng(2)
    images = idx_writer(tmp_path / "v", rng.normal(size=(40, 12)).astype(np.float32))
    labels = idx_writer(tmp_path / "l", (np.arange(40) % 3).astype(np.uint8))
    task = load_task("idx", images=str(images), labels=str(labels))
    assert (len(task.train), len(task.val), len(task.test)) == (28, 6, 6)
    assert task.input("x").dtype == "vector" and task.output("class").size == 3
    assert task.meta["normalization"]["mode"] == "minmax"
    with pytest.raises(TaskError, match="do not match 40 images"):
        load_task("idx", images=str(images),
                  labels=str(idx_writer(tmp_path / "l2", np.zeros(5, dtype=np.uint8))))
