"""Applying a registered operator by name, replaying a recorded variation, and what to retrain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from nas_ops.genome.genome import Genome
from nas_ops.spaces import SearchSpace
from nas_ops.variation.context import VariationContext
from nas_ops.variation.diff import downstream
from nas_ops.variation.events import VariationEvent, VariationResult
from nas_ops.variation.registry import get_operator


def apply_operator(name: str, parents: Genome | Sequence[Genome], seed: int, *,
                   space: SearchSpace | str | None = None, safe: Sequence[str] = (),
                   uids: Sequence[str] | None = None, target: Iterable[str] = (),
                   **options: Any) -> VariationResult:
    """Apply the operator ``name`` to ``parents`` with randomness drawn from ``seed``.

    ``target``: node ids the variation should act on or next to (a policy's hint, see
    :class:`VariationContext`); the event then records ``hint = {"target", "honoured"}``."""
    op = get_operator(name)
    plist = op.as_parents(parents)
    sp = space if space is not None else plist[0].space
    wanted = frozenset(target)
    ctx = VariationContext.from_seed(seed, sp, safe, target=wanted, **options)
    result = op(plist, ctx, uids)
    if wanted:
        result.event.hint = {"target": sorted(wanted), "honoured": ctx.honoured}
    return result


def replay_event(event: VariationEvent, parents: Sequence[Genome], *,
                 space: SearchSpace | str | None = None, safe: Sequence[str] = (),
                 **options: Any) -> VariationResult:
    """Re-run a recorded variation from its decisions (the result equals the original; a hint
    plays no part, the recorded decisions already hold what it chose, and is copied over)."""
    op = get_operator(event.operator)
    sp = space if space is not None else parents[0].space
    ctx = VariationContext.replaying(event.decisions, sp, safe, **options)
    result = op(tuple(parents), ctx)
    result.event.hint = dict(event.hint)
    return result


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
