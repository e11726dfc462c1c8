"""Writing files and directories atomically: readers see the old content or the new, never half.

The one place in the project that writes atomically; every writer (weights, reports, CLI output,
capacity studies) goes through these three functions. ``file_sha256`` checks what was written.
"""

from __future__ import annotations

import errno
import fcntl
import glob
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nas_ops.errors import MachineError

#: errors of the machine, not of what runs on it: no space, over quota, I/O, a read-only remount
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})


def machine_error(exc: BaseException) -> MachineError | None:
    """The :class:`MachineError` of an ``OSError`` the machine caused (:data:`MACHINE_ERRNOS`),
    naming the directory written in (not a temporary file's random name); None for others."""
    if not isinstance(exc, OSError) or exc.errno not in MACHINE_ERRNOS:
        return None
    where = f" while writing in {os.path.dirname(exc.filename)!r}" \
        if isinstance(exc.filename, str) else ""
    return MachineError(f"{exc.strerror}{where}")


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
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(target)  # a failed write() names no file
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


TMP_TAG = ".nas-ops-tmp-"  # in the name of every temporary directory of atomic_dir


def _locked(path: Path) -> int:
    """An open descriptor of the directory ``path``, holding its exclusive lock: the directory
    is being written by a live process (the lock goes when the process does, even on kill -9)."""
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def remove_stale(path: str | Path) -> list[Path]:
    """Remove the temporary directories that :func:`atomic_dir` left beside ``path`` when its
    process was killed (nobody holds their lock); those of a live writer are kept. Returns the
    directories removed."""
    out = Path(path)
    removed = []
    for tmp in out.parent.glob(f".{glob.escape(out.name)}{TMP_TAG}*"):
        try:
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live writer holds it
            os.close(fd)
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(fd)
        removed.append(tmp)
    return removed


@contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``path``; when the block ends without error it
    replaces ``path`` (an existing directory there is removed), otherwise it is removed. Those
    left by a killed writer are removed first (:func:`remove_stale`)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{TMP_TAG}", dir=out.parent))
    fd = _locked(tmp)
    tmp.chmod(0o755)
    try:
        yield tmp
        old = None
        if out.exists():
            old = out.parent / f"{tmp.name}.old"  # a kill now: the next writer removes it
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(fd)


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as the ledger records it for weights files."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
