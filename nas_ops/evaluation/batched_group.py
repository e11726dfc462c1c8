"""One unit of batched work: a group trained as one stacked model, or requests one by one.

A unit runs where the batched evaluator puts it: in the coordinator (on a GPU, or on CPU with one
worker) or in a pool worker process (CPU with several workers), so it only takes and returns
picklable values. A group is stacked (:mod:`~nas_ops.evaluation.batched_model`) and trained side
by side (:mod:`~nas_ops.evaluation.batched_train`); each model's metrics, weights and diagnosis
are then computed on its own phenotype exactly as :func:`~nas_ops.evaluation.worker.run_request`
does. A member that cannot be built, and a whole group whose training raises, go through
``run_request`` itself. CUDA out-of-memory is raised to the caller, which splits the group.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import torch

from nas_ops.evaluation.batched_model import StackedModel
from nas_ops.evaluation.batched_train import fit_group
from nas_ops.evaluation.records import EvalRecord, EvalRequest
from nas_ops.evaluation.worker import _failed, _inherited_model, _save, cached_task, run_request
from nas_ops.genome import complexity, from_dict
from nas_ops.metrics.diagnosis import diagnose
from nas_ops.phenotype import Phenotype, build_model
from nas_ops.training import check_fits, evaluate, pick_device


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
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        records, rest = train_group(reqs)
    except torch.cuda.OutOfMemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - sequential evaluation gives the exact outcome
        return one_by_one(reqs, [_reason(exc)])
    finally:
        torch.set_num_threads(previous)
    tail = one_by_one(rest)
    return UnitResult(records + tail.records, grouped=len(records), fallback=tail.fallback)


def _build(reqs: list[EvalRequest]) -> tuple[list[EvalRequest], list[Phenotype],
                                              list[EvalRequest]]:
    """Each request's phenotype, built as run_request builds it; and those that cannot be."""
    kept, models, rest = [], [], []
    for req in reqs:
        try:
            genome = from_dict(req.genome)
            model = (build_model(genome, seed=req.seed) if req.inherit is None
                     else _inherited_model(genome, req.inherit, req.seed))
            check_fits(genome, cached_task(req.task, req.task_options))
        except Exception:  # noqa: BLE001 - run_request records the same failure
            rest.append(req)
            continue
        kept.append(req)
        models.append(model)
    return kept, models, rest


def train_group(reqs: list[EvalRequest]) -> tuple[list[EvalRecord], list[EvalRequest]]:
    """Records of the members trained together, and the requests left for run_request."""
    start = time.perf_counter()
    kept, models, rest = _build(reqs)
    if len(kept) < 2:
        return [], reqs
    device = pick_device(kept[0].device)
    task = cached_task(kept[0].task, kept[0].task_options)
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


def _record(req: EvalRequest, model: Phenotype, task: Any, device: torch.device, steps: int,
            share: float, failure: str | None) -> EvalRecord:
    """What run_request records for a model trained as ``model`` now is."""
    start = time.perf_counter() - share
    if failure is not None:
        return _failed(req, start, str(device), failure)
    previous = torch.get_num_threads()
    torch.set_num_threads(req.torch_threads)
    try:
        model = model.to(device)
        val = evaluate(model, task, task.val, device=device)
        test = evaluate(model, task, task.test, device=device,
                        sample_score=req.sample_score, seed=req.seed)
        if req.weights_out:
            _save(model.state_dict(), req.weights_out)
        rows = diagnose(model, task, seed=req.seed) if req.diagnose else []
        trained = sorted(req.trainable if req.trainable is not None else model.networks.keys())
        return EvalRecord(uid=req.uid, status="ok", val=val, test=test,
                          complexity=complexity(model.genome).as_dict(),
                          wall_time_s=time.perf_counter() - start, device=str(device),
                          steps=steps, trained_networks=trained, diagnosis=rows)
    except torch.cuda.OutOfMemoryError:
        return _failed(req, start, str(device), "CUDA out of memory")
    except Exception as exc:  # noqa: BLE001 - as run_request: never stop the search
        return _failed(req, start, str(device), f"{type(exc).__name__}: {exc}")
    finally:
        torch.set_num_threads(previous)
