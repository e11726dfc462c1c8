"""The operator study on the benchmark tables (issue 23 point 1; docs/tables-operators.md).

    python studies/table_operators.py run OUT [--seed 0] [--partners 2] [--bases N]
        [--tables nbgraph/cora,...]
        studies every table not yet done in OUT (run it again to resume); --bases N takes N
        random architectures of each table as bases instead of all (the CI size)
    python studies/table_operators.py summarize OUT [--doc docs/tables-operators.md]
        the results page, every number read from OUT (stdout, or written to --doc);
        tests/test_study_results.py checks the committed page is exactly what this prints

Numbers in the docs come from here, never typed by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # table_operators_page beside this file
from _results_cli import parse  # noqa: E402
from table_operators_page import page  # noqa: E402


def summarize(out: Path) -> str:
    return page(Path(out).resolve(), ROOT)


def main() -> None:
    from nas_ops.experiments.table_arms import TABLES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--partners", type=int, default=2)
    r.add_argument("--bases", type=int, default=None)
    r.add_argument("--tables", default=",".join(TABLES))
    args = parse(ap, sub, summarize)
    if args is None:
        return
    tables = args.tables.split(",")
    bad = [t for t in tables if t not in TABLES]
    if bad:
        print(f"--tables: unknown table {bad[0]!r}; valid: {', '.join(TABLES)}", file=sys.stderr)
        raise SystemExit(2)
    for flag, value, least in (("--partners", args.partners, 1), ("--bases", args.bases, 4)):
        if value is not None and value < least:
            print(f"{flag} {value}: give at least {least}", file=sys.stderr)
            raise SystemExit(2)
    from nas_ops.experiments.table_opstudy_runner import run_all

    run_all(args.out, tables, args.seed, partners=args.partners, bases=args.bases,
            say=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
