"""``nas-ops compare RUN... --out DIR``: searches compared by hypervolume, grouped by policy and
paired by seed, at equal training steps."""

from __future__ import annotations

import argparse
from pathlib import Path

from nas_ops.infra.outdir import check_replaceable, replacing


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare searches of several policies by hypervolume "
                       "(paired by seed, at equal training steps)")
    p.add_argument("runs", nargs="+", help="run directories of searches (one per policy and "
                   "seed; the policy is read from each run's config)")
    p.add_argument("--out", required=True, help="comparison directory (created, or replaced if it "
                   "holds a comparison)")
    p.add_argument("--reference", default=None, metavar="POLICY",
                   help="the policy whose final hypervolume, per seed, the others' training "
                   "steps are measured against (speed-ups; default: none)")
    p.add_argument("--symmetric", type=float, default=None, metavar="SHARE",
                   help="with --reference: measure the speed-ups against SHARE (e.g. 0.9) of "
                   "the smaller of the two runs' final hypervolumes of each seed instead")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default 0)")
    p.add_argument("--allow-unfinished", action="store_true",
                   help="compare unfinished runs too, at the training steps they spent "
                   "(refused otherwise)")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from nas_ops.analysis.compare import compare_runs
    from nas_ops.report.compare import render_comparison

    out = Path(args.out)
    check_replaceable(out, "comparison")
    cmp = compare_runs(args.runs, seed=args.seed, reference=args.reference,
                       allow_unfinished=args.allow_unfinished, speedup_share=args.symmetric)
    with replacing(out, "comparison") as tmp:
        render_comparison(cmp, tmp)
    print(out / "index.html")
    print(cmp.verdict)
    return 0
