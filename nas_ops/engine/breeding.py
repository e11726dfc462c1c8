"""Making one child: pick parent(s), let the policy pick an operator and its target, apply it,
record it (with the policy's hint in the event).

Besides the registered operators, a run may name :data:`RETRAIN_CONTROL` among its mutation
operators (``policy.operators``): no edit, the child is its parent retrained whole (every network
from the parent's weights, the child's own seed, always trained even though its genome equals
its parent's). A run of it alone is the "training-only" arm of a search decomposition: its
progress is what accumulated training alone gives. A study's unpaired controls are the same
children (:func:`unedited`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from nas_ops.engine.individuals import Candidate
from nas_ops.engine.policies import Choice, ParentState, Policy
from nas_ops.genome import complexity, output_cost
from nas_ops.rng import generator, torch_seed
from nas_ops.spaces import SearchSpace
from nas_ops.variation import (
    RETRAIN_CONTROL,
    VariationEvent,
    apply_operator,
    get_operator,
    inheritance_map,
    trainable_networks,
)


def unedited(parent: Candidate, uid: str, operator: str, trainable: list[str],
             outputs: list[str], control_of: str | None = None
             ) -> tuple[Candidate, VariationEvent]:
    """A child of ``parent`` with no edit (``operator``: :data:`RETRAIN_CONTROL` or a study's
    matched control), retrained on ``trainable`` from the parent's weights, and its event
    (``outputs``: those the retrained networks reach). The child is always trained: its genome
    equals its parent's, so a run must not settle it as a duplicate. Generation, slot and seed
    are the caller's to set."""
    genome = parent.genome.with_lineage(uid, (parent.uid,), operator)
    imap = {k: v.to_dict() for k, v in
            inheritance_map([parent.genome], parent.genome, 0).items()}
    event = VariationEvent.control(operator, parent.uid, uid, outputs,
                                   complexity(parent.genome).as_dict(), imap,
                                   control_of=control_of,
                                   output_complexity=output_cost(parent.genome))
    cand = Candidate(uid, 0, 0, genome, 0, parents=(parent.uid,), operator=operator,
                     inherit_map=imap, parent_genomes=(parent.genome,), trainable=trainable)
    cand.force_train = True
    return cand, event


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
            if op == RETRAIN_CONTROL:
                return self._retrained(generation, slot, attempt, uid, parents[0], choice)
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

    def _retrained(self, generation: int, slot: int, attempt: int, uid: str,
                   parent: Candidate, choice: Choice | None) -> Candidate:
        """The :data:`RETRAIN_CONTROL` child of ``parent``: every network trained again."""
        child, event = unedited(parent, uid, RETRAIN_CONTROL, list(parent.genome.network_ids),
                                list(parent.genome.output_ids))
        if choice is not None:
            event.hint = choice.hint(False)
        self.record(generation, slot, attempt, event, uid)
        child.generation, child.slot = generation, slot
        child.seed = torch_seed(self.seed, "eval", uid)
        return child


def operator_lists(names: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split operator names into mutation (arity 1: :data:`RETRAIN_CONTROL` counts as one) and
    crossover (arity 2) lists."""
    mutation = [n for n in names if n == RETRAIN_CONTROL or get_operator(n).arity == 1]
    crossover = [n for n in names if n != RETRAIN_CONTROL and get_operator(n).arity == 2]
    return mutation, crossover
