"""``ucb``: UCB1 of Auer, Cesa-Bianchi and Fischer, "Finite-time analysis of the multiarmed
bandit problem", Machine Learning 47(2-3):235-256, 2002, over the mutation operators, with the
credit of the ``frrmab`` policy.

Credit: each credited child of operator ``j`` adds its fitness improvement rate
(:func:`~nas_ops.engine.policies.frrmab.fir`: ``(child - parent) / |parent|`` of the scalar
fitness when the child improves, else 0; a failed or duplicate child is no better) to ``j``'s
sum ``R_j`` and 1 to its count ``n_j``; every credit is kept (no window). Selection among the
operators the policy is asked to choose from (less those that already failed for this child):

- an operator with ``n_j = 0`` first, drawn uniformly among those with one draw of the
  generator (Auer et al. play each arm once; drawing instead of taking them in order keeps a
  generation bred before any credit arrives, as NSGA-II breeds, from being one operator);
- otherwise the operator maximizing ``R_j / n_j + sqrt(2 ln n / n_j)``, ``n`` = the sum of
  ``n_j`` over those operators (UCB1's index, no tuning constant); ties: the first candidate.

Only operators the policy was asked to choose among are credited (a crossover child is not).
"""

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
from nas_ops.engine.policies.frrmab import fir
from nas_ops.genome import Genome

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig


@register_policy("ucb")
class UcbPolicy:
    name: str
    reads_parent = False  # reads at most ``state.tried``

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> UcbPolicy:
        return cls()

    def __init__(self) -> None:
        self.n: dict[str, int] = {}
        self.total: dict[str, float] = {}
        self.arms: set[str] = set()

    def index(self, candidates: Sequence[str]) -> dict[str, float]:
        """UCB1's index of every candidate (each must have been credited)."""
        uses = sum(self.n[c] for c in candidates)
        return {c: self.total[c] / self.n[c] + math.sqrt(2 * math.log(uses) / self.n[c])
                for c in candidates}

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        self.arms.update(candidates)
        arms = untried(candidates, state)
        unused = [c for c in arms if self.n.get(c, 0) == 0]
        if unused:
            return Choice(uniform(unused, rng))
        score = self.index(arms)
        return Choice(max(arms, key=lambda c: score[c]))

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        if operator not in self.arms:
            return
        self.n[operator] = self.n.get(operator, 0) + 1
        self.total[operator] = self.total.get(operator, 0.0) + fir(reward, parent)

    def state(self) -> dict[str, Any]:
        return {"n": dict(sorted(self.n.items())), "total": dict(sorted(self.total.items()))}
