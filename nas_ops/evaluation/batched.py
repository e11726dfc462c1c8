"""The batched evaluator: trains the requests that share a topology together, as one model.

Requests are grouped by :func:`signature` (same nodes, kinds, edges, layer counts, batch size,
optimizer, budget, task and device; widths, latent sizes, activations, initializers, dropout,
batch norm, learning rates, loss weights, inherited weights and trainable networks may differ).
A group of two or more is stacked (:mod:`~nas_ops.evaluation.batched_model`) and trained side by
side (:mod:`~nas_ops.evaluation.batched_train`); each model's metrics, weights and diagnosis are
then computed on its own phenotype exactly as :func:`~nas_ops.evaluation.worker.run_request`
does. Everything else (a request alone in its group, a time limit, nothing to train, a group that
raises, a model that cannot be built) is evaluated by ``run_request`` itself, through a process
pool on CPU when several workers are configured, so a run is never slower than the pool.
"""

from __future__ import annotations

import json
import time
import traceback
from collections import deque
from collections.abc import Iterator
from typing import Any

import torch

from nas_ops.evaluation.batched_model import StackedModel
from nas_ops.evaluation.batched_train import estimate_bytes, fit_group
from nas_ops.evaluation.local import PoolEvaluator, SequentialEvaluator
from nas_ops.evaluation.records import EvalRecord, EvalRequest
from nas_ops.evaluation.worker import _failed, _inherited_model, _save, cached_task
from nas_ops.genome import Genome, complexity, from_dict
from nas_ops.genome.nodes import InputNode
from nas_ops.genome.shapes import conv_in_geometry, decoder_seed_spatial, pooled
from nas_ops.metrics.diagnosis import diagnose
from nas_ops.phenotype import Phenotype, build_model
from nas_ops.training import check_fits, evaluate, pick_device

CPU_MEMORY_BUDGET = 2 << 30  # bytes one group may take on CPU


def signature(req: EvalRequest) -> tuple[Any, ...] | None:
    """What must be equal for requests to train as one group; ``None``: not batchable."""
    if req.time_limit_s:
        return None  # a wall-clock limit is per model: only sequential training honours it
    try:
        g = from_dict(req.genome)
    except Exception:  # noqa: BLE001 - run_request reports the error
        return None
    if req.trainable is not None and not set(req.trainable) & set(g.network_ids):
        return None  # nothing to train
    for net in g.networks:
        if net.kind == "conv_encoder" and not all(
                isinstance(g.node(p), InputNode) for p in g.predecessors(net.id)):
            return None
    nets = tuple((n.id, n.kind, len(n.layers), n.out_shape) for n in g.networks)
    outs = tuple((o.id, o.kind, o.size) for o in g.outputs)
    ins = tuple((i.id, i.dtype, i.shape) for i in g.inputs)
    return (str(pick_device(req.device)), req.task, json.dumps(req.task_options, sort_keys=True),
            req.epochs, req.max_steps, g.hyper.batch_size, g.hyper.optimizer, g.space, ins, nets,
            outs, g.edges)


def activations_per_sample(g: Genome) -> int:
    """Values one sample produces inside ``g`` (all layer outputs), for the memory estimate."""
    total = 0
    for net in g.networks:
        if net.kind == "conv_encoder":
            _, spatial = conv_in_geometry(g, net.id)
            for la in net.layers:
                total += la.units * int(torch.tensor(spatial).prod())
                spatial = pooled(spatial)
        elif net.kind == "conv_decoder":
            spatial = decoder_seed_spatial(net.out_shape[1:], len(net.layers))
            total += net.layers[0].units * int(torch.tensor(spatial).prod())
            for la in net.layers:
                spatial = tuple(2 * s for s in spatial)
                total += la.units * int(torch.tensor(spatial).prod())
        else:
            total += sum(la.units for la in net.layers) + 3 * net.latent
        total += net.out_size
    return total


def _estimate_group(reqs: list[EvalRequest]) -> int:
    """Bytes one model of a group of ``reqs`` may take (the largest of them, padded alike)."""
    per = 0
    for req in reqs:
        g = from_dict(req.genome)
        per = max(per, estimate_bytes(complexity(g).parameters, activations_per_sample(g),
                                      g.hyper.batch_size))
    return per


def _memory_budget(device: torch.device) -> int:
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(0.6 * free)
    return CPU_MEMORY_BUDGET


def _reason(exc: BaseException) -> str:
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


