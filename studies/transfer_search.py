"""Guidelines across datasets in a search (issue 23 point 3, search level;
docs/tables-transfer-search.md): regularized evolution on each nbgraph dataset under `uniform`,
under `guided` with the dataset's own guidelines, and under `transfer`: guided with a source
dataset's guidelines (its rules, the target's own percentile bounds:
``nas_ops.experiments.table_transfer.transferred``). Plan, written before the run:
studies/results/policy_transfer/plan.md.

    python studies/transfer_search.py run OUT [--source nbgraph/cora] [--seeds 0:300]
        [--workers 2] [--targets ...] [--budgets 50,100,200,500]
        writes OUT/guidelines/<target>.json (the transferred guidelines; derived from the
        committed operator-study guidelines, checked again on a resume), then runs every
        (target, arm, seed) not yet in OUT/results.jsonl (resumable, kill -9 safe: the table
        study's runner)
    python studies/transfer_search.py summarize OUT [--doc docs/tables-transfer-search.md]
        the results page, every number read from OUT
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # the sibling scripts, however this one is loaded
from _results_cli import budgets, fail, names, parse, run_parser, seed_range  # noqa: E402
from policy_results import GUIDELINES, file_name, rel  # noqa: E402

ARMS = ("aging:uniform", "aging:guided", "aging:transfer")
BUDGETS = (50, 100, 200, 500)
POPULATION, TOURNAMENT = 20, 5  # as the policy comparison (docs/tables-policies.md)


def summarize(out: Path) -> str:
    from transfer_search_page import page

    return page(Path(out).resolve(), ROOT)


def derive(out: Path, source: str, targets: list[str], guidelines: Path) -> dict[str, str]:
    """Write (or check) OUT/guidelines/<target>.json for every target; target -> its path
    relative to the repository."""
    from nas_ops.experiments.table_transfer import transferred
    from nas_ops.infra.files import write_atomic

    src = json.loads((guidelines / file_name(source)).read_text())
    folder = out / "guidelines"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for t in targets:
        text = json.dumps(transferred(src, json.loads((guidelines / file_name(t)).read_text())),
                          sort_keys=True) + "\n"
        path = folder / file_name(t)
        if path.is_file() and path.read_text() != text:
            fail(f"{path}: differs from the guidelines derived now from {guidelines}; "
                 "use a new OUT")
        if not path.is_file():
            write_atomic(path, text)
        files[t] = rel(path)
    return files


def main() -> None:
    from nas_ops.experiments.table_arms import TABLES

    nbgraph = [t for t in TABLES if t.startswith("nbgraph/")]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = run_parser(sub, "0:300")
    r.add_argument("--source", default="nbgraph/cora")
    r.add_argument("--targets", help="default: every other nbgraph dataset")
    r.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    r.add_argument("--guidelines", type=Path, default=GUIDELINES)
    args = parse(ap, sub, summarize)
    if args is None:
        return
    source = names(args.source, "source", nbgraph, one="table")[0]
    targets = names(args.targets, "targets", nbgraph) if args.targets else [
        t for t in nbgraph if t != source]
    if source in targets:
        fail(f"--targets: {source} is the source; its own guidelines are arm guided")
    wanted = budgets(args.budgets, POPULATION)
    missing = [t for t in [source, *targets] if not (args.guidelines / file_name(t)).is_file()]
    if missing:
        fail(f"--guidelines: no file {args.guidelines / file_name(missing[0])} (run "
             "studies/table_operators.py, or give --guidelines DIR)")
    out = args.out.resolve()
    settings = {"population": POPULATION, "tournament": TOURNAMENT, "transfer_from": source,
                "guidelines": {t: rel(args.guidelines / file_name(t)) for t in targets},
                "transferred": derive(out, source, targets, args.guidelines)}
    from nas_ops.experiments.table_runner import run_all

    os.chdir(ROOT)  # the files are recorded relative to the repository
    run_all(out, targets, ARMS, seed_range(args.seeds), wanted, workers=args.workers,
            say=lambda line: print(line, flush=True), settings=settings)


if __name__ == "__main__":
    main()
