"""The conditions of a benchmark table's guidelines as the ``guided`` policy reads them for a
parent architecture (the table operator study writes them: docs/tables-operators.md).

- ``percentile = p<a>-<b>``: the parent's selection value lies in the band the study's
  guidelines file gives that level (``percentile_bounds``: the parent's percentile among all the
  table's architectures by the selection metric, as the study binned its bases); the operator
  draws its target;
- ``target = <label>``: the node (nbgraph, ``n0`` .. ``n3`` by position in (link, ops)) or edge
  (nb201, ``e01`` .. ``e23``) the study labels so; the target is that node or edge when the
  operator's own candidates offer it for the parent;
- ``replaced = <operation>``: the parent's nodes or edges carrying that operation (those the
  operator offers);
- ``put_in = <operation>`` (the operation an edit puts in) is not followed: a policy chooses the
  operator and its target, the operator draws the new operation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from nas_ops.engine.policies.base import ParentState
from nas_ops.engine.policies.effects import arch, slots
from nas_ops.engine.policies.learned import SELECTION, targets
from nas_ops.engine.policies.rules import Band
from nas_ops.genome import Genome
from nas_ops.guidelines_format import Rule

CONDITIONS = ("percentile", "target", "replaced", "put_in")
Bounds = Mapping[str, Band]


def in_band(value: float | None, band: Band | None) -> bool:
    """Whether ``value`` lies in ``band`` = (low, high): low <= value < high, None unbounded."""
    if band is None or value is None or not math.isfinite(value):
        return False
    low, high = band
    return (low is None or value >= low) and (high is None or value < high)


def table_target(rule: Rule, parent: Genome, state: ParentState,
                 bounds: Bounds) -> list[str] | None:
    """The nodes ``rule`` (a condition of :data:`CONDITIONS`) should act on for this parent
    (empty: the operator draws its target); None when its condition does not hold for it."""
    if rule.condition == "percentile":
        return [] if in_band(state.values.get(SELECTION), bounds.get(rule.level)) else None
    where = slots(parent)
    if rule.condition == "target":
        nets = [where[rule.level]] if rule.level in where else []
    elif rule.condition == "replaced":
        ops = arch(parent)[1]
        nets = [nid for nid, op in zip(where.values(), ops, strict=True) if op == rule.level]
    else:
        return None
    offered = set(targets(rule.operator, parent))
    return [n for n in nets if n in offered] or None
