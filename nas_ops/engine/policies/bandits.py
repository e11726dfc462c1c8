"""The bandit policies, which credit operators by their children's fitness improvement rate
(:func:`fir`) and read nothing of the parent but the operators it already tried.

``frrmab``: the fitness-rate-rank-based multi-armed bandit (FRRMAB) of Li, Fialho, Kwong and Zhang,
"Adaptive operator selection with bandits for a multiobjective evolutionary algorithm based on
decomposition", IEEE TEVC 18(1):114-130, 2014.

Credit: every credited child appends (operator, FIR) to a sliding window of the last ``window``
credits (oldest dropped first). FIR, the fitness improvement rate, is the improvement of the child's
scalar fitness over its parent's relative to the parent's, ``(child - parent) / |parent|``, and 0
when the child is no better (the paper credits improvements only; a failed child is no better).
Selection: per operator, ``reward`` = the sum of its FIRs in the window and ``n`` = its entries in
the window. An operator with ``n = 0`` (never tried, or gone from the window) is chosen first,
uniformly among those. Otherwise the rewards are ranked (rank 0 = the largest; ties in candidate
order), decayed ``decay ** rank * reward``, normalized to the fitness rate rank ``FRR = decayed /
sum(decayed)`` (all 0 when the sum is 0), and the operator maximizing ``FRR + scaling * sqrt(2
ln(sum n) / n)`` is chosen (ties: the first candidate). Only operators the policy was asked to
choose among enter the window (a crossover child, whose operator no policy chooses, does not).

``ucb``: UCB1 of Auer, Cesa-Bianchi and Fischer, "Finite-time analysis of the multiarmed bandit
problem", Machine Learning 47(2-3):235-256, 2002, over the mutation operators, with the credit of
the ``frrmab`` policy.

Credit: each credited child of operator ``j`` adds its fitness improvement rate (:func:`fir`:
``(child - parent) / |parent|`` of the scalar fitness when the child improves, else 0; a failed or
duplicate child is no better) to ``j``'s sum ``R_j`` and 1 to its count ``n_j``; every credit is
kept (no window). Selection among the operators the policy is asked to choose from (less those that
already failed for this child):

- an operator with ``n_j = 0`` first, drawn uniformly among those with one draw of the generator
  (Auer et al. play each arm once; drawing instead of taking them in order keeps a generation bred
  before any credit arrives, as NSGA-II breeds, from being one operator);
- otherwise the operator maximizing ``R_j / n_j + sqrt(2 ln n / n_j)``, ``n`` = the sum of ``n_j``
  over those operators (UCB1's index, no tuning constant); ties: the first candidate.

Only operators the policy was asked to choose among are credited (a crossover child is not).
"""

from __future__ import annotations

import math
from collections import deque
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
from nas_ops.genome import Genome

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig

PAPER_SCALING = 5.0  # C
PAPER_DECAY = 1.0  # D


def fir(reward: float, parent: float | None) -> float:
    """The fitness improvement rate of a credit: ``reward`` (child minus parent scalar fitness;
    -1 for a failed or duplicate child) over ``|parent|`` when it improves, else 0 (``reward``
    itself when the parent's fitness is 0, unknown or not finite)."""
    gain = reward if math.isfinite(reward) and reward > 0 else 0.0
    if parent is not None and parent != 0 and math.isfinite(parent):
        gain /= abs(parent)
    return gain


def auto_window(population: int, n_operators: int) -> int:
    """The default window: the paper's W = population / 2, but at least two entries per
    operator (the paper had 4 operators and W = 300; with ~20 operators and a population of 8,
    W = 4 could not hold one entry per operator and selection would be a round robin)."""
    return max(math.ceil(population / 2), 2 * n_operators, 1)


@register_policy("frrmab")
class FrrmabPolicy:
    name: str
    reads_parent = False  # reads at most ``state.tried``

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> FrrmabPolicy:
        """``policy.window`` 0: :func:`auto_window` of the population and the operators."""
        window = config.window or auto_window(context.population, context.operators)
        return cls(config.scaling, config.decay, window)

    def __init__(self, scaling: float = PAPER_SCALING, decay: float = PAPER_DECAY,
                 window: int = 20) -> None:
        self.scaling, self.decay, self.size = scaling, decay, window
        self.window: deque[tuple[str, float]] = deque(maxlen=window)
        self.arms: set[str] = set()

    def scores(self, candidates: Sequence[str]) -> dict[str, float]:
        """FRR + exploration of every candidate (each must have an entry in the window)."""
        reward = dict.fromkeys(candidates, 0.0)
        n = dict.fromkeys(candidates, 0)
        for op, fir in self.window:
            if op in reward:
                reward[op] += fir
                n[op] += 1
        ranked = sorted(candidates, key=lambda c: -reward[c])  # stable: ties in candidate order
        decayed = {c: self.decay ** rank * reward[c] for rank, c in enumerate(ranked)}
        total = sum(decayed.values())
        uses = sum(n.values())
        return {c: (decayed[c] / total if total > 0 else 0.0)
                + self.scaling * math.sqrt(2 * math.log(uses) / n[c]) for c in candidates}

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        self.arms.update(candidates)
        arms = untried(candidates, state)
        present = {op for op, _ in self.window}
        unused = [c for c in arms if c not in present]
        if unused:
            return Choice(uniform(unused, rng))
        scores = self.scores(arms)
        return Choice(max(arms, key=lambda c: scores[c]))

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        if operator not in self.arms:
            return
        self.window.append((operator, fir(reward, parent)))

    def state(self) -> dict[str, Any]:
        return {"window": [[op, fir] for op, fir in self.window]}


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
