"""``nas-ops experiment FILE --out DIR``: arms x seeds of searches, one after another, then a
comparison per group of arms (nas_ops.experiments.run); run it again to resume."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nas_ops.infra.outdir import check_experiment_out

if TYPE_CHECKING:
    from nas_ops.experiments.plan import ExperimentPlan


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("experiment", help="run every arm x seed of an experiment file, then "
                       "compare the arms (run again to resume)")
    p.add_argument("file", help="experiment TOML (see studies/guided_vs_uniform_ci.toml)")
    p.add_argument("--out", required=True, help="experiment directory (runs/, compare/)")
    p.add_argument("--dry-run", action="store_true",
                   help="check the file and list the runs with their state; run nothing")
    p.set_defaults(func=_experiment)


def _say(line: str) -> None:
    print(line, flush=True)


def _experiment(args: argparse.Namespace) -> int:
    from nas_ops.experiments.plan import load_plan

    plan = load_plan(args.file)
    out = Path(args.out)
    check_experiment_out(out)
    if args.dry_run:
        return _dry_run(plan, out)
    from nas_ops.experiments.run import run_experiment  # imports torch

    run_experiment(plan, out, say=_say)
    return 0


def _dry_run(plan: ExperimentPlan, out: Path) -> int:
    from nas_ops.experiments.plan import run_dir, run_state
    from nas_ops.experiments.run import check_arms  # imports torch

    check_arms(plan, out)
    runs = plan.runs()
    for arm, seed in runs:
        path = run_dir(out, arm, seed)
        _say(f"{arm.group} {arm.name} seed {seed}: {run_state(path)} ({path})")
    groups = ", ".join(f"{g} ({len(a)} arms)" for g, a in plan.groups().items())
    print(f"{len(runs)} runs: {len(plan.arms)} arms x {len(plan.seeds)} seeds; groups {groups}",
          file=sys.stderr)
    return 0
