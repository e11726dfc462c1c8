"""``guided``: choose the operator and its target from replicated guidelines and the parent's
diagnosis.

For the parent's worst output (its lowest standing in the population), the applicable rules are
those that replicated on held-out bases, say the operator *improves* that output, name an
operator of the run that applies to the parent (and has not already failed for this child), and
whose condition holds for the parent:

- ``all``, ``affected = affected`` and ``worst_output = worst``: always (the output is the
  worst); ``worst_output = other`` and ``affected = unaffected``: never;
- ``relevance = high`` / ``low``: the target is the networks reaching the output whose relevance
  is at least / below the median over them (the rule needs one);
- ``distance = near`` / ``far``: the target is the networks with an edge into the output / the
  other networks reaching it (the rule needs one);
- ``size = small`` / ``large``: the parent's parameters are at most / above the population
  median (size percentile <= 0.5 / > 0.5).

Each rule is scored by expected effect per added parameter (:attr:`GuideRule.score`); the best
score wins (ties: drawn with the generator among the tied operators). The target is the rule's
networks (above), else the networks that matter most for the output
(:meth:`ParentState.important`). When no such rule applies, the operator is drawn uniformly
among the run's operators *except* those of replicated rules that say the operator *worsens*
that output under a condition that holds for the parent (all of them when that would leave
none): the guidelines steer away from known harm. With probability ``explore``
(``policy.explore``, default 0.1) the operator is drawn uniformly instead, so that a parent whose
worst output stays the same does not get the same operator forever. Without a standing (or
without any parent state) the operator is drawn uniformly. A parent without a diagnosis (a
benchmark table's architecture: the ``table`` backend trains nothing to diagnose) still follows
the rules whose condition needs none (``all``, ``affected``, ``worst_output``, ``distance``,
``size``) and a table's own conditions (:mod:`.table_conditions`: the parent's percentile in
the table, the node or edge, the operation it carries); ``relevance`` rules do not hold for it.
The reason always says why.
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
    excluding,
    register_policy,
    uniform,
)
from nas_ops.engine.policies.rules import GuideRule, GuideRules
from nas_ops.engine.policies.table_conditions import CONDITIONS as TABLE_CONDITIONS
from nas_ops.engine.policies.table_conditions import Bounds, table_target
from nas_ops.errors import ConfigError
from nas_ops.genome import Genome
from nas_ops.variation import get_operator

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig


def rule_target(rule: GuideRule, state: ParentState, parent: Genome | None = None,
                bounds: Bounds | None = None) -> list[str] | None:
    """The networks ``rule`` should act on for this parent; None when its condition does not
    hold for the parent. A benchmark table's conditions (:mod:`.table_conditions`) need the
    parent genome and the guidelines' percentile ``bounds``."""
    if rule.condition in TABLE_CONDITIONS:
        return None if parent is None else table_target(rule, parent, state, bounds or {})
    out = rule.output
    key = (rule.condition, rule.level)
    free = not state.diagnosed  # what matters cannot be told: the operator draws its target
    if key in (("all", "all"), ("affected", "affected"), ("worst_output", "worst")):
        return [] if free else state.important(out)
    if rule.condition == "relevance" and free:
        return None
    if rule.condition == "relevance" and rule.level in ("high", "low"):
        top = state.important(out)
        nets = top if rule.level == "high" else [n for n in state.reaching(out) if n not in top]
        return nets or None
    if rule.condition == "distance" and rule.level in ("near", "far"):
        near = [n for n in state.reaching(out) if n in state.feeds.get(out, ())]
        nets = near if rule.level == "near" else [n for n in state.reaching(out)
                                                  if n not in near]
        return nets or None
    if rule.condition == "size" and rule.level in ("small", "large") and state.size is not None:
        small = state.size <= 0.5
        if small != (rule.level == "small"):
            return None
        return [] if free else state.important(out)
    return None  # worst_output = other, affected = unaffected, or a condition unknown here


