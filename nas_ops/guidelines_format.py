"""The guidelines.json format (name ``nas-ops-guidelines``, version 2): its rules, how the file
is written and how it is read back. The one home of the format, below both its writer (the
analysis, :mod:`nas_ops.analysis.guidelines`, which derives the rules) and its reader (the
``guided`` policy, :mod:`nas_ops.engine.policies.rules`); no torch, no numpy.

A file is a JSON object: ``"format"``, ``"version"``, then what the analysis writes (source,
method, verdict, bases, versus_control, ...) and ``"rules"``, a list of :class:`Rule` objects.
JSON has no NaN: a non-finite number is written as ``null`` and read back as NaN. A rule must
have the fields a search uses (:data:`POLICY_FIELDS`); the others are optional and default to
"unknown" (NaN, 0, empty). Fields added within version 2 are optional, so a file written before
them reads (``regime``: the retraining budget and parent state a rule holds for; the top-level
``families``: which cells each multiple-testing family holds and how it is corrected; a
benchmark table's ``percentile_bounds``: each ``percentile`` level's band [low, high) of the
selection value, null unbounded), and a reader ignores keys it does not know.
"""

from __future__ import annotations

import hashlib
import json
import math
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from nas_ops.errors import ConfigError

FORMAT = "nas-ops-guidelines"
VERSION = 2
#: what a search keeps of a rule (and records in its ledger): every rule must have these
POLICY_FIELDS = ("condition", "level", "operator", "output", "direction", "expected_effect",
                 "complexity_cost", "replicated")
_NAN2 = (math.nan, math.nan)
_INTERVALS = ("ci", "p_improve_ci", "cliffs_ci", "scaled_ci")


@dataclass
class Rule:
    """One rule: "under <condition = level>, <operator> <direction> <output> by
    <expected_effect>", with its evidence (docs/search.md, "Guidelines")."""

    condition: str
    level: str
    operator: str
    output: str
    direction: str
    expected_effect: float
    ci: tuple[float, float] = _NAN2
    p_value: float = math.nan
    p_adjusted: float = math.nan
    support: int = 0
    p_improve: float = math.nan
    cliffs_delta: float = math.nan
    complexity_cost: float = math.nan
    n_bases: int = 0
    p_improve_ci: tuple[float, float] = _NAN2
    cliffs_ci: tuple[float, float] = _NAN2
    scaled_effect: float = math.nan
    scaled_ci: tuple[float, float] = _NAN2
    against: str = "zero"
    also: list[str] = field(default_factory=list)
    discovery: dict[str, Any] = field(default_factory=dict)
    replication: dict[str, Any] = field(default_factory=dict)
    replicated: bool = False
    #: the retraining budget and parent state the rule holds for (nas_ops.analysis.regime);
    #: empty in a file written before rules stated it
    regime: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Expected effect per added parameter: ``expected_effect / max(complexity_cost, 1)``
        (a rule that adds no parameters, or removes some, counts as adding one; an unknown
        cost too); the ``guided`` policy follows the best."""
        cost = self.complexity_cost if math.isfinite(self.complexity_cost) else 1.0
        return self.expected_effect / max(cost, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in _INTERVALS:
            d[key] = list(d[key])
        return d

    def policy_view(self) -> Rule:
        """This rule with only :data:`POLICY_FIELDS` (the rest at their defaults)."""
        return Rule(**{f: getattr(self, f) for f in POLICY_FIELDS})

    def text(self) -> str:
        where = "always" if self.condition == "all" else f"when {self.condition} = {self.level}"
        return (f"{where}: {self.operator} {self.direction} {self.output} by "
                f"{self.expected_effect:+.4g} (95% CI {self.ci[0]:+.4g} .. {self.ci[1]:+.4g}; "
                f"discovery p = {self.p_value:.2g}, Holm p = {self.p_adjusted:.2g}; "
                f"n = {self.support} from {self.n_bases} bases; "
                f"P(improve) = {self.p_improve:.2f}; median parameter change "
                f"{self.complexity_cost:+.0f}; "
                f"{'replicated' if self.replicated else 'NOT replicated'} on held-out bases)"
                + (f"; {regime_text(self.regime)}" if self.regime else ""))


def regime_text(reg: Mapping[str, Any]) -> str:
    """One clause: the budget and parent state a finding holds for ("" when unknown)."""
    if not reg:
        return ""
    budget, steps = reg.get("child_budget", {}), reg.get("child_steps", {})
    ratio, parents = reg.get("step_ratio", {}), reg.get("parents", {})
    parts = [f"children trained {budget.get('epochs', '?')} epoch(s)"]
    if budget.get("max_steps"):
        parts[0] += f" (at most {budget['max_steps']} steps)"
    if steps.get("n"):
        parts.append(f"median {steps['median']:.0f} steps")
    if ratio.get("n"):
        parts.append(f"{ratio['median']:.1%} of their parent's steps")
    state = []
    if parents.get("patience"):
        cap = f"{parents.get('max_epochs')} epochs" + (
            f" or {parents['max_steps']} steps" if parents.get("max_steps") else "")
        state.append(f"{parents.get('converged', 0)} converged (early stopping), "
                     f"{parents.get('capped', 0)} stopped at the cap of {cap}")
    elif parents.get("converged", 0) + parents.get("capped", 0):
        state.append(f"{parents.get('capped', 0)} trained without early stopping")
    if parents.get("unknown"):
        state.append(f"{parents['unknown']} of unrecorded state")
    n = sum(parents.get(k, 0) for k in ("converged", "capped", "unknown"))
    return f"holds for {', '.join(parts)}; parents ({n}): {', '.join(state) or 'none'}"


def finite(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def document(body: Mapping[str, Any]) -> dict[str, Any]:
    """A guidelines file's JSON object: the format name and version, then ``body``."""
    return {"format": FORMAT, "version": VERSION, **body}


