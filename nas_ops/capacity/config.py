"""The capacity study's TOML: ``[study]`` settings, ``[[tasks]]`` and ``[[architectures]]``.

``[study]`` is parsed by :func:`nas_ops.config.parse_section` like every other config section;
the task and architecture tables are checked against the keys their kind accepts. Every mistake
is one :class:`~nas_ops.errors.ConfigError` line naming the file and the key. Sizes are bounded
so that a typo cannot ask for tens of GiB: the dense map's Jacobian alone holds
``(L (L + 1))**2`` numbers for a signal of length L (2.2 GB at ``MAX_SIGNAL_LENGTH``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from nas_ops.capacity.architectures import ACTIVATIONS, OPTIONS
from nas_ops.capacity.signals import TASK_KINDS
from nas_ops.config import parse_section
from nas_ops.errors import ConfigError, EvaluationError
from nas_ops.metrics.capacity.allocation import VARIANTS
from nas_ops.training import check_optimizer

#: largest signal length: the dense Jacobian grows as its fourth power
MAX_SIGNAL_LENGTH = 128
#: largest n_train + n_test (the signals are (n, 1, L) float64 arrays)
MAX_EXAMPLES = 100_000
#: largest number of training epochs
MAX_EPOCHS = 100_000
#: largest depth, kernel, channels or hidden width of an architecture
MAX_LAYER_SIZE = 512
TOP_KEYS = ("study", "tasks", "architectures")
TASK_KEYS = ("name", "kind", "length_scale", "noise", "smooth")


@dataclass(frozen=True)
class CapacityStudySettings:
    """The ``[study]`` table."""

    seed: int = 0
    signal_length: int = 32
    n_train: int = 512
    n_test: int = 256
    epochs: int = 200
    batch_size: int = 0  #: 0 = full batch
    learning_rate: float = 1e-2
    optimizer: str = "adam"  #: a name of nas_ops.training.OPTIMIZERS, as in a search
    analysis_points: int = 4
    variant: str = "euclidean"
    torch_threads: int = 0  #: 0 = leave torch's default


@dataclass(frozen=True)
class CapacityStudyConfig:
    """A whole capacity-study config; tasks and architectures stay plain TOML tables."""

    study: CapacityStudySettings
    tasks: list[dict[str, object]]
    architectures: list[dict[str, object]]
    source: str = "<config>"

    def to_dict(self) -> dict[str, object]:
        return {"study": asdict(self.study), "tasks": self.tasks,
                "architectures": self.architectures, "source": self.source}


def _within(where: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{where} = {value!r} is out of range; it must be in [{low}, {high}]")


def _check_settings(s: CapacityStudySettings) -> None:
    _within("study.signal_length", s.signal_length, 2, MAX_SIGNAL_LENGTH)
    _within("study.n_train", s.n_train, 1, MAX_EXAMPLES)
    _within("study.n_test", s.n_test, 1, MAX_EXAMPLES - s.n_train)
    _within("study.epochs", s.epochs, 1, MAX_EPOCHS)
    _within("study.batch_size", s.batch_size, 0, s.n_train)
    _within("study.analysis_points", s.analysis_points, 1, s.n_test)
    _within("study.torch_threads", s.torch_threads, 0, 1024)
    if not (math.isfinite(s.learning_rate) and s.learning_rate > 0):
        raise ConfigError(f"study.learning_rate = {s.learning_rate!r} must be a positive number")
    try:
        check_optimizer(s.optimizer)
    except EvaluationError as err:
        raise ConfigError(f"study.optimizer: {err}") from None
    if s.variant not in VARIANTS:
        raise ConfigError(f"study.variant = {s.variant!r} is not valid; choose one of: "
                          f"{', '.join(VARIANTS)}")


def _table(where: str, table: object, valid: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    for key in table:
        if key not in valid:
            raise ConfigError(f"{where}: unknown key {key!r}; valid keys: {', '.join(valid)}")
    return table


def _number(where: str, table: dict[str, object], key: str, low: float, high: float) -> None:
    if key not in table:
        return
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}.{key} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ConfigError(f"{where}.{key} = {value!r} must be finite")
    _within(f"{where}.{key}", value, low, high)


def _check_task(where: str, t: dict[str, object]) -> None:
    if t.get("kind") not in TASK_KINDS or "name" not in t:
        raise ConfigError(f"{where}: kind={t.get('kind')!r} is unknown; valid choices: "
                          f"{', '.join(TASK_KINDS)}")
    _number(where, t, "length_scale", 1e-3, 1e6)
    _number(where, t, "noise", 0.0, 1e6)
    _number(where, t, "smooth", 1, MAX_SIGNAL_LENGTH)


def _check_architecture(where: str, a: dict[str, object]) -> None:
    for key in ("depth", "kernel", "channels"):
        _number(where, a, key, 1, MAX_LAYER_SIZE)
    _number(where, a, "hidden", 0, MAX_LAYER_SIZE)
    if "activation" in a and a["activation"] not in ACTIVATIONS:
        raise ConfigError(f"{where}: activation={a['activation']!r} is unknown; valid choices: "
                          f"{', '.join(ACTIVATIONS)}")


def parse_config(text: str, source: str = "<config>") -> CapacityStudyConfig:
    """Validate a study TOML text; every mistake is one ConfigError line naming the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from None
    try:
        return _from_dict(raw, source)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err}") from None


def _from_dict(raw: dict[str, object], source: str) -> CapacityStudyConfig:
    _table("the config", raw, TOP_KEYS)
    settings = parse_section("study", CapacityStudySettings, raw.get("study", {}))
    _check_settings(settings)
    tasks, archs = raw.get("tasks", []), raw.get("architectures", [])
    if not isinstance(tasks, list) or not isinstance(archs, list) or not tasks or not archs:
        raise ConfigError("needs at least one [[tasks]] and one [[architectures]]")
    for t in tasks:
        where = f"[[tasks]] {t.get('name', '?') if isinstance(t, dict) else '?'!r}"
        _check_task(where, _table(where, t, TASK_KEYS))
    for a in archs:
        where = f"[[architectures]] {a.get('name', '?') if isinstance(a, dict) else '?'!r}"
        kind = a.get("kind") if isinstance(a, dict) else None
        if kind not in OPTIONS or "name" not in a:
            raise ConfigError(f"{where}: kind={kind!r} is unknown; valid choices: "
                              f"{', '.join(sorted(OPTIONS))}")
        _check_architecture(where, _table(where, a, ("name", "kind", *OPTIONS[str(kind)])))
    names = [a["name"] for a in archs] + [t["name"] for t in tasks]
    if len(set(names)) != len(names):
        raise ConfigError("task and architecture names must be unique")
    return CapacityStudyConfig(settings, tasks, archs, source)


def load_config(path: str | Path) -> CapacityStudyConfig:
    """Read and validate the study TOML at ``path``."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(p)!r} is not UTF-8 text") from None
    except OSError as err:
        raise ConfigError(f"cannot read config {str(p)!r}: {err.strerror}") from None
    return parse_config(text, str(p))
