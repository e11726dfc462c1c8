"""The policy of a run, from its config, through the policy registry; and the guided rules.

A policy that reads guidelines (``guided``) gets them when the run starts, and the run records
them with the file's sha256 in the ledger (meta ``guidelines``); a resumed (or extended) run
uses the recorded rules and does not read the file again, so moving or rewriting the file
cannot change a run.
"""

from __future__ import annotations

from pathlib import Path

from nas_ops.config import RunConfig
from nas_ops.engine.components import recorded_meta
from nas_ops.engine.policies import POLICIES, GuideRules, Policy, PolicyContext, load_rules


def run_rules(config: RunConfig, run_dir: Path) -> GuideRules | None:
    """The rules of a run whose policy reads guidelines (recorded ones first); None for
    other policies."""
    if not POLICIES.meta(config.policy.name).get("reads_guidelines"):
        return None
    recorded = recorded_meta(run_dir, "guidelines")
    if recorded is not None:
        return GuideRules.from_record(recorded)
    return load_rules(config.policy.guidelines)


def policy_for(config: RunConfig, n_mutation: int, rules: GuideRules | None) -> Policy:
    """The run's policy, built by its registered ``from_config``."""
    context = PolicyContext(config.search.population, n_mutation, rules)
    return POLICIES.get(config.policy.name)(config.policy, context)
