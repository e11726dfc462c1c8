"""The ask/tell search loop: NSGA-II (default), (mu+lambda) and aging evolution.

Determinism: every random draw comes from a generator keyed by (seed, purpose, generation,
slot, attempt), results are told in slot order, and evaluations are keyed by uid. A resumed run
replays the loop from the start, taking every evaluation already in the ledger instead of
training again, so it ends exactly where an uninterrupted run would.
"""

from __future__ import annotations

import json
import platform
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from deap import tools

from nas_ops.config import RunConfig, config_from_dict
from nas_ops.engine.breeding import Breeder, operator_lists
from nas_ops.engine.fitness import Member, fitness_class, objective_weights, objectives, scalar
from nas_ops.engine.individuals import Candidate, make_request
from nas_ops.engine.policies import make_policy
from nas_ops.engine.progress import Progress
from nas_ops.errors import ConfigError, GenomeError
from nas_ops.evaluation import Evaluator, make_evaluator
from nas_ops.evaluation.records import EvalRecord
from nas_ops.genome import to_json
from nas_ops.rng import generator, torch_seed
from nas_ops.spaces import get_space
from nas_ops.store.ledger import SCHEMA_VERSION, Ledger
from nas_ops.tasks import load_task
from nas_ops.variation import VariationEvent


@dataclass
class SearchSummary:
    run_dir: Path
    evaluations: int
    trained: int
    failures: int
    best: dict[str, tuple[str, float]]
    front: list[str]
    wall_time_s: float
    population: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"run {self.run_dir}: {self.evaluations} evaluations ({self.trained} trained "
               f"now, {self.failures} failed) in {self.wall_time_s:.1f} s"]
        for name, (uid, value) in self.best.items():
            out.append(f"  best {name}: {value:.4g} ({uid})")
        out.append(f"  Pareto front: {len(self.front)} individuals: {', '.join(self.front)}")
        out.append(f"  ledger: {self.run_dir / 'ledger.sqlite'}")
        return out


