"""Evaluate one request: build, inherit weights, train (only what changed), record metrics.

Runs in the coordinator process (sequential backend) or in a worker process. Never raises for a
failure inside the evaluation: the record carries status ``failed`` and the reason.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch

from nas_ops.errors import EvaluationError, NasOpsError
from nas_ops.evaluation.records import EvalRecord, EvalRequest
from nas_ops.genome import Genome, complexity, from_dict
from nas_ops.metrics.diagnosis import diagnose
from nas_ops.phenotype import Phenotype, build_model, child_model
from nas_ops.tasks import Task, load_task
from nas_ops.training import Budget, pick_device, train
from nas_ops.variation.inheritance import NetInheritance


@lru_cache(maxsize=4)
def _task(name: str, options_json: str) -> Task:
    return load_task(name, **json.loads(options_json))


def cached_task(name: str, options: dict) -> Task:
    return _task(name, json.dumps(options, sort_keys=True))


def _save(state: dict[str, torch.Tensor], path: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    torch.save({k: v.detach().cpu() for k, v in state.items()}, tmp)
    os.replace(tmp, target)


def _inherited_model(genome: Genome, inherit: dict[str, Any], seed: int) -> Phenotype:
    """Build the child and copy/transform its parents' weights as its inheritance map says."""
    states = [torch.load(p, map_location="cpu", weights_only=True) for p in inherit["parents"]]
    imap = {cid: NetInheritance.from_dict(v) for cid, v in inherit["map"].items()}
    parents = [from_dict(g) for g in inherit["parent_genomes"]]
    return child_model(genome, parents, imap, states, seed)


def run_request(req: EvalRequest) -> EvalRecord:
    """Train and evaluate ``req``; always returns a record."""
    start = time.perf_counter()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(req.torch_threads)
    device = str(pick_device(req.device))
    try:
        genome = from_dict(req.genome)
        task = cached_task(req.task, req.task_options)
        model = (build_model(genome, seed=req.seed) if req.inherit is None
                 else _inherited_model(genome, req.inherit, req.seed))
        budget = Budget(epochs=req.epochs, max_steps=req.max_steps or None,
                        time_limit_s=req.time_limit_s or None)
        trainable = set(req.trainable) if req.trainable is not None else None
        result = train(model, task, budget=budget, seed=req.seed, device=device,
                       trainable=trainable, sample_score=req.sample_score, keep_model=True)
        assert result.model is not None
        if req.weights_out:
            _save(result.model.state_dict(), req.weights_out)
        rows = diagnose(result.model, task, seed=req.seed) if req.diagnose else []
        return EvalRecord(uid=req.uid, status="ok", val=result.val, test=result.test,
                          complexity=complexity(genome).as_dict(), wall_time_s=result.wall_time_s,
                          device=device, steps=result.steps,
                          trained_networks=result.trained_networks, diagnosis=rows)
    except torch.cuda.OutOfMemoryError:
        return _failed(req, start, device, "CUDA out of memory")
    except (EvaluationError, NasOpsError, ValueError, RuntimeError) as exc:
        return _failed(req, start, device, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a broken genome must never stop the search
        tail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return _failed(req, start, device, tail)
    finally:
        torch.set_num_threads(previous_threads)


def _failed(req: EvalRequest, start: float, device: str, reason: str) -> EvalRecord:
    try:
        cx = complexity(from_dict(req.genome)).as_dict()
    except Exception:  # noqa: BLE001
        cx = {}
    return EvalRecord(uid=req.uid, status="failed", complexity=cx,
                      wall_time_s=time.perf_counter() - start, device=device, error=reason)
