"""Small helpers shared by CLI commands: reading genomes, checking an output directory.

Files are written atomically with :mod:`nas_ops.files`."""

from __future__ import annotations

import os
import sys
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
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {str(out)!r} is a file, not a directory")
    if out.exists() and not replace:
        raise ConfigError(f"--out {str(out)!r} already exists; choose a new directory or pass "
                          "--force")
    parent = out.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--out {str(out)!r} cannot be created: {str(parent)!r} is a file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {str(out)!r} cannot be written: {str(parent)!r} is read-only")
