"""``nas-ops demo``: the main job on the embedded default, a real search and its report."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from nas_ops.cli._io import progress_printer
from nas_ops.cli.search_cmd import finish
from nas_ops.config import load_config
from nas_ops.infra.outdir import check_replaceable, check_run_out


def default_config() -> Path:
    """The packaged quickstart config (a copy of studies/quickstart.toml)."""
    return Path(str(resources.files("nas_ops") / "data" / "quickstart.toml"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the quickstart search on mnist1d, then write its report")
    p.add_argument("--config", default=None, help="default: the packaged quickstart.toml")
    p.add_argument("--out", default="runs/demo", help="run directory (default runs/demo)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else default_config()
    config = load_config(path)
    check_run_out(args.out)
    check_replaceable(Path(args.out) / "report", "report", flag="report directory")
    from nas_ops.engine import run_search  # torch: after the config and --out are checked
    from nas_ops.report import build_report
    print(f"nas-ops demo: {config.search.algorithm} search on {config.task.name} "
          f"({config.max_evals} evaluations, {config.evaluation.workers} workers), "
          f"config {path}")
    _, code = finish(lambda: run_search(config, args.out, progress=not args.quiet), args.out)
    if code:
        return code
    index = build_report(args.out, Path(args.out) / "report",
                         progress=progress_printer("report", args.quiet))
    print(f"report: {index}")
    return 0
