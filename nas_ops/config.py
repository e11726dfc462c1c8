"""Run configuration: frozen dataclasses that validate themselves, built from TOML or Python.

Every section checks its values on construction (``__post_init__``), so a config built in Python
fails exactly like one read from TOML: :class:`ConfigError` with one line naming the key, the
value and the valid choices. The TOML reader adds only what a file needs: unknown keys are
refused and values are type-checked (and ints coerced to floats) before the section is built.

Names of registered things are checked against their registries, the one list of each: the
search algorithms (``nas_ops.engine.algorithms.ALGORITHMS``), the policies
(``nas_ops.engine.policies.POLICIES``), the evaluation backends
(``nas_ops.evaluation.BACKENDS``) and the proxies (``nas_ops.metrics.proxies.PROXIES``). They
are imported when a config is checked, not when this module is, and none imports torch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from nas_ops.errors import ConfigError, regular_file
from nas_ops.fidelity import FidelityConfig, PrefilterConfig
from nas_ops.genome.nodes import GENERATION_METRICS
from nas_ops.registry import Registry
from nas_ops.retraining import parse_rules

RETRAIN = ("affected", "all")
COMPLEXITY = ("parameters", "flops", "networks", "latency_us", "none")  # latency_us: nbgraph
FUSE = ("auto", "always")  # batched backend: fuse groups by the cost model, or always
STUDY_MODES = ("per_operator", "drawn")
RELEVANCE_NOISE = ("scale", "paper")  # diagnosis: N(0, each tensor's std) or N(0, 0.1)
DEVICES = ("auto", "cpu", "cuda", "cuda:N", "mps")  # the forms a device may take
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]+)?")
MAX_POPULATION = 100_000  # search.population and search.offspring: a typo guard, not a limit
# typo guards too, the same for search, resume and study (docs/search.md, "Config")
MAX_EPOCHS = 100_000  # budget.epochs, study.base_max_epochs (as the capacity study's epochs)
MAX_EVALS = 1_000_000  # budget.max_evals and --max-evals
MAX_BASE_MODELS = 10_000  # study.base_models
MAX_RAY_RESOURCES = 1_024  # evaluation.cpus_per_task and gpus_per_task: a typo guard
MAX_RETRIES = 100  # evaluation.max_retries (ray)
MAX_VARIATIONS = 10_000  # study.variations


def _algorithms() -> Registry[Any]:
    from nas_ops.engine.algorithms import ALGORITHMS  # lazily: the engine imports this module

    return ALGORITHMS


def _policies() -> Registry[Any]:
    from nas_ops.engine.policies import POLICIES

    return POLICIES


def _backends() -> Registry[Any]:
    from nas_ops.evaluation import BACKENDS

    return BACKENDS


class _Section:
    """Validation shared by the sections: ``_choices`` (field -> valid values), ``_registered``
    (field -> the registry its value must be registered in), ``_positive``
    (integer fields that must be >= 1), ``_ranges`` (field -> inclusive (low, high); NaN is
    out of every range) and ``_weights`` (tables of names to finite numbers >= 0)."""

    _name: ClassVar[str] = ""
    _choices: ClassVar[dict[str, tuple[str, ...]]] = {}
    _registered: ClassVar[dict[str, Callable[[], Registry[Any]]]] = {}
    _positive: ClassVar[tuple[str, ...]] = ()
    _ranges: ClassVar[dict[str, tuple[float, float]]] = {}
    _weights: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        for key, choices in self._choices.items():
            value = getattr(self, key)
            if value not in choices:
                raise ConfigError(f"{self._name}.{key} = {value!r} is not valid; choose one of: "
                                  f"{', '.join(choices)}")
        for key, registry in self._registered.items():
            check_registered(registry(), getattr(self, key), f"{self._name}.{key}")
        for key in self._positive:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{self._name}.{key} must be an integer, got {value!r}")
            if value < 1:
                raise ConfigError(f"{self._name}.{key} must be >= 1, got {value!r}")
        for key, (low, high) in self._ranges.items():
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not low <= value <= high:
                bound = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
                raise ConfigError(f"{self._name}.{key} must be {bound}, got {value!r}")
        for key in self._weights:
            for name, value in getattr(self, key).items():
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or not (math.isfinite(value) and value >= 0):
                    raise ConfigError(f"{self._name}.{key}.{name} must be a finite number >= 0, "
                                      f"got {value!r}")


def check_registered(registry: Registry[Any], value: object, where: str) -> None:
    """Refuse a name that ``registry`` does not hold: one line listing the registered names."""
    if not isinstance(value, str) or value not in registry:
        raise ConfigError(f"{where} = {value!r} is not valid; choose one of: "
                          f"{', '.join(registry.in_order())}")


def check_device_name(device: object, where: str) -> None:
    """Refuse a device that is none of ``DEVICES`` (whether it exists here is checked when a run
    starts, so that a config stays loadable on another machine)."""
    if not isinstance(device, str) or not _DEVICE.fullmatch(device):
        raise ConfigError(f"{where} = {device!r} is not a device; valid: {', '.join(DEVICES)}")


@dataclass(frozen=True)
class TaskConfig(_Section):
    """The task: its registered ``name``, the loader's ``options``, and ``sample_metric``, what
    ranks a generation output: ``recon_mse`` (default) or a sample-quality metric of generated
    samples on the validation split (``frechet``, ``precision``, ``recall``; docs/tasks.md)."""

    _name = "task"
    _choices = {"sample_metric": tuple(GENERATION_METRICS)}
    name: str = "mnist1d"
    options: dict[str, Any] = field(default_factory=dict)
    sample_metric: str = "recon_mse"


@dataclass(frozen=True)
class SpaceConfig(_Section):
    _name = "space"
    name: str = "multinet"


@dataclass(frozen=True)
class SearchConfig(_Section):
    _name = "search"
    _choices = {"complexity_objective": COMPLEXITY}
    _registered = {"algorithm": _algorithms}
    _positive = ("population", "offspring", "generations", "tournament", "max_attempts",
                 "async_lag")
    _ranges = {"crossover_rate": (0.0, 1.0), "population": (1, MAX_POPULATION),
               "offspring": (1, MAX_POPULATION)}
    _weights = ("output_weights",)
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
    # hypervolume reference point, per objective (output name or complexity objective), in
    # minimised units (class error, mse, log10 parameters); unnamed ones take their defaults
    hv_reference: dict[str, float] = field(default_factory=dict)
    # rungs of a multi-fidelity search (docs/fidelity.md); default: off. A table (a mapping)
    # is read as from TOML, for this and prefilter.
    fidelity: FidelityConfig = field(default_factory=FidelityConfig)
    # zero-cost proxy pre-filter of the offspring (docs/fidelity.md); default: off
    prefilter: PrefilterConfig = field(default_factory=PrefilterConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.fidelity, FidelityConfig):
            object.__setattr__(self, "fidelity", FidelityConfig.from_table(self.fidelity))
        if not isinstance(self.prefilter, PrefilterConfig):
            object.__setattr__(self, "prefilter", PrefilterConfig.from_table(self.prefilter))
        super().__post_init__()
        fidelity = self.fidelity
        if fidelity.enabled and fidelity.rule == "halving" and self.algorithm == "aging":
            raise ConfigError("search.fidelity rule = 'halving' needs a generation's offspring, "
                              "which algorithm = 'aging' has not; use nsga2 or mu_plus_lambda, "
                              "or rule = 'median'")
        if self.prefilter.enabled and self.algorithm == "aging":
            raise ConfigError("search.prefilter is not built for algorithm = 'aging' (it "
                              "filters a generation's offspring); use nsga2 or mu_plus_lambda")
        for name, value in self.hv_reference.items():
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or not (math.isfinite(value) and value > 0):
                raise ConfigError(f"search.hv_reference.{name} must be a finite number > 0, "
                                  f"got {value!r}")


@dataclass(frozen=True)
class PolicyConfig(_Section):
    _name = "policy"
    _registered = {"name": _policies}
    _ranges = {"exploration": (0.0, math.inf), "unimportant": (0.0, math.inf),
               "scaling": (0.0, math.inf), "decay": (0.0, 1.0), "window": (0, math.inf),
               "explore": (0.0, 1.0), "temperature": (0.0, math.inf)}
    _weights = ("weights",)
    name: str = "uniform"
    operators: list[str] = field(default_factory=list)  # empty = every registered operator
    weights: dict[str, float] = field(default_factory=dict)
    exploration: float = 0.5  # adaptive: UCB exploration constant
    guidelines: str = ""  # guided: path of a guidelines.json (`nas-ops report` writes one)
    explore: float = 0.1  # guided: probability of a uniform draw instead of the best rule
    unimportant: float = 1.05  # diagnosis: relevance below this for every output = unimportant
    scaling: float = 5.0  # frrmab: exploration scaling C (Li et al. 2014)
    decay: float = 1.0  # frrmab: decay factor D of the ranked rewards, in [0, 1]
    window: int = 0  # frrmab: sliding window W; 0 = max(ceil(population / 2), 2 x operators)
    model: str = ""  # learned: path of an effect model (studies/policy_results.py fit)
    temperature: float = 0.25  # learned: softmax temperature, in sd of the observed effects

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.window, bool) or not isinstance(self.window, int):
            raise ConfigError(f"policy.window must be an integer, got {self.window!r}")
        if self.reads("reads_guidelines") and not self.guidelines:
            raise ConfigError(f"policy.name = {self.name!r} needs policy.guidelines, the path of "
                              "a guidelines.json (`nas-ops report RUN --out DIR` writes one)")
        if self.name == "learned" and not self.model:
            raise ConfigError("policy.name = 'learned' needs policy.model, the path of an effect "
                              "model (studies/policy_results.py fit writes one)")

    def reads(self, what: str) -> bool:
        """Whether the policy's registry entry says it reads ``what`` (``reads_diagnosis``,
        ``reads_guidelines``)."""
        return bool(_policies().meta(self.name).get(what))


@dataclass(frozen=True)
class EvaluationConfig(_Section):
    _name = "evaluation"
    _choices = {"retrain": RETRAIN, "fuse": FUSE, "relevance_noise": RELEVANCE_NOISE}
    _registered = {"backend": _backends}
    _positive = ("workers", "torch_threads", "max_group", "relevance_draws")
    _ranges = {"memory_budget": (0, float("inf")), "max_retries": (0, MAX_RETRIES),
               "cpus_per_task": (0, MAX_RAY_RESOURCES), "gpus_per_task": (0, MAX_RAY_RESOURCES)}
    backend: str = "auto"
    workers: int = 1
    device: str = "auto"
    inherit_weights: bool = True
    retrain: str = "affected"
    reuse_duplicates: bool = True
    torch_threads: int = 1
    sample_score: bool = False
    sample_quality: bool = False  # frechet, precision, recall, copy_rate of generation outputs
    diagnose: bool = False  # store network x output diagnosis of every evaluated model
    # diagnosis: also the capacity per parameter of every network (Jacobian ranks; it costs
    # seconds to a minute per model on a CPU, many times the rest of the diagnosis)
    diagnose_capacity: bool = True
    relevance_draws: int = 5  # diagnosis: relevance = mean over this many noise draws (and sd)
    relevance_noise: str = "scale"  # diagnosis: "scale" N(0, tensor std); "paper" N(0, 0.1)
    address: str = "local"  # ray
    cpus_per_task: float = 1.0  # ray
    gpus_per_task: float = 0.0  # ray
    max_retries: int = 2  # ray
    fuse: str = "auto"  # batched
    max_group: int = 256  # batched: most models trained as one group
    memory_budget: int = 0  # batched: bytes per group; 0 = 60 % of free GPU memory (2 GiB on CPU)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_device_name(self.device, "evaluation.device")


@dataclass(frozen=True)
class BudgetConfig(_Section):
    _name = "budget"
    _positive = ("epochs",)
    _ranges = {"max_steps": (0, math.inf), "time_limit_s": (0.0, math.inf),
               "max_evals": (0, MAX_EVALS), "total_steps": (0, math.inf),
               "epochs": (1, MAX_EPOCHS)}
    epochs: int = 2
    max_steps: int = 0  # 0 = no cap
    time_limit_s: float = 0.0  # per evaluation; 0 = none
    max_evals: int = 0  # 0 = population + offspring * generations
    # search: stop breeding once its evaluations trained this many optimizer steps in all
    # (the generation or the children already bred still finish: engine/algorithms.py); 0 = off
    total_steps: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.total_steps, float):
            raise ConfigError(f"budget.total_steps must be an integer, got {self.total_steps!r}")


@dataclass(frozen=True)
class StudyConfig(_Section):
    """Operator-effect study: ``base_models`` sampled and trained, then ``variations``
    independent single variations of each (``per_operator``: that many of every operator;
    ``drawn``: that many in all, operators drawn uniformly as in a search).

    ``matched_controls``: every edit child gets a control child (the base retrained on exactly
    the edit child's trainable networks, no edit). ``controls``: per base, retrain-everything
    children (the older baseline). ``base_patience`` > 0 trains the base models to convergence:
    early stopping on validation loss, measured every ``base_eval_every`` steps (0: every epoch),
    capped at ``base_max_epochs`` epochs and ``base_max_steps`` steps (0: no step cap), best
    weights restored; 0 trains them under ``[budget]`` like the children.
    ``children_at_chance``: bases at chance level get children too (by default they get none:
    the analysis draws no rule from them unless told to, so their children would be wasted).

    Budget map (:mod:`nas_ops.engine.study_cells`): ``parent_epochs`` adds parent states (each
    base also trained exactly N epochs from the same start, no early stopping) beside the
    converged one; ``retrain`` lists retraining rules (:mod:`nas_ops.retraining`). Every parent
    state x rule is a cell holding the same edits, each with its matched control."""

    _name = "study"
    _choices = {"mode": STUDY_MODES}
    _positive = ("base_models", "variations", "base_max_epochs")
    _ranges = {**{key: (0, math.inf) for key in ("controls", "base_patience",
                                                  "base_eval_every", "base_max_steps")},
               "base_models": (1, MAX_BASE_MODELS), "variations": (1, MAX_VARIATIONS),
               "base_max_epochs": (1, MAX_EPOCHS)}

    base_models: int = 4
    variations: int = 2
    mode: str = "per_operator"
    operators: list[str] = field(default_factory=list)  # empty = every arity-1 operator
    controls: int = 0  # per base model: retrain-only children (no edit), the effect baseline
    matched_controls: bool = True  # per edit child: same trainable networks, no edit
    base_patience: int = 0  # base models: early-stopping patience (measurements); 0 = off
    base_eval_every: int = 0  # base models: steps between measurements; 0 = every epoch
    base_max_epochs: int = 100  # base models with patience: epoch cap
    base_max_steps: int = 0  # base models with patience: step cap; 0 = none
    children_at_chance: bool = False  # vary bases at chance level too (for allow_untrained)
    # budget map (issue 24): every parent state x retraining rule is a cell with the same edits
    parent_epochs: list[int] = field(default_factory=list)  # extra parents: the bases at N epochs
    retrain: list[dict[str, Any]] = field(default_factory=list)  # rules; empty = [budget] only

    def __post_init__(self) -> None:
        super().__post_init__()
        for i, n in enumerate(self.parent_epochs):
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_EPOCHS:
                raise ConfigError(f"study.parent_epochs[{i}] must be an integer in "
                                  f"[1, {MAX_EPOCHS}], got {n!r}")
        if len(set(self.parent_epochs)) != len(self.parent_epochs):
            raise ConfigError(f"study.parent_epochs = {self.parent_epochs} repeats a value")
        if self.parent_epochs and not self.base_patience:
            raise ConfigError("study.parent_epochs needs converged bases beside them: set "
                              "study.base_patience")
        states = ["conv", *(f"e{n}" for n in self.parent_epochs)]
        for i, rule in enumerate(parse_rules(self.retrain)):
            for state in rule.states:
                if state not in states:
                    raise ConfigError(f"study.retrain[{i}].states: {state!r} is no parent state "
                                      f"of this study; valid: {', '.join(states)}")


@dataclass(frozen=True)
class RunConfig:
    task: TaskConfig = field(default_factory=TaskConfig)
    space: SpaceConfig = field(default_factory=SpaceConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    budget: BudgetConfig = field(default_factory=BudgetConfig)
    study: StudyConfig = field(default_factory=StudyConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")
        if self.policy.reads("reads_diagnosis") and not self.evaluation.diagnose:
            raise ConfigError(f"policy.name = {self.policy.name!r} reads each parent's diagnosis, "
                              "but evaluation.diagnose = false; set evaluation.diagnose = true")
        cap = generation_cap(self)
        if cap is not None and self.budget.max_evals > cap:
            raise ConfigError(f"budget.max_evals = {self.budget.max_evals} is more than "
                              f"{_cap_text(self.search, cap)}; raise search.generations")

    def to_dict(self) -> dict[str, Any]:
        """Plain data; an empty ``search.fidelity`` or ``search.prefilter`` (off) is left out,
        so a run without them records the config it recorded before the keys existed."""
        data = dataclasses.asdict(self)
        for key in ("fidelity", "prefilter"):
            table = getattr(self.search, key).to_dict()
            if table:
                data["search"][key] = table
            else:
                del data["search"][key]
        return data

    @property
    def max_evals(self) -> int:
        s = self.search
        return self.budget.max_evals or s.population + s.offspring * s.generations


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
    if extra:
        values["options"] = {**values.get("options", {}), **extra}
    return cls(**values)


_SECTIONS = {"task": TaskConfig, "space": SpaceConfig, "search": SearchConfig,
             "policy": PolicyConfig, "evaluation": EvaluationConfig, "budget": BudgetConfig,
             "study": StudyConfig}


_EXAMPLES = {"study": "[study] with base_models = 4 and variations = 2 "
                      "(see studies/operator_effects_ci.toml)"}


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
    return RunConfig(**kwargs)


def config_from_record(data: dict[str, Any]) -> RunConfig:
    """The config a ledger recorded (``RunConfig.to_dict()``), checked like a TOML file; keys
    added since the run was recorded take their defaults."""
    out = json.loads(json.dumps(data))
    if isinstance(out.get("study"), dict):  # recorded before matched controls existed: none
        out["study"].setdefault("matched_controls", False)
    if isinstance(out.get("evaluation"), dict):  # recorded before relevance was averaged
        out["evaluation"].setdefault("relevance_draws", 1)
    options = out.get("task", {}).pop("options", {})
    out.setdefault("task", {}).update(options)
    return config_from_dict(out)


def read_toml(path: str | Path) -> dict[str, Any]:
    """The tables of a TOML file; one-line :class:`ConfigError` for a missing file, a
    directory or another file that is not a regular one (``/dev/null``), a file that is not
    UTF-8 text or not TOML, or one nested too deeply for the parser. A UTF-8 byte-order mark is
    accepted."""
    p = regular_file(path, "config file", "TOML file")
    try:  # utf-8-sig: a byte-order mark (Windows editors write one) is read past
        return tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a TOML file (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{p}: not a config: arrays or tables nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"config file {str(p)!r} cannot be read: {exc.strerror}") from None


def load_config(path: str | Path, *, require: tuple[str, ...] = ()) -> RunConfig:
    """The run config of a TOML file; ``require`` names sections the file must hold (a study
    needs ``[study]``: its defaults would silently run a study nobody asked for)."""
    p = Path(path)
    data = read_toml(p)
    for section in require:
        if section not in data:
            raise ConfigError(f"{p}: has no [{section}] section; add one, e.g. "
                              f"{_EXAMPLES.get(section, f'[{section}]')}")
    try:
        return config_from_dict(data)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def generation_cap(config: RunConfig) -> int | None:
    """The most evaluations the configured algorithm can make (its ``evaluations_cap``:
    population + offspring x generations for a generational search; None for ``aging`` and
    ``random``, which have no generation count)."""
    return _algorithms().get(config.search.algorithm).evaluations_cap(config.search)


def _cap_text(s: SearchConfig, cap: int) -> str:
    return (f"search.generations = {s.generations} allows (population + offspring x "
            f"generations = {cap})")


def with_overrides(config: RunConfig, *, seed: int | None = None,
                   max_evals: int | None = None) -> RunConfig:
    """``config`` with ``--seed`` and ``--max-evals`` (checked like ``budget.max_evals``, in
    the flag's name)."""
    if seed is not None:
        config = dataclasses.replace(config, seed=seed)
    if max_evals is not None:
        if max_evals < 1:
            raise ConfigError(f"--max-evals must be >= 1, got {max_evals}")
        if max_evals > MAX_EVALS:
            raise ConfigError(f"--max-evals must be at most {MAX_EVALS}, got {max_evals}")
        cap = generation_cap(config)
        if cap is not None and max_evals > cap:
            raise ConfigError(f"--max-evals {max_evals} is more than "
                              f"{_cap_text(config.search, cap)}; a run with more generations "
                              "can make more")
        config = dataclasses.replace(config, budget=dataclasses.replace(config.budget,
                                                                        max_evals=max_evals))
    return config


def extends(old: RunConfig, new: RunConfig) -> bool:
    """Whether ``new`` is ``old`` with a larger evaluation budget (``budget.max_evals``) and
    nothing else changed: a run of ``old`` may be continued as a run of ``new``."""
    same = dataclasses.replace(new, budget=dataclasses.replace(
        new.budget, max_evals=old.budget.max_evals))
    return same.to_dict() == old.to_dict() and new.max_evals > old.max_evals
