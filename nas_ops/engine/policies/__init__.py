"""Operator selection policies: given a parent, pick an operator, and where to apply it.

``choose(parent, candidates, rng, state)`` answers a :class:`Choice` (operator, target node ids,
favoured output, reason); ``state`` is the parent's :class:`ParentState` (its diagnosis, the
outputs each network reaches, its standing in the population), built by the engine
(:mod:`nas_ops.engine.parents`). The policies:

- ``uniform``, ``weights`` (fixed weights), ``adaptive`` (UCB1): the operator only
  (:mod:`.simple`);
- ``frrmab``: the fitness-rate-rank-based bandit of Li et al. 2014, and ``ucb``: UCB1 of Auer
  et al. 2002 with the credit of ``frrmab`` (:mod:`.bandits`);
- ``learned``: operator and target drawn by a softmax over a fitted effect model's predicted
  improvement (:mod:`.learned`, the model :mod:`nas_ops.experiments.effect_model`);
- ``diagnosis``: the original pilot's rule from the parent's diagnosis (:mod:`.diagnosis`);
- ``guided``: replicated guidelines for the parent's worst output (:mod:`.guided`).

:data:`POLICIES` is the one list of their names: each registers itself with
:func:`register_policy` and builds itself from the config with ``from_config`` (config
validation reads the registry; a third-party policy registers the same way, through the
``nas_ops.policies`` entry-point group). Every policy draws randomness only from the generator
it is handed and updates its state only in ``credit``, which the engine calls in a
deterministic order, so a run replays exactly.
"""

from __future__ import annotations

from nas_ops.engine.policies.base import (
    POLICIES,
    Choice,
    ParentState,
    Policy,
    PolicyContext,
    register_policy,
)

# isort: off
# the registration order is the order a config error lists the policies in
from nas_ops.engine.policies.simple import AdaptivePolicy, UniformPolicy, WeightedPolicy
from nas_ops.engine.policies.bandits import FrrmabPolicy, UcbPolicy, auto_window
from nas_ops.engine.policies.diagnosis import DiagnosisPolicy
from nas_ops.engine.policies.guided import GuidedPolicy
from nas_ops.engine.policies.learned import LearnedPolicy

# isort: on
from nas_ops.engine.policies.rules import GuideRule, GuideRules, load_rules

__all__ = ["POLICIES", "AdaptivePolicy", "Choice", "DiagnosisPolicy", "FrrmabPolicy",
           "GuideRule", "GuideRules", "GuidedPolicy", "LearnedPolicy", "ParentState", "Policy",
           "PolicyContext", "UcbPolicy", "UniformPolicy", "WeightedPolicy", "auto_window",
           "load_rules", "register_policy"]
