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
from _results_cli import budgets, names, parse, run_parser, seed_range  # noqa: E402
from table_page import page  # noqa: E402


def summarize(out: Path) -> str:
    return page(Path(out).resolve(), PAPER, ROOT)


def main() -> None:
    from nas_ops.experiments.table_arms import ARMS, BUDGETS, TABLES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = run_parser(sub, "0:300")
    r.add_argument("--tables", default=",".join(TABLES))
    r.add_argument("--arms", default=",".join(ARMS))
    r.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    args = parse(ap, sub, summarize)
    if args is None:
        return
    tables, arms = names(args.tables, "tables", TABLES), names(args.arms, "arms", ARMS)
    wanted = budgets(args.budgets)
    from nas_ops.experiments.table_runner import run_all

    run_all(args.out, tables, arms, seed_range(args.seeds), wanted, workers=args.workers,
            say=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
