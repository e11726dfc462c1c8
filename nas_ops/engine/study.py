"""Study mode: the operator-characterization protocol of the original study.

``base_models`` genomes are sampled and trained (and diagnosed); then each receives independent
single variations. Each child inherits its parent's weights and retrains only the networks the
variation touched (and those downstream), under the same budget. ``controls`` retrain-only
children per base model (the parent's own genome and weights, every network trained again with
another seed, recorded as operator ``retrain_control``) measure what the extra training alone
does, the baseline an operator's effect should be compared with. Everything lands in the same
ledger schema as a search (``meta.kind = "study"``; base models are generation 0, children
generation 1 with ``slot = base * per_base + k``), so reports and resume work unchanged.

A :class:`Study` is the plan of a :class:`~nas_ops.engine.search.Search`: the search records,
evaluates (``run()`` or ``ask()``/``tell()``) and resumes; the study only decides what to evaluate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from nas_ops.analysis.baseline import CONTROL
from nas_ops.config import RunConfig
from nas_ops.engine.algorithms import Loop, evaluate_batch
from nas_ops.engine.checks import check_study
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.search import Search
from nas_ops.engine.summary import SearchSummary
from nas_ops.errors import ConfigError
from nas_ops.evaluation import Evaluator
from nas_ops.genome import complexity
from nas_ops.rng import generator, torch_seed
from nas_ops.variation import VariationEvent, inheritance_map


class Study:
    def __init__(self, config: RunConfig, run_dir: str | Path, *, progress: bool = True,
                 evaluator: Evaluator | None = None) -> None:
        self.config = config
        check_study(config)  # a bad study.operators fails before the run directory exists
        self.search = Search(config, run_dir, progress=progress, evaluator=evaluator, plan=self)
        try:
            self._plan()  # a bad study.operators fails before anything is recorded
        except ConfigError:
            self.search.close()
            raise

    def run(self) -> SearchSummary:
        return self.search.run()

    def _record_variation(self, generation: int, slot: int, attempt: int,
                          event: VariationEvent, child: str | None) -> None:
        self.search._record_variation(generation, slot, attempt, event, child)

    def _control(self, base: Candidate, slot: int, uid: str) -> Candidate:
        """A retrain-only child: no edit, every network trained again from the parent's weights
        with the child's own seed; recorded like a variation of operator ``retrain_control``."""
        genome = base.genome.with_lineage(uid, (base.uid,), CONTROL)
        imap = {k: v.to_dict() for k, v in
                inheritance_map([base.genome], base.genome, 0).items()}
        event = VariationEvent.control(CONTROL, base.uid, uid, list(base.genome.output_ids),
                                       complexity(base.genome).as_dict(), imap)
        self._record_variation(1, slot, 0, event, uid)
        cand = Candidate(uid, 1, slot, genome, torch_seed(self.config.seed, "eval", uid),
                         parents=(base.uid,), operator=CONTROL, inherit_map=imap,
                         parent_genomes=(base.genome,), trainable=list(base.genome.network_ids))
        cand.force_train = True
        return cand

    def _plan(self) -> list[str | None]:
        """The operator of each variation slot of one base model (None = drawn by the policy)."""
        st = self.config.study
        mutation_ops = self.search.breeder.mutation_ops
        ops = st.operators or mutation_ops
        for op in ops:
            if op not in mutation_ops:
                raise ConfigError(f"study.operators: {op!r} is not a mutation (arity 1) operator "
                                  f"of this run; valid: {', '.join(mutation_ops)}")
        if st.mode == "drawn":
            return [None] * st.variations
        return [op for op in ops for _ in range(st.variations)]

    def _bases(self) -> list[Candidate]:
        bases = []
        for i in range(self.config.study.base_models):
            uid = f"b{i:03d}"
            genome = self.search.space.sample(self.search.task,
                                              generator(self.config.seed, "base", i))
            cand = Candidate(uid, 0, i, genome.with_lineage(uid, (), None),
                             torch_seed(self.config.seed, "eval", uid))
            cand.diagnose = True
            bases.append(cand)
        return bases

    def _children(self, search: Search, bases: Sequence[Candidate | None], plan: list[str | None],
                  *, dry: bool) -> list[Candidate]:
        """The children of ``bases`` (None: a base model that failed to train, skipped).
        ``dry``: only to count them; nothing is recorded."""
        breeder = dataclasses.replace(search.breeder, record=_ignore) if dry else search.breeder
        controls = self.config.study.controls
        stride = len(plan) + controls
        children: list[Candidate] = []
        for b, base in enumerate(bases):
            if base is None:
                continue  # a base model that failed to train has no effects to measure

            def parent(_rng: object, base: Candidate = base) -> Candidate:
                return base

            for k, op in enumerate(plan):
                child = breeder.breed(1, b * stride + k, f"v{b:03d}-{k:03d}", parent, op)
                if child is not None:
                    children.append(child)
            if dry:
                children += [base] * controls  # stand-ins: only their number matters
            else:
                children += [self._control(base, b * stride + len(plan) + k,
                                           f"c{b:03d}-{k:03d}") for k in range(controls)]
        return children

    def loop(self, search: Search) -> Loop:
        """Base models first, then every child of every base model as one batch."""
        plan = self._plan()
        search.ledger.set_meta("kind", "study")
        bases = self._bases()
        # what the study will evaluate if every base model trains: variations that do not apply
        # make no child; a failed base model has no children (the total is then made exact)
        search.progress.total = len(bases) + len(self._children(search, bases, plan, dry=True))
        yield from evaluate_batch(search, bases)
        search._checkpoint(0, [b.uid for b in bases])
        trained = [b if b.record is not None and b.record.ok else None for b in bases]
        children = self._children(search, trained, plan, dry=False)
        search.progress.total = len(bases) + len(children)
        yield from evaluate_batch(search, children)
        search._checkpoint(1, [b.uid for b in bases])
        return [b.uid for b in bases]


def _ignore(*_args: object) -> None:
    """A recorder that records nothing (counting children without recording them)."""
