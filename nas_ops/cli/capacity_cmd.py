"""``nas-ops capacity CONFIG --out DIR``: the capacity-allocation study (see docs/capacity.md).

The parser is declared here and the study imported only when the command runs, so that
``nas-ops --help`` does not import torch.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("capacity", help="capacity-allocation study of 1-D architectures",
                       description="Capacity-allocation study of architectures, or of the best "
                       "models of a run.")
    p.add_argument("config", type=Path,
                   help="study TOML (e.g. studies/capacity_architectures.toml), or a run "
                   "directory to analyse the best models of a search or study")
    p.add_argument("--out", type=Path, required=True, help="report directory (must not exist)")
    p.add_argument("--force", action="store_true", help="replace an existing report directory")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from nas_ops.capacity.cli import run_capacity_command  # torch: only when it runs

    return run_capacity_command(args)
