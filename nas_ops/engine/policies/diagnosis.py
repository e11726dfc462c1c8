"""``diagnosis``: the rule of the original authors' pilot code.

If some network is unimportant for every output (relevance below ``unimportant``, 1.05 by
default, for each of them), a complexity-reducing operator (registered direction ``shrink``:
remove connection, bypass network, remove layer; and ``reinit_network``) is applied there: the
target is every such network. Otherwise a capacity-adding operator (direction ``grow``: add or
divide a connection, clone a network, add a layer, ...) is applied next to the networks that
matter most for the parent's worst output (:meth:`ParentState.important`). The operator is drawn
with the generator among the run's operators of that kind that apply to the parent and have not
already failed for this child. Without a diagnosis (or a standing, for the grow case), or when
no operator of the kind applies, the operator is drawn uniformly and the reason says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from nas_ops.engine.policies.base import (
    Choice,
    ParentState,
    PolicyContext,
    register_policy,
    uniform,
)
from nas_ops.genome import Genome
from nas_ops.variation import OPERATORS, get_operator

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig

REDUCING_EXTRA = ("reinit_network",)  # neutral in complexity, but the pilot's "reduce" branch


def reduces(name: str) -> bool:
    return name in REDUCING_EXTRA or (name in OPERATORS
                                      and get_operator(name).direction == "shrink")


def grows(name: str) -> bool:
    """Whether the operator adds capacity (the engine's no-edit retraining does not)."""
    return name in OPERATORS and get_operator(name).direction == "grow"


@register_policy("diagnosis", reads_diagnosis=True)
class DiagnosisPolicy:
    name: str

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> DiagnosisPolicy:
        return cls(config.unimportant)

    def __init__(self, unimportant: float = 1.05) -> None:
        self.threshold = unimportant

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        if state is None or not state.diagnosed:
            return Choice(uniform(candidates, rng), reason="uniform: the parent has no diagnosis")
        idle = state.unimportant(self.threshold)
        output: str | None = None
        if idle:
            kind, target = reduces, idle
            why = (f"{', '.join(idle)} unimportant for every output (relevance < "
                   f"{self.threshold:g}): reduce")
        else:
            output = state.worst_output
            if output is None:
                return Choice(uniform(candidates, rng),
                              reason="uniform: the parent has no standing (its evaluation failed)")
            kind, target = grows, state.important(output)
            why = f"every network matters; add capacity next to {', '.join(target)} for {output}"
        ops = [c for c in candidates if kind(c) and c not in state.tried
               and get_operator(c).applicable(parent, state.safe)]
        if not ops:
            return Choice(uniform(candidates, rng), output=output,
                          reason=f"uniform: no {'reducing' if idle else 'growing'} operator "
                                 "applies")
        return Choice(ops[int(rng.integers(len(ops)))], frozenset(target), output, why)

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {}