def dumps(doc: Mapping[str, Any]) -> str:
    """The text of the guidelines file holding ``doc`` (a :func:`document`)."""
    return json.dumps(finite(dict(doc)), indent=2, sort_keys=False)


def _number(value: Any) -> float:
    if value is None:  # written for NaN
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(value)
    return value


def _interval(value: Any) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise TypeError(value)
    return (_number(value[0]), _number(value[1]))


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise TypeError(value)
    return [_text(v) for v in value]


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(value)
    return dict(value)


_TEXT = (_text, "text")
_NUMBER = (_number, "a number (or null)")
_COUNT = (_count, "a whole number")
_INTERVAL = (_interval, "a [low, high] pair of numbers (or nulls)")
_MAPPING = (_mapping, "an object")
#: how each field of a rule is read, and what it must be
_READ: dict[str, tuple[Callable[[Any], Any], str]] = {
    "condition": _TEXT, "level": _TEXT, "operator": _TEXT, "output": _TEXT, "direction": _TEXT,
    "against": _TEXT, "support": _COUNT, "n_bases": _COUNT, "also": (_texts, "a list of text"),
    "discovery": _MAPPING, "replication": _MAPPING, "regime": _MAPPING,
    "replicated": (lambda v: v is True, ""),
    **{k: _INTERVAL for k in _INTERVALS}}


def rule_from_dict(raw: Any, where: str, k: int) -> Rule:
    """Rule #``k`` of a guidelines file (``where`` prefixes the one-line ConfigError); keys
    that are no field of a rule are left out."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: rule #{k} is not an object")
    missing = [f for f in POLICY_FIELDS if f not in raw]
    if missing:
        raise ConfigError(f"{where}: rule #{k} lacks {', '.join(map(repr, missing))}")
    values = {}
    for name in (f.name for f in fields(Rule) if f.name in raw):
        read_one, kind = _READ.get(name, _NUMBER)
        try:
            values[name] = read_one(raw[name])
        except TypeError:
            raise ConfigError(f"{where}: rule #{k}: {name!r} = {reprlib.repr(raw[name])} is "
                              f"not {kind}") from None
    return Rule(**values)


@dataclass(frozen=True)
class GuidelinesFile:
    """A guidelines file as read: its path, the sha256 of its bytes, its JSON object and its
    rules."""

    path: str
    sha256: str
    data: dict[str, Any]
    rules: tuple[Rule, ...]


def read(path: str | Path, what: str = "guidelines") -> GuidelinesFile:
    """The guidelines file ``path``; a one-line ConfigError, starting with ``what``, when it is
    missing, not JSON, not a guidelines file, of another format version, or a rule is bad."""
    p = Path(path)
    if not p.is_file():
        state = "is a directory" if p.is_dir() else "does not exist"
        raise ConfigError(f"{what}: {str(p)!r} {state}; give the guidelines.json that "
                          "`nas-ops report RUN --out DIR` writes")
    try:
        raw = p.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{what}: {str(p)!r} cannot be read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{what}: {p}: not valid JSON ({reason})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(f"{what}: {p}: not a nas-ops guidelines file (no "
                          f"\"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise ConfigError(f"{what}: {p}: guidelines version {data.get('version')!r}; this "
                          f"nas-ops reads version {VERSION} (derive them again with "
                          "`nas-ops report`)")
    rules = data.get("rules")
    if not isinstance(rules, list):
        raise ConfigError(f"{what}: {p}: \"rules\" is not a list")
    return GuidelinesFile(str(p), hashlib.sha256(raw).hexdigest(), data,
                          tuple(rule_from_dict(r, f"{what}: {p}", k)
                                for k, r in enumerate(rules)))
