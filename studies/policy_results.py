"""The policy comparison on the benchmark tables (issue 23 point 2; docs/tables-policies.md).

    python studies/policy_results.py fit OUT [--tables nbgraph/cora,...] [--bases N]
        [--check-bases N] [--seed 0]
        fits each table's effect model on its discovery bases (OUT/models/<table>.json) and
        checks it on held-out bases (OUT/models/<table>.check.json)
    python studies/policy_results.py run OUT [--seeds 0:1000] [--workers 2]
        [--tables ...] [--algorithms aging,nsga2]
        [--policies uniform,guided,frrmab,ucb,learned] [--budgets 50,100,200,500]
        [--guidelines DIR] [--temperature 0.25] [--population 20] [--tournament 5]
        runs every (table, algorithm:policy, seed) not yet in OUT/results.jsonl (resumable,
        kill -9 safe: the table study's runner); guided reads DIR/<table>.json (table with
        '/' as '_'), learned OUT/models/<table>.json; a population of 20 (tournament 5) leaves
        30 policy-chosen children within the smallest budget, 50 (at the table study's 50,
        every arm would still be in its shared random start there)
    python studies/policy_results.py summarize OUT [--doc docs/tables-policies.md]
        the results page, every number read from OUT; tests/test_study_results.py checks the
        committed page is exactly what this prints
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUIDELINES = ROOT / "studies" / "results" / "tables_opstudy" / "guidelines"
ALGORITHMS = ("aging", "nsga2")
POLICIES = ("uniform", "guided", "frrmab", "ucb", "learned")
BUDGETS = (50, 100, 200, 500)
sys.path.insert(0, str(ROOT / "studies"))  # policy_page beside this file, however loaded
from _results_cli import budgets, fail, names, parse, run_parser, seed_range  # noqa: E402
from policy_page import page  # noqa: E402


def file_name(table: str) -> str:
    return table.replace("/", "_") + ".json"


def rel(path: Path) -> str:
    """``path`` relative to the repository when inside it (the plan stays portable)."""
    full = path.resolve()
    return str(full.relative_to(ROOT)) if full.is_relative_to(ROOT) else str(full)


def summarize(out: Path) -> str:
    return page(Path(out).resolve(), ROOT)


def fit_models(out: Path, tables: list[str], bases: int | None, check_bases: int | None,
               seed: int) -> None:
    import numpy as np

    from nas_ops.experiments.effect_fit import check, discovery_rows, effect_rows, fit
    from nas_ops.infra.files import write_atomic
    from nas_ops.tables import get_table

    models = out / "models"
    models.mkdir(parents=True, exist_ok=True)
    for table in tables:
        start = time.perf_counter()
        model, rows = fit(table, seed=seed, bases=bases)
        fitted = time.perf_counter() - start
        model.write(models / file_name(table))
        name, _, dataset = table.partition("/")
        _, held = discovery_rows(len(get_table(name, dataset)), seed)
        chosen = held if check_bases is None or check_bases >= held.size else np.sort(
            np.random.default_rng([seed, 4]).choice(held, size=check_bases, replace=False))
        result = check(model, effect_rows(table, [int(b) for b in chosen]))
        result.update(table=table, fit=model.fit, fit_s=round(fitted, 1),
                      check_s=round(time.perf_counter() - start - fitted, 1))
        write_atomic(models / file_name(table).replace(".json", ".check.json"),
                     json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(f"{table}: {model.fit['rows']} rows from {model.fit['bases']} discovery bases; "
              f"held-out Spearman {result['spearman']:.3f} (within a base "
              f"{result['spearman_within_base']:.3f}); {time.perf_counter() - start:.0f} s",
              flush=True)


def main() -> None:
    from nas_ops.experiments.table_arms import TABLES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("out", type=Path)
    f.add_argument("--tables", default=",".join(TABLES))
    f.add_argument("--bases", type=int)
    f.add_argument("--check-bases", type=int)
    f.add_argument("--seed", type=int, default=0)
    r = run_parser(sub, "0:1000")
    r.add_argument("--tables", default=",".join(TABLES))
    r.add_argument("--algorithms", default=",".join(ALGORITHMS))
    r.add_argument("--policies", default=",".join(POLICIES))
    r.add_argument("--budgets", default=",".join(map(str, BUDGETS)))
    r.add_argument("--guidelines", type=Path, default=GUIDELINES)
    r.add_argument("--temperature", type=float, default=0.25)
    r.add_argument("--population", type=int, default=20)
    r.add_argument("--tournament", type=int, default=5)
    args = parse(ap, sub, summarize)
    if args is None:
        return
    tables = names(args.tables, "tables", TABLES)
    if args.cmd == "fit":
        fit_models(args.out, tables, args.bases, args.check_bases, args.seed)
        return
    algorithms = names(args.algorithms, "algorithms", ALGORITHMS)
    policies = names(args.policies, "policies", POLICIES, one="policy")
    wanted = budgets(args.budgets, args.population, "--population")
    if not 2 <= args.tournament <= args.population:
        fail(f"--tournament {args.tournament}: give 2 .. the population ({args.population})")
    settings: dict = {"temperature": args.temperature, "population": args.population,
                      "tournament": args.tournament}
    for policy, key, where in (("guided", "guidelines", args.guidelines),
                               ("learned", "models", args.out / "models")):
        if policy in policies:
            files = {t: rel(where / file_name(t)) for t in tables}
            missing = [p for p in files.values() if not Path(p).is_file()]
            if missing:
                fail(f"--policies {policy}: no file {missing[0]} (" + (
                    "run studies/table_operators.py, or give --guidelines DIR)" if policy ==
                    "guided" else "run studies/policy_results.py fit OUT first)"))
            settings[key] = files
    from nas_ops.experiments.table_runner import run_all

    os.chdir(ROOT)  # the files are recorded relative to the repository
    arms = [f"{a}:{p}" for a in algorithms for p in policies]
    run_all(args.out.resolve(), tables, arms, seed_range(args.seeds), wanted, workers=args.workers,
            say=lambda line: print(line, flush=True), settings=settings)


if __name__ == "__main__":
    main()
