"""The policy of a run, from its config: settings, the frrmab window, and the guided rules.

A ``guided`` run reads its guidelines file when it starts and records the rules with the file's
sha256 in the ledger (meta ``guidelines``); a resumed (or extended) run uses the recorded rules
and does not read the file again, so moving or rewriting the file cannot change a run.
"""

from __future__ import annotations

from pathlib import Path

from nas_ops.config import RunConfig
from nas_ops.engine.components import recorded_meta
from nas_ops.engine.policies import GuideRules, Policy, auto_window, load_rules, make_policy


def run_rules(config: RunConfig, run_dir: Path) -> GuideRules | None:
    """The rules of a ``guided`` run (recorded ones first); None for other policies."""
    if config.policy.name != "guided":
        return None
    recorded = recorded_meta(run_dir, "guidelines")
    if recorded is not None:
        return GuideRules.from_record(recorded)
    return load_rules(config.policy.guidelines)


def policy_for(config: RunConfig, n_mutation: int, rules: GuideRules | None) -> Policy:
    p = config.policy
    window = p.window or auto_window(config.search.population, n_mutation)
    return make_policy(p.name, p.weights, p.exploration, unimportant=p.unimportant,
                       scaling=p.scaling, decay=p.decay, window=window, rules=rules,
                       explore=p.explore)
