"""``learned``: the operator and its target drawn by a softmax over an effect model's predicted
improvement of the selection metric (issue 23 point 2).

The model (``policy.model``, a file :mod:`nas_ops.experiments.effect_fit` writes; format
:mod:`.effects`) predicts child minus parent per objective of a benchmark table. For a parent
with a recorded selection value, every (operator, target) is scored: the run's mutation
operators the model knows that have not already failed for this child, at every target the
operator's own candidate list offers for the parent (a node on nbgraph, an edge on nb201). The
score is the predicted change of ``class`` (the selection metric); the pair is drawn with
probability proportional to ``exp((score - max) / (temperature * sd))``, ``sd`` the standard
deviation of the observed ``class`` effects the model was fitted on (so ``policy.temperature``
is in those units; smaller is greedier), with one draw of the generator. The target is handed to
the operator (which then changes that node or edge, the new value drawn as always). A parent
without a selection value (it failed), or one for which no pair scores, gets a uniform draw,
and the reason says so. The policy learns nothing during a run (``credit`` does nothing).
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
from nas_ops.engine.policies.effects import EffectModel, arch, load_model, position
from nas_ops.errors import ConfigError
from nas_ops.genome import Genome

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig

SELECTION = "class"


def targets(operator: str, genome: Genome) -> list[str]:
    """The targets (node or edge ids) the operator's own candidate list offers for ``genome``
    (kept on the immutable genome once found: a parent is asked about many times)."""
    return list(genome.kept(f"_targets:{operator}", lambda g: _targets(operator, g)))


def _targets(operator: str, genome: Genome) -> tuple[str, ...]:
    from nas_ops.variation import OPERATORS, VariationContext, get_operator

    if operator not in OPERATORS:  # the engine's own no-edit variation: it has no target
        return ()
    op = get_operator(operator)
    if op.arity != 1 or genome.space not in op.spaces:
        return ()
    ctx = VariationContext.replaying([], genome.space)
    found = op._candidates([genome], ctx)  # type: ignore[attr-defined]
    return tuple(str(t) for t in found or ())


@register_policy("learned")
class LearnedPolicy:
    name: str

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> LearnedPolicy:
        if not config.model:
            raise ConfigError("policy 'learned' needs policy.model, the path of an effect "
                              "model (studies/policy_results.py fit writes one)")
        return cls(load_model(config.model), config.temperature)

    def __init__(self, model: EffectModel, temperature: float = 0.25) -> None:
        if not (temperature > 0 and math.isfinite(temperature)):
            raise ConfigError(f"policy.temperature must be finite and > 0, got {temperature}")
        self.model = model
        self.temperature = temperature
        self.scale = temperature * max(model.effect_sd.get(SELECTION, 1.0), 1e-12)
        self.column = model.objectives.index(SELECTION)

    def scores(self, parent: Genome, candidates: Sequence[str],
               value: float) -> list[tuple[str, str, float]]:
        """(operator, target, predicted change of the selection metric) of every pair."""
        link, ops = arch(parent)
        pct = self.model.percentile(value)
        pairs, rows = [], []
        for op in candidates:
            if op not in self.model.operators:
                continue
            for t in targets(op, parent):
                pairs.append((op, t))
                rows.append(self.model.encode(link, ops, op, position(parent, t), pct))
        if not pairs:
            return []
        pred = self.model.predict(np.asarray(rows))[:, self.column]
        return [(op, t, float(p)) for (op, t), p in zip(pairs, pred, strict=True)]

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        value = state.values.get(SELECTION) if state is not None else None
        if value is None or not math.isfinite(value):
            return Choice(uniform(candidates, rng),
                          reason="uniform: the parent has no selection value")
        arms = untried(candidates, state)
        scored = self.scores(parent, arms, value)
        if not scored:
            return Choice(uniform(arms, rng),
                          reason="uniform: the model scores no operator and target here")
        pred = np.array([s for _, _, s in scored])
        w = np.exp((pred - pred.max()) / self.scale)
        cum = np.cumsum(w / w.sum())
        k = min(int(np.searchsorted(cum, rng.random(), side="right")), len(scored) - 1)
        op, target, score = scored[k]
        return Choice(op, frozenset({target}), SELECTION,
                      f"learned: {op} at {target} predicts {score:+.4g} on {SELECTION} "
                      f"(best {pred.max():+.4g}; temperature {self.temperature:g})")

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {"model": self.model.table, "sha256": self.model.sha256}
