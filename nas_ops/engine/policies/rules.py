"""The rules a guided search follows, read from a guidelines.json (written by ``nas-ops report``;
the format is :mod:`nas_ops.guidelines_format`, shared with the analysis that writes it).

Only what the policy uses is kept from each rule (:data:`~nas_ops.guidelines_format.POLICY_FIELDS`):
condition and level, operator, output, direction, expected effect, complexity cost (median
parameter change) and whether it replicated on the held-out bases. A run records the rules it
started with, with the file's sha256 (ledger meta ``guidelines``), and a resumed run uses the
recorded rules, not the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError
from nas_ops.guidelines_format import POLICY_FIELDS, Rule, read, rule_from_dict

WHAT = "policy.guidelines"  # the config key named by every error
GuideRule = Rule  # the policy's rules are the guidelines' own, with only POLICY_FIELDS kept


Band = tuple[float | None, float | None]


@dataclass(frozen=True)
class GuideRules:
    """The rules, and (a benchmark table's guidelines) ``bounds``: each ``percentile`` level's
    band of the selection value, (low, high) with low <= value < high, None unbounded."""

    path: str
    sha256: str
    rules: tuple[Rule, ...]
    bounds: dict[str, Band] = field(default_factory=dict)

    def to_record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "sha256": self.sha256,
                               "rules": [{k: getattr(r, k) for k in POLICY_FIELDS}
                                         for r in self.rules]}
        if self.bounds:
            out["percentile_bounds"] = {k: list(v) for k, v in self.bounds.items()}
        return out

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> GuideRules:
        where = f"{WHAT}: {data['path']}"
        return cls(data["path"], data["sha256"],
                   tuple(rule_from_dict(r, where, k) for k, r in enumerate(data["rules"])),
                   _bounds(data.get("percentile_bounds"), where))


def _bounds(raw: Any, where: str) -> dict[str, Band]:
    """``percentile_bounds`` of a guidelines file or record: level -> [low, high]."""
    if raw is None:
        return {}
    ok = isinstance(raw, dict) and all(
        isinstance(v, list) and len(v) == 2
        and all(x is None or (isinstance(x, int | float) and not isinstance(x, bool)) for x in v)
        for v in raw.values())
    if not ok:
        raise ConfigError(f"{where}: \"percentile_bounds\" is not an object of "
                          "[low, high] pairs (numbers or null)")
    return {str(k): (v[0], v[1]) for k, v in raw.items()}


def load_rules(path: str | Path) -> GuideRules:
    """The rules of the guidelines file ``path``; one-line ConfigError when it is missing, not
    JSON, not a guidelines file or of another format version."""
    found = read(path, WHAT)
    return GuideRules(found.path, found.sha256, tuple(r.policy_view() for r in found.rules),
                      _bounds(found.data.get("percentile_bounds"), f"{WHAT}: {found.path}"))
