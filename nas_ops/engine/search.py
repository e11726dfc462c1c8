"""The search: ask/tell on DEAP selection tools (NSGA-II by default, (mu+lambda), aging).

``ask()`` returns the candidates to evaluate next (a generation at a time; up to ``async_lag`` in
aging), each with the :class:`~nas_ops.evaluation.records.EvalRequest` that evaluates it;
``tell(uid, record)`` hands a result back. ``run()`` is that loop with the configured evaluator.
Duplicates and candidates the ledger already holds are settled inside and never asked.

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
from typing import Protocol

import numpy as np
import torch
from deap import tools

from nas_ops._version import __version__
from nas_ops.config import RunConfig, config_from_record, extends
from nas_ops.engine.algorithms import Loop, Step, evaluate_batch, make_algorithm
from nas_ops.engine.breeding import Breeder, operator_lists
from nas_ops.engine.checks import check_run
from nas_ops.engine.components import check, recorded_components, resolve
from nas_ops.engine.fitness import (
    Member,
    fitness_class,
    hv_reference,
    objective_weights,
    objectives,
    scalar,
)
from nas_ops.engine.individuals import Candidate, make_request
from nas_ops.engine.parents import parent_state
from nas_ops.engine.policies import ParentState
from nas_ops.engine.policy_setup import policy_for, run_rules
from nas_ops.engine.progress import Progress
from nas_ops.engine.rungs import child_rungs, first_rung, offspring_batch
from nas_ops.engine.summary import SearchSummary, best_and_front, unless_all_failed
from nas_ops.engine.weights import check_parents
from nas_ops.errors import ConfigError, GenomeError
from nas_ops.evaluation import Evaluator, make_evaluator
from nas_ops.evaluation.records import EvalRecord, EvalRequest
from nas_ops.fidelity import parse_fidelity
from nas_ops.genome import to_json
from nas_ops.metrics.hypervolume import Tracker
from nas_ops.prefilter import parse_prefilter
from nas_ops.spaces import get_space
from nas_ops.store.ledger import SCHEMA_VERSION, Ledger
from nas_ops.tasks import load_task
from nas_ops.variation import VariationEvent


class Plan(Protocol):
    """What drives a search: a search algorithm, or a study's protocol."""

    def loop(self, search: Search) -> Loop: ...


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
        self.fidelity = parse_fidelity(s.fidelity)  # rungs (docs/fidelity.md); None: off
        self.rung_members: dict[str, Candidate] = {}  # rung evaluations ranked for promotion
        # rule "median": per rung, the primary validation metrics of its successful results
        self.rung_history: dict[int, list[list[float]]] = {}
        self.prefilter = parse_prefilter(s.prefilter)  # proxy pre-filter; None: off
        self.n_train = len(self.task.train)
        self.plan: Plan = plan or self.algorithm
        self.weights = objective_weights(self.outputs, s.complexity_objective)
        self.fitness_cls = fitness_class(self.weights)
        self.components = recorded if recorded is not None else resolve(config)
        names = names or [o["name"] for o in self.components["operators"]]
        mutation, crossover = operator_lists(names)
        if not mutation:
            raise ConfigError("policy.operators names no mutation (arity 1) operator")
        check_run(config, self.task, names)  # everything is checked before the ledger exists
        self.rules = run_rules(config, self.run_dir)
        self.policy = policy_for(config, len(mutation), self.rules)
        self.hv = Tracker(hv_reference(self.outputs, s.complexity_objective, s.hv_reference))
        self.ledger = Ledger(self.run_dir, "w")
        self.breeder = Breeder(config.seed, self.space, self.policy, mutation, crossover,
                               s.crossover_rate, s.max_attempts, tuple(s.safe_outputs),
                               self._record_variation, self._describe)
        self._evaluator = evaluator
        self.by_hash: dict[str, str] = {}
        self.members: dict[str, Candidate] = {}
        self.progress = Progress(config.max_evals, progress)
        self.done = self.trained = self.failures = 0
        self.best: dict[str, float] = {}
        self._ranks: dict[str, int] = {}
        self._ranks_of: Sequence[str] | None = None  # the pool the ranks were computed for
        self.generation = 0
        self.population: list[str] = []
        self.finished = False
        self.stopped_by = ""  # set by the loop when the step budget ended it
        self._loop: Loop | None = None
        self._step = Step()
        self._waiting: set[str] = set()  # uids the loop waits for, not told yet
        self._queued: list[Candidate] = []  # for the next ask()
        self._asked: dict[str, Candidate] = {}  # asked, not told yet
        self._results: dict[str, EvalRecord] = {}  # told, not taken by the loop yet
        self._t0 = 0.0
        self._closed = False
        self._extend = extend
        self._verified: set[str] = set()  # parents whose weights files were checked

    @property
    def evaluator(self) -> Evaluator:
        """The configured evaluator (made on first use: ask/tell alone needs none)."""
        if self._evaluator is None:
            self._evaluator = make_evaluator(self.config.evaluation)
        return self._evaluator

    # ---------------------------------------------------------------- ask/tell
    def ask(self) -> list[Candidate]:
        """The candidates to evaluate next, each with its ``request``; ``[]`` while results
        asked for are still missing, or once the search is finished."""
        self._begin()
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
        if record.status == "ok":  # kept at once: a kill before the batch ends loses nothing
            self.ledger.keep_arrived(record)
        self._results[uid] = record
        self._waiting.discard(uid)
        self._advance()

    def run(self) -> SearchSummary:
        """Run to the end with the configured evaluator (``ask``, evaluate, ``tell``)."""
        try:
            while True:
                asked = self.ask()
                for cand in asked:
                    assert cand.request is not None
                    self.evaluator.submit(cand.request)
                self.progress.submitted(len(asked), self.generation)
                if self.finished:
                    break
                if not asked:  # waiting for results: take the next one
                    record = next(iter(self.evaluator.as_completed()))
                    self.tell(record.uid, record)
        finally:
            self.close()
        return unless_all_failed(self.summary())

    def _advance(self) -> None:
        """Run the loop until it needs results not told yet (or candidates not asked yet)."""
        while self._loop is not None and not self.finished and not self._queued \
                and not self._waiting:
            try:
                self._step = next(self._loop)
            except StopIteration as stop:
                self.population = stop.value
                self.finished = True
                self.ledger.clear_arrived()
                self._record_spent()
                self.ledger.set_meta("status", "finished")
                break
            for cand in self._step.submit:  # results kept before an interruption
                kept = self.ledger.arrived(cand.uid)
                if kept is not None:
                    self._results[cand.uid] = kept
            self._waiting = {c.uid for c in self._step.wait if c.uid not in self._results}
            self._queued = [c for c in self._step.submit if c.uid not in self._results]
            for cand in self._queued:
                cand.request = self._request(cand)
                self._asked[cand.uid] = cand

    def summary(self) -> SearchSummary:
        best, front = best_and_front(self.members, self.outputs, self.weights)
        return SearchSummary(self.run_dir, self.done, self.trained, self.failures, best, front,
                             time.perf_counter() - self._t0, list(self.population),
                             self.hv.steps, self.stopped_by if self.finished else "")

    def steps_budget_spent(self, steps: int) -> bool:
        """Whether ``steps`` optimizer steps reach the search's budget (``budget.total_steps``;
        never when it is 0)."""
        cap = self.config.budget.total_steps
        return cap > 0 and steps >= cap

    def _record_spent(self) -> None:
        """At the end: ``meta.steps_spent`` (optimizer steps of every evaluation, duplicates 0)
        and ``meta.stopped_by`` (``total_steps``, ``max_evals`` or ``generations``; ``plan`` for a
        study)."""
        if self.plan is not self.algorithm:
            self.stopped_by = "plan"  # a study evaluates what it planned
        elif not self.stopped_by:
            self.stopped_by = "max_evals" if self.done >= self.config.max_evals \
                else "generations"
        self.ledger.set_meta("steps_spent", self.hv.steps)
        self.ledger.set_meta("stopped_by", self.stopped_by)

    def close(self) -> None:
        """Release the ledger (and the evaluator); the run can be resumed later."""
        if not self._closed:
            self._closed = True
            self.progress.close()
            if self._evaluator is not None:
                self._evaluator.close()
            self.ledger.close()

    def _begin(self) -> None:
        if self._loop is None:
            self._t0 = time.perf_counter()
            self._start()
            self._loop = self.plan.loop(self)

    def _take(self, cand: Candidate) -> None:
        """Finish ``cand`` with the result told for it (the loop decides when)."""
        self._finish(cand, self._results.pop(cand.uid), fresh=True)

    def _evaluate(self, cands: Sequence[Candidate]) -> None:
        """Evaluate one batch now with the evaluator, outside the loop."""
        for step in evaluate_batch(self, cands):
            for cand in step.submit:
                self.evaluator.submit(self._request(cand))
            while any(c.uid not in self._results for c in step.wait):
                record = next(iter(self.evaluator.as_completed()))
                self._results[record.uid] = record

    def _offspring(self, children: Sequence[Candidate]) -> Loop:
        """Evaluate a generation's children: as one batch, or through the rungs when
        ``search.fidelity`` is set; return the uids that enter survivor selection."""
        if self.fidelity is None:
            yield from evaluate_batch(self, children)
            return [c.uid for c in children]
        yield from offspring_batch(self, children)
        return [c.uid for c in children if c.record is not None and self._enters(c)]

    def _bred(self, cand: Candidate) -> Candidate | None:
        """Aging: what to submit for the child ``cand`` just bred (it is added to the run): None
        when the ledger or a duplicate settles it; with rungs, its first-rung evaluation (None
        when the ledger holds that one: it is read back when the child's turn comes)."""
        if self.fidelity is None:
            return None if self._resolve_now(cand) else cand
        return None if self._settle_duplicate(cand) else first_rung(self, cand)

    def _child_rungs(self, cand: Candidate) -> Generator[Step, None, None]:
        """Aging with rungs: take the child ``cand`` through the rungs (rungs.child_rungs)."""
        yield from child_rungs(self, cand)

    def _enters(self, cand: Candidate) -> bool:
        """Whether an evaluated child enters survivor selection (the population, in aging): with
        rungs, only when it trained to the full budget, unless ``stopped_select``."""
        return self.fidelity is None or (cand.record is not None and (
            cand.record.fidelity == 1.0 or self.fidelity.stopped_select))

    def _request(self, cand: Candidate) -> EvalRequest:
        """The request of ``cand``, once the weights files it inherits from are checked."""
        if cand.requester is not None:
            return cand.requester()
        check_parents(self, cand, self._verified)
        keys = [m.record.uid if (m := self.members.get(p)) is not None and m.record is not None
                else p for p in cand.parents]
        return make_request(cand, self.config, self.run_dir, keys)

    # --------------------------------------------------------------- recording
    def _start(self) -> None:
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
            self.ledger.set_meta("hv_reference", self.hv.reference.to_dict())
        self.ledger.set_meta("status", "running")

    def _record_variation(self, generation: int, slot: int, attempt: int,
                          event: VariationEvent, child: str | None) -> None:
        self.ledger.add_variation(generation, slot, attempt, event.to_dict(), child)

    def _add_candidate(self, cand: Candidate) -> None:
        text = to_json(cand.genome)
        stored = self.ledger.individual_genome(cand.uid)
        if stored is not None and stored != text:
            raise GenomeError(f"individual {cand.uid}: replay produced another genome than the "
                              "ledger holds (code or config changed since the run started)")
        self.ledger.add_individual(cand.uid, cand.generation, cand.slot, text,
                                   cand.hash, list(cand.parents), cand.operator, cand.seed)

    # -------------------------------------------------------------- evaluation
    def _finish(self, cand: Candidate, record: EvalRecord, fresh: bool) -> None:
        cand.record = record
        cand.objectives = objectives(record, self.outputs, self.config.search.complexity_objective)
        full = record.ok and record.fidelity == 1.0  # a lower rung's objectives count nowhere
        hv = self.hv.add(record.uid, cand.objectives if full else None,
                         0 if record.status == "duplicate" else record.steps)
        if fresh:
            self.ledger.add_evaluation(record, cand.objectives, hv)
        else:  # a ledger of schema < 4 gets the row it lacks
            self.ledger.add_hypervolume(hv)
        if record.status == "ok":
            self.by_hash.setdefault(cand.hash, cand.uid)
        self.members[cand.uid] = cand
        self.done += 1
        self.trained += int(fresh and record.status == "ok")
        self.failures += int(record.status == "failed")
        if full:
            self._update_best(cand.objectives)
        self.progress.update(cand.generation, self.best, fresh=fresh,
                             failed=record.status == "failed", uid=cand.uid)

    def _settle_rung(self, key: str, record: EvalRecord, fresh: bool) -> None:
        """Record a lower-rung evaluation whose child goes on to the next rung: its row and
        hypervolume point (its steps count, its objectives do not)."""
        values = objectives(record, self.outputs, self.config.search.complexity_objective)
        hv = self.hv.add(key, None, record.steps)
        if fresh:
            self.ledger.add_evaluation(record, values, hv)
        else:
            self.ledger.add_hypervolume(hv)

    def _duplicate_record(self, cand: Candidate, original: str) -> EvalRecord:
        rec = self.members[original].record
        assert rec is not None
        return EvalRecord(uid=cand.uid, status="duplicate", val=rec.val, test=rec.test,
                          complexity=rec.complexity, device=rec.device, duplicate_of=original,
                          rung=rec.rung, fidelity=rec.fidelity)

    def _may_reuse(self, cand: Candidate) -> bool:
        return self.config.evaluation.reuse_duplicates and not cand.force_train

    def _resolve_now(self, cand: Candidate) -> bool:
        """Settle ``cand`` without training when the ledger or a duplicate already has it."""
        stored = self.ledger.evaluation(cand.uid)
        if stored is not None:
            self._finish(cand, stored, fresh=False)
            return True
        return self._settle_duplicate(cand)

    def _settle_duplicate(self, cand: Candidate) -> bool:
        """Settle ``cand`` as a duplicate of an earlier result when it may reuse one."""
        original = self.by_hash.get(cand.hash)
        if original is not None and self._may_reuse(cand):
            self._finish(cand, self._duplicate_record(cand, original), fresh=True)
            return True
        return False

    def _update_best(self, values: Sequence[float]) -> None:
        for spec, value in zip(self.outputs, values, strict=False):
            old = self.best.get(spec.name)
            if old is None or (value > old if spec.higher_is_better else value < old):
                self.best[spec.name] = value

    # -------------------------------------------------------------- selection
    def _member(self, uid: str) -> Member:
        return Member(uid, self._lookup(uid).objectives, self.fitness_cls)

    def _scalar(self, uid: str) -> float:
        return scalar(self._lookup(uid).objectives, self.outputs,
                      self.config.search.output_weights)

    def _lookup(self, uid: str) -> Candidate:
        """A member, or a rung evaluation being ranked for promotion (docs/fidelity.md)."""
        found = self.members.get(uid)
        return found if found is not None else self.rung_members[uid]

    def _pareto_ranks(self, pool: Sequence[str]) -> dict[str, int]:
        """Non-domination rank of every member of ``pool`` (computed once per pool)."""
        if self._ranks_of is not pool:
            self._ranks_of = pool
            fronts = tools.sortLogNondominated([self._member(u) for u in pool], len(pool))
            self._ranks = {m.uid: r for r, front in enumerate(fronts) for m in front}
        return self._ranks

    def _credit(self, children: Sequence[Candidate]) -> None:
        for child in children:
            if child.operator is None or child.record is None or child.record.fidelity < 1.0:
                continue  # a stopped child's objectives are not comparable with its parent's
            parent = self._scalar(child.parents[0])
            # a duplicate found nothing new: credited as a failure, or a bandit would be paid
            # for returning a better genome already evaluated (at no training cost)
            new = child.record.status == "ok"
            reward = self._scalar(child.uid) - parent if new else -1.0
            self.policy.credit(child.operator, reward, parent)

    def _checkpoint(self, generation: int, population: list[str]) -> None:
        self.ledger.set_population(generation, population)
        self.ledger.add_checkpoint(generation, self.done, {"seed": self.config.seed,
                                                           "next_generation": generation + 1},
                                   self.policy.state())

    def _breed(self, generation: int, slot: int, uid: str, pool: Sequence[str]) -> Candidate | None:
        def pick(rng: np.random.Generator) -> Candidate:
            size = self.config.search.tournament
            return self.members[self.algorithm.tournament(self, pool, rng, size)]

        return self.breeder.breed(generation, slot, uid, pick, pool=pool)

    def _describe(self, parent: Candidate, pool: Sequence[str],
                  tried: Sequence[str]) -> ParentState:
        return parent_state(parent, self.members, pool, self.outputs,
                            self.config.search.safe_outputs, tried)
