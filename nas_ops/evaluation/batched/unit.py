"""One unit of batched work: a group trained as one stacked model, or requests one by one.

A unit runs where the batched evaluator puts it: in the coordinator (on a GPU, or on CPU with one
worker) or in a pool worker process (CPU with several workers), so it only takes and returns
picklable values. A group is stacked (:mod:`~nas_ops.evaluation.batched.model`) and trained side
by side (:mod:`~nas_ops.evaluation.batched.train`), between the two stages every backend shares
(:mod:`~nas_ops.evaluation.pipeline`): each member is prepared as
:func:`~nas_ops.evaluation.worker.run_request` prepares it, and finalized on its own phenotype.
A member that cannot be prepared, and a whole group whose training raises, go through
``run_request`` itself. CUDA out-of-memory is raised to the caller, which splits the group.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field

import torch

from nas_ops.errors import MachineError
from nas_ops.evaluation.batched.model import StackedModel
from nas_ops.evaluation.batched.train import fit_group
from nas_ops.evaluation.pipeline import (
    Prepared,
    failed,
    finalize,
    prepare,
    recorded,
    torch_threads,
)
from nas_ops.evaluation.worker import run_request
from nas_ops.phenotype import Phenotype
from nas_ops.records import EvalRecord, EvalRequest
from nas_ops.tasks import Task
from nas_ops.training import pick_device


@dataclass
class UnitResult:
    """The records of a unit, and how they were made (for the evaluator's ``stats``)."""

    records: list[EvalRecord]
    grouped: int = 0
    fallback: int = 0
    errors: list[str] = field(default_factory=list)


def _reason(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def one_by_one(reqs: list[EvalRequest], errors: list[str] | None = None) -> UnitResult:
    return UnitResult([run_request(r) for r in reqs], fallback=len(reqs), errors=errors or [])


def run_unit(reqs: list[EvalRequest], fuse: bool, threads: int) -> UnitResult:
    """Evaluate ``reqs``: trained as one group when ``fuse`` (and two or more can be built),
    else one by one. ``threads`` torch threads for the group (not x workers: results must not
    depend on the worker count)."""
    if not fuse or len(reqs) < 2:
        return one_by_one(reqs)
    try:
        with torch_threads(threads):
            records, rest = train_group(reqs)
    except (torch.cuda.OutOfMemoryError, MachineError):
        raise
    except Exception as exc:  # noqa: BLE001 - sequential evaluation gives the exact outcome
        return one_by_one(reqs, [_reason(exc)])
    tail = one_by_one(rest)
    return UnitResult(records + tail.records, grouped=len(records), fallback=tail.fallback)


def build_members(reqs: list[EvalRequest]) -> tuple[list[EvalRequest], list[Prepared],
                                                    list[EvalRequest]]:
    """The requests that can be prepared (:func:`~nas_ops.evaluation.pipeline.prepare`, as
    run_request prepares them) with what they prepared; and those that cannot be."""
    kept, prepared, rest = [], [], []
    for req in reqs:
        try:
            member = prepare(req)
        except Exception:  # noqa: BLE001 - run_request records the same failure
            rest.append(req)
            continue
        kept.append(req)
        prepared.append(member)
    return kept, prepared, rest


def train_group(reqs: list[EvalRequest]) -> tuple[list[EvalRecord], list[EvalRequest]]:
    """Records of the members trained together, and the requests left for run_request."""
    start = time.perf_counter()
    kept, prepared, rest = build_members(reqs)
    if len(kept) < 2:
        return [], reqs
    device = pick_device(kept[0].device)
    task = prepared[0].task
    models = [p.model for p in prepared]
    train = {nid: [r.trainable is None or nid in r.trainable for r in kept]
             for nid in models[0].networks}
    hyper = models[0].genome.hyper
    stacked = StackedModel(models, device)
    fit = fit_group(stacked, task, seeds=[r.seed for r in kept],
                    lrs=[m.genome.hyper.learning_rate for m in models],
                    optimizer=hyper.optimizer, batch_size=hyper.batch_size,
                    epochs=kept[0].epochs, max_steps=kept[0].max_steps or None, train=train,
                    time_limit_s=kept[0].time_limit_s or None)
    stacked.store(fit.steps, train)
    del stacked
    share = (time.perf_counter() - start) / len(kept)
    records = [_record(req, model, task, device, fit.steps, share, fit.failed.get(m))
               for m, (req, model) in enumerate(zip(kept, models, strict=True))]
    return records, rest


def _record(req: EvalRequest, model: Phenotype, task: Task, device: torch.device, steps: int,
            share: float, failure: str | None) -> EvalRecord:
    """The record of a member trained in the group (``share``: its part of the group's time)."""
    start = time.perf_counter() - share
    if failure is not None:
        return failed(req, start, str(device), failure)
    return recorded(req, start, device,
                    lambda: finalize(req, model.to(device), task, steps, start, device))
