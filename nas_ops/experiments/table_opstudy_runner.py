"""The resumable runner of the table operator study (docs/tables-operators.md).

``OUT`` holds ``plan.json`` (seed, alpha, partners, bases; per table the families and the
detectable effect, written before any table runs; provenance: versions, machine, commit, start
date), and per finished table ``cells/<name>_<dataset>.json`` (every cell's statistics on both
halves, the operators' neighbourhoods, CPU time) and ``guidelines/<name>_<dataset>.json`` (the
table's guidelines, the project's format). Each file is written atomically, the guidelines
first: a table whose cells file exists is done, and a run stopped at any moment (kill -9
included) resumes with the tables not done.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError
from nas_ops.experiments.table_opstudy import ALPHA, BINS, PARTNERS, plan_table, study_table
from nas_ops.experiments.table_runner import provenance
from nas_ops.guidelines_format import dumps
from nas_ops.infra.files import write_atomic

PLAN = "plan.json"
CELLS = "cells"
GUIDELINES = "guidelines"


def file_name(table: str) -> str:
    return table.replace("/", "_") + ".json"


def _settings(seed: int, partners: int, bases: int | None) -> dict[str, Any]:
    return {"seed": seed, "alpha": ALPHA, "partners": partners, "bases": bases, "bins": BINS}


def prepare(out: Path, tables: Sequence[str], seed: int, partners: int,
            bases: int | None) -> dict[str, Any]:
    """Record the plan, or check it against the recorded one (same settings) and add the
    families of tables it lacks."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / PLAN
    settings = _settings(seed, partners, bases)
    if path.is_file():
        plan = json.loads(path.read_text())
        if {k: plan.get(k) for k in settings} != settings:
            raise ConfigError(f"{out} holds a study with {plan.get('seed')=}, "
                              f"{plan.get('partners')=}, {plan.get('bases')=}; not these "
                              "settings: use a new directory")
    else:
        plan = {**settings, **provenance(), "tables": {}}
    missing = [t for t in tables if t not in plan["tables"]]
    if missing or not path.is_file():
        plan["tables"].update({t: plan_table(t, seed, bases) for t in missing})
        write_atomic(path, json.dumps(plan, indent=1, sort_keys=True) + "\n")
    return plan


def run_all(out: str | Path, tables: Sequence[str], seed: int = 0, *,
            partners: int = PARTNERS, bases: int | None = None,
            say: Callable[[str], None] = print) -> int:
    """Study every table of ``tables`` not done in ``out``; the number studied."""
    out = Path(out)
    prepare(out, tables, seed, partners, bases)
    (out / CELLS).mkdir(exist_ok=True)
    (out / GUIDELINES).mkdir(exist_ok=True)
    todo = [t for t in tables if not (out / CELLS / file_name(t)).is_file()]
    say(f"{len(tables) - len(todo)} table(s) done, {len(todo)} to study")
    for t in todo:
        start = time.perf_counter()
        result = study_table(t, seed, bases=bases, partners=partners)
        doc = result.pop("guidelines")
        result["wall_s"] = time.perf_counter() - start
        write_atomic(out / GUIDELINES / file_name(t), dumps(doc) + "\n")
        write_atomic(out / CELLS / file_name(t),
                     json.dumps(_plain(result), sort_keys=True) + "\n")
        say(f"{t}: {result['cpu_s']['total']:.1f} s CPU; {doc['verdict']}")
    return len(todo)


def _plain(obj: Any) -> Any:
    """JSON has no NaN: non-finite numbers as null (as in the guidelines format)."""
    from nas_ops.guidelines_format import finite

    return finite(obj)


def read_study(out: str | Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]],
                                         dict[str, dict[str, Any]]]:
    """(plan, cells per table, guidelines per table) of a results directory, tables in the
    plan's order, finished ones only."""
    out = Path(out)
    plan = json.loads((out / PLAN).read_text())
    cells, guides = {}, {}
    for t in plan["tables"]:
        f = out / CELLS / file_name(t)
        if f.is_file():
            cells[t] = json.loads(f.read_text())
            guides[t] = json.loads((out / GUIDELINES / file_name(t)).read_text())
    return plan, cells, guides


__all__ = ["CELLS", "GUIDELINES", "PLAN", "file_name", "prepare", "read_study", "run_all"]
