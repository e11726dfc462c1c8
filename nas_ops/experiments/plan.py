"""An experiment file: one base run config, arms that change it, seeds that every arm runs.

::

    [experiment]
    first_seed = 100          # seeds 100 .. 100 + n_seeds - 1; or seeds = [100, 101, ...]
    n_seeds = 12
    speedup_share = 0.9       # optional: speed-ups to 0.9 x the smaller final hypervolume of
                              # the pair (symmetric; default: the reference arm's final)

    [base]                    # a search config (as for `nas-ops search`), without seed
    task = {name = "mnist1d", n_train = 1000}
    search = {population = 8, offspring = 8, generations = 50}
    budget = {epochs = 10, total_steps = 3000}

    [arms]                    # one line per arm: sections whose keys replace the base's
    uniform = {policy = {name = "uniform"}}
    adaptive = {policy = {name = "adaptive"}}
    digits_uniform = {group = "digits", task = {name = "digits"}, policy = {name = "uniform"}}

An arm's table names sections of a run config; each key given replaces the base's key in that
section (a whole table value, such as ``policy.weights``, is replaced, not merged). ``group``
(default ``"main"``) says which arms are compared with each other: arms of different tasks
belong to different groups, and the arms of one group must share what the comparison pairs
them on (:data:`SHARED`: task, space, budget, population, hypervolume reference). Every arm x
seed config is built and validated before anything runs; a mistake is one line naming the arm.
Arm names become directory names.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_ops.config import RunConfig, config_from_dict, read_toml
from nas_ops.errors import ConfigError
from nas_ops.store.ledger import LEDGER_NAME, Ledger

MAIN_GROUP = "main"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_TOP = ("experiment", "base", "arms")
_EXPERIMENT_KEYS = ("seeds", "first_seed", "n_seeds", "speedup_share")
MAX_SEEDS = 10_000  # a typo guard
# what the arms of one group must share, or `compare` could not pair their runs (section, key;
# None: the whole section)
SHARED: tuple[tuple[str, str | None], ...] = (
    ("task", None), ("space", None), ("budget", None), ("search", "population"),
    ("search", "hv_reference"), ("search", "complexity_objective"))


@dataclass(frozen=True)
class Arm:
    name: str
    group: str
    config: dict[str, Any]  # the run config of this arm, without seed (TOML-shaped)

    def run_config(self, seed: int) -> RunConfig:
        return config_from_dict({**self.config, "seed": seed})


@dataclass(frozen=True)
class ExperimentPlan:
    """Arms x seeds. ``runs()`` lists them seed-major, so that an experiment stopped early
    holds complete pairs of the first seeds."""

    arms: tuple[Arm, ...]
    seeds: tuple[int, ...]
    speedup_share: float | None = None  # the comparisons' symmetric speed-up target

    def groups(self) -> dict[str, list[Arm]]:
        out: dict[str, list[Arm]] = {}
        for arm in self.arms:
            out.setdefault(arm.group, []).append(arm)
        return out

    def runs(self) -> list[tuple[Arm, int]]:
        return [(arm, seed) for seed in self.seeds for arm in self.arms]

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.speedup_share is None else {"speedup_share": self.speedup_share}
        return {"seeds": list(self.seeds), **extra,
                "arms": {a.name: {"group": a.group, "config": a.config} for a in self.arms}}


def run_dir(out: Path, arm: Arm, seed: int) -> Path:
    """Where an experiment in ``out`` keeps the run of ``arm`` and ``seed``."""
    return out / "runs" / arm.name / f"seed-{seed}"


def run_state(path: Path) -> str:
    """``finished``, ``interrupted`` (a ledger, not finished) or ``new``."""
    if not (path / LEDGER_NAME).is_file():
        return "new"
    with Ledger(path, "r") as ledger:
        return "finished" if ledger.meta("status") == "finished" else "interrupted"


def _int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    return value


def _seeds(table: Any) -> tuple[int, ...]:
    if not isinstance(table, dict):
        raise ConfigError("[experiment] must be a table")
    unknown = sorted(set(table) - set(_EXPERIMENT_KEYS))
    if unknown:
        raise ConfigError(f"unknown key experiment.{unknown[0]}; valid keys: "
                          f"{', '.join(_EXPERIMENT_KEYS)}")
    if "seeds" in table:
        if "first_seed" in table or "n_seeds" in table:
            raise ConfigError("experiment: give either seeds = [...] or first_seed and n_seeds, "
                              "not both")
        if not isinstance(table["seeds"], list):
            raise ConfigError(f"experiment.seeds must be a list of integers, got "
                              f"{table['seeds']!r}")
        seeds = [_int(f"experiment.seeds[{k}]", s) for k, s in enumerate(table["seeds"])]
    else:
        if "n_seeds" not in table:
            raise ConfigError("experiment: give seeds = [...] or first_seed and n_seeds "
                              "(e.g. first_seed = 100, n_seeds = 12)")
        first = _int("experiment.first_seed", table.get("first_seed", 0))
        n = _int("experiment.n_seeds", table["n_seeds"])
        if not 1 <= n <= MAX_SEEDS:
            raise ConfigError(f"experiment.n_seeds must be in [1, {MAX_SEEDS}], got {n}")
        seeds = list(range(first, first + n))
    if not seeds:
        raise ConfigError("experiment.seeds is empty; give at least one seed")
    twice = sorted({s for s in seeds if seeds.count(s) > 1})
    if twice:
        raise ConfigError(f"experiment.seeds repeats {', '.join(map(str, twice))}")
    return tuple(seeds)


def _share(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"experiment.speedup_share must be a number in (0, 1], got {value!r}")
    return float(value)


def _arm(name: Any, table: Any, base: dict[str, Any]) -> Arm:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"arm name {name!r} is not valid: use letters, digits, _ and - "
                          "(it names a directory)")
    if not isinstance(table, dict):
        raise ConfigError(f"arms.{name} must be a table of sections, e.g. "
                          f"{name} = {{policy = {{name = \"uniform\"}}}}")
    group = table.get("group", MAIN_GROUP)
    if not isinstance(group, str) or not _NAME.fullmatch(group):
        raise ConfigError(f"arms.{name}.group = {group!r} is not valid: use letters, digits, "
                          "_ and -")
    config = copy.deepcopy(base)
    for section, values in table.items():
        if section == "group":
            continue
        if section == "seed":
            raise ConfigError(f"arms.{name}: seed is set by [experiment], not by an arm")
        if not isinstance(values, dict):
            raise ConfigError(f"arms.{name}.{section} must be a table of keys of [{section}]")
        config.setdefault(section, {})
        if not isinstance(config[section], dict):
            raise ConfigError(f"base.{section} must be a table")
        config[section].update(copy.deepcopy(values))
    try:
        config_from_dict({**config, "seed": 0})  # every key and value checked now
    except ConfigError as exc:
        raise ConfigError(f"arms.{name}: {exc}") from None
    return Arm(name, group, config)


def plan_from_dict(data: dict[str, Any]) -> ExperimentPlan:
    unknown = sorted(set(data) - set(_TOP))
    if unknown:
        raise ConfigError(f"unknown table [{unknown[0]}]; an experiment file has "
                          f"{', '.join(f'[{t}]' for t in _TOP)}")
    for table in _TOP:
        if table not in data:
            raise ConfigError(f"the experiment file has no [{table}] table (see "
                              "studies/guided_vs_uniform_ci.toml)")
    seeds = _seeds(data["experiment"])
    base = data["base"]
    if not isinstance(base, dict):
        raise ConfigError("[base] must be a table")
    if "seed" in base:
        raise ConfigError("base.seed: seeds are set by [experiment] (first_seed, n_seeds)")
    if not isinstance(data["arms"], dict) or len(data["arms"]) < 2:
        raise ConfigError("[arms] must name at least two arms, e.g. "
                          "uniform = {policy = {name = \"uniform\"}}")
    arms = tuple(_arm(name, table, base) for name, table in data["arms"].items())
    plan = ExperimentPlan(arms, seeds, _share(data["experiment"].get("speedup_share")))
    for group, members in plan.groups().items():
        if len(members) < 2:
            raise ConfigError(f"group {group!r} has only arm {members[0].name!r}; every group "
                              "needs at least two arms to compare")
        _check_shared(group, members)
    return plan


def _shared(arm: Arm, section: str, key: str | None) -> dict[str, Any]:
    """The values of ``section`` (one ``key``, or every key) in ``arm``'s validated config."""
    table = config_from_dict({**arm.config, "seed": 0}).to_dict().get(section, {})
    return {f"{section}.{k}": v for k, v in table.items() if key is None or k == key}


