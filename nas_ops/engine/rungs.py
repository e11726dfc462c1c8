"""Rungs of a multi-fidelity search (``[search] fidelity``; docs/fidelity.md).

The :class:`Rungs` of a search evaluate the
children of NSGA-II and (mu+lambda) when rungs are on: every child trains to the first rung, and
the children the rule keeps go on to the next rung from their own rung weights, and so on up to
the full budget. Rule "halving": the best ``keep`` fraction by the algorithm's own survivor
selection (applied to the rung's results alone); rule "median": every child the rung's median is
not strictly better than on every output (:func:`~nas_ops.fidelity.median_stops`); rule "all":
every child whose rung evaluation succeeded (no stopping: it measures the rungs' ranking).
``Rungs.child`` takes one child of aging evolution through the rungs on its own (rule
"median" only). Every decision depends only on recorded results taken in slot (creation) order,
and every rung evaluation already in the ledger is read back instead of trained, so a resumed run
equals the uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

from nas_ops.config import RunConfig
from nas_ops.engine.archive import Archive
from nas_ops.engine.arena import Step, Steps
from nas_ops.engine.fitness import objectives
from nas_ops.engine.individuals import Candidate
from nas_ops.errors import EvaluationError
from nas_ops.fidelity import FidelityConfig, median_stops, rung_key
from nas_ops.genome import to_dict
from nas_ops.infra.files import file_sha256
from nas_ops.records import EvalRecord, EvalRequest, InheritSpec
from nas_ops.rng import torch_seed
from nas_ops.store.run import weights_path
from nas_ops.training import Budget
from nas_ops.variation.inheritance import inheritance_map

Select = Callable[[list[str], int], list[str]]


class Rungs:
    """The rungs of one search: ``archive`` settles results, ``request`` makes a child's full
    request, ``select`` is the algorithm's survivor selection (rule "halving")."""

    def __init__(self, fidelity: FidelityConfig, archive: Archive, config: RunConfig, run_dir: Path,
                 n_train: int, request: Callable[[Candidate], EvalRequest],
                 select: Select) -> None:
        self.fid, self.archive, self.config, self.run_dir = fidelity, archive, config, run_dir
        self.n_train, self.request, self.select = n_train, request, select
        # rule "median": per rung, the primary validation metrics of its successful results
        self.history: dict[int, list[list[float]]] = {}

    def offspring(self, cands: Sequence[Candidate]) -> Steps:
        """Evaluate a generation's children through the rungs. Duplicates of earlier results
        settle first (copying the original's record, fidelity included); a duplicate within the
        batch waits for its first occurrence (and goes through the rungs itself only if that one
        failed)."""
        fresh, later = self.archive.split(cands)
        yield from self._rungs(fresh)
        for cand in later:
            if not self.archive.settle_duplicate(cand):
                yield from self._rungs([cand])

    def first(self, child: Candidate) -> Candidate | None:
        """The candidate of ``child``'s first-rung evaluation, to submit as soon as it is bred
        (aging); None when the ledger holds it already (a resumed run reads it back)."""
        ev = self._candidate(child, 0)
        return ev if self.archive.ledger.evaluation(ev.uid) is None else None

    def child(self, child: Candidate) -> Steps:
        """Take one child of aging evolution through the rungs, its first-rung evaluation
        submitted already (:meth:`first`): it waits for that result, then asks for each next
        rung the median rule lets it reach."""
        yield from self._rungs([child], submitted=True)

    def _rungs(self, children: list[Candidate], submitted: bool = False) -> Steps:
        """``submitted``: the first-rung evaluations were submitted already; only wait."""
        fid, archive = self.fid, self.archive
        alive = children
        for rung in range(len(fid.rungs)):
            if not alive:
                return
            evals = [self._candidate(c, rung) for c in alive]
            stored = {e.uid: archive.ledger.evaluation(e.uid) for e in evals}
            asked = [e for e in evals if stored[e.uid] is None]
            if asked:
                yield Step([] if submitted and rung == 0 else asked, asked)
            records = []
            for child, ev in zip(alive, evals, strict=True):
                record = stored[ev.uid] or archive.told.pop(ev.uid)
                records.append((child, dataclasses.replace(
                    record, rung=rung, fidelity=fid.rungs[rung]), stored[ev.uid] is None))
            if rung == fid.last:
                for child, record, new in records:
                    archive.finish(child, record, fresh=new)
                return
            results = [(ev, rec) for ev, (_, rec, _) in zip(evals, records, strict=True)]
            if fid.rule == "all":  # no child stops: each goes on if its rung evaluation ran
                promoted = {ev.uid for ev, rec in results if rec.status == "ok"}
            else:
                promoted = set(self._median(rung, results) if fid.rule == "median"
                               else self._promote(results))
            alive = []
            for (child, record, new), ev in zip(records, evals, strict=True):
                if ev.uid in promoted:
                    archive.settle_rung(ev.uid, record, fresh=new)
                    alive.append(child)
                else:
                    archive.finish(child, record, fresh=new)

    def _promote(self, results: list[tuple[Candidate, EvalRecord]]) -> list[str]:
        """The keys promoted from one rung: the algorithm's survivor selection over the
        successful results of the rung alone (ranked as members with their objectives)."""
        ok = []
        for ev, record in results:
            if record.status == "ok":
                ev.record = record
                ev.objectives = objectives(record, self.archive.outputs,
                                           self.config.search.complexity_objective)
                self.archive.rung_members[ev.uid] = ev
                ok.append(ev.uid)
        k = min(self.fid.promoted(len(results)), len(ok))
        return self.select(ok, k) if k else []

    def _median(self, rung: int, results: list[tuple[Candidate, EvalRecord]]) -> list[str]:
        """The keys the median rule lets go on from ``rung``: each successful result is compared
        with the rung's history (the primary validation metrics of every successful result at
        the rung decided before, in the order decided) plus the other successful results of the
        same batch, in slot order; then the batch's results join the history."""
        outputs = self.archive.outputs
        higher = [spec.higher_is_better for spec in outputs]
        history = self.history.setdefault(rung, [])
        ok = [(ev.uid, objectives(rec, outputs, "none")) for ev, rec in results
              if rec.status == "ok"]
        kept = [uid for i, (uid, values) in enumerate(ok)
                if not median_stops(history + [v for j, (_, v) in enumerate(ok) if j != i],
                                    values, higher, self.fid.min_history)]
        history.extend(values for _, values in ok)
        return kept

    def _candidate(self, child: Candidate, rung: int) -> Candidate:
        """The candidate of ``child``'s evaluation at ``rung`` (its key as uid); its request is
        made when the search asks for it."""
        key = rung_key(child.uid, rung, self.fid.last)
        ev = Candidate(key, child.generation, child.slot, child.genome, child.seed,
                       hash=child.hash)
        ev.requester = lambda: self.rung_request(child, rung)
        return ev

    def rung_request(self, child: Candidate, rung: int) -> EvalRequest:
        """``child``'s request at ``rung``: its full request (inheritance from its parents, the
        trainable networks) capped at the rung's new steps; above rung 0 it starts from its own
        weights of the rung before, with its own seed for the rung (fresh optimizer, data
        order)."""
        fid = self.fid
        base = self.request(child)
        b = self.config.budget
        cap = Budget(epochs=b.epochs, max_steps=b.max_steps or None).step_cap(
            self.n_train, child.genome.hyper.batch_size)
        steps = fid.steps(cap)
        key = rung_key(child.uid, rung, fid.last)
        new = steps[rung] - (steps[rung - 1] if rung else 0)
        req = dataclasses.replace(base, uid=key, max_steps=new,
                                  weights_out=str(weights_path(self.run_dir, key)))
        if rung == 0:
            return req
        before = rung_key(child.uid, rung - 1, fid.last)
        path = weights_path(self.run_dir, before)
        recorded = self.archive.ledger.evaluation(before)
        if recorded is None or not path.is_file() or (
                recorded.weights_sha256 and file_sha256(path) != recorded.weights_sha256):
            raise EvaluationError(f"weights file {str(path)!r} of rung {rung - 1} of "
                                  f"{child.uid} is missing or not the one its evaluation wrote; "
                                  "the run cannot go on unchanged")
        imap = {k: v.to_dict()
                for k, v in inheritance_map([child.genome], child.genome, 0).items()}
        return dataclasses.replace(req, seed=torch_seed(child.seed, "rung", rung),
                                   inherit=InheritSpec((str(path),), imap,
                                                       (to_dict(child.genome),)))
