"""What a policy answers and what it is told: :class:`Choice` and :class:`ParentState`; the
registry of policies, :data:`POLICIES`, filled by :func:`register_policy`.

A policy gets the parent genome, the run's mutation operators, a generator and (from the engine)
the parent's :class:`ParentState`; it answers a :class:`Choice`: the operator, optionally the node
ids to act on or next to (passed to the operator as the variation context's target), the output
it favours and why. Every policy draws only from the generator it is handed.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np

from nas_ops.errors import ConfigError
from nas_ops.genome import Genome
from nas_ops.registry import Registry

if TYPE_CHECKING:
    from nas_ops.config import PolicyConfig
    from nas_ops.engine.policies.rules import GuideRules


@dataclass(frozen=True)
class Choice:
    """An operator, where to apply it (``target``: node ids; empty = anywhere), the output the
    choice favours and the reason (empty for a policy that has none to give)."""

    operator: str
    target: frozenset[str] = frozenset()
    output: str | None = None
    reason: str = ""

    def hint(self, honoured: bool) -> dict[str, Any]:
        """The event's ``hint`` record of this choice (empty when there is nothing to record)."""
        if not self.target and not self.reason:
            return {}
        return {"target": sorted(self.target), "output": self.output, "reason": self.reason,
                "honoured": honoured}


@dataclass(frozen=True)
class ParentState:
    """What the engine knows about a parent when a policy chooses its variation.

    ``relevance``: (network, output) -> mean relevance from the parent's stored diagnosis (empty
    when it has none); ``affected``: network -> outputs it reaches; ``feeds``: output -> networks
    with an edge into it; ``standing``: output -> rank percentile of the parent's primary error
    among the evaluated members of the current population (the fraction whose error is <= the
    parent's: 1 = worst; empty when the parent failed); ``size``: the same percentile of its
    parameters (1 = largest); ``tried``: operators that already failed for this child;
    ``safe``: the run's safe outputs; ``values``: output -> the parent's own primary metric
    value, as recorded (accuracy, not error; empty when the parent failed).
    """

    uid: str
    outputs: tuple[str, ...]
    relevance: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    affected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    feeds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    standing: Mapping[str, float] = field(default_factory=dict)
    size: float | None = None
    tried: tuple[str, ...] = ()
    safe: tuple[str, ...] = ()
    values: Mapping[str, float] = field(default_factory=dict)

    @property
    def diagnosed(self) -> bool:
        return bool(self.relevance)

    @property
    def worst_output(self) -> str | None:
        """The output where the parent stands worst (ties: declaration order)."""
        ranked = [(-self.standing[o], k, o) for k, o in enumerate(self.outputs)
                  if o in self.standing]
        return min(ranked)[2] if ranked else None

    def rel(self, network: str, output: str) -> float:
        """The network's relevance for the output (1, "not needed", when not diagnosed)."""
        return self.relevance.get(network, {}).get(output, 1.0)

    def reaching(self, output: str) -> list[str]:
        """Networks that reach ``output``, in genome order."""
        return [n for n, outs in self.affected.items() if output in outs]

    def important(self, output: str) -> list[str]:
        """The networks that matter most for ``output``: those reaching it whose relevance is at
        least the median over them (most relevant first, ties in genome order)."""
        nets = self.reaching(output)
        if not nets:
            return []
        med = statistics.median(self.rel(n, output) for n in nets)
        top = [n for n in nets if self.rel(n, output) >= med]
        return sorted(top, key=lambda n: -self.rel(n, output))

    def unimportant(self, threshold: float) -> list[str]:
        """Networks whose relevance is below ``threshold`` for every output."""
        return [n for n in self.affected
                if all(self.rel(n, o) < threshold for o in self.outputs)]


class Policy(Protocol):
    """An operator policy. A policy whose ``choose`` reads nothing of ``state`` but ``tried``
    (and ``uid``, ``outputs``, ``safe``) may set ``reads_parent = False``: the engine then skips
    computing the parent's diagnosis, structure and standing (the default is to compute them)."""

    name: str

    def choose(self, parent: Genome, candidates: Sequence[str], rng: np.random.Generator,
               state: ParentState | None = None) -> Choice: ...

    def credit(self, operator: str, reward: float, parent: float | None = None) -> None: ...

    def state(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PolicyContext:
    """What a run tells a policy beyond its ``[policy]`` section: the population size, how many
    mutation operators it chooses among, and the guidelines' rules (None unless the policy reads
    guidelines: the engine reads them from the ledger or the file, docs/search.md)."""

    population: int
    operators: int
    rules: GuideRules | None = None


PolicyFactory = Callable[["PolicyConfig", PolicyContext], Policy]

# name -> the policy class's ``from_config``; metadata ``reads_diagnosis`` (the policy reads each
# parent's diagnosis: a run needs evaluation.diagnose) and ``reads_guidelines`` (it needs
# policy.guidelines). Third-party packages register through the ``nas_ops.policies`` group.
POLICIES: Registry[PolicyFactory] = Registry("policy", group="nas_ops.policies")

C = TypeVar("C", bound=type)


def register_policy(name: str, *, reads_diagnosis: bool = False,
                    reads_guidelines: bool = False) -> Callable[[C], C]:
    """Class decorator: register a policy under ``name`` (which becomes its ``name``). The class
    builds itself with the classmethod ``from_config(config: PolicyConfig, context:
    PolicyContext)``; ``policy.name`` of a run config may then name it."""

    def wrap(cls: C) -> C:
        factory = getattr(cls, "from_config", None)
        if not callable(factory):
            raise ConfigError(f"policy {name!r}: {cls.__name__} needs a classmethod "
                              "from_config(config, context)")
        cls.name = name  # type: ignore[attr-defined]
        POLICIES.register(name, factory, reads_diagnosis=reads_diagnosis,
                          reads_guidelines=reads_guidelines)
        return cls

    return wrap


def excluding(candidates: Sequence[str], excluded: Iterable[str]) -> list[str]:
    """``candidates`` without ``excluded``, in order; all of them when none would remain."""
    left_out = set(excluded)
    return [c for c in candidates if c not in left_out] or list(candidates)


def untried(candidates: Sequence[str], state: ParentState | None) -> list[str]:
    """The candidates that have not already failed to apply for this child (all of them when
    every one has): a bandit that picked an inapplicable operator again on every attempt,
    because an operator that never makes a child is never credited, would breed nothing."""
    return excluding(candidates, state.tried if state is not None else ())


def uniform(candidates: Sequence[str], rng: np.random.Generator) -> str:
    """One operator drawn uniformly (one draw from ``rng``)."""
    return candidates[int(rng.integers(len(candidates)))]
