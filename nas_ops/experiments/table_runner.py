"""The resumable runner of the table reproduction study (docs/tables-results.md).

``OUT`` holds ``plan.json`` (budgets, provenance: versions, machine, commit, start date),
``tables.json`` (each table's facts, :mod:`nas_ops.experiments.table_facts`) and
``results.jsonl``: one JSON line per finished (table, arm, seed). A line is appended with
one ``write`` of the whole line on a file opened for appending and then flushed to disk, and
only the parent process writes. Reading skips a last line without its newline (a kill during
the write), and the runner cuts such a tail before it appends, so a run killed at any moment
(kill -9 included) resumes: finished chunks are skipped, the rest are run. Each run records
into a temporary directory under ``OUT/.scratch`` that is deleted when the run ends (and the
whole scratch directory when the runner starts).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from nas_ops._version import __version__
from nas_ops.errors import ConfigError
from nas_ops.experiments.table_arms import ARMS, arm_config, run_one, same_as_uniform
from nas_ops.experiments.table_facts import facts
from nas_ops.infra.files import write_atomic
from nas_ops.infra.lifeline import bind_to_coordinator
from nas_ops.infra.machine import cpu_name

RESULTS = "results.jsonl"
PLAN = "plan.json"
FACTS = "tables.json"
SCRATCH = ".scratch"


def read_results(path: Path) -> list[dict[str, Any]]:
    """The complete lines of a results file (a partial last line is ignored)."""
    if not path.is_file():
        return []
    text = path.read_text()
    lines = text.split("\n")
    return [json.loads(line) for line in lines[:-1] if line.strip()]


def cut_partial_tail(path: Path) -> None:
    """Drop what follows the last newline (the remains of a write a kill interrupted)."""
    if not path.is_file():
        return
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with path.open("r+b") as f:
            f.truncate(end)


def append_line(path: Path, record: dict[str, Any]) -> None:
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunk(args: tuple[str, str, int, tuple[int, ...], str, dict[str, Any] | None]
           ) -> dict[str, Any]:
    table, arm, seed, budgets, scratch, settings = args
    return run_one(table, arm, seed, budgets, scratch, settings)


def provenance() -> dict[str, Any]:
    """Versions, machine, commit and start date, for a results directory."""
    import numpy

    commit = ""
    head = Path(__file__).resolve().parents[2] / ".git"
    try:
        import subprocess

        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=head.parent, text=True,
                                capture_output=True, check=False).stdout.strip()
    except OSError:
        pass
    return {"nas_ops": __version__, "python": platform.python_version(), "cpu": cpu_name(),
            "numpy": numpy.__version__, "machine": platform.machine(),
            "cpu_count": os.cpu_count(), "commit": commit,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def example_configs(budget: int, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The run config of every algorithm (policy uniform) on nbgraph/cora and nb201/cifar10
    for seed 0, with the study's ``settings`` (the other tables, seeds and policies differ
    only in dataset, seed and the [policy] section)."""
    return {f"{t}/{a}": arm_config(t, a, 0, budget, settings).to_dict()
            for t in ("nbgraph/cora", "nb201/cifar10") for a in ARMS}


def prepare(out: Path, tables: Sequence[str], budgets: Sequence[int],
            settings: dict[str, Any] | None = None) -> None:
    """Record the plan (or check it against the one recorded: the budgets and the policy
    settings must agree) and the facts of tables not recorded yet."""
    out.mkdir(parents=True, exist_ok=True)
    plan_path = out / PLAN
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text())
        if plan["budgets"] != sorted(budgets):
            raise ConfigError(f"{out} holds runs with budgets {plan['budgets']}, not "
                              f"{sorted(budgets)}; use a new directory")
        if plan.get("settings") != settings:
            raise ConfigError(f"{out} holds runs with policy settings {plan.get('settings')}, "
                              f"not {settings}; use a new directory")
    else:
        extra = {} if settings is None else {"settings": settings}
        write_atomic(plan_path, json.dumps({"budgets": sorted(budgets), **provenance(),
                                            "configs": example_configs(max(budgets), settings),
                                            **extra},
                                           indent=1, sort_keys=True) + "\n")
    known = json.loads((out / FACTS).read_text()) if (out / FACTS).is_file() else {}
    missing = [t for t in tables if t not in known]
    if missing:
        known.update({t: facts(t) for t in missing})
        write_atomic(out / FACTS, json.dumps(known, indent=1, sort_keys=True) + "\n")


def run_all(out: str | Path, tables: Sequence[str], arms: Sequence[str], seeds: Iterable[int],
            budgets: Sequence[int], *, workers: int = 2,
            say: Callable[[str], None] = print, settings: dict[str, Any] | None = None) -> int:
    """Run every (table, arm, seed) not in ``OUT/results.jsonl`` yet; the number run. Seeds go
    first (every table and arm of a seed before the next), so a stopped study holds complete
    pairs. ``workers`` processes (1: in this process). ``settings``: the policy arms' files
    (:func:`~nas_ops.experiments.table_arms.arm_config`), recorded in the plan."""
    out = Path(out)
    prepare(out, tables, budgets, settings)
    results = out / RESULTS
    cut_partial_tail(results)
    done = {(r["table"], r["arm"], r["seed"]) for r in read_results(results)}
    scratch = out / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    todo = [(t, a, s, tuple(sorted(budgets)), str(scratch), settings) for s in seeds
            for t in tables for a in arms if (t, a, s) not in done
            and not same_as_uniform(t, a)]
    say(f"{len(done)} finished, {len(todo)} to run, {workers} worker(s)")
    start = time.perf_counter()
    try:
        if workers <= 1:
            for n, job in enumerate(todo, 1):
                append_line(results, _chunk(job))
                _progress(say, n, len(todo), start)
        else:
            # workers die with the runner (a kill -9 of it leaves nothing running)
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                     initializer=bind_to_coordinator,
                                     initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(_chunk, job) for job in todo]
                for n, fut in enumerate(as_completed(futures), 1):
                    append_line(results, fut.result())
                    _progress(say, n, len(todo), start)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return len(todo)


def _progress(say: Callable[[str], None], n: int, total: int, start: float) -> None:
    if n == total or n % 20 == 0:
        rate = (time.perf_counter() - start) / n
        say(f"{n}/{total} runs, {rate:.2f} s each, about {rate * (total - n) / 60:.0f} min "
            "left")


__all__ = ["FACTS", "PLAN", "RESULTS", "append_line", "cut_partial_tail", "prepare", "provenance",
           "read_results", "run_all"]


def read_study(out: Path) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]],
                                   list[str], list[int]]:
    """A results directory as its pages read it: the plan, the tables' facts, the finished
    records, the tables that ran (the known ones first, in their order) and the seeds."""
    from nas_ops.experiments.table_arms import TABLES

    plan = json.loads((out / PLAN).read_text())
    facts = json.loads((out / FACTS).read_text())
    records = read_results(out / RESULTS)
    ran = {r["table"] for r in records}
    tables = [t for t in TABLES if t in ran] + sorted(ran - set(TABLES))
    return plan, facts, records, tables, sorted({r["seed"] for r in records})
