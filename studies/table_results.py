"""The table reproduction study (issue 22; docs/tables-results.md): run it, and write its page.

    python studies/table_results.py run OUT [--seeds 0:300] [--workers 2]
        [--tables nbgraph/cora,...] [--arms random,aging,local,nsga2] [--budgets 50,...,1000]
        runs every (table, arm, seed) not yet in OUT/results.jsonl; run it again to resume
        (a kill, -9 included, loses at most the runs under way)
    python studies/table_results.py summarize OUT [--doc docs/tables-results.md]
        the results page, every number read from OUT (results.jsonl, tables.json, plan.json)
        and from studies/results/nbgraph_paper.json (stdout, or written to --doc);
        tests/test_study_results.py checks the committed page is exactly what this prints

Numbers in the docs come from here, never typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAPER = ROOT / "studies" / "results" / "nbgraph_paper.json"
sys.path.insert(0, str(ROOT / "studies"))  # table_page beside this file, however loaded
from _results_cli import add_summarize, emit  # noqa: E402
from table_page import page  # noqa: E402


def _seeds(text: str) -> range:
    low, _, high = text.partition(":")
    try:
        return range(int(low), int(high)) if high else range(int(low), int(low) + 1)
    except ValueError:
        raise SystemExit(f"--seeds {text!r}: give FIRST:END (END excluded), e.g. 0:300") from None


def summarize(out: Path) -> str:
    return page(Path(out).resolve(), PAPER, ROOT)


def main() -> None:
    from nas_ops.experiments.table_arms import ARMS, BUDGETS, TABLES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("--seeds", default="0:300")
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--tables", default=",".join(TABLES))
    r.add_argument("--arms", default=",".join(ARMS))
    r.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    add_summarize(sub)
    args = ap.parse_args()
    if args.cmd == "summarize":
        emit(summarize(args.out.resolve()), args.doc)
        return
    tables, arms = args.tables.split(","), args.arms.split(",")
    for what, given, valid in (("table", tables, TABLES), ("arm", arms, ARMS)):
        bad = [x for x in given if x not in valid]
        if bad:
            print(f"--{what}s: unknown {what} {bad[0]!r}; valid: {', '.join(valid)}",
                  file=sys.stderr)
            raise SystemExit(2)
    try:
        budgets = [int(b) for b in args.budgets.split(",")]
    except ValueError:
        print(f"--budgets {args.budgets!r}: give integers, e.g. 50,100,1000", file=sys.stderr)
        raise SystemExit(2) from None
    from nas_ops.experiments.table_runner import run_all

    run_all(args.out, tables, arms, _seeds(args.seeds), budgets, workers=args.workers,
            say=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
