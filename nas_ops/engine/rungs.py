"""Rungs of a multi-fidelity search (``[search] fidelity``; docs/fidelity.md).

:func:`offspring_batch` replaces :func:`~nas_ops.engine.algorithms.evaluate_batch` for the
children of NSGA-II and (mu+lambda) when rungs are on: every child trains to the first rung, and
the children the rule keeps go on to the next rung from their own rung weights, and so on up to
the full budget. Rule "halving": the best ``keep`` fraction by the algorithm's own survivor
selection (applied to the rung's results alone); rule "median": every child the rung's median is
not strictly better than on every output (:func:`~nas_ops.fidelity.median_stops`).
:func:`child_rungs` takes one child of aging evolution through the rungs on its own (rule
"median" only). Every decision depends only on recorded results taken in slot (creation) order,
and every rung evaluation already in the ledger is read back instead of trained, so a resumed run
equals the uninterrupted one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING

from nas_ops.engine.algorithms import Step, split_batch
from nas_ops.engine.fitness import objectives
from nas_ops.engine.individuals import Candidate
from nas_ops.errors import EvaluationError
from nas_ops.fidelity import median_stops, rung_key
from nas_ops.files import file_sha256
from nas_ops.genome import to_dict
from nas_ops.records import EvalRecord, EvalRequest, InheritSpec
from nas_ops.rng import torch_seed
from nas_ops.store.run import weights_path
from nas_ops.training import Budget
from nas_ops.variation.inheritance import inheritance_map

if TYPE_CHECKING:
    from nas_ops.engine.search import Search


def offspring_batch(search: Search, cands: Sequence[Candidate]) -> Generator[Step, None, None]:
    """Evaluate a generation's children through the rungs. Duplicates of earlier results settle
    first (copying the original's record, fidelity included); a duplicate within the batch waits
    for its first occurrence (and goes through the rungs itself only if that one failed)."""
    fresh, later = split_batch(search, cands, search._settle_duplicate)
    yield from _rungs(search, fresh)
    for cand in later:
        if not search._settle_duplicate(cand):
            yield from _rungs(search, [cand])


def first_rung(search: Search, child: Candidate) -> Candidate | None:
    """The candidate of ``child``'s first-rung evaluation, to submit as soon as it is bred
    (aging); None when the ledger holds it already (a resumed run reads it back)."""
    fid = search.fidelity
    assert fid is not None
    ev = _rung_candidate(search, child, 0)
    return ev if search.ledger.evaluation(ev.uid) is None else None


def child_rungs(search: Search, child: Candidate) -> Generator[Step, None, None]:
    """Take one child of aging evolution through the rungs, its first-rung evaluation submitted
    already (:func:`first_rung`): it waits for that result, then asks for each next rung the
    median rule lets it reach."""
    yield from _rungs(search, [child], submitted=True)


def _rungs(search: Search, children: list[Candidate],
           submitted: bool = False) -> Generator[Step, None, None]:
    """``submitted``: the first-rung evaluations were submitted already; only wait for them."""
    fid = search.fidelity
    assert fid is not None
    alive = children
    for rung in range(len(fid.rungs)):
        if not alive:
            return
        evals = [_rung_candidate(search, c, rung) for c in alive]
        stored = {e.uid: search.ledger.evaluation(e.uid) for e in evals}
        asked = [e for e in evals if stored[e.uid] is None]
        if asked:
            yield Step([] if submitted and rung == 0 else asked, asked)
        records = []
        for child, ev in zip(alive, evals, strict=True):
            record = stored[ev.uid] or search._results.pop(ev.uid)
            records.append((child, dataclasses.replace(
                record, rung=rung, fidelity=fid.rungs[rung]), stored[ev.uid] is None))
        if rung == fid.last:
            for child, record, new in records:
                search._finish(child, record, fresh=new)
            return
        results = [(ev, rec) for ev, (_, rec, _) in zip(evals, records, strict=True)]
        promoted = set(_median(search, rung, results) if fid.rule == "median"
                       else _promote(search, results))
        alive = []
        for (child, record, new), ev in zip(records, evals, strict=True):
            if ev.uid in promoted:
                search._settle_rung(ev.uid, record, fresh=new)
                alive.append(child)
            else:
                search._finish(child, record, fresh=new)


def _promote(search: Search, results: list[tuple[Candidate, EvalRecord]]) -> list[str]:
    """The keys promoted from one rung: the algorithm's survivor selection over the successful
    results of the rung alone (its members are the rung's evaluations, with their objectives)."""
    fid = search.fidelity
    assert fid is not None
    ok = []
    for ev, record in results:
        if record.status == "ok":
            ev.record = record
            ev.objectives = objectives(record, search.outputs,
                                       search.config.search.complexity_objective)
            search.rung_members[ev.uid] = ev
            ok.append(ev.uid)
    k = min(fid.promoted(len(results)), len(ok))
    return search.algorithm.select(search, ok, k) if k else []


def _median(search: Search, rung: int, results: list[tuple[Candidate, EvalRecord]]) -> list[str]:
    """The keys the median rule lets go on from ``rung``: each successful result is compared with
    the rung's history (``search.rung_history``: the primary validation metrics of every
    successful result at the rung decided before, in the order decided) plus the other successful
    results of the same batch, in slot order; then the batch's results join the history."""
    fid = search.fidelity
    assert fid is not None
    higher = [spec.higher_is_better for spec in search.outputs]
    history = search.rung_history.setdefault(rung, [])
    ok = [(ev.uid, objectives(rec, search.outputs, "none")) for ev, rec in results
          if rec.status == "ok"]
    kept = [uid for i, (uid, values) in enumerate(ok)
            if not median_stops(history + [v for j, (_, v) in enumerate(ok) if j != i], values,
                                higher, fid.min_history)]
    history.extend(values for _, values in ok)
    return kept


def _rung_candidate(search: Search, child: Candidate, rung: int) -> Candidate:
    """The candidate of ``child``'s evaluation at ``rung`` (its key as uid); its request is made
    when the search asks for it."""
    fid = search.fidelity
    assert fid is not None
    key = rung_key(child.uid, rung, fid.last)
    ev = Candidate(key, child.generation, child.slot, child.genome, child.seed,
                   hash=child.hash)
    ev.requester = lambda: rung_request(search, child, rung)
    return ev


def rung_request(search: Search, child: Candidate, rung: int) -> EvalRequest:
    """``child``'s request at ``rung``: its full request (inheritance from its parents, the
    trainable networks) capped at the rung's new steps; above rung 0 it starts from its own
    weights of the rung before, with its own seed for the rung (fresh optimizer, data order)."""
    fid = search.fidelity
    assert fid is not None
    base = search._request(child)
    b = search.config.budget
    cap = Budget(epochs=b.epochs, max_steps=b.max_steps or None).step_cap(
        search.n_train, child.genome.hyper.batch_size)
    steps = fid.steps(cap)
    key = rung_key(child.uid, rung, fid.last)
    new = steps[rung] - (steps[rung - 1] if rung else 0)
    req = dataclasses.replace(base, uid=key, max_steps=new,
                              weights_out=str(weights_path(search.run_dir, key)))
    if rung == 0:
        return req
    before = rung_key(child.uid, rung - 1, fid.last)
    path = weights_path(search.run_dir, before)
    recorded = search.ledger.evaluation(before)
    if recorded is None or not path.is_file() or (
            recorded.weights_sha256 and file_sha256(path) != recorded.weights_sha256):
        raise EvaluationError(f"weights file {str(path)!r} of rung {rung - 1} of {child.uid} is "
                              "missing or not the one its evaluation wrote; the run cannot go on "
                              "unchanged")
    imap = {k: v.to_dict() for k, v in inheritance_map([child.genome], child.genome, 0).items()}
    return dataclasses.replace(req, seed=torch_seed(child.seed, "rung", rung),
                               inherit=InheritSpec((str(path),), imap, (to_dict(child.genome),)))
