"""The stages of one evaluation, shared by every backend: prepare -> fit -> finalize.

- :func:`prepare`: the request's genome, its (cached) task and its model, built from the seed
  or with weights inherited from its parents, checked to fit the task.
- fit: sequential training (:func:`nas_ops.evaluation.worker.run_request`, through
  :func:`nas_ops.training.fit`) or a fused group
  (:func:`nas_ops.evaluation.batched.unit.train_group`).
- :func:`finalize`: the trained model's metrics (:func:`nas_ops.training.evaluate_splits`),
  its saved weights and diagnosis, and the :class:`EvalRecord`.

A failure anywhere becomes a ``failed`` record (:func:`failed`, with :func:`failure_reason`);
:func:`recorded` runs a stage and does that conversion, so no backend needs its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

from nas_ops.errors import EvaluationError, NasOpsError
from nas_ops.genome import Genome, complexity, from_dict
from nas_ops.infra.files import machine_error, write_atomic
from nas_ops.infra.lifeline import coordinator_gone
from nas_ops.metrics.diagnosis import diagnose
from nas_ops.phenotype import Phenotype, build_model, child_model
from nas_ops.records import EvalRecord, EvalRequest, InheritSpec
from nas_ops.tasks import Task, load_task
from nas_ops.training import check_fits, evaluate_splits, trained_networks
from nas_ops.variation.inheritance import NetInheritance


@dataclass(frozen=True)
class Prepared:
    """What a request evaluates: its genome, its task and its (untrained) model."""

    genome: Genome
    task: Task
    model: Phenotype


@lru_cache(maxsize=4)
def _task(name: str, options_json: str) -> Task:
    return load_task(name, **json.loads(options_json))


def cached_task(name: str, options: dict[str, Any]) -> Task:
    """The task ``name`` with ``options``, loaded once per process (the last few are kept)."""
    return _task(name, json.dumps(options, sort_keys=True))


def prepare(req: EvalRequest) -> Prepared:
    """Parse the genome, load the task and build the model (with inherited weights when the
    request says so). Raises on a genome that cannot be parsed, built or inherited, or that does
    not fit the task."""
    genome = from_dict(req.genome)
    task = cached_task(req.task, req.task_options)
    model = (build_model(genome, seed=req.seed) if req.inherit is None
             else inherited_model(genome, req.inherit, req.seed))
    check_fits(genome, task)
    return Prepared(genome, task, model)


def inherited_model(genome: Genome, spec: InheritSpec, seed: int) -> Phenotype:
    """The child ``genome`` built from ``seed``, with its parents' weights copied and
    transformed as its inheritance map says."""
    states = [torch.load(p, map_location="cpu", weights_only=True) for p in spec.parents]
    parents = [from_dict(g) for g in spec.parent_genomes]
    imap = {cid: NetInheritance.from_dict(v) for cid, v in spec.map.items()}
    return child_model(genome, parents, imap, states, seed)


def finalize(req: EvalRequest, model: Phenotype, task: Task, steps: int, start: float,
             device: torch.device) -> EvalRecord:
    """The record of ``model`` trained for ``req`` (``steps`` optimizer steps since ``start``,
    a ``time.perf_counter()``): its metrics, and its weights and diagnosis when asked."""
    val, test = evaluate_splits(model, task, device, sample_score=req.sample_score,
                                sample_quality=req.sample_quality, seed=req.seed)
    wall = time.perf_counter() - start
    sha = save_weights(model, req.weights_out) if req.weights_out else ""
    rows = diagnose(model, task, seed=req.seed, draws=req.relevance_draws,
                    noise=req.relevance_noise, capacity=req.diagnose_capacity) \
        if req.diagnose else []
    return EvalRecord(uid=req.uid, status="ok", val=val, test=test,
                      complexity=complexity(model.genome).as_dict(), wall_time_s=wall,
                      device=str(device), steps=steps,
                      trained_networks=trained_networks(model, req.trainable), diagnosis=rows,
                      weights_sha256=sha)


def weights_bytes(model: Phenotype) -> bytes:
    """The model's state dict (on CPU) as ``torch.save`` bytes: equal weights, equal bytes."""
    buffer = io.BytesIO()  # not a file: torch names the archive after the file it writes
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, buffer)
    return buffer.getvalue()


def save_weights(model: Phenotype, path: str) -> str:
    """Save the model's state dict to ``path`` atomically; return the file's sha256. A worker
    whose coordinator is gone writes nothing (the run directory is no longer its own)."""
    data = weights_bytes(model)
    if coordinator_gone():
        raise EvaluationError("the coordinator process is gone; weights not written")
    write_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def failed(req: EvalRequest, start: float, device: str, reason: str) -> EvalRecord:
    """The ``failed`` record of ``req`` (its complexity when the genome parses)."""
    try:
        cx = complexity(from_dict(req.genome)).as_dict()
    except Exception:  # noqa: BLE001
        cx = {}
    return EvalRecord(uid=req.uid, status="failed", complexity=cx,
                      wall_time_s=time.perf_counter() - start, device=device, error=reason)


def failure_reason(exc: BaseException) -> str:
    """The one-line reason a failed record gives for ``exc``."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return "CUDA out of memory"
    if isinstance(exc, (EvaluationError, NasOpsError, ValueError, RuntimeError)):
        return f"{type(exc).__name__}: {exc}"
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def recorded(req: EvalRequest, start: float, device: torch.device,
             stage: Callable[[], EvalRecord]) -> EvalRecord:
    """``stage()`` with ``req.torch_threads`` torch threads; a failure in it becomes the
    request's ``failed`` record (a broken genome must never stop the search). A failure of the
    machine (no space, an I/O error: :func:`~nas_ops.infra.files.machine_error`) is not the
    candidate's: it raises :class:`~nas_ops.errors.MachineError`, which stops the run."""
    with torch_threads(req.torch_threads):
        try:
            return stage()
        except Exception as exc:  # noqa: BLE001
            if (machine := machine_error(exc)) is not None:
                raise machine from exc
            return failed(req, start, str(device), failure_reason(exc))


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch threads, then restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
