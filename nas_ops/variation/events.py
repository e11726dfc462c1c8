"""What a variation did, as typed records that serialise to plain JSON.

A :class:`VariationEvent` is written to the ledger (``to_dict`` at the store boundary) and read
back (``from_dict``); it carries the operator's ``family`` and complexity ``direction`` as they
were registered when the variation ran, so a run can be analysed without the operator's plugin.
Events of ledgers written before these fields existed load with both set to :data:`UNKNOWN`;
child records written before per-output complexity existed (ledger schema < 5) load with empty
``output_complexity_before`` / ``output_complexity_after``.
``hint`` is what the policy asked for (target node ids, favoured output, its reason, and whether
the operator could honour the target); it is written only when there is one, so events of runs
without hints, and ledgers older than the field, stay exactly as they were.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from nas_ops.errors import ConfigError
from nas_ops.genome.genome import Genome
from nas_ops.variation.inheritance import InheritanceMap

FAMILIES = ("connection", "network", "layer", "hyperparameter", "crossover")
DIRECTIONS = ("grow", "shrink", "neutral")
STATUSES = ("ok", "not_applicable", "failed")
UNKNOWN = "unknown"
MATCHED_CONTROL = "matched_control"  # a study's control of one edit child (see control())
#: no edit: the parent retrained whole (every network from its weights, the child's own seed);
#: a study's unpaired control, and in a search the "training-only" variation (see control())
RETRAIN_CONTROL = "retrain_control"
DIFF_KEYS = ("nodes_added", "nodes_removed", "nodes_changed", "edges_added", "edges_removed",
             "hyper_changed")


def empty_diff() -> dict[str, list[str]]:
    return {k: [] for k in DIFF_KEYS}


def _nested(table: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {k: dict(v) for k, v in table.items()}


@dataclass
class ChildRecord:
    """What one child changed compared with its parent (see ``VariationEvent.per_child``).

    ``output_complexity_before`` / ``_after``: per output of the parent / the child,
    ``{"parameters", "flops"}`` of the networks that reach it
    (:func:`nas_ops.genome.shapes.output_cost`); empty in ledgers older than schema 5."""

    diff: dict[str, list[str]] = field(default_factory=empty_diff)
    touched: list[str] = field(default_factory=list)
    affected_outputs: list[str] = field(default_factory=list)
    neutral: bool = False
    complexity_before: dict[str, int] = field(default_factory=dict)
    complexity_after: dict[str, int] = field(default_factory=dict)
    output_complexity_before: dict[str, dict[str, int]] = field(default_factory=dict)
    output_complexity_after: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"diff": {k: list(v) for k, v in self.diff.items()},
                "touched": list(self.touched), "affected_outputs": list(self.affected_outputs),
                "neutral": self.neutral, "complexity_before": dict(self.complexity_before),
                "complexity_after": dict(self.complexity_after),
                "output_complexity_before": _nested(self.output_complexity_before),
                "output_complexity_after": _nested(self.output_complexity_after)}

    def output_delta(self, output: str, key: str) -> float:
        """Child minus parent ``key`` (``parameters`` or ``flops``) of ``output``'s subgraph;
        nan when the record has no per-output complexity (an old ledger) or lacks the output."""
        before = self.output_complexity_before.get(output, {})
        after = self.output_complexity_after.get(output, {})
        if key not in before or key not in after:
            return math.nan
        return float(after[key]) - float(before[key])

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChildRecord:
        extra = set(data) - set(cls.__dataclass_fields__)
        if extra:
            raise ConfigError(f"variation child record has unknown field(s): "
                              f"{', '.join(sorted(extra))}")
        return cls(**json.loads(json.dumps(data)))


@dataclass
class VariationEvent:
    """What one variation did (see ``to_dict`` for its JSON form).

    Top-level ``diff``, ``touched`` and ``affected_outputs`` are the union over children (child i
    compared with parent i, or with parent 0 when there are more children than parents);
    ``per_child`` holds each child's own record, ``inheritance`` each child's inheritance map
    (JSON form of :class:`~nas_ops.variation.inheritance.NetInheritance` per network).
    ``hint``: the policy's hint, ``{"target": [...], "output": ..., "reason": ...,
    "honoured": bool}`` (empty when the policy gave none).
    """

    operator: str
    version: int
    parents: list[str]
    children: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    diff: dict[str, list[str]] = field(default_factory=dict)
    touched: list[str] = field(default_factory=list)
    affected_outputs: list[str] = field(default_factory=list)
    complexity_before: dict[str, int] = field(default_factory=dict)
    complexity_after: list[dict[str, int]] = field(default_factory=list)
    status: str = "ok"
    reason: str = ""
    neutral: bool = False
    per_child: list[ChildRecord] = field(default_factory=list)
    inheritance: list[dict[str, Any]] = field(default_factory=list)
    family: str = UNKNOWN
    direction: str = UNKNOWN
    hint: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def child_record(self, index: int = 0) -> ChildRecord:
        """Child ``index``'s own record; an event without per-child records (a failed or old
        one) answers with its top-level union."""
        if index < len(self.per_child):
            return self.per_child[index]
        after = self.complexity_after[index] if index < len(self.complexity_after) else {}
        return ChildRecord(dict(self.diff) or empty_diff(), list(self.touched),
                           list(self.affected_outputs), self.neutral,
                           dict(self.complexity_before), dict(after))

    def _fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items()
                if k != "per_child" and (k != "hint" or v)}
        data["per_child"] = [c.to_dict() for c in self.per_child]
        return data

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as plain data (a deep copy: lists for tuples)."""
        return dict(json.loads(json.dumps(self._fields())))

    def to_json(self) -> str:
        """``json.dumps(self.to_dict(), sort_keys=True)`` without the round trip (the ledger's
        form of the event)."""
        return json.dumps(self._fields(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariationEvent:
        """Parse an event's JSON form; an old event without ``family``/``direction`` gets
        :data:`UNKNOWN` for them, one without ``hint`` an empty hint."""
        extra = set(data) - set(cls.__dataclass_fields__)
        if extra:
            raise ConfigError(f"variation event has unknown field(s): {', '.join(sorted(extra))}")
        fields = json.loads(json.dumps(data))
        fields["per_child"] = [ChildRecord.from_dict(c) for c in fields.get("per_child", [])]
        return cls(**fields)

    @classmethod
    def control(cls, operator: str, parent: str, child: str, output_ids: list[str],
                complexity: dict[str, int], inheritance: dict[str, Any], *,
                control_of: str | None = None,
                output_complexity: dict[str, dict[str, int]] | None = None) -> VariationEvent:
        """The event of a retrain-only control child: no edit, the parent's own weights copied
        whole; ``output_ids`` are the outputs its retrained networks reach (every output for a
        retrain-everything control). A control is no registered operator: its family stays
        :data:`UNKNOWN`, its direction is ``neutral``. A matched control (operator
        :data:`MATCHED_CONTROL`) names the edit child it controls in ``control_of``, recorded as
        the decision ``{"name": "control_of", "value": <edit uid>}``. ``output_complexity``
        (the parent's per-output complexity) is recorded unchanged before and after."""
        per_output = output_complexity or {}
        record = ChildRecord(empty_diff(), [], list(output_ids), True, dict(complexity),
                             dict(complexity), _nested(per_output), _nested(per_output))
        decision = ({"name": "control", "value": child} if control_of is None
                    else {"name": "control_of", "value": control_of})
        return cls(operator, 1, [parent], [child], [decision],
                   empty_diff(), [], list(output_ids), dict(complexity), [dict(complexity)],
                   "ok", "", True, [record], [inheritance], UNKNOWN, "neutral")


@dataclass(frozen=True)
class VariationResult:
    """The children of one variation (none unless ``ok``), its event, and the inheritance maps
    and parents needed to build the children's weights."""

    children: tuple[Genome, ...]
    event: VariationEvent
    inheritance: tuple[InheritanceMap, ...] = ()
    parents: tuple[Genome, ...] = ()

    @property
    def ok(self) -> bool:
        return self.event.status == "ok"


__all__ = ["DIFF_KEYS", "DIRECTIONS", "FAMILIES", "MATCHED_CONTROL", "RETRAIN_CONTROL",
           "STATUSES", "UNKNOWN",
           "ChildRecord", "VariationEvent", "VariationResult", "empty_diff"]
