"""The operator base class: metadata, ``_apply`` to override, and the template method.

An operator is called on parent genomes with a :class:`VariationContext`. The public call
(:meth:`Operator.__call__`) never mutates its inputs and never raises for an inapplicable genome:
it runs the subclass's ``_apply``, validates the children with the space's rules, checks that no
protected ("safe") component was touched, computes what changed (diff, touched nodes, affected
outputs, complexity), assigns lineage, and returns a :class:`VariationResult` whose
:class:`VariationEvent` is plain JSON-able data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from nas_ops.errors import ConfigError, GenomeError, unknown
from nas_ops.genome.genome import Genome
from nas_ops.genome.validate import validate
from nas_ops.spaces import SPACES, get_space
from nas_ops.variation.context import NotApplicable, ReplayError, VariationContext
from nas_ops.variation.diff import cached_complexity, cached_hash, describe_child, merge_records
from nas_ops.variation.events import ChildRecord, VariationEvent, VariationResult
from nas_ops.variation.inheritance import (
    InheritanceMap,
    NetInheritance,
    inheritance_map,
    rewired,
)


@dataclass(frozen=True)
class Offspring:
    """What ``_apply`` may return instead of a bare genome: the child plus inheritance hints
    (child network id -> :class:`NetInheritance`) that override the defaults (same id, same
    parent, layers matched by position)."""

    genome: Genome
    inherit: dict[str, NetInheritance] = field(default_factory=dict)


# --------------------------------------------------------------------------------- operator
def summary(doc: str | None) -> str:
    """The first sentence of a docstring, on one line."""
    para = " ".join((doc or "").strip().split("\n\n")[0].split())
    head, dot, _ = para.partition(". ")
    return head + ("." if dot else "")


class Operator:
    """Base class: subclasses set the metadata and implement ``_apply`` (and optionally
    ``_candidates`` for a cheap ``applicable``)."""

    name: ClassVar[str] = ""
    family: ClassVar[str] = "network"
    arity: ClassVar[int] = 1
    direction: ClassVar[str] = "neutral"
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    function_preserving: ClassVar[bool] = False
    # The spaces the operator is written for; empty: any space of buildable networks (not the
    # fixed cells of a benchmark table, docs/tables.md). Elsewhere it is not applicable.
    spaces: ClassVar[tuple[str, ...]] = ()

    def _apply(self, parents: Sequence[Genome],
               ctx: VariationContext) -> Genome | Offspring | tuple[Genome | Offspring, ...]:
        raise NotImplementedError

    def _candidates(self, parents: Sequence[Genome], ctx: VariationContext) -> Sequence[Any] | None:
        """Targets the operator could pick; ``None`` means unknown (``applicable`` then tries)."""
        return None

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "family": self.family, "arity": self.arity,
                "direction": self.direction, "version": self.version,
                "description": self.description or summary(type(self).__doc__),
                "function_preserving": self.function_preserving}

    def applicable(self, genome: Genome | Sequence[Genome],
                   ctx_or_safe: VariationContext | Sequence[str] = ()) -> bool:
        parents = self.as_parents(genome)
        if isinstance(ctx_or_safe, VariationContext):
            ctx = ctx_or_safe
        else:
            ctx = VariationContext.from_seed(0, get_space(parents[0].space), tuple(ctx_or_safe))
        ctx = VariationContext(np.random.Generator(np.random.PCG64(0)), ctx.space, ctx.safe,
                               dict(ctx.options))
        if space_refusal(self, parents, ctx):
            return False
        try:
            cands = self._candidates(parents, ctx)
            if cands is not None:
                return len(cands) > 0
            self._apply(parents, ctx)
        except NotApplicable:
            return False
        except Exception:  # noqa: BLE001 - an operator that crashes is not applicable here
            return False
        return True

    def as_parents(self, genome: Genome | Sequence[Genome]) -> tuple[Genome, ...]:
        """The parents tuple: a single genome stands for all ``arity`` parents."""
        if isinstance(genome, Genome):
            return (genome,) * self.arity
        return tuple(genome)

    def __call__(self, parents: Sequence[Genome] | Genome, ctx: VariationContext,
                 uids: Sequence[str] | None = None) -> VariationResult:
        parents = self.as_parents(parents) if isinstance(parents, Genome) else tuple(parents)
        if len(parents) != self.arity:
            raise ConfigError(f"operator {self.name!r} takes {self.arity} parent(s), "
                              f"got {len(parents)}")
        _check_safe(parents, ctx.safe)
        return _run(self, parents, ctx, uids)


def space_refusal(op: Operator, parents: Sequence[Genome], ctx: VariationContext) -> str:
    """Why ``op`` does not apply to genomes of these parents' space ("" when it does)."""
    names = sorted({p.space for p in parents})
    if op.spaces:
        wrong = [n for n in names if n not in op.spaces]
        return f"{op.name} is for space {', '.join(op.spaces)}, not {', '.join(wrong)}" \
            if wrong else ""
    tables = [n for n in names if n in SPACES and SPACES.get(n).table]
    if ctx.space.table and ctx.space.name not in tables:
        tables.append(ctx.space.name)
    return f"space {tables[0]} holds benchmark table entries: only its own operators apply" \
        if tables else ""


