"""Shared helpers of the task tests: an IDX writer and an isolated reference-classifier cache."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from nas_ops.tasks import reference

CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype("i2"): 0x0B,
         np.dtype("i4"): 0x0C, np.dtype("f4"): 0x0D, np.dtype("f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding of ``array``, written independently of the reader under test."""
    code = CODES[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
def idx_writer() -> object:
    """The test-side IDX writer ``write_idx(path, array, gz=False) -> path``."""
    return write_idx


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty $NAS_OPS_CACHE and an empty in-memory reference cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("NAS_OPS_CACHE", str(cache))
    saved = dict(reference._MEMORY)
    reference._MEMORY.clear()
    yield cache
    reference._MEMORY.clear()
    reference._MEMORY.update(saved)
