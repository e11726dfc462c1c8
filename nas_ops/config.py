"""Run configuration (TOML): parsed and validated before anything runs.

Every section is a frozen dataclass; unknown keys and bad values raise :class:`ConfigError` with one
line naming the key, the value and the valid choices.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError

ALGORITHMS = ("nsga2", "mu_plus_lambda", "aging")
POLICIES = ("uniform", "weights", "adaptive")
BACKENDS = ("auto", "local", "pool", "batched", "ray")
RETRAIN = ("affected", "all")
COMPLEXITY = ("parameters", "flops", "networks", "none")


@dataclass(frozen=True)
class TaskConfig:
    name: str = "mnist1d"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpaceConfig:
    name: str = "multinet"


@dataclass(frozen=True)
class SearchConfig:
    algorithm: str = "nsga2"
    population: int = 8
    offspring: int = 8
    generations: int = 4
    complexity_objective: str = "parameters"
    output_weights: dict[str, float] = field(default_factory=dict)  # scalarization (mu+lambda)
    tournament: int = 3  # parent selection sample size
    async_lag: int = 4  # aging: children bred ahead of the results told
    crossover_rate: float = 0.1
    max_attempts: int = 10  # operator draws per offspring before giving up on a parent
    safe_outputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PolicyConfig:
    name: str = "uniform"
    operators: list[str] = field(default_factory=list)  # empty = every registered operator
    weights: dict[str, float] = field(default_factory=dict)
    exploration: float = 0.5  # adaptive: UCB exploration constant


@dataclass(frozen=True)
class EvaluationConfig:
    backend: str = "auto"
    workers: int = 1
    device: str = "auto"
    inherit_weights: bool = True
    retrain: str = "affected"
    reuse_duplicates: bool = True
    torch_threads: int = 1
    sample_score: bool = False
    diagnose: bool = False  # store network x output diagnosis of every evaluated model
    address: str = "local"  # ray
    cpus_per_task: float = 1.0  # ray
    gpus_per_task: float = 0.0  # ray
    max_retries: int = 2  # ray


@dataclass(frozen=True)
class BudgetConfig:
    epochs: int = 2
    max_steps: int = 0  # 0 = no cap
    time_limit_s: float = 0.0  # per evaluation; 0 = none
    max_evals: int = 0  # 0 = population + offspring * generations


@dataclass(frozen=True)
class StudyConfig:
    """Operator-effect study: ``base_models`` sampled and trained, then ``variations``
    independent single variations of each (``per_operator``: that many of every operator;
    ``drawn``: that many in all, operators drawn uniformly as in a search)."""

    base_models: int = 4
    variations: int = 2
    mode: str = "per_operator"
    operators: list[str] = field(default_factory=list)  # empty = every arity-1 operator
    controls: int = 0  # per base model: retrain-only children (no edit), the effect baseline


@dataclass(frozen=True)
class RunConfig:
    task: TaskConfig = TaskConfig()
    space: SpaceConfig = SpaceConfig()
    search: SearchConfig = SearchConfig()
    policy: PolicyConfig = PolicyConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    budget: BudgetConfig = BudgetConfig()
    study: StudyConfig = StudyConfig()
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def max_evals(self) -> int:
        s = self.search
        return self.budget.max_evals or s.population + s.offspring * s.generations


_CHOICES = {
    ("search", "algorithm"): ALGORITHMS,
    ("search", "complexity_objective"): COMPLEXITY,
    ("policy", "name"): POLICIES,
    ("evaluation", "backend"): BACKENDS,
    ("evaluation", "retrain"): RETRAIN,
    ("study", "mode"): ("per_operator", "drawn"),
}
_POSITIVE = {("search", "population"), ("search", "offspring"), ("search", "generations"),
             ("budget", "epochs"), ("evaluation", "workers"), ("evaluation", "torch_threads"),
             ("search", "tournament"), ("search", "max_attempts"), ("search", "async_lag"),
             ("study", "base_models"), ("study", "variations")}


def _coerce(where: str, value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, got {value!r}")
        return value
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        return [_coerce(f"{where}[{i}]", v, item) for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, got {value!r}")
        if item is Any:
            return dict(value)
        return {k: _coerce(f"{where}.{k}", v, item) for k, v in value.items()}
    if isinstance(tp, types.UnionType):  # pragma: no cover - not used by the schema
        return value
    return value


def parse_section(name: str, cls: type, raw: Any) -> Any:
    """A ``cls`` instance from the TOML table ``[name]``: keys checked, values coerced."""
    if not isinstance(raw, dict):
        raise ConfigError(f"[{name}] must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    extra = {}
    for key, value in raw.items():
        if key not in fields:
            if name == "task":  # any other task key is an option of the task loader
                extra[key] = value
                continue
            raise ConfigError(f"unknown key {name}.{key}; valid keys: {', '.join(sorted(fields))}")
        values[key] = _coerce(f"{name}.{key}", value, hints[key])
        choices = _CHOICES.get((name, key))
        if choices and values[key] not in choices:
            raise ConfigError(f"{name}.{key} = {value!r} is not valid; choose one of: "
                              f"{', '.join(choices)}")
        if (name, key) in _POSITIVE and values[key] < 1:
            raise ConfigError(f"{name}.{key} must be >= 1, got {value!r}")
    if extra:
        values["options"] = {**values.get("options", {}), **extra}
    return cls(**values)


_SECTIONS = {"task": TaskConfig, "space": SpaceConfig, "search": SearchConfig,
             "policy": PolicyConfig, "evaluation": EvaluationConfig, "budget": BudgetConfig,
             "study": StudyConfig}


def config_from_dict(data: dict[str, Any]) -> RunConfig:
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "seed":
            kwargs["seed"] = _coerce("seed", value, int)
        elif key in _SECTIONS:
            kwargs[key] = parse_section(key, _SECTIONS[key], value)
        else:
            raise ConfigError(f"unknown section [{key}]; valid sections: seed, "
                              f"{', '.join(_SECTIONS)}")
    config = RunConfig(**kwargs)
    s = config.search
    if s.algorithm != "aging" and s.offspring < 1:
        raise ConfigError("search.offspring must be >= 1")
    if not 0.0 <= s.crossover_rate <= 1.0:
        raise ConfigError(f"search.crossover_rate must be in [0, 1], got {s.crossover_rate}")
    return config


def load_config(path: str | Path) -> RunConfig:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    try:
        data = tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    try:
        return config_from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def with_overrides(config: RunConfig, *, seed: int | None = None,
                   max_evals: int | None = None) -> RunConfig:
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    if max_evals is not None:
        if max_evals < 1:
            raise ConfigError(f"--max-evals must be >= 1, got {max_evals}")
        config = dataclasses.replace(config, budget=dataclasses.replace(config.budget,
                                                                        max_evals=max_evals))
    return config
