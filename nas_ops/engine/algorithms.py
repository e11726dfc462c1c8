"""Search algorithms, chosen by name from :data:`ALGORITHMS`: NSGA-II, (mu+lambda), aging,
random search and local search.

An algorithm selects survivors (``select``), picks parents (``tournament``) and drives the loop
(``loop``) through the public seam of :mod:`nas_ops.engine.arena` alone (a ``Ranking`` and an
``Arena``), so an algorithm registered by a third party (entry point group
``nas_ops.algorithms``) can do everything a built-in one does.

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
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np
from deap import tools

from nas_ops.config import SearchConfig
from nas_ops.engine.arena import Arena, Loop, Ranking, Step
from nas_ops.engine.individuals import Candidate
from nas_ops.errors import ConfigError
from nas_ops.registry import Registry

__all__ = ["ALGORITHMS", "Aging", "Algorithm", "Local", "MuPlusLambda", "NSGA2", "Random",
           "generations", "initial_population", "make_algorithm", "room_left"]


def initial_population(arena: Arena) -> Loop:
    """Sample and evaluate the initial population (draws 0 .. population - 1); checkpoint 0."""
    n = min(arena.config.search.population, arena.config.max_evals)
    cands = [arena.sample(f"g000-{i:03d}", 0, i, i) for i in range(n)]
    yield from arena.evaluate(cands)
    population = [c.uid for c in cands]
    arena.checkpoint(0, population)
    return population


def room_left(arena: Arena) -> int:
    """How many evaluations the next generation may breed: what ``max_evals`` leaves, or 0 when
    it is reached or when the training-step budget is spent (the run is then stopped with the
    reason ``total_steps``). A generational loop breaks when this is 0."""
    room = arena.config.max_evals - arena.done
    if room <= 0:
        return 0
    if arena.budget_spent(arena.steps):
        arena.stop("total_steps")
        return 0
    return room


def generations(arena: Arena) -> Iterator[tuple[int, int]]:
    """The generations ``1 .. search.generations`` of a generational loop, each with its
    :func:`room_left` (read when the generation starts); it ends early when that is 0."""
    for gen in range(1, arena.config.search.generations + 1):
        room = room_left(arena)
        if room <= 0:
            return
        yield gen, room


class Algorithm:
    """Selection and loop of a search; subclasses set ``name`` and override what differs."""

    name: ClassVar[str] = ""
    # what the loop supports (a config asking for more is refused before the run starts)
    fidelity_rules: ClassVar[tuple[str, ...]] = ("halving", "median", "all")
    prefilter: ClassVar[bool] = True
    generational: ClassVar[bool] = True  # stops after ``generations`` (False: at max_evals)

    @classmethod
    def evaluations_cap(cls, s: SearchConfig) -> int | None:
        """The most evaluations the loop makes (None: it has no generation count and runs
        until ``max_evals``); a larger ``max_evals`` is refused by the config."""
        return s.population + s.offspring * s.generations if cls.generational else None

    def select(self, ranking: Ranking, pool: list[str], k: int) -> list[str]:
        """The ``k`` survivors of ``pool``: best scalarized fitness first (stable on ties)."""
        return sorted(pool, key=lambda u: -ranking.scalar(u))[:k]

    def tournament(self, ranking: Ranking, pool: Sequence[str], rng: np.random.Generator,
                   size: int) -> str:
        picks = [pool[int(i)] for i in rng.integers(len(pool), size=size)]
        return max(picks, key=ranking.scalar)

    def loop(self, arena: Arena) -> Loop:
        """Generational: ``offspring`` children per generation, then ``population`` survivors."""
        population = yield from initial_population(arena)
        s = arena.config.search
        for gen, room in generations(arena):
            n = min(s.offspring, room)
            bred = n * arena.oversample
            children = [c for slot in range(bred)
                        if (c := arena.breed(gen, slot, f"g{gen:03d}-{slot:03d}", population))]
            children = arena.prefilter(gen, children, n)
            entering = yield from arena.offspring(children)
            arena.credit(children)
            population = self.select(arena.ranking, population + entering, s.population)
            arena.checkpoint(gen, population)
        return population


# third-party algorithms register through the ``nas_ops.algorithms`` entry-point group
ALGORITHMS: Registry[type[Algorithm]] = Registry("search algorithm", group="nas_ops.algorithms")


@ALGORITHMS.decorator("nsga2")
class NSGA2(Algorithm):
    """NSGA-II: survivors by non-domination rank and crowding; parents by Pareto rank."""

    name = "nsga2"

    def select(self, ranking: Ranking, pool: list[str], k: int) -> list[str]:
        chosen = tools.selNSGA2([ranking.member(u) for u in pool], k, nd="log")
        return [m.uid for m in chosen]

    def tournament(self, ranking: Ranking, pool: Sequence[str], rng: np.random.Generator,
                   size: int) -> str:
        picks = [pool[int(i)] for i in rng.integers(len(pool), size=size)]
        ranks = ranking.pareto_ranks(pool)
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
    fidelity_rules = ("median", "all")
    prefilter = False
    generational = False

    def loop(self, arena: Arena) -> Loop:
        population = yield from initial_population(arena)
        s = arena.config.search
        queue = deque(population)
        total = arena.config.max_evals - arena.done
        pending: dict[int, Candidate | None] = {}
        created = told = 0
        spent = arena.steps  # steps of the initial population and the children told
        while told < total:
            if told == created and arena.budget_spent(spent):
                arena.stop("total_steps")
                break
            bred: list[Candidate] = []
            while created < total and created - told < s.async_lag \
                    and not arena.budget_spent(spent):
                cand = arena.breed(1 + created // s.population, created % s.population,
                                   f"a{created:05d}", list(queue))
                if cand is not None and (submit := arena.submit(cand)) is not None:
                    bred.append(submit)
                pending[created] = cand
                created += 1
            head = pending.pop(told)
            waits = head is not None and head.record is None and not arena.staged
            if bred or waits:
                yield Step(bred, [head] if waits and head is not None else [])
            if head is not None:
                before = arena.steps
                enters = yield from arena.take(head)
                assert head.record is not None
                spent += arena.steps - before if arena.staged \
                    else 0 if head.record.status == "duplicate" else head.record.steps
                if enters:  # a child stopped at a lower rung replaces nobody
                    queue.append(head.uid)
                    queue.popleft()
                arena.credit([head])
            told += 1
            if told % s.population == 0 or told == total \
                    or (told == created and arena.budget_spent(spent)):
                arena.checkpoint(told // s.population + (told % s.population > 0), list(queue))
        return list(queue)


@ALGORITHMS.decorator("random")
class Random(Algorithm):
    """Random search: ``max_evals`` genomes drawn from the space, evaluated in batches of
    ``population`` (generation k holds draws k * population ..). The first batch is every other
    algorithm's initial population, so a paired comparison starts from the same genomes. The
    final population is the best ``population`` of everything evaluated (``select``)."""

    name = "random"
    fidelity_rules = ()
    prefilter = False
    generational = False

    def loop(self, arena: Arena) -> Loop:
        population = yield from initial_population(arena)
        size = arena.config.search.population
        evaluated = list(population)
        gen = 0
        while (room := room_left(arena)) > 0:
            gen += 1
            cands = [arena.sample(f"g{gen:03d}-{slot:03d}", gen, slot, gen * size + slot)
                     for slot in range(min(size, room))]
            yield from arena.evaluate(cands)
            evaluated += [c.uid for c in cands]
            population = self.select(arena.ranking, evaluated, size)
            arena.checkpoint(gen, population)
        return population


@ALGORITHMS.decorator("local")
class Local(Algorithm):
    """Local search (hill climbing with restarts): start from the best of the initial
    population; each generation evaluates ``offspring`` neighbours of the incumbent (children
    of the incumbent by the policy's mutation operators, so a neighbourhood that small spaces
    enumerate in full) and moves to the best of them when it is strictly better (scalarized
    fitness); at a local optimum (no neighbour better) it restarts from a fresh random genome
    (draw ``population + gen``), which is evaluated first. The final population is the best
    ``population`` of everything evaluated."""

    name = "local"
    prefilter = False

    @classmethod
    def evaluations_cap(cls, s: SearchConfig) -> int | None:
        return s.population + (s.offspring + 1) * s.generations  # a restart per generation

    def loop(self, arena: Arena) -> Loop:
        population = yield from initial_population(arena)
        s = arena.config.search
        rank = arena.ranking
        evaluated = list(population)
        current = max(population, key=rank.scalar)
        for gen, room in generations(arena):
            children = [c for slot in range(min(s.offspring, room))
                        if (c := arena.breed(gen, slot, f"g{gen:03d}-{slot:03d}", [current]))]
            entering = yield from arena.offspring(children)
            arena.credit(children)
            evaluated += entering
            best = max(entering, key=rank.scalar, default=None)
            if best is not None and rank.scalar(best) > rank.scalar(current):
                current = best
            elif arena.config.max_evals > arena.done:  # a local optimum: restart
                restart = arena.sample(f"g{gen:03d}-r", gen, s.offspring, s.population + gen)
                yield from arena.evaluate([restart])
                evaluated.append(restart.uid)
                current = restart.uid
            population = self.select(rank, evaluated, s.population)
            arena.checkpoint(gen, population)
        return population


def make_algorithm(name: str) -> Algorithm:
    """The algorithm registered as ``name`` (an unknown name lists the valid ones)."""
    return ALGORITHMS.get(name)()


def check_algorithm(algorithm: Algorithm, fidelity_rule: str | None, prefilter: bool) -> None:
    """Refuse rungs or a pre-filter that ``algorithm``'s loop does not use (one line)."""
    name = algorithm.name or type(algorithm).__name__
    if fidelity_rule is not None and fidelity_rule not in algorithm.fidelity_rules:
        supported = ", ".join(repr(r) for r in algorithm.fidelity_rules) or "none"
        raise ConfigError(f"search.fidelity rule = {fidelity_rule!r} is not used by algorithm = "
                          f"{name!r} (rules it supports: {supported}); remove [search.fidelity] "
                          "or choose another algorithm")
    if prefilter and not algorithm.prefilter:
        raise ConfigError(f"search.prefilter is not used by algorithm = {name!r} (it filters a "
                          "generation's bred offspring); use nsga2 or mu_plus_lambda")
