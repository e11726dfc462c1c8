"""Small helpers shared by CLI commands: reading genomes, checking an output directory.

Files are written atomically with :mod:`nas_ops.files`."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from nas_ops.errors import ConfigError, GenomeError
from nas_ops.genome import Genome, from_json, validate
from nas_ops.spaces import rules_for


def read_genome(path: str) -> Genome:
    """A validated genome from a JSON file, or from stdin when ``path`` is ``-``."""
    where = "stdin" if path == "-" else repr(path)
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            p = Path(path)
            if p.is_dir():
                raise ConfigError(f"genome file {path!r} is a directory, not a JSON file")
            if not p.is_file():
                raise ConfigError(f"genome file {path!r} does not exist")
            text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"genome file {where} is not UTF-8 text") from None
    try:
        genome = from_json(text)
        return validate(genome, rules_for(genome.space))
    except GenomeError as exc:
        raise GenomeError(f"{where}: {exc}") from None


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
