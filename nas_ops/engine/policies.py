"""Operator selection policies: given a parent, pick an operator. ``choose`` takes a
``diagnosis`` argument, but the engine does not pass one yet (issue 16).

Every policy draws randomness only from the generator it is handed and updates its state only in
``credit``, which the engine calls in a deterministic order, so a run replays exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from nas_ops.errors import ConfigError
from nas_ops.genome import Genome


class Policy(Protocol):
    name: str

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               diagnosis: dict[str, Any] | None = None) -> str: ...

    def credit(self, operator: str, reward: float) -> None: ...

    def state(self) -> dict[str, Any]: ...


class UniformPolicy:
    name = "uniform"

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               diagnosis: dict[str, Any] | None = None) -> str:
        return candidates[int(rng.integers(len(candidates)))]

    def credit(self, operator: str, reward: float) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {}


class WeightedPolicy(UniformPolicy):
    """Fixed weights from the config; operators not named get weight 1."""

    name = "weights"

    def __init__(self, weights: dict[str, float]) -> None:
        bad = {k: v for k, v in weights.items() if not (v >= 0 and math.isfinite(v))}
        if bad:
            raise ConfigError(f"policy.weights must be finite and >= 0, got {bad}")
        self.weights = dict(weights)

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               diagnosis: dict[str, Any] | None = None) -> str:
        w = np.array([self.weights.get(c, 1.0) for c in candidates], dtype=float)
        if w.sum() <= 0:
            return super().choose(parent, candidates, rng)
        return candidates[int(rng.choice(len(candidates), p=w / w.sum()))]


class AdaptivePolicy(UniformPolicy):
    """UCB1 bandit: credit = improvement of the child's scalar fitness over its parent's.

    Untried operators are tried first (in candidate order); then the operator maximizing
    ``mean reward + c * sqrt(ln(total) / n)`` is chosen.
    """

    name = "adaptive"

    def __init__(self, exploration: float = 0.5) -> None:
        self.c = exploration
        self.n: dict[str, int] = {}
        self.total: dict[str, float] = {}

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               diagnosis: dict[str, Any] | None = None) -> str:
        for c in candidates:
            if self.n.get(c, 0) == 0:
                return c
        t = sum(self.n.get(c, 0) for c in candidates)
        best = max(candidates, key=lambda c: self.total[c] / self.n[c]
                   + self.c * math.sqrt(math.log(t) / self.n[c]))
        return best

    def credit(self, operator: str, reward: float) -> None:
        self.n[operator] = self.n.get(operator, 0) + 1
        self.total[operator] = self.total.get(operator, 0.0) + reward

    def state(self) -> dict[str, Any]:
        return {"n": dict(self.n), "total": dict(self.total)}


def make_policy(name: str, weights: dict[str, float], exploration: float) -> Policy:
    if name == "uniform":
        return UniformPolicy()
    if name == "weights":
        return WeightedPolicy(weights)
    if name == "adaptive":
        return AdaptivePolicy(exploration)
    raise ConfigError(f"policy.name = {name!r} is not available; choose one of: uniform, weights, "
                      "adaptive")
