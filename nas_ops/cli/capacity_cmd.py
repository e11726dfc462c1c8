"""``nas-ops capacity CONFIG --out DIR``: the capacity-allocation study (see docs/capacity.md)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    from nas_ops.capacity.cli import add_capacity_parser

    add_capacity_parser(sub)
