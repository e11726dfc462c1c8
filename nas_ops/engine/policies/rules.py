"""The rules a guided search follows, read from a guidelines.json (written by ``nas-ops report``;
the format is :mod:`nas_ops.guidelines_format`, shared with the analysis that writes it).

Only what the policy uses is kept from each rule (:data:`~nas_ops.guidelines_format.POLICY_FIELDS`):
condition and level, operator, output, direction, expected effect, complexity cost (median
parameter change) and whether it replicated on the held-out bases. A run records the rules it
started with, with the file's sha256 (ledger meta ``guidelines``), and a resumed run uses the
recorded rules, not the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_ops.guidelines_format import POLICY_FIELDS, Rule, read, rule_from_dict

WHAT = "policy.guidelines"  # the config key named by every error
GuideRule = Rule  # the policy's rules are the guidelines' own, with only POLICY_FIELDS kept


@dataclass(frozen=True)
class GuideRules:
    path: str
    sha256: str
    rules: tuple[Rule, ...]

    def to_record(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256,
                "rules": [{k: getattr(r, k) for k in POLICY_FIELDS} for r in self.rules]}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> GuideRules:
        where = f"{WHAT}: {data['path']}"
        return cls(data["path"], data["sha256"],
                   tuple(rule_from_dict(r, where, k) for k, r in enumerate(data["rules"])))


def load_rules(path: str | Path) -> GuideRules:
    """The rules of the guidelines file ``path``; one-line ConfigError when it is missing, not
    JSON, not a guidelines file or of another format version."""
    found = read(path, WHAT)
    return GuideRules(found.path, found.sha256, tuple(r.policy_view() for r in found.rules))
