"""Variation operators: the template-method base, the context that records decisions, the registry.

An operator is called on parent genomes with a :class:`VariationContext`. The public call
(:meth:`Operator.__call__`) never mutates its inputs and never raises for an inapplicable genome:
it runs the subclass's ``_apply``, validates the children with the space's rules, checks that no
protected ("safe") component was touched, computes what changed (diff, touched nodes, affected
outputs, complexity), assigns lineage, and returns a :class:`VariationResult` whose
:class:`VariationEvent` is plain JSON-able data. Every random decision goes through the context
(``ctx.choice``, ``ctx.integers``, ``ctx.uniform``, ``ctx.generator``), so a variation can be
replayed exactly from its recorded decisions.

Built-in operators live in the top-level ``operators`` package and register through the
``nas_ops.operators`` entry-point group, like any third-party operator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from nas_ops.errors import ConfigError, NasOpsError, unknown
from nas_ops.genome.genome import Genome
from nas_ops.registry import Registry
from nas_ops.rng import generator as rng_generator
from nas_ops.spaces import SearchSpace, get_space
from nas_ops.variation_diff import protected_nodes
from nas_ops.variation_inherit import (
    InheritanceMap,
    NetInheritance,
    child_model,
    trainable_networks,
)

T = TypeVar("T")

FAMILIES = ("connection", "network", "layer", "hyperparameter", "crossover")
DIRECTIONS = ("grow", "shrink", "neutral")
STATUSES = ("ok", "not_applicable", "failed")

__all__ = [
    "DIRECTIONS", "FAMILIES", "OPERATORS", "InheritanceMap", "NetInheritance", "NotApplicable",
    "Offspring", "Operator", "ReplayError", "VariationContext", "VariationEvent",
    "VariationResult", "apply_operator", "child_model", "get_operator", "list_operators",
    "register_operator", "replay_event", "trainable_networks",
]


class NotApplicable(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside ``_apply`` when the operator can do nothing to these parents."""


class ReplayError(NasOpsError, ValueError):
    """Recorded decisions do not match what the operator asks for while replaying."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --------------------------------------------------------------------------------- context
@dataclass
class VariationContext:
    """Randomness of one variation, with every decision recorded (or replayed) in order.

    ``options`` carries operator-specific settings (e.g. ``{"dropout": 0.3}``); operators read
    them with ``ctx.options.get(...)``.
    """

    rng: np.random.Generator
    space: SearchSpace
    safe: frozenset[str] = frozenset()
    options: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    replay: list[dict[str, Any]] | None = None

    @classmethod
    def from_seed(cls, seed: int, space: SearchSpace | str, safe: Sequence[str] = (),
                  **options: Any) -> VariationContext:
        sp = get_space(space) if isinstance(space, str) else space
        return cls(rng_generator(int(seed), "variation"), sp, frozenset(safe), dict(options))

    @classmethod
    def replaying(cls, decisions: Sequence[dict[str, Any]], space: SearchSpace | str,
                  safe: Sequence[str] = (), **options: Any) -> VariationContext:
        sp = get_space(space) if isinstance(space, str) else space
        rng = np.random.Generator(np.random.PCG64(0))  # never drawn from while replaying
        return cls(rng, sp, frozenset(safe), dict(options), [], [dict(d) for d in decisions])

    # ----------------------------------------------------------------- decisions
    def _replayed(self, name: str) -> Any:
        assert self.replay is not None
        k = len(self.decisions)
        if k >= len(self.replay):
            raise ReplayError(f"replay ran out of decisions at #{k} ({name!r})")
        rec = self.replay[k]
        if rec.get("name") != name:
            raise ReplayError(f"replay decision #{k} is {rec.get('name')!r}, "
                              f"the operator asks for {name!r}")
        return rec["value"]

    def _record(self, name: str, value: Any) -> None:
        self.decisions.append({"name": name, "value": _jsonable(value)})

    def choice(self, name: str, options: Sequence[T]) -> T:
        """One of ``options`` (uniformly); raises NotApplicable when there is none."""
        if not options:
            raise NotApplicable(f"no candidate for {name!r}")
        if self.replay is not None:
            want = self._replayed(name)
            for opt in options:
                if _jsonable(opt) == want:
                    self._record(name, opt)
                    return opt
            raise ReplayError(f"replayed {name!r} = {want!r} is not among the options now")
        value = options[int(self.rng.integers(len(options)))]
        self._record(name, value)
        return value

    def integers(self, name: str, low: int, high: int) -> int:
        """An integer in ``[low, high)`` (numpy convention: ``high`` excluded)."""
        if high <= low:
            raise NotApplicable(f"empty range for {name!r}: [{low}, {high})")
        value = int(self._replayed(name)) if self.replay is not None else int(
            self.rng.integers(low, high))
        self._record(name, value)
        return value

    def uniform(self, name: str, low: float, high: float) -> float:
        value = float(self._replayed(name)) if self.replay is not None else float(
            self.rng.uniform(low, high))
        self._record(name, value)
        return value

    def generator(self, name: str) -> np.random.Generator:
        """A generator from a recorded seed (pass it to ``space.sample_*`` for exact replay)."""
        seed = self.integers(name, 0, 2**62)
        return np.random.Generator(np.random.PCG64(seed))

    def protected(self, genome: Genome) -> set[str]:
        """Nodes that reach a safe output (the safe outputs included): never to be touched."""
        return protected_nodes(genome, self.safe)


# ---------------------------------------------------------------------------------- records
@dataclass
class VariationEvent:
    """What one variation did, as JSON-able data (see ``to_dict``).

    Top-level ``diff``, ``touched`` and ``affected_outputs`` are the union over children (child i
    compared with parent i, or with parent 0 when there are more children than parents);
    ``per_child`` holds each child's own record, ``inheritance`` each child's inheritance map.
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
    per_child: list[dict[str, Any]] = field(default_factory=list)
    inheritance: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.__dict__))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VariationEvent:
        known = set(cls.__dataclass_fields__)
        extra = set(data) - known
        if extra:
            raise ConfigError(f"variation event has unknown field(s): {', '.join(sorted(extra))}")
        return cls(**json.loads(json.dumps(data)))


