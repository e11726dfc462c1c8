"""The budget x parent-state map of operator effects (issue 24, points 1 and 2).

    python studies/budget_map.py run CONFIG.toml RUN_DIR
        the study (nas-ops study); killed, it goes on with `nas-ops resume RUN_DIR`
    python studies/budget_map.py report RUN_DIR OUT.json [--seed S] [--boot N]
        break-even rules per operator and family, control drift per rule, with provenance
        (config, seed, versions, machine, date, commit: RUN_DIR.commit beside the run when
        it was written at launch, else HEAD), from the run's ledger alone
    python studies/budget_map.py summarize OUT [--doc docs/budget-map.md]
        the results page from OUT/map.json (the report, committed under studies/results/)

The analysis is :mod:`nas_ops.analysis.budget_map`; the design: studies/results/budget_map/plan.md.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from nas_ops import load_run, run_study
from nas_ops.analysis.budget_map import budget_map, cell_rows, neutral_rule
from nas_ops.analysis.effects import effect_rows
from nas_ops.analysis.rows import run_outputs
from nas_ops.infra.machine import cpu_name
from nas_ops.store.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "studies"))  # the page beside this file, however loaded
from _results_cli import parse  # noqa: E402
from budget_map_page import page  # noqa: E402


def _finite(value: Any) -> Any:
    """JSON without NaN: nan -> None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _commit(run_dir: Path) -> str:
    marker = run_dir.with_name(run_dir.name + ".commit")
    if marker.is_file():
        return marker.read_text().strip()
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                         capture_output=True, text=True)
    return out.stdout.strip()


def report(run_dir: Path, seed: int = 0, n_boot: int = 2000) -> dict[str, Any]:
    """Every number of the map of the study in ``run_dir``, with its provenance."""
    run = load_run(run_dir)
    with Ledger(run_dir, "r") as ledger:
        design = ledger.meta("cells")
        meta = {k: ledger.meta(k) for k in ("config", "versions", "seed", "created", "status",
                                            "bases")}
    if design is None:
        raise SystemExit(f"{run_dir}: not a budget-map study (no meta 'cells'; set [study] "
                         "retrain or parent_epochs)")
    every = [r["name"] for r in design["rules"]] or ["budget"]
    ladder = [r["name"] for r in design["rules"] if not r.get("states")] or ["budget"]
    states = list(design["parent_states"])
    rows = cell_rows(effect_rows(run, run_outputs(run)), design["members"])
    result = budget_map(rows, ladder, states, seed=seed, n_boot=n_boot, drift_rules=every)
    result["neutral_control"] = {s: neutral_rule(result["control_drift"], s, every)
                                 for s in states}
    costs = [i.evaluation.wall_time_s for i in run.evaluated() if i.evaluation is not None]
    return _finite({
        "run_dir": str(run_dir), "commit": _commit(run_dir), "config": meta["config"],
        "run_seed": meta["seed"],
        "versions": meta["versions"], "created": meta["created"], "status": meta["status"],
        "machine": {"cpu": cpu_name(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%d"), "evaluations": len(costs),
        "evaluation_seconds": sum(costs), "bases": meta["bases"], "design": {
            "parent_states": design["parent_states"], "rules": design["rules"]},
        "analysis": result})


def summarize(out: Path) -> str:
    return page(Path(out).resolve(), ROOT)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="budget_map.py", description=__doc__.split("\n")[1])
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("config", type=Path)
    run.add_argument("run_dir", type=Path)
    rep = sub.add_parser("report")
    rep.add_argument("run_dir", type=Path)
    rep.add_argument("out", type=Path)
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--boot", type=int, default=2000)
    args = parse(ap, sub, summarize, argv)
    if args is None:
        return 0
    if args.cmd == "run":
        run_study(args.config, args.run_dir, progress=True)
        return 0
    data = report(args.run_dir, args.seed, args.boot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
