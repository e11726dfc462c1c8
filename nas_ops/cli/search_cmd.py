"""``nas-ops search CONFIG --out RUN_DIR`` and ``nas-ops resume RUN_DIR``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from nas_ops.config import load_config, with_overrides
from nas_ops.infra.outdir import check_run_out

if TYPE_CHECKING:  # the engine imports torch: loaded when a command runs, not for --help
    from nas_ops.engine.summary import SearchSummary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("search", help="run an evolutionary search from a TOML config")
    p.add_argument("config", help="TOML config (see studies/quickstart.toml)")
    p.add_argument("--out", required=True, help="run directory (ledger, weights)")
    p.add_argument("--max-evals", type=int, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=_search)
    r = sub.add_parser("resume", help="finish a stopped search (nothing done is redone)")
    r.add_argument("run_dir")
    r.add_argument("--max-evals", type=int, default=None,
                   help="extend the run to this many evaluations (more than it has)")
    r.add_argument("--quiet", action="store_true")
    r.set_defaults(func=_resume)


def _search(args: argparse.Namespace) -> int:
    config = with_overrides(load_config(args.config), seed=args.seed, max_evals=args.max_evals)
    check_run_out(args.out)
    from nas_ops.engine import run_search  # torch: after the config and --out are checked
    return finish(lambda: run_search(config, args.out, progress=not args.quiet), args.out)[1]


def _resume(args: argparse.Namespace) -> int:
    from nas_ops.engine import resume_search

    return finish(lambda: resume_search(args.run_dir, progress=not args.quiet,
                                        max_evals=args.max_evals), args.run_dir)[1]


def finish(run: Callable[[], SearchSummary], run_dir: str) -> tuple[SearchSummary, int]:
    """Run a search or study into ``run_dir``, print its summary; the exit code is 1, with the
    reason on stderr, when every evaluation failed (the run is recorded all the same), else 0.
    A failure of the machine (a full disk) names the command that resumes the run."""
    from nas_ops.errors import AllFailedError, MachineError

    try:
        summary, failed = run(), None
    except AllFailedError as exc:
        summary, failed = exc.summary, exc
    except MachineError as exc:
        raise MachineError(exc.what, f"`nas-ops resume {run_dir}`") from None
    print("\n".join(summary.lines()))
    if failed is None:
        return summary, 0
    print(f"nas-ops: error: {failed}", file=sys.stderr)
    return summary, 1
