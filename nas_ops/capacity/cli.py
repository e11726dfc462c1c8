"""`nas-ops capacity CONFIG.toml --out DIR`: run a capacity study and write its report.

The lead wires it into the main parser with :func:`add_capacity_parser` and dispatches to
:func:`run_capacity_command`. Nothing is written until everything is computed; the report is
rendered in a temporary sibling directory and renamed to ``DIR`` at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch

from ..errors import ConfigError, NasOpsError
from .of_run import write_run_report
from .report import write_report
from .study import load_config, run_study


def add_capacity_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``capacity`` sub-command."""
    p = subparsers.add_parser("capacity", help="capacity-allocation study of 1-D architectures",
                              description=__doc__.splitlines()[0])
    p.add_argument("config", type=Path,
                   help="study TOML (e.g. studies/capacity_architectures.toml), or a run "
                   "directory to analyse the best models of a search or study")
    p.add_argument("--out", type=Path, required=True, help="report directory (must not exist)")
    p.add_argument("--force", action="store_true", help="replace an existing report directory")
    p.set_defaults(func=run_capacity_command)


def run_capacity_command(args: argparse.Namespace) -> int:
    """Run the study (CONFIG is a TOML file) or analyse a run's best models (CONFIG is a run
    directory); 0 on success. NasOpsError propagates for the main CLI to print (exit 2)."""
    out: Path = args.out
    if out.exists() and not getattr(args, "force", False):
        raise ConfigError(f"--out {out} already exists; choose a new directory or pass --force")
    if Path(args.config).is_dir():
        _write_atomic(out, lambda tmp: write_run_report(args.config, tmp))
    else:
        cfg = load_config(args.config)
        threads = int(cfg.study["torch_threads"])  # type: ignore[call-overload]
        before = torch.get_num_threads()
        if threads > 0:
            torch.set_num_threads(threads)
        try:
            records = run_study(cfg)
        finally:
            torch.set_num_threads(before)
        _write_atomic(out, lambda tmp: write_report(cfg, records, tmp))
    n_png = len(list(out.glob("*.png")))
    print(f"wrote {out}/report.md, index.html, results.json and {n_png} PNGs")
    return 0


def _write_atomic(out: Path, write: Callable[[Path], None]) -> None:
    """Render into a temporary sibling directory, then rename it to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        write(tmp)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m nas_ops.capacity.cli``), same behaviour as ``nas-ops``."""
    parser = argparse.ArgumentParser(prog="nas-ops")
    add_capacity_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except NasOpsError as err:
        print(f"nas-ops: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
