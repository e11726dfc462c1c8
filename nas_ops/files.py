"""Writing files and directories atomically: readers see the old content or the new, never half.

The one place in the project that writes atomically; every writer (weights, reports, CLI output,
capacity studies) goes through these three functions. ``file_sha256`` checks what was written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error the temporary
    file replaces ``path`` in one rename, otherwise it is removed and ``path`` is untouched."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cache_dir() -> Path:
    """Root of nas-ops' on-disk cache (generated datasets, reference classifiers):
    ``$NAS_OPS_CACHE`` or ``~/.cache/nas-ops``."""
    return Path(os.environ.get("NAS_OPS_CACHE") or Path.home() / ".cache" / "nas-ops")


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write text (UTF-8) or bytes to ``path`` atomically."""
    with atomic_file(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``path``; when the block ends without error it
    replaces ``path`` (an existing directory there is removed), otherwise it is removed."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f"{tmp.name}.old"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as the ledger records it for weights files."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
