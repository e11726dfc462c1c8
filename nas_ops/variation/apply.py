"""Applying a registered operator by name, replaying a recorded variation, and what to retrain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.spaces import SearchSpace
from nas_ops.variation.context import VariationContext
from nas_ops.variation.diff import downstream
from nas_ops.variation.events import VariationEvent, VariationResult
from nas_ops.variation.registry import get_operator


def apply_operator(name: str, parents: Genome | Sequence[Genome], seed: int, *,
                   space: SearchSpace | str | None = None, safe: Sequence[str] = (),
                   uids: Sequence[str] | None = None, **options: Any) -> VariationResult:
    """Apply the operator ``name`` to ``parents`` with randomness drawn from ``seed``."""
    op = get_operator(name)
    plist = op.as_parents(parents)
    sp = space if space is not None else plist[0].space
    ctx = VariationContext.from_seed(seed, sp, safe, **options)
    return op(plist, ctx, uids)


def replay_event(event: VariationEvent, parents: Sequence[Genome], *,
                 space: SearchSpace | str | None = None, safe: Sequence[str] = (),
                 **options: Any) -> VariationResult:
    """Re-run a recorded variation from its decisions (the result equals the original)."""
    op = get_operator(event.operator)
    sp = space if space is not None else parents[0].space
    ctx = VariationContext.replaying(event.decisions, sp, safe, **options)
    return op(tuple(parents), ctx)


def trainable_networks(result: VariationResult, index: int) -> set[str]:
    """Networks to retrain after the variation: the touched networks and every network
    downstream of them; all networks when a training hyperparameter changed."""
    child = result.children[index]
    record = result.event.per_child[index]
    if record.diff["hyper_changed"]:
        return set(child.network_ids)
    nets = set(child.network_ids)
    return downstream(child, [t for t in record.touched if child.has_node(t)]) & nets


__all__ = ["apply_operator", "replay_event", "trainable_networks"]