class Search:
    def __init__(self, config: RunConfig, run_dir: str | Path, *, progress: bool = True,
                 evaluator: Evaluator | None = None) -> None:
        self.config, self.run_dir = config, Path(run_dir)
        self.task = load_task(config.task.name, **config.task.options)
        self.space = get_space(config.space.name)
        self.outputs = self.task.outputs
        s = config.search
        for name in s.safe_outputs:
            self.task.output(name)
        self.weights = objective_weights(self.outputs, s.complexity_objective)
        self.fitness_cls = fitness_class(self.weights)
        self.policy = make_policy(config.policy.name, config.policy.weights,
                                  config.policy.exploration)
        from nas_ops.variation import OPERATORS

        names = config.policy.operators or OPERATORS.names()
        for n in names:
            OPERATORS.get(n)
        mutation, crossover = operator_lists(names)
        if not mutation:
            raise ConfigError("policy.operators names no mutation (arity 1) operator")
        self.ledger = Ledger(self.run_dir, "w")
        self.breeder = Breeder(config.seed, self.space, self.policy, mutation, crossover,
                               s.crossover_rate, s.max_attempts, tuple(s.safe_outputs),
                               self._record_variation)
        self.evaluator = evaluator or make_evaluator(config.evaluation)
        self.by_hash: dict[str, str] = {}
        self.members: dict[str, Candidate] = {}
        self.progress = Progress(config.max_evals, progress)
        self.done = self.trained = self.failures = 0
        self.best: dict[str, float] = {}
        self._ranks: dict[str, int] = {}
        self._ranks_of: Sequence[str] | None = None  # the pool the ranks were computed for
        self.generation = 0

    # --------------------------------------------------------------- recording
    def _start(self) -> None:
        stored = self.ledger.meta("config")
        if stored is not None and stored != self.config.to_dict():
            raise ConfigError(f"run directory {str(self.run_dir)!r} holds a run with another "
                              "config; use `nas-ops resume` or a new --out directory")
        if stored is None:
            import nas_ops

            self.ledger.set_meta("config", self.config.to_dict())
            self.ledger.set_meta("versions", {
                "nas_ops": nas_ops.__version__, "torch": torch.__version__,
                "numpy": np.__version__, "python": platform.python_version()})
            self.ledger.set_meta("seed", self.config.seed)
            self.ledger.set_meta("schema", SCHEMA_VERSION)
            self.ledger.set_meta("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
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
        if fresh:
            self.ledger.add_evaluation(record, cand.objectives)
        if record.status == "ok":
            self.by_hash.setdefault(cand.hash, cand.uid)
        self.members[cand.uid] = cand
        self.done += 1
        self.trained += int(fresh and record.status == "ok")
        self.failures += int(record.status == "failed")
        if record.ok:
            self._update_best(cand.objectives)
        self.progress.update(cand.generation, self.best, fresh=fresh,
                             failed=record.status == "failed")

    def _duplicate_record(self, cand: Candidate, original: str) -> EvalRecord:
        rec = self.members[original].record
        assert rec is not None
        return EvalRecord(uid=cand.uid, status="duplicate", val=rec.val, test=rec.test,
                          complexity=rec.complexity, device=rec.device, duplicate_of=original)

    def _may_reuse(self, cand: Candidate) -> bool:
        return self.config.evaluation.reuse_duplicates and not cand.force_train

    def _resolve_now(self, cand: Candidate) -> bool:
        """Settle ``cand`` without training when the ledger or a duplicate already has it."""
        stored = self.ledger.evaluation(cand.uid)
        if stored is not None:
            self._finish(cand, stored, fresh=False)
            return True
        original = self.by_hash.get(cand.hash)
        if original is not None and self._may_reuse(cand):
            self._finish(cand, self._duplicate_record(cand, original), fresh=True)
            return True
        return False

    def _evaluate(self, cands: Sequence[Candidate]) -> None:
        """Evaluate a batch; duplicates within it wait for their first occurrence."""
        waiting: dict[str, Candidate] = {}
        later: list[Candidate] = []
        batch_hashes: set[str] = set()
        for cand in cands:
            self._add_candidate(cand)
            if self._resolve_now(cand):
                continue
            if cand.hash in batch_hashes and self._may_reuse(cand):
                later.append(cand)
                continue
            batch_hashes.add(cand.hash)
            waiting[cand.uid] = cand
            self.evaluator.submit(make_request(cand, self.config, self.run_dir))
        for record in self.evaluator.as_completed():
            self._finish(waiting.pop(record.uid), record, fresh=True)
        for cand in later:
            if not self._resolve_now(cand):  # the first occurrence failed: train this one
                self.evaluator.submit(make_request(cand, self.config, self.run_dir))
                for record in self.evaluator.as_completed():
                    self._finish(cand, record, fresh=True)

    def _update_best(self, values: Sequence[float]) -> None:
        for spec, value in zip(self.outputs, values, strict=False):
            old = self.best.get(spec.name)
            if old is None or (value > old if spec.higher_is_better else value < old):
                self.best[spec.name] = value

    # -------------------------------------------------------------- selection
    def _member(self, uid: str) -> Member:
        return Member(uid, self.members[uid].objectives, self.fitness_cls)

    def _scalar(self, uid: str) -> float:
        return scalar(self.members[uid].objectives, self.outputs,
                      self.config.search.output_weights)

    def _select(self, pool: list[str], k: int) -> list[str]:
        if self.config.search.algorithm == "nsga2":
            chosen = tools.selNSGA2([self._member(u) for u in pool], k, nd="log")
            return [m.uid for m in chosen]
        return sorted(pool, key=lambda u: -self._scalar(u))[:k]  # stable: ties keep order

    def _tournament(self, pool: Sequence[str], rng: np.random.Generator, size: int) -> str:
        picks = [pool[int(i)] for i in rng.integers(len(pool), size=size)]
        if self.config.search.algorithm == "nsga2":
            ranks = self._pareto_ranks(pool)
            return min(picks, key=lambda u: ranks[u])  # ties: the first drawn
        return max(picks, key=self._scalar)

    def _pareto_ranks(self, pool: Sequence[str]) -> dict[str, int]:
        """Non-domination rank of every member of ``pool`` (computed once per pool)."""
        if self._ranks_of is not pool:
            self._ranks_of = pool
            fronts = tools.sortLogNondominated([self._member(u) for u in pool], len(pool))
            self._ranks = {m.uid: r for r, front in enumerate(fronts) for m in front}
        return self._ranks

    def _credit(self, children: Sequence[Candidate]) -> None:
        for child in children:
            if child.operator is None or child.record is None:
                continue
            parent = self._scalar(child.parents[0])
            reward = self._scalar(child.uid) - parent if child.record.ok else -1.0
            self.policy.credit(child.operator, reward)

    def _checkpoint(self, generation: int, population: list[str]) -> None:
        self.ledger.set_population(generation, population)
        self.ledger.add_checkpoint(generation, self.done, {"seed": self.config.seed,
                                                           "next_generation": generation + 1},
                                   self.policy.state())

    # -------------------------------------------------------------------- run
    def _initial(self) -> list[str]:
        n = min(self.config.search.population, self.config.max_evals)
        cands = []
        for i in range(n):
            uid = f"g000-{i:03d}"
            genome = self.space.sample(self.task, generator(self.config.seed, "init", i))
            cands.append(Candidate(uid, 0, i, genome.with_lineage(uid, (), None),
                                   torch_seed(self.config.seed, "eval", uid)))
        self._evaluate(cands)
        return [c.uid for c in cands]

    def _breed(self, generation: int, slot: int, uid: str, pool: Sequence[str]) -> Candidate | None:
        def pick(rng: np.random.Generator) -> Candidate:
            return self.members[self._tournament(pool, rng, self.config.search.tournament)]

        return self.breeder.breed(generation, slot, uid, pick)

    def _generational(self, population: list[str]) -> list[str]:
        s = self.config.search
        for gen in range(1, s.generations + 1):
            self.generation = gen
            room = self.config.max_evals - self.done
            if room <= 0:
                break
            children = [c for slot in range(min(s.offspring, room))
                        if (c := self._breed(gen, slot, f"g{gen:03d}-{slot:03d}", population))]
            self._evaluate(children)
            self._credit(children)
            population = self._select(population + [c.uid for c in children], s.population)
            self._checkpoint(gen, population)
        return population

    def _aging(self, population: list[str]) -> list[str]:
        """Regularized evolution, steady state: each child replaces the oldest member. Children
        are bred ``async_lag`` ahead of the results told, whatever the number of workers, and
        results are told in creation order, so the run does not depend on timing."""
        s = self.config.search
        queue = deque(population)
        total = self.config.max_evals - self.done
        lag = max(1, s.async_lag)
        pending: dict[int, Candidate] = {}
        results: dict[str, EvalRecord] = {}
        created = told = 0
        while told < total:
            while created < total and created - told < lag:
                uid = f"a{created:05d}"
                cand = self._breed(1 + created // s.population, created % s.population, uid,
                                   list(queue))
                if cand is not None:
                    self._add_candidate(cand)
                    if not self._resolve_now(cand):
                        self.evaluator.submit(make_request(cand, self.config, self.run_dir))
                pending[created] = cand  # type: ignore[assignment]
                created += 1
            cand = pending.pop(told)
            if cand is not None and cand.record is None:
                while cand.uid not in results:
                    rec = next(iter(self.evaluator.as_completed()))
                    results[rec.uid] = rec
                self._finish(cand, results.pop(cand.uid), fresh=True)
            if cand is not None:
                queue.append(cand.uid)
                queue.popleft()
                self._credit([cand])
            told += 1
            if told % s.population == 0 or told == total:
                self._checkpoint(told // s.population + (told % s.population > 0), list(queue))
        return list(queue)

    def run(self) -> SearchSummary:
        start = time.perf_counter()
        self._start()
        try:
            population = self._initial()
            self._checkpoint(0, population)
            if self.config.search.algorithm == "aging":
                population = self._aging(population)
            else:
                population = self._generational(population)
            self.ledger.set_meta("status", "finished")
        finally:
            self.progress.close()
            self.evaluator.close()
            self.ledger.close()
        return self._summary(population, time.perf_counter() - start)

    def _summary(self, population: list[str], wall: float) -> SearchSummary:
        ok = [u for u, c in self.members.items() if c.record is not None and c.record.ok]
        best = {}
        for k, spec in enumerate(self.outputs):
            if ok:
                sign = 1 if spec.higher_is_better else -1
                values = {u: sign * self.members[u].objectives[k] for u in ok}
                uid = max(ok, key=values.__getitem__)
                best[spec.name] = (uid, self.members[uid].objectives[k])
        front = []
        if ok:
            first = tools.sortLogNondominated([self._member(u) for u in ok], len(ok), True)
            front = sorted(m.uid for m in first)
        return SearchSummary(self.run_dir, self.done, self.trained, self.failures, best, front,
                             wall, population)


def run_search(config: RunConfig, run_dir: str | Path, progress: bool = True) -> SearchSummary:
    return Search(config, run_dir, progress=progress).run()


def resume_search(run_dir: str | Path, progress: bool = True) -> SearchSummary:
    """Finish a run that was stopped: its config is read back from the ledger."""
    from nas_ops.store import load_run

    run = load_run(run_dir)
    if "config" not in run.meta:
        raise ConfigError(f"{str(run_dir)!r} has no recorded config; start it with `search`")
    config = config_from_dict(_config_dict_to_toml_shape(run.meta["config"]))
    if run.meta.get("kind") == "study":
        from nas_ops.engine.study import Study

        return Study(config, run_dir, progress=progress).run()
    return Search(config, run_dir, progress=progress).run()


def _config_dict_to_toml_shape(data: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    options = out.get("task", {}).pop("options", {})
    out.setdefault("task", {}).update(options)
    return out
