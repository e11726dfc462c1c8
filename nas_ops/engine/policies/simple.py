"""The policies that read nothing of the parent: uniform, fixed weights, and the UCB1 bandit."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nas_ops.engine.policies.base import (
    Choice,
    ParentState,
    PolicyContext,
    register_policy,
    uniform,
    untried,
)
from nas_ops.errors import ConfigError
from nas_ops.genome import Genome

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig


@register_policy("uniform")
class UniformPolicy:
    name: str
    reads_parent = False  # reads at most ``state.tried``: the engine skips describing the parent

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> UniformPolicy:
        return cls()

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        return Choice(uniform(candidates, rng))

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {}


@register_policy("weights")
class WeightedPolicy(UniformPolicy):
    """Fixed weights from the config; operators not named get weight 1."""

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> WeightedPolicy:
        return cls(dict(config.weights))

    def __init__(self, weights: dict[str, float]) -> None:
        bad = {k: v for k, v in weights.items() if not (v >= 0 and math.isfinite(v))}
        if bad:
            raise ConfigError(f"policy.weights must be finite and >= 0, got {bad}")
        self.weights = dict(weights)

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        w = np.array([self.weights.get(c, 1.0) for c in candidates], dtype=float)
        if w.sum() <= 0:
            return super().choose(parent, candidates, rng)
        return Choice(candidates[int(rng.choice(len(candidates), p=w / w.sum()))])


@register_policy("adaptive")
class AdaptivePolicy(UniformPolicy):
    """UCB1 bandit: credit = improvement of the child's scalar fitness over its parent's.

    Untried operators are tried first (in candidate order); then the operator maximizing
    ``mean reward + c * sqrt(ln(total) / n)`` is chosen.
    """

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> AdaptivePolicy:
        return cls(config.exploration)

    def __init__(self, exploration: float = 0.5) -> None:
        self.c = exploration
        self.n: dict[str, int] = {}
        self.total: dict[str, float] = {}

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        arms = untried(candidates, state)
        for c in arms:
            if self.n.get(c, 0) == 0:
                return Choice(c)
        t = sum(self.n.get(c, 0) for c in arms)
        best = max(arms, key=lambda c: self.total[c] / self.n[c]
                   + self.c * math.sqrt(math.log(t) / self.n[c]))
        return Choice(best)

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        self.n[operator] = self.n.get(operator, 0) + 1
        self.total[operator] = self.total.get(operator, 0.0) + reward

    def state(self) -> dict[str, Any]:
        return {"n": dict(self.n), "total": dict(self.total)}