def _check_safe(parents: Sequence[Genome], safe: frozenset[str]) -> None:
    for name in safe:
        for p in parents:
            if name not in p.output_ids:
                raise unknown("safe output", name, p.output_ids)


class FunctionOperator(Operator):
    """An operator made from a plain function ``fn(genome, ctx)`` (``fn(g1, g2, ctx)`` for
    arity 2) by :func:`register_operator`."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__

    def _apply(self, parents: Sequence[Genome], ctx: VariationContext) -> Any:
        return self.fn(*parents, ctx)

    def metadata(self) -> dict[str, Any]:
        meta = super().metadata()
        meta["description"] = self.description or summary(self.fn.__doc__)
        return meta


# ------------------------------------------------------------------ the template method body
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
        tuple[InheritanceMap, ChildRecord]:
    pi = i if i < len(parents) else 0
    try:
        validate(off.genome, ctx.space.rules)
    except GenomeError as exc:
        raise _Failed(f"child {i} is invalid: {exc}") from None
    imap = inheritance_map(parents, off.genome, i, off.inherit)
    record = describe_child(parents[pi], off.genome, rewired(imap, i, len(parents)))
    bad = sorted(set(record.touched) & ctx.protected(parents[pi]))
    if bad:
        raise _Failed(f"child {i} touches protected node(s) {', '.join(bad)} "
                      f"(safe outputs: {', '.join(sorted(ctx.safe))})")
    hit = sorted(set(record.affected_outputs) & ctx.safe)
    if hit:  # a hyperparameter change reaches every output
        raise _Failed(f"child {i} affects safe output(s) {', '.join(hit)}")
    return imap, record


def _run(op: Operator, parents: tuple[Genome, ...], ctx: VariationContext,
         uids: Sequence[str] | None) -> VariationResult:
    puids = [parent_uid(p) for p in parents]
    event = VariationEvent(op.name, op.version, puids,
                           complexity_before=cached_complexity(parents[0]),
                           family=op.family, direction=op.direction)
    refusal = space_refusal(op, parents, ctx)
    if refusal:
        return _finish(event, ctx, parents, "not_applicable", refusal)
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
    records = [r for _, r in checked]
    merged = merge_records(records, list(children[0].output_ids))
    event.children = new_uids
    event.decisions = decisions
    event.diff, event.touched = merged.diff, merged.touched
    event.affected_outputs, event.neutral = merged.affected_outputs, merged.neutral
    event.complexity_after = [r.complexity_after for r in records]
    event.per_child = records
    maps = tuple(m for m, _ in checked)
    event.inheritance = [{k: v.to_dict() for k, v in m.items()} for m in maps]
    return VariationResult(children, event, maps, tuple(parents))


def _finish(event: VariationEvent, ctx: VariationContext, parents: tuple[Genome, ...],
            status: str, reason: str) -> VariationResult:
    event.status, event.reason = status, reason
    event.decisions = [dict(d) for d in ctx.decisions]
    return VariationResult((), event, (), tuple(parents))


__all__ = ["FunctionOperator", "Offspring", "Operator", "child_uid", "parent_uid", "space_refusal",
           "summary"]
