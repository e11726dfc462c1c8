"""One run of the table reproduction study (docs/tables-results.md): an arm (random search,
regularized evolution, local search, NSGA-II) on one benchmark table, through the engine
(``run_search``, backend ``table``), kept as a compact anytime record.

The budget counts evaluations as the engine does (``budget.max_evals``): a genome the run
evaluated before is answered from its own ledger as a duplicate, which costs no lookup but
counts, as a query does in NASLib's loops; the record also holds the distinct lookups made
within each budget. At each budget ``b`` the record holds the architecture a user of the run
would pick after ``b`` evaluations: the best by VALIDATION performance among them (the first
found on a tie), and only then its test value, looked up for the record. The test
metric never enters a choice: :func:`picks` sees validation values only.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nas_ops.config import RunConfig, config_from_dict
from nas_ops.engine.runs import run_search
from nas_ops.spaces import get_space
from nas_ops.store import load_run
from nas_ops.tables import get_table

ARMS = ("random", "aging", "local", "nsga2")
BUDGETS = (50, 100, 200, 500, 1000)
TABLES = tuple([f"nbgraph/{d}" for d in ("cora", "citeseer", "pubmed", "cs", "physics", "photo",
                                          "computers", "arxiv", "proteins")] + ["nb201/cifar10"])
POPULATION = 50
# second objective of NSGA-II (and of every arm's hypervolume): latency where the table has it
COMPLEXITY = {"nbgraph": "latency_us", "nb201": "parameters"}
# nb201's largest cell has 1.53 M parameters (log10 6.19): the reference must lie beyond it
HV_REFERENCE = {"nbgraph": {}, "nb201": {"parameters": 6.3}}
OPERATORS = {"nbgraph": ["nbgraph_change_op", "nbgraph_rewire", "nbgraph_crossover"],
             "nb201": ["nb201_change_op", "nb201_crossover"]}
_SEARCH = {  # per arm, beside population and offspring (50 each)
    "random": {},
    "aging": {"tournament": 10, "crossover_rate": 0.0},
    "local": {},
    "nsga2": {"crossover_rate": 0.2},
}


def split(table: str) -> tuple[str, str]:
    """``"nbgraph/cora"`` -> ``("nbgraph", "cora")``."""
    name, _, dataset = table.partition("/")
    return name, dataset


def arm_config(table: str, arm: str, seed: int, budget: int) -> RunConfig:
    """The run config of ``arm`` on ``table`` ("nbgraph/cora", "nb201/cifar10") for ``seed``,
    stopping after ``budget`` evaluations."""
    name, dataset = split(table)
    return config_from_dict({
        "seed": seed,
        "task": {"name": name, "options": {"dataset": dataset}},
        "space": {"name": name},
        "search": {"algorithm": arm, "population": POPULATION, "offspring": POPULATION,
                   "generations": budget, "complexity_objective": COMPLEXITY[name],
                   "hv_reference": HV_REFERENCE[name], **_SEARCH[arm]},
        "policy": {"name": "uniform", "operators": OPERATORS[name]},
        "evaluation": {"backend": "table", "inherit_weights": False},
        "budget": {"max_evals": budget},  # generations >= what it needs: max_evals stops
    })


def picks(settled: Sequence[tuple[int, float]], budgets: Sequence[int]) -> list[int | None]:
    """For each budget ``b``: the index into ``settled`` of the best validation value among the
    first ``b`` evaluations (the first on a tie; None if there are none). ``settled`` is
    ``(evaluations so far, validation value)`` per usable evaluation, in settle order."""
    out: list[int | None] = []
    best: int | None = None
    k = 0
    for b in sorted(budgets):
        while k < len(settled) and settled[k][0] <= b:
            if best is None or settled[k][1] > settled[best][1]:
                best = k
            k += 1
        out.append(best)
    return out


def record_of(run_dir: Path, table: str, budgets: Sequence[int]) -> dict[str, Any]:
    """The compact record of a finished run: per budget the pick's table key, validation and
    test value, the hypervolume of everything evaluated within the budget (the engine's own
    trace) and the distinct lookups made within it."""
    run = load_run(run_dir)
    by_uid = run.by_uid()
    space = get_space(run.config.space.name)
    settled: list[tuple[int, float]] = []
    items = []
    for point in run.hypervolume:
        ev = by_uid[point.uid].evaluation
        if ev is None or not ev.ok:
            continue
        settled.append((point.evals_done, float(ev.val["class"]["accuracy"])))
        items.append(point.uid)
    chosen = picks(settled, budgets)
    name, dataset = split(table)
    loaded = get_table(name, dataset)
    rec: dict[str, Any] = {"key": [], "val": [], "test": [], "hv": [], "lookups": []}
    for b, k in zip(sorted(budgets), chosen, strict=True):
        within = [p for p in run.hypervolume if p.evals_done <= b]
        rec["hv"].append(within[-1].value if within else 0.0)
        rec["lookups"].append(within[-1].steps_done if within else 0)
        if k is None:
            for field in ("key", "val", "test"):
                rec[field].append(None)
            continue
        ind = by_uid[items[k]]
        assert ind.evaluation is not None
        key = space.key_of(ind.genome)  # type: ignore[attr-defined]
        rec["key"].append(loaded.keys[loaded.row(key)])
        rec["val"].append(settled[k][1])
        rec["test"].append(float(ind.evaluation.test["class"]["accuracy"]))
    rec["evals"] = run.hypervolume[-1].evals_done if run.hypervolume else 0
    return rec


def run_one(table: str, arm: str, seed: int, budgets: Sequence[int],
            scratch: str | Path | None = None) -> dict[str, Any]:
    """Run ``arm`` on ``table`` with ``seed`` to the largest budget in a temporary directory
    (under ``scratch``; deleted after) and return its record, with the search's wall time."""
    budget = max(budgets)
    config = arm_config(table, arm, seed, budget)
    with tempfile.TemporaryDirectory(prefix="table-run-", dir=scratch) as tmp:
        start = time.perf_counter()
        run_search(config, Path(tmp) / "run", progress=False)
        wall = time.perf_counter() - start
        rec = record_of(Path(tmp) / "run", table, budgets)
    return {"table": table, "arm": arm, "seed": seed, "budgets": sorted(budgets), **rec,
            "wall_s": round(wall, 3)}


__all__ = ["ARMS", "BUDGETS", "COMPLEXITY", "HV_REFERENCE", "TABLES", "arm_config",
           "picks", "record_of", "run_one", "split"]
