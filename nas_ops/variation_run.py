"""The body of the template method :meth:`nas_ops.variation.Operator.__call__`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from nas_ops.errors import GenomeError
from nas_ops.genome.genome import Genome
from nas_ops.genome.validate import validate
from nas_ops.variation import (
    NotApplicable,
    Offspring,
    Operator,
    ReplayError,
    VariationContext,
    VariationEvent,
    VariationResult,
)
from nas_ops.variation_diff import cached_complexity, cached_hash, describe_child, merge_details
from nas_ops.variation_inherit import InheritanceMap, inheritance_map, rewired


class _Failed(Exception):  # noqa: N818 - internal control flow
    pass


def parent_uid(genome: Genome) -> str:
    """A genome's uid, or (for a genome without one) its structural hash."""
    return genome.uid or f"h{cached_hash(genome)}"


def child_uid(parent_uids: Sequence[str], op: Operator, decisions: list[dict[str, Any]],
              index: int) -> str:
    text = json.dumps([list(parent_uids), op.name, op.version, decisions, index])
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _offspring(raw: Any) -> list[Offspring]:
    items = raw if isinstance(raw, tuple | list) else (raw,)
    out = []
    for item in items:
        if isinstance(item, Offspring):
            out.append(item)
        elif isinstance(item, Genome):
            out.append(Offspring(item))
        else:
            raise _Failed(f"_apply returned {type(item).__name__}, expected Genome or Offspring")
    if not out:
        raise _Failed("_apply returned no child")
    return out


def _check_child(i: int, off: Offspring, parents: Sequence[Genome], ctx: VariationContext) -> \
        tuple[InheritanceMap, dict[str, Any]]:
    pi = i if i < len(parents) else 0
    try:
        validate(off.genome, ctx.space.rules)
    except GenomeError as exc:
        raise _Failed(f"child {i} is invalid: {exc}") from None
    imap = inheritance_map(parents, off.genome, i, off.inherit)
    detail = describe_child(parents[pi], off.genome, rewired(imap, i, len(parents)))
    bad = sorted(set(detail["touched"]) & ctx.protected(parents[pi]))
    if bad:
        raise _Failed(f"child {i} touches protected node(s) {', '.join(bad)} "
                      f"(safe outputs: {', '.join(sorted(ctx.safe))})")
    hit = sorted(set(detail["affected_outputs"]) & ctx.safe)
    if hit:  # a hyperparameter change reaches every output
        raise _Failed(f"child {i} affects safe output(s) {', '.join(hit)}")
    return imap, detail


def run_operator(op: Operator, parents: tuple[Genome, ...], ctx: VariationContext,
                 uids: Sequence[str] | None) -> VariationResult:
    puids = [parent_uid(p) for p in parents]
    event = VariationEvent(op.name, op.version, puids,
                           complexity_before=cached_complexity(parents[0]))
    try:
        offspring = _offspring(op._apply(parents, ctx))
        checked = [_check_child(i, off, parents, ctx) for i, off in enumerate(offspring)]
    except NotApplicable as exc:
        return _finish(event, ctx, parents, "not_applicable", str(exc))
    except ReplayError:
        raise
    except _Failed as exc:
        return _finish(event, ctx, parents, "failed", str(exc))
    except Exception as exc:  # noqa: BLE001 - a broken operator yields a failed event
        return _finish(event, ctx, parents, "failed", f"{type(exc).__name__}: {exc}")
    if uids is not None and len(uids) != len(offspring):
        raise ValueError(f"{len(uids)} uid(s) given for {len(offspring)} child(ren)")
    decisions = [dict(d) for d in ctx.decisions]
    new_uids = list(uids) if uids is not None else [
        child_uid(puids, op, decisions, i) for i in range(len(offspring))]
    children = tuple(off.genome.with_lineage(u, tuple(puids), op.name)
                     for off, u in zip(offspring, new_uids, strict=True))
    details = [d for _, d in checked]
    merged = merge_details(details, list(children[0].output_ids))
    event.children = new_uids
    event.decisions = decisions
    event.diff, event.touched = merged["diff"], merged["touched"]
    event.affected_outputs, event.neutral = merged["affected_outputs"], merged["neutral"]
    event.complexity_after = [d["complexity_after"] for d in details]
    event.per_child = details
    maps = tuple(m for m, _ in checked)
    event.inheritance = [{k: v.to_dict() for k, v in m.items()} for m in maps]
    return VariationResult(children, event, maps, tuple(parents))


def _finish(event: VariationEvent, ctx: VariationContext, parents: tuple[Genome, ...],
            status: str, reason: str) -> VariationResult:
    event.status, event.reason = status, reason
    event.decisions = [dict(d) for d in ctx.decisions]
    return VariationResult((), event, (), tuple(parents))
