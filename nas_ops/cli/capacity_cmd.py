"""``nas-ops capacity CONFIG --out DIR``: the capacity-allocation study (see docs/capacity.md).

CONFIG is a study TOML (e.g. studies/capacity_architectures.toml) or the directory of a search or
study run, whose best model for each output is analysed. ``--out`` is checked before any work;
one line per model shows progress; the report is rendered into a temporary sibling directory
and renamed to ``DIR`` at the end, so a failure leaves nothing behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nas_ops.infra.outdir import check_replaceable, replacing

DESCRIPTION = ("Run a capacity-allocation study (CONFIG is a study TOML) or analyse the best model "
               "of a run for each output (CONFIG is a run directory), and write the report "
               "(report.md, index.html, results.json, PNGs) to --out. See docs/capacity.md.")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("capacity", help="capacity-allocation study of 1-D architectures, or of "
                       "the best models of a run", description=DESCRIPTION)
    p.add_argument("config", type=Path,
                   help="study TOML (e.g. studies/capacity_architectures.toml), or a run "
                   "directory to analyse the best models of a search or study")
    p.add_argument("--out", type=Path, required=True, help="report directory (new or empty)")
    p.add_argument("--force", action="store_true", help="replace an existing capacity report "
                   "(only a directory this command wrote; never a run)")
    p.set_defaults(func=run_capacity_command)


def run_capacity_command(args: argparse.Namespace) -> int:
    """Run the study (CONFIG is a TOML file) or analyse a run's best models (CONFIG is a run
    directory); 0 on success. NasOpsError propagates for the main CLI to print (exit 2)."""
    # torch and matplotlib load only when the command runs, so `nas-ops --help` stays fast
    import torch

    from nas_ops.capacity.config import load_config
    from nas_ops.capacity.of_run import analyse_run
    from nas_ops.capacity.study import run_study
    from nas_ops.report.capacity import write_run_report, write_study_report

    out: Path = args.out
    check_replaceable(out, "capacity report", force=args.force)
    if Path(args.config).is_dir():
        records = analyse_run(args.config)
        with replacing(out, "capacity report") as tmp:
            write_run_report(args.config, records, tmp)
    else:
        cfg = load_config(args.config)
        before = torch.get_num_threads()
        if cfg.study.torch_threads > 0:
            torch.set_num_threads(cfg.study.torch_threads)
        try:
            study = run_study(cfg)
        finally:
            torch.set_num_threads(before)
        with replacing(out, "capacity report") as tmp:
            write_study_report(cfg, study, tmp)
    n_png = len(list(out.glob("*.png")))
    print(f"wrote {out}/report.md, index.html, results.json and {n_png} PNGs")
    return 0
