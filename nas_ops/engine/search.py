"""The search: the ask/tell facade over a plan (a search algorithm or a study's protocol).

``ask()`` returns the candidates to evaluate next (a generation at a time; up to ``async_lag`` in
aging), each with the :class:`~nas_ops.records.EvalRequest` that evaluates it;
``tell(uid, record)`` hands a result back. ``run()`` is that loop with the configured evaluator.
Duplicates and candidates the ledger already holds are settled inside and never asked.
The plan drives the search through the public :class:`~nas_ops.engine.arena.Arena` that a
``Search`` is (``search.ranking`` is its :class:`~nas_ops.engine.archive.Archive`).

Determinism: every random draw comes from a generator keyed by (seed, purpose, generation,
slot, attempt), results are taken in slot order, and evaluations are keyed by uid. A resumed run
replays the loop from the start, taking every evaluation already in the ledger instead of
training again, so it ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nas_ops._version import __version__
from nas_ops.config import RunConfig, config_from_record, extends
from nas_ops.engine.algorithms import check_algorithm, make_algorithm
from nas_ops.engine.archive import Archive
from nas_ops.engine.arena import Loop, Plan, Ranking, Step, Steps
from nas_ops.engine.breeding import Breeder, operator_lists
from nas_ops.engine.checks import check_run
from nas_ops.engine.components import check, recorded_components, resolve
from nas_ops.engine.fitness import hv_reference, objective_weights
from nas_ops.engine.individuals import Candidate, make_request
from nas_ops.engine.parents import Standings, parent_state
from nas_ops.engine.policies import ParentState
from nas_ops.engine.policy_setup import policy_for, run_rules
from nas_ops.engine.prefilter import prefilter
from nas_ops.engine.progress import Progress
from nas_ops.engine.rungs import Rungs
from nas_ops.engine.summary import SearchSummary, best_and_front, unless_all_failed
from nas_ops.engine.weights import check_parents
from nas_ops.errors import ConfigError
from nas_ops.evaluation import Evaluator, make_evaluator
from nas_ops.infra.collector import fewer_collections
from nas_ops.metrics.hypervolume import Tracker
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.rng import generator, torch_seed
from nas_ops.spaces import get_space
from nas_ops.store.ledger import Ledger
from nas_ops.store.schema import SCHEMA_VERSION
from nas_ops.tasks import load_task
from nas_ops.variation import VariationEvent

# A result that took at least this long is kept the moment it arrives (ledger table `arrived`),
# so a kill before its batch ends does not lose it. Cheaper results (a table lookup, a null
# evaluator) cost more to keep than to compute again: a resume recomputes them, to the same
# values, and the finished ledger is the same either way.
KEEP_ARRIVED_S = 0.005
# With an evaluator whose answers cost microseconds (``instant``: the table backend), run()
# commits the ledger every HOLD_COMMITS_S seconds rather than at every step: a commit costs more
# than a step there. A kill -9 loses at most that much of the run, whole steps only, which a
# resume replays to the same ledger.
HOLD_COMMITS_S = 0.25


class Search:
    def __init__(self, config: RunConfig, run_dir: str | Path, *, progress: bool = True,
                 evaluator: Evaluator | None = None, plan: Plan | None = None,
                 extend: bool = False) -> None:
        """``extend``: the run directory may hold this run with a smaller ``max_evals``, which
        is raised to this config's (the run goes on as if asked for that from the start)."""
        self.config, self.run_dir = config, Path(run_dir)
        recorded = recorded_components(self.run_dir)
        names = check(recorded) if recorded is not None else None  # before the task loads
        self.task = load_task(config.task.name, **config.task.options).with_sample_metric(
            config.task.sample_metric)
        self.space = get_space(config.space.name)
        self.outputs = self.task.outputs
        s = config.search
        for name in s.safe_outputs:
            self.task.output(name)
        self.algorithm = make_algorithm(s.algorithm)
        self.fidelity = s.fidelity if s.fidelity.enabled else None  # rungs (docs/fidelity.md)
        self.prefilter_config = s.prefilter if s.prefilter.enabled else None  # proxy pre-filter
        if plan is None:
            check_algorithm(self.algorithm, self.fidelity.rule if self.fidelity else None,
                            self.prefilter_config is not None)
        self.staged = self.fidelity is not None
        self.oversample = self.prefilter_config.oversample if self.prefilter_config else 1
        self.plan: Plan = plan or self.algorithm
        self.weights = objective_weights(self.outputs, s.complexity_objective)
        self.components = recorded if recorded is not None else resolve(config)
        names = names or [o["name"] for o in self.components["operators"]]
        mutation, crossover = operator_lists(names)
        if not mutation:
            raise ConfigError("policy.operators names no mutation (arity 1) operator")
        check_run(config, self.task, names)  # everything is checked before the ledger exists
        self.rules = run_rules(config, self.run_dir)
        self.policy = policy_for(config, len(mutation), self.rules)
        self.ledger = Ledger(self.run_dir, "w")
        self.progress = Progress(config.max_evals, progress)
        self.archive = Archive(
            config, self.outputs, self.ledger,
            Tracker(hv_reference(self.outputs, s.complexity_objective, s.hv_reference)),
            self.progress, self.weights)
        self.ranking: Ranking = self.archive
        self.rungs = None if self.fidelity is None else Rungs(
            self.fidelity, self.archive, config, self.run_dir, len(self.task.train),
            self.request, lambda pool, k: self.algorithm.select(self.archive, pool, k))
        self.breeder = Breeder(config.seed, self.space, self.policy, mutation, crossover,
                               s.crossover_rate, s.max_attempts, tuple(s.safe_outputs),
                               self.record_variation, self._describe)
        self._evaluator = evaluator
        self.population: list[str] = []
        self.finished = False
        self.stopped_by = ""  # set by the plan when it ends early (the step budget)
        self._loop: Loop | None = None
        self._waiting: set[str] = set()  # uids the loop waits for, not told yet
        self._queued: list[Candidate] = []  # for the next ask()
        self._asked: dict[str, Candidate] = {}  # asked, not told yet
        self._t0 = 0.0
        self._closed = False
        self._hold_s = 0.0  # Ledger.transaction's hold_s for the steps (run() with a table)
        self._extend = extend
        self._verified: set[str] = set()  # parents whose weights files were checked
        self._standings: tuple[Sequence[str], Standings] | None = None

    @property
    def evaluator(self) -> Evaluator:
        """The configured evaluator (made on first use: ask/tell alone needs none)."""
        if self._evaluator is None:
            self._evaluator = make_evaluator(self.config.evaluation)
        return self._evaluator

    @property
    def members(self) -> dict[str, Candidate]:
        """Every candidate settled so far, by uid."""
        return self.archive.members

    @property
    def done(self) -> int:
        return self.archive.done

    @property
    def steps(self) -> int:
        return self.archive.hv.steps

    # ---------------------------------------------------------------- ask/tell
    def start(self) -> None:
        """Record the run's metadata and start the plan (``ask`` does it when needed)."""
        if self._loop is None:
            self._t0 = time.perf_counter()
            self._record_start()
            self._loop = self.plan.loop(self)

    def ask(self) -> list[Candidate]:
        """The candidates to evaluate next, each with its ``request``; ``[]`` while results
        asked for are still missing, or once the search is finished."""
        self.start()
        self._advance()
        asked, self._queued = self._queued, []
        return asked

    def tell(self, uid: str, record: EvalRecord) -> None:
        """The result of the asked candidate ``uid``; the search goes on as far as it can."""
        if uid not in self._asked:
            raise ConfigError(f"tell({uid!r}): no candidate of that uid is waiting for a result; "
                              f"waiting: {', '.join(self._asked) or 'none'}")
        if record.uid != uid:
            raise ConfigError(f"tell({uid!r}) got the record of {record.uid!r}")
        self.progress.arrived(uid, self._asked.pop(uid).generation,
                              failed=record.status == "failed")
        if record.status == "ok" and record.wall_time_s >= KEEP_ARRIVED_S:
            self.ledger.keep_arrived(record)  # a kill before the batch ends does not lose it
            self.ledger.commit()
        self.archive.told[uid] = record
        self._waiting.discard(uid)
        self._advance()

    def run(self) -> SearchSummary:
        """Run to the end with the configured evaluator (``ask``, evaluate, ``tell``); the
        cyclic garbage collector runs less often meanwhile (:mod:`nas_ops.infra.collector`)."""
        # answers that cost microseconds: steps commit together, a few times a second
        self._hold_s = HOLD_COMMITS_S if getattr(self.evaluator, "instant", False) else 0.0
        try:
            with fewer_collections():
                self._run_loop()
        finally:
            self.close()
        return unless_all_failed(self.summary())

    def _run_loop(self) -> None:
        while True:
            asked = self.ask()
            for cand in asked:
                assert cand.request is not None
                self.evaluator.submit(cand.request)
            self.progress.submitted(len(asked), asked[0].generation if asked else 0)
            if self.finished:
                return
            if not asked:  # waiting for results: take the next one
                record = next(iter(self.evaluator.as_completed()))
                self.tell(record.uid, record)

    def _advance(self) -> None:
        """Run the loop until it needs results not told yet (or candidates not asked yet)."""
        told = self.archive.told
        while self._loop is not None and not self.finished and not self._queued \
                and not self._waiting:
            # what the plan writes up to its next step commits at once (with steps before it,
            # when held): a kill inside leaves the ledger at a step's end, which a resumed run
            # replays exactly
            with self.ledger.transaction(self._hold_s):
                try:
                    step = next(self._loop)
                except StopIteration as stop:
                    self.population = stop.value
                    self.finished = True
                    self.ledger.clear_arrived()
                    self._record_spent()
                    self.ledger.set_meta("status", "finished")
            if self.finished:
                break
            for cand in step.submit:  # results recorded or kept before an interruption
                stored = self.ledger.evaluation(cand.uid)
                if stored is not None:
                    told[cand.uid] = stored
                    self.archive.stored.add(cand.uid)
                elif (kept := self.ledger.arrived(cand.uid)) is not None:
                    told[cand.uid] = kept
            self._waiting = {c.uid for c in step.wait if c.uid not in told}
            self._queued = [c for c in step.submit if c.uid not in told]
            for cand in self._queued:
                cand.request = self.request(cand)
                self._asked[cand.uid] = cand

    def summary(self) -> SearchSummary:
        a = self.archive
        best, front = best_and_front(a.members, self.outputs, self.weights)
        return SearchSummary(self.run_dir, a.done, a.trained, a.failures, best, front,
                             time.perf_counter() - self._t0, list(self.population),
                             a.hv.steps, self.stopped_by if self.finished else "")

    def close(self) -> None:
        """Release the ledger (and the evaluator); the run can be resumed later."""
        if not self._closed:
            self._closed = True
            self.progress.close()
            if self._evaluator is not None:
                self._evaluator.close()
            self.ledger.close()

    def __enter__(self) -> Search:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, cand: Candidate) -> EvalRequest:
        """The request of ``cand``, once the weights files it inherits from are checked."""
        if cand.requester is not None:
            return cand.requester()
        members = self.archive.members
        check_parents(self.config, self.run_dir, members, cand, self._verified)
        keys = [m.record.uid if (m := members.get(p)) is not None and m.record is not None
                else p for p in cand.parents]
        return make_request(cand, self.config, self.run_dir, keys)

    # ------------------------------------------------------------------ Arena
    def sample(self, uid: str, generation: int, slot: int, index: int) -> Candidate:
        seed = self.config.seed
        genome = self.space.sample(self.task, generator(seed, "init", index))
        return Candidate(uid, generation, slot, genome.with_lineage(uid, (), None),
                         torch_seed(seed, "eval", uid))

    def breed(self, generation: int, slot: int, uid: str,
              pool: Sequence[str]) -> Candidate | None:
        def pick(rng: np.random.Generator) -> Candidate:
            size = self.config.search.tournament
            return self.archive.members[self.algorithm.tournament(self.archive, pool, rng, size)]

        return self.breeder.breed(generation, slot, uid, pick, pool=pool)

    def prefilter(self, generation: int, children: list[Candidate],
                  k: int) -> list[Candidate]:
        if self.prefilter_config is None:
            return children
        return prefilter(self.prefilter_config, self.ledger, self.task, self.config.seed,
                         generation, children, k)

    def evaluate(self, cands: Sequence[Candidate]) -> Steps:
        yield from self.archive.batch(cands)

    def offspring(self, children: Sequence[Candidate]) -> Loop:
        if self.rungs is None:
            yield from self.archive.batch(children)
            return [c.uid for c in children]
        yield from self.rungs.offspring(children)
        return [c.uid for c in children if c.record is not None and self._enters(c)]

    def submit(self, child: Candidate) -> Candidate | None:
        self.archive.add(child)
        if self.rungs is None:
            return None if self.archive.settle_duplicate(child) else child
        return None if self.archive.settle_duplicate(child) else self.rungs.first(child)

    def take(self, child: Candidate) -> Generator[Step, None, bool]:
        if child.record is None and self.rungs is None:
            self.archive.take(child)
        elif child.record is None and self.rungs is not None:
            yield from self.rungs.child(child)
        return self._enters(child)

    def checkpoint(self, generation: int, population: list[str]) -> None:
        self.ledger.set_population(generation, population)
        self.ledger.add_checkpoint(generation, self.archive.done,
                                   {"seed": self.config.seed, "next_generation": generation + 1},
                                   self.policy.state())

    def credit(self, children: Sequence[Candidate]) -> None:
        for child in children:
            if child.operator is None or child.record is None or child.record.fidelity < 1.0:
                continue  # a stopped child's objectives are not comparable with its parent's
            parent = self.archive.scalar(child.parents[0])
            # a duplicate found nothing new: credited as a failure, or a bandit would be paid
            # for returning a better genome already evaluated (at no training cost)
            new = child.record.status == "ok"
            reward = self.archive.scalar(child.uid) - parent if new else -1.0
            self.policy.credit(child.operator, reward, parent)

    def budget_spent(self, steps: int) -> bool:
        cap = self.config.budget.total_steps
        return cap > 0 and steps >= cap

    def stop(self, reason: str) -> None:
        self.stopped_by = reason

    def record_meta(self, key: str, value: Any) -> None:
        self.ledger.set_meta(key, value)

    def record_variation(self, generation: int, slot: int, attempt: int,
                         event: VariationEvent, child: str | None) -> None:
        self.ledger.add_variation(generation, slot, attempt, event, child)

    # --------------------------------------------------------------- internals
    def _enters(self, cand: Candidate) -> bool:
        """Whether an evaluated child enters survivor selection (the population, in aging): with
        rungs, only when it trained to the full budget, unless ``stopped_select``."""
        return self.fidelity is None or (cand.record is not None and (
            cand.record.fidelity == 1.0 or self.fidelity.stopped_select))

    def _record_start(self) -> None:
        stored = self.ledger.meta("config")
        if stored is not None and config_from_record(stored).to_dict() != self.config.to_dict():
            if not (self._extend and extends(config_from_record(stored), self.config)):
                raise ConfigError(f"run directory {str(self.run_dir)!r} holds a run with "
                                  "another config; use `nas-ops resume` or a new --out directory")
            self.ledger.set_meta("config", self.config.to_dict())
        if stored is None:
            self.ledger.set_meta("config", self.config.to_dict())
            self.ledger.set_meta("components", self.components)
            self.ledger.set_meta("versions", {
                "nas_ops": __version__, "torch": torch.__version__,
                "numpy": np.__version__, "python": platform.python_version()})
            self.ledger.set_meta("seed", self.config.seed)
            self.ledger.set_meta("schema", SCHEMA_VERSION)
            self.ledger.set_meta("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        if self.rules is not None and self.ledger.meta("guidelines") is None:
            self.ledger.set_meta("guidelines", self.rules.to_record())
        if self.ledger.meta("hv_reference") is None:  # also a resumed run of an older schema
            self.ledger.set_meta("hv_reference", self.archive.hv.reference.to_dict())
        self.ledger.set_meta("status", "running")

    def _record_spent(self) -> None:
        """At the end: ``meta.steps_spent`` (optimizer steps of every evaluation, duplicates 0)
        and ``meta.stopped_by`` (``total_steps``, ``max_evals`` or ``generations``; ``plan`` for a
        study)."""
        if self.plan is not self.algorithm:
            self.stopped_by = "plan"  # a study evaluates what it planned
        elif not self.stopped_by:
            self.stopped_by = "max_evals" if self.archive.done >= self.config.max_evals \
                else "generations"
        self.ledger.set_meta("steps_spent", self.archive.hv.steps)
        self.ledger.set_meta("stopped_by", self.stopped_by)

    def _describe(self, parent: Candidate, pool: Sequence[str],
                  tried: Sequence[str]) -> ParentState:
        if not getattr(self.policy, "reads_parent", True):
            return ParentState(parent.uid, tuple(o.name for o in self.outputs), tried=tuple(tried),
                               safe=tuple(self.config.search.safe_outputs))
        if self._standings is None or self._standings[0] is not pool:  # once per pool object
            self._standings = (pool, Standings(self.archive.members, pool, self.outputs))
        return parent_state(parent, self.archive.members, pool, self.outputs,
                            self.config.search.safe_outputs, tried, self._standings[1])
