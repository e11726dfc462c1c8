"""``nas-ops study CONFIG --out DIR``: the operator-characterization protocol."""

from __future__ import annotations

import argparse

from nas_ops.cli.search_cmd import finish
from nas_ops.config import load_config, with_overrides
from nas_ops.infra.outdir import check_run_out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="characterize operators: base models x single variations")
    p.add_argument("config", help="TOML config with a [study] section "
                   "(see studies/operator_effects_ci.toml)")
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config = with_overrides(load_config(args.config, require=("study",)), seed=args.seed)
    check_run_out(args.out)
    from nas_ops.engine.study import Study  # torch: after the config and --out are checked
    _, code = finish(Study(config, args.out, progress=not args.quiet).run, args.out)
    if code == 0:
        print(f"next: nas-ops report {args.out} --out {args.out}/report")
    return code
