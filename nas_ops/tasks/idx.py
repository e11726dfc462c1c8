"""Reader of the IDX format (MNIST, Fashion-MNIST), plain or gzip-compressed.

Layout: two zero bytes, a type code, the number of dimensions ``d``; then ``d`` big-endian
uint32 sizes; then the values, big-endian, in C order. Type codes: 0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Gzip is detected from the file's first
bytes, whatever its name.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from nas_ops.errors import TaskError

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data: bytes, where: str = "<bytes>") -> np.ndarray:
    """Decode the (uncompressed) IDX bytes ``data``; ``where`` names the source in errors."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise TaskError(f"{where}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        valid = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise TaskError(f"{where}: unknown IDX type code 0x{code:02X}; valid codes: {valid}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise TaskError(f"{where}: truncated IDX header ({ndim} dimensions announced)")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if len(data) - header != expected:
        raise TaskError(f"{where}: IDX shape {shape} of {dtype.name} needs {expected} bytes of "
                        f"data, found {len(data) - header}")
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read the IDX file at ``path`` (gzip or plain) into a native-endian array."""
    path = Path(path)
    if not path.is_file():
        raise TaskError(f"IDX file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise TaskError(f"{path}: corrupt gzip data ({exc})") from None
    return parse_idx(raw, str(path))
