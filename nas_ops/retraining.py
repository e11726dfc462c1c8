"""Retraining rules of a budget-map study (``[study] retrain``; issue 24, points 1 and 2).

A rule says how a child and its matched control train after the edit: a fixed number of
``epochs``, or to convergence (``patience`` > 0: early stopping on the validation loss, capped
at ``max_epochs``, best weights restored: the base models' own rule), with the genome's
learning rate times ``lr_scale``; ``measure_start``: early stopping also measures the inherited
weights before the first step, so a model that only gets worse keeps its starting weights (a
control can then not end below its parent on the validation loss). ``states``: the parent
states the rule applies to (empty: all; e.g. ``["conv"]`` for a control variant measured on
converged parents only).

No torch here: the config checks rules with :func:`parse_rule` and the engine turns them into
a :class:`nas_ops.training.Budget`.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

from nas_ops.errors import ConfigError

RULE_KEYS = ("name", "epochs", "patience", "max_epochs", "lr_scale", "measure_start", "states")
_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,15}")
MAX_RULE_EPOCHS = 100_000


@dataclass(frozen=True)
class RetrainRule:
    """One retraining rule (module docstring); ``name`` labels its cell and its children's
    uids (lower-case letters, digits, ``_``; at most 16)."""

    name: str
    epochs: int = 2
    patience: int = 0
    max_epochs: int = 40
    lr_scale: float = 1.0
    measure_start: bool = False
    states: tuple[str, ...] = ()

    def applies(self, state: str) -> bool:
        """Whether the rule has a cell for parent state ``state``."""
        return not self.states or state in self.states

    @property
    def converges(self) -> bool:
        return self.patience > 0

    @property
    def epoch_cap(self) -> int:
        """The most epochs the rule trains."""
        return self.max_epochs if self.converges else self.epochs

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["states"] = list(self.states)
        return data


def _int(where: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_RULE_EPOCHS:
        raise ConfigError(f"{where} must be an integer in [{low}, {MAX_RULE_EPOCHS}], got "
                          f"{value!r}")
    return value


def parse_rule(raw: Any, where: str) -> RetrainRule:
    """A :class:`RetrainRule` from its TOML table ``raw`` (``where`` names it in errors)."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table like {{name = \"e8\", epochs = 8}}, got "
                          f"{raw!r}")
    for key in raw:
        if key not in RULE_KEYS:
            raise ConfigError(f"unknown key {where}.{key}; valid keys: {', '.join(RULE_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}.name must be 1-16 lower-case letters, digits or _, got "
                          f"{name!r}")
    scale = raw.get("lr_scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float) \
            or not (math.isfinite(scale) and scale > 0):
        raise ConfigError(f"{where}.lr_scale must be a number > 0, got {scale!r}")
    start = raw.get("measure_start", False)
    if not isinstance(start, bool):
        raise ConfigError(f"{where}.measure_start must be true or false, got {start!r}")
    states = raw.get("states", [])
    if not isinstance(states, list) or not all(isinstance(s, str) for s in states):
        raise ConfigError(f"{where}.states must be a list of parent states like [\"conv\", "
                          f"\"e5\"], got {states!r}")
    patience = _int(f"{where}.patience", raw.get("patience", 0), 0)
    if start and not patience:
        raise ConfigError(f"{where}.measure_start needs early stopping: set {where}.patience")
    return RetrainRule(name, _int(f"{where}.epochs", raw.get("epochs", 2), 1), patience,
                       _int(f"{where}.max_epochs", raw.get("max_epochs", 40), 1), float(scale),
                       start, tuple(states))


def parse_rules(raw: list[dict[str, Any]], where: str = "study.retrain") -> list[RetrainRule]:
    """Every rule of ``[study] retrain``, names distinct."""
    rules = [parse_rule(r, f"{where}[{i}]") for i, r in enumerate(raw)]
    names = [r.name for r in rules]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise ConfigError(f"{where}[{i}].name = {name!r} is used twice; names must differ")
    return rules
