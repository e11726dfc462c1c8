"""Search algorithms, chosen by name from :data:`ALGORITHMS`: NSGA-II, (mu+lambda) and aging.

An algorithm selects survivors (``select``), picks parents (``tournament``) and drives the loop
(``loop``): a generator that yields :class:`Step` s, the candidates to evaluate and those whose
results it waits for, and returns the final population. :class:`~nas_ops.engine.search.Search`
turns the steps into ``ask()`` / ``tell()``, so the loop never sees an evaluator and the ledger
does not depend on who evaluates the candidates, or when.

A training-step budget (``budget.total_steps`` > 0) stops breeding, never an evaluation: the
spent steps are the optimizer steps of every evaluation settled (a duplicate costs 0). The
generational loop checks the budget before it breeds a generation, so a run ends after the first
generation that reaches it (it overshoots by less than one generation's steps; the initial
population is always evaluated). Aging checks it before it breeds each child, counting the
children in creation order (the order results are taken in), and still evaluates the children
already bred (at most ``async_lag``). Both counts depend only on the recorded steps, so a resumed
run stops exactly where the uninterrupted one did. ``max_evals`` and ``generations`` still cap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from deap import tools

from nas_ops.engine.individuals import Candidate
from nas_ops.engine.prefilter import prefilter
from nas_ops.registry import Registry
from nas_ops.rng import generator, torch_seed

if TYPE_CHECKING:
    from nas_ops.engine.search import Search


@dataclass
class Step:
    """``submit``: candidates to evaluate now; ``wait``: those whose results the loop needs
    before it goes on (all of a generation; in aging, only the oldest child)."""

    submit: list[Candidate] = field(default_factory=list)
    wait: list[Candidate] = field(default_factory=list)


Loop = Generator[Step, None, list[str]]


def split_batch(search: Search, cands: Sequence[Candidate],
                settle: Callable[[Candidate], bool]) -> tuple[list[Candidate], list[Candidate]]:
    """Add ``cands`` to the run; of those ``settle`` does not settle at once, the first
    occurrence of each genome (to train) and the duplicates within the batch (``later``: each
    waits for its first occurrence, when the run may reuse results)."""
    asked: list[Candidate] = []
    later: list[Candidate] = []
    batch_hashes: set[str] = set()
    for cand in cands:
        search._add_candidate(cand)
        if settle(cand):
            continue
        if cand.hash in batch_hashes and search._may_reuse(cand):
            later.append(cand)
            continue
        batch_hashes.add(cand.hash)
        asked.append(cand)
    return asked, later


def evaluate_batch(search: Search, cands: Sequence[Candidate]) -> Generator[Step, None, None]:
    """Evaluate ``cands`` as one batch. Candidates the ledger or an earlier duplicate settles are
    not asked; a duplicate within the batch waits for its first occurrence (and is trained only
    if that one failed)."""
    asked, later = split_batch(search, cands, search._resolve_now)
    if asked:
        yield Step(asked, asked)
        for cand in asked:
            search._take(cand)
    for cand in later:
        if not search._resolve_now(cand):  # the first occurrence failed: train this one
            yield Step([cand], [cand])
            search._take(cand)


def initial_population(search: Search) -> Generator[Step, None, list[str]]:
    config = search.config
    cands = []
    for i in range(min(config.search.population, config.max_evals)):
        uid = f"g000-{i:03d}"
        genome = search.space.sample(search.task, generator(config.seed, "init", i))
        cands.append(Candidate(uid, 0, i, genome.with_lineage(uid, (), None),
                               torch_seed(config.seed, "eval", uid)))
    yield from evaluate_batch(search, cands)
    population = [c.uid for c in cands]
    search._checkpoint(0, population)
    return population


class Algorithm:
    """Selection and loop of a search; subclasses set ``name`` and override what differs."""

    name: ClassVar[str] = ""

    def select(self, search: Search, pool: list[str], k: int) -> list[str]:
        """The ``k`` survivors of ``pool``: best scalarized fitness first (stable on ties)."""
        return sorted(pool, key=lambda u: -search._scalar(u))[:k]

    def tournament(self, search: Search, pool: Sequence[str], rng: np.random.Generator,
                   size: int) -> str:
        picks = [pool[int(i)] for i in rng.integers(len(pool), size=size)]
        return max(picks, key=search._scalar)

    def loop(self, search: Search) -> Loop:
        """Generational: ``offspring`` children per generation, then ``population`` survivors."""
        population = yield from initial_population(search)
        s = search.config.search
        for gen in range(1, s.generations + 1):
            search.generation = gen
            room = search.config.max_evals - search.done
            if room <= 0:
                break
            if search.steps_budget_spent(search.hv.steps):
                search.stopped_by = "total_steps"
                break
            n = min(s.offspring, room)
            bred = n * search.prefilter.oversample if search.prefilter else n
            children = [c for slot in range(bred)
                        if (c := search._breed(gen, slot, f"g{gen:03d}-{slot:03d}", population))]
            if search.prefilter:  # keep n of them by a zero-cost proxy (engine/prefilter.py)
                children = prefilter(search, gen, children, n)
            entering = yield from search._offspring(children)
            search._credit(children)
            population = self.select(search, population + entering, s.population)
            search._checkpoint(gen, population)
        return population


# third-party algorithms register through the ``nas_ops.algorithms`` entry-point group
ALGORITHMS: Registry[type[Algorithm]] = Registry("search algorithm", group="nas_ops.algorithms")


@ALGORITHMS.decorator("nsga2")
class NSGA2(Algorithm):
    """NSGA-II: survivors by non-domination rank and crowding; parents by Pareto rank."""

    name = "nsga2"

    def select(self, search: Search, pool: list[str], k: int) -> list[str]:
        chosen = tools.selNSGA2([search._member(u) for u in pool], k, nd="log")
        return [m.uid for m in chosen]

    def tournament(self, search: Search, pool: Sequence[str], rng: np.random.Generator,
                   size: int) -> str:
        picks = [pool[int(i)] for i in rng.integers(len(pool), size=size)]
        ranks = search._pareto_ranks(pool)
        return min(picks, key=lambda u: ranks[u])  # ties: the first drawn


@ALGORITHMS.decorator("mu_plus_lambda")
class MuPlusLambda(Algorithm):
    """(mu+lambda) on the scalarized fitness (``search.output_weights``)."""

    name = "mu_plus_lambda"


@ALGORITHMS.decorator("aging")
class Aging(Algorithm):
    """Regularized evolution, steady state: each child replaces the oldest member. Children are
    bred ``async_lag`` ahead of the results told, and results are taken in creation order, so
    the run does not depend on timing or on the number of workers. With rungs (rule "median"),
    a bred child's first rung is submitted at once and the child goes through its further rungs
    when its turn comes (the others' first rungs train meanwhile); a child stopped below the
    last rung leaves the population as it was (unless ``stopped_select``)."""

    name = "aging"

    def loop(self, search: Search) -> Loop:
        population = yield from initial_population(search)
        s = search.config.search
        queue = deque(population)
        total = search.config.max_evals - search.done
        pending: dict[int, Candidate | None] = {}
        created = told = 0
        spent = search.hv.steps  # steps of the initial population and the children told
        while told < total:
            if told == created and search.steps_budget_spent(spent):
                search.stopped_by = "total_steps"
                break
            bred: list[Candidate] = []
            while created < total and created - told < s.async_lag \
                    and not search.steps_budget_spent(spent):
                cand = search._breed(1 + created // s.population, created % s.population,
                                     f"a{created:05d}", list(queue))
                if cand is not None:
                    search._add_candidate(cand)
                    if (submit := search._bred(cand)) is not None:
                        bred.append(submit)
                pending[created] = cand
                created += 1
            head = pending.pop(told)
            waits = head is not None and head.record is None and search.fidelity is None
            if bred or waits:
                yield Step(bred, [head] if waits and head is not None else [])
            if head is not None:
                before = search.hv.steps
                if head.record is None and search.fidelity is None:
                    search._take(head)
                elif head.record is None:  # rungs: one child at a time, in creation order
                    yield from search._child_rungs(head)
                assert head.record is not None
                spent += search.hv.steps - before if search.fidelity is not None \
                    else 0 if head.record.status == "duplicate" else head.record.steps
                if search._enters(head):  # a child stopped at a lower rung replaces nobody
                    queue.append(head.uid)
                    queue.popleft()
                search._credit([head])
            told += 1
            if told % s.population == 0 or told == total \
                    or (told == created and search.steps_budget_spent(spent)):
                search._checkpoint(told // s.population + (told % s.population > 0), list(queue))
        return list(queue)


def make_algorithm(name: str) -> Algorithm:
    """The algorithm registered as ``name`` (an unknown name lists the valid ones)."""
    return ALGORITHMS.get(name)()
