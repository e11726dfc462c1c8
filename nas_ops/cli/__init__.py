"""The ``nas-ops`` command line.

Each sub-command lives in its own module exposing ``register(subparsers)``, which adds a parser
and sets ``func`` to a callable ``(args) -> int``. Any :class:`NasOpsError` (or a missing file)
becomes one line on stderr and exit code 2; nothing is half-written because commands write their
results only once they are complete.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from nas_ops.errors import NasOpsError

_COMMANDS = (
    "nas_ops.cli.genome_cmd",
    "nas_ops.cli.train_cmd",
    "nas_ops.cli.operators_cmd",
    "nas_ops.cli.search_cmd",
    "nas_ops.cli.study_cmd",
    "nas_ops.cli.report_cmd",
    "nas_ops.cli.compare_cmd",
    "nas_ops.cli.experiment_cmd",
    "nas_ops.cli.capacity_cmd",
    "nas_ops.cli.demo_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"nas-ops: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nas-ops", description="Neural architecture search of heterogeneous "
                     "multi-network models, with operator-effect analysis.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in _COMMANDS:  # their top level imports no torch: --help stays fast
        importlib.import_module(name).register(sub)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (schedulers, ``docker stop``), handled like Ctrl-C: what runs is stopped, its
    worker processes too, and the run directory is released."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return int(args.func(args) or 0)
    except Terminated:
        print("nas-ops: terminated", file=sys.stderr)
        return 143
    except NasOpsError as exc:
        print(f"nas-ops: error: {exc}", file=sys.stderr)
        return 2
    except FileNotFoundError as exc:
        print(f"nas-ops: error: no such file: {exc.filename}", file=sys.stderr)
        return 2
    except OSError as exc:  # a disk that fills up or turns read-only while working
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"nas-ops: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nas-ops: interrupted", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
