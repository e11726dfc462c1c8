"""Making one child: pick parent(s), let the policy pick an operator and its target, apply it,
record it (with the policy's hint in the event)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nas_ops.engine.individuals import Candidate
from nas_ops.engine.policies import Choice, ParentState, Policy
from nas_ops.rng import generator, torch_seed
from nas_ops.spaces import SearchSpace
from nas_ops.variation import VariationEvent, apply_operator, get_operator, trainable_networks


@dataclass
class Breeder:
    """Applies operators for the engine. ``record(generation, slot, attempt, event, child)`` is
    called with the typed event of every attempt, successful or not, so the ledger sees what
    operators really did. ``describe(parent, pool, tried)`` gives the policy the parent's
    :class:`ParentState` (``tried``: operators that already failed for this child); it draws no
    random number, so policies that ignore it draw exactly as before."""

    seed: int
    space: SearchSpace
    policy: Policy
    mutation_ops: list[str]
    crossover_ops: list[str]
    crossover_rate: float
    max_attempts: int
    safe: tuple[str, ...]
    record: Callable[[int, int, int, VariationEvent, str | None], None]
    describe: Callable[[Candidate, Sequence[str], Sequence[str]], ParentState] | None = None

    def breed(self, generation: int, slot: int, uid: str, pick_parent: Callable[
            [np.random.Generator], Candidate], operator: str | None = None,
            pool: Sequence[str] = ()) -> Candidate | None:
        """One child of ``uid``; ``operator`` forces the operator (a study's protocol);
        ``pool`` is the population the parents are drawn from (for the parent's standing)."""
        tried: list[str] = []
        for attempt in range(self.max_attempts):
            rng = generator(self.seed, "breed", generation, slot, attempt)
            parents = [pick_parent(rng)]
            choice: Choice | None = None
            if operator is not None:
                op = operator
            elif self.crossover_ops and rng.random() < self.crossover_rate:
                op = self.crossover_ops[int(rng.integers(len(self.crossover_ops)))]
                parents.append(pick_parent(rng))
            else:
                state = self.describe(parents[0], pool, tried) if self.describe else None
                choice = self.policy.choose(parents[0].genome, self.mutation_ops, rng, state)
                op = choice.operator
            result = apply_operator(op, [p.genome for p in parents],
                                    int(rng.integers(2 ** 62)), space=self.space, safe=self.safe,
                                    uids=[uid, f"{uid}-b"][: len(parents)],
                                    target=choice.target if choice is not None else ())
            if choice is not None:
                result.event.hint = choice.hint(bool(result.event.hint.get("honoured")))
            if not result.ok or not result.children:
                self.record(generation, slot, attempt, result.event, None)
                tried.append(op)
                continue
            self.record(generation, slot, attempt, result.event, uid)
            child = result.children[0]  # a crossover's second child is recorded, not kept
            inherit = result.event.inheritance[0] if result.event.inheritance else None
            return Candidate(
                uid=uid, generation=generation, slot=slot, genome=child,
                seed=torch_seed(self.seed, "eval", uid),
                parents=tuple(p.uid for p in parents), operator=op, inherit_map=inherit,
                parent_genomes=tuple(p.genome for p in parents),
                trainable=sorted(trainable_networks(result, 0)))
        return None


def operator_lists(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split operator names into mutation (arity 1) and crossover (arity 2) lists."""
    mutation = [n for n in names if get_operator(n).arity == 1]
    crossover = [n for n in names if get_operator(n).arity == 2]
    return mutation, crossover
