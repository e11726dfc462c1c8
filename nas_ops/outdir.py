"""Checks of an output directory before any work, so that a refused ``--out`` (or ``out=``) costs
nothing and leaves nothing behind: one line naming the directory and what is wrong with it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nas_ops.errors import ConfigError
from nas_ops.store.ledger import LEDGER_NAME


def check_run_dir(out: Path) -> None:
    """Refuse an ``--out`` that is a non-empty directory holding no run (nothing is written)."""
    if out.is_dir() and not (out / LEDGER_NAME).exists() and any(out.iterdir()):
        raise ConfigError(f"--out {str(out)!r} is not empty and holds no nas-ops run; choose a "
                          "new or empty directory")


def check_out_dir(out: Path, *, replace: bool) -> None:
    """Refuse, before any work, an ``--out`` directory that could not be written at the end: a
    file, an existing directory (unless ``replace``), or a parent that cannot be created or
    written to. Creates nothing."""
    if out.exists() and out.is_dir() and not replace:
        raise ConfigError(f"--out {str(out)!r} already exists; choose a new directory or pass "
                          "--force")
    check_writable_out(out, inside=False)


def check_writable_out(out: str | Path, *, inside: bool) -> None:
    """Refuse, before any work, an ``--out`` directory nothing could be written to: a file, a
    path under a file, a read-only or special file system. ``inside``: the command writes into
    ``out`` itself (a run directory); otherwise it writes a sibling and renames it to ``out``.
    Leaves nothing behind (the probe is a temporary directory, removed at once)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file, not a directory")
    if not inside and os.path.ismount(out):
        raise ConfigError(f"--out {str(out)!r} cannot be written: it is a mount point, which "
                          "cannot be replaced; choose a directory inside it")
    place = out.absolute() if inside else out.absolute().parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise ConfigError(f"--out {str(out)!r} cannot be created: {str(place)!r} is a file")
    try:
        with tempfile.TemporaryDirectory(dir=place, prefix=".nas-ops-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(f"--out {str(out)!r} cannot be written: {str(place)!r} is read-only "
                          f"(creating a directory there fails: {exc.strerror or exc})") from None
