"""What a search has evaluated: its members, their objectives and ranking (the
:class:`~nas_ops.engine.arena.Ranking`), and the settling of results into the ledger, the
hypervolume curve and the progress line.

A result is settled once: trained now (``fresh``), read back from the ledger (a resumed run), or
copied from an earlier evaluation of the same genome (a duplicate, when the run may reuse one).
A result the ledger holds is read back where the run would have taken the trained result (the
search puts it among the told results, :attr:`Archive.stored`), never earlier, so a resumed run
settles evaluations in the order of the uninterrupted one (its counts at checkpoints and its
hypervolume curve included).
"""

from __future__ import annotations

from collections.abc import Sequence

from nas_ops.config import RunConfig
from nas_ops.engine.arena import Step, Steps
from nas_ops.engine.fitness import Member, fitness_class, objectives, scalar
from nas_ops.engine.individuals import Candidate
from nas_ops.engine.progress import Progress
from nas_ops.errors import GenomeError
from nas_ops.genome import to_json
from nas_ops.metrics.hypervolume import Tracker
from nas_ops.pareto import pareto_ranks
from nas_ops.records import EvalRecord
from nas_ops.store.ledger import Ledger
from nas_ops.tasks.base import OutputSpec


class Archive:
    def __init__(self, config: RunConfig, outputs: Sequence[OutputSpec], ledger: Ledger,
                 hv: Tracker, progress: Progress, weights: Sequence[float]) -> None:
        """``weights``: each objective's direction (+1 maximise, -1 minimise)."""
        self.config, self.outputs, self.ledger = config, tuple(outputs), ledger
        self.hv, self.progress = hv, progress
        self.weights = tuple(weights)
        self.fitness_cls = fitness_class(self.weights)  # DEAP's, for NSGA-II's members
        self.complexity = config.search.complexity_objective
        self.members: dict[str, Candidate] = {}
        self.rung_members: dict[str, Candidate] = {}  # rung evaluations ranked for promotion
        self.by_hash: dict[str, str] = {}  # genome hash -> the first successful uid
        self.told: dict[str, EvalRecord] = {}  # results told, not taken by the loop yet
        self.stored: set[str] = set()  # of those, results read back from the ledger
        self.best: dict[str, float] = {}
        self.done = self.trained = self.failures = 0
        self._ranks: dict[str, int] = {}
        self._scalars: dict[str, tuple[list[float], float]] = {}  # uid -> (objectives, scalar)
        self._ranks_of: Sequence[str] | None = None  # the pool the ranks were computed for

    # ---------------------------------------------------------------- Ranking
    def candidate(self, uid: str) -> Candidate:
        found = self.members.get(uid)
        return found if found is not None else self.rung_members[uid]

    def scalar(self, uid: str) -> float:
        """The scalarized fitness of ``uid``, kept while its objectives are the same list (a
        tournament asks for it ten times per child)."""
        values = self.candidate(uid).objectives
        kept = self._scalars.get(uid)
        if kept is None or kept[0] is not values:
            kept = self._scalars[uid] = (values, scalar(values, self.outputs,
                                                        self.config.search.output_weights))
        return kept[1]

    def member(self, uid: str) -> Member:
        return Member(uid, self.candidate(uid).objectives, self.fitness_cls)

    def pareto_ranks(self, pool: Sequence[str]) -> dict[str, int]:
        if self._ranks_of is not pool:  # computed once per pool object
            self._ranks_of = pool
            self._ranks = pareto_ranks({u: self.candidate(u).objectives for u in pool},
                                       self.weights)
        return self._ranks

    # -------------------------------------------------------------- settling
    def add(self, cand: Candidate) -> None:
        """Record ``cand`` as an individual of the run (a replayed one must match the ledger)."""
        text = to_json(cand.genome)
        stored = self.ledger.individual_genome(cand.uid)
        if stored is not None and stored != text:
            raise GenomeError(f"individual {cand.uid}: replay produced another genome than the "
                              "ledger holds (code or config changed since the run started)")
        self.ledger.add_individual(cand.uid, cand.generation, cand.slot, text,
                                   cand.hash, list(cand.parents), cand.operator, cand.seed)

    def finish(self, cand: Candidate, record: EvalRecord, fresh: bool) -> None:
        """Settle ``cand`` with ``record`` (``fresh``: trained now, so its row is written)."""
        cand.record = record
        cand.objectives = objectives(record, self.outputs, self.complexity)
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

    def take(self, cand: Candidate) -> None:
        """Settle ``cand`` with the result told for it (or read back from the ledger)."""
        stored = cand.uid in self.stored
        self.stored.discard(cand.uid)
        self.finish(cand, self.told.pop(cand.uid), fresh=not stored)

    def settle_rung(self, key: str, record: EvalRecord, fresh: bool) -> None:
        """Record a lower-rung evaluation whose child goes on to the next rung: its row and
        hypervolume point (its steps count, its objectives do not)."""
        values = objectives(record, self.outputs, self.complexity)
        hv = self.hv.add(key, None, record.steps)
        if fresh:
            self.ledger.add_evaluation(record, values, hv)
        else:
            self.ledger.add_hypervolume(hv)

    def may_reuse(self, cand: Candidate) -> bool:
        return self.config.evaluation.reuse_duplicates and not cand.force_train

    def settle_duplicate(self, cand: Candidate) -> bool:
        """Settle ``cand`` as a duplicate of an earlier result when it may reuse one."""
        original = self.by_hash.get(cand.hash)
        if original is None or not self.may_reuse(cand):
            return False
        rec = self.members[original].record
        assert rec is not None
        self.finish(cand, EvalRecord(
            uid=cand.uid, status="duplicate", val=rec.val, test=rec.test,
            complexity=rec.complexity, device=rec.device, duplicate_of=original, rung=rec.rung,
            fidelity=rec.fidelity), fresh=True)
        return True

    def _update_best(self, values: Sequence[float]) -> None:
        for spec, value in zip(self.outputs, values, strict=False):
            old = self.best.get(spec.name)
            if old is None or (value > old if spec.higher_is_better else value < old):
                self.best[spec.name] = value

    # -------------------------------------------------------------- batches
    def split(self, cands: Sequence[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
        """Add ``cands`` to the run; of those a duplicate of an earlier result does not settle at
        once, the first occurrence of each genome (to evaluate) and the duplicates within the
        batch (``later``: each waits for its first occurrence, when the run may reuse
        results)."""
        asked: list[Candidate] = []
        later: list[Candidate] = []
        batch_hashes: set[str] = set()
        for cand in cands:
            self.add(cand)
            if self.settle_duplicate(cand):
                continue
            if cand.hash in batch_hashes and self.may_reuse(cand):
                later.append(cand)
                continue
            batch_hashes.add(cand.hash)
            asked.append(cand)
        return asked, later

    def batch(self, cands: Sequence[Candidate]) -> Steps:
        """Evaluate ``cands`` as one batch. Candidates an earlier duplicate settles are not
        asked; a duplicate within the batch waits for its first occurrence (and is evaluated
        only if that one failed)."""
        asked, later = self.split(cands)
        if asked:
            yield Step(asked, asked)
            for cand in asked:
                self.take(cand)
        for cand in later:
            if not self.settle_duplicate(cand):  # the first occurrence failed: evaluate this one
                yield Step([cand], [cand])
                self.take(cand)
