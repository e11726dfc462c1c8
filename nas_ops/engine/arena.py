"""The engine's public seam: what a search algorithm, a study's protocol (a :class:`Plan`), the
rungs and the pre-filter may use of a search, and nothing else.

A plan's ``loop(arena)`` is a generator: it yields :class:`Step` s (the candidates to evaluate
now and those whose results it needs before it goes on) and returns the final population. The
:class:`~nas_ops.engine.search.Search` turns the steps into ``ask()`` / ``tell()``, so a plan
never sees an evaluator, and the ledger does not depend on who evaluates, or when.

A :class:`Ranking` is what selection reads: the scalarized fitness, the DEAP member (for NSGA-II)
and the Pareto ranks of a pool. An :class:`Arena` is everything a plan may do: sample, breed,
evaluate a batch (duplicates, ledger read-back, rungs and the pre-filter handled inside), take an
aging child's result, checkpoint, credit the policy, check the budget, stop.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from nas_ops.config import RunConfig
    from nas_ops.engine.breeding import Breeder
    from nas_ops.engine.individuals import Candidate
    from nas_ops.engine.progress import Progress
    from nas_ops.pareto import Member
    from nas_ops.spaces import SearchSpace
    from nas_ops.tasks.base import OutputSpec, Task
    from nas_ops.variation import VariationEvent


@dataclass
class Step:
    """``submit``: candidates to evaluate now; ``wait``: those whose results the loop needs
    before it goes on (all of a generation; in aging, only the oldest child)."""

    submit: list[Candidate] = field(default_factory=list)
    wait: list[Candidate] = field(default_factory=list)


Loop = Generator[Step, None, list[str]]
Steps = Generator[Step, None, None]


class Ranking(Protocol):
    """What survivor selection and parent tournaments read of evaluated candidates."""

    def candidate(self, uid: str) -> Candidate:
        """An evaluated member (or a rung evaluation being ranked for promotion)."""
        ...

    def scalar(self, uid: str) -> float:
        """The scalarized fitness (higher is better; ``search.output_weights``)."""
        ...

    def member(self, uid: str) -> Member:
        """The DEAP individual of ``uid`` (its objectives as a weighted fitness)."""
        ...

    def pareto_ranks(self, pool: Sequence[str]) -> dict[str, int]:
        """The non-domination rank (0 = first front) of every uid of ``pool``."""
        ...


class Arena(Protocol):
    """Everything a plan may do with a search (see the module text)."""

    config: RunConfig
    space: SearchSpace
    task: Task
    outputs: tuple[OutputSpec, ...]
    ranking: Ranking
    breeder: Breeder
    progress: Progress
    staged: bool  # children go through fidelity rungs ([search] fidelity)
    oversample: int  # children bred per child kept by the proxy pre-filter (1: it is off)

    @property
    def done(self) -> int:
        """Evaluations settled so far (trained, read back or duplicates)."""
        ...

    @property
    def steps(self) -> int:
        """Optimizer steps of every evaluation settled so far (duplicates 0)."""
        ...

    def sample(self, uid: str, generation: int, slot: int, index: int) -> Candidate:
        """A random genome of the space: the ``index``-th draw of the run's sampling stream
        (the initial population is draws 0 .. population - 1)."""
        ...

    def breed(self, generation: int, slot: int, uid: str,
              pool: Sequence[str]) -> Candidate | None:
        """One child of parents drawn from ``pool`` by the algorithm's tournament (None: every
        attempt failed; the attempts are recorded)."""
        ...

    def prefilter(self, generation: int, children: list[Candidate],
                  k: int) -> list[Candidate]:
        """The ``k`` children the proxy pre-filter keeps (all of them when it is off)."""
        ...

    def evaluate(self, cands: Sequence[Candidate]) -> Steps:
        """Evaluate ``cands`` as one batch at the full budget (no rungs)."""
        ...

    def offspring(self, children: Sequence[Candidate]) -> Loop:
        """Evaluate a generation's children (through the rungs when they are on); return the
        uids that enter survivor selection."""
        ...

    def submit(self, child: Candidate) -> Candidate | None:
        """Aging: add the just-bred ``child``; what to evaluate for it now (None when the
        ledger or a duplicate settles it, or its first rung is in the ledger already)."""
        ...

    def take(self, child: Candidate) -> Generator[Step, None, bool]:
        """Aging: settle ``child`` with its result (through its further rungs when staged);
        return whether it enters the population."""
        ...

    def checkpoint(self, generation: int, population: list[str]) -> None: ...

    def credit(self, children: Sequence[Candidate]) -> None:
        """Pay the operator policy for these children (child minus parent scalar fitness)."""
        ...

    def budget_spent(self, steps: int) -> bool:
        """Whether ``steps`` optimizer steps reach ``budget.total_steps`` (never when 0)."""
        ...

    def stop(self, reason: str) -> None:
        """Record why the loop ends early (``meta.stopped_by``)."""
        ...

    def record_meta(self, key: str, value: Any) -> None: ...

    def record_variation(self, generation: int, slot: int, attempt: int,
                         event: VariationEvent, child: str | None) -> None: ...


class Plan(Protocol):
    """What drives a search: a search algorithm, or a study's protocol."""

    def loop(self, arena: Arena) -> Loop: ...
