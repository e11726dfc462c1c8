"""Small helpers shared by CLI commands: reading genomes. Output directories are checked by
:mod:`nas_ops.infra.outdir`, files written atomically by :mod:`nas_ops.infra.files`."""

from __future__ import annotations

import sys
from collections.abc import Callable

from nas_ops.errors import ConfigError, GenomeError, regular_file
from nas_ops.genome import Genome, from_json, validate
from nas_ops.spaces import rules_for


def read_genome(path: str) -> Genome:
    """A validated genome from a JSON file, or from stdin when ``path`` is ``-``."""
    where = "stdin" if path == "-" else repr(path)
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            text = regular_file(path, "genome file", "JSON file").read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"genome file {where} is not UTF-8 text") from None
    try:
        genome = from_json(text)
        return validate(genome, rules_for(genome.space))
    except GenomeError as exc:
        raise GenomeError(f"{where}: {exc}") from None


def progress_printer(prefix: str, quiet: bool) -> Callable[[str], None] | None:
    """Progress lines ``PREFIX: line`` on stderr, or None when ``quiet``."""
    if quiet:
        return None

    def say(line: str) -> None:
        print(f"{prefix}: {line}", file=sys.stderr, flush=True)

    return say