def _check_shared(group: str, arms: list[Arm]) -> None:
    """Refuse, naming the arm and the key, a group whose arms differ in what their runs are
    paired on."""
    first = arms[0]
    for section, key in SHARED:
        want = _shared(first, section, key)
        for arm in arms[1:]:
            got = _shared(arm, section, key)
            for name in sorted(set(want) | set(got)):
                if got.get(name) != want.get(name):
                    raise ConfigError(
                        f"arms.{arm.name}: {name} = {json.dumps(got.get(name))} differs from "
                        f"arm {first.name!r} ({json.dumps(want.get(name))}) in group {group!r}, "
                        "so their runs cannot be compared; give the arm another group "
                        "(group = \"...\") or the same value")


def load_plan(path: str | Path) -> ExperimentPlan:
    """The plan of an experiment TOML file; one-line :class:`ConfigError` naming the file."""
    data = read_toml(path)
    try:
        return plan_from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def check_against(recorded: dict[str, Any], plan: ExperimentPlan) -> None:
    """Refuse ``plan`` when an arm of the recorded plan (``plan.json``) has the same name and
    another config or group: its runs were made for the old one. Arms and seeds may be added
    or left out (an experiment can be extended with more seeds)."""
    now = json.loads(json.dumps(plan.to_dict()))["arms"]
    for name, arm in recorded.get("arms", {}).items():
        if name in now and now[name] != arm:
            raise ConfigError(f"arm {name!r} differs from the one this experiment directory "
                              "ran; rename the arm or use a new --out directory")
