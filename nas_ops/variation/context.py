"""The context of one variation: its randomness, with every decision recorded or replayed.

Every random decision of an operator goes through the context (``ctx.choice``, ``ctx.integers``,
``ctx.uniform``, ``ctx.generator``), so a variation can be replayed exactly from its recorded
decisions.

A context may carry a *target*: node ids (networks, inputs or outputs) a policy wants the
variation to act on or next to. ``ctx.choice`` then draws among the options that mention a target
id (an option's string atoms, flattened through tuples and lists) and among all options when none
does; ``ctx.honoured`` says whether some choice could honour it. The hint changes which option is
drawn, never what is recorded: a replay reads the recorded values and ignores the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from nas_ops.errors import NasOpsError
from nas_ops.genome.genome import Genome
from nas_ops.rng import generator as rng_generator
from nas_ops.spaces import SearchSpace, get_space
from nas_ops.variation.diff import protected_nodes

T = TypeVar("T")


class NotApplicable(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside ``_apply`` when the operator can do nothing to these parents."""


class ReplayError(NasOpsError, ValueError):
    """Recorded decisions do not match what the operator asks for while replaying."""


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [jsonable(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def atoms(value: Any) -> list[str]:
    """The string atoms of a choice option: a string itself, the atoms of each item of a tuple
    or list; anything else has none."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple | list):
        return [a for v in value for a in atoms(v)]
    return []


def mentions(option: Any, target: frozenset[str]) -> bool:
    """Whether ``option`` names one of the ``target`` node ids."""
    return any(a in target for a in atoms(option))


@dataclass
class VariationContext:
    """Randomness of one variation, with every decision recorded (or replayed) in order.

    ``options`` carries operator-specific settings (e.g. ``{"dropout": 0.3}``); operators read
    them with ``ctx.options.get(...)``. ``target`` is the policy's hint (see the module
    docstring); ``honoured`` becomes true when a choice drew among options that mention it.
    """

    rng: np.random.Generator
    space: SearchSpace
    safe: frozenset[str] = frozenset()
    options: dict[str, Any] = field(default_factory=dict)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    replay: list[dict[str, Any]] | None = None
    target: frozenset[str] = frozenset()
    honoured: bool = False

    @classmethod
    def from_seed(cls, seed: int, space: SearchSpace | str, safe: Sequence[str] = (), *,
                  target: Iterable[str] = (), **options: Any) -> VariationContext:
        sp = get_space(space) if isinstance(space, str) else space
        return cls(rng_generator(int(seed), "variation"), sp, frozenset(safe), dict(options),
                   target=frozenset(target))

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
        self.decisions.append({"name": name, "value": jsonable(value)})

    def choice(self, name: str, options: Sequence[T]) -> T:
        """One of ``options`` (uniformly; among those that mention the target when some do);
        raises NotApplicable when there is none."""
        if not options:
            raise NotApplicable(f"no candidate for {name!r}")
        if self.replay is not None:
            want = self._replayed(name)
            for opt in options:
                if jsonable(opt) == want:
                    self._record(name, opt)
                    return opt
            raise ReplayError(f"replayed {name!r} = {want!r} is not among the options now")
        pool = options
        if self.target:
            near = [opt for opt in options if mentions(opt, self.target)]
            if near:
                pool, self.honoured = near, True
        value = pool[int(self.rng.integers(len(pool)))]
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