class BatchedEvaluator:
    """Evaluator protocol (``submit`` / ``pending`` / ``as_completed`` / ``close``).

    ``stats`` counts models trained in groups, models evaluated by ``run_request`` and groups
    (with the reasons groups fell back), for tests and benchmarks.
    """

    name = "batched"

    def __init__(self, workers: int = 1, threads: int = 1, device: str = "auto",
                 max_group: int = 256, memory_budget: int | None = None) -> None:
        self.workers, self.threads, self.max_group = workers, threads, max_group
        self.memory_budget = memory_budget
        on_cpu = pick_device(device).type == "cpu"
        self._fallback: PoolEvaluator | SequentialEvaluator = (
            PoolEvaluator(workers, threads) if on_cpu and workers > 1 else SequentialEvaluator())
        self._queue: list[EvalRequest] = []
        self._groups: deque[list[EvalRequest]] = deque()
        self._ready: deque[EvalRecord] = deque()
        self.stats: dict[str, Any] = {"grouped": 0, "fallback": 0, "groups": 0, "splits": 0,
                                      "errors": []}

    # ------------------------------------------------------------------ protocol
    def submit(self, request: EvalRequest) -> None:
        self._queue.append(request)

    def pending(self) -> int:
        return (len(self._queue) + sum(len(g) for g in self._groups) + len(self._ready)
                + self._fallback.pending())

    def as_completed(self) -> Iterator[EvalRecord]:
        """Records as they finish; safe to abandon after any record and call again."""
        while True:
            if self._ready:
                yield self._ready.popleft()
            elif self._queue:
                self._plan()
            elif self._groups:
                self._ready.extend(self._run(self._groups.popleft()))
            elif self._fallback.pending():
                yield next(iter(self._fallback.as_completed()))
            else:
                return

    def close(self) -> None:
        self._queue.clear()
        self._groups.clear()
        self._ready.clear()
        self._fallback.close()

    # ------------------------------------------------------------------ planning
    def _plan(self) -> None:
        groups: dict[tuple[Any, ...], list[EvalRequest]] = {}
        for req in self._queue:
            key = signature(req)
            if key is None:
                self._to_fallback([req])
            else:
                groups.setdefault(key, []).append(req)
        self._queue = []
        for reqs in groups.values():
            if len(reqs) < 2:
                self._to_fallback(reqs)
                continue
            size = min(self.max_group, self._fitting(reqs))
            for lo in range(0, len(reqs), size):
                self._groups.append(reqs[lo: lo + size])

    def _fitting(self, reqs: list[EvalRequest]) -> int:
        """How many of ``reqs`` one group may hold under the memory budget."""
        budget = self.memory_budget or _memory_budget(pick_device(reqs[0].device))
        return max(1, budget // max(1, _estimate_group(reqs)))

    def _to_fallback(self, reqs: list[EvalRequest]) -> None:
        for req in reqs:
            self.stats["fallback"] += 1
            self._fallback.submit(req)

    # ------------------------------------------------------------------ one group
    def _run(self, reqs: list[EvalRequest]) -> list[EvalRecord]:
        if len(reqs) < 2:
            self._to_fallback(reqs)
            return []
        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)  # not x workers: results must not depend on them
        try:
            return self._train_group(reqs)
        except torch.cuda.OutOfMemoryError:
            torch.cuda.empty_cache()
            self.stats["splits"] += 1
            half = len(reqs) // 2
            self._groups.extendleft([reqs[half:], reqs[:half]])
            return []
        except Exception as exc:  # noqa: BLE001 - sequential evaluation gives the exact outcome
            self.stats["errors"].append(_reason(exc))
            self._to_fallback(reqs)
            return []
        finally:
            torch.set_num_threads(previous)

    def _build(self, reqs: list[EvalRequest]) -> tuple[list[EvalRequest], list[Phenotype]]:
        """Each request's phenotype, built as run_request builds it; failures fall back."""
        kept, models = [], []
        for req in reqs:
            try:
                genome = from_dict(req.genome)
                model = (build_model(genome, seed=req.seed) if req.inherit is None
                         else _inherited_model(genome, req.inherit, req.seed))
                check_fits(genome, cached_task(req.task, req.task_options))
            except Exception:  # noqa: BLE001 - run_request records the same failure
                self._to_fallback([req])
                continue
            kept.append(req)
            models.append(model)
        return kept, models

    def _train_group(self, reqs: list[EvalRequest]) -> list[EvalRecord]:
        start = time.perf_counter()
        reqs, models = self._build(reqs)
        if len(reqs) < 2:
            self._to_fallback(reqs)
            return []
        device = pick_device(reqs[0].device)
        task = cached_task(reqs[0].task, reqs[0].task_options)
        train = {nid: [r.trainable is None or nid in r.trainable for r in reqs]
                 for nid in models[0].networks}
        hyper = models[0].genome.hyper
        stacked = StackedModel(models, device)
        fit = fit_group(stacked, task, seeds=[r.seed for r in reqs],
                        lrs=[m.genome.hyper.learning_rate for m in models],
                        optimizer=hyper.optimizer, batch_size=hyper.batch_size,
                        epochs=reqs[0].epochs, max_steps=reqs[0].max_steps or None, train=train)
        stacked.store(fit.steps, train)
        del stacked
        self.stats["groups"] += 1
        self.stats["grouped"] += len(reqs)
        share = (time.perf_counter() - start) / len(reqs)
        return [self._record(req, model, task, device, fit.steps, share, fit.failed.get(m))
                for m, (req, model) in enumerate(zip(reqs, models, strict=True))]

    @staticmethod
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