@register_policy("guided", reads_diagnosis=True, reads_guidelines=True)
class GuidedPolicy:
    name: str

    @classmethod
    def from_config(cls, config: PolicyConfig, context: PolicyContext) -> GuidedPolicy:
        if context.rules is None:
            raise ConfigError("policy 'guided' needs guidelines (policy.guidelines)")
        return cls(context.rules, config.explore)

    def __init__(self, rules: GuideRules, explore: float = 0.1) -> None:
        self.rules = rules
        self.explore = explore
        self._by_output: dict[tuple[str, str], tuple[GuideRule, ...]] = {}

    def _followed(self, output: str, direction: str) -> tuple[GuideRule, ...]:
        """The replicated rules saying an operator ``direction`` ``output`` (kept per pair)."""
        key = (output, direction)
        if key not in self._by_output:
            self._by_output[key] = tuple(
                r for r in self.rules.rules if r.replicated and r.direction == direction
                and r.output == output and (direction != "improves" or math.isfinite(r.score)))
        return self._by_output[key]

    def _usable(self, parent: Genome, candidates: Sequence[str],
                state: ParentState, output: str) -> list[tuple[GuideRule, list[str]]]:
        found = []
        applies: dict[str, bool] = {}
        for rule in self._followed(output, "improves"):
            if rule.operator not in candidates or rule.operator in state.tried:
                continue
            nets = rule_target(rule, state, parent, self.rules.bounds)
            if nets is None:
                continue
            if rule.operator not in applies:
                applies[rule.operator] = get_operator(rule.operator).applicable(parent,
                                                                                state.safe)
            if applies[rule.operator]:
                found.append((rule, nets))
        return found

    def _avoided(self, parent: Genome, candidates: Sequence[str], state: ParentState,
                 output: str) -> list[str]:
        """Operators of a replicated rule that *worsens* ``output`` under a condition that
        holds for the parent: left out of the uniform fallback."""
        return sorted({r.operator for r in self._followed(output, "worsens")
                       if r.operator in candidates
                       and rule_target(r, state, parent, self.rules.bounds) is not None})

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice:
        if state is None:
            return Choice(uniform(candidates, rng), reason="uniform: the parent has no diagnosis")
        output = state.worst_output
        if self.explore > 0 and rng.random() < self.explore:
            return Choice(uniform(candidates, rng), output=output,
                          reason=f"uniform: exploration (probability {self.explore:g})")
        if output is None:
            return Choice(uniform(candidates, rng),
                          reason="uniform: the parent has no standing (its evaluation failed)")
        usable = self._usable(parent, candidates, state, output)
        if not usable:
            avoided = self._avoided(parent, candidates, state, output)
            rest = excluding(candidates, avoided)
            why = f"; avoiding {', '.join(avoided)} (worsens {output})" if avoided else ""
            return Choice(uniform(rest, rng), output=output,
                          reason=f"uniform: no replicated rule improving {output} applies{why}")
        best = max(rule.score for rule, _ in usable)
        tied = [(rule, nets) for rule, nets in usable if rule.score == best]
        ops = list(dict.fromkeys(rule.operator for rule, _ in tied))
        op = ops[int(rng.integers(len(ops)))] if len(ops) > 1 else ops[0]
        rule, nets = next((r, n) for r, n in tied if r.operator == op)
        where = "always" if rule.condition == "all" else f"{rule.condition} = {rule.level}"
        free = "" if state.diagnosed or nets else "; no diagnosis: the operator draws its target"
        return Choice(op, frozenset(nets), output,
                      f"rule ({where}): {op} improves {output} by {rule.expected_effect:+.3g} "
                      f"at {rule.complexity_cost:+.0f} parameters (score {rule.score:.3g}){free}")

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None:
        return None

    def state(self) -> dict[str, Any]:
        return {}
