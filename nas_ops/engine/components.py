"""What a run is made of besides its config: the operators, the task and the search space that
were registered when it started, with the distribution (package and version) each came from.

A new run records them in the ledger (meta ``components``, schema 3); a resumed run uses exactly
the recorded operator set, whatever is installed now, so installing or removing a plugin cannot
change a run. An empty ``[policy] operators`` means "what was registered when the run started".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from nas_ops.config import RunConfig
from nas_ops.errors import ConfigError
from nas_ops.registry import Registry
from nas_ops.spaces import SPACES
from nas_ops.store.ledger import LEDGER_NAME, Ledger
from nas_ops.tasks.registry import TASKS
from nas_ops.variation import OPERATORS, RETRAIN_CONTROL

Components = dict[str, Any]


#: how a run records the engine's own no-edit variation among its operators
_RETRAIN = {"name": RETRAIN_CONTROL, "distribution": "", "version": 1}


def _entry(registry: Registry[Any], name: str) -> dict[str, str]:
    return {"name": name, "distribution": registry.origin(name)}


def resolve(config: RunConfig) -> Components:
    """The components ``config`` resolves to now (an unknown operator name is an error)."""
    names = config.policy.operators or OPERATORS.names()
    unknown = [n for n in names if n != RETRAIN_CONTROL and n not in OPERATORS]
    if unknown:
        raise ConfigError(f"policy.operators: unknown operator {unknown[0]!r}; valid choices: "
                          f"{', '.join([*OPERATORS.names(), RETRAIN_CONTROL])}")
    operators = [_RETRAIN if n == RETRAIN_CONTROL else
                 {**_entry(OPERATORS, n), "version": OPERATORS.get(n).version} for n in names]
    return {"operators": operators, "task": _entry(TASKS, config.task.name),
            "space": _entry(SPACES, config.space.name)}


def _source(entry: dict[str, Any]) -> str:
    dist = entry.get("distribution") or ""
    return f" (distribution {dist})" if dist else ""


def check(recorded: Components) -> list[str]:
    """The operator names of a recorded run, once everything it used is known to be installed
    now at the recorded version; else one line naming what is missing and its distribution."""
    for key, kind, registry in (("task", "task", TASKS), ("space", "search space", SPACES)):
        entry = recorded.get(key)
        if entry and entry["name"] not in registry:
            raise ConfigError(f"this run used {kind} {entry['name']!r}{_source(entry)}, which is "
                              "not installed now; install it to resume the run")
    names = []
    for entry in recorded["operators"]:
        name = entry["name"]
        if name == RETRAIN_CONTROL:  # the engine's own variation (nas_ops.engine.breeding)
            names.append(name)
            continue
        if name not in OPERATORS:
            raise ConfigError(f"this run used operator {name!r}{_source(entry)}, which is not "
                              "installed now; install it to resume the run")
        now = OPERATORS.get(name).version
        if now != entry["version"]:
            raise ConfigError(f"this run used operator {name!r} version {entry['version']}"
                              f"{_source(entry)}, but version {now} is installed now; install "
                              "the run's version to resume it")
        names.append(name)
    return names


def recorded_meta(run_dir: Path, key: str) -> Any:
    """The meta value ``key`` a run directory recorded; None for a new directory, a ledger
    without it, or a file that is not a ledger (opening it for writing reports that)."""
    if not (run_dir / LEDGER_NAME).is_file():
        return None
    try:
        ledger = Ledger(run_dir, "r")
        try:
            return ledger.meta(key)
        finally:
            ledger.close()
    except sqlite3.Error:
        return None


def recorded_components(run_dir: Path) -> Components | None:
    """The components a run directory recorded; None for a new directory, or a run recorded
    before schema 3 (which resumes with the operators registered now)."""
    return recorded_meta(run_dir, "components")  # type: ignore[no-any-return]
