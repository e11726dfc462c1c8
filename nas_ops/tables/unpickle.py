"""A restricted unpickler for the benchmark tables' data files, and their pinned checksums.

Both tables ship as Python pickles. A plain ``pickle.load`` would call whatever global the file
names, so these files are read by :class:`TableUnpickler`, which admits only the few globals
they need and maps each to something harmless:

- ``numpy.core.multiarray.scalar`` (also spelt ``numpy._core.multiarray.scalar``): rebuilt by
  :func:`numeric_scalar`, which decodes the bytes of a numeric dtype into a Python number;
- ``numpy.dtype``: numpy's dtype constructor (it builds a type descriptor, nothing else);
- the analog benchmark's ``Architecture`` and ``DriftMeasurement`` classes: both become a
  :class:`PlainRecord`, an attribute bag that runs no code of the file.

Any other global is refused with one line naming it. Before a file is unpickled, its sha256 is
checked against the value pinned for the package version in ``constraints.txt``.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from nas_ops.errors import TaskError


class PlainRecord:
    """What a benchmark's record class becomes: its attributes, and nothing the file could run."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise pickle.UnpicklingError("a record's state must be a dict of named fields")
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"PlainRecord({self.__dict__!r})"


def numeric_scalar(dtype: np.dtype, data: bytes) -> float | int:
    """A numpy scalar pickled as (dtype, raw bytes), as a plain Python number."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "fiub":
        raise pickle.UnpicklingError(f"scalar of dtype {dtype!r} refused: only numeric scalars")
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise pickle.UnpicklingError(f"scalar of dtype {dtype} needs {dtype.itemsize} bytes")
    return np.frombuffer(data, dtype=dtype)[0].item()  # type: ignore[no-any-return]


ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy.core.multiarray", "scalar"): numeric_scalar,
    ("numpy._core.multiarray", "scalar"): numeric_scalar,
    ("numpy", "dtype"): np.dtype,
    ("analognasbench.data", "Architecture"): PlainRecord,
    ("analognasbench.data", "DriftMeasurement"): PlainRecord,
}


class TableUnpickler(pickle.Unpickler):
    """An unpickler whose globals are only :data:`ALLOWED`."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_pinned(path: Path, sha256: str, what: str) -> Any:
    """Unpickle ``path`` with :class:`TableUnpickler` once its sha256 equals ``sha256``.

    ``what`` names the table in messages. A missing, altered or unreadable file raises
    :class:`TaskError` with one line.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise TaskError(f"{what}: cannot read table file {path}: {exc.strerror}") from None
    digest = sha256_of(data)
    if digest != sha256:
        raise TaskError(f"{what}: table file {path} has sha256 {digest[:16]}..., not the pinned "
                        f"{sha256[:16]}...; reinstall it with pip install -e '.[bench]'")
    try:
        return TableUnpickler(io.BytesIO(data)).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as exc:
        raise TaskError(f"{what}: table file {path} cannot be read: {exc}") from None


__all__ = ["ALLOWED", "PlainRecord", "TableUnpickler", "load_pinned", "numeric_scalar",
           "sha256_of"]
