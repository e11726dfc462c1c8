"""The rules a guided search follows, read from a guidelines.json (format version 2, written by
``nas-ops report``; see :mod:`nas_ops.analysis.guidelines`).

Only what the policy uses is kept from each rule: condition and level, operator, output,
direction, expected effect, complexity cost (median parameter change) and whether it replicated
on the held-out bases. A run records the rules it started with, with the file's sha256 (ledger
meta ``guidelines``), and a resumed run uses the recorded rules, not the file.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError

FORMAT = "nas-ops-guidelines"
VERSION = 2  # nas_ops.analysis.guidelines.GUIDELINES_VERSION (checked by a test)
_FIELDS = ("condition", "level", "operator", "output", "direction", "expected_effect",
           "complexity_cost", "replicated")


@dataclass(frozen=True)
class GuideRule:
    condition: str
    level: str
    operator: str
    output: str
    direction: str
    expected_effect: float
    complexity_cost: float
    replicated: bool

    @property
    def score(self) -> float:
        """Expected effect per added parameter: ``expected_effect / max(complexity_cost, 1)``
        (a rule that adds no parameters, or removes some, counts as adding one; an unknown
        cost too)."""
        cost = self.complexity_cost if math.isfinite(self.complexity_cost) else 1.0
        return self.expected_effect / max(cost, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _FIELDS}


@dataclass(frozen=True)
class GuideRules:
    path: str
    sha256: str
    rules: tuple[GuideRule, ...]

    def to_record(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256,
                "rules": [r.to_dict() for r in self.rules]}

    @classmethod
    def from_record(cls, data: dict[str, Any]) -> GuideRules:
        return cls(data["path"], data["sha256"],
                   tuple(_rule(data["path"], k, r) for k, r in enumerate(data["rules"])))


def _number(value: Any) -> float:
    if value is None:  # JSON has no NaN: guidelines.json writes null for it
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _rule(where: str, k: int, raw: Any) -> GuideRule:
    if not isinstance(raw, dict):
        raise ConfigError(f"policy.guidelines: {where}: rule #{k} is not an object")
    missing = [f for f in _FIELDS if f not in raw]
    if missing:
        raise ConfigError(f"policy.guidelines: {where}: rule #{k} lacks "
                          f"{', '.join(map(repr, missing))}")
    try:
        text = {f: raw[f] for f in _FIELDS[:5]}
        if not all(isinstance(v, str) for v in text.values()):
            raise TypeError(text)
        return GuideRule(**text, expected_effect=_number(raw["expected_effect"]),
                         complexity_cost=_number(raw["complexity_cost"]),
                         replicated=raw["replicated"] is True)
    except TypeError:
        raise ConfigError(f"policy.guidelines: {where}: rule #{k} has a value of the wrong "
                          "type (text for condition, level, operator, output, direction; "
                          "numbers for expected_effect, complexity_cost)") from None


def load_rules(path: str | Path) -> GuideRules:
    """The rules of the guidelines file ``path``; one-line ConfigError when it is missing, not
    JSON, not a guidelines file or of another format version."""
    p = Path(path)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "does not exist"
        raise ConfigError(f"policy.guidelines: {str(p)!r} {what}; give the guidelines.json "
                          "that `nas-ops report RUN --out DIR` writes")
    try:
        raw = p.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"policy.guidelines: {str(p)!r} cannot be read: {exc.strerror}") \
            from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"policy.guidelines: {p}: not valid JSON ({reason})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"policy.guidelines: {p}: not a nas-ops guidelines file (no "
                          f"\"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ConfigError(f"policy.guidelines: {p}: guidelines version {data.get('version')!r}; "
                          f"this nas-ops reads version {VERSION} (derive them again with "
                          "`nas-ops report`)")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise ConfigError(f"policy.guidelines: {p}: \"rules\" is not a list")
    return GuideRules(str(p), hashlib.sha256(raw).hexdigest(),
                      tuple(_rule(str(p), k, r) for k, r in enumerate(rules)))