@dataclass(frozen=True)
class VariationResult:
    children: tuple[Genome, ...]
    event: VariationEvent
    inheritance: tuple[InheritanceMap, ...] = ()
    parents: tuple[Genome, ...] = ()

    @property
    def ok(self) -> bool:
        return self.event.status == "ok"


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
        parents = self._as_parents(genome)
        if isinstance(ctx_or_safe, VariationContext):
            ctx = ctx_or_safe
        else:
            ctx = VariationContext.from_seed(0, get_space(parents[0].space), tuple(ctx_or_safe))
        ctx = VariationContext(np.random.Generator(np.random.PCG64(0)), ctx.space, ctx.safe,
                               dict(ctx.options))
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

    def _as_parents(self, genome: Genome | Sequence[Genome]) -> tuple[Genome, ...]:
        if isinstance(genome, Genome):
            return (genome,) * self.arity
        return tuple(genome)

    def __call__(self, parents: Sequence[Genome] | Genome, ctx: VariationContext,
                 uids: Sequence[str] | None = None) -> VariationResult:
        parents = self._as_parents(parents) if isinstance(parents, Genome) else tuple(parents)
        if len(parents) != self.arity:
            raise ConfigError(f"operator {self.name!r} takes {self.arity} parent(s), "
                              f"got {len(parents)}")
        _check_safe(parents, ctx.safe)
        from nas_ops.variation_run import run_operator

        return run_operator(self, parents, ctx, uids)


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


# --------------------------------------------------------------------------------- registry
OPERATORS: Registry[Operator] = Registry("operator", group="nas_ops.operators")


def register_operator(name: str, *, family: str, arity: int = 1, direction: str = "neutral",
                      version: int = 1, description: str | None = None,
                      function_preserving: bool = False) -> Callable[[T], T]:
    """Register a function ``fn(genome, ctx) -> Genome`` or an :class:`Operator` subclass."""
    if family not in FAMILIES:
        raise unknown("operator family", family, FAMILIES)
    if direction not in DIRECTIONS:
        raise unknown("complexity direction", direction, DIRECTIONS)
    if arity not in (1, 2):
        raise ConfigError(f"operator {name!r}: arity must be 1 or 2, got {arity}")

    def wrap(obj: T) -> T:
        attrs = {"name": name, "family": family, "arity": arity, "direction": direction,
                 "version": version, "function_preserving": function_preserving}
        if isinstance(obj, type) and issubclass(obj, Operator):
            for key, value in attrs.items():
                setattr(obj, key, value)
            if description is not None:
                obj.description = description
            op: Operator = obj()
        elif callable(obj):
            cls = type(f"{name}_operator", (FunctionOperator,),
                       {**attrs, "description": description or "",
                        "__doc__": getattr(obj, "__doc__", None)})
            op = cls(obj)
        else:
            raise ConfigError(f"register_operator({name!r}) needs a function or an Operator "
                              f"subclass, got {type(obj).__name__}")
        meta = op.metadata()
        del meta["name"]
        OPERATORS.register(name, op, **meta)
        return obj

    return wrap


def get_operator(name: str) -> Operator:
    return OPERATORS.get(name)


def list_operators() -> list[dict[str, Any]]:
    """One metadata row per registered operator, sorted by name."""
    return [OPERATORS.get(n).metadata() for n in OPERATORS.names()]


def apply_operator(name: str, parents: Genome | Sequence[Genome], seed: int, *,
                   space: SearchSpace | str | None = None, safe: Sequence[str] = (),
                   uids: Sequence[str] | None = None, **options: Any) -> VariationResult:
    """Apply the operator ``name`` to ``parents`` with randomness drawn from ``seed``."""
    op = get_operator(name)
    plist = op._as_parents(parents)
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

