"""Operator selection policies: given a parent, pick an operator, and where to apply it.

``choose(parent, candidates, rng, state)`` answers a :class:`Choice` (operator, target node ids,
favoured output, reason); ``state`` is the parent's :class:`ParentState` (its diagnosis, the
outputs each network reaches, its standing in the population), built by the engine
(:mod:`nas_ops.engine.parents`). The policies:

- ``uniform``, ``weights`` (fixed weights), ``adaptive`` (UCB1): the operator only
  (:mod:`.simple`);
- ``frrmab``: the fitness-rate-rank-based bandit of Li et al. 2014 (:mod:`.frrmab`);
- ``diagnosis``: the original pilot's rule from the parent's diagnosis (:mod:`.diagnosis`);
- ``guided``: replicated guidelines for the parent's worst output (:mod:`.guided`).

Every policy draws randomness only from the generator it is handed and updates its state only
in ``credit``, which the engine calls in a deterministic order, so a run replays exactly.
"""

from __future__ import annotations

from nas_ops.engine.policies.base import Choice, ParentState, Policy
from nas_ops.engine.policies.diagnosis import DiagnosisPolicy
from nas_ops.engine.policies.frrmab import FrrmabPolicy, auto_window
from nas_ops.engine.policies.guided import GuidedPolicy
from nas_ops.engine.policies.rules import GuideRule, GuideRules, load_rules
from nas_ops.engine.policies.simple import AdaptivePolicy, UniformPolicy, WeightedPolicy
from nas_ops.errors import ConfigError

NAMES = ("uniform", "weights", "adaptive", "frrmab", "diagnosis", "guided")


def make_policy(name: str, weights: dict[str, float] | None = None, exploration: float = 0.5, *,
                unimportant: float = 1.05, scaling: float = 5.0, decay: float = 1.0,
                window: int = 20, rules: GuideRules | None = None,
                explore: float = 0.1) -> Policy:
    """The policy ``name`` with its settings (``guided`` needs ``rules``)."""
    if name == "uniform":
        return UniformPolicy()
    if name == "weights":
        return WeightedPolicy(weights or {})
    if name == "adaptive":
        return AdaptivePolicy(exploration)
    if name == "frrmab":
        return FrrmabPolicy(scaling, decay, window)
    if name == "diagnosis":
        return DiagnosisPolicy(unimportant)
    if name == "guided":
        if rules is None:
            raise ConfigError("policy 'guided' needs guidelines (policy.guidelines)")
        return GuidedPolicy(rules, explore)
    raise ConfigError(f"policy.name = {name!r} is not available; choose one of: "
                      f"{', '.join(NAMES)}")


__all__ = ["NAMES", "AdaptivePolicy", "Choice", "DiagnosisPolicy", "FrrmabPolicy", "GuideRule",
           "GuideRules", "GuidedPolicy", "ParentState", "Policy", "UniformPolicy",
           "WeightedPolicy", "auto_window", "load_rules", "make_policy"]
