"""``nas-ops report RUN_DIR --out REPORT_DIR``: the operator-effect report of a search or study."""

from __future__ import annotations

import argparse

from nas_ops.cli._io import progress_printer
from nas_ops.infra.outdir import check_replaceable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the operator-effect report of a run "
                       "(HTML, Markdown, figures, tables, guidelines)")
    p.add_argument("run_dir", help="run directory of a search or study (holds ledger.sqlite)")
    p.add_argument("--out", required=True,
                   help="report directory (created, or replaced if it holds a report)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the bootstrap and of the discovery / held-out split of the "
                        "base models (default 0)")
    p.add_argument("--allow-untrained", action="store_true",
                   help="let base models at chance level count for the guidelines")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from nas_ops.errors import ConfigError

    if args.seed < 0:
        raise ConfigError(f"--seed must be >= 0, got {args.seed}")
    check_replaceable(args.out, "report")
    from nas_ops.report import build_report

    print(build_report(args.run_dir, args.out, seed=args.seed,
                       allow_untrained=args.allow_untrained,
                       progress=progress_printer("report", args.quiet)))
    return 0
